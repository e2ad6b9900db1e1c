package nagios

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/crmguard/crmguard/internal/nagios/nagiostest"
)

func TestResult_Write(t *testing.T) {
	warn, crit := rng(t, "0.05"), rng(t, "0.1")
	tests := []struct {
		name   string
		r      Result
		want   string
		parsed nagiostest.Output
	}{
		{
			name: "the example of the docs",
			r: Result{Service: "CRMGUARD ERROR_RATE", Status: Critical, Text: "sf error rate 12.5% over 5m",
				Perf: []Perf{{Label: "sf_error_rate", Value: 0.125, Warn: warn, Crit: crit, Min: ptr(0), Max: ptr(1)}}},
			want: "CRMGUARD ERROR_RATE CRITICAL - sf error rate 12.5% over 5m | 'sf_error_rate'=0.125;0.05;0.1;0;1\n",
			parsed: nagiostest.Output{Service: "CRMGUARD ERROR_RATE", Status: "CRITICAL", Text: "sf error rate 12.5% over 5m",
				Perf: []nagiostest.Perf{{Label: "sf_error_rate", Value: "0.125", Warn: "0.05", Crit: "0.1", Min: "0", Max: "1"}}},
		},
		{
			name:   "no perfdata",
			r:      Result{Service: "CRMGUARD CHECK", Status: Unknown, Text: "--metric is required"},
			want:   "CRMGUARD CHECK UNKNOWN - --metric is required\n",
			parsed: nagiostest.Output{Service: "CRMGUARD CHECK", Status: "UNKNOWN", Text: "--metric is required"},
		},
		{
			name: "several perfdata and long output",
			r: Result{Service: "CRMGUARD LATENCY", Status: Warning, Text: "sf p95 latency 610ms over 5m",
				Perf: []Perf{
					{Label: "hubspot_latency_p95", Value: 0.2, UOM: "s", Warn: rng(t, "0.5"), Min: ptr(0)},
					{Label: "sf latency p95", Value: 0.61, UOM: "s", Warn: rng(t, "0.5"), Min: ptr(0)},
					{Label: "zoho_latency_p95", Value: math.NaN(), UOM: "s"},
				},
				Long: []string{"[OK] hubspot p95 latency 200ms", "[WARNING] sf p95 latency 610ms", "[OK] zoho: no calls"}},
			want: "CRMGUARD LATENCY WARNING - sf p95 latency 610ms over 5m | 'hubspot_latency_p95'=0.2s;0.5;;0 'sf latency p95'=0.61s;0.5;;0 'zoho_latency_p95'=U\n" +
				"[OK] hubspot p95 latency 200ms\n[WARNING] sf p95 latency 610ms\n[OK] zoho: no calls\n",
			parsed: nagiostest.Output{Service: "CRMGUARD LATENCY", Status: "WARNING", Text: "sf p95 latency 610ms over 5m",
				Perf: []nagiostest.Perf{
					{Label: "hubspot_latency_p95", Value: "0.2", UOM: "s", Warn: "0.5", Min: "0"},
					{Label: "sf latency p95", Value: "0.61", UOM: "s", Warn: "0.5", Min: "0"},
					{Label: "zoho_latency_p95", Value: "U"},
				},
				Long: []string{"[OK] hubspot p95 latency 200ms", "[WARNING] sf p95 latency 610ms", "[OK] zoho: no calls"}},
		},
		{
			name: "pipes and newlines from data cannot break the format",
			r: Result{Service: "CRMGUARD ALERTS", Status: Critical, Text: "rule a|b fired\nsecond line",
				Perf: []Perf{{Label: "it's", Value: 1}}, Long: []string{"summary: x | 'y'=1", "tab\there"}},
			want: "CRMGUARD ALERTS CRITICAL - rule a/b fired second line | 'it''s'=1\nsummary: x / 'y'=1\ntab here\n",
			parsed: nagiostest.Output{Service: "CRMGUARD ALERTS", Status: "CRITICAL", Text: "rule a/b fired second line",
				Perf: []nagiostest.Perf{{Label: "it's", Value: "1"}}, Long: []string{"summary: x / 'y'=1", "tab here"}},
		},
		{
			name: "no service",
			r:    Result{Status: OK, Text: "fine", Perf: []Perf{{Label: "x", Value: 0, Warn: rng(t, "@~:"), Crit: rng(t, "-3:")}}},
			want: "OK - fine | 'x'=0;@~:;-3:\n",
			parsed: nagiostest.Output{Status: "OK", Text: "fine",
				Perf: []nagiostest.Perf{{Label: "x", Value: "0", Warn: "@~:", Crit: "-3:"}}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.r.Write(&b); err != nil {
				t.Fatal(err)
			}
			if b.String() != tc.want {
				t.Errorf("Write wrote\n%q\nwant\n%q", b.String(), tc.want)
			}
			got, err := nagiostest.Parse(b.String())
			if err != nil {
				t.Fatalf("the plugin-format parser rejects the output: %v", err)
			}
			if !equalOutput(got, tc.parsed) {
				t.Errorf("parsed as %+v; want %+v", got, tc.parsed)
			}
		})
	}
}

func equalOutput(a, b nagiostest.Output) bool {
	if a.Service != b.Service || a.Status != b.Status || a.Text != b.Text || len(a.Perf) != len(b.Perf) || len(a.Long) != len(b.Long) {
		return false
	}
	for i := range a.Perf {
		if a.Perf[i] != b.Perf[i] {
			return false
		}
	}
	for i := range a.Long {
		if a.Long[i] != b.Long[i] {
			return false
		}
	}
	return true
}

func TestResult_WriteInvalidPerf(t *testing.T) {
	var b bytes.Buffer
	err := Result{Status: OK, Text: "x", Perf: []Perf{{Label: "a", Value: 1}, {Label: "b", UOM: "bytes"}}}.Write(&b)
	if err == nil || !strings.Contains(err.Error(), `unit "bytes"`) {
		t.Errorf("Write = %v; want the unit error", err)
	}
	if b.Len() != 0 {
		t.Errorf("Write wrote %q before failing; want nothing", b.String())
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("pipe closed") }

func TestResult_WriteError(t *testing.T) {
	err := Result{Status: OK, Text: "x"}.Write(failingWriter{})
	if err == nil || !strings.Contains(err.Error(), "pipe closed") {
		t.Errorf("Write = %v; want the writer's error", err)
	}
}
