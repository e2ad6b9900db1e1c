package gateway

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/crmguard/crmguard/internal/fault"
)

// metrics are the gateway's Prometheus series. The counters for every
// upstream and class are created up front, so the hot path indexes an
// array instead of hashing label values, and every series exists (at 0)
// from the start, which makes rate() and absent() work in alert rules.
type metrics struct {
	calls    [][]prometheus.Counter // [upstream][class]
	latency  []prometheus.Observer  // [upstream]
	inFlight prometheus.Gauge
	unrouted prometheus.Counter
	// queued counts writes by what the queue made of them.
	queued *prometheus.CounterVec
	// The guard's series.
	deprecated *prometheus.CounterVec // {upstream, client, version, state}
	findings   *prometheus.CounterVec // {upstream, direction}
	normalized *prometheus.CounterVec // {upstream}
	unchecked  *prometheus.CounterVec // {upstream, reason}
}

func newMetrics(r prometheus.Registerer, upstreams []string) *metrics {
	callsVec := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "crmguard_calls_total",
		Help: "CRM calls through the gateway, by upstream and cause class.",
	}, []string{"upstream", "class"})
	latencyVec := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "crmguard_call_duration_seconds",
		Help:    "Time from a call's arrival to its last response byte, by upstream.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
	}, []string{"upstream"})
	m := &metrics{
		queued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crmguard_queue_writes_total",
			Help: "Writes the gateway offered to the write queue, by upstream and outcome: queued (answered 202), refused (failed, and not safe or not possible to queue), failed (the store could not keep it).",
		}, []string{"upstream", "outcome"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "crmguard_calls_in_flight",
			Help: "CRM calls the gateway is handling now.",
		}),
		unrouted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "crmguard_unrouted_requests_total",
			Help: "Requests whose path names no configured upstream (answered 404).",
		}),
		deprecated: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crmguard_deprecated_calls_total",
			Help: "Calls on a deprecated or retired API version or endpoint, by upstream, client, version (or endpoint) and state.",
		}, []string{"upstream", "client", "version", "state"}),
		findings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crmguard_contract_findings_total",
			Help: "Contract and normalisation violations found, by upstream and direction: request (the integration's) or response (drift on the CRM's side).",
		}, []string{"upstream", "direction"}),
		normalized: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crmguard_normalized_values_total",
			Help: "Request body values rewritten by normalisation rules, by upstream.",
		}, []string{"upstream"}),
		unchecked: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crmguard_guard_unchecked_total",
			Help: "Requests forwarded without normalisation or contract check, by upstream and reason (body_too_large: over contract.max_body).",
		}, []string{"upstream", "reason"}),
	}
	classes := fault.Classes()
	for _, u := range upstreams {
		row := make([]prometheus.Counter, len(classes))
		for i, c := range classes {
			row[i] = callsVec.WithLabelValues(u, c.String())
		}
		m.calls = append(m.calls, row)
		m.latency = append(m.latency, latencyVec.WithLabelValues(u))
		for _, o := range []string{"queued", "refused", "failed"} {
			m.queued.WithLabelValues(u, o)
		}
		for _, d := range []string{"request", "response"} {
			m.findings.WithLabelValues(u, d)
		}
		m.normalized.WithLabelValues(u)
		m.unchecked.WithLabelValues(u, "body_too_large")
	}
	if r != nil {
		r.MustRegister(callsVec, latencyVec, m.inFlight, m.unrouted, m.queued, m.deprecated, m.findings, m.normalized, m.unchecked)
	}
	return m
}
