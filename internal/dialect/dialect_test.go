package dialect

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/crmguard/crmguard/internal/fault"
)

// classifyCase is one response and the verdict a dialect must give it.
type classifyCase struct {
	name      string
	method    string // default POST
	path      string
	status    int
	header    http.Header
	body      string
	truncated bool

	want      fault.Class
	code      string // the vendor code, exactly
	partial   bool
	transient bool
	// remediation, when set, must occur in Verdict.Remediation.
	remediation string
}

func runClassify(t *testing.T, d Dialect, cases []classifyCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = http.MethodPost
			}
			r := &Response{Method: method, Path: tc.path, Status: tc.status, Header: tc.header, Truncated: tc.truncated}
			if tc.body != "" {
				r.Body = []byte(tc.body)
			}
			got := d.Classify(r)
			if got.Class != tc.want {
				t.Errorf("Class = %v (code %q, message %q); want %v", got.Class, got.Code, got.Message, tc.want)
			}
			if got.Code != tc.code {
				t.Errorf("Code = %q; want %q", got.Code, tc.code)
			}
			if got.Partial != tc.partial {
				t.Errorf("Partial = %v; want %v", got.Partial, tc.partial)
			}
			if got.Transient != tc.transient {
				t.Errorf("Transient = %v; want %v", got.Transient, tc.transient)
			}
			if tc.remediation != "" && !strings.Contains(got.Remediation, tc.remediation) {
				t.Errorf("Remediation = %q; want it to contain %q", got.Remediation, tc.remediation)
			}
		})
	}
}

// inspectCase is one response head and whether a dialect must read the
// body.
type inspectCase struct {
	name         string
	method, path string
	status       int
	header       http.Header
	want         bool
}

func runInspect(t *testing.T, d Dialect, cases []inspectCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := d.Inspect(tc.method, tc.path, tc.status, tc.header); got != tc.want {
				t.Errorf("Inspect(%s, %s, %d) = %v; want %v", tc.method, tc.path, tc.status, got, tc.want)
			}
		})
	}
}

// versionCase is a request path and the version a dialect must find in it.
type versionCase struct {
	path, want string
}

func runVersion(t *testing.T, d Dialect, cases []versionCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			if got := d.Version(tc.path); got != tc.want {
				t.Errorf("Version(%q) = %q; want %q", tc.path, got, tc.want)
			}
		})
	}
}

func TestNames(t *testing.T) {
	want := []string{"salesforce", "hubspot", "dynamics", "zoho", "suitecrm", "odoo", "pipedrive", "fxiaoke", "generic"}
	if got := Names(); !slices.Equal(got, want) {
		t.Errorf("Names() = %v; want %v", got, want)
	}
	names := Names()
	names[0] = "changed"
	if Names()[0] != "salesforce" {
		t.Errorf("Names() shares its slice between calls")
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr bool
	}{
		{"salesforce", "salesforce", false},
		{"generic", "generic", false},
		{"fxiaoke", "fxiaoke", false},
		{"unknown name", "sugarcrm", true},
		{"empty", "", true},
		{"wrong case", "Salesforce", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Lookup(tc.in)
			if tc.wantErr {
				if !errors.Is(err, ErrUnknownDialect) {
					t.Fatalf("Lookup(%q) error = %v; want ErrUnknownDialect", tc.in, err)
				}
				for _, n := range Names() {
					if !strings.Contains(err.Error(), n) {
						t.Errorf("error %q does not list %q", err, n)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Lookup(%q) error = %v; want nil", tc.in, err)
			}
			if d.Name() != tc.in {
				t.Errorf("Lookup(%q).Name() = %q; want %q", tc.in, d.Name(), tc.in)
			}
		})
	}
}

func TestByStatus(t *testing.T) {
	tests := []struct {
		name   string
		status int
		want   fault.Class
	}{
		{"200 ok", 200, fault.OK},
		{"204 ok", 204, fault.OK},
		{"207 ok", 207, fault.OK},
		{"300 ok", 300, fault.OK},
		{"304 ok", 304, fault.OK},
		{"400 parameter", 400, fault.Parameter},
		{"401 auth", 401, fault.Auth},
		{"402 rate limit", 402, fault.RateLimit},
		{"403 permission", 403, fault.Permission},
		{"404 not found", 404, fault.NotFound},
		{"405 parameter", 405, fault.Parameter},
		{"406 parameter", 406, fault.Parameter},
		{"408 timeout", 408, fault.Timeout},
		{"409 conflict", 409, fault.Conflict},
		{"410 version", 410, fault.Version},
		{"412 conflict", 412, fault.Conflict},
		{"413 parameter", 413, fault.Parameter},
		{"414 parameter", 414, fault.Parameter},
		{"415 parameter", 415, fault.Parameter},
		{"422 data format", 422, fault.DataFormat},
		{"423 conflict", 423, fault.Conflict},
		{"428 parameter", 428, fault.Parameter},
		{"429 rate limit", 429, fault.RateLimit},
		{"431 parameter", 431, fault.Parameter},
		{"433 unknown outside Sugar", 433, fault.Unknown},
		{"418 unknown", 418, fault.Unknown},
		{"451 unknown", 451, fault.Unknown},
		{"428 parameter", 428, fault.Parameter},
		{"499 canceled", 499, fault.Canceled},
		{"500 server", 500, fault.Server},
		{"501 parameter", 501, fault.Parameter},
		{"502 unavailable", 502, fault.Unavailable},
		{"503 unavailable", 503, fault.Unavailable},
		{"504 timeout", 504, fault.Timeout},
		{"505 server", 505, fault.Server},
		{"521 unavailable", 521, fault.Unavailable},
		{"522 timeout", 522, fault.Timeout},
		{"599 server", 599, fault.Server},
		{"0 unknown", 0, fault.Unknown},
		{"100 unknown", 100, fault.Unknown},
		{"600 unknown", 600, fault.Unknown},
		{"negative unknown", -1, fault.Unknown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ByStatus(tc.status); got != tc.want {
				t.Errorf("ByStatus(%d) = %v; want %v", tc.status, got, tc.want)
			}
		})
	}
}

