package nagios

import (
	"math"
	"strings"
	"testing"
)

func ptr(f float64) *float64 { return &f }

func rng(t *testing.T, s string) *Range {
	t.Helper()
	r, err := ParseRange(s)
	if err != nil {
		t.Fatal(err)
	}
	return &r
}

func TestPerf_String(t *testing.T) {
	tests := []struct {
		name string
		p    Perf
		want string
	}{
		{"all fields", Perf{Label: "sf_error_rate", Value: 0.125, Warn: rng(t, "0.05"), Crit: rng(t, "0.1"), Min: ptr(0), Max: ptr(1)},
			"'sf_error_rate'=0.125;0.05;0.1;0;1"},
		{"value only", Perf{Label: "calls", Value: 200}, "'calls'=200"},
		{"min only keeps the empty fields before it", Perf{Label: "depth", Value: 3, Min: ptr(0)}, "'depth'=3;;;0"},
		{"crit only", Perf{Label: "open", Value: 1, Crit: rng(t, "0")}, "'open'=1;;0"},
		{"warn only drops trailing fields", Perf{Label: "x", Value: 1, Warn: rng(t, "10:")}, "'x'=1;10:"},
		{"max only", Perf{Label: "x", Value: 1, Max: ptr(2)}, "'x'=1;;;;2"},
		{"seconds", Perf{Label: "sf_latency_p95", Value: 0.3105, UOM: "s", Warn: rng(t, "0.5"), Crit: rng(t, "1"), Min: ptr(0)},
			"'sf_latency_p95'=0.3105s;0.5;1;0"},
		{"percent", Perf{Label: "disk", Value: 12.5, UOM: "%"}, "'disk'=12.5%"},
		{"counter", Perf{Label: "sent", Value: 42, UOM: "c"}, "'sent'=42c"},
		{"range forms", Perf{Label: "x", Value: 5, Warn: rng(t, "~:10"), Crit: rng(t, "@1:2")}, "'x'=5;~:10;@1:2"},
		{"quote doubled", Perf{Label: "it's", Value: 1}, "'it''s'=1"},
		{"spaces and equals", Perf{Label: "a b=c", Value: 1}, "'a b=c'=1"},
		{"control characters replaced", Perf{Label: "a\nb\tc", Value: 1}, "'a_b_c'=1"},
		{"negative", Perf{Label: "x", Value: -2.5, Min: ptr(-10)}, "'x'=-2.5;;;-10"},
		{"large without exponent", Perf{Label: "x", Value: 1e21}, "'x'=1000000000000000000000"},
		{"small without exponent", Perf{Label: "x", Value: 1e-7}, "'x'=0.0000001"},
		{"negative zero", Perf{Label: "x", Value: math.Copysign(0, -1)}, "'x'=0"},
		{"NaN is U", Perf{Label: "x", Value: math.NaN(), UOM: "s", Crit: rng(t, "1")}, "'x'=U;;1"},
		{"infinite value is U", Perf{Label: "x", Value: math.Inf(1)}, "'x'=U"},
		{"infinite bounds left out", Perf{Label: "x", Value: 1, Min: ptr(math.Inf(-1)), Max: ptr(math.Inf(1))}, "'x'=1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.String(); got != tc.want {
				t.Errorf("String() = %q; want %q", got, tc.want)
			}
		})
	}
}

func TestPerf_Validate(t *testing.T) {
	for _, uom := range []string{"", "s", "ms", "us", "%", "B", "KB", "MB", "GB", "TB", "c"} {
		if err := (Perf{Label: "x", UOM: uom}).Validate(); err != nil {
			t.Errorf("UOM %q: %v; want valid", uom, err)
		}
	}
	tests := []struct {
		name string
		p    Perf
		want string
	}{
		{"no label", Perf{Value: 3}, "with value 3 has no label"},
		{"unknown unit", Perf{Label: "lat", UOM: "sec"}, `performance data "lat": unit "sec" is not one of`},
		{"lower-case bytes", Perf{Label: "size", UOM: "kb"}, `unit "kb"`},
		{"space in unit", Perf{Label: "x", UOM: "s "}, `unit "s "`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.p.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate() = %v; want an error containing %q", err, tc.want)
			}
		})
	}
}
