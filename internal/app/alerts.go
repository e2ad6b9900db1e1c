package app

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/crmguard/crmguard/internal/alert"
	"github.com/crmguard/crmguard/internal/config"
	"github.com/crmguard/crmguard/internal/incident"
	"github.com/crmguard/crmguard/internal/notify"
	"github.com/crmguard/crmguard/internal/notify/alertmanager"
	"github.com/crmguard/crmguard/internal/notify/email"
	"github.com/crmguard/crmguard/internal/notify/slack"
	"github.com/crmguard/crmguard/internal/notify/webhook"
	"github.com/crmguard/crmguard/internal/report"
	"github.com/crmguard/crmguard/internal/rollup"
)

// alerting is the alert engine and the delivery of its notifications,
// and the scheduled reports that mail through the same notifiers.
type alerting struct {
	engine     *alert.Engine
	dispatcher *notify.Dispatcher
	reports    *report.Runner // nil without reports.dir
}

// newAlerting builds the rules, the notifiers and the engine. The
// configuration was validated, so compile errors here are not expected;
// they are still returned rather than ignored.
func (a *App) newAlerting(getenv func(string) string) (*alerting, error) {
	var rules []*alert.Rule
	for i, spec := range a.cfg.AlertSpecs() {
		r, err := alert.Compile(spec)
		if err != nil {
			return nil, fmt.Errorf("alerts.rules[%d]: %w", i, err)
		}
		rules = append(rules, r)
	}
	var windows []alert.Window
	for i, spec := range a.cfg.MaintenanceSpecs() {
		w, err := alert.CompileWindow(spec)
		if err != nil {
			return nil, fmt.Errorf("alerts.maintenance[%d]: %w", i, err)
		}
		windows = append(windows, w)
	}
	notifiers := map[string]notify.Notifier{}
	resend := map[string]time.Duration{}
	var names []string
	for _, nc := range a.cfg.Notifiers {
		n, err := newNotifier(nc, getenv)
		if err != nil {
			return nil, fmt.Errorf("notifier %s: %w", nc.Name, err)
		}
		notifiers[nc.Name] = n
		names = append(names, nc.Name)
		if r, ok := n.(notify.Resender); ok {
			resend[nc.Name] = r.Resend()
		}
	}
	a.registry.MustRegister(incidentCollector{a})
	d := notify.NewDispatcher(notify.DispatcherOptions{
		Notifiers: notifiers, Log: a.Store, Logger: a.log.With("component", "notify"), Registerer: a.registry,
	})
	holder := make([]byte, 8)
	_, _ = rand.Read(holder) // never fails
	o := alert.Options{
		Rules: rules, Windows: windows, Notifiers: names, Resend: resend,
		Source: alertSource{a}, Store: a.Store, Send: d.Send,
		Every:        time.Duration(a.cfg.Alerts.EvaluateEvery),
		KeepResolved: time.Duration(a.cfg.Alerts.KeepResolved),
		Holder:       hex.EncodeToString(holder),
		// The admin listener is bound after the engine is built; its
		// address (a port of 0 picks one) is read when a message is made.
		AlertURL:   func(id string) string { return "http://" + a.AdminAddr() + "/api/v1/alerts/" + id },
		Logger:     a.log.With("component", "alerts"),
		Registerer: a.registry,
	}
	if a.ecs != nil {
		o.Observe = a.observeAlert
	}
	e := alert.New(o)
	reports, err := a.newReports(notifiers)
	if err != nil {
		return nil, err
	}
	return &alerting{engine: e, dispatcher: d, reports: reports}, nil
}

