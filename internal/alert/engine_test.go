package alert_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/crmguard/crmguard/internal/alert"
	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/incident"
	"github.com/crmguard/crmguard/internal/notify"
	"github.com/crmguard/crmguard/internal/rollup"
	"github.com/crmguard/crmguard/internal/store"
)

// t0 is when the tests' clocks start: a whole minute, so that the rollup
// minute of "now" is t0 itself.
var t0 = time.Date(2031, 3, 14, 9, 30, 0, 0, time.UTC)

// clock is the engine's Options.Now, moved by the test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t0+d.
func (c *clock) Set(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t0.Add(d)
}

// source is what the rules read, held in memory. It is the engine's
// input, not the code under test.
type source struct {
	clock *clock

	mu sync.Mutex
	// rows are the rollups; a row without a minute is of the clock's
	// current minute, so it stays in every window as the clock moves.
	rows      []rollup.Row
	incidents []incident.Incident
	queue     *alert.QueueStats // nil: no write queue is configured
	upstreams []alert.Upstream
	scores    map[string][]alert.Score
	// err fails every read a single rule makes (queue, incidents,
	// scores); rollupErr fails the rollups, which every rule shares.
	err, rollupErr error
	// newestFirst returns the rollups newest minute first; the store
	// returns them oldest first, but Source does not promise an order.
	newestFirst bool
}

// setRows replaces the rollups.
func (s *source) setRows(rows ...rollup.Row) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rows = rows
}

func (s *source) set(f func(s *source)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

// Rollups returns the rows of the minutes from since to until, in minute
// order as the store does unless newestFirst.
func (s *source) Rollups(_ context.Context, since, until time.Time) ([]rollup.Row, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rollupErr != nil {
		return nil, s.rollupErr
	}
	var out []rollup.Row
	for _, r := range s.rows {
		if r.Minute.IsZero() {
			r.Minute = s.clock.Now().Truncate(time.Minute)
		}
		if !r.Minute.Before(since) && r.Minute.Before(until) {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Minute.Before(out[j].Minute) != s.newestFirst })
	return out, nil
}

func (s *source) OpenIncidents(context.Context) ([]incident.Incident, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.incidents), s.err
}

func (s *source) QueueStats(context.Context, time.Time) (alert.QueueStats, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return alert.QueueStats{}, false, s.err
	}
	if s.queue == nil {
		return alert.QueueStats{}, false, nil
	}
	return *s.queue, true, nil
}

func (s *source) Upstreams() []alert.Upstream {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.upstreams)
}

func (s *source) Scores(_ context.Context, series string) ([]alert.Score, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.scores[series]), s.err
}

// calls is a rollup row of n calls of upstream and class taking latency
// each, in the current minute.
func calls(upstream string, class fault.Class, n int, latency time.Duration) rollup.Row {
	r := rollup.Row{Upstream: upstream, Operation: "/sobjects/Account", Class: class}
	for range n {
		r.Add(latency)
	}
	return r
}

// share is rollup rows of n calls of upstream of which bad are auth
// failures.
func share(upstream string, n, bad int) []rollup.Row {
	return []rollup.Row{calls(upstream, fault.OK, n-bad, 100*time.Millisecond), calls(upstream, fault.Auth, bad, 100*time.Millisecond)}
}

// rule compiles s, with a repeat interval of an hour unless s has one.
func rule(t *testing.T, s alert.Spec) *alert.Rule {
	t.Helper()
	if s.RepeatInterval == 0 {
		s.RepeatInterval = time.Hour
	}
	r, err := alert.Compile(s)
	if err != nil {
		t.Fatalf("Compile(%s): %v", s.Name, err)
	}
	return r
}

// authRule fires while more than 5% of an upstream's calls over the last
// five minutes failed authentication.
func authRule(t *testing.T, s alert.Spec) *alert.Rule {
	t.Helper()
	if s.Name == "" {
		s.Name = "auth"
	}
	s.When = alert.Condition{Class: "auth", RateOver: 5 * time.Minute, Above: "5%"}
	return rule(t, s)
}

// harness runs engines over an in-memory store and source, on a clock
// the test moves, and collects what they send.
type harness struct {
	t     *testing.T
	db    *store.DB
	clock *clock
	src   *source
	reg   *prometheus.Registry
	e     *alert.Engine

	mu   sync.Mutex
	sent []notify.Message
}

// newHarness starts an engine with o's rules, windows and notifiers
// (hook and chat if o names none) on a new store.
func newHarness(t *testing.T, o alert.Options) *harness {
	t.Helper()
	db, err := store.Open(t.Context(), "sqlite::memory:")
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("closing the store: %v", err)
		}
	})
	c := &clock{t: t0}
	h := &harness{t: t, db: db, clock: c, src: &source{clock: c}}
	h.restart(o)
	return h
}

// options completes o with the harness's store, source, clock and
// message collector, and a registry of its own.
func (h *harness) options(o alert.Options) alert.Options {
	if o.Notifiers == nil {
		o.Notifiers = []string{"hook", "chat"}
	}
	o.Source, o.Scores, o.Store, o.Now = h.src, h.src, h.db, h.clock.Now
	o.Send = func(m notify.Message) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.sent = append(h.sent, m)
	}
	o.AlertURL = func(id string) string { return "http://admin.test/alerts/" + id }
	if o.Registerer == nil {
		o.Registerer = prometheus.NewRegistry()
	}
	return o
}

// restart replaces the engine by a new one on the same store, as after
// a restart or a configuration reload.
func (h *harness) restart(o alert.Options) {
	h.reg = prometheus.NewRegistry()
	o.Registerer = h.reg
	h.e = alert.New(h.options(o))
}

// evaluate moves the clock to t0+d, evaluates once, and returns what
// was sent.
func (h *harness) evaluate(d time.Duration) []notify.Message {
	h.t.Helper()
	h.clock.Set(d)
	if err := h.e.Evaluate(h.t.Context()); err != nil {
		h.t.Fatalf("Evaluate at t0+%v: %v", d, err)
	}
	return h.take()
}

