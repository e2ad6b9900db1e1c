package quantile

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestSketch_QuantileWithinRelativeError(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var s Sketch
	var all []time.Duration
	for range 20000 {
		d := time.Duration(math.Exp(r.NormFloat64()*1.5+9)) * time.Nanosecond * 1000
		all = append(all, d)
		s.Add(d)
	}
	slices.Sort(all)
	for _, q := range []float64{0.5, 0.9, 0.95, 0.99} {
		want := all[int(math.Ceil(q*float64(len(all))))-1]
		got := s.Quantile(q)
		if rel := math.Abs(float64(got-want)) / float64(want); rel > 0.021 {
			t.Errorf("q%.2f = %v; want %v ± 2%% (off by %.1f%%)", q, got, want, rel*100)
		}
	}
}

func TestSketch_MergeEqualsCombined(t *testing.T) {
	var a, b, both Sketch
	for i := 1; i <= 500; i++ {
		d := time.Duration(i) * 37 * time.Microsecond
		both.Add(d)
		if i%2 == 0 {
			a.Add(d)
		} else {
			b.Add(d)
		}
	}
	a.Merge(&b)
	if a.String() != both.String() {
		t.Fatalf("merged sketch %q; want %q", a.String(), both.String())
	}
}

func TestSketch_RoundTrip(t *testing.T) {
	var s Sketch
	s.Add(0)
	s.Add(3 * time.Millisecond)
	s.Add(3 * time.Millisecond)
	s.Add(2 * time.Second)
	p, err := Parse(s.String())
	if err != nil {
		t.Fatal(err)
	}
	if p.String() != s.String() || p.Count() != 4 {
		t.Errorf("Parse(String()) = %q (n=%d); want %q (n=4)", p.String(), p.Count(), s.String())
	}
	if got := p.Quantile(0); got != 0 {
		t.Errorf("Quantile(0) = %v; want 0 (sub-microsecond)", got)
	}
	if got := p.Quantile(1); got < 1960*time.Millisecond || got > 2040*time.Millisecond {
		t.Errorf("Quantile(1) = %v; want about 2s", got)
	}
}

func TestParse_Errors(t *testing.T) {
	for _, in := range []string{"12", "a:1", "3:x", "z:-1"} {
		if _, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) gave no error", in)
		}
	}
}
