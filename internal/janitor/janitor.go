// Package janitor keeps the store within its retention: it deletes raw call
// records and rollups past their age, deletes delivered and dropped queue
// entries past theirs, and resolves incidents that have gone quiet.
package janitor

import (
	"context"
	"log/slog"
	"time"
)

// Store is what the janitor needs from the store.
type Store interface {
	Purge(ctx context.Context, callsBefore, rollupsBefore time.Time) (calls, rollups int64, err error)
	// ResolveQuiet resolves the open incidents last seen before
	// quietSince and returns their fingerprints.
	ResolveQuiet(ctx context.Context, quietSince, at time.Time) ([]string, error)
}

// Queue is what the janitor needs from the write queue's storage.
type Queue interface {
	PurgeEntries(ctx context.Context, before time.Time) (int64, error)
}

// Options say what to keep.
type Options struct {
	// Queue, when set, has its delivered and dropped entries older than
	// QueueAge deleted.
	Queue    Queue
	QueueAge time.Duration

	CallAge      time.Duration // raw calls older than this are deleted
	RollupAge    time.Duration // rollups older than this are deleted
	ResolveAfter time.Duration // open incidents quiet this long are resolved
	Every        time.Duration // how often to run; default one minute
	Logger       *slog.Logger
}

// Janitor runs the housekeeping.
type Janitor struct {
	s    Store
	opts Options
}

// New returns a Janitor for s.
func New(s Store, opts Options) *Janitor {
	if opts.Every <= 0 {
		opts.Every = time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Janitor{s: s, opts: opts}
}

// Run sweeps once at start and then every interval until ctx is canceled.
func (j *Janitor) Run(ctx context.Context) {
	t := time.NewTicker(j.opts.Every)
	defer t.Stop()
	for {
		j.Sweep(ctx, time.Now())
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Sweep deletes what is past retention and resolves quiet incidents, as of
// now. Failures are logged; the next sweep tries again.
func (j *Janitor) Sweep(ctx context.Context, now time.Time) {
	calls, rollups, err := j.s.Purge(ctx, now.Add(-j.opts.CallAge), now.Add(-j.opts.RollupAge))
	switch {
	case err != nil && ctx.Err() == nil:
		j.opts.Logger.Error("purging expired records failed", "err", err)
	case calls > 0 || rollups > 0:
		j.opts.Logger.Info("purged expired records", "calls", calls, "rollups", rollups)
	}
	if q := j.opts.Queue; q != nil && j.opts.QueueAge > 0 {
		n, err := q.PurgeEntries(ctx, now.Add(-j.opts.QueueAge))
		switch {
		case err != nil && ctx.Err() == nil:
			j.opts.Logger.Error("purging finished queue entries failed", "err", err)
		case n > 0:
			j.opts.Logger.Info("purged finished queue entries", "entries", n)
		}
	}
	fps, err := j.s.ResolveQuiet(ctx, now.Add(-j.opts.ResolveAfter), now)
	switch {
	case err != nil && ctx.Err() == nil:
		j.opts.Logger.Error("resolving quiet incidents failed", "err", err)
	case len(fps) > 0:
		j.opts.Logger.Info("resolved quiet incidents", "incidents", len(fps), "quiet_for", j.opts.ResolveAfter)
	}
}
