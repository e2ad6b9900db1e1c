package app

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/crmguard/crmguard/internal/call"
	"github.com/crmguard/crmguard/internal/config"
	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/outbox"
	"github.com/crmguard/crmguard/internal/retry"
	"github.com/crmguard/crmguard/internal/route"
	"github.com/crmguard/crmguard/internal/seal"
)

// queueClient is the client identity of the calls that replay queued
// writes, so they are told apart from the integrations' own calls.
const queueClient = "crmguard-queue"

// sealer returns the sealer for queued writes' credentials from the key in
// the environment, or nil when the variable is unset.
func (a *App) sealer(getenv func(string) string) (*seal.Sealer, error) {
	name := a.cfg.Queue.KeyEnv
	v := getenv(name)
	if v == "" {
		for _, u := range a.cfg.Upstreams {
			if u.Queue.Writes != "never" && u.Credentials.Kind == "" {
				a.log.Warn("write queue: no key to encrypt credentials; writes that need the client's own credentials for their replay will not be queued",
					"key_env", name, "hint", "export "+name+"=$(openssl rand -hex 32)")
				break
			}
		}
		return nil, nil
	}
	key, err := seal.ParseKey(v)
	if err != nil {
		// The message names the variable, never its value.
		return nil, fmt.Errorf("queue key in %s: %w", name, err)
	}
	return seal.New(key)
}

// startQueue builds the replay workers: one Router sending each upstream's
// entries through that upstream's outbound transport, paced at its rate,
// and queue.workers workers sharing it.
func (a *App) startQueue(sealer *seal.Sealer) {
	router := outbox.NewRouter()
	limits := make(map[string]outbox.Limits)
	var open func([]byte, string) (http.Header, error)
	if sealer != nil {
		open = sealer.Open
	}
	for _, n := range a.transports {
		s := outbox.NewHTTPSender(n.url, n.tr, open)
		router.Add(n.name, s, n.cfg.Queue.Rate)
		limits[n.name] = outbox.Limits{MaxAttempts: n.cfg.Queue.MaxAttempts, MaxAge: time.Duration(n.cfg.Queue.MaxAge)}
	}
	q := a.cfg.Queue
	m := newQueueMetrics(a.registry, a.Store, a.transports)
	for i := 0; i < q.Workers; i++ {
		w := outbox.NewWorker(a.Store, router, outbox.Options{
			Lease:       time.Duration(q.Lease),
			Poll:        time.Duration(q.Poll),
			Backoff:     retryPolicy(q.Backoff, q.MaxBackoff),
			Limits:      func(u string) outbox.Limits { return limits[u] },
			Logger:      a.log.With("component", "queue"),
			OnSent:      a.recordReplay,
			OnDelivered: func(e outbox.Entry) { m.delivered.WithLabelValues(e.Upstream).Inc() },
			OnDead: func(e outbox.Entry) {
				m.dead.WithLabelValues(e.Upstream).Inc()
				a.recordDeadLetter(e)
			},
		})
		a.workers = append(a.workers, w)
	}
}

// recordReplay records one replay attempt as a call of the queue's own
// client, so replays are counted, classified and grouped into incidents
// like live calls.
func (a *App) recordReplay(e outbox.Entry, res outbox.Result, took time.Duration) {
	now := time.Now()
	c := &call.Call{
		ID:        a.replayIDs.New(now.Add(-took)),
		Start:     now.Add(-took),
		Upstream:  e.Upstream,
		Method:    e.Method,
		Operation: route.Operation(pathOnly(e.Path)),
		Client:    queueClient,
		Status:    res.Status,
		Class:     res.Class,
		Latency:   took,
		BytesIn:   int64(len(e.Body)),
		Attempts:  1,
	}
	if res.Class.Failed() {
		c.Message = "replay of queued write " + e.ID + ": " + res.Message
		c.Retryable = res.Class.Retryable() || res.Transient
		c.Remediation = res.Class.Remediation()
	}
	a.Recorder.Record(c)
}

