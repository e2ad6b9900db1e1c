package zabbix

import (
	"strconv"
	"strings"
	"time"
)

// The keys of the items crmguard pushes. The per-upstream keys take the
// upstream's name as their parameter, as in crmguard.calls[sf]; the
// others have none.
const (
	KeyCalls          = "crmguard.calls"
	KeyErrorRate      = "crmguard.error_rate"
	KeyLatencyP95     = "crmguard.latency.p95"
	KeyBreakerOpen    = "crmguard.breaker.open"
	KeyQueueDepth     = "crmguard.queue.depth"
	KeyQueueOldestAge = "crmguard.queue.oldest_age"
	KeyQueueDead      = "crmguard.queue.dead"
	KeyAlertsFiring   = "crmguard.alerts.firing"
)

// Figures are crmguard's current figures, as pushed to Zabbix by Items.
type Figures struct {
	// Upstreams holds one entry per configured upstream, in the order
	// of the configuration.
	Upstreams []UpstreamFigures
	// QueueDepth is the number of pending and inflight writes, and
	// QueueDead the number of dead letters.
	QueueDepth, QueueDead int64
	// QueueOldestAge is how long the oldest unfinished write has waited.
	QueueOldestAge time.Duration
	// AlertsFiring is the number of alerts firing.
	AlertsFiring int
}

// UpstreamFigures are one upstream's figures over the window the caller
// chose, such as the last five minutes.
type UpstreamFigures struct {
	// Name is the upstream's name in crmguard's configuration.
	Name string
	// Calls is the number of calls in the window.
	Calls int64
	// ErrorRate is the share of those calls that failed, from 0 to 1; 0
	// when there were none.
	ErrorRate float64
	// P95 is the 95th percentile of their latency.
	P95 time.Duration
	// BreakerOpen is whether the circuit breaker of any of the
	// upstream's endpoints (the primary or a failover) is open.
	BreakerOpen bool
}

// metric is one item crmguard pushes: its key, its value and how it
// appears in the template. Keys, Items and Template all read the tables
// below, so that the keys sent and the trapper items in the template
// cannot disagree.
type metric struct {
	key, name   string
	valueType   string // FLOAT or UNSIGNED
	units       string
	description string
	upstream    func(UpstreamFigures) string // the value, in upstreamMetrics
	global      func(Figures) string         // the value, in globalMetrics
}

// upstreamMetrics are pushed once per upstream, in this order.
var upstreamMetrics = []metric{
	{
		key: KeyCalls, name: "calls", valueType: "UNSIGNED",
		description: "Calls crmguard proxied to the upstream in the window crmguard pushes for (5 minutes by default).",
		upstream:    func(u UpstreamFigures) string { return strconv.FormatInt(u.Calls, 10) },
	},
	{
		key: KeyErrorRate, name: "error rate", valueType: "FLOAT",
		description: "Share of the upstream's calls in the window that failed, from 0 to 1.",
		upstream:    func(u UpstreamFigures) string { return formatFloat(u.ErrorRate) },
	},
	{
		key: KeyLatencyP95, name: "latency p95", valueType: "FLOAT", units: "s",
		description: "95th percentile of the latency of the upstream's calls in the window.",
		upstream:    func(u UpstreamFigures) string { return formatSeconds(u.P95) },
	},
	{
		key: KeyBreakerOpen, name: "circuit breaker open", valueType: "UNSIGNED",
		description: "1 when the circuit breaker of any of the upstream's endpoints is open, so that calls to it fail fast; else 0.",
		upstream:    func(u UpstreamFigures) string { return boolValue(u.BreakerOpen) },
	},
}

// globalMetrics are pushed once, after the upstreams'.
var globalMetrics = []metric{
	{
		key: KeyQueueDepth, name: "write queue depth", valueType: "UNSIGNED",
		description: "Writes waiting in the durable write queue: pending and inflight.",
		global:      func(f Figures) string { return strconv.FormatInt(f.QueueDepth, 10) },
	},
	{
		key: KeyQueueOldestAge, name: "write queue oldest age", valueType: "FLOAT", units: "s",
		description: "How long the oldest unfinished write in the queue has waited.",
		global:      func(f Figures) string { return formatSeconds(f.QueueOldestAge) },
	},
	{
		key: KeyQueueDead, name: "write queue dead letters", valueType: "UNSIGNED",
		description: "Writes crmguard gave up on; replay or drop them with crmguard queue.",
		global:      func(f Figures) string { return strconv.FormatInt(f.QueueDead, 10) },
	},
	{
		key: KeyAlertsFiring, name: "alerts firing", valueType: "UNSIGNED",
		description: "Alerts crmguard has firing.",
		global:      func(f Figures) string { return strconv.Itoa(f.AlertsFiring) },
	},
}

// Keys returns the keys of every item crmguard pushes for the upstreams
// named: for each upstream in order its calls, error rate, latency p95
// and breaker keys, then the queue and alert keys. Items uses exactly
// these keys and Template writes a trapper item for each.
func Keys(upstreams []string) []string {
	keys := make([]string, 0, len(upstreams)*len(upstreamMetrics)+len(globalMetrics))
	for _, u := range upstreams {
		for _, m := range upstreamMetrics {
			keys = append(keys, itemKey(m.key, u))
		}
	}
	for _, m := range globalMetrics {
		keys = append(keys, m.key)
	}
	return keys
}

// Items returns f as items for host, measured at at, with exactly the
// keys Keys returns for f's upstream names and in the same order.
// Durations are in seconds and booleans 0 or 1.
func Items(host string, at time.Time, f Figures) []Item {
	items := make([]Item, 0, len(f.Upstreams)*len(upstreamMetrics)+len(globalMetrics))
	for _, u := range f.Upstreams {
		for _, m := range upstreamMetrics {
			items = append(items, Item{Host: host, Key: itemKey(m.key, u.Name), Value: m.upstream(u), Clock: at})
		}
	}
	for _, m := range globalMetrics {
		items = append(items, Item{Host: host, Key: m.key, Value: m.global(f), Clock: at})
	}
	return items
}

// itemKey returns the key metric[param]. Upstream names (letters,
// digits, - and _) go in as they are; any other parameter is quoted as
// Zabbix's item key syntax requires for commas, brackets and quotes.
func itemKey(metric, param string) string {
	if strings.ContainsAny(param, `,[]" `) || param == "" {
		param = `"` + strings.ReplaceAll(param, `"`, `\"`) + `"`
	}
	return metric + "[" + param + "]"
}

// formatFloat writes f in plain decimal notation, which every Zabbix
// version parses; exponents such as 1e-05 are not accepted by all.
func formatFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// formatSeconds writes d in seconds. It divides once rather than using
// d.Seconds, whose sum of whole and fractional seconds can print 1.966687
// as 1.9666869999999999.
func formatSeconds(d time.Duration) string {
	return formatFloat(float64(d) / float64(time.Second))
}

func boolValue(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
