// Package recorder writes finished calls to the store off the request path:
// calls queue in a bounded buffer, a single loop writes them in batches
// together with the per-minute rollups and the incident occurrences they
// add up to. When the buffer is full a call is dropped, counted and logged,
// never waited for.
package recorder

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/crmguard/crmguard/internal/call"
	"github.com/crmguard/crmguard/internal/incident"
	"github.com/crmguard/crmguard/internal/rollup"
)

// Batch is what one write stores, in one transaction.
type Batch struct {
	Calls []*call.Call
	// Fingerprints holds, for each call, the fingerprint of the incident
	// it belongs to, or "" for a successful call.
	Fingerprints []string
	Rollups      []rollup.Row
	Incidents    []incident.Occurrence
}

// Writer stores batches.
type Writer interface {
	WriteBatch(ctx context.Context, b Batch) error
}

// Options tune a Recorder. Zero fields take the defaults in brackets.
type Options struct {
	Buffer         int           // calls that may wait to be written [65536]
	Batch          int           // most calls per write [1000]
	FlushInterval  time.Duration // longest a call waits [1s]
	RollupInterval time.Duration // how often rollups are written [10s]
	Logger         *slog.Logger
	Registerer     prometheus.Registerer
}

// Recorder queues calls and writes them in batches. Record may be called
// from any goroutine; Run must be running for anything to be written.
type Recorder struct {
	w    Writer
	opts Options
	ch   chan *call.Call
	sync chan chan error
	log  *slog.Logger
	m    *metrics
	// full counts calls dropped for a full buffer, for the log line.
	full atomic.Int64

	// Owned by the Run loop.
	pending    []*call.Call
	rollups    map[rollup.Key]*rollup.Row
	lastRollup time.Time
	dropLogged time.Time
	dropSince  int64
}

// New returns a Recorder writing to w.
func New(w Writer, opts Options) *Recorder {
	if opts.Buffer <= 0 {
		opts.Buffer = 65536
	}
	if opts.Batch <= 0 {
		opts.Batch = 1000
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = time.Second
	}
	if opts.RollupInterval <= 0 {
		opts.RollupInterval = 10 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Recorder{
		w:       w,
		opts:    opts,
		ch:      make(chan *call.Call, opts.Buffer),
		sync:    make(chan chan error),
		log:     opts.Logger,
		rollups: map[rollup.Key]*rollup.Row{},
	}
	r.m = newMetrics(opts.Registerer, func() float64 { return float64(len(r.ch)) })
	return r
}

// Record queues c to be written. It never blocks: if the buffer is full,
// c is dropped and counted in crmguard_recorder_dropped_total.
func (r *Recorder) Record(c *call.Call) {
	select {
	case r.ch <- c:
	default:
		r.full.Add(1)
		r.m.droppedFull.Inc()
	}
}

// Queued returns how many calls wait to be written.
func (r *Recorder) Queued() int { return len(r.ch) }

// Capacity returns how many calls may wait before Record drops them.
func (r *Recorder) Capacity() int { return cap(r.ch) }

// Sync waits until every call recorded before it was called is written,
// along with the rollups so far. It is for tests, the demo and shutdown
// paths, not for the request path.
func (r *Recorder) Sync(ctx context.Context) error {
	done := make(chan error, 1)
	select {
	case r.sync <- done:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Run writes batches until ctx is canceled, then writes what is still
// queued (bounded by ten seconds) and returns.
func (r *Recorder) Run(ctx context.Context) {
	tick := time.NewTicker(r.opts.FlushInterval)
	defer tick.Stop()
	r.lastRollup = time.Now()
	for {
		select {
		case c := <-r.ch:
			r.pending = append(r.pending, c)
			if len(r.pending) >= r.opts.Batch {
				r.flush(ctx, false)
			}
		case <-tick.C:
			r.flush(ctx, time.Since(r.lastRollup) >= r.opts.RollupInterval)
		case done := <-r.sync:
			r.drain()
			done <- r.flush(ctx, true)
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			r.drain()
			r.flush(final, true)
			cancel()
			return
		}
	}
}

// drain moves every queued call to pending, flushing full batches.
func (r *Recorder) drain() {
	for {
		select {
		case c := <-r.ch:
			r.pending = append(r.pending, c)
			if len(r.pending) >= r.opts.Batch {
				r.flush(context.Background(), false)
			}
		default:
			return
		}
	}
}
