package report_test

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/alert"
	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/incident"
	"github.com/crmguard/crmguard/internal/recorder"
	"github.com/crmguard/crmguard/internal/report"
	"github.com/crmguard/crmguard/internal/rollup"
	"github.com/crmguard/crmguard/internal/store"
)

var _ report.Source = (*store.DB)(nil)

// day is the period the fixture plants; the day before is the previous
// period.
var (
	day    = time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	dayEnd = day.Add(24 * time.Hour)
)

func openStore(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "crmguard.db"))
	if err != nil {
		t.Fatalf("opening store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// row returns n calls of one key in one minute, latencies 1 ms … n ms.
func row(minute time.Time, upstream, op string, class fault.Class, n int) rollup.Row {
	r := rollup.Row{Minute: minute, Upstream: upstream, Operation: op, Class: class}
	for i := 1; i <= n; i++ {
		r.Add(time.Duration(i) * time.Millisecond)
	}
	return r
}

func occurrence(fp string, last time.Time, count int64) incident.Occurrence {
	return incident.Occurrence{Fingerprint: fp, Upstream: "sf", Operation: "/query", Class: fault.Auth,
		VendorCode: "INVALID_SESSION_ID", Message: "Session expired " + fp, Remediation: "log in again",
		FirstSeen: last.Add(-time.Minute), LastSeen: last, Count: count}
}

// plant fills db with known traffic: the numbers the tests expect are
// worked out next to each row.
func plant(t *testing.T, db *store.DB) {
	t.Helper()
	h := func(n int) time.Time { return day.Add(time.Duration(n) * time.Hour) }
	rows := []rollup.Row{
		// The period: 256 calls, 16 failed.
		row(h(1), "sf", "/query", fault.OK, 90), // minute 01:00: 100 calls, 10% failed, a bad minute
		row(h(1), "sf", "/query", fault.Auth, 10),
		row(h(2), "sf", "/query", fault.OK, 60), // minute 02:00: 100 calls in two rows, good
		row(h(2), "sf", "/query", fault.OK, 40),
		row(h(3), "sf", "/contact", fault.RateLimit, 5),               // minute 03:00: all failed, bad
		row(h(5), "hubspot", "/deals", fault.OK, 50),                  // minute 05:00: 1 of 51 failed (2%), good
		row(h(5), "hubspot", "/deals", fault.Timeout, 1),              //
		row(dayEnd, "sf", "/query", fault.Auth, 1000),                 // at the period's end: in neither period
		row(day.Add(-25*time.Hour), "sf", "/query", fault.Auth, 1000), // before the previous period
		// The previous period: 95 calls, 25 failed.
		row(h(-10), "sf", "/query", fault.OK, 40),
		row(h(-10), "sf", "/query", fault.Auth, 20),
		row(h(-9), "sf", "/query", fault.Server, 2),
		row(h(-3), "hubspot", "/deals", fault.OK, 30),
		row(h(-3), "hubspot", "/deals", fault.Timeout, 3),
	}
	b := recorder.Batch{Rollups: rows, Incidents: []incident.Occurrence{
		occurrence("a", h(2), 7),
		occurrence("b", h(3), 30),
		occurrence("c", h(-1), 100),  // last seen before the period
		occurrence("d", dayEnd, 100), // last seen at its end: after it
		occurrence("e", h(4), 7),     // as many as a, seen later: listed before it
	}}
	b.Incidents[1].Message = `<script>alert("x")</script>`
	if err := db.WriteBatch(context.Background(), b); err != nil {
		t.Fatalf("WriteBatch: %v", err)
	}
	events := []alert.Event{
		{At: h(-1), AlertID: "old", Rule: "sf-auth", Kind: alert.EventFiring},
		{At: h(1), AlertID: "a1", Rule: "sf-auth", Kind: alert.EventFiring, Labels: map[string]string{"upstream": "sf"}, Detail: "auth calls were 10%"},
		{At: h(1).Add(30 * time.Minute), AlertID: "a1", Rule: "sf-auth", Kind: alert.EventAcknowledged, By: "jane"},
		{At: h(2), AlertID: "a1", Rule: "sf-auth", Kind: alert.EventResolved},
		{At: dayEnd, AlertID: "a2", Rule: "sf-auth", Kind: alert.EventFiring},
	}
	if err := db.SaveAlerts(context.Background(), alert.Change{Events: events}); err != nil {
		t.Fatalf("SaveAlerts: %v", err)
	}
}

func buildDay(t *testing.T) report.Report {
	t.Helper()
	db := openStore(t)
	plant(t, db)
	r, err := report.Build(t.Context(), db, day, dayEnd)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return r
}

func TestBuild_Totals(t *testing.T) {
	r := buildDay(t)
	if !r.PreviousFrom.Equal(day.Add(-24*time.Hour)) || !r.PreviousTo.Equal(day) {
		t.Errorf("previous period = %v – %v; want the day before", r.PreviousFrom, r.PreviousTo)
	}
	tot := r.Total
	got := []any{tot.Calls, tot.OK, tot.Failed, tot.SuccessRatio, tot.ActiveMinutes, tot.GoodMinutes, tot.Availability,
		tot.Previous.Calls, tot.Previous.Failed}
	want := []any{int64(256), int64(240), int64(16), 240.0 / 256, int64(4), int64(2), 0.5, int64(95), int64(25)}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("total calls, ok, failed, success, active, good, availability, previous calls, failed =\n %v; want\n %v", got, want)
	}
	wantClasses := []report.ClassCount{
		{Class: "auth", Calls: 10, Previous: 20, Trend: report.Down},
		{Class: "rate_limit", Calls: 5, Previous: 0, Trend: report.Up},
		{Class: "timeout", Calls: 1, Previous: 3, Trend: report.Down},
		{Class: "server", Calls: 0, Previous: 2, Trend: report.Down},
	}
	if !reflect.DeepEqual(tot.Classes, wantClasses) {
		t.Errorf("total classes = %+v; want %+v", tot.Classes, wantClasses)
	}
}

func TestBuild_UpstreamsAndOperations(t *testing.T) {
	r := buildDay(t)
	if len(r.Upstreams) != 2 || r.Upstreams[0].Upstream != "hubspot" || r.Upstreams[1].Upstream != "sf" {
		t.Fatalf("upstreams = %+v; want hubspot and sf, in that order", r.Upstreams)
	}
	hs, sf := r.Upstreams[0], r.Upstreams[1]
	type figures struct {
		Calls, Failed, Active, Good, PrevCalls int64
		Success, Availability                  float64
	}
	fig := func(s report.Scope) figures {
		return figures{s.Calls, s.Failed, s.ActiveMinutes, s.GoodMinutes, s.Previous.Calls, s.SuccessRatio, s.Availability}
	}
	if got, want := fig(sf.Scope), (figures{205, 15, 3, 1, 62, 190.0 / 205, 1.0 / 3}); got != want {
		t.Errorf("sf = %+v; want %+v", got, want)
	}
	if got, want := fig(hs.Scope), (figures{51, 1, 1, 1, 33, 50.0 / 51, 1}); got != want {
		t.Errorf("hubspot = %+v; want %+v", got, want)
	}
	if len(sf.Operations) != 2 || sf.Operations[0].Operation != "/contact" || sf.Operations[1].Operation != "/query" {
		t.Fatalf("sf operations = %+v; want /contact and /query", sf.Operations)
	}
	contact, query := sf.Operations[0], sf.Operations[1]
	if got, want := fig(contact.Scope), (figures{5, 5, 1, 0, 0, 0, 0}); got != want {
		t.Errorf("sf /contact = %+v; want %+v", got, want)
	}
	if got, want := fig(query.Scope), (figures{200, 10, 2, 1, 62, 190.0 / 200, 0.5}); got != want {
		t.Errorf("sf /query = %+v; want %+v", got, want)
	}
	wantQuery := []report.ClassCount{{"auth", 10, 20, report.Down}, {"server", 0, 2, report.Down}}
	if !reflect.DeepEqual(query.Classes, wantQuery) {
		t.Errorf("sf /query classes = %+v; want %+v", query.Classes, wantQuery)
	}
	// Latency is rollup.Summarize's, the admin API's stats.
	st := rollup.Summarize(day, dayEnd, []rollup.Row{
		row(day.Add(time.Hour), "sf", "/query", fault.OK, 90), row(day.Add(time.Hour), "sf", "/query", fault.Auth, 10),
		row(day.Add(2*time.Hour), "sf", "/query", fault.OK, 60), row(day.Add(2*time.Hour), "sf", "/query", fault.OK, 40),
		row(day.Add(3*time.Hour), "sf", "/contact", fault.RateLimit, 5),
	})
	want := st.Upstreams[0]
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	if got := sf.Latency; got.P50 != ms(want.P50) || got.P95 != ms(want.P95) || got.P99 != ms(want.P99) || got.Max != 90 {
		t.Errorf("sf latency = %+v; want p50 %v p95 %v p99 %v max 90", got, ms(want.P50), ms(want.P95), ms(want.P99))
	}
}

func TestBuild_Buckets(t *testing.T) {
	r := buildDay(t)
	if r.BucketSeconds != 3600 || len(r.Buckets) != 24 {
		t.Fatalf("buckets: %d of %d s; want 24 of 3600 s", len(r.Buckets), r.BucketSeconds)
	}
	var sum int64
	for _, b := range r.Buckets {
		sum += b.Calls
	}
	if sum != r.Total.Calls {
		t.Errorf("buckets add up to %d calls; want the total %d", sum, r.Total.Calls)
	}
	if b := r.Buckets[1]; !b.Start.Equal(day.Add(time.Hour)) || b.Calls != 100 || b.OK != 90 || b.Failed != 10 {
		t.Errorf("bucket 1 = %+v; want 01:00 with 100 calls, 90 ok, 10 failed", b)
	}
}

func TestBuild_IncidentsAlertsQueue(t *testing.T) {
	r := buildDay(t)
	var fps []string
	for _, in := range r.Incidents {
		fps = append(fps, in.Fingerprint)
	}
	if want := []string{"b", "e", "a"}; !reflect.DeepEqual(fps, want) {
		t.Errorf("incidents = %v; want %v (most calls first, then latest)", fps, want)
	}
	var kinds []string
	for _, a := range r.Alerts {
		kinds = append(kinds, a.AlertID+" "+a.Kind)
	}
	if want := []string{"a1 firing", "a1 resolved"}; !reflect.DeepEqual(kinds, want) {
		t.Errorf("alerts = %v; want %v", kinds, want)
	}
	if r.FiredAlerts() != 1 {
		t.Errorf("FiredAlerts = %d; want 1", r.FiredAlerts())
	}
	if r.Queue.Depth != 0 || r.Queue.AsOf.IsZero() {
		t.Errorf("queue = %+v; want empty, as of the report's time", r.Queue)
	}
}

func TestBuild_PartialMinutesMatchStats(t *testing.T) {
	// A period that starts and ends inside a minute reads the rows the
	// admin API's stats read for the same since and until: the minute of
	// since, and each minute that starts before until.
	db := openStore(t)
	m := day.Add(time.Hour)
	rows := []rollup.Row{
		row(m, "sf", "/q", fault.OK, 3),
		row(m.Add(time.Minute), "sf", "/q", fault.OK, 4),
		row(m.Add(2*time.Minute), "sf", "/q", fault.OK, 5),
	}
	if err := db.WriteBatch(t.Context(), recorder.Batch{Rollups: rows}); err != nil {
		t.Fatal(err)
	}
	from, to := m.Add(30*time.Second), m.Add(90*time.Second)
	r, err := report.Build(t.Context(), db, from, to)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := db.Rollups(t.Context(), from.Truncate(time.Minute), to)
	if err != nil {
		t.Fatal(err)
	}
	st := rollup.Summarize(from, to, stored)
	if r.Total.Calls != 7 || len(st.Upstreams) != 1 || st.Upstreams[0].Calls != r.Total.Calls {
		t.Errorf("report calls %d, stats %+v; want 7 in both", r.Total.Calls, st.Upstreams)
	}
	// The previous period ends where this one's first minute starts.
	if r.Total.Previous.Calls != 0 {
		t.Errorf("previous calls = %d; want 0: minute %v belongs to the period", r.Total.Previous.Calls, m)
	}
}

func TestBuild_RejectsEmptyPeriod(t *testing.T) {
	db := openStore(t)
	for _, tc := range []struct {
		name     string
		from, to time.Time
	}{
		{"reversed", dayEnd, day},
		{"empty", day, day},
		{"no start", time.Time{}, day},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := report.Build(t.Context(), db, tc.from, tc.to); err == nil {
				t.Errorf("Build(%v, %v) succeeded; want an error", tc.from, tc.to)
			}
		})
	}
}