// newNotifier builds one notifier from its configuration, reading its
// secrets from the environment.
func newNotifier(nc config.Notifier, getenv func(string) string) (notify.Notifier, error) {
	u := nc.URL
	if nc.URLEnv != "" {
		if u = getenv(nc.URLEnv); u == "" {
			return nil, fmt.Errorf("environment variable %s (url_env) is empty; set it to the notifier's URL", nc.URLEnv)
		}
	}
	timeout := time.Duration(nc.Timeout)
	switch nc.Type {
	case "webhook":
		return webhook.New(webhook.Options{URL: u, Headers: nc.Headers, Template: nc.Template, Timeout: timeout})
	case "slack":
		return slack.New(slack.Options{URL: u, Channel: nc.Channel, Timeout: timeout})
	case "alertmanager":
		return alertmanager.New(alertmanager.Options{URLs: []string{u}, Resend: time.Duration(nc.Resend), Timeout: timeout})
	case "email":
		o := email.Options{Addr: nc.SMTP, From: nc.From, To: nc.To, Username: nc.Username, StartTLS: nc.StartTLS, Timeout: timeout}
		if nc.Username != "" {
			if o.Password = getenv(nc.PasswordEnv); o.Password == "" {
				return nil, fmt.Errorf("environment variable %s (password_env) is empty; set it to the mail password", nc.PasswordEnv)
			}
		}
		if nc.CAFile != "" {
			pem, err := os.ReadFile(nc.CAFile)
			if err != nil {
				return nil, fmt.Errorf("ca_file: %w", err)
			}
			pool, err := x509.SystemCertPool()
			if err != nil {
				pool = x509.NewCertPool()
			}
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("ca_file %s holds no PEM certificate", nc.CAFile)
			}
			o.TLSConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		}
		return email.New(o)
	}
	return nil, fmt.Errorf("unknown notifier type %q", nc.Type)
}

// alertSource is what alert rules read, over the store and this
// replica's transports.
type alertSource struct{ a *App }

func (s alertSource) Rollups(ctx context.Context, since, until time.Time) ([]rollup.Row, error) {
	return s.a.Store.Rollups(ctx, since, until)
}

func (s alertSource) OpenIncidents(ctx context.Context) ([]incident.Incident, error) {
	return s.a.Store.ListIncidents(ctx, incident.Query{State: incident.Open, Limit: 1000}) // the store's largest page
}

func (s alertSource) QueueStats(ctx context.Context, now time.Time) (alert.QueueStats, bool, error) {
	st, err := s.a.Store.QueueStats(ctx, now)
	if err != nil {
		return alert.QueueStats{}, false, err
	}
	return alert.QueueStats{Depth: st.Depth, Dead: st.Dead, OldestAge: st.OldestAge}, true, nil
}

func (s alertSource) Upstreams() []alert.Upstream {
	out := make([]alert.Upstream, 0, len(s.a.transports))
	for _, n := range s.a.transports {
		u := alert.Upstream{Name: n.name}
		for _, e := range n.tr.Endpoints() {
			u.Endpoints++
			if e.Breaker == "open" {
				u.OpenEndpoints++
			}
		}
		u.QuotaLeft, u.QuotaWindow, u.QuotaKnown = n.tr.QuotaLeft()
		out = append(out, u)
	}
	return out
}

// incidentCollector reads the open incidents from the store when scraped,
// for Prometheus rules on incidents (see alert.PrometheusRules).
type incidentCollector struct{ a *App }

var incidentsOpenDesc = prometheus.NewDesc("crmguard_incidents_open",
	"Open incidents by upstream, class and whether they regressed (reopened after being resolved), shared by every replica on the store.",
	[]string{"upstream", "class", "regressed"}, nil)

func (c incidentCollector) Describe(ch chan<- *prometheus.Desc) { ch <- incidentsOpenDesc }

func (c incidentCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	inc, err := alertSource(c).OpenIncidents(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(incidentsOpenDesc, fmt.Errorf("reading open incidents: %w", err))
		return
	}
	type key struct{ upstream, class, regressed string }
	counts := map[key]int{}
	for _, in := range inc {
		counts[key{in.Upstream, in.Class.String(), strconv.FormatBool(in.Reopened > 0)}]++
	}
	for k, n := range counts {
		ch <- prometheus.MustNewConstMetric(incidentsOpenDesc, prometheus.GaugeValue, float64(n), k.upstream, k.class, k.regressed)
	}
}
