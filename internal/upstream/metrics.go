package upstream

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the outbound path's Prometheus series, shared by the
// transports of every upstream.
type Metrics struct {
	breakerState    *prometheus.GaugeVec
	breakerChanges  *prometheus.CounterVec
	retries         *prometheus.CounterVec
	budgetExhausted *prometheus.CounterVec
	quota           *prometheus.GaugeVec
	quotaLimit      *prometheus.GaugeVec
}

// NewMetrics creates the series and registers them with r, if r is not nil.
func NewMetrics(r prometheus.Registerer) *Metrics {
	m := &Metrics{
		breakerState: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "crmguard_breaker_state",
			Help: "Circuit breaker state per upstream endpoint: 0 closed, 1 half-open, 2 open.",
		}, []string{"upstream", "endpoint"}),
		breakerChanges: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crmguard_breaker_transitions_total",
			Help: "Circuit breaker state changes per upstream endpoint, by the state entered.",
		}, []string{"upstream", "endpoint", "state"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crmguard_retries_total",
			Help: "Calls sent again, by upstream and the class of the attempt that failed.",
		}, []string{"upstream", "class"}),
		budgetExhausted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crmguard_retry_budget_exhausted_total",
			Help: "Retries not made because the upstream's retry budget was used up.",
		}, []string{"upstream"}),
		quota: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "crmguard_quota_remaining",
			Help: "Calls (or, for Dataverse execution-time, milliseconds) left in a CRM's limit window, as its last answer reported.",
		}, []string{"upstream", "window"}),
		quotaLimit: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "crmguard_quota_limit",
			Help: "The size of a CRM's limit window, as its last answer reported, for windows whose limit it reports; crmguard_quota_remaining / crmguard_quota_limit is the share left.",
		}, []string{"upstream", "window"}),
	}
	if r != nil {
		r.MustRegister(m.breakerState, m.breakerChanges, m.retries, m.budgetExhausted, m.quota, m.quotaLimit)
	}
	return m
}
