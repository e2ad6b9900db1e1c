// Package breaker is the circuit breaker crmguard keeps per CRM endpoint:
// it counts failed calls over a sliding window and, once their share
// reaches a threshold with enough calls, opens to fail fast for a cooldown,
// then lets a few probe calls decide whether to close again.
package breaker

import (
	"sync"
	"time"
)

// State is where a breaker stands.
type State int

// The breaker states.
const (
	Closed   State = iota // calls go through and are counted
	HalfOpen              // a few probe calls go through
	Open                  // calls fail fast
)

func (s State) String() string {
	switch s {
	case Closed:
		return "closed"
	case HalfOpen:
		return "half-open"
	case Open:
		return "open"
	}
	return "unknown"
}

// Options configure a Breaker. Zero fields take the defaults in brackets.
type Options struct {
	FailureRatio float64       // share of failed calls that opens it [0.5]
	MinCalls     int           // fewest calls in the window before it may open [20]
	Window       time.Duration // span over which calls are counted [30s]
	Cooldown     time.Duration // how long it stays open [15s]
	Probes       int           // successful probes that close it again [3]
	Now          func() time.Time
	// OnChange, when set, is called after every state change, outside the
	// breaker's lock. It must not block.
	OnChange func(from, to State)
}

// buckets is how many slices the window is counted in: the window slides
// in steps of a tenth.
const buckets = 10

type bucket struct {
	epoch      int64 // which Window/buckets slice of time this counts
	calls, bad int
}

// Breaker is one endpoint's circuit breaker. It is safe for concurrent use.
type Breaker struct {
	o     Options
	width time.Duration

	mu       sync.Mutex
	state    State
	since    time.Time // when the current state began
	ring     [buckets]bucket
	inFlight int // probes let through while half-open
	passed   int // probes that succeeded while half-open
}

// New returns a closed breaker.
func New(o Options) *Breaker {
	if o.FailureRatio <= 0 || o.FailureRatio > 1 {
		o.FailureRatio = 0.5
	}
	if o.MinCalls <= 0 {
		o.MinCalls = 20
	}
	if o.Window <= 0 {
		o.Window = 30 * time.Second
	}
	if o.Cooldown <= 0 {
		o.Cooldown = 15 * time.Second
	}
	if o.Probes <= 0 {
		o.Probes = 3
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	b := &Breaker{o: o, width: max(o.Window/buckets, time.Millisecond)}
	b.since = o.Now()
	return b
}

// Allow asks to send one call. If ok, the caller must call done exactly
// once with whether the call failed in a way that counts against the
// endpoint (network, timeout, server, unavailable). If not ok, the breaker
// is open (or half-open with its probes taken) and retryIn says when it
// will let a call through again.
func (b *Breaker) Allow() (done func(failed bool), retryIn time.Duration, ok bool) {
	now := b.o.Now()
	b.mu.Lock()
	change := b.advance(now)
	switch b.state {
	case Open:
		retryIn = b.o.Cooldown - now.Sub(b.since)
		b.mu.Unlock()
		b.notify(change)
		return nil, max(retryIn, 0), false
	case HalfOpen:
		if b.inFlight >= b.o.Probes {
			b.mu.Unlock()
			b.notify(change)
			return nil, b.width, false
		}
		b.inFlight++
		b.mu.Unlock()
		b.notify(change)
		return b.onceDone(true), 0, true
	}
	b.mu.Unlock()
	b.notify(change)
	return b.onceDone(false), 0, true
}

// State returns the current state and when it began.
func (b *Breaker) State() (State, time.Time) {
	b.mu.Lock()
	change := b.advance(b.o.Now())
	s, since := b.state, b.since
	b.mu.Unlock()
	b.notify(change)
	return s, since
}

// transition is a state change to report after the lock is released.
type transition struct{ from, to State }

func (b *Breaker) notify(t *transition) {
	if t != nil && b.o.OnChange != nil {
		b.o.OnChange(t.from, t.to)
	}
}

// advance moves an open breaker whose cooldown has passed to half-open.
// The caller holds b.mu.
func (b *Breaker) advance(now time.Time) *transition {
	if b.state == Open && now.Sub(b.since) >= b.o.Cooldown {
		return b.set(HalfOpen, now)
	}
	return nil
}

// set changes the state and clears what the new state counts afresh. The
// caller holds b.mu.
func (b *Breaker) set(s State, now time.Time) *transition {
	t := &transition{from: b.state, to: s}
	b.state, b.since = s, now
	b.inFlight, b.passed = 0, 0
	if s == Closed {
		b.ring = [buckets]bucket{}
	}
	return t
}

func (b *Breaker) onceDone(probe bool) func(failed bool) {
	var once sync.Once
	return func(failed bool) { once.Do(func() { b.record(probe, failed) }) }
}

// record counts one finished call and changes state when it must.
func (b *Breaker) record(probe, failed bool) {
	now := b.o.Now()
	b.mu.Lock()
	var change *transition
	switch {
	case probe && b.state == HalfOpen:
		b.inFlight--
		if failed {
			change = b.set(Open, now)
		} else if b.passed++; b.passed >= b.o.Probes {
			change = b.set(Closed, now)
		}
	case !probe && b.state == Closed:
		calls, bad := b.count(now, failed)
		if calls >= b.o.MinCalls && float64(bad) >= b.o.FailureRatio*float64(calls) {
			change = b.set(Open, now)
		}
	}
	// A call let through in one state and finished in another (a slow call
	// outliving an open period) no longer says anything about the state.
	b.mu.Unlock()
	b.notify(change)
}

// count adds one call to the current bucket and returns the totals over
// the window. The caller holds b.mu.
func (b *Breaker) count(now time.Time, failed bool) (calls, bad int) {
	epoch := now.UnixNano() / int64(b.width)
	cur := &b.ring[epoch%buckets]
	if cur.epoch != epoch {
		*cur = bucket{epoch: epoch}
	}
	cur.calls++
	if failed {
		cur.bad++
	}
	for _, bk := range b.ring {
		if epoch-bk.epoch < buckets {
			calls += bk.calls
			bad += bk.bad
		}
	}
	return calls, bad
}
