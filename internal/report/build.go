package report

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/crmguard/crmguard/internal/alert"
	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/incident"
	"github.com/crmguard/crmguard/internal/rollup"
)

// MaxBuckets is the most bars the calls-over-time chart has.
const MaxBuckets = 36

// bucketSizes are the chart's bucket widths, smallest first.
var bucketSizes = []time.Duration{
	time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour,
	7 * 24 * time.Hour, 30 * 24 * time.Hour,
}

// scanLimit is the most incidents and alert events a report reads; the
// store returns no more in one query.
const scanLimit = 1000

// Build gathers the report of [from, to) from src, comparing it with the
// period of the same length before from. The queue figures are as of now.
func Build(ctx context.Context, src Source, from, to time.Time) (Report, error) {
	return build(ctx, src, from, to, time.Now())
}

func build(ctx context.Context, src Source, from, to, now time.Time) (Report, error) {
	if from.IsZero() || to.IsZero() {
		return Report{}, errors.New("building report: the period needs both a start and an end")
	}
	if !from.Before(to) {
		return Report{}, fmt.Errorf("building report: the period's start %s is not before its end %s",
			from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339))
	}
	from, to = from.UTC(), to.UTC()
	prevFrom := from.Add(-to.Sub(from))
	r := Report{
		From: from, To: to, PreviousFrom: prevFrom, PreviousTo: from, GeneratedAt: now.UTC(),
		Upstreams: []Upstream{}, Incidents: []Incident{}, Alerts: []AlertEvent{},
	}
	// The same rows GET /api/v1/stats?since=from&until=to reads, so that
	// the two never disagree; the previous period ends where they start.
	cur, err := src.Rollups(ctx, from.Truncate(time.Minute), to)
	if err != nil {
		return Report{}, fmt.Errorf("building report: %w", err)
	}
	prev, err := src.Rollups(ctx, prevFrom.Truncate(time.Minute), from.Truncate(time.Minute))
	if err != nil {
		return Report{}, fmt.Errorf("building report: previous period: %w", err)
	}
	r.Total = newScope(only(rollup.Summarize(from, to, relabel(cur))), cur, prev)
	r.Upstreams = upstreams(from, to, cur, prev)
	r.BucketSeconds, r.Buckets = buckets(from, to, cur)

	if r.Incidents, err = incidents(ctx, src, from, to); err != nil {
		return Report{}, fmt.Errorf("building report: %w", err)
	}
	if r.Alerts, err = alerts(ctx, src, from, to); err != nil {
		return Report{}, fmt.Errorf("building report: %w", err)
	}
	qs, err := src.QueueStats(ctx, now)
	if err != nil {
		return Report{}, fmt.Errorf("building report: %w", err)
	}
	r.Queue = Queue{AsOf: now.UTC(), Pending: qs.Pending, Inflight: qs.Inflight, Depth: qs.Depth,
		Dead: qs.Dead, Delivered: qs.Delivered, OldestAgeSeconds: qs.OldestAge.Seconds()}
	return r, nil
}

// relabel returns rows with the upstream cleared, so that Summarize
// merges them all into one.
func relabel(rows []rollup.Row) []rollup.Row {
	out := slices.Clone(rows)
	for i := range out {
		out[i].Upstream = ""
	}
	return out
}

// only returns the single upstream of st, or none when it has no rows.
func only(st rollup.Stats) rollup.UpstreamStats {
	if len(st.Upstreams) == 0 {
		return rollup.UpstreamStats{}
	}
	return st.Upstreams[0]
}

func upstreams(from, to time.Time, cur, prev []rollup.Row) []Upstream {
	stats := map[string]rollup.UpstreamStats{}
	for _, u := range rollup.Summarize(from, to, cur).Upstreams {
		stats[u.Upstream] = u
	}
	curBy, prevBy := groupBy(cur, upstreamOf), groupBy(prev, upstreamOf)
	out := []Upstream{}
	for _, name := range keys(curBy, prevBy) {
		u := Upstream{Upstream: name, Scope: newScope(stats[name], curBy[name], prevBy[name]), Operations: []Operation{}}
		curOps, prevOps := groupBy(curBy[name], operationOf), groupBy(prevBy[name], operationOf)
		for _, op := range keys(curOps, prevOps) {
			st := only(rollup.Summarize(from, to, curOps[op]))
			u.Operations = append(u.Operations, Operation{Operation: op, Scope: newScope(st, curOps[op], prevOps[op])})
		}
		out = append(out, u)
	}
	return out
}

func upstreamOf(r *rollup.Row) string  { return r.Upstream }
func operationOf(r *rollup.Row) string { return r.Operation }

func groupBy(rows []rollup.Row, key func(*rollup.Row) string) map[string][]rollup.Row {
	m := map[string][]rollup.Row{}
	for i := range rows {
		k := key(&rows[i])
		m[k] = append(m[k], rows[i])
	}
	return m
}

