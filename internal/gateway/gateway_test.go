package gateway

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/call"
	"github.com/crmguard/crmguard/internal/dialect"
	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/redact"
	"github.com/crmguard/crmguard/internal/upstream"
)

// statusDialect classifies by status alone and reads every error body, so
// the gateway can be tested apart from the real dialects.
type statusDialect struct{}

func (statusDialect) Name() string { return "test" }
func (statusDialect) Inspect(_, _ string, status int, _ http.Header) bool {
	return status >= 300
}
func (statusDialect) Classify(r *dialect.Response) dialect.Verdict {
	switch {
	case r.Status < 300:
		return dialect.Verdict{Class: fault.OK}
	case r.Status == 401:
		var body struct {
			Code    string `json:"errorCode"`
			Message string `json:"message"`
		}
		_ = json.Unmarshal(r.Body, &body)
		return dialect.Verdict{Class: fault.Auth, Code: body.Code, Message: body.Message}
	case r.Status == 207:
		return dialect.Verdict{Class: fault.DataFormat, Partial: true}
	}
	return dialect.Verdict{Class: fault.Server}
}
func (statusDialect) Version(string) string { return "" }

// recorded collects the calls a gateway records.
type recorded struct {
	mu    sync.Mutex
	calls []*call.Call
}

func (r *recorded) Record(c *call.Call) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, c)
}

func (r *recorded) last(t *testing.T) *call.Call {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.calls) == 0 {
		t.Fatal("no call recorded")
	}
	return r.calls[len(r.calls)-1]
}

// setup starts a gateway in front of rawURL (upstream "crm") on loopback.
func setup(t *testing.T, rawURL string, timeout time.Duration) (*httptest.Server, *recorded) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorded{}
	g := New(Options{
		Upstreams: []Upstream{{
			Name: "crm", URL: u, Dialect: statusDialect{}, Timeout: timeout,
			ClientHeader: "X-Client-Id",
			Transport:    upstream.New(statusDialect{}, upstream.Options{}),
		}},
		Recorder:    rec,
		Redactor:    redact.Redactor{MaskPersonal: true},
		SampleBytes: 1024,
	})
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	return srv, rec
}

