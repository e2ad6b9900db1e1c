package storetest

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/outbox"
	"github.com/crmguard/crmguard/internal/store"
)

// claimOne claims at most one entry for owner at now or fails t, and
// returns it; ok is false if none was due.
func claimOne(t *testing.T, db *store.DB, owner string, now time.Time) (e outbox.Entry, ok bool) {
	t.Helper()
	es, err := db.Claim(t.Context(), owner, now, lease, 1)
	if err != nil {
		t.Fatalf("Claim(%s, %v): %v", owner, now, err)
	}
	if len(es) == 0 {
		return outbox.Entry{}, false
	}
	return es[0], true
}

func testOutboxIdempotent(t *testing.T, db *store.DB) {
	ctx := t.Context()
	es := newEntries()
	yes, no := es.new(""), es.new("")
	yes.Idempotent = true
	enqueue(t, db, yes, no)
	want := map[string]bool{yes.ID: true, no.ID: false}

	got, err := db.Claim(ctx, "r", base, lease, 10)
	if err != nil || len(got) != 2 {
		t.Fatalf("Claim = %v, %v; want both entries", entryIDs(got), err)
	}
	for _, e := range got {
		if e.Idempotent != want[e.ID] {
			t.Errorf("Claim: %s Idempotent = %t; want %t", e.ID, e.Idempotent, want[e.ID])
		}
	}
	if err := db.Ack(ctx, yes.ID, "r", base); err != nil {
		t.Fatalf("Ack: %v", err)
	}
	for id, w := range want {
		if g := get(t, db, id); g.Idempotent != w {
			t.Errorf("GetEntry: %s Idempotent = %t; want %t", id, g.Idempotent, w)
		}
	}
	listed, err := db.ListEntries(ctx, outbox.Filter{})
	if err != nil {
		t.Fatalf("ListEntries: %v", err)
	}
	for _, e := range listed {
		if e.Idempotent != want[e.ID] {
			t.Errorf("ListEntries: %s Idempotent = %t; want %t", e.ID, e.Idempotent, want[e.ID])
		}
	}
}

// testOutboxUnsure checks that a claim reports an entry whose previous
// owner had begun sending it, and only such an entry.
func testOutboxUnsure(t *testing.T, db *store.DB) {
	ctx := t.Context()
	es := newEntries()
	begun, idle := es.new(""), es.new("")
	enqueue(t, db, begun, idle)
	got, err := db.Claim(ctx, "a", base, lease, 10)
	if err != nil || len(got) != 2 || got[0].Unsure || got[1].Unsure {
		t.Fatalf("first Claim = %+v, %v; want both entries, neither unsure", got, err)
	}
	if err := db.Begin(ctx, begun.ID, "a", base.Add(time.Second)); err != nil {
		t.Fatalf("Begin: %v", err)
	}
	wantIDs(t, "Claim of a begun entry within the lease", claim(t, db, "b", base.Add(lease), 10))

	// The lease of a has run out: b takes both over, and only the begun
	// one may have been sent.
	expired := base.Add(lease + time.Microsecond)
	got, err = db.Claim(ctx, "b", expired, lease, 10)
	if err != nil || len(got) != 2 {
		t.Fatalf("Claim after the lease = %v, %v; want both entries", entryIDs(got), err)
	}
	want := begun
	want.State, want.Unsure = outbox.Inflight, true
	if !reflect.DeepEqual(got[0], want) {
		t.Errorf("Claim of the begun entry = %+v;\nwant %+v", got[0], want)
	}
	if got[1].ID != idle.ID || got[1].Unsure {
		t.Errorf("Claim of the entry not begun: %s unsure %t; want %s not unsure", got[1].ID, got[1].Unsure, idle.ID)
	}
	if g := get(t, db, begun.ID); g.Unsure {
		t.Error("GetEntry of the unsure entry returned Unsure; want it set by Claim only")
	}
	if err := db.Begin(ctx, begun.ID, "a", expired); !errors.Is(err, outbox.ErrLeaseLost) {
		t.Errorf("Begin by the old owner = %v; want ErrLeaseLost", err)
	}

	// b took the unsure entry over and died before recording an outcome:
	// the doubt passes on to c, or c could send the write a second time.
	again := expired.Add(lease + time.Microsecond)
	if e, ok := claimOne(t, db, "c", again); !ok || e.ID != begun.ID || !e.Unsure {
		t.Errorf("Claim after an unsure owner's lease ran out = %s (unsure %t, found %t); want %s still unsure",
			e.ID, e.Unsure, ok, begun.ID)
	}

	// An outcome clears the mark: begun, rescheduled, then claimed from
	// an expired lease, it is not unsure.
	if err := db.Begin(ctx, begun.ID, "c", again); err != nil {
		t.Fatalf("Begin by c: %v", err)
	}
	if err := db.Reschedule(ctx, begun.ID, "c", again, fault.Server, 500, "boom"); err != nil {
		t.Fatalf("Reschedule: %v", err)
	}
	if e, ok := claimOne(t, db, "d", again); !ok || e.ID != begun.ID || e.Unsure {
		t.Errorf("Claim after Reschedule = %s (unsure %t, found %t); want %s not unsure", e.ID, e.Unsure, ok, begun.ID)
	}
	later := again.Add(lease + time.Microsecond)
	if e, ok := claimOne(t, db, "e", later); !ok || e.ID != begun.ID || e.Unsure {
		t.Errorf("takeover after Reschedule, not begun = %s (unsure %t, found %t); want %s not unsure",
			e.ID, e.Unsure, ok, begun.ID)
	}
}