// take returns and forgets the messages sent so far.
func (h *harness) take() []notify.Message {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := h.sent
	h.sent = nil
	return m
}

// alerts returns the stored alerts.
func (h *harness) alerts() []alert.Alert {
	h.t.Helper()
	as, err := h.db.ListAlerts(h.t.Context(), "")
	if err != nil {
		h.t.Fatalf("ListAlerts: %v", err)
	}
	return as
}

// only returns the one stored alert, or fails.
func (h *harness) only() alert.Alert {
	h.t.Helper()
	as := h.alerts()
	if len(as) != 1 {
		h.t.Fatalf("stored alerts = %v; want exactly one", states(as))
	}
	return as[0]
}

// history returns the kinds of the alert history, oldest first.
func (h *harness) history() []string {
	h.t.Helper()
	es, err := h.db.AlertEvents(h.t.Context(), alert.EventQuery{Limit: 1000})
	if err != nil {
		h.t.Fatalf("AlertEvents: %v", err)
	}
	var out []string
	for _, e := range slices.Backward(es) {
		out = append(out, e.Kind+" "+e.Labels["upstream"])
	}
	return out
}

// states writes alerts as "upstream:state", for failure messages.
func states(as []alert.Alert) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.Labels["upstream"]+":"+string(a.State))
	}
	return out
}

// brief writes messages as "notifier kind group [upstream:status …]",
// sorted, and their alerts sorted, for comparing what was sent.
func brief(ms []notify.Message) []string {
	var out []string
	for _, m := range ms {
		var as []string
		for _, a := range m.Alerts {
			as = append(as, a.Labels["upstream"]+":"+string(a.Status))
		}
		slices.Sort(as)
		out = append(out, fmt.Sprintf("%s %s %s %v", m.Notifier, m.Kind, m.Group, as))
	}
	slices.Sort(out)
	return out
}

// wantSent fails t unless ms are, in brief, want.
func wantSent(t *testing.T, step string, ms []notify.Message, want ...string) {
	t.Helper()
	if got := brief(ms); !slices.Equal(got, want) {
		t.Errorf("%s: sent\n  %q\nwant\n  %q", step, got, want)
	}
}

// gauge returns the value of the metric name with labels in reg, or
// -1 if it has no such series.
func gauge(t *testing.T, reg prometheus.Gatherer, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			got := map[string]string{}
			for _, l := range m.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			if maps.Equal(got, labels) {
				if m.GetCounter() != nil {
					return m.GetCounter().GetValue()
				}
				return m.GetGauge().GetValue()
			}
		}
	}
	return -1
}

func TestEngine_PendingThenFiring(t *testing.T) {
	r := rule(t, alert.Spec{Name: "sf-auth", Severity: "critical", For: 2 * time.Minute, Labels: map[string]string{"team": "crm"},
		When: alert.Condition{Class: "auth", RateOver: 5 * time.Minute, MinCalls: 10, Above: "5%"}})
	h := newHarness(t, alert.Options{Rules: []*alert.Rule{r}})
	h.src.setRows(append(share("sf", 100, 20), share("hs", 100, 0)...)...)

	wantLabels := map[string]string{"alertname": "sf-auth", "severity": "critical", "team": "crm", "upstream": "sf", "class": "auth"}
	wantSummary := "auth calls were 20% of sf's calls over the last 5m (> 5%)"
	wantSent(t, "at t0", h.evaluate(0))
	a := h.only()
	if a.State != alert.Pending || !a.ActiveSince.Equal(t0) || !a.FiredAt.IsZero() {
		t.Errorf("at t0: state %s, active since %v, fired at %v; want pending since t0, not fired", a.State, a.ActiveSince, a.FiredAt)
	}
	if a.Rule != "sf-auth" || a.Severity != "critical" || a.Group != "sf-auth" || a.Value != 0.2 || !maps.Equal(a.Labels, wantLabels) {
		t.Errorf("at t0: rule %q, severity %q, group %q, value %v, labels %v; want sf-auth, critical, sf-auth, 0.2, %v",
			a.Rule, a.Severity, a.Group, a.Value, a.Labels, wantLabels)
	}
	if a.Annotations["summary"] != wantSummary {
		t.Errorf("summary = %q; want %q", a.Annotations["summary"], wantSummary)
	}

	wantSent(t, "a second before for", h.evaluate(2*time.Minute-time.Second))
	if a := h.only(); a.State != alert.Pending || !a.ActiveSince.Equal(t0) {
		t.Errorf("a second before for: %s since %v; want pending since t0", a.State, a.ActiveSince)
	}
	if got := h.history(); len(got) != 0 {
		t.Errorf("history while pending = %q; want none", got)
	}

	ms := h.evaluate(2 * time.Minute)
	wantSent(t, "after for", ms, "chat firing sf-auth [sf:firing]", "hook firing sf-auth [sf:firing]")
	fired := t0.Add(2 * time.Minute)
	a = h.only()
	if a.State != alert.Firing || !a.FiredAt.Equal(fired) || !a.ActiveSince.Equal(t0) {
		t.Errorf("after for: %s, fired at %v, active since %v; want firing at %v since t0", a.State, a.FiredAt, a.ActiveSince, fired)
	}
	for _, m := range ms {
		if m.Status != notify.Firing || !m.SentAt.Equal(fired) || !maps.Equal(m.GroupLabels, map[string]string{"alertname": "sf-auth"}) {
			t.Errorf("message to %s: status %s, sent at %v, group labels %v; want firing, at %v, alertname only", m.Notifier, m.Status, m.SentAt, m.GroupLabels, fired)
		}
		if want := "FIRING sf-auth: " + wantSummary; m.Summary != want {
			t.Errorf("message summary = %q; want %q", m.Summary, want)
		}
		na := m.Alerts[0]
		if na.ID != a.ID || na.Value != 0.2 || !na.StartsAt.Equal(fired) || !na.EndsAt.IsZero() || !maps.Equal(na.Labels, wantLabels) ||
			na.Severity != "critical" || na.URL != "http://admin.test/alerts/"+a.ID || na.Annotations["summary"] != wantSummary {
			t.Errorf("message alert = %+v; want %s valued 0.2 starting %v with labels %v", na, a.ID, fired, wantLabels)
		}
	}
	if got, want := h.history(), []string{"firing sf"}; !slices.Equal(got, want) {
		t.Errorf("history = %q; want %q", got, want)
	}
	wantSent(t, "still firing", h.evaluate(3*time.Minute))
}

