package retry

import (
	"math"
	"sync"
	"time"
)

// window is the number of one-second buckets a Budget remembers.
const window = 10

// Budget limits retries to a share of the first attempts seen over a
// sliding window of ten seconds, plus a small reserve, so that a failing
// CRM is not hit by every client's retries at once (Finagle's RetryBudget;
// Envoy's retry budgets). A Budget is safe for concurrent use and starts no
// goroutines. A nil *Budget allows every retry.
type Budget struct {
	ratio   float64
	reserve float64 // minPerSecond × window
	now     func() time.Time

	mu      sync.Mutex
	start   time.Time
	last    int64 // the latest second seen, counted from start; never decreases
	buckets [window]bucket
}

// bucket counts one second's first attempts and retries.
type bucket struct {
	sec      int64
	requests int
	retries  int
}

// NewBudget returns a budget that, over the last ten seconds, allows as many
// retries as ratio times the first attempts counted by Request, plus
// minPerSecond per second of the window, so that a quiet client may still
// retry. A typical budget is NewBudget(0.2, 10, time.Now). Negative or NaN
// arguments count as 0; a nil now means time.Now. The budget reads now
// only through differences, so the monotonic clock of time.Now is used and
// wall-clock jumps do not disturb it.
func NewBudget(ratio float64, minPerSecond int, now func() time.Time) *Budget {
	if !(ratio >= 0) || math.IsInf(ratio, 0) {
		ratio = 0
	}
	if now == nil {
		now = time.Now
	}
	return &Budget{
		ratio:   ratio,
		reserve: float64(max(minPerSecond, 0)) * window,
		now:     now,
		start:   now(),
	}
}

// Request counts a first attempt, which entitles later retries.
func (b *Budget) Request() {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.current().requests++
}

// Allow takes one retry from the budget and reports whether it could: it
// could when the retries in the window, this one included, stay within
// ratio × first attempts + minPerSecond × 10. A refused retry is not
// counted.
func (b *Budget) Allow() bool {
	if b == nil {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	cur := b.current()
	requests, retries := 0, 0
	for i := range b.buckets {
		if bk := &b.buckets[i]; bk.sec > b.last-window {
			requests += bk.requests
			retries += bk.retries
		}
	}
	// The slack keeps float rounding (0.29 × 100 = 28.999…) from costing
	// a retry the ratio grants.
	if float64(retries+1) > b.ratio*float64(requests)+b.reserve+1e-9 {
		return false
	}
	cur.retries++
	return true
}

// current returns the bucket of the current second, emptied if it last
// counted an older second. The caller holds b.mu.
func (b *Budget) current() *bucket {
	sec := int64(b.now().Sub(b.start) / time.Second)
	// A clock that steps back (a fake one; time.Now is monotonic) keeps
	// counting in the latest second rather than in buckets of the past.
	b.last = max(b.last, sec)
	bk := &b.buckets[b.last%window]
	if bk.sec != b.last {
		*bk = bucket{sec: b.last}
	}
	return bk
}
