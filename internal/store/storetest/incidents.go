package storetest

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/incident"
	"github.com/crmguard/crmguard/internal/recorder"
	"github.com/crmguard/crmguard/internal/store"
)

// occurrence returns an occurrence of fingerprint fp seen count times
// between first and last.
func occurrence(fp string, first, last time.Time, count int64, samples ...string) incident.Occurrence {
	return incident.Occurrence{
		Fingerprint: fp, Upstream: "salesforce", Operation: "/sobjects/Account/{id}",
		Class: fault.RateLimit, VendorCode: "REQUEST_LIMIT_EXCEEDED",
		Message: "TotalRequests Limit exceeded.", Remediation: "lower the request rate",
		FirstSeen: first, LastSeen: last, Count: count, SampleCalls: samples,
	}
}

func getIncident(t *testing.T, db *store.DB, fp string) incident.Incident {
	t.Helper()
	in, err := db.GetIncident(t.Context(), fp)
	if err != nil {
		t.Fatalf("GetIncident(%s): %v", fp, err)
	}
	return in
}

func testIncidentLifecycle(t *testing.T, db *store.DB) {
	const fp = "1f2e3d4c5b6a7988"
	t0 := base
	want := incident.Incident{
		Fingerprint: fp, Upstream: "salesforce", Operation: "/sobjects/Account/{id}",
		Class: fault.RateLimit, VendorCode: "REQUEST_LIMIT_EXCEEDED",
		Message: "TotalRequests Limit exceeded.", Remediation: "lower the request rate",
		FirstSeen: t0, LastSeen: t0.Add(time.Second), Count: 3, SampleCalls: []string{"a", "b", "c"},
		State: incident.Open,
	}
	check := func(step string) {
		t.Helper()
		if got := getIncident(t, db, fp); !reflect.DeepEqual(got, want) {
			t.Fatalf("after %s:\n got %+v\nwant %+v", step, got, want)
		}
	}

	write(t, db, recorder.Batch{Incidents: []incident.Occurrence{occurrence(fp, t0, t0.Add(time.Second), 3, "a", "b", "c")}})
	check("create")

	// An occurrence that arrives late (earlier times) widens first seen
	// and keeps last seen; one that is newer moves last seen.
	late := occurrence(fp, t0.Add(-time.Minute), t0.Add(-30*time.Second), 2, "z")
	late.Message, late.Remediation, late.VendorCode = "TotalRequests Limit exceeded (new text).", "wait an hour", "LIMIT"
	write(t, db, recorder.Batch{Incidents: []incident.Occurrence{late}})
	want.FirstSeen, want.Count, want.SampleCalls = t0.Add(-time.Minute), 5, []string{"z"}
	want.Message, want.Remediation, want.VendorCode = late.Message, late.Remediation, late.VendorCode
	check("accumulate an earlier occurrence")

	write(t, db, recorder.Batch{Incidents: []incident.Occurrence{occurrence(fp, t0.Add(time.Minute), t0.Add(2*time.Minute), 1, "d")}})
	want.LastSeen, want.Count, want.SampleCalls = t0.Add(2*time.Minute), 6, []string{"d"}
	want.Message, want.Remediation, want.VendorCode = "TotalRequests Limit exceeded.", "lower the request rate", "REQUEST_LIMIT_EXCEEDED"
	check("accumulate a later occurrence")

	resolvedAt := t0.Add(time.Hour)
	if err := db.ResolveIncident(t.Context(), fp, resolvedAt); err != nil {
		t.Fatalf("ResolveIncident: %v", err)
	}
	want.State, want.ResolvedAt = incident.Resolved, resolvedAt
	check("resolve")

	// Resolving again keeps the first resolution.
	if err := db.ResolveIncident(t.Context(), fp, resolvedAt.Add(time.Hour)); err != nil {
		t.Fatalf("ResolveIncident again: %v", err)
	}
	check("resolve again")

	for i := 1; i <= 2; i++ {
		at := resolvedAt.Add(time.Duration(i) * time.Minute)
		write(t, db, recorder.Batch{Incidents: []incident.Occurrence{occurrence(fp, at, at, 1, "e")}})
		want.State, want.ResolvedAt, want.Reopened = incident.Open, time.Time{}, i
		want.LastSeen, want.Count, want.SampleCalls = at, want.Count+1, []string{"e"}
		check("reopen")

		// An occurrence of an open incident does not count as reopening.
		write(t, db, recorder.Batch{Incidents: []incident.Occurrence{occurrence(fp, at, at, 1, "f")}})
		want.Count, want.SampleCalls = want.Count+1, []string{"f"}
		check("recur while open")

		if err := db.ResolveIncident(t.Context(), fp, at.Add(time.Second)); err != nil {
			t.Fatalf("ResolveIncident: %v", err)
		}
		want.State, want.ResolvedAt = incident.Resolved, at.Add(time.Second)
		check("resolve after reopening")
	}
}

