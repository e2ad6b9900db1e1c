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
	}
	if r != nil {
		r.MustRegister(callsVec, latencyVec, m.inFlight, m.unrouted, m.queued)
	}
	return m
}
