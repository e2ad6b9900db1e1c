package upstream

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/breaker"
	"github.com/crmguard/crmguard/internal/dialect"
	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/retry"
)

// script answers with the given statuses in turn, then 200.
func script(statuses ...int) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		i := int(n.Add(1)) - 1
		if i < len(statuses) {
			if statuses[i] == 429 {
				w.Header().Set("Retry-After", "0")
			}
			w.WriteHeader(statuses[i])
			return
		}
		io.WriteString(w, `{"ok":true}`)
	}))
	return srv, &n
}

func newTransport(t *testing.T, primary string, o Options) *Transport {
	t.Helper()
	u, err := url.Parse(primary)
	if err != nil {
		t.Fatal(err)
	}
	o.URL = u
	if o.Retry.Attempts == 0 {
		o.Retry.Attempts = 3
	}
	o.Retry.Backoff, o.Retry.MaxBackoff = time.Millisecond, 2*time.Millisecond
	return New(dialect.Generic{}, o)
}

func send(t *testing.T, tr *Transport, method, target, body string, h http.Header) (*http.Response, *Outcome, error) {
	t.Helper()
	_, resp, o, err := sendVia(t, tr, method, target, body, h)
	return resp, o, err
}

func TestTransport_Retries(t *testing.T) {
	tests := []struct {
		name     string
		statuses []int
		method   string
		header   http.Header
		status   int // final status
		attempts int
	}{
		{"GET after two 503s", []int{503, 503}, "GET", nil, 200, 3},
		{"GET gives up after attempts", []int{503, 503, 503}, "GET", nil, 503, 3},
		{"POST not sent again after a 500", []int{500}, "POST", nil, 500, 1},
		{"POST with Idempotency-Key sent again", []int{500}, "POST", http.Header{"Idempotency-Key": {"k1"}}, 200, 2},
		{"POST after a 429 (not processed)", []int{429}, "POST", nil, 200, 2},
		{"PUT after a 502", []int{502}, "PUT", nil, 200, 2},
		{"no retry for a 400", []int{400}, "GET", nil, 400, 1},
		{"no retry for a 403", []int{403}, "GET", nil, 403, 1},
		{"no retry for a 401", []int{401}, "GET", nil, 401, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, hits := script(tc.statuses...)
			defer srv.Close()
			tr := newTransport(t, srv.URL, Options{})
			resp, o, err := send(t, tr, tc.method, srv.URL+"/x", `{"a":1}`, tc.header)
			if err != nil {
				t.Fatal(err)
			}
			if len(o.Tries) != o.Attempts || o.Tries[len(o.Tries)-1].Status != tc.status {
				t.Errorf("tries = %+v; want one per attempt, the last with status %d", o.Tries, tc.status)
			}
			if resp.StatusCode != tc.status || o.Attempts != tc.attempts || int(hits.Load()) != tc.attempts {
				t.Errorf("status %d after %d attempts (%d hits); want %d after %d", resp.StatusCode, o.Attempts, hits.Load(), tc.status, tc.attempts)
			}
		})
	}
}

func TestTransport_RetriesResendTheBody(t *testing.T) {
	var bodies []string
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, string(b))
		if n++; n == 1 {
			w.WriteHeader(503)
		}
	}))
	defer srv.Close()
	tr := newTransport(t, srv.URL, Options{})
	if _, _, err := send(t, tr, "PUT", srv.URL+"/x", `{"Name":"Ann"}`, nil); err != nil {
		t.Fatal(err)
	}
	if len(bodies) != 2 || bodies[0] != `{"Name":"Ann"}` || bodies[1] != bodies[0] {
		t.Errorf("bodies = %q; want the same body twice", bodies)
	}
}

func TestTransport_WaitNeverOutlastsTheDeadline(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(429)
	}))
	defer srv.Close()
	tr := newTransport(t, srv.URL, Options{})
	start := time.Now()
	resp, o, err := send(t, tr, "GET", srv.URL+"/x", "", nil)
	if err != nil || resp.StatusCode != 429 || o.Attempts != 1 || time.Since(start) > time.Second {
		t.Errorf("got %v %v after %d attempts in %v; want the 429 at once: a 30s wait would outlast the 5s deadline",
			resp, err, o.Attempts, time.Since(start))
	}
}