func TestPathVersion(t *testing.T) {
	tests := []struct {
		name, path, want string
	}{
		{"salesforce", "/services/data/v59.0/sobjects/Account", "v59.0"},
		{"hubspot numeric", "/crm/v3/objects/contacts", "v3"},
		{"hubspot date", "/crm/objects/2026-03/contacts", "2026-03"},
		{"hubspot beta date", "/crm/objects/2026-09-beta/contacts", "2026-09-beta"},
		{"dataverse", "/api/data/v9.2/accounts", "v9.2"},
		{"suitecrm v8", "/Api/V8/module/Accounts", "V8"},
		{"suitecrm legacy", "/service/v4_1/rest.php", "v4_1"},
		{"pipedrive v1", "/v1/deals", "v1"},
		{"xiaoshouyi", "/rest/data/v2.0/xobjects/account", "v2.0"},
		{"version wins over date", "/reports/2024-01/v2/x", "v2"},
		{"query ignored", "/api?v=v3", ""},
		{"no version", "/jsonrpc", ""},
		{"empty", "", ""},
		{"record id like v", "/records/v1abc", ""},
		{"not a month", "/x/2026-13/y", ""},
		{"not a year", "/x/1999-01/y", ""},
		{"bare v", "/v/x", ""},
		{"two dots", "/v1.2.3/x", ""},
		{"trailing dot", "/v1./x", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := PathVersion(tc.path); got != tc.want {
				t.Errorf("PathVersion(%q) = %q; want %q", tc.path, got, tc.want)
			}
		})
	}
}

func TestAggregate(t *testing.T) {
	fail := func(c fault.Class, code string) item { return item{failed: true, class: c, code: code} }
	tests := []struct {
		name    string
		items   []item
		want    fault.Class
		code    string
		partial bool
		ok      bool
	}{
		{"no items", nil, fault.OK, "", false, false},
		{"all succeeded", []item{{}, {}}, fault.OK, "", false, true},
		{"one of two failed", []item{{}, fail(fault.Conflict, "A")}, fault.Conflict, "A", true, true},
		{"all failed", []item{fail(fault.DataFormat, "A"), fail(fault.DataFormat, "B")}, fault.DataFormat, "A", false, true},
		{"most frequent wins, code from first", []item{fail(fault.DataFormat, "A"), fail(fault.Conflict, "B"), fail(fault.Conflict, "C"), {}}, fault.Conflict, "A", true, true},
		{"tie goes to first", []item{{}, fail(fault.Conflict, "A"), fail(fault.DataFormat, "B")}, fault.Conflict, "A", true, true},
		{"followers do not choose", []item{{failed: true, follower: true, class: fault.Unknown, code: "H"}, {failed: true, follower: true, class: fault.Unknown, code: "H"}, fail(fault.Parameter, "P")}, fault.Parameter, "P", false, true},
		{"only followers", []item{{failed: true, follower: true, class: fault.Unknown, code: "H"}, {}}, fault.Unknown, "H", true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := aggregate(tc.items)
			if ok != tc.ok {
				t.Fatalf("aggregate ok = %v; want %v", ok, tc.ok)
			}
			if got.Class != tc.want || got.Code != tc.code || got.Partial != tc.partial {
				t.Errorf("aggregate = {%v %q partial %v}; want {%v %q partial %v}", got.Class, got.Code, got.Partial, tc.want, tc.code, tc.partial)
			}
		})
	}
}

