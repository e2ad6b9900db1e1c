package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/alert"
	"github.com/crmguard/crmguard/internal/notify"
	"github.com/crmguard/crmguard/internal/store"
)

// testAlerts runs the alert engine's part of the suite (alert.Store, the
// history, silences, the notification log and leases), each subtest on a
// store of its own from open.
func testAlerts(t *testing.T, open func(t *testing.T) *store.DB) {
	tests := []struct {
		name string
		fn   func(t *testing.T, db *store.DB)
	}{
		{"RoundTrip", testAlertsRoundTrip},
		{"UpsertKeepsAck", testAlertsUpsertKeepsAck},
		{"Delete", testAlertsDelete},
		{"Groups", testAlertGroups},
		{"Ack", testAckAlert},
		{"Events", testAlertEvents},
		{"Silences", testSilences},
		{"Notifications", testNotifications},
		{"Lease", testLease},
		{"ConcurrentLease", testConcurrentLease},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, open(t))
		})
	}
}

// newAlert returns an alert of rule auth on upstream in state, with
// every field the engine sets; the times it has not reached are zero.
func newAlert(id, upstream string, state alert.State) alert.Alert {
	a := alert.Alert{
		ID: id, Rule: "auth", Severity: "critical", Group: "auth{upstream=" + upstream + "}",
		Labels: map[string]string{"alertname": "auth", "severity": "critical", "upstream": upstream, "class": "auth"},
		Annotations: map[string]string{
			"summary":     "auth calls were 20% of " + upstream + "'s calls over the last 5m (> 5%)",
			"description": `Session expired or "invalid" – ✓`,
		},
		State: state, Value: 0.1 + 0.2, ActiveSince: base, UpdatedAt: base.Add(3 * time.Minute),
	}
	if state != alert.Pending {
		a.FiredAt = base.Add(time.Minute + 123*time.Microsecond)
	}
	if state == alert.Resolved {
		a.ResolvedAt = base.Add(2 * time.Minute)
	}
	return a
}

// save writes c or fails t.
func save(t *testing.T, db *store.DB, c alert.Change) {
	t.Helper()
	if err := db.SaveAlerts(t.Context(), c); err != nil {
		t.Fatalf("SaveAlerts: %v", err)
	}
}

// load reads the alert state or fails t.
func load(t *testing.T, db *store.DB) alert.Snapshot {
	t.Helper()
	s, err := db.LoadAlerts(t.Context())
	if err != nil {
		t.Fatalf("LoadAlerts: %v", err)
	}
	return s
}

// getAlert reads one alert or fails t.
func getAlert(t *testing.T, db *store.DB, id string) alert.Alert {
	t.Helper()
	a, err := db.GetAlert(t.Context(), id)
	if err != nil {
		t.Fatalf("GetAlert(%s): %v", id, err)
	}
	return a
}

func testAlertsRoundTrip(t *testing.T, db *store.DB) {
	pending, firing, resolved := newAlert("a1", "sf", alert.Pending), newAlert("a2", "hs", alert.Firing), newAlert("a3", "zd", alert.Resolved)
	resolved.SilencedBy = []string{"silence s1", "maintenance weekend"}
	resolved.Annotations = map[string]string{}
	save(t, db, alert.Change{Upsert: []alert.Alert{pending, resolved, firing}})

	// Firing first, then pending, then resolved.
	want := []alert.Alert{firing, pending, resolved}
	if got := load(t, db).Alerts; !reflect.DeepEqual(got, want) {
		t.Fatalf("LoadAlerts:\n got %+v\nwant %+v", got, want)
	}
	if got := getAlert(t, db, "a1"); !reflect.DeepEqual(got, pending) {
		t.Errorf("GetAlert(a1):\n got %+v\nwant %+v", got, pending)
	}
	if _, err := db.GetAlert(t.Context(), "nope"); !errors.Is(err, alert.ErrNotFound) {
		t.Errorf("GetAlert(nope) = %v; want alert.ErrNotFound", err)
	}
	got, err := db.ListAlerts(t.Context(), alert.Resolved)
	if err != nil || !reflect.DeepEqual(got, []alert.Alert{resolved}) {
		t.Errorf("ListAlerts(resolved) = %+v, %v; want a3 only", got, err)
	}

	// Saving again updates every field, also back to no fired and
	// resolved time (a new episode) and no silences.
	pending.State, pending.FiredAt, pending.Value = alert.Firing, base.Add(4*time.Minute), 0.75
	pending.Labels = map[string]string{"alertname": "auth", "upstream": "sf", "team": "crm"}
	pending.Annotations = map[string]string{"summary": "changed"}
	pending.Severity, pending.Group, pending.UpdatedAt = "warning", "auth", base.Add(4*time.Minute)
	renewed := newAlert("a3", "zd", alert.Pending)
	renewed.ActiveSince = base.Add(4 * time.Minute)
	save(t, db, alert.Change{Upsert: []alert.Alert{pending, renewed}})
	want = []alert.Alert{pending, firing, renewed}
	if got := load(t, db).Alerts; !reflect.DeepEqual(got, want) {
		t.Errorf("LoadAlerts after the update:\n got %+v\nwant %+v", got, want)
	}
}