// keys returns the keys of a and b, sorted.
func keys(a, b map[string][]rollup.Row) []string {
	var out []string
	for k := range a {
		out = append(out, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// tally adds up rows by class and by minute.
type tally struct {
	calls, failed int64
	classes       map[fault.Class]int64
	active, good  int64
}

func count(rows []rollup.Row) tally {
	t := tally{classes: map[fault.Class]int64{}}
	type minute struct{ calls, failed int64 }
	minutes := map[time.Time]*minute{}
	for i := range rows {
		r := &rows[i]
		t.calls += r.Calls
		t.classes[r.Class] += r.Calls
		m := minutes[r.Minute]
		if m == nil {
			m = &minute{}
			minutes[r.Minute] = m
		}
		m.calls += r.Calls
		if r.Class.Failed() {
			t.failed += r.Calls
			m.failed += r.Calls
		}
	}
	for _, m := range minutes {
		if m.calls == 0 {
			continue
		}
		t.active++
		if float64(m.failed) <= GoodMinuteMaxFailed*float64(m.calls) {
			t.good++
		}
	}
	return t
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// newScope makes a scope from its rollup statistics (the figures the admin
// API shows) and its rows in both periods (for minutes and trends).
func newScope(st rollup.UpstreamStats, cur, prev []rollup.Row) Scope {
	s := Scope{Calls: st.Calls, Classes: []ClassCount{}, Latency: Latency{
		P50: ms(st.P50), P95: ms(st.P95), P99: ms(st.P99), Max: ms(st.Max), Mean: ms(st.Mean)}}
	s.Failed = st.Failed()
	s.OK = st.Calls - s.Failed
	s.SuccessRatio = ratio(s.OK, s.Calls)
	now, before := count(cur), count(prev)
	s.ActiveMinutes, s.GoodMinutes = now.active, now.good
	s.Availability = ratio(now.good, now.active)
	s.Previous = Previous{Calls: before.calls, Failed: before.failed,
		SuccessRatio: ratio(before.calls-before.failed, before.calls), Availability: ratio(before.good, before.active)}
	for _, c := range fault.Classes() {
		n, p := st.Classes[c], before.classes[c]
		if !c.Failed() || n == 0 && p == 0 {
			continue
		}
		s.Classes = append(s.Classes, ClassCount{Class: c.String(), Calls: n, Previous: p, Trend: trend(n, p)})
	}
	slices.SortStableFunc(s.Classes, func(a, b ClassCount) int {
		return cmp.Or(cmp.Compare(b.Calls, a.Calls), cmp.Compare(b.Previous, a.Previous))
	})
	return s
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// buckets slices the period for the chart: the smallest width of
// bucketSizes that needs at most MaxBuckets, starting at from's minute.
func buckets(from, to time.Time, rows []rollup.Row) (int64, []Bucket) {
	start := from.Truncate(time.Minute)
	span := to.Sub(start)
	size := bucketSizes[len(bucketSizes)-1]
	for _, s := range bucketSizes {
		if span <= time.Duration(MaxBuckets)*s {
			size = s
			break
		}
	}
	n := int((span + size - 1) / size)
	out := make([]Bucket, n)
	for i := range out {
		out[i].Start = start.Add(time.Duration(i) * size)
	}
	for i := range rows {
		r := &rows[i]
		b := &out[min(max(int(r.Minute.Sub(start)/size), 0), n-1)]
		b.Calls += r.Calls
		if r.Class.Failed() {
			b.Failed += r.Calls
		} else {
			b.OK += r.Calls
		}
	}
	return int64(size / time.Second), out
}

func incidents(ctx context.Context, src Source, from, to time.Time) ([]Incident, error) {
	list, err := src.ListIncidents(ctx, incident.Query{Limit: scanLimit})
	if err != nil {
		return nil, err
	}
	out := []Incident{}
	for _, in := range list {
		if in.LastSeen.Before(from) || !in.LastSeen.Before(to) {
			continue
		}
		out = append(out, Incident{Fingerprint: in.Fingerprint, State: string(in.State), Upstream: in.Upstream,
			Operation: in.Operation, Class: in.Class.String(), VendorCode: in.VendorCode, Message: in.Message,
			Count: in.Count, FirstSeen: in.FirstSeen.UTC(), LastSeen: in.LastSeen.UTC(), Remediation: in.Remediation})
	}
	slices.SortStableFunc(out, func(a, b Incident) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), b.LastSeen.Compare(a.LastSeen), cmp.Compare(a.Fingerprint, b.Fingerprint))
	})
	return out[:min(len(out), TopIncidents)], nil
}

func alerts(ctx context.Context, src Source, from, to time.Time) ([]AlertEvent, error) {
	events, err := src.AlertEvents(ctx, alert.EventQuery{Since: from, Limit: scanLimit})
	if err != nil {
		return nil, err
	}
	out := []AlertEvent{}
	for _, e := range events {
		if !e.At.Before(to) || e.Kind != alert.EventFiring && e.Kind != alert.EventResolved {
			continue
		}
		out = append(out, AlertEvent{At: e.At.UTC(), Kind: e.Kind, Rule: e.Rule, AlertID: e.AlertID,
			Labels: e.Labels, Detail: e.Detail})
	}
	// The history is newest first; a report reads oldest first.
	slices.Reverse(out)
	return out, nil
}
