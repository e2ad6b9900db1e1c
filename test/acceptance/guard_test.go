package acceptance

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/contract"
	"github.com/crmguard/crmguard/internal/democrm"
	"github.com/crmguard/crmguard/internal/shape"
)

// wiretap sits between crmguard and the sample CRM and keeps what crossed
// the wire: every request (with its body) and every response body, so a
// test can tell what the CRM saw and what it answered.
type wiretap struct {
	crm  http.Handler
	mu   sync.Mutex
	seen []wired
}

type wired struct {
	method, path, query string
	body                []byte
	status              int
	answer              []byte
}

func (w *wiretap) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := httptest.NewRecorder()
	w.crm.ServeHTTP(rec, r)
	w.mu.Lock()
	w.seen = append(w.seen, wired{r.Method, r.URL.Path, r.URL.RawQuery, body, rec.Code, rec.Body.Bytes()})
	w.mu.Unlock()
	for k, v := range rec.Header() {
		rw.Header()[k] = v
	}
	rw.WriteHeader(rec.Code)
	_, _ = rw.Write(rec.Body.Bytes())
}

func (w *wiretap) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.seen)
}

func (w *wiretap) last() wired {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.seen[len(w.seen)-1]
}

// behindTap starts the sample CRM behind a wiretap and crmguard with the
// given upstreams, where ${CRM} stands for the CRM's URL.
func behindTap(t *testing.T, crm *democrm.Server, upstreams string) (*instance, *wiretap, string) {
	t.Helper()
	tap := &wiretap{crm: crm}
	crmSrv := httptest.NewServer(tap)
	t.Cleanup(crmSrv.Close)
	in := start(t, `
listen: 127.0.0.1:0
admin: {listen: 127.0.0.1:0}
store: sqlite://${DIR}/crmguard.db
upstreams:`+strings.ReplaceAll(upstreams, "${CRM}", crmSrv.URL))
	return in, tap, crmSrv.URL
}

