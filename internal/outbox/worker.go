package outbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	randv2 "math/rand/v2"
	"os"
	"sync/atomic"
	"time"

	"github.com/crmguard/crmguard/internal/retry"
)

// Worker replays queued writes: it claims due entries from a Queue, sends
// them one after another through a Sender, and acknowledges,
// reschedules or dead-letters each by the answer. Several workers, in one
// process or many, may share a queue as long as their owners differ.
type Worker struct {
	q           Queue
	s           Sender
	owner       string
	lease       time.Duration
	batch       int
	poll        time.Duration
	maxAttempts int
	maxAge      time.Duration
	backoff     retry.Policy
	rand        func() float64
	now         func() time.Time
	log         *slog.Logger
	onDelivered func(Entry)
	onDead      func(Entry)
	onSent      func(Entry, Result, time.Duration)
	limits      func(upstream string) Limits

	delivered, dead, rescheduled, postponed, leaseLost atomic.Int64
}

// Options tune a Worker. Zero fields take the defaults in brackets.
type Options struct {
	// Owner names the worker in the leases it takes; it must be unique per
	// worker [host name, process ID and a random suffix].
	Owner string
	// Lease is how long a claim holds its entries; an entry not finished
	// by then may be claimed by another worker, so it also bounds each
	// send [30s].
	Lease time.Duration
	// Batch is the most entries claimed at once [50].
	Batch int
	// Poll is the pause after a round that claimed nothing or failed, and
	// the shortest delay before an entry is tried again [500ms].
	Poll time.Duration
	// MaxAttempts is the most failed attempts an entry may have; the
	// failure that reaches it dead-letters the entry [50].
	MaxAttempts int
	// MaxAge is how long after its creation an entry may still be tried;
	// a failure after that dead-letters it [72h].
	MaxAge time.Duration
	// Backoff spaces the attempts of one entry; only its Backoff and
	// MaxBackoff are used [1s doubling up to 10m, with full jitter].
	Backoff retry.Policy
	// Rand returns numbers in [0, 1) for the backoff's jitter
	// [math/rand/v2.Float64].
	Rand func() float64
	// Now is the clock for claims, leases and due times [time.Now].
	Now func() time.Time
	// Logger receives a line per failure [discarded].
	Logger *slog.Logger
	// OnDelivered and OnDead, when set, are called with an entry once it
	// has been acknowledged or dead-lettered (with State, DeadReason and
	// the times set). They run on the worker's goroutine and should not
	// block.
	OnDelivered, OnDead func(Entry)
	// OnSent, when set, is called after every attempt that was sent (not
	// one held back) with its result and how long it took, before the
	// outcome is stored; the app records it as a call. It runs on the
	// worker's goroutine and should not block.
	OnSent func(e Entry, res Result, took time.Duration)
	// Limits, when set, returns the limits of an upstream's entries; a
	// zero field of its answer takes MaxAttempts or MaxAge.
	Limits func(upstream string) Limits
}

// Limits bound how long an upstream's entries are tried.
type Limits struct {
	MaxAttempts int
	MaxAge      time.Duration
}

// The defaults of Options.
const (
	DefaultLease       = 30 * time.Second
	DefaultBatch       = 50
	DefaultPoll        = 500 * time.Millisecond
	DefaultMaxAttempts = 50
	DefaultMaxAge      = 72 * time.Hour
	DefaultBackoff     = time.Second
	DefaultMaxBackoff  = 10 * time.Minute
)

// NewWorker returns a worker that takes entries from q and sends them
// with s.
func NewWorker(q Queue, s Sender, o Options) *Worker {
	if o.Owner == "" {
		o.Owner = defaultOwner()
	}
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	if o.Batch <= 0 {
		o.Batch = DefaultBatch
	}
	if o.Poll <= 0 {
		o.Poll = DefaultPoll
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.MaxAge <= 0 {
		o.MaxAge = DefaultMaxAge
	}
	if o.Backoff.Backoff <= 0 {
		o.Backoff.Backoff = DefaultBackoff
	}
	if o.Backoff.MaxBackoff <= 0 {
		o.Backoff.MaxBackoff = DefaultMaxBackoff
	}
	if o.Rand == nil {
		o.Rand = randv2.Float64
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Worker{
		q: q, s: s, owner: o.Owner, lease: o.Lease, batch: o.Batch, poll: o.Poll,
		maxAttempts: o.MaxAttempts, maxAge: o.MaxAge, backoff: o.Backoff,
		rand: o.Rand, now: o.Now, log: o.Logger.With("owner", o.Owner),
		onDelivered: o.OnDelivered, onDead: o.OnDead, onSent: o.OnSent, limits: o.Limits,
	}
}

// defaultOwner returns host name, process ID and a random suffix, unique
// enough for a lease owner.
func defaultOwner() string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b) // never fails (crypto/rand documents it)
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b))
}

