// Package report tells the story of a period of traffic in a report people
// read: calls, success and availability per upstream and operation, failures
// by class against the previous period, latency, top incidents, alerts and
// the write queue. Build gathers a Report from the store; WriteJSON,
// WriteCSV, WriteMarkdown and WriteHTML render it; Runner writes reports on
// a schedule.
package report

import (
	"context"
	"time"

	"github.com/crmguard/crmguard/internal/alert"
	"github.com/crmguard/crmguard/internal/incident"
	"github.com/crmguard/crmguard/internal/outbox"
	"github.com/crmguard/crmguard/internal/rollup"
)

// Source is what a report reads. *store.DB satisfies it.
type Source interface {
	// Rollups returns the rollup rows whose minute is in [since, until).
	Rollups(ctx context.Context, since, until time.Time) ([]rollup.Row, error)
	// ListIncidents returns incidents, most recently seen first.
	ListIncidents(ctx context.Context, q incident.Query) ([]incident.Incident, error)
	// AlertEvents returns the alert history, newest first.
	AlertEvents(ctx context.Context, q alert.EventQuery) ([]alert.Event, error)
	// QueueStats counts the write queue's entries as of now.
	QueueStats(ctx context.Context, now time.Time) (outbox.Stats, error)
}

// GoodMinuteMaxFailed is the largest share of failed calls a minute may
// have and still count as available (see Scope.Availability).
const GoodMinuteMaxFailed = 0.05

// TopIncidents is how many incidents a report lists at most.
const TopIncidents = 10

// Report is one period's story, as plain data. Times are UTC.
type Report struct {
	// From and To bound the period [From, To). Minutes are the unit: the
	// period covers the per-minute rollups from the minute From falls in
	// up to the minutes that start before To, exactly the rows that
	// GET /api/v1/stats?since=From&until=To reads.
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// PreviousFrom and PreviousTo bound the period of the same length
	// just before, which the trends compare with: its minutes are those
	// from the minute PreviousFrom falls in up to the minute From falls in.
	PreviousFrom time.Time `json:"previous_from"`
	PreviousTo   time.Time `json:"previous_to"`
	GeneratedAt  time.Time `json:"generated_at"`
	// Timezone names the zone the renderers show times in (an IANA name
	// such as Europe/Berlin); empty means UTC. Times in the data stay UTC.
	Timezone string `json:"timezone,omitempty"`
	// Total covers every upstream together.
	Total Scope `json:"total"`
	// Upstreams are sorted by name; each lists its operations.
	Upstreams []Upstream `json:"upstreams"`
	// BucketSeconds is the width of each of Buckets, chosen so that a
	// period has at most MaxBuckets of them.
	BucketSeconds int64    `json:"bucket_seconds"`
	Buckets       []Bucket `json:"buckets"`
	// Incidents are the incidents last seen in the period, most calls
	// first, at most TopIncidents.
	Incidents []Incident `json:"incidents"`
	// Alerts are the alerts that fired or resolved in the period, oldest
	// first.
	Alerts []AlertEvent `json:"alerts"`
	// Queue is the write queue as of GeneratedAt, not over the period:
	// the store keeps no history of it.
	Queue Queue `json:"queue"`
}

// Scope is what the calls of one scope (every upstream, one upstream, or
// one operation of one) did in the period and the previous one.
type Scope struct {
	Calls  int64 `json:"calls"`
	OK     int64 `json:"ok"`
	Failed int64 `json:"failed"` // calls of every class but ok
	// SuccessRatio is OK / Calls, 0 when there were no calls.
	SuccessRatio float64 `json:"success_ratio"`
	// Availability is GoodMinutes / ActiveMinutes, 0 when no minute had
	// a call. A minute is active when it had at least one call and good
	// when at most GoodMinuteMaxFailed of its calls failed.
	Availability  float64 `json:"availability"`
	ActiveMinutes int64   `json:"active_minutes"`
	GoodMinutes   int64   `json:"good_minutes"`
	// Classes are the failure classes seen in either period, most calls
	// first; ok is not among them.
	Classes  []ClassCount `json:"classes"`
	Latency  Latency      `json:"latency_ms"`
	Previous Previous     `json:"previous"`
}

// Previous is a scope's figures in the previous period.
type Previous struct {
	Calls        int64   `json:"calls"`
	Failed       int64   `json:"failed"`
	SuccessRatio float64 `json:"success_ratio"`
	Availability float64 `json:"availability"`
}

// Upstream is one upstream's scope and its operations, sorted by name.
type Upstream struct {
	Upstream string `json:"upstream"`
	Scope
	Operations []Operation `json:"operations"`
}

// Operation is one operation's scope within its upstream.
type Operation struct {
	Operation string `json:"operation"`
	Scope
}

// Trend says how a count moved from the previous period.
type Trend string

// The trends.
const (
	Up   Trend = "up"
	Down Trend = "down"
	Flat Trend = "flat"
)

// Arrow returns ↑, ↓ or →.
func (t Trend) Arrow() string {
	switch t {
	case Up:
		return "↑"
	case Down:
		return "↓"
	}
	return "→"
}

func trend(now, before int64) Trend {
	switch {
	case now > before:
		return Up
	case now < before:
		return Down
	}
	return Flat
}

// ClassCount is the calls of one failure class in a scope.
type ClassCount struct {
	Class    string `json:"class"`
	Calls    int64  `json:"calls"`
	Previous int64  `json:"previous"`
	Trend    Trend  `json:"trend"`
}

// Latency holds quantiles of call latency in milliseconds, merged from the
// rollups' sketches (relative error under 2%), as the admin API's stats.
type Latency struct {
	P50  float64 `json:"p50"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// Bucket is the calls of one slice of the period, for the chart.
type Bucket struct {
	Start  time.Time `json:"start"`
	Calls  int64     `json:"calls"`
	OK     int64     `json:"ok"`
	Failed int64     `json:"failed"`
}

// Incident is an incident last seen in the period. Count is every call it
// grouped since FirstSeen, which may be before the period.
type Incident struct {
	Fingerprint string    `json:"fingerprint"`
	State       string    `json:"state"`
	Upstream    string    `json:"upstream"`
	Operation   string    `json:"operation"`
	Class       string    `json:"class"`
	VendorCode  string    `json:"vendor_code,omitempty"`
	Message     string    `json:"message"`
	Count       int64     `json:"count"`
	FirstSeen   time.Time `json:"first_seen"`
	LastSeen    time.Time `json:"last_seen"`
	Remediation string    `json:"remediation,omitempty"`
}

// AlertEvent is an alert firing or resolving in the period.
type AlertEvent struct {
	At      time.Time         `json:"at"`
	Kind    string            `json:"kind"` // firing or resolved
	Rule    string            `json:"rule"`
	AlertID string            `json:"alert_id"`
	Labels  map[string]string `json:"labels,omitempty"`
	Detail  string            `json:"detail,omitempty"`
}

// Queue is the write queue at report time (see outbox.Stats).
type Queue struct {
	AsOf             time.Time `json:"as_of"`
	Pending          int64     `json:"pending"`
	Inflight         int64     `json:"inflight"`
	Depth            int64     `json:"depth"`
	Dead             int64     `json:"dead"`
	Delivered        int64     `json:"delivered"`
	OldestAgeSeconds float64   `json:"oldest_age_seconds"`
}

// FiredAlerts counts the alerts that fired in the period.
func (r *Report) FiredAlerts() int {
	n := 0
	for _, a := range r.Alerts {
		if a.Kind == alert.EventFiring {
			n++
		}
	}
	return n
}
