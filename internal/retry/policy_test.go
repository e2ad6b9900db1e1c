package retry

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func TestPolicy_Delay(t *testing.T) {
	p := Policy{Attempts: 5, Backoff: 100 * time.Millisecond, MaxBackoff: time.Second}
	one := func() float64 { return 1 }
	tests := []struct {
		name    string
		p       Policy
		attempt int
		rnd     func() float64
		want    time.Duration
	}{
		{"attempt 1 upper bound is the base", p, 1, one, 100 * time.Millisecond},
		{"attempt 1 lower bound is zero", p, 1, func() float64 { return 0 }, 0},
		{"attempt 1 halfway", p, 1, func() float64 { return 0.5 }, 50 * time.Millisecond},
		{"attempt 2 doubles", p, 2, one, 200 * time.Millisecond},
		{"attempt 3 doubles again", p, 3, one, 400 * time.Millisecond},
		{"attempt 4", p, 4, one, 800 * time.Millisecond},
		{"attempt 5 is capped", p, 5, one, time.Second},
		{"attempt 1000 is capped without overflow", p, 1000, one, time.Second},
		{"max int attempt", p, math.MaxInt, one, time.Second},
		{"attempt 0 counts as 1", p, 0, one, 100 * time.Millisecond},
		{"negative attempt counts as 1", p, -3, one, 100 * time.Millisecond},
		{"nil rnd gives the bound", p, 2, nil, 200 * time.Millisecond},
		{"rnd above 1 is clamped", p, 2, func() float64 { return 7 }, 200 * time.Millisecond},
		{"negative rnd is clamped", p, 2, func() float64 { return -1 }, 0},
		{"NaN rnd is clamped", p, 2, math.NaN, 0},
		{"zero policy uses the 200ms default", Policy{}, 1, one, 200 * time.Millisecond},
		{"zero policy caps at 5s", Policy{}, 10, one, 5 * time.Second},
		{"cap below base wins", Policy{Backoff: time.Second, MaxBackoff: 300 * time.Millisecond}, 1, one, 300 * time.Millisecond},
		{"huge base does not overflow", Policy{Backoff: math.MaxInt64 / 3, MaxBackoff: math.MaxInt64}, 3, one, math.MaxInt64},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.Delay(tc.attempt, tc.rnd); got != tc.want {
				t.Errorf("Delay(%d): got %v; want %v", tc.attempt, got, tc.want)
			}
		})
	}
}

// TestPolicy_Delay_jitter checks that real random delays stay within the
// bounds of each attempt and spread across them.
func TestPolicy_Delay_jitter(t *testing.T) {
	p := Default()
	rnd := rand.New(rand.NewPCG(1, 2)).Float64
	for attempt := 1; attempt <= 8; attempt++ {
		ceil := min(DefaultBackoff<<(attempt-1), DefaultMaxBackoff)
		lo, hi := ceil, time.Duration(0)
		for range 1000 {
			d := p.Delay(attempt, rnd)
			if d < 0 || d > ceil {
				t.Fatalf("attempt %d: got %v; want within [0, %v]", attempt, d, ceil)
			}
			lo, hi = min(lo, d), max(hi, d)
		}
		if lo > ceil/10 || hi < ceil*9/10 {
			t.Errorf("attempt %d: got delays in [%v, %v]; want them spread over [0, %v]", attempt, lo, hi, ceil)
		}
	}
}

func TestPolicy_Allows(t *testing.T) {
	tests := []struct {
		name    string
		p       Policy
		attempt int
		want    bool
	}{
		{"first attempt", Policy{Attempts: 1}, 1, true},
		{"no retries", Policy{Attempts: 1}, 2, false},
		{"default allows the third", Policy{}, 3, true},
		{"default stops at the fourth", Policy{}, 4, false},
		{"negative attempts mean the default", Policy{Attempts: -1}, 3, true},
		{"attempt 0 is not an attempt", Policy{}, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.Allows(tc.attempt); got != tc.want {
				t.Errorf("Allows(%d): got %v; want %v", tc.attempt, got, tc.want)
			}
		})
	}
}

func TestDefault(t *testing.T) {
	got := Default()
	want := Policy{Attempts: 3, Backoff: 200 * time.Millisecond, MaxBackoff: 5 * time.Second}
	if got != want {
		t.Errorf("got %+v; want %+v", got, want)
	}
	if z := (Policy{}).withDefaults(); z != want {
		t.Errorf("zero policy: got %+v; want %+v", z, want)
	}
}
