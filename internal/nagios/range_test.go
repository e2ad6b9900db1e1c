package nagios

import (
	"math"
	"strings"
	"testing"
)

func TestParseRange(t *testing.T) {
	inf := math.Inf(1)
	type probe struct {
		v     float64
		alert bool
	}
	tests := []struct {
		name   string
		in     string
		want   Range
		str    string // canonical form
		probes []probe
	}{
		{"end only", "10", Range{Start: 0, End: 10}, "10",
			[]probe{{-0.001, true}, {0, false}, {5, false}, {10, false}, {10.001, true}}},
		{"no end", "10:", Range{Start: 10, End: inf}, "10:",
			[]probe{{9.999, true}, {10, false}, {1e12, false}, {-10, true}}},
		{"no start", "~:10", Range{Start: -inf, End: 10}, "~:10",
			[]probe{{-1e12, false}, {10, false}, {10.5, true}}},
		{"start and end", "10:20", Range{Start: 10, End: 20}, "10:20",
			[]probe{{9, true}, {10, false}, {15, false}, {20, false}, {21, true}}},
		{"inside", "@10:20", Range{Start: 10, End: 20, Inside: true}, "@10:20",
			[]probe{{9, false}, {10, true}, {15, true}, {20, true}, {20.5, false}}},
		{"inside end only", "@5", Range{End: 5, Inside: true}, "@5",
			[]probe{{-1, false}, {0, true}, {5, true}, {6, false}}},
		{"inside no end", "@3:", Range{Start: 3, End: inf, Inside: true}, "@3:",
			[]probe{{2, false}, {3, true}, {1e9, true}}},
		{"negative bounds", "-5:-1", Range{Start: -5, End: -1}, "-5:-1",
			[]probe{{-6, true}, {-5, false}, {-1, false}, {0, true}}},
		{"negative start", "-1.5:2", Range{Start: -1.5, End: 2}, "-1.5:2",
			[]probe{{-1.6, true}, {-1.5, false}, {2.1, true}}},
		{"no start negative end", "~:-3", Range{Start: -inf, End: -3}, "~:-3",
			[]probe{{-3, false}, {-2.9, true}}},
		{"negative no end", "-2:", Range{Start: -2, End: inf}, "-2:",
			[]probe{{-2.1, true}, {-2, false}}},
		{"decimals", "0.05", Range{End: 0.05}, "0.05",
			[]probe{{0.05, false}, {0.0501, true}}},
		{"decimal range", "0.5:1.25", Range{Start: 0.5, End: 1.25}, "0.5:1.25",
			[]probe{{0.49, true}, {1.25, false}, {1.26, true}}},
		{"leading dot", ".5", Range{End: 0.5}, "0.5", nil},
		{"trailing dot", "5.", Range{End: 5}, "5", nil},
		{"plus sign", "+3:+4", Range{Start: 3, End: 4}, "3:4", nil},
		{"zero start is left out", "0:10", Range{End: 10}, "10", nil},
		{"zero start no end is kept", "0:", Range{End: inf}, "0:",
			[]probe{{-0.1, true}, {0, false}, {1e9, false}}},
		{"negative zero", "-0", Range{}, "0", []probe{{0, false}, {0.1, true}}},
		{"zero", "0", Range{}, "0", []probe{{0, false}, {-0.1, true}}},
		{"single point", "5:5", Range{Start: 5, End: 5}, "5:5", []probe{{5, false}, {5.0001, true}}},
		{"no bounds", "~:", Range{Start: -inf, End: inf}, "~:", []probe{{-1e300, false}, {1e300, false}}},
		{"always", "@~:", Range{Start: -inf, End: inf, Inside: true}, "@~:", []probe{{0, true}}},
		{"leading zeros", "007", Range{End: 7}, "7", nil},
		{"long decimal", "0.000001", Range{End: 1e-6}, "0.000001", nil},
		{"large", "12345678901234567890", Range{End: 12345678901234567890}, "12345678901234567000", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseRange(tc.in)
			if err != nil {
				t.Fatalf("ParseRange(%q) error %v; want %+v", tc.in, err, tc.want)
			}
			if got != tc.want {
				t.Errorf("ParseRange(%q) = %+v; want %+v", tc.in, got, tc.want)
			}
			if s := got.String(); s != tc.str {
				t.Errorf("ParseRange(%q).String() = %q; want %q", tc.in, s, tc.str)
			}
			for _, p := range tc.probes {
				if a := got.Alert(p.v); a != p.alert {
					t.Errorf("%q Alert(%v) = %v; want %v", tc.in, p.v, a, p.alert)
				}
			}
		})
	}
}

func TestParseRange_Invalid(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string // in the error message
	}{
		{"start after end", "10:5", []string{`range "10:5"`, "start 10 is greater than end 5"}},
		{"negative end only", "-10", []string{"start 0 is greater than end -10"}},
		{"negative start after end", "-1:-2", []string{"start -1 is greater than end -2"}},
		{"inside start after end", "@3:2", []string{"start 3 is greater than end 2"}},
		{"word", "abc", []string{`end "abc" is not a number`, "such as -1.5"}},
		{"word start", "abc:5", []string{`start "abc" is not a number`}},
		{"word end", "5:abc", []string{`end "abc" is not a number`}},
		{"colon alone", ":", []string{"no start and no end", "~:N"}},
		{"empty", "", []string{`range ""`, "empty", "@M:N"}},
		{"at alone", "@", []string{"empty"}},
		{"missing start", ":5", []string{"no start before ':'", "0:5", "~:5"}},
		{"tilde alone", "~", []string{`"~" (no lower bound) must be followed by ':'`}},
		{"tilde end", "5:~", []string{`end "~" is not a number`}},
		{"two colons", "1:2:3", []string{"more than one ':'"}},
		{"double at", "@@5", []string{`end "@5" is not a number`}},
		{"exponent", "1e3", []string{`end "1e3" is not a number`}},
		{"infinity", "inf", []string{`end "inf" is not a number`}},
		{"nan", "NaN", []string{`end "NaN" is not a number`}},
		{"hex", "0x10", []string{`end "0x10" is not a number`}},
		{"underscore", "1_000", []string{"is not a number"}},
		{"two dots", "1..2", []string{"is not a number"}},
		{"dot alone", ".", []string{"is not a number"}},
		{"minus alone", "-", []string{"is not a number"}},
		{"space before", " 10", []string{"is not a number"}},
		{"space after", "10 ", []string{"is not a number"}},
		{"comma decimal", "0,5", []string{"is not a number"}},
		{"too large", "1" + strings.Repeat("0", 400), []string{"is too large"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseRange(tc.in)
			if err == nil {
				t.Fatalf("ParseRange(%q) = %+v; want an error", tc.in, r)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("ParseRange(%q) error %q; want it to contain %q", tc.in, err, w)
				}
			}
		})
	}
}

func TestRange_AlertNaN(t *testing.T) {
	if !(Range{End: 10}).Alert(math.NaN()) {
		t.Error("NaN does not alert outside 0..10; want it to, as NaN is inside no range")
	}
	if (Range{End: 10, Inside: true}).Alert(math.NaN()) {
		t.Error("NaN alerts inside 0..10; want no alert")
	}
}
