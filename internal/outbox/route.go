package outbox

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/time/rate"

	"github.com/crmguard/crmguard/internal/fault"
)

// HeldError is returned by a Sender that did not send an entry because it
// must wait: its upstream's replay rate is used up, or the upstream is
// unknown to this replica. The worker puts the entry back, due in RetryIn,
// without counting an attempt.
type HeldError struct {
	RetryIn time.Duration
	Class   fault.Class
	Reason  string
}

func (e *HeldError) Error() string { return e.Reason }

// Router is the Sender of a queue shared by several upstreams: it sends
// each entry with its upstream's Sender, no faster than that upstream's
// rate, so a backlog drained after an outage does not flood a CRM that
// has just recovered. Live calls are not paced by it.
type Router struct {
	routes map[string]route
}

type route struct {
	s     Sender
	limit *rate.Limiter
}

var _ Sender = (*Router)(nil)

// NewRouter returns a Router without upstreams; Add them before use.
func NewRouter() *Router { return &Router{routes: make(map[string]route)} }

// Add routes the entries of upstream to s, at most perSecond of them per
// second (with a burst of one second's worth, at least one).
func (r *Router) Add(upstream string, s Sender, perSecond float64) {
	burst := max(int(perSecond), 1)
	r.routes[upstream] = route{s: s, limit: rate.NewLimiter(rate.Limit(perSecond), burst)}
}

// unknownUpstreamWait is how long an entry of an upstream this replica
// does not know waits: another replica with a newer configuration may
// know it, or the upstream returns with the next restart.
const unknownUpstreamWait = time.Minute

// Send waits for the entry's upstream rate, if that wait ends before ctx's
// deadline (the worker's lease), and sends it; otherwise it returns a
// *HeldError saying when to try again.
func (r *Router) Send(ctx context.Context, e Entry) (Result, error) {
	rt, ok := r.routes[e.Upstream]
	if !ok {
		return Result{}, &HeldError{
			RetryIn: unknownUpstreamWait, Class: fault.Parameter,
			Reason: fmt.Sprintf("upstream %q is not configured in this crmguard; the entry waits for a replica that knows it", e.Upstream),
		}
	}
	res := rt.limit.Reserve()
	if d := res.Delay(); d > 0 {
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d+time.Second {
			res.Cancel()
			return Result{}, &HeldError{RetryIn: d, Class: fault.RateLimit, Reason: fmt.Sprintf("paced: the replay rate of upstream %q is used up", e.Upstream)}
		}
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			res.Cancel()
			return Result{}, &HeldError{RetryIn: d, Class: fault.RateLimit, Reason: "paced: the worker stopped while waiting for the replay rate"}
		}
	}
	return rt.s.Send(ctx, e)
}
