package alert

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/crmguard/crmguard/internal/notify"
	"github.com/crmguard/crmguard/internal/rollup"
)

// Options configure an Engine.
type Options struct {
	Rules   []*Rule
	Windows []Window
	// Notifiers names every notifier, in the order configured: a rule
	// without notify sends to all of them.
	Notifiers []string
	// Resend holds the notifiers that must be sent their firing alerts
	// on a fixed interval (notify.Resender).
	Resend map[string]time.Duration
	Source Source
	// Scores feeds anomaly conditions; nil when no detector runs.
	Scores ScoreSource
	Store  Store
	// Send hands a message to its notifier's delivery; it must not block.
	Send func(notify.Message)
	// Every is the evaluation interval.
	Every time.Duration
	// Holder identifies this replica for the evaluation lease.
	Holder string
	// AlertURL returns where an alert is shown; nil gives no URL.
	AlertURL func(id string) string
	// Observe, if set, is told every history event of an evaluation
	// once it is saved, with the alert as a notification shows it (for
	// the ECS event log).
	Observe func(e Event, a notify.Alert)
	// KeepResolved is how long resolved alerts stay listed. Default 24h.
	KeepResolved time.Duration
	Now          func() time.Time
	Logger       *slog.Logger
	Registerer   prometheus.Registerer
}

// Engine evaluates the rules every interval on the replica that holds the
// evaluation lease, and keeps the alerts' state in the store.
type Engine struct {
	o Options
	m *metrics
}

// New returns an engine. Options.Source, Store and Send are required.
func New(o Options) *Engine {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.KeepResolved <= 0 {
		o.KeepResolved = 24 * time.Hour
	}
	if o.Every <= 0 {
		o.Every = 15 * time.Second
	}
	// Each engine resolves the notifiers on copies of the rules: writing
	// them into the caller's rules would let a second engine built from
	// the same rules redirect (and race with) the first's notifications.
	rules := make([]*Rule, len(o.Rules))
	for i, r := range o.Rules {
		c := *r
		c.notifyTo = c.Notify
		if len(c.notifyTo) == 0 {
			c.notifyTo = o.Notifiers
		}
		rules[i] = &c
	}
	o.Rules = rules
	return &Engine{o: o, m: newMetrics(o.Registerer, o.Rules)}
}

// leaseName is the store lease that elects the evaluating replica.
const leaseName = "alerts"

