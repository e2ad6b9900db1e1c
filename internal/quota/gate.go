package quota

import (
	"sync"
	"time"
)

// Gate holds calls to one upstream back while its quota is exhausted: after
// the CRM refused a call for its rate limit, calls are not sent until the
// time the CRM named for the reset, or — when it named none, as with
// Salesforce's rolling daily quota — for a pause, after which one call is
// let through to find out. It is safe for concurrent use.
type Gate struct {
	pause time.Duration
	now   func() time.Time

	mu    sync.Mutex
	until time.Time
}

// DefaultPause is how long a quota with no reset time holds calls back:
// long enough not to spend calls the CRM refuses, short enough to notice a
// raised limit or a window that rolled on.
const DefaultPause = time.Minute

// NewGate returns an open gate; a zero pause means DefaultPause.
func NewGate(pause time.Duration, now func() time.Time) *Gate {
	if pause <= 0 {
		pause = DefaultPause
	}
	if now == nil {
		now = time.Now
	}
	return &Gate{pause: pause, now: now}
}

// Wait returns how long calls are still held back; 0 means send.
func (g *Gate) Wait() time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	return max(g.until.Sub(g.now()), 0)
}

// Exhausted closes the gate after a quota error: until reset from now when
// the CRM named one (known; 0 leaves the gate open), else for the pause.
func (g *Gate) Exhausted(reset time.Duration, known bool) {
	if !known {
		reset = g.pause
	}
	if reset <= 0 {
		return // the CRM says the window has reset already
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if t := g.now().Add(reset); t.After(g.until) {
		g.until = t
	}
}