func TestEngine_PendingDroppedWhenConditionStops(t *testing.T) {
	h := newHarness(t, alert.Options{Rules: []*alert.Rule{authRule(t, alert.Spec{For: 5 * time.Minute})}})
	h.src.setRows(share("sf", 100, 20)...)
	h.evaluate(0)
	if a := h.only(); a.State != alert.Pending {
		t.Fatalf("state = %s; want pending", a.State)
	}
	h.src.setRows(share("sf", 100, 1)...)
	wantSent(t, "condition stopped", h.evaluate(time.Minute))
	if as := h.alerts(); len(as) != 0 {
		t.Errorf("alerts = %v; want the pending alert gone", states(as))
	}
	// A new episode is pending from its own start.
	h.src.setRows(share("sf", 100, 20)...)
	h.evaluate(2 * time.Minute)
	if a := h.only(); a.State != alert.Pending || !a.ActiveSince.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("new episode: %s since %v; want pending since t0+2m", a.State, a.ActiveSince)
	}
	wantSent(t, "for after the first start, not the second", h.evaluate(5*time.Minute))
	if got := h.history(); len(got) != 0 {
		t.Errorf("history = %q; want none", got)
	}
}

func TestEngine_MinCalls(t *testing.T) {
	r := rule(t, alert.Spec{Name: "auth", When: alert.Condition{Class: "auth", RateOver: 5 * time.Minute, MinCalls: 10, Above: "5%"}})
	h := newHarness(t, alert.Options{Rules: []*alert.Rule{r}})
	h.src.setRows(calls("sf", fault.Auth, 9, time.Millisecond))
	wantSent(t, "9 calls, all failed", h.evaluate(0))
	if as := h.alerts(); len(as) != 0 {
		t.Errorf("9 calls: alerts %v; want none under min_calls", states(as))
	}
	h.src.setRows(share("sf", 10, 1)...)
	wantSent(t, "10 calls, 1 failed", h.evaluate(time.Minute), "chat firing auth [sf:firing]", "hook firing auth [sf:firing]")
	if a := h.only(); a.Value != 0.1 {
		t.Errorf("value = %v; want 0.1", a.Value)
	}
}

func TestEngine_RepeatAndResolve(t *testing.T) {
	h := newHarness(t, alert.Options{Rules: []*alert.Rule{authRule(t, alert.Spec{SendResolved: true})}})
	h.src.setRows(share("sf", 100, 20)...)
	wantSent(t, "fire", h.evaluate(0), "chat firing auth [sf:firing]", "hook firing auth [sf:firing]")
	wantSent(t, "before the repeat interval", h.evaluate(59*time.Minute))
	ms := h.evaluate(time.Hour)
	wantSent(t, "after the repeat interval", ms, "chat repeat auth [sf:firing]", "hook repeat auth [sf:firing]")
	if len(ms) > 0 && !strings.HasPrefix(ms[0].Summary, "FIRING (repeat) auth: ") {
		t.Errorf("repeat summary = %q; want it to say FIRING (repeat)", ms[0].Summary)
	}
	wantSent(t, "the interval counts from the repeat", h.evaluate(90*time.Minute))

	h.src.setRows(share("sf", 1000, 20)...)
	resolved := t0.Add(100 * time.Minute)
	ms = h.evaluate(100 * time.Minute)
	wantSent(t, "share fell to 2%", ms, "chat resolved auth [sf:resolved]", "hook resolved auth [sf:resolved]")
	for _, m := range ms {
		a := m.Alerts[0]
		if m.Status != notify.Resolved || !a.EndsAt.Equal(resolved) || !a.StartsAt.Equal(t0) || a.Value != 0.2 {
			t.Errorf("resolve message status %s, alert %+v; want resolved, alert from t0 to %v with its last value 0.2", m.Status, a, resolved)
		}
		if !strings.HasPrefix(m.Summary, "RESOLVED auth: ") {
			t.Errorf("resolve summary = %q; want RESOLVED first", m.Summary)
		}
	}
	a := h.only()
	if a.State != alert.Resolved || !a.ResolvedAt.Equal(resolved) || !a.FiredAt.Equal(t0) {
		t.Errorf("stored alert: %s, resolved at %v, fired at %v; want resolved at %v, fired at t0", a.State, a.ResolvedAt, a.FiredAt, resolved)
	}
	if got, want := h.history(), []string{"firing sf", "resolved sf"}; !slices.Equal(got, want) {
		t.Errorf("history = %q; want %q", got, want)
	}
	wantSent(t, "resolved once", h.evaluate(3*time.Hour))
	snap, err := h.db.LoadAlerts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Groups) != 0 {
		t.Errorf("group state after the resolve = %+v; want none", snap.Groups)
	}
}

func TestEngine_KeepResolved(t *testing.T) {
	h := newHarness(t, alert.Options{Rules: []*alert.Rule{authRule(t, alert.Spec{SendResolved: true})}, KeepResolved: time.Hour})
	h.src.setRows(share("sf", 100, 20)...)
	h.evaluate(0)
	h.src.setRows(share("sf", 100, 0)...)
	h.evaluate(time.Minute)
	h.evaluate(61 * time.Minute)
	if a := h.only(); a.State != alert.Resolved {
		t.Errorf("an hour after resolving: %s; want still listed as resolved", a.State)
	}
	h.evaluate(61*time.Minute + time.Second)
	if as := h.alerts(); len(as) != 0 {
		t.Errorf("after keep_resolved: alerts %v; want none", states(as))
	}
}

