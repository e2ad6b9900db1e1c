package nagios

import (
	"math"
	"testing"
)

func TestStatus_String(t *testing.T) {
	for s, want := range map[Status]string{OK: "OK", Warning: "WARNING", Critical: "CRITICAL", Unknown: "UNKNOWN", 7: "Status(7)", -1: "Status(-1)"} {
		if got := s.String(); got != want {
			t.Errorf("Status(%d).String() = %q; want %q", int(s), got, want)
		}
	}
	for s, code := range map[Status]int{OK: 0, Warning: 1, Critical: 2, Unknown: 3} {
		if int(s) != code {
			t.Errorf("%s is exit code %d; want %d", s, int(s), code)
		}
	}
}

func TestParseStatus(t *testing.T) {
	for in, want := range map[string]Status{"ok": OK, "OK": OK, "warning": Warning, "Critical": Critical, "unknown": Unknown} {
		if got, err := ParseStatus(in); err != nil || got != want {
			t.Errorf("ParseStatus(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "warn", "crit", "0", "okay"} {
		if _, err := ParseStatus(in); err == nil {
			t.Errorf("ParseStatus(%q) succeeded; want an error", in)
		}
	}
}

func TestWorst(t *testing.T) {
	tests := []struct {
		name string
		in   []Status
		want Status
	}{
		{"none", nil, OK},
		{"all ok", []Status{OK, OK}, OK},
		{"unknown beats ok", []Status{OK, Unknown}, Unknown},
		{"warning beats unknown", []Status{Unknown, Warning, OK}, Warning},
		{"critical beats all", []Status{Warning, Critical, Unknown, OK}, Critical},
		{"invalid counts as unknown", []Status{OK, 9}, Unknown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Worst(tc.in...); got != tc.want {
				t.Errorf("Worst(%v) = %v; want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestEvaluate(t *testing.T) {
	warn, crit := &Range{End: 0.05}, &Range{End: 0.1}
	tests := []struct {
		name       string
		v          float64
		warn, crit *Range
		want       Status
	}{
		{"below both", 0.01, warn, crit, OK},
		{"at warn bound", 0.05, warn, crit, OK},
		{"above warn", 0.06, warn, crit, Warning},
		{"at crit bound", 0.1, warn, crit, Warning},
		{"above crit", 0.125, warn, crit, Critical},
		{"crit wins over warn", -1, warn, crit, Critical},
		{"no ranges", 1e9, nil, nil, OK},
		{"only crit", 0.2, nil, crit, Critical},
		{"only warn", 0.2, warn, nil, Warning},
		{"inside crit", 3, nil, &Range{Start: 1, End: 5, Inside: true}, Critical},
		{"NaN", math.NaN(), warn, crit, Unknown},
		{"NaN without ranges", math.NaN(), nil, nil, Unknown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Evaluate(tc.v, tc.warn, tc.crit); got != tc.want {
				t.Errorf("Evaluate(%v) = %v; want %v", tc.v, got, tc.want)
			}
		})
	}
}
