package alertmanager

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/notify/alertmanager/amtest"

	"github.com/crmguard/crmguard/internal/notify"
)

// TestRealAlertmanager pushes a firing alert to a real Alertmanager,
// checks that it is active with its labels, then resolves it and checks
// that Alertmanager no longer lists it. It is skipped when no
// Alertmanager binary is installed, unless CI is set or
// CRMGUARD_REQUIRE_ALERTMANAGER=1, when a missing binary fails it.
func TestRealAlertmanager(t *testing.T) {
	base := amtest.Start(t)
	n, err := New(Options{URLs: []string{base}, Resend: time.Minute, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	a := firing()
	a.Labels["crm.system"] = "salesforce" // refused by Alertmanager unless sanitized
	a.Labels["empty"] = ""
	a.StartsAt = time.Now().Add(-time.Minute).UTC().Truncate(time.Millisecond)

	before := time.Now()
	if err := n.Notify(context.Background(), message(a)); err != nil {
		t.Fatalf("pushing the firing alert: %v", err)
	}
	after := time.Now()
	got := amtest.Wait(t, base, "sf-auth-failures", func(as []amtest.Alert) bool { return len(as) == 1 })[0]
	wantLabels := map[string]string{"alertname": "sf-auth-failures", "severity": "critical", "upstream": "sf", "class": "auth", "crm_system": "salesforce"}
	if !reflect.DeepEqual(got.Labels, wantLabels) {
		t.Errorf("got labels %q; want %q", got.Labels, wantLabels)
	}
	if got.Status.State != "active" {
		t.Errorf("got state %q; want active", got.Status.State)
	}
	if got.Annotations["summary"] != a.Annotations["summary"] || got.Annotations["value"] != "0.42" {
		t.Errorf("got annotations %q; want the summary and value", got.Annotations)
	}
	if !got.StartsAt.Equal(a.StartsAt) {
		t.Errorf("got startsAt %s; want %s", got.StartsAt, a.StartsAt)
	}
	// Alertmanager keeps milliseconds.
	lo, hi := before.Add(4*time.Minute).Truncate(time.Millisecond), after.Add(4*time.Minute)
	if got.EndsAt.Before(lo) || got.EndsAt.After(hi) {
		t.Errorf("got endsAt %s; want 4 × resend after the push, between %s and %s", got.EndsAt, lo, hi)
	}
	if got.GeneratorURL != a.URL {
		t.Errorf("got generatorURL %q; want %q", got.GeneratorURL, a.URL)
	}

	a.Status, a.EndsAt = notify.Resolved, time.Now()
	m := message(a)
	m.Kind, m.Status = notify.Resolve, notify.Resolved
	if err := n.Notify(context.Background(), m); err != nil {
		t.Fatalf("pushing the resolved alert: %v", err)
	}
	amtest.Wait(t, base, "sf-auth-failures", func(as []amtest.Alert) bool { return len(as) == 0 })
}
