package gateway

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/call"
	"github.com/crmguard/crmguard/internal/contract"
	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/lifecycle"
	"github.com/crmguard/crmguard/internal/normalize"
	"github.com/crmguard/crmguard/internal/redact"
	"github.com/crmguard/crmguard/internal/upstream"
)

// journalCRM answers like a small contacts CRM and keeps every request
// it received, so tests can tell what reached it.
type journalCRM struct {
	mu   sync.Mutex
	seen []seenRequest
	// contact is the body GET /contacts/{id} answers.
	contact string
}

type seenRequest struct {
	method, path, query string
	contentLength       int64
	body                string
}

func (j *journalCRM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	j.mu.Lock()
	j.seen = append(j.seen, seenRequest{r.Method, r.URL.Path, r.URL.RawQuery, r.ContentLength, string(body)})
	contact := j.contact
	j.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodPost:
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id":1}`))
	case strings.HasPrefix(r.URL.Path, "/api/contacts/"):
		_, _ = w.Write([]byte(contact))
	default:
		_, _ = w.Write([]byte(`[]`))
	}
}

func (j *journalCRM) requests() []seenRequest {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]seenRequest(nil), j.seen...)
}

// guarded starts a CRM and a gateway (upstream "crm" at /api) guarding it.
func guarded(t *testing.T, gd Guard) (*httptest.Server, *journalCRM, *recorded) {
	t.Helper()
	crm := &journalCRM{contact: `{"id":7,"name":"Ada","status":"lead"}`}
	crmSrv := httptest.NewServer(crm)
	t.Cleanup(crmSrv.Close)
	u, _ := url.Parse(crmSrv.URL + "/api")
	if gd.MaxBody == 0 {
		gd.MaxBody = 1 << 20
	}
	rec := &recorded{}
	g := New(Options{
		Upstreams: []Upstream{{
			Name: "crm", URL: u, Dialect: statusDialect{}, Timeout: 5 * time.Second,
			Transport: upstream.New(statusDialect{}, upstream.Options{}),
			Guard:     gd,
		}},
		Recorder:    rec,
		Redactor:    redact.Redactor{MaskPersonal: true},
		SampleBytes: 1024,
	})
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	return srv, crm, rec
}

func spec(t *testing.T) *contract.Spec {
	t.Helper()
	s, err := contract.Load("testdata/contacts.yaml", contract.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var jsonType = http.Header{"Content-Type": {"application/json"}}

// problemBody is the part of a problem answer the tests read.
type problemBody struct {
	Status     int            `json:"status"`
	Class      string         `json:"class"`
	Violations []call.Finding `json:"violations"`
}

func TestGuard_EnforceRefusesBeforeTheCRM(t *testing.T) {
	srv, crm, rec := guarded(t, Guard{Contract: spec(t), Requests: ContractEnforce})
	resp, body := send(t, "POST", srv.URL+"/crm/contacts", jsonType, `{"name":"Adelaide","age":"x"}`)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422; body %s", resp.StatusCode, body)
	}
	var p problemBody
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatalf("problem body %q: %v", body, err)
	}
	if p.Class != "data_format" || len(p.Violations) != 2 || p.Violations[0].Pointer != "/age" || p.Violations[1].Pointer != "/name" {
		t.Errorf("problem %+v: want data_format with violations at /age and /name", p)
	}
	if got := resp.Header.Get(HeaderClass); got != "data_format" {
		t.Errorf("%s = %q, want data_format", HeaderClass, got)
	}
	resp, body = send(t, "GET", srv.URL+"/crm/contacts?limit=ten", nil, "")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `"class":"parameter"`) {
		t.Errorf("bad query: status %d body %s, want 400 parameter", resp.StatusCode, body)
	}
	resp, _ = send(t, "DELETE", srv.URL+"/crm/contacts", nil, "")
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown operation: status %d, want 400", resp.StatusCode)
	}
	if got := crm.requests(); len(got) != 0 {
		t.Fatalf("the CRM saw %d refused requests: %+v", len(got), got)
	}
	waitRecorded(t, rec, 3)
	c := rec.calls[0]
	if c.Class != fault.DataFormat || c.Status != 422 || c.Attempts != 0 || len(c.Guard.Findings) != 2 || c.BytesIn == 0 {
		t.Errorf("recorded %+v: want data_format, 422, no attempt, two findings, body counted", c)
	}

	const good = `{"name": "Ada",  "email":"ada@example.com"}`
	resp, _ = send(t, "POST", srv.URL+"/crm/contacts", jsonType, good)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("good request: status %d, want 201", resp.StatusCode)
	}
	got := crm.requests()
	if len(got) != 1 || got[0].body != good || got[0].path != "/api/contacts" {
		t.Errorf("the CRM saw %+v, want the good request unchanged", got)
	}
}