func TestEngine_AckStopsRepeatsNotResends(t *testing.T) {
	r := authRule(t, alert.Spec{RepeatInterval: 30 * time.Minute, SendResolved: true})
	h := newHarness(t, alert.Options{Rules: []*alert.Rule{r}, Notifiers: []string{"hook", "am"}, Resend: map[string]time.Duration{"am": 5 * time.Minute}})
	h.src.setRows(share("sf", 100, 20)...)
	wantSent(t, "fire", h.evaluate(0), "am firing auth [sf:firing]", "hook firing auth [sf:firing]")
	wantSent(t, "resend interval", h.evaluate(5*time.Minute), "am repeat auth [sf:firing]")

	a, err := h.db.AckAlert(t.Context(), h.only().ID, alert.Ack{By: "ops", Comment: "on it", At: t0.Add(6 * time.Minute)})
	if err != nil {
		t.Fatalf("AckAlert: %v", err)
	}
	wantSent(t, "acknowledged, resend due", h.evaluate(10*time.Minute), "am repeat auth [sf:firing]")
	wantSent(t, "acknowledged, repeat and resend due", h.evaluate(30*time.Minute), "am repeat auth [sf:firing]")
	wantSent(t, "acknowledged, two repeat intervals on", h.evaluate(60*time.Minute), "am repeat auth [sf:firing]")
	if got := h.only(); got.Ack == nil || got.Ack.By != "ops" {
		t.Errorf("ack after evaluations = %+v; want ops's kept", got.Ack)
	}

	// A new episode of the alert is not acknowledged.
	h.src.setRows(share("sf", 100, 0)...)
	wantSent(t, "resolved", h.evaluate(70*time.Minute), "am resolved auth [sf:resolved]", "hook resolved auth [sf:resolved]")
	h.src.setRows(share("sf", 100, 20)...)
	wantSent(t, "fires again", h.evaluate(80*time.Minute), "am firing auth [sf:firing]", "hook firing auth [sf:firing]")
	if got := h.only(); got.ID != a.ID || got.Ack != nil {
		t.Errorf("new episode of %s: %s with ack %+v; want the same alert without an ack", a.ID, got.ID, got.Ack)
	}
	wantSent(t, "new episode repeats", h.evaluate(110*time.Minute), "am repeat auth [sf:firing]", "hook repeat auth [sf:firing]")
}

func TestEngine_SendResolvedFalse(t *testing.T) {
	r := authRule(t, alert.Spec{SendResolved: false})
	h := newHarness(t, alert.Options{Rules: []*alert.Rule{r}, Notifiers: []string{"hook", "am"}, Resend: map[string]time.Duration{"am": 5 * time.Minute}})
	h.src.setRows(share("sf", 100, 20)...)
	wantSent(t, "fire", h.evaluate(0), "am firing auth [sf:firing]", "hook firing auth [sf:firing]")
	h.src.setRows(share("sf", 100, 0)...)
	wantSent(t, "resolve", h.evaluate(time.Minute), "am resolved auth [sf:resolved]")
	if a := h.only(); a.State != alert.Resolved {
		t.Errorf("state = %s; want resolved", a.State)
	}
	wantSent(t, "after the resolve", h.evaluate(2*time.Hour))
}

func TestEngine_GroupBy(t *testing.T) {
	tests := []struct {
		name    string
		groupBy []string
		fire    []string
		// partly is sent when hs resolves and sf still fires.
		partly []string
	}{
		{
			"one group", nil,
			[]string{"chat firing auth [hs:firing sf:firing]", "hook firing auth [hs:firing sf:firing]"},
			[]string{"chat firing auth [hs:resolved sf:firing]", "hook firing auth [hs:resolved sf:firing]"},
		},
		{
			"by upstream", []string{"upstream"},
			[]string{"chat firing auth{upstream=hs} [hs:firing]", "chat firing auth{upstream=sf} [sf:firing]",
				"hook firing auth{upstream=hs} [hs:firing]", "hook firing auth{upstream=sf} [sf:firing]"},
			[]string{"chat resolved auth{upstream=hs} [hs:resolved]", "hook resolved auth{upstream=hs} [hs:resolved]"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, alert.Options{Rules: []*alert.Rule{authRule(t, alert.Spec{GroupBy: tc.groupBy, SendResolved: true})}})
			h.src.setRows(append(share("sf", 100, 10), share("hs", 100, 30)...)...)
			ms := h.evaluate(0)
			wantSent(t, "fire", ms, tc.fire...)
			for _, m := range ms {
				want := map[string]string{"alertname": "auth"}
				if tc.groupBy != nil {
					want["upstream"] = m.Alerts[0].Labels["upstream"]
				}
				if !maps.Equal(m.GroupLabels, want) {
					t.Errorf("group labels of %s = %v; want %v", m.Group, m.GroupLabels, want)
				}
			}
			if tc.groupBy == nil && len(ms) > 0 && ms[0].Summary != "FIRING auth: 2 firing, 0 resolved" {
				t.Errorf("summary = %q; want it to count the alerts", ms[0].Summary)
			}
			h.src.setRows(append(share("sf", 100, 10), share("hs", 100, 0)...)...)
			wantSent(t, "hs resolved, sf fires", h.evaluate(time.Minute), tc.partly...)
			wantSent(t, "nothing changed", h.evaluate(2*time.Minute))
		})
	}
}

