package democrm

import (
	"encoding/json"
	"maps"
	"strings"
	"testing"
)

// TestSampleRequests sends every sample to a fresh server without faults
// and checks the class of its answer: success, except for the samples
// meant to meet the CRM's own rejection.
func TestSampleRequests(t *testing.T) {
	for _, d := range Dialects() {
		samples := SampleRequests(d)
		if len(samples) < 10 {
			t.Errorf("%s has %d samples; want at least 10", d, len(samples))
		}
		s, base := startTest(t, Options{RequireAuth: true})
		for _, sr := range samples {
			t.Run(d+"/"+sr.Name, func(t *testing.T) {
				want := "ok"
				switch {
				case strings.Contains(sr.Name, "retired"), strings.Contains(sr.Name, "legacy"):
					want = "version"
				case strings.Contains(sr.Name, "unknown"):
					want = "parameter"
				}
				before := s.Answered()
				r := send(t, base, sr.Method, sr.Path, sr.Body, sr.Header)
				after := s.Answered()
				if after[want] != before[want]+1 {
					t.Errorf("answered %v → %v; want one more %s (status %d, body %.300s)", before, after, want, r.status, r.body)
				}
				if want == "ok" && d == Odoo && strings.Contains(string(r.body), `"error"`) {
					t.Errorf("Odoo error inside 200: %s", r.body)
				}
				if sr.Body != "" && !json.Valid([]byte(sr.Body)) {
					t.Errorf("body is not JSON: %s", sr.Body)
				}
			})
		}
	}
	if SampleRequests("zoho") != nil {
		t.Error("SampleRequests(zoho) is not nil")
	}
}

// TestSeed_Deterministic checks that seeding depends on the seed alone.
func TestSeed_Deterministic(t *testing.T) {
	a, b, c := seed(3), seed(3), seed(4)
	ra, _ := a.get("odoo/res.partner", "100")
	rb, _ := b.get("odoo/res.partner", "100")
	rc, _ := c.get("odoo/res.partner", "100")
	if !maps.Equal(ra.fields, rb.fields) {
		t.Errorf("same seed, different records: %v vs %v", ra.fields, rb.fields)
	}
	if maps.Equal(ra.fields, rc.fields) {
		t.Errorf("different seeds, same record: %v", ra.fields)
	}
	for _, tbl := range []string{"salesforce/Contact", "hubspot/contacts", "suitecrm/Contacts"} {
		if n := a.count(tbl); n != seedPeople {
			t.Errorf("%s has %d records; want %d", tbl, n, seedPeople)
		}
	}
	emails := map[string]bool{}
	for _, r := range a.all("hubspot/contacts") {
		e := r.fields["email"].(string)
		if emails[e] || !strings.HasSuffix(e, ".example") {
			t.Errorf("email %s is a duplicate or outside .example", e)
		}
		emails[e] = true
	}
}