func TestGuard_ReportForwardsAndRecords(t *testing.T) {
	srv, crm, rec := guarded(t, Guard{Contract: spec(t), Requests: ContractReport})
	resp, _ := send(t, "POST", srv.URL+"/crm/contacts", jsonType, `{"name":"Adelaide"}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("status %d, want the CRM's 201", resp.StatusCode)
	}
	if n := len(crm.requests()); n != 1 {
		t.Fatalf("the CRM saw %d requests, want 1", n)
	}
	waitRecorded(t, rec, 1)
	c := rec.last(t)
	if c.Class != fault.OK || len(c.Guard.Findings) != 1 || c.Guard.Findings[0].Rule != "maxLength" {
		t.Errorf("recorded class %s findings %+v: want ok with one maxLength finding", c.Class, c.Guard.Findings)
	}
	if c.RequestSample == "" {
		t.Error("a call with findings keeps its request sample")
	}
}

func TestGuard_NormalizesBeforeForwarding(t *testing.T) {
	n, err := normalize.Compile([]normalize.Rule{
		{Field: "birthdate", As: "date"},
		{Field: "phone", As: "phone", Region: "DE"},
		{Field: "email", As: "email"},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv, crm, rec := guarded(t, Guard{Normalize: n})
	resp, _ := send(t, "POST", srv.URL+"/crm/contacts", jsonType,
		`{"birthdate":"3 Apr 1990","phone":"030 123456","email":" Ada@Example.COM "}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("status %d, want 201", resp.StatusCode)
	}
	want := `{"birthdate":"1990-04-03","phone":"+4930123456","email":"Ada@example.com"}`
	got := crm.requests()
	if len(got) != 1 || got[0].body != want || got[0].contentLength != int64(len(want)) {
		t.Fatalf("the CRM saw %+v, want body %s with its own length", got, want)
	}
	waitRecorded(t, rec, 1)
	if ch := rec.last(t).Guard.Changes; len(ch) != 3 || ch[0].Pointer != "/birthdate" || ch[0].To != "1990-04-03" {
		t.Errorf("changes %+v: want three, the first /birthdate to 1990-04-03", ch)
	}

	resp, body := send(t, "POST", srv.URL+"/crm/contacts", jsonType, `{"birthdate":"03/04/1990"}`)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `"rule":"date"`) {
		t.Errorf("ambiguous date: status %d body %s, want 422 with a date violation", resp.StatusCode, body)
	}
	if n := len(crm.requests()); n != 1 {
		t.Errorf("the CRM saw the ambiguous date: %d requests", n)
	}
}

func TestGuard_DriftIsRecordedNotBreaking(t *testing.T) {
	srv, crm, rec := guarded(t, Guard{Contract: spec(t), Responses: true})
	crm.mu.Lock()
	drifted := `{"id":"7","status":"archived"}`
	crm.contact = drifted
	crm.mu.Unlock()
	resp, body := send(t, "GET", srv.URL+"/crm/contacts/7", nil, "")
	if resp.StatusCode != 200 || body != drifted {
		t.Fatalf("client got %d %q, want the CRM's answer unchanged", resp.StatusCode, body)
	}
	waitRecorded(t, rec, 1)
	c := rec.last(t)
	drift := c.Guard.Drift()
	if c.Class != fault.OK || len(drift) != 3 {
		t.Fatalf("recorded class %s drift %+v: want ok with three drift findings", c.Class, drift)
	}
	if !strings.Contains(c.ResponseSample, `"archived"`) {
		t.Errorf("response sample %q: want the drifted body as the example", c.ResponseSample)
	}
}

func TestGuard_VersionPolicy(t *testing.T) {
	now := func() time.Time { return time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC) }
	policy := lifecycle.New("", []lifecycle.Entry{
		{Path: "/old", Retires: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Note: "use /contacts"},
		{Path: "/contacts", Deprecated: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), Retires: time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)},
	})
	srv, crm, _ := guarded(t, Guard{Versions: policy, EnforceVersions: true, Now: now})
	resp, _ := send(t, "GET", srv.URL+"/crm/contacts", nil, "")
	if resp.StatusCode != 200 {
		t.Fatalf("deprecated: status %d, want the CRM's 200", resp.StatusCode)
	}
	if w := resp.Header.Get("Warning"); !strings.HasPrefix(w, `299 crmguard "endpoint /contacts is deprecated and retires on 2027-06-01`) {
		t.Errorf("Warning %q", w)
	}
	if d := resp.Header.Get("Deprecation"); d != "@1780272000" {
		t.Errorf("Deprecation %q, want @1780272000 (2026-06-01)", d)
	}
	if s := resp.Header.Get("Sunset"); s != "Tue, 01 Jun 2027 00:00:00 GMT" {
		t.Errorf("Sunset %q", s)
	}
	resp, body := send(t, "GET", srv.URL+"/crm/old/x", nil, "")
	if resp.StatusCode != http.StatusGone || !strings.Contains(body, `"class":"version"`) || resp.Header.Get("Sunset") == "" {
		t.Errorf("retired: status %d body %s headers %v, want 410 version with Sunset", resp.StatusCode, body, resp.Header)
	}
	if got := crm.requests(); len(got) != 1 {
		t.Errorf("the CRM saw %d requests, want only the deprecated one", len(got))
	}
}
