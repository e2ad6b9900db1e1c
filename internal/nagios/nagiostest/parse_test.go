package nagiostest

import (
	"strings"
	"testing"
)

// TestParse_Rejects shows the parser is strict enough to catch output a
// monitoring system would misread.
func TestParse_Rejects(t *testing.T) {
	tests := []struct {
		name, out, want string
	}{
		{"no newline", "CRMGUARD X OK - fine", "does not end in a newline"},
		{"lower-case status", "CRMGUARD X ok - fine\n", "is not [SERVICE ]STATUS"},
		{"no text", "CRMGUARD X OK\n", "is not [SERVICE ]STATUS"},
		{"unknown status", "CRMGUARD X FINE - fine\n", "is not [SERVICE ]STATUS"},
		{"unquoted label", "CRMGUARD X OK - fine | calls=3\n", "is not 'label'=value"},
		{"exponent", "CRMGUARD X OK - fine | 'calls'=3e2\n", "is not 'label'=value"},
		{"unknown unit", "CRMGUARD X OK - fine | 'lat'=3sec\n", "is not 'label'=value"},
		{"bad range", "CRMGUARD X OK - fine | 'x'=3;1:2:3\n", "is not 'label'=value"},
		{"too many fields", "CRMGUARD X OK - fine | 'x'=3;1;2;0;4;5\n", "is not 'label'=value"},
		{"lone quote in label", "CRMGUARD X OK - fine | 'it's'=3\n", "is not 'label'=value"},
		{"pipe in long output", "CRMGUARD X OK - fine\nmore | 'y'=1\n", "has a '|'"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := Parse(tc.out)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse(%q) = %+v, %v; want an error containing %q", tc.out, o, err, tc.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	o, err := Parse("CRMGUARD ERROR_RATE CRITICAL - sf error rate 12.5% over 5m | 'sf_error_rate'=0.125;0.05;0.1;0;1 'a b''c'=U 'lat'=0.3s;~:1;@2:3;;9\nline 1\nline 2\n")
	if err != nil {
		t.Fatal(err)
	}
	if o.Service != "CRMGUARD ERROR_RATE" || o.Status != "CRITICAL" || o.Text != "sf error rate 12.5% over 5m" || len(o.Long) != 2 {
		t.Errorf("Parse = %+v", o)
	}
	want := []Perf{
		{Label: "sf_error_rate", Value: "0.125", Warn: "0.05", Crit: "0.1", Min: "0", Max: "1"},
		{Label: "a b'c", Value: "U"},
		{Label: "lat", Value: "0.3", UOM: "s", Warn: "~:1", Crit: "@2:3", Max: "9"},
	}
	if len(o.Perf) != len(want) {
		t.Fatalf("perf %+v; want %+v", o.Perf, want)
	}
	for i := range want {
		if o.Perf[i] != want[i] {
			t.Errorf("perf %d = %+v; want %+v", i, o.Perf[i], want[i])
		}
	}
	if p, ok := o.Find("lat"); !ok || p.Max != "9" {
		t.Errorf("Find(lat) = %+v, %v", p, ok)
	}
}
