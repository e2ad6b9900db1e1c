package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Record is one entry of the notification log: a message's delivery to
// a notifier, after all its attempts.
type Record struct {
	ID       int64
	At       time.Time
	Notifier string
	Group    string
	Kind     Kind
	Outcome  string // sent or failed
	Attempts int
	Error    string   // the last attempt's error, "" when sent
	Alerts   []string // the ids of the alerts in the message
}

// Outcomes of a delivery.
const (
	Sent   = "sent"
	Failed = "failed"
)

// Log keeps the notification log.
type Log interface {
	LogNotification(ctx context.Context, r Record) error
}

// DispatcherOptions configure a Dispatcher.
type DispatcherOptions struct {
	// Notifiers by name.
	Notifiers map[string]Notifier
	Log       Log
	// Attempts is how often a message is tried (default 4), waiting
	// Backoff (default 2s) after the first failure, doubling after each.
	Attempts int
	Backoff  time.Duration
	// Timeout bounds each attempt (default 30s).
	Timeout time.Duration
	// Queue is how many messages wait per notifier (default 256); when
	// it is full, a new message is logged as failed, not queued.
	Queue      int
	Logger     *slog.Logger
	Registerer prometheus.Registerer
}

// Dispatcher delivers messages, one goroutine per notifier, so that a slow
// mail server does not hold back the chat notifier and each notifier
// receives its messages in order (firing before resolved).
type Dispatcher struct {
	o      DispatcherOptions
	queues map[string]chan Message
	sent   *prometheus.CounterVec
}

// NewDispatcher returns a dispatcher; Run starts its deliveries.
func NewDispatcher(o DispatcherOptions) *Dispatcher {
	if o.Attempts <= 0 {
		o.Attempts = 4
	}
	if o.Backoff <= 0 {
		o.Backoff = 2 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.Queue <= 0 {
		o.Queue = 256
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	d := &Dispatcher{o: o, queues: map[string]chan Message{},
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crmguard_notifications_total",
			Help: "Alert notifications by notifier, kind (firing, repeat, resolved) and outcome (sent, failed: every attempt failed or the notifier's queue was full).",
		}, []string{"notifier", "kind", "outcome"})}
	for name := range o.Notifiers {
		d.queues[name] = make(chan Message, o.Queue)
		for _, k := range []Kind{Fire, Repeat, Resolve} {
			for _, out := range []string{Sent, Failed} {
				d.sent.WithLabelValues(name, string(k), out)
			}
		}
	}
	if o.Registerer != nil {
		o.Registerer.MustRegister(d.sent)
	}
	return d
}

// Send queues m for its notifier without waiting.
func (d *Dispatcher) Send(m Message) {
	q, ok := d.queues[m.Notifier]
	if !ok {
		d.record(m, 0, fmt.Errorf("no notifier named %q is configured", m.Notifier))
		return
	}
	select {
	case q <- m:
	default:
		d.record(m, 0, errors.New("the notifier's queue is full: it has not kept up with the messages"))
	}
}

// Run delivers queued messages until ctx is canceled, then delivers what
// is already queued (each with one attempt, bounded by the timeout) and
// returns.
func (d *Dispatcher) Run(ctx context.Context) {
	done := make(chan struct{})
	for name, q := range d.queues {
		go func() {
			defer func() { done <- struct{}{} }()
			d.deliver(ctx, d.o.Notifiers[name], q)
		}()
	}
	for range d.queues {
		<-done
	}
}

func (d *Dispatcher) deliver(ctx context.Context, n Notifier, q chan Message) {
	for {
		select {
		case m := <-q:
			d.send(ctx, n, m)
		case <-ctx.Done():
			for {
				select {
				case m := <-q:
					d.send(context.WithoutCancel(ctx), n, m)
				default:
					return
				}
			}
		}
	}
}

// send tries m until it is delivered, the attempts are spent, or ctx ends,
// and logs the outcome.
func (d *Dispatcher) send(ctx context.Context, n Notifier, m Message) {
	wait := d.o.Backoff
	var err error
	attempts := 0
	for attempts < d.o.Attempts {
		attempts++
		actx, cancel := context.WithTimeout(ctx, d.o.Timeout)
		err = n.Notify(actx, m)
		cancel()
		if err == nil || ctx.Err() != nil {
			break
		}
		d.o.Logger.Warn("notification attempt failed", "notifier", m.Notifier, "group", m.Group, "attempt", attempts, "err", err)
		if attempts == d.o.Attempts {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		if ctx.Err() != nil {
			break
		}
		wait *= 2
	}
	d.record(m, attempts, err)
}

func (d *Dispatcher) record(m Message, attempts int, err error) {
	r := Record{At: time.Now(), Notifier: m.Notifier, Group: m.Group, Kind: m.Kind, Outcome: Sent, Attempts: attempts}
	for _, a := range m.Alerts {
		r.Alerts = append(r.Alerts, a.ID)
	}
	if err != nil {
		r.Outcome, r.Error = Failed, err.Error()
		d.o.Logger.Error("notification not delivered", "notifier", m.Notifier, "group", m.Group, "kind", m.Kind, "attempts", attempts, "err", err)
	}
	d.sent.WithLabelValues(m.Notifier, string(m.Kind), r.Outcome).Inc()
	if d.o.Log == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if lerr := d.o.Log.LogNotification(ctx, r); lerr != nil {
		d.o.Logger.Error("writing the notification log failed", "err", lerr)
	}
}