func TestEngine_Silence(t *testing.T) {
	h := newHarness(t, alert.Options{Rules: []*alert.Rule{authRule(t, alert.Spec{SendResolved: true})}, Notifiers: []string{"hook"}})
	err := h.db.CreateSilence(t.Context(), alert.Silence{ID: "s1", Matchers: map[string]string{"upstream": "s*"},
		StartsAt: t0.Add(-time.Minute), EndsAt: t0.Add(time.Hour), CreatedBy: "ops", CreatedAt: t0.Add(-time.Minute)})
	if err != nil {
		t.Fatalf("CreateSilence: %v", err)
	}
	h.src.setRows(share("sf", 100, 20)...)
	wantSent(t, "fires under a silence", h.evaluate(0))
	a := h.only()
	if a.State != alert.Firing || !slices.Equal(a.SilencedBy, []string{"silence s1"}) {
		t.Errorf("alert: %s silenced by %q; want firing, silenced by silence s1", a.State, a.SilencedBy)
	}
	if got, want := h.history(), []string{"firing sf", "silenced sf"}; !slices.Equal(got, want) {
		t.Errorf("history = %q; want %q", got, want)
	}
	wantSent(t, "still silenced", h.evaluate(10*time.Minute))
	if got, want := h.history(), []string{"firing sf", "silenced sf"}; !slices.Equal(got, want) {
		t.Errorf("history after another evaluation = %q; want %q (silenced once)", got, want)
	}

	if err := h.db.ExpireSilence(t.Context(), "s1", t0.Add(15*time.Minute)); err != nil {
		t.Fatalf("ExpireSilence: %v", err)
	}
	wantSent(t, "silence expired", h.evaluate(15*time.Minute), "hook firing auth [sf:firing]")
	if a := h.only(); len(a.SilencedBy) != 0 || !a.FiredAt.Equal(t0) {
		t.Errorf("after the silence: silenced by %q, fired at %v; want none, t0", a.SilencedBy, a.FiredAt)
	}
	h.src.setRows(share("sf", 100, 0)...)
	wantSent(t, "resolved", h.evaluate(20*time.Minute), "hook resolved auth [sf:resolved]")
	if got, want := h.history(), []string{"firing sf", "silenced sf", "unsilenced sf", "resolved sf"}; !slices.Equal(got, want) {
		t.Errorf("history = %q; want %q", got, want)
	}
}

func TestEngine_SilencedAfterNotifying(t *testing.T) {
	h := newHarness(t, alert.Options{Rules: []*alert.Rule{authRule(t, alert.Spec{SendResolved: true})}, Notifiers: []string{"hook"}})
	h.src.setRows(share("sf", 100, 20)...)
	wantSent(t, "fire", h.evaluate(0), "hook firing auth [sf:firing]")
	err := h.db.CreateSilence(t.Context(), alert.Silence{ID: "s1", Matchers: map[string]string{"alertname": "auth"},
		StartsAt: t0.Add(time.Minute), EndsAt: t0.Add(3 * time.Hour), CreatedBy: "ops", CreatedAt: t0})
	if err != nil {
		t.Fatalf("CreateSilence: %v", err)
	}
	wantSent(t, "a silenced alert is not repeated", h.evaluate(2*time.Hour))
	// The notifier saw it fire, so it hears it resolve, silenced or not.
	h.src.setRows(share("sf", 100, 0)...)
	wantSent(t, "resolved under the silence", h.evaluate(2*time.Hour+time.Minute), "hook resolved auth [sf:resolved]")
}

func TestEngine_MaintenanceWindow(t *testing.T) {
	w, err := alert.CompileWindow(alert.WindowSpec{Name: "sf-upgrade", Matchers: map[string]string{"upstream": "sf"},
		Start: t0.Add(-time.Hour).Format(time.RFC3339), End: t0.Add(time.Hour).Format(time.RFC3339)})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, alert.Options{Rules: []*alert.Rule{authRule(t, alert.Spec{})}, Windows: []alert.Window{w}, Notifiers: []string{"hook"}})
	h.src.setRows(append(share("sf", 100, 20), share("hs", 100, 20)...)...)
	wantSent(t, "in the window", h.evaluate(0), "hook firing auth [hs:firing]")
	for _, a := range h.alerts() {
		want := []string{"maintenance sf-upgrade"}
		if a.Labels["upstream"] == "hs" {
			want = nil
		}
		if a.State != alert.Firing || !slices.Equal(a.SilencedBy, want) {
			t.Errorf("alert on %s: %s, silenced by %q; want firing, silenced by %q", a.Labels["upstream"], a.State, a.SilencedBy, want)
		}
	}
	wantSent(t, "window over", h.evaluate(time.Hour), "hook firing auth [hs:firing sf:firing]")
}

func TestEngine_RuleRemoved(t *testing.T) {
	h := newHarness(t, alert.Options{Rules: []*alert.Rule{authRule(t, alert.Spec{})}, Notifiers: []string{"hook"}})
	h.src.setRows(share("sf", 100, 20)...)
	wantSent(t, "fire", h.evaluate(0), "hook firing auth [sf:firing]")

	other := rule(t, alert.Spec{Name: "breaker", When: alert.Condition{Breaker: "open"}})
	h.restart(alert.Options{Rules: []*alert.Rule{other}, Notifiers: []string{"hook"}})
	wantSent(t, "rule removed", h.evaluate(time.Minute), "hook resolved auth [sf:resolved]")
	if a := h.only(); a.State != alert.Resolved || !a.ResolvedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("alert of the removed rule: %s at %v; want resolved at t0+1m", a.State, a.ResolvedAt)
	}
	es, err := h.db.AlertEvents(t.Context(), alert.EventQuery{Rule: "auth", Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || es[0].Kind != alert.EventResolved || es[0].Detail != "the rule was removed from the configuration" {
		t.Errorf("last event = %+v; want resolved because the rule was removed", es)
	}
	wantSent(t, "after", h.evaluate(2*time.Minute))
}

func TestEngine_SourceErrorKeepsAlerts(t *testing.T) {
	queue := rule(t, alert.Spec{Name: "queue", SendResolved: true, When: alert.Condition{Queue: "depth", Above: "10"}})
	breaker := rule(t, alert.Spec{Name: "breaker", SendResolved: true, When: alert.Condition{Breaker: "open"}})
	h := newHarness(t, alert.Options{Rules: []*alert.Rule{queue, breaker}, Notifiers: []string{"hook"}})
	h.src.set(func(s *source) { s.queue = &alert.QueueStats{Depth: 50} })
	wantSent(t, "fire", h.evaluate(0), "hook firing queue [:firing]")

	h.src.set(func(s *source) {
		s.err = errors.New("database is locked")
		s.upstreams = []alert.Upstream{{Name: "sf", Endpoints: 1, OpenEndpoints: 1}}
	})
	// The breaker rule still works: only the failing rule is held.
	wantSent(t, "queue unreadable", h.evaluate(time.Minute), "hook firing breaker [sf:firing]")
	for _, a := range h.alerts() {
		if a.State != alert.Firing {
			t.Errorf("alert of %s is %s; want firing", a.Rule, a.State)
		}
	}
	if got := gauge(t, h.reg, "crmguard_alert_evaluation_failures_total", map[string]string{}); got != 1 {
		t.Errorf("failures = %v; want 1", got)
	}
	if got, want := h.history(), []string{"firing ", "firing sf"}; !slices.Equal(got, want) {
		t.Errorf("history = %q; want %q (nothing resolved)", got, want)
	}

	h.src.set(func(s *source) { s.err, s.queue = nil, &alert.QueueStats{} })
	wantSent(t, "queue readable and empty", h.evaluate(2*time.Minute), "hook resolved queue [:resolved]")
}

func TestEngine_RollupsUnreadable(t *testing.T) {
	h := newHarness(t, alert.Options{Rules: []*alert.Rule{authRule(t, alert.Spec{SendResolved: true})}, Notifiers: []string{"hook"}})
	h.src.setRows(share("sf", 100, 20)...)
	h.evaluate(0)
	h.src.set(func(s *source) { s.rollupErr = errors.New("connection refused") })
	h.clock.Set(time.Minute)
	if err := h.e.Evaluate(t.Context()); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("Evaluate = %v; want the rollups' error", err)
	}
	wantSent(t, "rollups unreadable", h.take())
	if a := h.only(); a.State != alert.Firing {
		t.Errorf("alert = %s; want still firing", a.State)
	}
}

