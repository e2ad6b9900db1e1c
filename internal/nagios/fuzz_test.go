package nagios

import (
	"math"
	"strings"
	"testing"
)

// FuzzParseRange checks that every range ParseRange accepts is well
// formed, prints in a form it reads back unchanged, and alerts at its
// bounds as the guidelines say. Seeds are in testdata/fuzz/FuzzParseRange.
func FuzzParseRange(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRange(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "range ") {
				t.Errorf("ParseRange(%q) error %q does not name the range", s, err)
			}
			return
		}
		if math.IsNaN(r.Start) || math.IsNaN(r.End) || r.Start > r.End || math.IsInf(r.Start, 1) || math.IsInf(r.End, -1) {
			t.Fatalf("ParseRange(%q) = %+v; want Start <= End, no NaN", s, r)
		}
		str := r.String()
		back, err := ParseRange(str)
		if err != nil {
			t.Fatalf("ParseRange(%q).String() = %q, which does not parse: %v", s, str, err)
		}
		if back != r {
			t.Fatalf("ParseRange(%q) = %+v, printed %q, read back as %+v", s, r, str, back)
		}
		if again := back.String(); again != str {
			t.Fatalf("String is not stable: %q then %q", str, again)
		}
		for _, bound := range []float64{r.Start, r.End} {
			if !math.IsInf(bound, 0) && r.Alert(bound) != r.Inside {
				t.Errorf("%q Alert(%v) = %v at a bound; want %v (bounds belong to the range)", str, bound, !r.Inside, r.Inside)
			}
		}
		if !math.IsInf(r.End, 1) {
			above := math.Nextafter(r.End, math.Inf(1))
			if r.Alert(above) == r.Inside {
				t.Errorf("%q Alert(%v) just above the end = %v; want %v", str, above, r.Inside, !r.Inside)
			}
		}
	})
}