func TestSniffValue(t *testing.T) {
	tests := []struct {
		name, body, key, want string
	}{
		{"string", `[{"message":"x","errorCode":"MALFORMED_ID"`, "errorCode", "MALFORMED_ID"},
		{"spaces", `{ "errorCode" :  "A" }`, "errorCode", "A"},
		{"number", `{"errorCode": 20016, "errorMessage": "x`, "errorCode", "20016"},
		{"escaped quote", `{"message":"say \"hi\"","x":1}`, "message", `say "hi"`},
		{"cut in value", `{"errorCode":"MALFOR`, "errorCode", ""},
		{"key without colon first", `{"list":["errorCode"],"errorCode":"B"}`, "errorCode", "B"},
		{"object value skipped", `{"error":{"code":"X"},"code":"Y"}`, "error", ""},
		{"absent", `{"a":1}`, "errorCode", ""},
		{"empty", ``, "errorCode", ""},
		{"key at end", `{"errorCode"`, "errorCode", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := sniffValue([]byte(tc.body), tc.key); got != tc.want {
				t.Errorf("sniffValue(%q, %q) = %q; want %q", tc.body, tc.key, got, tc.want)
			}
		})
	}
}

func TestClassifyNilResponse(t *testing.T) {
	for _, d := range all() {
		t.Run(d.Name(), func(t *testing.T) {
			if got := d.Classify(nil); got.Class != fault.Unknown {
				t.Errorf("Classify(nil).Class = %v; want unknown", got.Class)
			}
		})
	}
}

func TestInspectAllocations(t *testing.T) {
	h := http.Header{"Content-Type": {"application/json"}}
	for _, d := range all() {
		t.Run(d.Name(), func(t *testing.T) {
			allocs := testing.AllocsPerRun(100, func() {
				d.Inspect(http.MethodGet, "/services/data/v59.0/sobjects/Account/001", 200, h)
				d.Inspect(http.MethodPost, "/services/data/v59.0/composite/sobjects", 200, h)
				d.Inspect(http.MethodPost, "/jsonrpc", 200, nil)
				d.Inspect(http.MethodGet, "/x", 503, h)
			})
			if allocs != 0 {
				t.Errorf("Inspect allocates %v times per run; want 0", allocs)
			}
		})
	}
}

// TestPlainReadsStream checks the rule that keeps downloads streaming: no
// dialect reads a plain successful GET.
func TestPlainReadsStream(t *testing.T) {
	paths := []string{
		"/services/data/v59.0/sobjects/Account/001",
		"/crm/v3/objects/contacts",
		"/api/data/v9.2/accounts",
		"/crm/v8/Leads",
		"/Api/V8/module/Accounts",
		"/json/2/res.partner/search_read",
		"/web/content/42",
		"/api/v2/deals",
	}
	h := http.Header{"Content-Type": {"application/octet-stream"}}
	for _, d := range all() {
		for _, p := range paths {
			if d.Inspect(http.MethodGet, p, http.StatusOK, h) {
				t.Errorf("%s.Inspect(GET %s, 200) = true; want false", d.Name(), p)
			}
		}
	}
}

// TestUnreadSuccessIsOK: a 2xx whose body was not read (Inspect said no)
// is a success in every dialect.
func TestUnreadSuccessIsOK(t *testing.T) {
	for _, name := range Names() {
		d, _ := Lookup(name)
		for _, status := range []int{200, 201, 204} {
			for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
				if got := d.Classify(&Response{Method: method, Path: "/api/v1/x/1", Status: status}); got.Class != fault.OK {
					t.Errorf("%s: %s %d with no body read = %s; want ok", name, method, status, got.Class)
				}
			}
		}
	}
}
