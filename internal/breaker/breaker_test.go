package breaker

import (
	"sync"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time      { return c.t }
func (c *clock) add(d time.Duration) { c.t = c.t.Add(d) }
func call(t *testing.T, b *Breaker, failed bool) bool {
	t.Helper()
	done, _, ok := b.Allow()
	if ok {
		done(failed)
	}
	return ok
}

func newTest(c *clock, changes *[]string) *Breaker {
	return New(Options{FailureRatio: 0.5, MinCalls: 10, Window: 10 * time.Second, Cooldown: 5 * time.Second, Probes: 2,
		Now: c.now, OnChange: func(from, to State) { *changes = append(*changes, from.String()+"→"+to.String()) }})
}

func TestBreaker_OpensOnRatioWithMinimumVolume(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	var changes []string
	b := newTest(c, &changes)
	for i := range 9 {
		call(t, b, i%2 == 0) // 5 of 9 failed, but fewer than MinCalls
	}
	if s, _ := b.State(); s != Closed {
		t.Fatalf("after 9 calls state = %s; want closed (below min_calls)", s)
	}
	call(t, b, false) // 10 calls, 5 failed: ratio 0.5 reached
	if s, _ := b.State(); s != Open {
		t.Fatalf("after 10 calls with half failed, state = %s; want open", s)
	}
	if _, retryIn, ok := b.Allow(); ok || retryIn != 5*time.Second {
		t.Errorf("Allow while open = %v, retry in %v; want refused, 5s", ok, retryIn)
	}
	if len(changes) != 1 || changes[0] != "closed→open" {
		t.Errorf("changes = %v", changes)
	}
}

func TestBreaker_StaysClosedBelowRatio(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	var changes []string
	b := newTest(c, &changes)
	for i := range 100 {
		call(t, b, i%3 == 0) // a third fail
	}
	if s, _ := b.State(); s != Closed {
		t.Errorf("state = %s; want closed", s)
	}
}

func TestBreaker_WindowSlides(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	var changes []string
	b := newTest(c, &changes)
	for range 9 {
		call(t, b, true) // 9 failures, one short of min_calls
	}
	c.add(11 * time.Second) // they fall out of the window
	call(t, b, true)
	if s, _ := b.State(); s != Closed {
		t.Errorf("state = %s; want closed: old failures left the window", s)
	}
}

func TestBreaker_HalfOpenProbes(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	var changes []string
	b := newTest(c, &changes)
	for range 10 {
		call(t, b, true)
	}
	c.add(5 * time.Second)
	if s, _ := b.State(); s != HalfOpen {
		t.Fatalf("after the cooldown state = %s; want half-open", s)
	}
	d1, _, ok1 := b.Allow()
	d2, _, ok2 := b.Allow()
	_, _, ok3 := b.Allow()
	if !ok1 || !ok2 || ok3 {
		t.Fatalf("half-open let through %v %v %v; want exactly 2 probes", ok1, ok2, ok3)
	}
	d1(false)
	d2(false)
	if s, _ := b.State(); s != Closed {
		t.Fatalf("after 2 good probes state = %s; want closed", s)
	}
	// Open again, and a failed probe reopens.
	for range 10 {
		call(t, b, true)
	}
	c.add(5 * time.Second)
	call(t, b, true)
	if s, _ := b.State(); s != Open {
		t.Errorf("after a failed probe state = %s; want open", s)
	}
	want := []string{"closed→open", "open→half-open", "half-open→closed", "closed→open", "open→half-open", "half-open→open"}
	if len(changes) != len(want) {
		t.Fatalf("changes = %v; want %v", changes, want)
	}
	for i := range want {
		if changes[i] != want[i] {
			t.Errorf("change %d = %s; want %s", i, changes[i], want[i])
		}
	}
}

func TestBreaker_DoneTwiceCountsOnce(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	var changes []string
	b := newTest(c, &changes)
	for range 5 {
		done, _, _ := b.Allow()
		done(true)
		done(true)
	}
	for range 5 {
		call(t, b, false)
	}
	// 10 calls, 5 failed → open; had done counted twice it would have
	// opened at the 5th call already.
	if len(changes) != 1 {
		t.Errorf("changes = %v; want one opening after the 10th call", changes)
	}
}

func TestBreaker_Concurrent(t *testing.T) {
	b := New(Options{MinCalls: 5})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 1000 {
				if done, _, ok := b.Allow(); ok {
					done((i+j)%2 == 0)
				}
				b.State()
			}
		})
	}
	wg.Wait()
}