// Owner returns the name the worker takes leases under.
func (w *Worker) Owner() string { return w.owner }

// Run claims and sends entries until ctx is canceled, pausing Poll when
// nothing is due or the queue fails. On cancellation it finishes the entry
// it is sending (bounded by the lease) and returns without starting
// another; entries it claimed and did not start stay leased until their
// lease expires, then any worker may claim them.
func (w *Worker) Run(ctx context.Context) {
	for ctx.Err() == nil {
		n, err := w.round(ctx)
		if err != nil && ctx.Err() == nil {
			w.log.Error("outbox round failed", "err", err)
		}
		if n == 0 || err != nil {
			pause(ctx, w.poll)
		}
	}
}

// Drain runs rounds until a claim finds nothing due, and returns the first
// queue failure of a claim or ctx's error. It is meant for tests and for
// flushing the queue at shutdown; entries rescheduled while it runs are
// sent again in the same Drain if they fall due.
func (w *Worker) Drain(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := w.round(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
	}
}

// round claims one batch and sends its entries in ID order, which keeps
// each record key's writes in order (Claim returns at most the oldest
// unfinished entry of a key). It returns how many entries it claimed.
func (w *Worker) round(ctx context.Context) (int, error) {
	now := w.now()
	es, err := w.q.Claim(ctx, w.owner, now, w.lease, w.batch)
	if err != nil {
		return 0, fmt.Errorf("claiming outbox entries: %w", err)
	}
	end := now.Add(w.lease)
	for i, e := range es {
		if ctx.Err() != nil {
			break
		}
		left := end.Sub(w.now())
		if left <= 0 {
			// Another worker may have claimed the rest by now; sending
			// them could deliver a write twice.
			w.log.Warn("outbox lease expired before the batch was sent", "entry", e.ID, "left_unsent", len(es)-i)
			break
		}
		w.deliver(ctx, e, left)
	}
	return len(es), nil
}

// deliver sends e, giving up when the lease ends in left, and settles the
// outcome. Neither the send nor the settling is cut short by ctx's
// cancellation, so a write in flight is not left half-recorded.
//
// A write that may apply twice is marked begun before it is sent, so that
// if this replica dies mid-send the next owner knows the write may have
// reached the CRM (Entry.Unsure) and does not send it again.
func (w *Worker) deliver(ctx context.Context, e Entry, left time.Duration) {
	ctx = context.WithoutCancel(ctx)
	log := w.log.With("entry", e.ID, "upstream", e.Upstream, "record_key", e.RecordKey, "attempts", e.Attempts)
	if e.Unsure && !e.Idempotent {
		w.kill(ctx, log, e, w.now(), "a crmguard replica stopped while sending this write, so it may have reached the CRM, "+
			"and it cannot be made idempotent: it is not sent again. Check the record in the CRM, then replay or drop the entry")
		return
	}
	if !e.Idempotent {
		if err := w.q.Begin(ctx, e.ID, w.owner, w.now()); err != nil {
			w.failed(log, "beginning", err)
			return
		}
	}
	sctx, cancel := context.WithTimeout(ctx, left)
	start := w.now()
	res, err := w.s.Send(sctx, e)
	cancel()
	if err == nil && w.onSent != nil {
		w.onSent(e, res, w.now().Sub(start))
	}
	w.settle(ctx, log, e, res, err)
}

// Counts are what a worker has done since it was made.
type Counts struct {
	// Delivered, Dead and Rescheduled count entries acknowledged,
	// dead-lettered and put back to be tried again; Postponed counts
	// entries held back without being sent (breaker, quota, pacing).
	Delivered, Dead, Rescheduled, Postponed int64
	// LeaseLost counts entries whose outcome could not be recorded
	// because another owner held them by then.
	LeaseLost int64
}

// Stats returns the worker's counts. It is safe to call while the worker
// runs.
func (w *Worker) Stats() Counts {
	return Counts{
		Delivered: w.delivered.Load(), Dead: w.dead.Load(),
		Rescheduled: w.rescheduled.Load(), Postponed: w.postponed.Load(), LeaseLost: w.leaseLost.Load(),
	}
}

// pause waits d or until ctx is done.
func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