func testIncidentSamples(t *testing.T, db *store.DB) {
	tests := []struct {
		name    string
		batches [][]string // the sample calls of successive occurrences
		want    []string
	}{
		{"at most five, the latest", [][]string{{"1", "2", "3", "4", "5", "6", "7"}}, []string{"3", "4", "5", "6", "7"}},
		{"replaced by the latest occurrence's", [][]string{{"1", "2"}, {"3"}}, []string{"3"}},
		{"kept when an occurrence has none", [][]string{{"1", "2"}, nil}, []string{"1", "2"}},
		{"none", [][]string{nil}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fp := "samples " + tc.name
			for _, s := range tc.batches {
				write(t, db, recorder.Batch{Incidents: []incident.Occurrence{occurrence(fp, base, base, 1, s...)}})
			}
			if got := getIncident(t, db, fp).SampleCalls; !slices.Equal(got, tc.want) {
				t.Errorf("SampleCalls = %q; want %q", got, tc.want)
			}
		})
	}
}

func testListIncidents(t *testing.T, db *store.DB) {
	// Six incidents last seen a minute apart, alternating upstreams; the
	// two oldest resolved.
	var all []string // newest first
	for i := range 6 {
		o := occurrence(string(rune('a'+i)), base, base.Add(time.Duration(i)*time.Minute), 1)
		if i%2 == 1 {
			o.Upstream = "hubspot"
		}
		write(t, db, recorder.Batch{Incidents: []incident.Occurrence{o}})
		all = append([]string{o.Fingerprint}, all...)
	}
	for _, fp := range []string{"a", "b"} {
		if err := db.ResolveIncident(t.Context(), fp, base.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		q    incident.Query
		want []string
	}{
		{"all, most recently seen first", incident.Query{}, all},
		{"open", incident.Query{State: incident.Open}, []string{"f", "e", "d", "c"}},
		{"resolved", incident.Query{State: incident.Resolved}, []string{"b", "a"}},
		{"upstream", incident.Query{Upstream: "hubspot"}, []string{"f", "d", "b"}},
		{"state and upstream", incident.Query{State: incident.Open, Upstream: "salesforce"}, []string{"e", "c"}},
		{"limit", incident.Query{Limit: 2}, []string{"f", "e"}},
		{"no match", incident.Query{Upstream: "nobody"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := db.ListIncidents(t.Context(), tc.q)
			if err != nil {
				t.Fatalf("ListIncidents: %v", err)
			}
			var fps []string
			for _, in := range got {
				fps = append(fps, in.Fingerprint)
			}
			if !slices.Equal(fps, tc.want) {
				t.Errorf("ListIncidents(%+v) = %q; want %q", tc.q, fps, tc.want)
			}
		})
	}
	got, err := db.ListIncidents(t.Context(), incident.Query{Upstream: "hubspot", Limit: 1})
	if err != nil || len(got) != 1 {
		t.Fatalf("ListIncidents = %d, %v; want 1 incident", len(got), err)
	}
	if want := getIncident(t, db, "f"); !reflect.DeepEqual(got[0], want) {
		t.Errorf("ListIncidents gives\n%+v\nbut GetIncident gives\n%+v", got[0], want)
	}
}

func testResolveQuiet(t *testing.T, db *store.DB) {
	quietSince := base.Add(10 * time.Minute)
	at := base.Add(time.Hour)
	write(t, db, recorder.Batch{Incidents: []incident.Occurrence{
		occurrence("quiet", base, quietSince.Add(-time.Microsecond), 1),
		occurrence("boundary", base, quietSince, 1), // not before quietSince: stays open
		occurrence("recent", base, quietSince.Add(time.Minute), 1),
		occurrence("resolved before", base, base, 1),
	}})
	earlier := base.Add(time.Minute)
	if err := db.ResolveIncident(t.Context(), "resolved before", earlier); err != nil {
		t.Fatal(err)
	}

	fps, err := db.ResolveQuiet(t.Context(), quietSince, at)
	if err != nil {
		t.Fatalf("ResolveQuiet: %v", err)
	}
	if len(fps) != 1 || fps[0] != "quiet" {
		t.Errorf("ResolveQuiet resolved %q; want only quiet", fps)
	}
	tests := []struct {
		fp         string
		state      incident.State
		resolvedAt time.Time
	}{
		{"quiet", incident.Resolved, at},
		{"boundary", incident.Open, time.Time{}},
		{"recent", incident.Open, time.Time{}},
		{"resolved before", incident.Resolved, earlier},
	}
	for _, tc := range tests {
		t.Run(tc.fp, func(t *testing.T) {
			in := getIncident(t, db, tc.fp)
			if in.State != tc.state || !in.ResolvedAt.Equal(tc.resolvedAt) {
				t.Errorf("state %s resolved at %v; want %s at %v", in.State, in.ResolvedAt, tc.state, tc.resolvedAt)
			}
		})
	}
	if fps, err := db.ResolveQuiet(t.Context(), quietSince, at); err != nil || len(fps) != 0 {
		t.Errorf("second ResolveQuiet = %q, %v; want none, nil", fps, err)
	}
}
