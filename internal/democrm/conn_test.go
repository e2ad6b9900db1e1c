package democrm

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// brokenConn reports whether err is what a client sees when the server
// resets or drops the connection.
func brokenConn(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

func TestReset_BreaksConnection(t *testing.T) {
	tests := []struct {
		name    string
		kind    Kind
		headers bool // the client gets the status line and headers first
		applied bool // the write reaches the store despite the cut
	}{
		{"reset before headers", Reset, false, false},
		{"reset in mid body", ResetMidBody, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, base := startTest(t, Options{})
			if err := s.Inject(FaultSpec{Kind: tc.kind, Dialect: HubSpot}, 1); err != nil {
				t.Fatal(err)
			}
			before := s.store.count("hubspot/contacts")
			req, _ := http.NewRequest("POST", base+"/hubspot/crm/v3/objects/contacts", strings.NewReader(`{"properties":{"lastname":"Cut"}}`))
			client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			resp, err := client.Do(req)
			if tc.headers {
				if err != nil {
					t.Fatalf("got error %v before the headers; want headers then a broken body", err)
				}
				if resp.StatusCode != http.StatusCreated || resp.Header.Get("X-HubSpot-Correlation-Id") == "" {
					t.Errorf("status %d, headers %v; want the real answer's", resp.StatusCode, resp.Header)
				}
				b, err2 := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err2 == nil || !brokenConn(err2) {
					t.Errorf("reading body: %q, %v; want a broken connection", b, err2)
				}
				if len(b) == 0 || int64(len(b)) >= resp.ContentLength {
					t.Errorf("read %d of %d bytes; want part of the body", len(b), resp.ContentLength)
				}
			} else {
				if err == nil {
					resp.Body.Close()
					t.Fatalf("got status %d; want a connection error", resp.StatusCode)
				}
				if !brokenConn(err) {
					t.Errorf("error %v; want a reset or EOF", err)
				}
			}
			if got := s.store.count("hubspot/contacts") - before; (got == 1) != tc.applied {
				t.Errorf("%d contacts created; want applied %v", got, tc.applied)
			}
			if got := s.Injected()["network"]; got != 1 {
				t.Errorf("Injected()[network] = %d; want 1", got)
			}
		})
	}
}

func TestStall_HonoursCancellation(t *testing.T) {
	done := make(chan Fault, 1)
	s, base := startTest(t, Options{StallFor: time.Hour, OnFault: func(f Fault) { done <- f }})
	if err := s.Inject(FaultSpec{Kind: Stall}, 1); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/salesforce/services/data/v62.0/limits", nil)
	resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got status %d; want the client to time out", resp.StatusCode)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v; want context.DeadlineExceeded", err)
	}
	select {
	case f := <-done:
		if f.Kind != Stall || f.Status != 0 || f.Class != "timeout" {
			t.Errorf("fault %+v; want an undelivered stall of class timeout", f)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the stalled handler did not return after the client left")
	}
}

func TestStall_AnswersAfterDelay(t *testing.T) {
	s, base := startTest(t, Options{})
	if err := s.Inject(FaultSpec{Kind: Stall, Delay: 20 * time.Millisecond}, 1); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r := send(t, base, "GET", "/salesforce/services/data/v62.0/limits", "", nil)
	if r.status != http.StatusOK || time.Since(start) < 20*time.Millisecond {
		t.Errorf("status %d after %v; want 200 after at least 20ms", r.status, time.Since(start))
	}
}

func TestSlow_DelaysNormalAnswer(t *testing.T) {
	s, base := startTest(t, Options{SlowFor: 30 * time.Millisecond})
	if err := s.Inject(FaultSpec{Kind: Slow, Dialect: Salesforce}, 1); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	// A slow answer keeps the class of what it delays: here a retired version.
	r := send(t, base, "GET", "/salesforce/services/data/v30.0/limits", "", nil)
	if r.status != http.StatusGone || time.Since(start) < 30*time.Millisecond {
		t.Errorf("status %d after %v; want 410 after at least 30ms", r.status, time.Since(start))
	}
	if got := s.Injected(); got["ok"] != 1 {
		t.Errorf("Injected() = %v; want ok: 1", got)
	}
	if got := s.Answered(); got["version"] != 1 || got["ok"] != 0 {
		t.Errorf("Answered() = %v; want version: 1", got)
	}
}

func TestStart_ServesOnLoopback(t *testing.T) {
	s, base, stop, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Errorf("base URL %s; want loopback", base)
	}
	if r := send(t, base, "GET", "/salesforce/services/data/", "", nil); r.status != http.StatusOK {
		t.Errorf("status %d; want 200", r.status)
	}
	if s.Answered()["ok"] != 1 {
		t.Errorf("Answered() = %v; want ok: 1", s.Answered())
	}
}

func TestHandler_ServesOneDialectAtRoot(t *testing.T) {
	s := New(Options{})
	if s.Handler("zoho") != nil {
		t.Error("Handler(zoho) is not nil")
	}
	rec := newRecorder()
	req, _ := http.NewRequest("GET", "/crm/v3/objects/contacts/1001", nil)
	s.Handler(HubSpot).ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"id":"1001"`) {
		t.Errorf("got %d %s; want contact 1001", rec.Code, rec.Body)
	}
}