// testOutboxBeginCleared checks that every outcome and operator action
// clears the begun mark, by taking the entry over afterwards.
func testOutboxBeginCleared(t *testing.T, db *store.DB) {
	ctx := t.Context()
	tests := []struct {
		name string
		// settle ends owner's hold of the begun entry id at at, leaving it
		// claimable at at.
		settle func(id, owner string, at time.Time) error
	}{
		{"Reschedule", func(id, owner string, at time.Time) error {
			return db.Reschedule(ctx, id, owner, at, fault.Server, 500, "boom")
		}},
		{"Postpone", func(id, owner string, at time.Time) error {
			return db.Postpone(ctx, id, owner, at, fault.Unavailable, "circuit open")
		}},
		{"Kill and Replay", func(id, owner string, at time.Time) error {
			if err := db.Kill(ctx, id, owner, "gone", at); err != nil {
				return err
			}
			return db.Replay(ctx, id, at)
		}},
		{"Drop and Replay", func(id, _ string, at time.Time) error {
			if err := db.Drop(ctx, id, "by mistake", at); err != nil {
				return err
			}
			return db.Replay(ctx, id, at)
		}},
	}
	es := newEntries()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := es.new("")
			enqueue(t, db, e)
			owner := "a-" + tc.name
			if got, ok := claimOne(t, db, owner, base); !ok || got.ID != e.ID {
				t.Fatalf("Claim = %s, %t; want %s", got.ID, ok, e.ID)
			}
			if err := db.Begin(ctx, e.ID, owner, base); err != nil {
				t.Fatalf("Begin: %v", err)
			}
			if err := tc.settle(e.ID, owner, base); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			// Claimed again, its lease left to expire, taken over.
			if got, ok := claimOne(t, db, "b-"+tc.name, base); !ok || got.ID != e.ID || got.Unsure {
				t.Fatalf("Claim after %s = %s (unsure %t, found %t); want %s not unsure",
					tc.name, got.ID, got.Unsure, ok, e.ID)
			}
			if got, ok := claimOne(t, db, "c-"+tc.name, base.Add(lease+time.Microsecond)); !ok || got.Unsure {
				t.Errorf("takeover after %s: unsure %t, found %t; want found, not unsure", tc.name, got.Unsure, ok)
			}
		})
	}
}

func testOutboxBeginNotOwner(t *testing.T, db *store.DB) {
	ctx := t.Context()
	es := newEntries()
	e, pending := es.new(""), es.new("")
	enqueue(t, db, e)
	claim(t, db, "a", base, 1)
	enqueue(t, db, pending)
	if err := db.Begin(ctx, e.ID, "b", base); !errors.Is(err, outbox.ErrLeaseLost) {
		t.Errorf("Begin by a non-owner = %v; want ErrLeaseLost", err)
	}
	if err := db.Begin(ctx, pending.ID, "a", base); !errors.Is(err, outbox.ErrLeaseLost) {
		t.Errorf("Begin of a pending entry = %v; want ErrLeaseLost", err)
	}
	// The failed Begin left no mark: a takeover is not unsure.
	if got, ok := claimOne(t, db, "b", base.Add(lease+time.Microsecond)); !ok || got.ID != e.ID || got.Unsure {
		t.Errorf("takeover = %s (unsure %t, found %t); want %s not unsure", got.ID, got.Unsure, ok, e.ID)
	}
}