// Run evaluates every interval until ctx is canceled. A replica that does
// not hold the lease skips the evaluation; the lease lasts three
// intervals, so another replica takes over within that time after the
// holder stops.
func (e *Engine) Run(ctx context.Context) {
	t := time.NewTicker(e.o.Every)
	defer t.Stop()
	for {
		ok, err := e.o.Store.TryLease(ctx, leaseName, e.o.Holder, 3*e.o.Every, e.o.Now())
		switch {
		case err != nil && ctx.Err() == nil:
			e.o.Logger.Error("alerts: taking the evaluation lease failed", "err", err)
		case ok:
			if err := e.Evaluate(ctx); err != nil && ctx.Err() == nil {
				e.o.Logger.Error("alerts: evaluation failed", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Evaluate runs every rule once, updates the alerts and their history,
// and sends the notifications that are due.
func (e *Engine) Evaluate(ctx context.Context) error {
	now := e.o.Now()
	e.m.evaluations.Inc()
	stored, err := e.o.Store.LoadAlerts(ctx)
	if err != nil {
		e.m.failures.Inc()
		return fmt.Errorf("loading alerts: %w", err)
	}
	silences, err := e.o.Store.Silences(ctx, now)
	if err != nil {
		e.m.failures.Inc()
		return fmt.Errorf("loading silences: %w", err)
	}
	snap := &snapshot{now: now, src: e.o.Source, scores: e.o.Scores}
	if w := e.widest(); w > 0 {
		snap.rows, err = e.o.Source.Rollups(ctx, now.Add(-w).Truncate(time.Minute), now.Add(time.Minute))
		if err != nil {
			e.m.failures.Inc()
			return fmt.Errorf("reading rollups: %w", err)
		}
		// Each rule finds its window's rows by binary search over the
		// minutes; Source does not promise their order.
		slices.SortStableFunc(snap.rows, func(a, b rollup.Row) int { return a.Minute.Compare(b.Minute) })
	}

	ev := evaluation{now: now, byID: map[string]*entry{}, seen: map[string]bool{}, kept: map[string]bool{}}
	for i := range stored.Alerts {
		ev.byID[stored.Alerts[i].ID] = &entry{Alert: stored.Alerts[i]}
	}
	rules := map[string]*Rule{}
	for _, r := range e.o.Rules {
		rules[r.Name] = r
		samples, err := r.cond.eval(ctx, snap)
		if err != nil {
			// Keep the rule's alerts as they are: an unreadable source
			// neither fires nor resolves anything.
			e.m.failures.Inc()
			e.o.Logger.Error("alerts: evaluating a rule failed", "rule", r.Name, "err", err)
			ev.keep(r.Name)
			continue
		}
		ev.apply(r, samples)
	}
	ev.retire(rules)
	ev.silence(silences, e.o.Windows)

	groups := map[string]*GroupState{}
	for i := range stored.Groups {
		g := stored.Groups[i]
		groups[g.Group+"\x00"+g.Notifier] = &g
	}
	msgs := e.notifications(&ev, rules, groups)
	for _, g := range groups {
		if !slices.Contains(e.o.Notifiers, g.Notifier) {
			g.Notified = nil // the notifier was removed from the configuration
			continue
		}
		// An alert no longer in the group (its rule's group_by changed,
		// or it is gone) is no longer the group's to report.
		g.Notified = slices.DeleteFunc(g.Notified, func(id string) bool {
			a := ev.byID[id]
			return a == nil || a.deleted || a.Group != g.Group
		})
	}
	ev.purge(e.o.KeepResolved, groups)

	var change Change
	change.ClearAck, change.Events = ev.clearAck, ev.events
	for _, id := range slices.Sorted(maps.Keys(ev.byID)) {
		a := ev.byID[id]
		if a.deleted {
			change.Delete = append(change.Delete, id)
			continue
		}
		a.UpdatedAt = now
		change.Upsert = append(change.Upsert, a.Alert)
	}
	for _, k := range slices.Sorted(maps.Keys(groups)) {
		if g := groups[k]; len(g.Notified) == 0 {
			change.DeleteGroups = append(change.DeleteGroups, *g)
		} else {
			change.Groups = append(change.Groups, *g)
		}
	}
	if err := e.o.Store.SaveAlerts(ctx, change); err != nil {
		e.m.failures.Inc()
		return fmt.Errorf("saving alerts: %w", err)
	}
	// Send only what the store now says was sent: if saving failed, the
	// next evaluation decides again and nothing is sent twice.
	for _, m := range msgs {
		e.o.Send(m)
	}
	if e.o.Observe != nil {
		for _, x := range change.Events {
			if a := ev.byID[x.AlertID]; a != nil {
				e.o.Observe(x, e.notifyAlert(&a.Alert))
			}
		}
	}
	e.m.set(change.Upsert)
	return nil
}

// widest is the longest rollup window any rule reads.
func (e *Engine) widest() time.Duration {
	var w time.Duration
	for _, r := range e.o.Rules {
		w = max(w, r.cond.window())
	}
	return w
}

// evaluation is the alerts' state while one evaluation changes it.
type evaluation struct {
	now      time.Time
	byID     map[string]*entry
	seen     map[string]bool // alerts active in this evaluation
	kept     map[string]bool // rules whose evaluation failed
	clearAck []string
	events   []Event
}

// entry is a stored alert with the evaluation's bookkeeping.
type entry struct {
	Alert
	deleted bool
}

func (ev *evaluation) event(a *Alert, kind, by, detail string) {
	ev.events = append(ev.events, Event{At: ev.now, AlertID: a.ID, Rule: a.Rule,
		Labels: cloneLabels(a.Labels), Kind: kind, By: by, Detail: detail})
}

// keep marks a rule whose alerts stay as they are.
func (ev *evaluation) keep(rule string) { ev.kept[rule] = true }

// apply moves the rule's alerts along with its samples: active ones
// start pending and fire after for; the rule's other alerts resolve.
func (ev *evaluation) apply(r *Rule, samples []sample) {
	for _, s := range samples {
		if !s.active {
			continue
		}
		labels := cloneLabels(s.labels)
		maps.Copy(labels, r.Labels)
		labels["alertname"], labels["severity"] = r.Name, r.Severity
		id := alertID(r.Name, labels)
		ev.seen[id] = true
		e := ev.byID[id]
		if e == nil || e.State == Resolved {
			if e != nil {
				ev.clearAck = append(ev.clearAck, id)
			}
			e = &entry{Alert: Alert{ID: id, Rule: r.Name, Labels: labels, State: Pending, ActiveSince: ev.now}}
			ev.byID[id] = e
		}
		e.deleted = false
		e.Severity, e.Labels, e.Value = r.Severity, labels, s.value
		e.Group = groupKey(r.Name, r.GroupBy, labels)
		e.Annotations = cloneLabels(s.annotations)
		if e.Annotations == nil {
			e.Annotations = map[string]string{}
		}
		e.Annotations["summary"] = r.cond.describe(s)
		if r.summary != nil {
			e.Annotations["summary"] = r.summary.render(summaryData{Rule: r.Name, Labels: labels, Value: s.value})
		}
		if e.State == Pending && ev.now.Sub(e.ActiveSince) >= r.For {
			e.State, e.FiredAt = Firing, ev.now
			ev.event(&e.Alert, EventFiring, "", e.Annotations["summary"])
		}
	}
}

// retire resolves the firing alerts, and drops the pending ones, whose
// condition no longer holds or whose rule is gone from the configuration.
func (ev *evaluation) retire(rules map[string]*Rule) {
	for _, e := range ev.byID {
		if ev.seen[e.ID] || ev.kept[e.Rule] && rules[e.Rule] != nil {
			continue
		}
		switch e.State {
		case Pending:
			e.deleted = true
		case Firing:
			e.State, e.ResolvedAt = Resolved, ev.now
			detail := "the condition no longer holds"
			if rules[e.Rule] == nil {
				detail = "the rule was removed from the configuration"
			}
			ev.event(&e.Alert, EventResolved, "", detail)
		}
	}
}

// silence computes which silences and windows hold each alert back, and
// records when a firing alert becomes silenced or stops being so.
func (ev *evaluation) silence(silences []Silence, windows []Window) {
	for _, e := range ev.byID {
		if e.deleted {
			continue
		}
		was := len(e.SilencedBy) > 0
		e.SilencedBy = nil
		if e.State != Resolved {
			e.SilencedBy = silencedBy(e.Labels, silences, windows, ev.now)
		}
		now := len(e.SilencedBy) > 0
		justFired := e.State == Firing && e.FiredAt.Equal(ev.now)
		switch {
		case e.State == Firing && now && (!was || justFired):
			ev.event(&e.Alert, EventSilenced, "", strings.Join(e.SilencedBy, ", "))
		case e.State == Firing && !now && was && !justFired:
			ev.event(&e.Alert, EventUnsilenced, "", "")
		}
	}
}

// purge deletes resolved alerts listed longer than keep whose resolution
// every notifier has been sent.
func (ev *evaluation) purge(keep time.Duration, groups map[string]*GroupState) {
	pending := map[string]bool{}
	for _, g := range groups {
		for _, id := range g.Notified {
			pending[id] = true
		}
	}
	for _, e := range ev.byID {
		if e.State == Resolved && ev.now.Sub(e.ResolvedAt) > keep && !pending[e.ID] {
			e.deleted = true
		}
	}
}

// notifications decides, for each group and each of its rule's
// notifiers, what is sent now, and updates the groups' state:
//
//   - a firing alert the notifier was not yet sent makes a firing
//     message with every firing alert of the group (and those resolved
//     since the last message);
//   - otherwise, while the group fires, a repeat every repeat interval,
//     unless every firing alert is acknowledged; notifiers that need a
//     re-send (Alertmanager) get one every resend interval regardless;
//   - once nothing the notifier was sent still fires, a resolved message
//     if the rule sends them.
//
// Silenced alerts count as not firing, and an alert resolved while
// silenced is still reported resolved to notifiers that saw it fire.
func (e *Engine) notifications(ev *evaluation, rules map[string]*Rule, groups map[string]*GroupState) []notify.Message {
	type group struct {
		rule   *Rule
		alerts []*entry
	}
	byGroup := map[string]*group{}
	for _, a := range ev.byID {
		if a.deleted || a.State == Pending || rules[a.Rule] == nil && a.State != Resolved {
			continue
		}
		g := byGroup[a.Group]
		if g == nil {
			g = &group{rule: rules[a.Rule]}
			byGroup[a.Group] = g
		}
		g.alerts = append(g.alerts, a)
	}
	var msgs []notify.Message
	for _, key := range slices.Sorted(maps.Keys(byGroup)) {
		g := byGroup[key]
		sort.Slice(g.alerts, func(i, j int) bool { return g.alerts[i].ID < g.alerts[j].ID })
		var firing []*entry
		acked := true
		for _, a := range g.alerts {
			if a.State == Firing && len(a.SilencedBy) == 0 {
				firing = append(firing, a)
				acked = acked && a.Ack != nil
			}
		}
		notifiers, sendResolved := e.o.Notifiers, true
		if g.rule != nil {
			notifiers, sendResolved = g.rule.notifyTo, g.rule.SendResolved
		}
		for _, n := range notifiers {
			st := groups[key+"\x00"+n]
			if st == nil {
				st = &GroupState{Group: key, Notifier: n}
				groups[key+"\x00"+n] = st
			}
			notified := map[string]bool{}
			for _, id := range st.Notified {
				notified[id] = true
			}
			var resolved []*entry
			for _, a := range g.alerts {
				if a.State == Resolved && notified[a.ID] {
					resolved = append(resolved, a)
				}
			}
			resend, resender := e.o.Resend[n]
			var kind notify.Kind
			switch {
			case len(firing) > 0 && slices.ContainsFunc(firing, func(a *entry) bool { return !notified[a.ID] }):
				kind = notify.Fire
			case len(firing) > 0 && len(resolved) > 0:
				kind = notify.Fire // the group changed: some resolved, some still fire
			case len(firing) > 0 && resender && ev.now.Sub(st.LastSent) >= resend:
				kind = notify.Repeat
			case len(firing) > 0 && !acked && g.rule != nil && ev.now.Sub(st.LastSent) >= g.rule.RepeatInterval:
				kind = notify.Repeat
			case len(firing) == 0 && len(resolved) > 0:
				kind = notify.Resolve
			default:
				continue
			}
			for _, a := range resolved {
				delete(notified, a.ID)
			}
			for _, a := range firing {
				notified[a.ID] = true
			}
			st.Notified = slices.Sorted(maps.Keys(notified))
			st.LastSent = ev.now
			if kind == notify.Resolve && !sendResolved && !resender {
				continue
			}
			msgs = append(msgs, e.message(n, kind, key, g.rule, firing, resolved, ev.now))
		}
	}
	return msgs
}

// message builds one notification.
func (e *Engine) message(notifier string, kind notify.Kind, group string, r *Rule, firing, resolved []*entry, now time.Time) notify.Message {
	m := notify.Message{Notifier: notifier, Kind: kind, Status: notify.Firing, Group: group, SentAt: now,
		GroupLabels: map[string]string{}}
	if len(firing) == 0 {
		m.Status = notify.Resolved
	}
	all := append(slices.Clone(firing), resolved...)
	m.GroupLabels["alertname"] = all[0].Rule
	if r != nil {
		for _, k := range r.GroupBy {
			m.GroupLabels[k] = all[0].Labels[k]
		}
	}
	for _, a := range all {
		m.Alerts = append(m.Alerts, e.notifyAlert(&a.Alert))
	}
	status := strings.ToUpper(string(m.Status))
	if kind == notify.Repeat {
		status += " (repeat)"
	}
	if len(all) == 1 {
		m.Summary = fmt.Sprintf("%s %s: %s", status, all[0].Rule, all[0].Annotations["summary"])
	} else {
		m.Summary = fmt.Sprintf("%s %s: %d firing, %d resolved", status, all[0].Rule, len(firing), len(resolved))
	}
	return m
}

// notifyAlert is how notifications show an alert.
func (e *Engine) notifyAlert(a *Alert) notify.Alert {
	na := notify.Alert{ID: a.ID, Rule: a.Rule, Status: notify.Firing, Severity: a.Severity,
		Labels: cloneLabels(a.Labels), Annotations: cloneLabels(a.Annotations), Value: a.Value, StartsAt: a.FiredAt}
	if a.State == Resolved {
		na.Status, na.EndsAt = notify.Resolved, a.ResolvedAt
	}
	if e.o.AlertURL != nil {
		na.URL = e.o.AlertURL(a.ID)
	}
	return na
}
