package retry

import (
	"sync"
	"testing"
	"time"
)

// clock is a fake time source a test moves by hand.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

// allowN calls Allow n times and returns how many were allowed.
func allowN(b *Budget, n int) int {
	allowed := 0
	for range n {
		if b.Allow() {
			allowed++
		}
	}
	return allowed
}

func TestBudget(t *testing.T) {
	tests := []struct {
		name         string
		ratio        float64
		minPerSecond int
		requests     int
		tries        int
		want         int
	}{
		{"reserve alone with no traffic", 0.2, 10, 0, 500, 100},
		{"ratio on top of the reserve", 0.2, 10, 1000, 1000, 300},
		{"ratio alone", 0.2, 0, 1000, 1000, 200},
		{"ratio 1 allows one retry per request", 1, 0, 50, 100, 50},
		{"nothing allowed", 0, 0, 1000, 10, 0},
		{"negative arguments count as 0", -1, -5, 1000, 10, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &clock{t: time.Unix(1_700_000_000, 0)}
			b := NewBudget(tc.ratio, tc.minPerSecond, c.now)
			for range tc.requests {
				b.Request()
			}
			if got := allowN(b, tc.tries); got != tc.want {
				t.Errorf("allowed %d of %d retries; want %d", got, tc.tries, tc.want)
			}
		})
	}
}

// TestBudget_underLoad keeps a steady load of first attempts that all fail
// and checks that retries settle at the ratio.
func TestBudget_underLoad(t *testing.T) {
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	b := NewBudget(0.1, 1, c.now)
	allowed := 0
	for sec := range 60 {
		for range 100 {
			b.Request()
			if b.Allow() {
				allowed++
			}
		}
		c.advance(time.Second)
		if sec == 29 {
			allowed = 0 // measure the last 30 seconds, after the warm-up
		}
	}
	// 100 requests/s × 0.1 + 1/s reserve = 11 retries/s at most.
	if perSecond := float64(allowed) / 30; perSecond < 10 || perSecond > 11 {
		t.Errorf("got %.1f retries/s; want between 10 and 11", perSecond)
	}
}

func TestBudget_windowSlides(t *testing.T) {
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	b := NewBudget(0, 1, c.now) // reserve of 10 per window
	if got := allowN(b, 20); got != 10 {
		t.Fatalf("first window: allowed %d; want 10", got)
	}
	c.advance(9 * time.Second)
	if got := allowN(b, 5); got != 0 {
		t.Errorf("9 s later, still in the window: allowed %d; want 0", got)
	}
	c.advance(time.Second)
	if got := allowN(b, 20); got != 10 {
		t.Errorf("10 s later, first second expired: allowed %d; want 10", got)
	}
	c.advance(time.Hour)
	if got := allowN(b, 20); got != 10 {
		t.Errorf("an hour later: allowed %d; want 10", got)
	}
}

func TestBudget_requestsExpire(t *testing.T) {
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	b := NewBudget(0.5, 0, c.now)
	for range 100 {
		b.Request()
	}
	c.advance(10 * time.Second)
	if got := allowN(b, 10); got != 0 {
		t.Errorf("after the requests left the window: allowed %d; want 0", got)
	}
}

func TestBudget_clockStepsBack(t *testing.T) {
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	b := NewBudget(0, 1, c.now)
	c.advance(5 * time.Second)
	if got := allowN(b, 10); got != 10 {
		t.Fatalf("allowed %d; want 10", got)
	}
	c.advance(-time.Minute)
	if got := allowN(b, 10); got != 0 {
		t.Errorf("after the clock stepped back: allowed %d; want 0", got)
	}
}

func TestBudget_nil(t *testing.T) {
	var b *Budget
	b.Request()
	if !b.Allow() {
		t.Errorf("nil budget: got Allow false; want true")
	}
}

// TestBudget_concurrent is for -race: the budget must hand out exactly its
// retries however many goroutines ask.
func TestBudget_concurrent(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	b := NewBudget(0.2, 10, func() time.Time { return now })
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		allowed int
	)
	for range 16 {
		wg.Go(func() {
			n := 0
			for range 100 {
				b.Request()
				if b.Allow() {
					n++
				}
			}
			mu.Lock()
			allowed += n
			mu.Unlock()
		})
	}
	wg.Wait()
	// 1600 requests × 0.2 + 10/s × 10 s; every goroutine asks right after
	// counting its request, so the budget never runs dry early.
	if want := 420; allowed != want {
		t.Errorf("allowed %d; want %d", allowed, want)
	}
}

func TestBudget_rounding(t *testing.T) {
	b := NewBudget(0.29, 0, nil)
	for range 100 {
		b.Request()
	}
	if got := allowN(b, 40); got != 29 {
		t.Errorf("allowed %d; want 29", got)
	}
}
