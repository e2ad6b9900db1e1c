package recorder

import (
	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	droppedFull  prometheus.Counter
	droppedWrite prometheus.Counter
	written      prometheus.Counter
	batchSeconds prometheus.Observer
}

func newMetrics(r prometheus.Registerer, queued func() float64) *metrics {
	dropped := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "crmguard_recorder_dropped_total",
		Help: "Call records not stored, by reason: buffer_full (the store fell behind) or write_error.",
	}, []string{"reason"})
	m := &metrics{
		droppedFull:  dropped.WithLabelValues("buffer_full"),
		droppedWrite: dropped.WithLabelValues("write_error"),
		written: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "crmguard_recorder_written_total",
			Help: "Call records written to the store.",
		}),
	}
	hist := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "crmguard_recorder_batch_duration_seconds",
		Help:    "Time to write one batch of call records, retries included.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 4, 9),
	})
	m.batchSeconds = hist
	if r != nil {
		r.MustRegister(dropped, m.written, hist, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "crmguard_recorder_queue_length",
			Help: "Call records waiting to be written.",
		}, queued))
	}
	return m
}