func testAlertsUpsertKeepsAck(t *testing.T, db *store.DB) {
	a := newAlert("a1", "sf", alert.Firing)
	save(t, db, alert.Change{Upsert: []alert.Alert{a}})
	loaded := load(t, db).Alerts[0] // as an evaluation reads it

	ack := alert.Ack{By: "ops", Comment: "looking", At: base.Add(5 * time.Minute)}
	if _, err := db.AckAlert(t.Context(), "a1", ack); err != nil {
		t.Fatalf("AckAlert: %v", err)
	}
	// The evaluation saves what it loaded before the acknowledgement.
	loaded.Value, loaded.UpdatedAt = 0.5, base.Add(6*time.Minute)
	save(t, db, alert.Change{Upsert: []alert.Alert{loaded}})
	got := getAlert(t, db, "a1")
	if got.Ack == nil || *got.Ack != ack {
		t.Errorf("ack after the evaluation saved = %+v; want %+v kept", got.Ack, ack)
	}
	if got.Value != 0.5 || !got.UpdatedAt.Equal(base.Add(6*time.Minute)) {
		t.Errorf("value %v, updated %v; want the evaluation's 0.5 at base+6m", got.Value, got.UpdatedAt)
	}

	// A new episode clears the acknowledgement.
	loaded.Ack = nil
	save(t, db, alert.Change{ClearAck: []string{"a1"}, Upsert: []alert.Alert{loaded}})
	if got := getAlert(t, db, "a1"); got.Ack != nil {
		t.Errorf("ack after ClearAck = %+v; want none", got.Ack)
	}
}

func testAlertsDelete(t *testing.T, db *store.DB) {
	save(t, db, alert.Change{Upsert: []alert.Alert{newAlert("a1", "sf", alert.Pending), newAlert("a2", "hs", alert.Firing)}})
	save(t, db, alert.Change{Delete: []string{"a1", "never-stored"}})
	as := load(t, db).Alerts
	if len(as) != 1 || as[0].ID != "a2" {
		t.Errorf("alerts after deleting a1 = %+v; want a2 only", as)
	}
	if _, err := db.GetAlert(t.Context(), "a1"); !errors.Is(err, alert.ErrNotFound) {
		t.Errorf("GetAlert(a1) after its delete = %v; want alert.ErrNotFound", err)
	}
}

func testAlertGroups(t *testing.T, db *store.DB) {
	hook := alert.GroupState{Group: "auth{upstream=sf}", Notifier: "hook", LastSent: base.Add(time.Microsecond), Notified: []string{"a1", "a2"}}
	chat := alert.GroupState{Group: "auth{upstream=sf}", Notifier: "chat", LastSent: base, Notified: []string{"a1"}}
	other := alert.GroupState{Group: "queue", Notifier: "hook", LastSent: base.Add(time.Hour)} // nothing notified
	save(t, db, alert.Change{Groups: []alert.GroupState{hook, chat, other}})
	if got, want := load(t, db).Groups, []alert.GroupState{chat, hook, other}; !reflect.DeepEqual(got, want) {
		t.Fatalf("groups:\n got %+v\nwant %+v", got, want)
	}

	hook.LastSent, hook.Notified = base.Add(time.Minute), []string{"a2"}
	save(t, db, alert.Change{Groups: []alert.GroupState{hook}, DeleteGroups: []alert.GroupState{{Group: chat.Group, Notifier: chat.Notifier}}})
	if got, want := load(t, db).Groups, []alert.GroupState{hook, other}; !reflect.DeepEqual(got, want) {
		t.Errorf("groups after an upsert and a delete:\n got %+v\nwant %+v", got, want)
	}
}