func TestEngine_RestartDoesNotResend(t *testing.T) {
	o := alert.Options{Rules: []*alert.Rule{authRule(t, alert.Spec{})}}
	h := newHarness(t, o)
	h.src.setRows(share("sf", 100, 20)...)
	wantSent(t, "fire", h.evaluate(0), "chat firing auth [sf:firing]", "hook firing auth [sf:firing]")

	h.restart(o)
	wantSent(t, "after a restart", h.evaluate(time.Minute))
	if a := h.only(); a.State != alert.Firing || !a.FiredAt.Equal(t0) {
		t.Errorf("after a restart: %s fired at %v; want firing since t0", a.State, a.FiredAt)
	}
	// The repeat interval counts from the message before the restart.
	wantSent(t, "repeat after a restart", h.evaluate(time.Hour), "chat repeat auth [sf:firing]", "hook repeat auth [sf:firing]")
	if got, want := h.history(), []string{"firing sf"}; !slices.Equal(got, want) {
		t.Errorf("history = %q; want %q", got, want)
	}
}

// TestEngine_GroupByChanged restarts with the rule grouped differently:
// the firing alert is announced to its new group, the old group's state
// is dropped, and the alert's resolution goes to the new group only.
func TestEngine_GroupByChanged(t *testing.T) {
	h := newHarness(t, alert.Options{Rules: []*alert.Rule{authRule(t, alert.Spec{SendResolved: true})}, Notifiers: []string{"hook"}})
	h.src.setRows(share("sf", 100, 20)...)
	wantSent(t, "fire", h.evaluate(0), "hook firing auth [sf:firing]")

	h.restart(alert.Options{Rules: []*alert.Rule{authRule(t, alert.Spec{SendResolved: true, GroupBy: []string{"upstream"}})}, Notifiers: []string{"hook"}})
	wantSent(t, "regrouped", h.evaluate(time.Minute), "hook firing auth{upstream=sf} [sf:firing]")
	snap, err := h.db.LoadAlerts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Groups) != 1 || snap.Groups[0].Group != "auth{upstream=sf}" {
		t.Errorf("stored groups %+v; want only the new group", snap.Groups)
	}
	h.src.setRows(share("sf", 100, 0)...)
	wantSent(t, "resolved", h.evaluate(2*time.Minute), "hook resolved auth{upstream=sf} [sf:resolved]")
}

func TestEngine_Metrics(t *testing.T) {
	firing := authRule(t, alert.Spec{Name: "auth", Severity: "critical"})
	pending := rule(t, alert.Spec{Name: "queue", For: time.Hour, When: alert.Condition{Queue: "depth", Above: "10"}})
	h := newHarness(t, alert.Options{Rules: []*alert.Rule{firing, pending}})
	series := func(rule, severity, state string) map[string]string {
		return map[string]string{"rule": rule, "severity": severity, "state": state}
	}
	for _, s := range []map[string]string{series("auth", "critical", "firing"), series("queue", "warning", "pending")} {
		if got := gauge(t, h.reg, "crmguard_alerts", s); got != 0 {
			t.Errorf("before any evaluation crmguard_alerts%v = %v; want 0", s, got)
		}
	}
	h.src.setRows(append(share("sf", 100, 20), share("hs", 100, 20)...)...)
	h.src.set(func(s *source) { s.queue = &alert.QueueStats{Depth: 50} })
	h.evaluate(0)
	for _, c := range []struct {
		labels map[string]string
		want   float64
	}{
		{series("auth", "critical", "firing"), 2},
		{series("auth", "critical", "pending"), 0},
		{series("queue", "warning", "pending"), 1},
		{series("queue", "warning", "firing"), 0},
	} {
		if got := gauge(t, h.reg, "crmguard_alerts", c.labels); got != c.want {
			t.Errorf("crmguard_alerts%v = %v; want %v", c.labels, got, c.want)
		}
	}
	if n := testutil.CollectAndCount(h.reg, "crmguard_alerts"); n != 4 {
		t.Errorf("crmguard_alerts has %d series; want 4 (two rules, pending and firing)", n)
	}

	h.src.setRows(append(share("sf", 100, 20), share("hs", 100, 0)...)...)
	h.evaluate(time.Minute)
	if got := gauge(t, h.reg, "crmguard_alerts", series("auth", "critical", "firing")); got != 1 {
		t.Errorf("after hs resolved crmguard_alerts{auth,firing} = %v; want 1", got)
	}
	if got := gauge(t, h.reg, "crmguard_alert_evaluations_total", map[string]string{}); got != 2 {
		t.Errorf("evaluations = %v; want 2", got)
	}
}