func testOutboxPostpone(t *testing.T, db *store.DB) {
	ctx := t.Context()
	es := newEntries()
	e, next := es.new("K"), es.new("K")
	e.Attempts, e.LastClass, e.LastStatus, e.LastError = 2, fault.Server, 503, "unavailable"
	enqueue(t, db, e, next)
	claim(t, db, "r", base, 10)
	due := base.Add(30 * time.Second)
	if err := db.Postpone(ctx, e.ID, "other", due, fault.Unavailable, "circuit open"); !errors.Is(err, outbox.ErrLeaseLost) {
		t.Errorf("Postpone by a non-owner = %v; want ErrLeaseLost", err)
	}
	if err := db.Postpone(ctx, e.ID, "r", due, fault.Unavailable, "circuit open"); err != nil {
		t.Fatalf("Postpone: %v", err)
	}
	want := e
	want.Sealed = nil // GetEntry never returns it
	want.State, want.NextAt = outbox.Pending, due
	want.LastClass, want.LastStatus, want.LastError = fault.Unavailable, 0, "circuit open"
	if g := get(t, db, e.ID); !reflect.DeepEqual(g, want) {
		t.Errorf("GetEntry after Postpone = %+v;\nwant %+v", g, want)
	}
	if err := db.Postpone(ctx, e.ID, "r", due, fault.Unavailable, "again"); !errors.Is(err, outbox.ErrLeaseLost) {
		t.Errorf("Postpone of a pending entry = %v; want ErrLeaseLost", err)
	}

	// A postponed head still holds back its record key.
	wantIDs(t, "Claim before the due time", claim(t, db, "r", due.Add(-time.Microsecond), 10))
	got, err := db.Claim(ctx, "r", due, lease, 10)
	if err != nil || len(got) != 1 || got[0].ID != e.ID || got[0].Attempts != 2 ||
		!reflect.DeepEqual(got[0].Sealed, e.Sealed) {
		t.Fatalf("Claim at the due time = %+v, %v; want %s with 2 attempts and its sealed headers", got, err, e.ID)
	}
}

// testOutboxPurgeEntries checks that PurgeEntries deletes exactly the
// delivered and dropped entries finished before the cutoff.
func testOutboxPurgeEntries(t *testing.T, db *store.DB) {
	ctx := t.Context()
	cutoff := base.Add(time.Hour)
	old := base.Add(10 * time.Minute)
	es := newEntries()
	var (
		deliveredOld, deliveredNew = es.new(""), es.new("")
		droppedOld, droppedNew     = es.new(""), es.new("")
		deadOld, deadLookalike     = es.new(""), es.new("")
		replayed, inflight         = es.new(""), es.new("")
		pending                    = es.new("")
	)
	pending.CreatedAt = base.Add(-24 * time.Hour)
	// Settled one by one, each claimed alone.
	settle := func(e outbox.Entry, how func(id string) error) {
		t.Helper()
		enqueue(t, db, e)
		if got, ok := claimOne(t, db, "r", base); !ok || got.ID != e.ID {
			t.Fatalf("Claim = %s, %t; want %s", got.ID, ok, e.ID)
		}
		if err := how(e.ID); err != nil {
			t.Fatalf("settling %s: %v", e.ID, err)
		}
	}
	ack := func(at time.Time) func(string) error {
		return func(id string) error { return db.Ack(ctx, id, "r", at) }
	}
	kill := func(reason string) func(string) error {
		return func(id string) error { return db.Kill(ctx, id, "r", reason, old) }
	}
	drop := func(at time.Time) func(string) error {
		return func(id string) error { return db.Drop(ctx, id, "customer asked", at) }
	}
	settle(deliveredOld, ack(old))
	settle(deliveredNew, ack(cutoff)) // not before the cutoff
	settle(droppedOld, drop(old))
	settle(droppedNew, drop(cutoff.Add(time.Minute)))
	settle(deadOld, kill("max_attempts exhausted"))
	settle(deadLookalike, kill("Dropped By Operator: not really"))
	settle(replayed, func(id string) error {
		if err := db.Drop(ctx, id, "by mistake", old); err != nil {
			return err
		}
		return db.Replay(ctx, id, cutoff.Add(time.Hour))
	})
	enqueue(t, db, inflight)
	claim(t, db, "r", base, 1)
	enqueue(t, db, pending)

	if n, err := db.PurgeEntries(ctx, time.Time{}); err != nil || n != 0 {
		t.Errorf("PurgeEntries(zero) = %d, %v; want 0, nil", n, err)
	}
	n, err := db.PurgeEntries(ctx, cutoff)
	if err != nil {
		t.Fatalf("PurgeEntries: %v", err)
	}
	if n != 2 {
		t.Errorf("PurgeEntries deleted %d entries; want 2", n)
	}
	listed, err := db.ListEntries(ctx, outbox.Filter{})
	if err != nil {
		t.Fatalf("ListEntries: %v", err)
	}
	wantIDs(t, "entries kept", entryIDs(listed), deliveredNew.ID, droppedNew.ID, deadOld.ID, deadLookalike.ID,
		replayed.ID, inflight.ID, pending.ID)
	for _, id := range []string{deliveredOld.ID, droppedOld.ID} {
		if _, err := db.GetEntry(ctx, id); !errors.Is(err, outbox.ErrNotFound) {
			t.Errorf("GetEntry(%s) of a purged entry = %v; want ErrNotFound", id, err)
		}
	}
	if n, err := db.PurgeEntries(ctx, cutoff); err != nil || n != 0 {
		t.Errorf("second PurgeEntries = %d, %v; want 0, nil", n, err)
	}
}