func testAckAlert(t *testing.T, db *store.DB) {
	pending, firing, resolved := newAlert("a1", "sf", alert.Pending), newAlert("a2", "hs", alert.Firing), newAlert("a3", "zd", alert.Resolved)
	save(t, db, alert.Change{Upsert: []alert.Alert{pending, firing, resolved}})

	for i, a := range []alert.Alert{pending, firing} {
		ack := alert.Ack{By: "ops", Comment: fmt.Sprintf("ack %d", i), At: base.Add(time.Duration(i+1) * time.Minute).In(time.FixedZone("CET", 3600))}
		got, err := db.AckAlert(t.Context(), a.ID, ack)
		if err != nil {
			t.Fatalf("AckAlert(%s, %s): %v", a.ID, a.State, err)
		}
		ack.At = ack.At.UTC()
		if got.ID != a.ID || got.Ack == nil || *got.Ack != ack {
			t.Errorf("AckAlert(%s) = %s acked %+v; want %+v", a.ID, got.ID, got.Ack, ack)
		}
		if stored := getAlert(t, db, a.ID); stored.Ack == nil || *stored.Ack != ack || stored.State != a.State {
			t.Errorf("stored %s: %s acked %+v; want %s acked %+v", a.ID, stored.State, stored.Ack, a.State, ack)
		}
	}
	// A second acknowledgement replaces the first.
	again := alert.Ack{By: "lead", Comment: "escalated", At: base.Add(time.Hour)}
	if _, err := db.AckAlert(t.Context(), "a2", again); err != nil {
		t.Fatalf("AckAlert again: %v", err)
	}
	if got := getAlert(t, db, "a2"); got.Ack == nil || *got.Ack != again {
		t.Errorf("after a second ack: %+v; want %+v", got.Ack, again)
	}

	if _, err := db.AckAlert(t.Context(), "a3", alert.Ack{By: "ops", At: base}); !errors.Is(err, alert.ErrNotActive) {
		t.Errorf("AckAlert(resolved) = %v; want alert.ErrNotActive", err)
	}
	if got := getAlert(t, db, "a3"); got.Ack != nil {
		t.Errorf("resolved alert acked %+v; want no ack", got.Ack)
	}
	if _, err := db.AckAlert(t.Context(), "nope", alert.Ack{By: "ops", At: base}); !errors.Is(err, alert.ErrNotFound) {
		t.Errorf("AckAlert(unknown) = %v; want alert.ErrNotFound", err)
	}

	es, err := db.AlertEvents(t.Context(), alert.EventQuery{})
	if err != nil {
		t.Fatalf("AlertEvents: %v", err)
	}
	var got []string
	for _, e := range es {
		if e.Kind != alert.EventAcknowledged || e.Rule != "auth" || e.Labels["upstream"] == "" {
			t.Errorf("event %+v; want an acknowledgement of rule auth with the alert's labels", e)
		}
		got = append(got, fmt.Sprintf("%s %s %s %s", e.AlertID, e.By, e.Detail, e.At.Format(time.TimeOnly)))
	}
	want := []string{"a2 lead escalated 10:26:53", "a2 ops ack 1 09:28:53", "a1 ops ack 0 09:27:53"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("history:\n got %q\nwant %q", got, want)
	}
}