// leaseSpy is the store, reporting each TryLease outcome on got.
type leaseSpy struct {
	*store.DB
	got chan bool
}

func (s leaseSpy) TryLease(ctx context.Context, name, holder string, ttl time.Duration, now time.Time) (bool, error) {
	ok, err := s.DB.TryLease(ctx, name, holder, ttl, now)
	if err == nil {
		select {
		case s.got <- ok:
		case <-ctx.Done():
		}
	}
	return ok, err
}

// next returns the next lease outcome of ch, or fails after a while.
func next(t *testing.T, who string, ch <-chan bool) bool {
	t.Helper()
	select {
	case ok := <-ch:
		return ok
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not try the lease", who)
		return false
	}
}

func TestEngine_RunTakesTheLease(t *testing.T) {
	const every = 10 * time.Millisecond
	h := newHarness(t, alert.Options{})
	h.src.set(func(s *source) { s.upstreams = []alert.Upstream{{Name: "sf", Endpoints: 1, OpenEndpoints: 1}} })
	r := rule(t, alert.Spec{Name: "breaker", When: alert.Condition{Breaker: "open"}})
	replica := func(holder string) (*alert.Engine, chan bool, *prometheus.Registry) {
		spy := leaseSpy{DB: h.db, got: make(chan bool)}
		o := h.options(alert.Options{Rules: []*alert.Rule{r}, Notifiers: []string{holder}, Holder: holder, Every: every})
		o.Store = spy
		return alert.New(o), spy.got, o.Registerer.(*prometheus.Registry)
	}
	run := func(e *alert.Engine) (stop func()) {
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() {
			defer close(done)
			e.Run(ctx)
		}()
		return func() { cancel(); <-done }
	}

	a, aLease, _ := replica("a")
	stopA := run(a)
	defer stopA()
	if !next(t, "a", aLease) {
		t.Fatal("a did not get the free lease")
	}
	next(t, "a", aLease) // a evaluated before trying again
	wantSent(t, "a evaluated", h.take(), "a firing breaker [sf:firing]")

	b, bLease, bReg := replica("b")
	stopB := run(b)
	defer stopB()
	for i := range 3 {
		if next(t, "b", bLease) {
			t.Fatalf("b took the lease held by a (try %d)", i)
		}
	}
	if got := gauge(t, bReg, "crmguard_alert_evaluations_total", map[string]string{}); got != 0 {
		t.Errorf("b evaluated %v times without the lease; want 0", got)
	}

	stopA()
	h.clock.Set(3 * every) // the lease a took at t0 expires
	deadline := time.Now().Add(10 * time.Second)
	for !next(t, "b", bLease) {
		if time.Now().After(deadline) {
			t.Fatal("b never took the expired lease")
		}
	}
	next(t, "b", bLease) // b evaluated before trying again
	if got := gauge(t, bReg, "crmguard_alert_evaluations_total", map[string]string{}); got < 1 {
		t.Errorf("b evaluated %v times with the lease; want at least 1", got)
	}
	// b took over the alert a notified: b's notifier is new to it.
	wantSent(t, "b evaluated", h.take(), "b firing breaker [sf:firing]")
}

func TestEngine_IncidentAnnotations(t *testing.T) {
	h := newHarness(t, alert.Options{Rules: []*alert.Rule{rule(t, alert.Spec{Name: "r", When: alert.Condition{Incident: "new"}})}})
	h.src.set(func(s *source) {
		s.incidents = []incident.Incident{{Fingerprint: "f1e2d3c4b5a69788", Upstream: "sf", Operation: "/sobjects/Account", Class: fault.Auth,
			VendorCode: "INVALID_SESSION_ID", Message: "Session expired or invalid", Remediation: "refresh the token", Count: 7, State: incident.Open}}
	})
	h.evaluate(0)
	want := map[string]string{
		"summary":     "incident f1e2d3c4 on sf /sobjects/Account: auth INVALID_SESSION_ID, 7 calls",
		"description": "Session expired or invalid",
		"remediation": "refresh the token",
	}
	if a := h.only(); !maps.Equal(a.Annotations, want) {
		t.Errorf("annotations = %v; want %v", a.Annotations, want)
	}
}

func TestEngine_SummaryTemplate(t *testing.T) {
	r := authRule(t, alert.Spec{Summary: "{{.Rule}}: {{.Labels.upstream}} at {{.Value}}{{.Labels.nope}}"})
	h := newHarness(t, alert.Options{Rules: []*alert.Rule{r}, Notifiers: []string{"hook"}})
	h.src.setRows(share("sf", 100, 20)...)
	ms := h.evaluate(0)
	if a := h.only(); a.Annotations["summary"] != "auth: sf at 0.2" {
		t.Errorf("summary = %q; want the rendered template", a.Annotations["summary"])
	}
	if len(ms) != 1 || ms[0].Summary != "FIRING auth: auth: sf at 0.2" {
		t.Errorf("messages = %+v; want one whose summary carries the template's", ms)
	}
}

func TestEngine_RulesSharedBetweenEngines(t *testing.T) {
	// Two engines built from the same compiled rules, as two replicas in
	// one process or an engine and its replacement, each send to their
	// own notifiers.
	r := authRule(t, alert.Spec{})
	first := newHarness(t, alert.Options{Rules: []*alert.Rule{r}, Notifiers: []string{"hook"}})
	second := newHarness(t, alert.Options{Rules: []*alert.Rule{r}, Notifiers: []string{"chat"}})
	first.src.setRows(share("sf", 100, 20)...)
	second.src.setRows(share("sf", 100, 20)...)
	wantSent(t, "first engine", first.evaluate(0), "hook firing auth [sf:firing]")
	wantSent(t, "second engine", second.evaluate(0), "chat firing auth [sf:firing]")
}

