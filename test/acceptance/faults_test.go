package acceptance

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/democrm"
)

// TestSampleCRMFaults_EveryKindEveryDialect injects every fault the sample
// CRM can express, in each dialect's own words, through crmguard, and
// checks the class the client is told and the class that is stored.
// Retries are off: a retry would heal a fault injected once.
func TestSampleCRMFaults_EveryKindEveryDialect(t *testing.T) {
	crm := democrm.New(democrm.Options{StallFor: 3 * time.Second, SlowFor: 50 * time.Millisecond})
	crmSrv := httptest.NewServer(crm)
	defer crmSrv.Close()
	in := start(t, `
listen: 127.0.0.1:0
admin: {listen: 127.0.0.1:0}
store: sqlite://${DIR}/crmguard.db
upstreams:
  - {name: salesforce, url: "`+crmSrv.URL+`/salesforce", dialect: salesforce, timeout: 1s, retry: {attempts: 1}}
  - {name: hubspot, url: "`+crmSrv.URL+`/hubspot", dialect: hubspot, timeout: 1s, retry: {attempts: 1}}
  - {name: odoo, url: "`+crmSrv.URL+`/odoo", dialect: odoo, timeout: 1s, retry: {attempts: 1}}
  - name: suitecrm
    url: "`+crmSrv.URL+`/suitecrm"
    dialect: suitecrm
    timeout: 1s
    retry: {attempts: 1}
    contract: {spec: testdata/suitecrm-records.yaml, base: /Api/V8, requests: "off", responses: report}
`)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	seen := map[string]bool{}
	for _, d := range democrm.Dialects() {
		for _, kind := range democrm.Kinds() {
			if !kind.Supported(d) {
				continue
			}
			t.Run(d+"/"+string(kind), func(t *testing.T) {
				id, header, partial, ok := injectOnce(t, client, crm, in, d, kind)
				if !ok {
					t.Fatalf("no sample request of %s accepts a %s fault", d, kind)
				}
				want := kind.Class()
				if kind == democrm.Drift {
					// Drift is a successful answer whose structure changed:
					// the call is ok, its record holds the version findings.
					want = "ok"
				}
				if (kind == democrm.Partial) != (partial == "true") {
					t.Errorf("Crmguard-Partial = %q for a %s fault", partial, kind)
				}
				if kind != democrm.ResetMidBody && header != want {
					// A reset midway arrives after the headers, so the
					// header cannot know; the record must.
					t.Errorf("Crmguard-Class = %q; want %q", header, want)
				}
				in.sync(t)
				var c struct {
					Class, Upstream string
					Guard           struct{ Findings []struct{ Class string } }
				}
				if code := in.api(t, "GET", "/api/v1/calls/"+id, &c); code != 200 {
					t.Fatalf("call %s: status %d", id, code)
				}
				if c.Class != want || c.Upstream != d {
					t.Errorf("stored call: class %q upstream %q; want %q %q", c.Class, c.Upstream, want, d)
				}
				seen[want] = true
				if kind == democrm.Drift {
					if len(c.Guard.Findings) == 0 || c.Guard.Findings[0].Class != "version" {
						t.Errorf("drifted answer: findings %+v, want version findings", c.Guard.Findings)
					}
					seen["version"] = true
				}
			})
		}
	}
	for _, class := range []string{"ok", "network", "timeout", "auth", "permission", "rate_limit", "parameter",
		"data_format", "version", "not_found", "conflict", "server", "unavailable", "unknown"} {
		if !seen[class] {
			t.Errorf("no fault produced class %s", class)
		}
	}
}

// injectOnce sends the sample requests of dialect d until one takes a
// forced fault of kind k, and returns that call's id and class header.
func injectOnce(t *testing.T, client *http.Client, crm *democrm.Server, in *instance, d string, k democrm.Kind) (id, class, partial string, ok bool) {
	t.Helper()
	for _, r := range democrm.SampleRequests(d) {
		path := strings.TrimPrefix(r.Path, "/"+d)
		spec := democrm.FaultSpec{Kind: k, Dialect: d, Method: r.Method, PathContains: strings.SplitN(path, "?", 2)[0]}
		if err := crm.Inject(spec, 1); err != nil {
			t.Fatal(err)
		}
		var body io.Reader
		if r.Body != "" {
			body = strings.NewReader(r.Body)
		}
		req, _ := http.NewRequest(r.Method, in.gateway+"/"+d+path, body)
		for h, vs := range r.Header {
			req.Header[h] = vs
		}
		resp, err := client.Do(req)
		if err == nil {
			id, class = resp.Header.Get("Crmguard-Call-Id"), resp.Header.Get("Crmguard-Class")
			partial = resp.Header.Get("Crmguard-Partial")
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		if crm.Pending() == 0 {
			if id == "" && k == democrm.ResetMidBody {
				// The answer broke off before crmguard's headers reached
				// the client; the newest stored call is this one.
				id = newestCall(t, in, d)
			}
			if id == "" {
				t.Fatalf("%s %s: no answer from crmguard: %v", r.Method, path, err)
			}
			return id, class, partial, true
		}
		crm.ClearInjections() // this request does not fit the fault; try the next
	}
	return "", "", "", false
}

func newestCall(t *testing.T, in *instance, upstream string) string {
	t.Helper()
	in.sync(t)
	var list struct {
		Calls []struct{ ID string } `json:"calls"`
	}
	if code := in.api(t, "GET", "/api/v1/calls?limit=1&upstream="+upstream, &list); code != 200 || len(list.Calls) != 1 {
		t.Fatalf("newest call of %s: status %d, %d calls", upstream, code, len(list.Calls))
	}
	return list.Calls[0].ID
}
