package alert

import "github.com/prometheus/client_golang/prometheus"

// metrics are the engine's Prometheus series.
type metrics struct {
	alerts      *prometheus.GaugeVec // {rule, severity, state}
	evaluations prometheus.Counter
	failures    prometheus.Counter
	rules       []*Rule
}

func newMetrics(r prometheus.Registerer, rules []*Rule) *metrics {
	m := &metrics{
		alerts: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "crmguard_alerts",
			Help: "Alerts by rule, severity and state (pending, firing), as of the last evaluation on this replica; a replica that does not evaluate reports 0.",
		}, []string{"rule", "severity", "state"}),
		evaluations: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "crmguard_alert_evaluations_total",
			Help: "Evaluations of the alert rules this replica ran.",
		}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "crmguard_alert_evaluation_failures_total",
			Help: "Evaluations, or rules within one, that failed to read their data or to save the alerts.",
		}),
		rules: rules,
	}
	m.set(nil)
	if r != nil {
		r.MustRegister(m.alerts, m.evaluations, m.failures)
	}
	return m
}

// set publishes the alerts of one evaluation; every rule's series exist
// at 0 so that absent() and rate() work in Prometheus rules.
func (m *metrics) set(alerts []Alert) {
	for _, r := range m.rules {
		for _, s := range []State{Pending, Firing} {
			m.alerts.WithLabelValues(r.Name, r.Severity, string(s)).Set(0)
		}
	}
	for _, a := range alerts {
		if a.State != Resolved {
			m.alerts.WithLabelValues(a.Rule, a.Severity, string(a.State)).Inc()
		}
	}
}