func TestEngine_RollupWindows(t *testing.T) {
	// The rollups are read once for the widest window; each rule counts
	// the minutes of its own, whatever order the source returns them in.
	for _, newestFirst := range []bool{false, true} {
		t.Run(fmt.Sprintf("newest first %v", newestFirst), func(t *testing.T) {
			recent := rule(t, alert.Spec{Name: "recent", When: alert.Condition{Class: "auth", CountOver: 5 * time.Minute, Above: "0"}})
			long := rule(t, alert.Spec{Name: "long", When: alert.Condition{Class: "auth", CountOver: 15 * time.Minute, Above: "0"}})
			h := newHarness(t, alert.Options{Rules: []*alert.Rule{recent, long}})
			old := calls("sf", fault.Auth, 50, time.Millisecond)
			old.Minute = t0.Add(-10 * time.Minute)
			edge := calls("sf", fault.Auth, 7, time.Millisecond)
			edge.Minute = t0.Add(-5 * time.Minute) // overlaps the 5m window ending at t0+30s
			h.src.set(func(s *source) {
				s.rows = []rollup.Row{old, edge, calls("sf", fault.Auth, 3, time.Millisecond)}
				s.newestFirst = newestFirst
			})
			h.evaluate(30 * time.Second)
			got := map[string]float64{}
			for _, a := range h.alerts() {
				got[a.Rule] = a.Value
			}
			if want := map[string]float64{"recent": 10, "long": 60}; !maps.Equal(got, want) {
				t.Errorf("values = %v; want %v", got, want)
			}
		})
	}
}

func TestEngine_PendingSurvivesRestart(t *testing.T) {
	o := alert.Options{Rules: []*alert.Rule{authRule(t, alert.Spec{For: 10 * time.Minute})}}
	h := newHarness(t, o)
	h.src.setRows(share("sf", 100, 20)...)
	h.evaluate(0)
	h.restart(o)
	wantSent(t, "pending after a restart", h.evaluate(9*time.Minute))
	wantSent(t, "for counts from before the restart", h.evaluate(10*time.Minute),
		"chat firing auth [sf:firing]", "hook firing auth [sf:firing]")
}

func TestEngine_AckEveryAlertOfTheGroup(t *testing.T) {
	h := newHarness(t, alert.Options{Rules: []*alert.Rule{authRule(t, alert.Spec{})}, Notifiers: []string{"hook"}})
	h.src.setRows(append(share("sf", 100, 20), share("hs", 100, 20)...)...)
	wantSent(t, "fire", h.evaluate(0), "hook firing auth [hs:firing sf:firing]")
	ack := func(upstream string) {
		t.Helper()
		for _, a := range h.alerts() {
			if a.Labels["upstream"] == upstream {
				if _, err := h.db.AckAlert(t.Context(), a.ID, alert.Ack{By: "ops", At: h.clock.Now()}); err != nil {
					t.Fatalf("AckAlert(%s): %v", upstream, err)
				}
			}
		}
	}
	ack("sf")
	ms := h.evaluate(time.Hour)
	if len(ms) != 1 || ms[0].Kind != notify.Repeat || len(ms[0].Alerts) != 2 {
		t.Errorf("one of two acknowledged: sent %q; want a repeat of both", brief(ms))
	}
	ack("hs")
	wantSent(t, "both acknowledged", h.evaluate(2*time.Hour))
}

// failingSave is the store failing SaveAlerts while fail is set.
type failingSave struct {
	*store.DB
	fail bool
}

func (s *failingSave) SaveAlerts(ctx context.Context, c alert.Change) error {
	if s.fail {
		return errors.New("disk full")
	}
	return s.DB.SaveAlerts(ctx, c)
}

func TestEngine_SaveFailsSendsNothing(t *testing.T) {
	h := newHarness(t, alert.Options{})
	st := &failingSave{DB: h.db, fail: true}
	o := h.options(alert.Options{Rules: []*alert.Rule{authRule(t, alert.Spec{})}, Notifiers: []string{"hook"}})
	o.Store = st
	e := alert.New(o)
	h.src.setRows(share("sf", 100, 20)...)
	if err := e.Evaluate(t.Context()); err == nil || !strings.Contains(err.Error(), "saving alerts: disk full") {
		t.Errorf("Evaluate = %v; want the save's error", err)
	}
	wantSent(t, "save failed", h.take())
	st.fail = false
	h.clock.Set(time.Minute)
	if err := e.Evaluate(t.Context()); err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	wantSent(t, "save succeeded", h.take(), "hook firing auth [sf:firing]")
	if a := h.only(); !a.FiredAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("fired at %v; want t0+1m, the evaluation that was saved", a.FiredAt)
	}
}

func TestEngine_Observe(t *testing.T) {
	type seen struct {
		kind string
		a    notify.Alert
	}
	var got []seen
	h := newHarness(t, alert.Options{})
	o := h.options(alert.Options{Rules: []*alert.Rule{authRule(t, alert.Spec{})}, Notifiers: []string{"hook"}})
	o.Observe = func(e alert.Event, a notify.Alert) { got = append(got, seen{e.Kind, a}) }
	h.e = alert.New(o)
	h.src.setRows(share("sf", 100, 20)...)
	h.evaluate(0)
	h.src.setRows(share("sf", 100, 0)...)
	h.evaluate(time.Minute)
	if len(got) != 2 || got[0].kind != alert.EventFiring || got[1].kind != alert.EventResolved ||
		got[0].a.Status != notify.Firing || got[1].a.Status != notify.Resolved || !got[1].a.EndsAt.Equal(t0.Add(time.Minute)) ||
		!strings.HasPrefix(got[0].a.URL, "http://admin.test/alerts/") {
		t.Errorf("observed %+v; want firing then resolved at t0+1m, with the alert's URL", got)
	}
}
