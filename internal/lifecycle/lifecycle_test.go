package lifecycle

import (
	"strings"
	"testing"
	"time"
)

func TestPolicy_Builtin(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		dialect, version, path string
		want                   State
		warning                string
	}{
		{"salesforce", "v59.0", "/services/data/v59.0/sobjects/Contact", Current, ""},
		{"salesforce", "v41.0", "/services/data/v41.0/query", Current, ""},
		{"salesforce", "v40.0", "/services/data/v40.0/query", Deprecated, "API version v40.0 is deprecated and retires on 2028-06-01"},
		{"salesforce", "v31.0", "/services/data/v31.0/query", Deprecated, "Summer '28"},
		{"salesforce", "v30.0", "/services/data/v30.0/query", Retired, "API version v30.0 was retired on 2025-06-01"},
		{"salesforce", "v9.0", "/services/data/v9.0/query", Retired, "Summer '22"},
		{"salesforce", "v100.0", "/services/data/v100.0/query", Current, ""},
		{"hubspot", "v3", "/crm/v3/objects/contacts", Deprecated, "retires on 2027-09-01"},
		{"hubspot", "2026-03", "/crm/objects/2026-03/contacts", Current, ""},
		{"zoho", "", "/crm/private/json/Leads/getRecords", Retired, "endpoint /crm/private was retired"},
		{"zoho", "v2", "/crm/v2/Leads", Current, ""},
		{"odoo", "xmlrpc-2", "/xmlrpc/2/db", Deprecated, "db service"},
		{"odoo", "xmlrpc-2", "/xmlrpc/2/object", Deprecated, "Odoo 22"},
		{"odoo", "jsonrpc", "/jsonrpc", Deprecated, "/jsonrpc"},
		{"odoo", "json-2", "/json/2/res.partner/search_read", Current, ""},
		{"odoo", "", "/xmlrpcx", Current, ""},
		{"dynamics", "v9.2", "/api/data/v9.2/contacts", Current, ""},
	} {
		v := New(tc.dialect, nil).Check(tc.version, tc.path, now)
		if v.State != tc.want {
			t.Errorf("%s %s %s: state %s, want %s", tc.dialect, tc.version, tc.path, v.State, tc.want)
			continue
		}
		if w := v.Warning(tc.version, tc.path); !strings.Contains(w, tc.warning) || (tc.warning == "") != (w == "") {
			t.Errorf("%s %s: warning %q, want it to contain %q", tc.dialect, tc.version, w, tc.warning)
		}
	}
}

func TestPolicy_ConfiguredFirstAndByDate(t *testing.T) {
	retire := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	p := New("salesforce", []Entry{{From: "v35.0", To: "v45.0", Retires: retire, Note: "our org upgrades early"}})
	if v := p.Check("v36.0", "/services/data/v36.0/", retire.Add(-time.Hour)); v.State != Deprecated || v.Entry.Note != "our org upgrades early" {
		t.Errorf("before the configured date: %+v, want deprecated by the configured entry", v)
	}
	if v := p.Check("v36.0", "/services/data/v36.0/", retire); v.State != Retired {
		t.Errorf("on the configured date: %s, want retired", v.State)
	}
	if v := p.Check("v31.0", "/services/data/v31.0/", retire); v.State != Deprecated || v.Entry.Note == "our org upgrades early" {
		t.Errorf("v31.0 is outside the configured range and must fall through to the built-in entry: %+v", v)
	}
}

func TestEntry_Validate(t *testing.T) {
	for _, tc := range []struct {
		e    Entry
		want string
	}{
		{Entry{}, "neither versions nor a path"},
		{Entry{From: "v1", Path: "/x"}, "both versions and a path"},
		{Entry{Path: "x"}, "must start with /"},
		{Entry{From: "vX"}, "not a version"},
		{Entry{From: "v30.0", To: "v21.0"}, "run backwards"},
		{Entry{From: "v1", Deprecated: date(2027, 1), Retires: date(2026, 1)}, "before it is deprecated"},
	} {
		err := tc.e.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%+v) = %v, want an error mentioning %q", tc.e, err, tc.want)
		}
	}
	for _, e := range Builtin() {
		if err := e.Validate(); err != nil {
			t.Errorf("built-in entry %+v: %v", e, err)
		}
	}
}

func TestCompareVersions(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"v9.0", "v10.0", -1}, {"v3", "v3.0", 0}, {"V8", "v8", 0}, {"v4_1", "v4.0", 1}, {"2026-03", "2025-09", 1},
	} {
		a, _ := parseVersion(tc.a)
		b, _ := parseVersion(tc.b)
		if got := compare(a, b); got != tc.want {
			t.Errorf("compare(%s, %s) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