// recordDeadLetter records a write the queue gave up on as a failed call
// of the queue's client, which opens (or counts in) an incident per
// upstream, operation, class and reason.
func (a *App) recordDeadLetter(e outbox.Entry) {
	now := time.Now()
	class := e.LastClass
	if !class.Failed() {
		class = fault.Unknown
	}
	a.Recorder.Record(&call.Call{
		ID:          a.replayIDs.New(now),
		Start:       now,
		Upstream:    e.Upstream,
		Method:      e.Method,
		Operation:   route.Operation(pathOnly(e.Path)),
		Client:      queueClient,
		Status:      e.LastStatus,
		Class:       class,
		Message:     "queued write dead-lettered: " + e.DeadReason,
		Remediation: "The queue gave up on this write; see crmguard queue show " + e.ID + ", fix the cause, then crmguard queue replay " + e.ID + " (or drop it).",
	})
}

// retryPolicy is the backoff of queued writes.
func retryPolicy(backoff, maxBackoff config.Duration) retry.Policy {
	return retry.Policy{Backoff: time.Duration(backoff), MaxBackoff: time.Duration(maxBackoff)}
}

// pathOnly returns p without its query.
func pathOnly(p string) string {
	path, _, _ := strings.Cut(p, "?")
	return path
}

// runQueue runs the workers until ctx is canceled and waits for them to
// finish the writes they are sending.
func (a *App) runQueue(ctx context.Context) {
	done := make(chan struct{}, len(a.workers))
	for _, w := range a.workers {
		go func() { w.Run(ctx); done <- struct{}{} }()
	}
	for range a.workers {
		<-done
	}
}

// queueMetrics are the write queue's series: counters of what the workers
// did, and the queue's depth and age read from the store on each scrape.
type queueMetrics struct {
	delivered, dead *prometheus.CounterVec
}

func newQueueMetrics(r prometheus.Registerer, s outbox.Admin, ts []namedTransport) *queueMetrics {
	m := &queueMetrics{
		delivered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crmguard_queue_delivered_total",
			Help: "Queued writes this replica delivered, by upstream.",
		}, []string{"upstream"}),
		dead: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crmguard_queue_dead_total",
			Help: "Queued writes this replica made dead letters, by upstream.",
		}, []string{"upstream"}),
	}
	for _, t := range ts {
		m.delivered.WithLabelValues(t.name)
		m.dead.WithLabelValues(t.name)
	}
	r.MustRegister(m.delivered, m.dead, &queueCollector{s: s})
	return m
}

// queueCollector reads the queue's state from the store when scraped.
type queueCollector struct{ s outbox.Admin }

var (
	queueDepthDesc = prometheus.NewDesc("crmguard_queue_entries",
		"Entries in the write queue by state (pending, inflight, dead, delivered-and-kept), shared by every replica on the store.", []string{"state"}, nil)
	queueDepthTotalDesc = prometheus.NewDesc("crmguard_queue_depth",
		"Queued writes accepted and not yet finished (pending plus inflight).", nil, nil)
	queueAgeDesc = prometheus.NewDesc("crmguard_queue_oldest_age_seconds",
		"Age of the oldest queued write not yet delivered; 0 when none waits.", nil, nil)
)

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- queueDepthDesc
	ch <- queueDepthTotalDesc
	ch <- queueAgeDesc
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := c.s.QueueStats(ctx, time.Now())
	if err != nil {
		ch <- prometheus.NewInvalidMetric(queueDepthDesc, fmt.Errorf("reading queue stats: %w", err))
		return
	}
	for state, n := range map[string]int64{"pending": st.Pending, "inflight": st.Inflight, "dead": st.Dead, "delivered": st.Delivered} {
		ch <- prometheus.MustNewConstMetric(queueDepthDesc, prometheus.GaugeValue, float64(n), state)
	}
	ch <- prometheus.MustNewConstMetric(queueDepthTotalDesc, prometheus.GaugeValue, float64(st.Depth))
	ch <- prometheus.MustNewConstMetric(queueAgeDesc, prometheus.GaugeValue, st.OldestAge.Seconds())
}
