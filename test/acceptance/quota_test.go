package acceptance

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/crmguard/crmguard/internal/democrm"
)

// TestQuota_HeldBackAfterRefusal: once Salesforce refuses a call for its
// daily quota, the next calls are answered by crmguard itself (429,
// rate_limit, Retry-After) and do not reach the CRM; the remaining quota
// the CRM reported is a metric.
func TestQuota_HeldBackAfterRefusal(t *testing.T) {
	crm := democrm.New(democrm.Options{})
	var hits atomic.Int32
	crmSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		crm.ServeHTTP(w, r)
	}))
	defer crmSrv.Close()
	in := start(t, `
listen: 127.0.0.1:0
admin: {listen: 127.0.0.1:0}
store: sqlite://${DIR}/crmguard.db
upstreams:
  - {name: sf, url: "`+crmSrv.URL+`/salesforce", dialect: salesforce, quota: {pause: 30s}}
`)
	sfCall := func() *http.Response {
		resp, err := http.Get(in.gateway + "/sf/services/data/v59.0/sobjects/Contact")
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp := sfCall()
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("first call: %d", resp.StatusCode)
	}
	if err := crm.Inject(democrm.FaultSpec{Kind: democrm.Quota, Dialect: democrm.Salesforce}, 1); err != nil {
		t.Fatal(err)
	}
	resp = sfCall()
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || resp.Header.Get("Crmguard-Class") != "rate_limit" {
		t.Fatalf("quota refusal: %d %s; want 403 rate_limit", resp.StatusCode, resp.Header.Get("Crmguard-Class"))
	}
	before := hits.Load()
	resp = sfCall()
	var p map[string]any
	json.NewDecoder(resp.Body).Decode(&p)
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Crmguard-Class") != "rate_limit" || resp.Header.Get("Retry-After") == "" ||
		p["class"] != "rate_limit" || hits.Load() != before {
		t.Errorf("held-back call: %d class %q Retry-After %q body %v, CRM hit %d more times; want 429 rate_limit with Retry-After, not sent",
			resp.StatusCode, resp.Header.Get("Crmguard-Class"), resp.Header.Get("Retry-After"), p, hits.Load()-before)
	}
	if m := get(t, in.admin+"/metrics"); !strings.Contains(m, `crmguard_quota_remaining{upstream="sf",window="daily"}`) {
		t.Errorf("/metrics lacks crmguard_quota_remaining for sf's daily window")
	}
}
