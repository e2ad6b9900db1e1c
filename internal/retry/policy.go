package retry

import "time"

// The defaults a zero Policy field stands for.
const (
	DefaultAttempts   = 3
	DefaultBackoff    = 200 * time.Millisecond
	DefaultMaxBackoff = 5 * time.Second
)

// Policy says how often and how far apart attempts of one call are made.
// A zero or negative field stands for its default, so the zero Policy is
// usable and equals Default().
type Policy struct {
	// Attempts is the total number of attempts, the first included; 1
	// means no retries. Default 3.
	Attempts int
	// Backoff is the base of the exponential backoff: the longest pause
	// after the first attempt. Default 200ms.
	Backoff time.Duration
	// MaxBackoff caps the pause between two attempts. Default 5s.
	MaxBackoff time.Duration
}

// Default returns the policy with every field set to its default.
func Default() Policy {
	return Policy{Attempts: DefaultAttempts, Backoff: DefaultBackoff, MaxBackoff: DefaultMaxBackoff}
}

// withDefaults returns p with its zero and negative fields replaced by
// their defaults.
func (p Policy) withDefaults() Policy {
	if p.Attempts <= 0 {
		p.Attempts = DefaultAttempts
	}
	if p.Backoff <= 0 {
		p.Backoff = DefaultBackoff
	}
	if p.MaxBackoff <= 0 {
		p.MaxBackoff = DefaultMaxBackoff
	}
	return p
}

// Allows reports whether attempt number attempt (1 for the first) is within
// the policy's attempts. A caller whose attempt n failed asks Allows(n+1).
func (p Policy) Allows(attempt int) bool {
	return attempt >= 1 && attempt <= p.withDefaults().Attempts
}

// Delay returns the pause after failed attempt number attempt (1 for the
// first), with full jitter: uniform in [0, min(MaxBackoff,
// Backoff·2^(attempt-1))], scaled by rnd, which returns a number in [0, 1)
// such as rand.Float64 ("Exponential Backoff And Jitter", AWS Architecture
// Blog, 2015). Full jitter spreads the retries of many clients that failed
// together, so they do not return in lockstep. An attempt below 1 counts as
// 1; rnd's results are clamped to [0, 1]; a nil rnd gives the upper bound
// itself. A wait the CRM asked for (see Wait) takes precedence when longer.
func (p Policy) Delay(attempt int, rnd func() float64) time.Duration {
	ceil := p.ceiling(attempt)
	if rnd == nil {
		return ceil
	}
	r := rnd()
	switch {
	case !(r >= 0): // also NaN
		r = 0
	case r > 1:
		r = 1
	}
	f := r * float64(ceil)
	if f >= float64(ceil) {
		return ceil // float64(ceil) may round above the largest Duration
	}
	return time.Duration(f)
}

// ceiling returns min(MaxBackoff, Backoff·2^(attempt-1)) without
// overflowing for large attempts.
func (p Policy) ceiling(attempt int) time.Duration {
	p = p.withDefaults()
	if attempt < 1 {
		attempt = 1
	}
	d := p.Backoff
	for i := 1; i < attempt && d < p.MaxBackoff; i++ {
		if d > p.MaxBackoff/2 {
			return p.MaxBackoff // doubling would pass the cap, or overflow
		}
		d *= 2
	}
	return min(d, p.MaxBackoff)
}