func testAlertEvents(t *testing.T, db *store.DB) {
	ev := func(min int, id, rule, kind, by, detail string) alert.Event {
		return alert.Event{At: base.Add(time.Duration(min) * time.Minute), AlertID: id, Rule: rule,
			Labels: map[string]string{"alertname": rule, "upstream": "sf"}, Kind: kind, By: by, Detail: detail}
	}
	e1 := ev(0, "a1", "r1", alert.EventFiring, "", "auth calls were 20%")
	e2 := ev(1, "a2", "r2", alert.EventFiring, "", "queue depth 50")
	e3 := ev(2, "a1", "r1", alert.EventResolved, "", "the condition no longer holds")
	e4 := ev(3, "a2", "r2", alert.EventSilenced, "", "silence s1")
	save(t, db, alert.Change{Events: []alert.Event{e1, e2}})
	save(t, db, alert.Change{Events: []alert.Event{e3, e4}})

	all, err := db.AlertEvents(t.Context(), alert.EventQuery{})
	if err != nil {
		t.Fatalf("AlertEvents: %v", err)
	}
	if len(all) != 4 {
		t.Fatalf("AlertEvents = %d events; want 4", len(all))
	}
	for i, e := range all {
		if e.ID <= 0 || i > 0 && e.ID >= all[i-1].ID {
			t.Errorf("event IDs %d, …, %d: want positive and decreasing (newest first)", all[0].ID, e.ID)
		}
	}
	// Give the wanted events the IDs the store assigned, newest first.
	e4.ID, e3.ID, e2.ID, e1.ID = all[0].ID, all[1].ID, all[2].ID, all[3].ID
	if want := []alert.Event{e4, e3, e2, e1}; !reflect.DeepEqual(all, want) {
		t.Fatalf("AlertEvents:\n got %+v\nwant %+v", all, want)
	}

	tests := []struct {
		name string
		q    alert.EventQuery
		want []alert.Event
	}{
		{"since is inclusive", alert.EventQuery{Since: e2.At}, []alert.Event{e4, e3, e2}},
		{"one alert", alert.EventQuery{AlertID: "a1"}, []alert.Event{e3, e1}},
		{"one rule", alert.EventQuery{Rule: "r2"}, []alert.Event{e4, e2}},
		{"limit", alert.EventQuery{Limit: 2}, []alert.Event{e4, e3}},
		{"alert and since", alert.EventQuery{AlertID: "a1", Since: e2.At}, []alert.Event{e3}},
		{"rule and limit", alert.EventQuery{Rule: "r1", Limit: 1}, []alert.Event{e3}},
		{"unknown alert", alert.EventQuery{AlertID: "nope"}, nil},
		{"since after the last", alert.EventQuery{Since: e4.At.Add(time.Microsecond)}, nil},
	}
	for _, tc := range tests {
		got, err := db.AlertEvents(t.Context(), tc.q)
		if err != nil {
			t.Errorf("%s: AlertEvents: %v", tc.name, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %d events %+v; want %+v", tc.name, len(got), got, tc.want)
		}
	}
}

func testSilences(t *testing.T, db *store.DB) {
	sil := func(id string, from, to time.Duration) alert.Silence {
		return alert.Silence{ID: id, Matchers: map[string]string{"alertname": "auth", "upstream": "sf*"},
			StartsAt: base.Add(from), EndsAt: base.Add(to), CreatedBy: "ops", Comment: "deploy of " + id, CreatedAt: base.Add(-4 * time.Hour)}
	}
	active, future, ended, endsNow := sil("s1", -time.Hour, time.Hour), sil("s2", 2*time.Hour, 3*time.Hour),
		sil("s3", -3*time.Hour, -2*time.Hour), sil("s4", -time.Hour, 0)
	for _, s := range []alert.Silence{active, future, ended, endsNow} {
		if err := db.CreateSilence(t.Context(), s); err != nil {
			t.Fatalf("CreateSilence(%s): %v", s.ID, err)
		}
	}
	if err := db.CreateSilence(t.Context(), active); err == nil {
		t.Errorf("CreateSilence with a stored ID = nil; want an error")
	}
	list := func(at time.Time) []alert.Silence {
		t.Helper()
		s, err := db.Silences(t.Context(), at)
		if err != nil {
			t.Fatalf("Silences(%v): %v", at, err)
		}
		return s
	}
	// Not ended at base, soonest ending first: s4 ended at base exactly.
	if got, want := list(base), []alert.Silence{active, future}; !reflect.DeepEqual(got, want) {
		t.Errorf("Silences(base):\n got %+v\nwant %+v", got, want)
	}
	if got, want := list(time.Time{}), []alert.Silence{ended, endsNow, active, future}; !reflect.DeepEqual(got, want) {
		t.Errorf("Silences(zero):\n got %+v\nwant %+v", got, want)
	}

	// Expiring ends a silence at t, and never extends one.
	if err := db.ExpireSilence(t.Context(), "s2", base.Add(30*time.Minute)); err != nil {
		t.Fatalf("ExpireSilence(s2): %v", err)
	}
	if err := db.ExpireSilence(t.Context(), "s1", base.Add(2*time.Hour)); err != nil {
		t.Fatalf("ExpireSilence(s1): %v", err)
	}
	future.EndsAt = base.Add(30 * time.Minute)
	if got, want := list(base), []alert.Silence{future, active}; !reflect.DeepEqual(got, want) {
		t.Errorf("Silences(base) after expiring:\n got %+v\nwant %+v", got, want)
	}
	if got := list(base.Add(30 * time.Minute)); !reflect.DeepEqual(got, []alert.Silence{active}) {
		t.Errorf("Silences(base+30m) = %+v; want s1 only", got)
	}
	if err := db.ExpireSilence(t.Context(), "nope", base); !errors.Is(err, alert.ErrNotFound) {
		t.Errorf("ExpireSilence(unknown) = %v; want alert.ErrNotFound", err)
	}
}

func testNotifications(t *testing.T, db *store.DB) {
	r1 := notify.Record{At: base, Notifier: "hook", Group: "auth{upstream=sf}", Kind: notify.Fire, Outcome: notify.Sent, Attempts: 1, Alerts: []string{"a1", "a2"}}
	r2 := notify.Record{At: base.Add(time.Minute), Notifier: "chat", Group: "auth", Kind: notify.Repeat, Outcome: notify.Failed, Attempts: 3,
		Error: "POST https://hooks.example: connection refused", Alerts: []string{"a1"}}
	r3 := notify.Record{At: base.Add(2*time.Minute + time.Microsecond), Notifier: "hook", Group: "auth{upstream=sf}", Kind: notify.Resolve, Outcome: notify.Sent, Attempts: 1}
	for _, r := range []notify.Record{r1, r2, r3} {
		if err := db.LogNotification(t.Context(), r); err != nil {
			t.Fatalf("LogNotification: %v", err)
		}
	}
	all, err := db.Notifications(t.Context(), time.Time{}, "", 0)
	if err != nil {
		t.Fatalf("Notifications: %v", err)
	}
	if len(all) != 3 {
		t.Fatalf("Notifications = %d records; want 3", len(all))
	}
	if all[2].ID <= 0 || all[1].ID <= all[2].ID || all[0].ID <= all[1].ID {
		t.Errorf("record IDs %d, %d, %d: want positive and decreasing (newest first)", all[0].ID, all[1].ID, all[2].ID)
	}
	r3.ID, r2.ID, r1.ID = all[0].ID, all[1].ID, all[2].ID
	if want := []notify.Record{r3, r2, r1}; !reflect.DeepEqual(all, want) {
		t.Fatalf("Notifications:\n got %+v\nwant %+v", all, want)
	}

	tests := []struct {
		name     string
		since    time.Time
		notifier string
		limit    int
		want     []notify.Record
	}{
		{"since is inclusive", r2.At, "", 0, []notify.Record{r3, r2}},
		{"one notifier", time.Time{}, "hook", 0, []notify.Record{r3, r1}},
		{"limit", time.Time{}, "", 1, []notify.Record{r3}},
		{"notifier and since", r2.At, "chat", 0, []notify.Record{r2}},
		{"unknown notifier", time.Time{}, "pager", 0, nil},
	}
	for _, tc := range tests {
		got, err := db.Notifications(t.Context(), tc.since, tc.notifier, tc.limit)
		if err != nil {
			t.Errorf("%s: Notifications: %v", tc.name, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %+v; want %+v", tc.name, got, tc.want)
		}
	}
}

func testLease(t *testing.T, db *store.DB) {
	const ttl = time.Minute
	try := func(holder string, at time.Duration, want bool) {
		t.Helper()
		got, err := db.TryLease(t.Context(), "alerts", holder, ttl, base.Add(at))
		if err != nil {
			t.Fatalf("TryLease(%s at +%v): %v", holder, at, err)
		}
		if got != want {
			t.Errorf("TryLease(%s at +%v) = %v; want %v", holder, at, got, want)
		}
	}
	try("a", 0, true)               // free: a takes it until +1m
	try("b", 30*time.Second, false) // held by a
	try("a", 50*time.Second, true)  // a renews until +1m50s
	try("b", 70*time.Second, false) // a's first term is over, its renewal is not
	try("b", 110*time.Second-time.Microsecond, false)
	try("b", 110*time.Second, true)  // expired: b takes it until +2m50s
	try("a", 120*time.Second, false) // now b holds it
	try("b", 170*time.Second, true)  // b renews

	// Leases of other names are separate.
	ok, err := db.TryLease(t.Context(), "reports", "a", ttl, base.Add(120*time.Second))
	if err != nil || !ok {
		t.Errorf("TryLease(reports, a) = %v, %v; want a free lease of another name", ok, err)
	}
}

func testConcurrentLease(t *testing.T, db *store.DB) {
	const (
		rounds  = 20
		holders = 4
	)
	for round := range rounds {
		name := fmt.Sprintf("lease-%d", round)
		// Every round but the first starts from an expired lease of
		// another holder, so every contender may take it.
		if round > 0 {
			if ok, err := db.TryLease(t.Context(), name, "old", time.Second, base.Add(-time.Hour)); err != nil || !ok {
				t.Fatalf("TryLease(%s, old) = %v, %v", name, ok, err)
			}
		}
		var (
			wg    sync.WaitGroup
			start = make(chan struct{})
			won   = make([]bool, holders)
		)
		for h := range holders {
			wg.Go(func() {
				<-start
				ok, err := db.TryLease(t.Context(), name, fmt.Sprintf("replica-%d", h), time.Minute, base)
				if err != nil {
					t.Errorf("TryLease(%s, replica-%d): %v", name, h, err)
				}
				won[h] = ok
			})
		}
		close(start)
		wg.Wait()
		n := 0
		for _, ok := range won {
			if ok {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s: %d of %d concurrent holders got the lease; want exactly 1", name, n, holders)
		}
	}
}