func TestGateway_ForwardsTransparently(t *testing.T) {
	var got struct {
		method, path, rawQuery, auth, xff, xfh, xfp, host, conn, custom string
		body                                                            []byte
	}
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.method, got.path, got.rawQuery = r.Method, r.URL.EscapedPath(), r.URL.RawQuery
		got.auth, got.custom = r.Header.Get("Authorization"), r.Header.Get("X-Custom")
		got.xff, got.xfh, got.xfp = r.Header.Get("X-Forwarded-For"), r.Header.Get("X-Forwarded-Host"), r.Header.Get("X-Forwarded-Proto")
		got.host, got.conn = r.Host, r.Header.Get("X-Hop")
		got.body, _ = io.ReadAll(r.Body)
		w.Header().Set("X-Upstream", "yes")
		w.Header().Set("Connection", "X-Upstream-Hop")
		w.Header().Set("X-Upstream-Hop", "secret-hop")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"id":"003"}`)
	}))
	defer crm.Close()
	gw, rec := setup(t, crm.URL+"/base", 5*time.Second)

	req, _ := http.NewRequest(http.MethodPatch, gw.URL+"/crm/services/data/v59.0/sobjects/Contact/a%2Fb?x=1&y=%20z", strings.NewReader(`{"Name":"Ann"}`))
	req.Header.Set("Authorization", "Bearer abc.def")
	req.Header.Set("X-Custom", "kept")
	req.Header.Set("Connection", "X-Hop")
	req.Header.Set("X-Hop", "dropped")
	req.Header.Set("X-Client-Id", "shop")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()

	checks := []struct{ name, got, want string }{
		{"method", got.method, "PATCH"},
		{"path (base kept, /crm stripped, escaping kept)", got.path, "/base/services/data/v59.0/sobjects/Contact/a%2Fb"},
		{"query", got.rawQuery, "x=1&y=%20z"},
		{"authorization", got.auth, "Bearer abc.def"},
		{"custom header", got.custom, "kept"},
		{"hop-by-hop request header", got.conn, ""},
		{"x-forwarded-for", got.xff, "127.0.0.1"},
		{"x-forwarded-host", got.xfh, strings.TrimPrefix(gw.URL, "http://")},
		{"x-forwarded-proto", got.xfp, "http"},
		{"host is the CRM's", got.host, strings.TrimPrefix(crm.URL, "http://")},
		{"request body", string(got.body), `{"Name":"Ann"}`},
		{"status", fmt.Sprint(resp.StatusCode), "201"},
		{"response body", string(body), `{"id":"003"}`},
		{"response header", resp.Header.Get("X-Upstream"), "yes"},
		{"hop-by-hop response header", resp.Header.Get("X-Upstream-Hop"), ""},
		{"class header", resp.Header.Get(HeaderClass), "ok"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q; want %q", c.name, c.got, c.want)
		}
	}
	id := resp.Header.Get(HeaderCallID)
	if !call.ID(id).Valid() {
		t.Fatalf("%s = %q; want a call id", HeaderCallID, id)
	}
	c := rec.last(t)
	if string(c.ID) != id || c.Upstream != "crm" || c.Method != "PATCH" || c.Class != fault.OK || c.Status != 201 ||
		c.Client != "shop" || c.BytesIn != 14 || c.BytesOut != 12 || c.Attempts != 1 ||
		c.Operation != "/services/data/v59.0/sobjects/Contact/{id}" {
		t.Errorf("recorded call = %+v", *c)
	}
	if c.RequestSample != "" || c.ResponseSample != "" {
		t.Errorf("successful call kept samples: %q %q", c.RequestSample, c.ResponseSample)
	}
}

func TestGateway_StreamsLargeGzipAndChunkedBodies(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<18) // 4 MiB
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, _ := io.ReadAll(r.Body)
		sum := sha256.Sum256(in)
		w.Header().Set("X-Request-Sum", fmt.Sprintf("%x", sum))
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w) // no Content-Length: chunked
		_, _ = zw.Write(big)
		_ = zw.Close()
	}))
	defer crm.Close()
	gw, rec := setup(t, crm.URL, 10*time.Second)

	pr, pw := io.Pipe()
	go func() {
		for i := 0; i < len(big); i += 1 << 16 {
			_, _ = pw.Write(big[i : i+1<<16])
		}
		_ = pw.Close()
	}()
	req, _ := http.NewRequest(http.MethodPost, gw.URL+"/crm/upload", pr) // chunked request
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding = %q; want gzip passed through", resp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, big) {
		t.Errorf("response body: got %d bytes, want the %d sent", len(out), len(big))
	}
	if want := fmt.Sprintf("%x", sha256.Sum256(big)); resp.Header.Get("X-Request-Sum") != want {
		t.Errorf("CRM saw a different request body")
	}
	resp.Body.Close()
	waitRecorded(t, rec, 1)
	if c := rec.last(t); c.BytesIn != int64(len(big)) || c.Class != fault.OK {
		t.Errorf("recorded BytesIn = %d class %s; want %d ok", c.BytesIn, c.Class, len(big))
	}
}

func waitRecorded(t *testing.T, rec *recorded, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		rec.mu.Lock()
		got := len(rec.calls)
		rec.mu.Unlock()
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d calls recorded; want %d", got, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestGateway_Unrouted(t *testing.T) {
	gw, _ := setup(t, "http://127.0.0.1:1", time.Second)
	resp, err := http.Get(gw.URL + "/nope/x")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 404 || resp.Header.Get("Content-Type") != "application/problem+json" ||
		p["class"] != "parameter" || !strings.Contains(fmt.Sprint(p["detail"]), `"/nope/x"`) ||
		resp.Header.Get(HeaderCallID) == "" {
		t.Errorf("unrouted answer: %d %v %v", resp.StatusCode, resp.Header, p)
	}
}

// TestGateway_TransportFaults covers the faults crmguard itself observes:
// each gets its class, a problem body and the right status.
func TestGateway_TransportFaults(t *testing.T) {
	refused := freePort(t) // nothing listens there
	stall := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	defer stall.Close()
	resetMid := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100000")
		w.WriteHeader(200)
		_, _ = w.Write(bytes.Repeat([]byte("x"), 1000))
		w.(http.Flusher).Flush()
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		conn.(*net.TCPConn).SetLinger(0)
		conn.Close()
	}))
	defer resetMid.Close()
	resetErrorBody := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "5000")
		w.WriteHeader(500)
		_, _ = w.Write([]byte(`{"partial":`))
		w.(http.Flusher).Flush()
		conn, _, _ := http.NewResponseController(w).Hijack()
		conn.(*net.TCPConn).SetLinger(0)
		conn.Close()
	}))
	defer resetErrorBody.Close()

	tests := []struct {
		name    string
		url     string
		status  int // 0: the response breaks off (no status to check)
		class   fault.Class
		timeout time.Duration
	}{
		{"refused port", "http://" + refused, 502, fault.Network, 5 * time.Second},
		{"unresolvable host", "http://crm.invalid", 502, fault.Network, 5 * time.Second},
		{"stall past timeout", stall.URL, 504, fault.Timeout, 300 * time.Millisecond},
		{"reset while reading an error body", resetErrorBody.URL, 502, fault.Network, 5 * time.Second},
		{"reset mid-response", resetMid.URL, 0, fault.Network, 5 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gw, rec := setup(t, tc.url, tc.timeout)
			resp, err := http.Get(gw.URL + "/crm/services/data/v59.0/limits")
			if tc.status == 0 {
				if err == nil {
					_, err = io.ReadAll(resp.Body)
					resp.Body.Close()
				}
				if err == nil {
					t.Fatal("the client read a complete response; want it broken off")
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				var p map[string]any
				_ = json.NewDecoder(resp.Body).Decode(&p)
				resp.Body.Close()
				if resp.StatusCode != tc.status {
					t.Errorf("status = %d; want %d", resp.StatusCode, tc.status)
				}
				if got := resp.Header.Get(HeaderClass); got != tc.class.String() {
					t.Errorf("%s = %q; want %q", HeaderClass, got, tc.class)
				}
				if p["class"] != tc.class.String() || p["call_id"] != resp.Header.Get(HeaderCallID) ||
					p["remediation"] == "" || p["detail"] == "" || p["status"] != float64(tc.status) {
					t.Errorf("problem body = %v", p)
				}
			}
			waitRecorded(t, rec, 1)
			c := rec.last(t)
			if c.Class != tc.class || !c.Retryable || c.Message == "" || c.Remediation == "" {
				t.Errorf("recorded class %s retryable %v message %q remediation %q; want %s, retryable, with message and remediation",
					c.Class, c.Retryable, c.Message, c.Remediation, tc.class)
			}
		})
	}
}

func TestGateway_ClientCancelIsCanceled(t *testing.T) {
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer crm.Close()
	gw, rec := setup(t, crm.URL, 10*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, gw.URL+"/crm/x", nil)
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Fatal("request succeeded; want the client's deadline to end it")
	}
	waitRecorded(t, rec, 1)
	if c := rec.last(t); c.Class != fault.Canceled || c.Status != statusClientClosed {
		t.Errorf("recorded class %s status %d; want canceled 499", c.Class, c.Status)
	}
}

func TestGateway_ErrorHeadersAndSamples(t *testing.T) {
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(401)
		// The CRM echoes the session token it was sent.
		_, _ = io.WriteString(w, `{"errorCode":"INVALID_SESSION_ID","message":"Session 00Dxx0000001gPL!ARabcdefghijklmnopqrstuvwx expired for jane.doe@example.com"}`)
	}))
	defer crm.Close()
	gw, rec := setup(t, crm.URL, 5*time.Second)
	req, _ := http.NewRequest(http.MethodPost, gw.URL+"/crm/x?api_key=k-123456789", strings.NewReader(`{"password":"hunter22","Phone":"+1 415 555 2671"}`))
	req.Header.Set("Authorization", "Bearer 00Dxx0000001gPL!ARabcdefghijklmnopqrstuvwx")
	req.Header.Set("Cookie", "sid=cookie-secret-1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 401 || resp.Header.Get(HeaderClass) != "auth" || resp.Header.Get(HeaderVendorCode) != "INVALID_SESSION_ID" {
		t.Errorf("answer %d class %q vendor %q; want 401 auth INVALID_SESSION_ID",
			resp.StatusCode, resp.Header.Get(HeaderClass), resp.Header.Get(HeaderVendorCode))
	}
	c := rec.last(t)
	stored := c.Message + c.RequestSample + c.ResponseSample
	for _, secret := range []string{"ARabcdefghijklmnop", "hunter22", "k-123456789", "cookie-secret-1", "jane.doe@", "555 2671"} {
		if strings.Contains(stored, secret) {
			t.Errorf("stored call contains %q:\n%s", secret, stored)
		}
	}
	for _, kept := range []string{"INVALID_SESSION_ID", "POST /crm/x", "expired"} {
		if !strings.Contains(c.ResponseSample+c.RequestSample, kept) {
			t.Errorf("samples lost %q:\nreq: %s\nresp: %s", kept, c.RequestSample, c.ResponseSample)
		}
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestGateway_Upgrade: a protocol upgrade (WebSocket and the like) passes
// through with its connection intact, both ways.
func TestGateway_Upgrade(t *testing.T) {
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "echo" {
			http.Error(w, "want Upgrade: echo", http.StatusBadRequest)
			return
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
		brw.Flush()
		line, _ := brw.ReadString('\n')
		brw.WriteString("echo: " + line)
		brw.Flush()
	}))
	defer crm.Close()
	gw, rec := setup(t, crm.URL, 5*time.Second)
	conn, err := net.Dial("tcp", strings.TrimPrefix(gw.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(conn, "GET /crm/stream HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 101 || resp.Header.Get(HeaderClass) != "ok" {
		t.Fatalf("upgrade answer %d class %q; want 101 ok", resp.StatusCode, resp.Header.Get(HeaderClass))
	}
	io.WriteString(conn, "hello\n")
	got, err := br.ReadString('\n')
	if err != nil || got != "echo: hello\n" {
		t.Errorf("after the upgrade read %q, %v; want the CRM's echo", got, err)
	}
	conn.Close()
	waitRecorded(t, rec, 1)
	if c := rec.last(t); c.Status != 101 || c.Class != fault.OK {
		t.Errorf("recorded status %d class %s; want 101 ok", c.Status, c.Class)
	}
}

func TestGateway_AttemptsHeader(t *testing.T) {
	n := 0
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n++; n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer crm.Close()
	u, _ := url.Parse(crm.URL)
	d := statusDialect{}
	g := New(Options{Upstreams: []Upstream{{Name: "crm", URL: u, Dialect: d, Timeout: 5 * time.Second,
		Transport: upstream.New(d, upstream.Options{URL: u})}}})
	gw := httptest.NewServer(g)
	defer gw.Close()
	resp, err := http.Get(gw.URL + "/crm/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get(HeaderAttempts) != "2" || resp.Header.Get(HeaderClass) != "ok" {
		t.Errorf("answer %d, %s %q, class %q; want 200 after 2 attempts", resp.StatusCode, HeaderAttempts, resp.Header.Get(HeaderAttempts), resp.Header.Get(HeaderClass))
	}
}
