package acceptance

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/democrm"
	"github.com/crmguard/crmguard/internal/faultproxy"
)

// TestSockets_TransportFaults puts a fault-injecting TCP proxy between
// crmguard and the sample CRM and checks each network fault's class and
// answer, with retries off so each fault shows as it is.
func TestSockets_TransportFaults(t *testing.T) {
	p := proxiedCRM(t)
	in := start(t, `
listen: 127.0.0.1:0
admin: {listen: 127.0.0.1:0}
store: sqlite://${DIR}/crmguard.db
upstreams:
  - {name: sf, url: "`+p.URL()+`/salesforce", dialect: salesforce, timeout: 500ms, retry: {attempts: 1}, breaker: {min_calls: 1000}}
`)
	tests := []struct {
		name   string
		fault  faultproxy.Fault
		status int // 0: the answer breaks off
		class  string
	}{
		{"pass", faultproxy.Pass{}, 200, "ok"},
		{"latency under the timeout", faultproxy.Latency{Down: 50 * time.Millisecond}, 200, "ok"},
		{"latency past the timeout", faultproxy.Latency{Down: time.Second}, 504, "timeout"},
		{"reset", faultproxy.Reset{}, 502, "network"},
		{"reset mid-response", faultproxy.ResetAfter{Bytes: 300}, 0, "network"},
		{"blackhole", faultproxy.Blackhole{}, 504, "timeout"},
		{"slow bytes past the timeout", faultproxy.SlowBytes{BytesPerSecond: 200}, 504, "timeout"},
		{"closed listener", faultproxy.Refuse{}, 502, "network"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := p.Set(tc.fault); err != nil {
				t.Fatal(err)
			}
			p.CloseConnections() // kept-alive connections must see the new mode
			client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			resp, err := client.Get(in.gateway + "/sf/services/data/v59.0/sobjects/Contact")
			status, header := 0, ""
			if err == nil {
				header = resp.Header.Get("Crmguard-Class")
				if _, err := io.Copy(io.Discard, resp.Body); err == nil {
					status = resp.StatusCode
				}
				resp.Body.Close()
			}
			if status != tc.status {
				t.Errorf("status %d (header class %q, err %v); want %d", status, header, err, tc.status)
			}
			if tc.status != 0 && header != tc.class {
				t.Errorf("Crmguard-Class = %q; want %q", header, tc.class)
			}
			var list struct {
				Calls []struct{ Class string } `json:"calls"`
			}
			in.sync(t)
			if in.api(t, "GET", "/api/v1/calls?limit=1", &list); len(list.Calls) != 1 || list.Calls[0].Class != tc.class {
				t.Errorf("stored call: %+v; want class %s", list.Calls, tc.class)
			}
		})
	}
}

// TestSockets_FlappingCRM: while the CRM refuses connections the breaker
// opens and calls fail fast without reaching it; when it is back, probes
// close the breaker and calls flow again. Retries heal a single blip.
func TestSockets_FlappingCRM(t *testing.T) {
	p := proxiedCRM(t)
	in := start(t, `
listen: 127.0.0.1:0
admin: {listen: 127.0.0.1:0}
store: sqlite://${DIR}/crmguard.db
upstreams:
  - name: sf
    url: "`+p.URL()+`/salesforce"
    dialect: salesforce
    timeout: 2s
    retry: {attempts: 3, backoff: 10ms, max_backoff: 50ms}
    breaker: {failure_ratio: 0.5, min_calls: 6, window: 10s, cooldown: 500ms}
`)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	call := func() (int, string, string) {
		resp, err := client.Get(in.gateway + "/sf/services/data/v59.0/sobjects/Contact")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Crmguard-Class"), resp.Header.Get("Crmguard-Breaker")
	}
	if s, c, _ := call(); s != 200 || c != "ok" {
		t.Fatalf("healthy: %d %s", s, c)
	}
	// Down: each call tries 3 times; the breaker opens after 6 failed attempts.
	if err := p.Set(faultproxy.Refuse{}); err != nil {
		t.Fatal(err)
	}
	p.CloseConnections() // the CRM went down: its kept-alive connections go too
	var sawOpen bool
	for range 4 {
		s, c, b := call()
		if s == 503 && c == "unavailable" && b == "open" {
			sawOpen = true
			break
		}
		if c != "network" && c != "unavailable" {
			t.Fatalf("while down: %d %s", s, c)
		}
	}
	if !sawOpen {
		t.Fatal("the breaker never opened while the CRM refused connections")
	}
	// The calls that failed while down were tried three times each, and
	// every try is on the call.
	in.sync(t)
	var failed struct {
		Calls []struct{ ID string } `json:"calls"`
	}
	in.api(t, "GET", "/api/v1/calls?class=network&limit=1", &failed)
	if len(failed.Calls) != 1 {
		t.Fatalf("no network call stored: %+v", failed)
	}
	var detail struct {
		Attempts int `json:"attempts"`
		Tries    []struct {
			Class    string `json:"class"`
			Endpoint string `json:"endpoint"`
		} `json:"tries"`
	}
	in.api(t, "GET", "/api/v1/calls/"+failed.Calls[0].ID, &detail)
	if detail.Attempts != 3 || len(detail.Tries) != 3 || detail.Tries[2].Class != "network" || !strings.HasSuffix(detail.Tries[0].Endpoint, "/salesforce") {
		t.Errorf("failed call's attempts = %d, tries = %+v; want 3 network tries at the proxy", detail.Attempts, detail.Tries)
	}
	accepted := p.Stats().Accepted
	if s, _, b := call(); s != 503 || b != "open" || p.Stats().Accepted != accepted {
		t.Errorf("while open: %d breaker %q; want 503 open without connecting", s, b)
	}
	var up struct {
		Upstreams []struct {
			Endpoints []struct{ Breaker string } `json:"endpoints"`
		} `json:"upstreams"`
	}
	if in.api(t, "GET", "/api/v1/upstreams", &up); len(up.Upstreams) != 1 || up.Upstreams[0].Endpoints[0].Breaker != "open" {
		t.Errorf("/api/v1/upstreams = %+v; want sf's endpoint open", up)
	}
	// Back: after the cooldown, probes close the breaker.
	if err := p.Set(faultproxy.Pass{}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(600 * time.Millisecond)
	for range 3 {
		if s, c, _ := call(); s != 200 || c != "ok" {
			t.Fatalf("after recovery: %d %s", s, c)
		}
	}
	if in.api(t, "GET", "/api/v1/upstreams", &up); up.Upstreams[0].Endpoints[0].Breaker != "closed" {
		t.Errorf("breaker after recovery: %s; want closed", up.Upstreams[0].Endpoints[0].Breaker)
	}
	metrics := get(t, in.admin+"/metrics")
	for _, want := range []string{`,state="open",upstream="sf"} 1`, `,state="closed",upstream="sf"} 1`, `crmguard_retries_total{class="network",upstream="sf"}`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// proxiedCRM starts the sample CRM behind a fault-injecting proxy; both
// stop when the test ends.
func proxiedCRM(t *testing.T) *faultproxy.Proxy {
	t.Helper()
	crm := httptest.NewServer(democrm.New(democrm.Options{}))
	t.Cleanup(crm.Close)
	p, err := faultproxy.New(crm.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}
