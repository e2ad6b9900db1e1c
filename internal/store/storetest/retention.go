package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/call"
	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/incident"
	"github.com/crmguard/crmguard/internal/recorder"
	"github.com/crmguard/crmguard/internal/rollup"
	"github.com/crmguard/crmguard/internal/store"
)

func testPurge(t *testing.T, db *store.DB) {
	calls := seedCalls(t, db, 40) // 20 milliseconds, two calls each
	m := base.Truncate(time.Minute)
	write(t, db, recorder.Batch{Rollups: []rollup.Row{
		newRow(m.Add(-2*time.Minute), "sf", fault.OK, 1),
		newRow(m.Add(-time.Minute), "sf", fault.OK, 1),
		newRow(m, "sf", fault.OK, 1),
	}})
	write(t, db, recorder.Batch{Incidents: []incident.Occurrence{occurrence("kept", base, base, 1)}})

	nc, nr, err := db.Purge(t.Context(), base.Add(5*time.Millisecond), m)
	if err != nil {
		t.Fatalf("Purge: %v", err)
	}
	if nc != 10 || nr != 2 {
		t.Errorf("Purge deleted %d calls, %d rollups; want 10, 2", nc, nr)
	}
	for i, c := range calls {
		_, err := db.GetCall(t.Context(), c.ID)
		if gone := errors.Is(err, call.ErrNotFound); gone != (i < 10) {
			t.Errorf("call %d (%s): GetCall err = %v; want gone = %v", i, c.Start.Format(time.StampMicro), err, i < 10)
		}
	}
	rows, err := db.Rollups(t.Context(), m.Add(-time.Hour), m.Add(time.Hour))
	if err != nil || len(rows) != 1 || !rows[0].Minute.Equal(m) {
		t.Errorf("rollups left: %+v, %v; want only minute %v", rows, err, m)
	}
	getIncident(t, db, "kept") // retention leaves incidents alone

	// Zero times purge nothing; purging again finds nothing.
	if nc, nr, err := db.Purge(t.Context(), time.Time{}, time.Time{}); err != nil || nc != 0 || nr != 0 {
		t.Errorf("Purge(zero, zero) = %d, %d, %v; want 0, 0, nil", nc, nr, err)
	}
	if nc, nr, err := db.Purge(t.Context(), base.Add(5*time.Millisecond), m); err != nil || nc != 0 || nr != 0 {
		t.Errorf("second Purge = %d, %d, %v; want 0, 0, nil", nc, nr, err)
	}
	left, _, err := db.ListCalls(t.Context(), call.Query{Limit: 1000})
	if err != nil || len(left) != 30 {
		t.Errorf("calls left = %d, %v; want 30", len(left), err)
	}
}

// testPurgeMany purges more calls than one delete statement removes, so
// that a store deleting in chunks must go on until it is done.
func testPurgeMany(t *testing.T, db *store.DB) {
	const n, kept = 12_345, 45
	g := call.NewGenerator()
	calls := make([]*call.Call, n)
	for i := range calls {
		calls[i] = newCall(g, base.Add(time.Duration(i)*time.Millisecond), "sf", "/a", fault.OK)
	}
	for lo := 0; lo < n; lo += 1000 {
		write(t, db, recorder.Batch{Calls: calls[lo:min(lo+1000, n)]})
	}
	deleted, _, err := db.Purge(t.Context(), calls[n-kept].Start, time.Time{})
	if err != nil {
		t.Fatalf("Purge: %v", err)
	}
	if deleted != n-kept {
		t.Errorf("Purge deleted %d calls; want %d", deleted, n-kept)
	}
	left, _ := listAll(t, db, call.Query{Limit: 1000})
	if len(left) != kept || left[len(left)-1] != calls[n-kept].ID {
		t.Errorf("%d calls left, oldest %v; want %d, oldest %s", len(left), left[len(left)-1:], kept, calls[n-kept].ID)
	}
}
