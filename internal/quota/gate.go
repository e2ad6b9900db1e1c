package quota

import (
	"sync"
	"time"
)

// Gate holds calls to one upstream back while its quota is exhausted: after
// the CRM refused a call for its rate limit, calls are not sent until the
// time the CRM named for the reset, or — when it named none, as with
// Salesforce's rolling daily quota — for a pause, after which one call is
// let through to find out.
//
// It also keeps a reserve of each quota window for interactive traffic:
// once the share left of a window falls below the reserve, background
// calls (queue replays) are held back for the pause, then one is let
// through to read the quota again. Interactive calls are never held by the
// reserve. It is safe for concurrent use.
type Gate struct {
	pause   time.Duration
	reserve float64
	now     func() time.Time

	mu    sync.Mutex
	until time.Time
	// low is when a reading last showed less than the reserve left, and
	// lowWindow which window it was; zero when the last reading showed
	// enough.
	low       time.Time
	lowWindow string
	// last holds each window's latest reading with a known limit.
	last map[string]Reading
}

// DefaultPause is how long a quota with no reset time holds calls back:
// long enough not to spend calls the CRM refuses, short enough to notice a
// raised limit or a window that rolled on.
const DefaultPause = time.Minute

// NewGate returns an open gate with no reserve; a zero pause means
// DefaultPause.
func NewGate(pause time.Duration, now func() time.Time) *Gate {
	if pause <= 0 {
		pause = DefaultPause
	}
	if now == nil {
		now = time.Now
	}
	return &Gate{pause: pause, now: now}
}

// SetReserve sets the share of each quota window kept for interactive
// traffic, from 0 (none) to 1. Set it before the gate is used.
func (g *Gate) SetReserve(share float64) { g.reserve = min(max(share, 0), 1) }

// Observe takes the readings of one answer. A window whose limit is known
// and whose remaining share is below the reserve starts holding
// background calls back; readings that all show enough left end it.
// Windows without a known limit cannot be judged and are skipped.
func (g *Gate) Observe(rs []Reading) {
	if len(rs) == 0 {
		return
	}
	g.remember(rs)
	if g.reserve <= 0 {
		return
	}
	low, window, judged := false, "", false
	for _, r := range rs {
		if r.Limit <= 0 {
			continue
		}
		judged = true
		if r.Remaining/r.Limit < g.reserve {
			low, window = true, r.Window
			break
		}
	}
	if !judged {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if low {
		g.low, g.lowWindow = g.now(), window
	} else {
		g.low, g.lowWindow = time.Time{}, ""
	}
}

// WaitBackground returns how long a background call is still held back:
// while the quota is exhausted (as Wait), and for the pause after a
// reading showed less than the reserve left. window names the window
// below its reserve, "" when the quota is exhausted or nothing holds.
func (g *Gate) WaitBackground() (wait time.Duration, window string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	if w := g.until.Sub(now); w > 0 {
		return w, ""
	}
	if g.low.IsZero() {
		return 0, ""
	}
	if w := g.low.Add(g.pause).Sub(now); w > 0 {
		return w, g.lowWindow
	}
	// The pause is over: let one call through to read the quota again,
	// and hold the others back for another pause unless it shows enough.
	g.low = now
	return 0, ""
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

// remember keeps the readings with a known limit for Lowest.
func (g *Gate) remember(rs []Reading) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, r := range rs {
		if r.Limit > 0 {
			if g.last == nil {
				g.last = map[string]Reading{}
			}
			g.last[r.Window] = r
		}
	}
}

// Lowest returns the smallest share left of any window whose limit the
// CRM reported, as of its latest reading, and that window's name; ok is
// false when no reading had a limit.
func (g *Gate) Lowest() (share float64, window string, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for w, r := range g.last {
		s := r.Remaining / r.Limit
		if !ok || s < share || s == share && w < window {
			share, window, ok = s, w, true
		}
	}
	return share, window, ok
}