// storedCall reads a stored call from the admin API. The gateway records
// a call as its handler ends, which can be a moment after the client read
// the last byte; the call is looked up again until it is stored.
func (in *instance) storedCall(t *testing.T, id string, out any) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		in.sync(t)
		code := in.api(t, "GET", "/api/v1/calls/"+id, out)
		if code == http.StatusOK {
			return
		}
		if code != http.StatusNotFound || time.Now().After(deadline) {
			t.Fatalf("stored call %s: status %d", id, code)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// storedGuard is the part of a stored call the guard tests read.
type storedGuard struct {
	Class    string `json:"class"`
	Status   int    `json:"status"`
	Attempts int    `json:"attempts"`
	Guard    struct {
		Findings []struct {
			Class, In, Pointer, Rule, Sent, Expected, Message string
		} `json:"findings"`
		Changes []struct{ Pointer, Rule, From, To string } `json:"changes"`
	} `json:"guard"`
}

// firstContactID asks the sample CRM itself for a contact's id.
func firstContactID(t *testing.T, crmURL string) string {
	t.Helper()
	resp, err := http.Get(crmURL + "/suitecrm/Api/V8/module/Contacts?page[size]=1&page[number]=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Data []struct{ ID string } `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || len(doc.Data) != 1 {
		t.Fatalf("listing a contact from the sample CRM: %v (%d records)", err, len(doc.Data))
	}
	return doc.Data[0].ID
}

// TestGuard_SuiteCRMContract holds calls to the sample CRM's SuiteCRM API
// to SuiteCRM's own published V8 contract, enforced: requests that break
// it are refused with the right class and every violation, and never
// reach the CRM; requests that keep it reach the CRM byte for byte.
func TestGuard_SuiteCRMContract(t *testing.T) {
	in, tap, crmURL := behindTap(t, democrm.New(democrm.Options{}), `
  - name: suite
    url: "${CRM}/suitecrm/Api/V8"
    dialect: suitecrm
    retry: {attempts: 1}
    contract: {spec: testdata/suitecrm-v8.json, requests: enforce, responses: report}
    normalize:
      - {field: data.attributes.email1, as: email}
      - {field: data.attributes.birthdate, as: date}
`)
	id := firstContactID(t, crmURL)
	const jsonAPI = "application/vnd.api+json"
	// violation is the part of a finding each row pins down.
	type violation struct{ in, pointer, rule string }
	for _, tc := range []struct {
		name, method, path, contentType, body string
		status                                int    // what the client gets
		class                                 string // the stored call's class
		violations                            []violation
	}{
		{name: "list with paging", method: "GET", path: "/module/Contacts?page[size]=5&page[number]=2", status: 200, class: "ok"},
		{name: "list with fields and sort", method: "GET", path: "/module/Accounts?fields[Contacts]=name&sort=-name&page[size]=3", status: 200, class: "ok"},
		{name: "get one", method: "GET", path: "/module/Contacts/" + id, status: 200, class: "ok"},
		{name: "relationship", method: "GET", path: "/module/Contacts/" + id + "/relationships/accounts", status: 200, class: "ok"},
		{name: "create", method: "POST", path: "/module", contentType: jsonAPI, status: 201, class: "ok",
			body: `{"data":{"type":"Contacts","attributes":{"first_name":"Mei","last_name":"Chen","email1":"mei.chen@example.com","birthdate":"1988-02-29"}}}`},
		{name: "update", method: "PATCH", path: "/module", contentType: jsonAPI, status: 200, class: "ok",
			body: `{"data":{"type":"Contacts","id":"` + id + `","attributes":{"title":"CFO"}}}`},

		{name: "page size is not a number", method: "GET", path: "/module/Contacts?page[size]=ten", status: 400, class: "parameter",
			violations: []violation{{"query", "page[size]", "type"}}},
		{name: "id is not a uuid", method: "GET", path: "/module/Contacts/42", status: 400, class: "parameter",
			violations: []violation{{"path", "id", "format"}}},
		{name: "unknown method", method: "PUT", path: "/module", contentType: jsonAPI, body: `{"data":{}}`, status: 400, class: "parameter",
			violations: []violation{{"operation", "PUT /module", "unknown operation"}}},
		{name: "unknown path", method: "GET", path: "/modules/Contacts", status: 400, class: "parameter",
			violations: []violation{{"operation", "GET /modules/Contacts", "unknown operation"}}},
		{name: "wrong media type", method: "POST", path: "/module", contentType: "application/json", status: 400, class: "parameter",
			body:       `{"data":{"type":"Contacts","attributes":{"last_name":"Chen"}}}`,
			violations: []violation{{"header", "Content-Type", "content type"}}},
		{name: "body is not JSON", method: "POST", path: "/module", contentType: jsonAPI, body: `{"data":{"type":`, status: 422, class: "data_format",
			violations: []violation{{"body", "", "json"}}},
		{name: "two bad values", method: "POST", path: "/module", contentType: jsonAPI, status: 422, class: "data_format",
			body:       `{"data":{"type":"Contacts","attributes":{"last_name":"Chen","email1":"mei.chen@@example","birthdate":"03/04/1988"}}}`,
			violations: []violation{{"body", "/data/attributes/email1", "email"}, {"body", "/data/attributes/birthdate", "date"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := tap.count()
			req, _ := http.NewRequest(tc.method, in.gateway+"/suite"+tc.path, strings.NewReader(tc.body))
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			answer, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d; body %s", resp.StatusCode, tc.status, answer)
			}
			var c storedGuard
			if resp.Header.Get("Crmguard-Call-Id") == "" {
				t.Fatalf("no call id; headers %v body %s", resp.Header, answer)
			}
			in.storedCall(t, resp.Header.Get("Crmguard-Call-Id"), &c)
			if c.Class != tc.class {
				t.Errorf("stored class %q, want %q", c.Class, tc.class)
			}
			if len(tc.violations) == 0 {
				if tap.count() != before+1 {
					t.Fatalf("the CRM saw %d requests, want 1", tap.count()-before)
				}
				got := tap.last()
				wantPath, wantQuery, _ := strings.Cut("/suitecrm/Api/V8"+tc.path, "?")
				if got.method != tc.method || got.path != wantPath || got.query != wantQuery || string(got.body) != tc.body {
					t.Errorf("the CRM saw %s %s?%s %q; want the request unchanged", got.method, got.path, got.query, got.body)
				}
				if !bytes.Equal(answer, got.answer) {
					t.Errorf("client got %q, the CRM answered %q", answer, got.answer)
				}
				if len(c.Guard.Findings) != 0 {
					t.Errorf("findings on a good request: %+v", c.Guard.Findings)
				}
				return
			}
			if n := tap.count() - before; n != 0 {
				t.Fatalf("the CRM saw %d refused requests", n)
			}
			if c.Attempts != 0 || c.Status != tc.status {
				t.Errorf("stored attempts %d status %d; want 0 and %d", c.Attempts, c.Status, tc.status)
			}
			var problem struct {
				Class      string
				Violations []struct{ In, Pointer, Rule, Expected, Message string }
			}
			if err := json.Unmarshal(answer, &problem); err != nil {
				t.Fatalf("problem %q: %v", answer, err)
			}
			if problem.Class != tc.class || len(problem.Violations) != len(tc.violations) || len(c.Guard.Findings) != len(tc.violations) {
				t.Fatalf("problem %s: want class %s and %d violations, stored %d", answer, tc.class, len(tc.violations), len(c.Guard.Findings))
			}
			for i, v := range tc.violations {
				p := problem.Violations[i]
				if p.In != v.in || p.Pointer != v.pointer || p.Rule != v.rule || p.Message == "" || p.Expected == "" {
					t.Errorf("violation %d = %+v, want %+v with a message and what is expected", i, p, v)
				}
			}
		})
	}
}

// TestGuard_ContractDrift makes the sample CRM change the structure of
// its SuiteCRM record answers (a field removed, a type changed): clients
// still get the CRM's answers unchanged, and the drift is one incident.
func TestGuard_ContractDrift(t *testing.T) {
	crm := democrm.New(democrm.Options{})
	in, tap, crmURL := behindTap(t, crm, `
  - name: suite
    url: "${CRM}/suitecrm"
    dialect: suitecrm
    contract: {spec: testdata/suitecrm-records.yaml, base: /Api/V8, requests: "off", responses: report}
`)
	id := firstContactID(t, crmURL)
	get := func() (string, []byte) {
		resp, err := http.Get(in.gateway + "/suite/Api/V8/module/Contacts/" + id)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		return resp.Header.Get("Crmguard-Call-Id"), body
	}
	id0, _ := get() // before the drift: no finding
	if err := crm.Inject(democrm.FaultSpec{Kind: democrm.Drift}, 3); err != nil {
		t.Fatal(err)
	}
	var drifted []string
	for range 3 {
		callID, body := get()
		if !bytes.Equal(body, tap.last().answer) {
			t.Fatalf("client got %q, the CRM answered %q", body, tap.last().answer)
		}
		if bytes.Contains(body, []byte(`"last_name"`)) {
			t.Fatalf("the sample CRM did not drift: %s", body)
		}
		drifted = append(drifted, callID)
	}
	var clean storedGuard
	in.storedCall(t, id0, &clean)
	if clean.Class != "ok" || len(clean.Guard.Findings) != 0 {
		t.Errorf("call before the drift: class %s findings %+v, want ok and none", clean.Class, clean.Guard.Findings)
	}
	var c storedGuard
	in.storedCall(t, drifted[2], &c)
	rules := map[string]string{}
	for _, f := range c.Guard.Findings {
		if f.Class != "version" || f.In != "response" {
			t.Errorf("finding %+v: want class version in the response", f)
		}
		rules[f.Pointer] = f.Rule
	}
	if c.Class != "ok" || rules["/data/attributes/last_name"] != "required" || rules["/data/attributes/deleted"] != "type" {
		t.Errorf("drifted call: class %s findings %+v; want ok with last_name required and deleted's type", c.Class, c.Guard.Findings)
	}

	var list struct {
		Incidents []struct {
			Class, Operation string
			VendorCode       string `json:"vendor_code"`
			Count            int64
			FirstSeen        string   `json:"first_seen"`
			SampleCalls      []string `json:"sample_calls"`
		}
	}
	if code := in.api(t, "GET", "/api/v1/incidents", &list); code != 200 {
		t.Fatalf("incidents: status %d", code)
	}
	if len(list.Incidents) != 1 {
		t.Fatalf("%d incidents, want one contract drift incident: %+v", len(list.Incidents), list.Incidents)
	}
	inc := list.Incidents[0]
	if inc.Class != "version" || inc.VendorCode != "CONTRACT_DRIFT" || inc.Count != 3 ||
		inc.Operation != "/Api/V8/module/Contacts/{id}" || inc.FirstSeen == "" || len(inc.SampleCalls) == 0 {
		t.Errorf("incident %+v: want one version CONTRACT_DRIFT incident of 3 calls on /Api/V8/module/Contacts/{id} with samples", inc)
	}
}

// TestGuard_LearnDraftsAContract lets crmguard learn the shape of the
// SuiteCRM traffic, drafts a contract from it through the admin API, and
// holds new requests to the draft: the traffic it learned from fits it,
// a request with a changed type does not, and no value of the traffic is
// in it.
func TestGuard_LearnDraftsAContract(t *testing.T) {
	in, _, _ := behindTap(t, democrm.New(democrm.Options{}), `
  - name: suite
    url: "${CRM}/suitecrm"
    dialect: suitecrm
    contract: {learn: true}
`)
	var samples []democrm.SampleRequest
	for _, r := range democrm.SampleRequests(democrm.SuiteCRM) {
		if r.Method == http.MethodPatch { // PATCH carries a record id in its body; keep the draft to reads and creates
			continue
		}
		samples = append(samples, r)
	}
	send := func(r democrm.SampleRequest) {
		req, _ := http.NewRequest(r.Method, in.gateway+"/suite"+strings.TrimPrefix(r.Path, "/suitecrm"), strings.NewReader(r.Body))
		for h, vs := range r.Header {
			req.Header[h] = vs
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	for range 6 {
		for _, r := range samples {
			send(r)
		}
	}
	var shapes struct {
		Operations []*shape.Operation `json:"operations"`
	}
	if code := in.api(t, "GET", "/api/v1/shapes?upstream=suite", &shapes); code != 200 || len(shapes.Operations) == 0 {
		t.Fatalf("shapes: status %d, %d operations", code, len(shapes.Operations))
	}
	draft, err := shape.Render(shapes.Operations, shape.RenderOptions{Title: "suite"})
	if err != nil {
		t.Fatal(err)
	}
	for _, value := range []string{"jordan.rivera@northwind-traders.example", "Rivera", "555 0142"} {
		if bytes.Contains(draft, []byte(value)) {
			t.Errorf("the draft holds %q from the traffic", value)
		}
	}
	spec, err := contract.Parse(draft, "draft", contract.Options{})
	if err != nil {
		t.Fatalf("the draft does not load: %v\n%s", err, draft)
	}
	for _, r := range samples {
		path, query, _ := strings.Cut(strings.TrimPrefix(r.Path, "/suitecrm"), "?")
		var body []byte
		if r.Body != "" {
			body = []byte(r.Body)
		}
		if got := spec.Request(r.Method, path, query, r.Header, body); len(got) != 0 {
			t.Errorf("%s %s breaks the draft learned from it: %+v", r.Method, r.Path, got)
		}
	}
	bad := `{"data":{"type":"Contacts","attributes":{"first_name":7,"last_name":"Chen"}}}`
	if got := spec.Request("POST", "/Api/V8/module", "", http.Header{"Content-Type": {"application/vnd.api+json"}}, []byte(bad)); len(got) == 0 {
		t.Error("a create with first_name as a number fits the draft; want a type violation")
	}
}