func TestTransport_BreakerOpensAndFailsOver(t *testing.T) {
	primary, hitsA := script(500, 500, 500, 500, 500, 500, 500, 500, 500, 500)
	defer primary.Close()
	standby, hitsB := script()
	defer standby.Close()
	bu, _ := url.Parse(standby.URL + "/")
	tr := newTransport(t, primary.URL, Options{
		Retry:    retry.Policy{Attempts: 1},
		Breaker:  breaker.Options{MinCalls: 4, FailureRatio: 0.5, Cooldown: time.Hour},
		Failover: []*url.URL{bu},
	})
	for range 4 {
		send(t, tr, "GET", primary.URL+"/x", "", nil)
	}
	if st := tr.Endpoints(); st[0].Breaker != "open" || st[1].Breaker != "closed" {
		t.Fatalf("endpoints = %+v; want primary open, standby closed", st)
	}
	resp, _, err := send(t, tr, "GET", primary.URL+"/x", "", nil)
	if err != nil || resp.StatusCode != 200 || hitsB.Load() != 1 || hitsA.Load() != 4 {
		t.Errorf("after the breaker opened: %v %v, primary hits %d, standby hits %d; want 200 from the standby",
			resp, err, hitsA.Load(), hitsB.Load())
	}
}

func TestTransport_AllOpenFailsFast(t *testing.T) {
	srv, hits := script(503, 503, 503, 503)
	defer srv.Close()
	tr := newTransport(t, srv.URL, Options{
		Retry:   retry.Policy{Attempts: 1},
		Breaker: breaker.Options{MinCalls: 2, FailureRatio: 0.5, Cooldown: time.Hour},
	})
	send(t, tr, "GET", srv.URL+"/x", "", nil)
	send(t, tr, "GET", srv.URL+"/x", "", nil)
	_, o, err := send(t, tr, "GET", srv.URL+"/x", "", nil)
	var open *OpenError
	var fe *fault.Error
	if !errors.As(err, &open) || !errors.As(err, &fe) || fe.Class != fault.Unavailable || open.RetryIn <= 0 {
		t.Fatalf("err = %v; want an unavailable *fault.Error wrapping an *OpenError", err)
	}
	if hits.Load() != 2 || o.Attempts != 0 || o.Verdict.Class != fault.Unavailable {
		t.Errorf("hits %d, attempts %d, class %s; want the third call not sent", hits.Load(), o.Attempts, o.Verdict.Class)
	}
}

func TestTransport_QuotaWithoutResetIsNotRetried(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusTooManyRequests) // no Retry-After, no reset header
	}))
	defer srv.Close()
	tr := newTransport(t, srv.URL, Options{})
	resp, o, err := send(t, tr, "GET", srv.URL+"/x", "", nil)
	if err != nil || resp.StatusCode != 429 || o.Attempts != 1 || hits.Load() != 1 {
		t.Errorf("got %v %v after %d attempts; want the 429 after one: no reset time was given", resp, err, o.Attempts)
	}
}

func TestTransport_QuotaGateHoldsCallsBack(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	tr := newTransport(t, srv.URL, Options{})
	if resp, _, _ := send(t, tr, "GET", srv.URL+"/x", "", nil); resp == nil || resp.StatusCode != 429 {
		t.Fatalf("first call: %v; want the CRM's 429", resp)
	}
	_, o, err := send(t, tr, "GET", srv.URL+"/x", "", nil)
	var held *QuotaError
	if !errors.As(err, &held) || held.RetryIn < 25*time.Second || o.Verdict.Class != fault.RateLimit || hits.Load() != 1 {
		t.Errorf("second call: err %v, class %s, CRM hit %d times; want held back (rate_limit) for about 30s, not sent",
			err, o.Verdict.Class, hits.Load())
	}
}

// TestTransport_QuotaReserveHoldsBackgroundCalls: once the CRM reports
// less than the reserve left, background calls wait; interactive calls
// still go.
func TestTransport_QuotaReserveHoldsBackgroundCalls(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Sforce-Limit-Info", "api-usage=4600/5000") // 8% left
	}))
	defer srv.Close()
	tr := newTransport(t, srv.URL, Options{QuotaReserve: 0.1, QuotaPause: time.Minute})
	background := func() (*Outcome, error) {
		o := &Outcome{}
		req, _ := http.NewRequestWithContext(WithBackground(WithOutcome(t.Context(), o)), "PATCH", srv.URL+"/x", nil)
		resp, err := tr.RoundTrip(req)
		if resp != nil {
			resp.Body.Close()
		}
		return o, err
	}
	if _, err := background(); err != nil || hits.Load() != 1 {
		t.Fatalf("first background call: %v, CRM hit %d; want it sent (the quota was not known yet)", err, hits.Load())
	}
	o, err := background()
	var held *QuotaError
	if !errors.As(err, &held) || held.Reserve != "daily" || held.RetryIn < 55*time.Second || held.RetryIn > time.Minute || o.Verdict.Class != fault.RateLimit || o.Reached || hits.Load() != 1 {
		t.Fatalf("background call below the reserve: err %v, class %s, CRM hit %d; want held for the pause, not sent", err, o.Verdict.Class, hits.Load())
	}
	if resp, _, err := send(t, tr, "GET", srv.URL+"/x", "", nil); err != nil || resp.StatusCode != 200 || hits.Load() != 2 {
		t.Fatalf("interactive call below the reserve: %v; want it sent", err)
	}
}
