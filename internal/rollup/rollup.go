// Package rollup defines the per-minute aggregates of call records that
// crmguard keeps longer than the raw calls, and how rows are merged into
// statistics over a period.
package rollup

import (
	"sort"
	"time"

	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/quantile"
)

// Row aggregates the calls of one minute with the same upstream, operation
// and class. Rows are additive: a writer may store several rows for the
// same key and minute (one per flush, one per replica), and readers add
// them up.
type Row struct {
	Minute     time.Time // start of the minute, UTC
	Upstream   string
	Operation  string
	Class      fault.Class
	Calls      int64
	LatencySum time.Duration
	LatencyMax time.Duration
	Latency    *quantile.Sketch
}

// Key identifies the rows that Add merges into one.
type Key struct {
	Minute    time.Time
	Upstream  string
	Operation string
	Class     fault.Class
}

// Key returns the row's key.
func (r *Row) Key() Key {
	return Key{Minute: r.Minute, Upstream: r.Upstream, Operation: r.Operation, Class: r.Class}
}

// Add counts one call of the row's key.
func (r *Row) Add(latency time.Duration) {
	r.Calls++
	r.LatencySum += latency
	r.LatencyMax = max(r.LatencyMax, latency)
	if r.Latency == nil {
		r.Latency = &quantile.Sketch{}
	}
	r.Latency.Add(latency)
}

// Stats summarises calls per upstream over a period.
type Stats struct {
	Since, Until time.Time
	Upstreams    []UpstreamStats // sorted by name
}

// UpstreamStats is one upstream's share of Stats.
type UpstreamStats struct {
	Upstream string
	Calls    int64
	Classes  map[fault.Class]int64
	P50      time.Duration
	P95      time.Duration
	P99      time.Duration
	Max      time.Duration
	Mean     time.Duration
}

// Summarize merges rows into per-upstream statistics.
func Summarize(since, until time.Time, rows []Row) Stats {
	type acc struct {
		s      UpstreamStats
		sketch quantile.Sketch
		sum    time.Duration
	}
	by := map[string]*acc{}
	for i := range rows {
		r := &rows[i]
		a := by[r.Upstream]
		if a == nil {
			a = &acc{s: UpstreamStats{Upstream: r.Upstream, Classes: map[fault.Class]int64{}}}
			by[r.Upstream] = a
		}
		a.s.Calls += r.Calls
		a.s.Classes[r.Class] += r.Calls
		a.s.Max = max(a.s.Max, r.LatencyMax)
		a.sum += r.LatencySum
		a.sketch.Merge(r.Latency)
	}
	st := Stats{Since: since, Until: until}
	for _, a := range by {
		a.s.P50 = a.sketch.Quantile(0.50)
		a.s.P95 = a.sketch.Quantile(0.95)
		a.s.P99 = a.sketch.Quantile(0.99)
		if a.s.Calls > 0 {
			a.s.Mean = a.sum / time.Duration(a.s.Calls)
		}
		st.Upstreams = append(st.Upstreams, a.s)
	}
	sort.Slice(st.Upstreams, func(i, j int) bool { return st.Upstreams[i].Upstream < st.Upstreams[j].Upstream })
	return st
}

// Failed counts the upstream's failed calls (fault.Class.Failed).
func (s UpstreamStats) Failed() int64 {
	var n int64
	for c, k := range s.Classes {
		if c.Failed() {
			n += k
		}
	}
	return n
}

// ErrorRate is the share of the upstream's calls that failed; 0 without
// calls.
func (s UpstreamStats) ErrorRate() float64 {
	if s.Calls == 0 {
		return 0
	}
	return float64(s.Failed()) / float64(s.Calls)
}
