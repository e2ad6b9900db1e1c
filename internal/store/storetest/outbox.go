package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/call"
	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/outbox"
	"github.com/crmguard/crmguard/internal/store"
)

// testOutbox runs the durable write queue's part of the suite, each
// subtest on a store of its own from open.
func testOutbox(t *testing.T, open func(t *testing.T) *store.DB) {
	tests := []struct {
		name string
		fn   func(t *testing.T, db *store.DB)
	}{
		{"RoundTrip", testOutboxRoundTrip},
		{"NotDue", testOutboxNotDue},
		{"FIFOPerRecordKey", testOutboxFIFO},
		{"LeaseExpiry", testOutboxLeaseExpiry},
		{"ConcurrentClaim", testOutboxConcurrentClaim},
		{"Reschedule", testOutboxReschedule},
		{"KillAndReplay", testOutboxKillReplay},
		{"Drop", testOutboxDrop},
		{"Stats", testOutboxStats},
		{"List", testOutboxList},
		{"NotFound", testOutboxNotFound},
		{"DuplicateID", testOutboxDuplicate},
		{"Idempotent", testOutboxIdempotent},
		{"Unsure", testOutboxUnsure},
		{"BeginCleared", testOutboxBeginCleared},
		{"BeginNotOwner", testOutboxBeginNotOwner},
		{"Postpone", testOutboxPostpone},
		{"PurgeEntries", testOutboxPurgeEntries},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, open(t))
		})
	}
}

// lease is the lease the outbox tests claim with.
const lease = time.Minute

// entries makes queue entries created at base, in ID order; keys gives
// each one's record key.
type entries struct{ g *call.Generator }

func newEntries() entries { return entries{call.NewGenerator()} }

// new returns an entry with every input field set, created at base.
func (es entries) new(key string) outbox.Entry {
	id := es.g.New(base)
	return outbox.Entry{
		ID:             string(id),
		CallID:         string(id),
		Upstream:       "salesforce",
		Method:         "PATCH",
		Path:           "/services/data/v59.0/sobjects/Contact/003xx?_HttpMethod=PATCH",
		Header:         []byte(`{"Content-Type":["application/json"]}`),
		Sealed:         []byte{0, 1, 2, 0xfe, 0xff},
		Body:           []byte(`{"LastName":"Lovelace"}`),
		RecordKey:      key,
		IdempotencyKey: "idem-" + string(id),
		CreatedAt:      base,
	}
}

// enqueue stores es or fails t.
func enqueue(t *testing.T, db *store.DB, es ...outbox.Entry) {
	t.Helper()
	for _, e := range es {
		if err := db.Enqueue(t.Context(), e); err != nil {
			t.Fatalf("Enqueue(%s): %v", e.ID, err)
		}
	}
}

// claim claims for owner at now or fails t, and returns the IDs.
func claim(t *testing.T, db *store.DB, owner string, now time.Time, limit int) []string {
	t.Helper()
	es, err := db.Claim(t.Context(), owner, now, lease, limit)
	if err != nil {
		t.Fatalf("Claim(%s, %v): %v", owner, now, err)
	}
	return entryIDs(es)
}

// entryIDs returns the IDs of es, nil for none.
func entryIDs(es []outbox.Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.ID)
	}
	return out
}

// get returns the entry id or fails t.
func get(t *testing.T, db *store.DB, id string) outbox.Entry {
	t.Helper()
	e, err := db.GetEntry(t.Context(), id)
	if err != nil {
		t.Fatalf("GetEntry(%s): %v", id, err)
	}
	return e
}

// wantIDs fails t unless got equals want (nil and empty alike).
func wantIDs(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if len(got) != len(want) || (len(want) > 0 && !reflect.DeepEqual(got, want)) {
		t.Errorf("%s = %v; want %v", what, got, want)
	}
}

func testOutboxRoundTrip(t *testing.T, db *store.DB) {
	ctx := t.Context()
	e := newEntries().new("Contact/003xx")
	e.Attempts, e.LastClass, e.LastStatus, e.LastError = 1, fault.Unavailable, 503, "service unavailable"
	e.NextAt = base.Add(1500 * time.Microsecond)
	e.Idempotent = true
	e.State, e.DeadReason, e.Unsure = outbox.Dead, "ignored by Enqueue", true
	enqueue(t, db, e)

	got, err := db.Claim(ctx, "replica-a", base.Add(time.Second), lease, 10)
	if err != nil {
		t.Fatalf("Claim: %v", err)
	}
	want := e
	want.State, want.DeadReason, want.Unsure = outbox.Inflight, "", false
	if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Fatalf("Claim = %+v;\nwant [%+v]", got, want)
	}
	if ids := claim(t, db, "replica-b", base.Add(time.Second), 10); len(ids) != 0 {
		t.Errorf("second Claim = %v; want none while leased", ids)
	}

	at := base.Add(2 * time.Second)
	if err := db.Ack(ctx, e.ID, "replica-a", at); err != nil {
		t.Fatalf("Ack: %v", err)
	}
	want.State, want.DeliveredAt = outbox.Delivered, at
	want.Header, want.Sealed, want.Body = nil, nil, nil
	if g := get(t, db, e.ID); !reflect.DeepEqual(g, want) {
		t.Errorf("GetEntry after Ack = %+v;\nwant %+v", g, want)
	}
	if ids := claim(t, db, "replica-a", base.Add(time.Hour), 10); len(ids) != 0 {
		t.Errorf("Claim after Ack = %v; want none", ids)
	}
	if err := db.Ack(ctx, e.ID, "replica-a", at); !errors.Is(err, outbox.ErrLeaseLost) {
		t.Errorf("second Ack = %v; want ErrLeaseLost", err)
	}
}

func testOutboxNotDue(t *testing.T, db *store.DB) {
	es := newEntries()
	a, b := es.new(""), es.new("")
	a.NextAt, b.NextAt = base.Add(time.Minute), base
	enqueue(t, db, a, b)
	wantIDs(t, "Claim at base", claim(t, db, "r", base, 10), b.ID)
	wantIDs(t, "Claim just before NextAt", claim(t, db, "r", base.Add(time.Minute-time.Microsecond), 10))
	wantIDs(t, "Claim at NextAt", claim(t, db, "r", base.Add(time.Minute), 10), a.ID)
	if ids := claim(t, db, "r", base, 0); len(ids) != 0 {
		t.Errorf("Claim(limit 0) = %v; want none", ids)
	}
}

func testOutboxFIFO(t *testing.T, db *store.DB) {
	ctx := t.Context()
	es := newEntries()
	a1, b1, a2, c1, c2, d1, d2, a3 := es.new("A"), es.new("B"), es.new("A"), es.new(""), es.new(""),
		es.new("D"), es.new("D"), es.new("A")
	enqueue(t, db, a1, b1, a2, c1, c2, d1, d2, a3)

	// Only the oldest of each key; unkeyed entries all at once; ID order.
	wantIDs(t, "first Claim", claim(t, db, "r", base, 2), a1.ID, b1.ID)
	wantIDs(t, "second Claim", claim(t, db, "r", base, 10), c1.ID, c2.ID, d1.ID)
	wantIDs(t, "Claim with heads inflight", claim(t, db, "r", base, 10))

	// A rescheduled head still holds back its key.
	if err := db.Reschedule(ctx, a1.ID, "r", base.Add(time.Hour), fault.Server, 500, "boom"); err != nil {
		t.Fatalf("Reschedule: %v", err)
	}
	wantIDs(t, "Claim with A's head rescheduled", claim(t, db, "r", base.Add(time.Minute), 10))

	// Delivered and dead heads release the next of their key only.
	if err := db.Ack(ctx, b1.ID, "r", base); err != nil {
		t.Fatalf("Ack: %v", err)
	}
	if err := db.Kill(ctx, d1.ID, "r", "permission denied", base); err != nil {
		t.Fatalf("Kill: %v", err)
	}
	wantIDs(t, "Claim after D's head died", claim(t, db, "r", base.Add(time.Minute), 10), d2.ID)
	for _, e := range []outbox.Entry{c1, c2, d2} {
		if err := db.Ack(ctx, e.ID, "r", base); err != nil {
			t.Fatalf("Ack(%s): %v", e.ID, err)
		}
	}
	wantIDs(t, "Claim when A's head is due", claim(t, db, "r2", base.Add(time.Hour), 10), a1.ID)
	if err := db.Ack(ctx, a1.ID, "r2", base.Add(time.Hour)); err != nil {
		t.Fatalf("Ack: %v", err)
	}
	wantIDs(t, "Claim after A's head", claim(t, db, "r", base.Add(time.Hour), 10), a2.ID)
}

func testOutboxLeaseExpiry(t *testing.T, db *store.DB) {
	ctx := t.Context()
	es := newEntries()
	e, f := es.new("K"), es.new("")
	enqueue(t, db, e, f)
	wantIDs(t, "Claim by a", claim(t, db, "a", base, 10), e.ID, f.ID)
	wantIDs(t, "Claim by b within the lease", claim(t, db, "b", base.Add(lease), 10))
	// The lease of a has run out: b takes over e, and f stays a's for now.
	wantIDs(t, "Claim by b after the lease", claim(t, db, "b", base.Add(lease+time.Microsecond), 1), e.ID)

	for name, err := range map[string]error{
		"Begin":      db.Begin(ctx, e.ID, "a", base.Add(2*lease)),
		"Ack":        db.Ack(ctx, e.ID, "a", base.Add(2*lease)),
		"Reschedule": db.Reschedule(ctx, e.ID, "a", base, fault.Network, 0, "reset"),
		"Postpone":   db.Postpone(ctx, e.ID, "a", base, fault.Unavailable, "circuit open"),
		"Kill":       db.Kill(ctx, e.ID, "a", "too old", base),
	} {
		if !errors.Is(err, outbox.ErrLeaseLost) {
			t.Errorf("%s by the old owner = %v; want ErrLeaseLost", name, err)
		}
	}
	if g := get(t, db, e.ID); g.State != outbox.Inflight || g.Attempts != 0 || g.DeadReason != "" || g.LastError != "" {
		t.Errorf("after the old owner's attempts: state %s, attempts %d, dead reason %q, last error %q; want inflight, 0, none, none",
			g.State, g.Attempts, g.DeadReason, g.LastError)
	}
	if err := db.Ack(ctx, e.ID, "b", base.Add(2*lease)); err != nil {
		t.Errorf("Ack by the new owner: %v", err)
	}
	// Expired but not taken over: the owner may still finish.
	if err := db.Ack(ctx, f.ID, "a", base.Add(2*lease)); err != nil {
		t.Errorf("Ack of an expired lease nobody took over: %v", err)
	}
}

func testOutboxConcurrentClaim(t *testing.T, db *store.DB) {
	const (
		n       = 200
		workers = 4
	)
	es := newEntries()
	var all []outbox.Entry
	for i := range n {
		key := ""
		if i%2 == 0 {
			key = fmt.Sprintf("K%d", i%10)
		}
		all = append(all, es.new(key))
	}
	enqueue(t, db, all...)
	index := make(map[string]int, n)
	for i, e := range all {
		index[e.ID] = i
	}

	var (
		mu      sync.Mutex
		claimed = make(map[string]string) // id → owner
		acked   = make(map[string]bool)
		done    atomic.Int64
		wg      sync.WaitGroup
	)
	deadline := time.Now().Add(30 * time.Second)
	for w := range workers {
		owner := fmt.Sprintf("replica-%d", w)
		wg.Go(func() {
			for done.Load() < n && time.Now().Before(deadline) {
				got, err := db.Claim(t.Context(), owner, base, lease, 7)
				if err != nil {
					t.Errorf("Claim(%s): %v", owner, err)
					return
				}
				mu.Lock()
				for _, e := range got {
					if prev, dup := claimed[e.ID]; dup {
						t.Errorf("%s claimed %s, already claimed by %s", owner, e.ID, prev)
					}
					claimed[e.ID] = owner
					// Every older entry of the key must be finished.
					for _, o := range all[:index[e.ID]] {
						if o.RecordKey != "" && o.RecordKey == e.RecordKey && !acked[o.ID] {
							t.Errorf("%s claimed %s before %s of key %s was acknowledged", owner, e.ID, o.ID, o.RecordKey)
						}
					}
					// Marked before acknowledging, so that no one
					// can claim a successor before it is marked.
					acked[e.ID] = true
				}
				mu.Unlock()
				for _, e := range got {
					if err := db.Ack(t.Context(), e.ID, owner, base); err != nil {
						t.Errorf("Ack(%s, %s): %v", e.ID, owner, err)
					}
					done.Add(1)
				}
				if len(got) == 0 {
					time.Sleep(time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	if len(claimed) != n {
		t.Errorf("claimed %d distinct entries; want %d", len(claimed), n)
	}
	s, err := db.QueueStats(t.Context(), base)
	if err != nil {
		t.Fatalf("QueueStats: %v", err)
	}
	if s.Delivered != n || s.Depth != 0 {
		t.Errorf("QueueStats = %+v; want %d delivered, depth 0", s, n)
	}
}

func testOutboxReschedule(t *testing.T, db *store.DB) {
	ctx := t.Context()
	e := newEntries().new("K")
	enqueue(t, db, e)
	claim(t, db, "r", base, 1)
	next := base.Add(30 * time.Second)
	if err := db.Reschedule(ctx, e.ID, "r", next, fault.RateLimit, 429, "too many requests"); err != nil {
		t.Fatalf("Reschedule: %v", err)
	}
	g := get(t, db, e.ID)
	want := e
	want.Sealed = nil // GetEntry never returns it
	want.State, want.Attempts, want.NextAt = outbox.Pending, 1, next
	want.LastClass, want.LastStatus, want.LastError = fault.RateLimit, 429, "too many requests"
	if !reflect.DeepEqual(g, want) {
		t.Errorf("GetEntry after Reschedule = %+v;\nwant %+v", g, want)
	}
	wantIDs(t, "Claim before next", claim(t, db, "r", next.Add(-time.Microsecond), 1))
	got, err := db.Claim(ctx, "r", next, lease, 1)
	if err != nil || len(got) != 1 || got[0].Attempts != 1 || !reflect.DeepEqual(got[0].Sealed, e.Sealed) {
		t.Fatalf("Claim at next = %+v, %v; want the entry with 1 attempt and its sealed headers", got, err)
	}
	if err := db.Reschedule(ctx, e.ID, "r", next, fault.Server, 500, "again"); err != nil {
		t.Fatalf("second Reschedule: %v", err)
	}
	if g := get(t, db, e.ID); g.Attempts != 2 || g.LastClass != fault.Server {
		t.Errorf("after a second Reschedule: attempts %d, class %s; want 2, server", g.Attempts, g.LastClass)
	}
}

func testOutboxKillReplay(t *testing.T, db *store.DB) {
	ctx := t.Context()
	e := newEntries().new("")
	enqueue(t, db, e)
	if err := db.Replay(ctx, e.ID, base); !errors.Is(err, outbox.ErrWrongState) {
		t.Errorf("Replay of a pending entry = %v; want ErrWrongState", err)
	}
	claim(t, db, "r", base, 1)
	if err := db.Reschedule(ctx, e.ID, "r", base, fault.Server, 502, "bad gateway"); err != nil {
		t.Fatalf("Reschedule: %v", err)
	}
	claim(t, db, "r", base, 1)
	at := base.Add(time.Minute)
	if err := db.Kill(ctx, e.ID, "r", "max_attempts exhausted", at); err != nil {
		t.Fatalf("Kill: %v", err)
	}
	g := get(t, db, e.ID)
	if g.State != outbox.Dead || g.DeadReason != "max_attempts exhausted" || !g.DeadAt.Equal(at) ||
		g.Attempts != 1 || g.LastStatus != 502 || string(g.Body) != string(e.Body) {
		t.Errorf("after Kill = %+v; want dead with reason, DeadAt, attempts and body kept", g)
	}
	wantIDs(t, "Claim of a dead entry", claim(t, db, "r", base.Add(time.Hour), 1))

	replayAt := base.Add(2 * time.Minute)
	if err := db.Replay(ctx, e.ID, replayAt); err != nil {
		t.Fatalf("Replay: %v", err)
	}
	got, err := db.Claim(ctx, "r", replayAt, lease, 1)
	if err != nil || len(got) != 1 {
		t.Fatalf("Claim after Replay = %v, %v; want the entry", entryIDs(got), err)
	}
	r := got[0]
	if r.Attempts != 0 || !r.NextAt.Equal(replayAt) || r.DeadReason != "" || !r.DeadAt.IsZero() ||
		r.Sealed != nil || string(r.Body) != string(e.Body) {
		t.Errorf("replayed entry = %+v; want attempts 0, NextAt %v, not dead, sealed cleared, body kept", r, replayAt)
	}
}

func testOutboxDrop(t *testing.T, db *store.DB) {
	ctx := t.Context()
	es := newEntries()
	pending, inflight, delivered := es.new(""), es.new(""), es.new("")
	enqueue(t, db, delivered)
	claim(t, db, "r", base, 1)
	if err := db.Ack(ctx, delivered.ID, "r", base); err != nil {
		t.Fatalf("Ack: %v", err)
	}
	enqueue(t, db, inflight)
	claim(t, db, "r", base, 1)
	enqueue(t, db, pending)

	at := base.Add(time.Minute)
	tests := []struct {
		name    string
		id      string
		wantErr error
	}{
		{"pending", pending.ID, nil},
		{"inflight", inflight.ID, nil},
		{"dead again", pending.ID, nil},
		{"delivered", delivered.ID, outbox.ErrWrongState},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := db.Drop(ctx, tc.id, "customer asked", at)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("Drop = %v; want %v", err, tc.wantErr)
			}
			if tc.wantErr != nil {
				return
			}
			g := get(t, db, tc.id)
			if g.State != outbox.Dead || g.DeadReason != outbox.DropPrefix+"customer asked" || !g.DeadAt.Equal(at) {
				t.Errorf("after Drop: state %s, reason %q, at %v; want dead, %q, %v",
					g.State, g.DeadReason, g.DeadAt, outbox.DropPrefix+"customer asked", at)
			}
		})
	}
	if err := db.Ack(ctx, inflight.ID, "r", at); !errors.Is(err, outbox.ErrLeaseLost) {
		t.Errorf("Ack of a dropped entry = %v; want ErrLeaseLost", err)
	}
	if g := get(t, db, delivered.ID); g.State != outbox.Delivered {
		t.Errorf("delivered entry after Drop: state %s; want delivered", g.State)
	}
}

func testOutboxStats(t *testing.T, db *store.DB) {
	ctx := t.Context()
	if s, err := db.QueueStats(ctx, base); err != nil || s != (outbox.Stats{}) {
		t.Errorf("QueueStats of an empty queue = %+v, %v; want zero", s, err)
	}
	es := newEntries()
	old, inflight, dead, delivered, pending := es.new(""), es.new(""), es.new(""), es.new(""), es.new("")
	old.CreatedAt = base.Add(-10 * time.Minute)
	delivered.CreatedAt = base.Add(-time.Hour) // finished: not counted in the age
	enqueue(t, db, delivered, dead, inflight)
	claim(t, db, "r", base, 3)
	if err := db.Ack(ctx, delivered.ID, "r", base); err != nil {
		t.Fatalf("Ack: %v", err)
	}
	if err := db.Kill(ctx, dead.ID, "r", "parameter", base); err != nil {
		t.Fatalf("Kill: %v", err)
	}
	enqueue(t, db, old, pending)

	got, err := db.QueueStats(ctx, base.Add(time.Minute))
	if err != nil {
		t.Fatalf("QueueStats: %v", err)
	}
	want := outbox.Stats{Pending: 2, Inflight: 1, Depth: 3, Dead: 1, Delivered: 1, OldestAge: 11 * time.Minute}
	if got != want {
		t.Errorf("QueueStats = %+v; want %+v", got, want)
	}
}

func testOutboxList(t *testing.T, db *store.DB) {
	ctx := t.Context()
	es := newEntries()
	var all []outbox.Entry
	for i := range 6 {
		e := es.new(fmt.Sprintf("K%d", i%2))
		if i >= 4 {
			e.Upstream = "hubspot"
		}
		all = append(all, e)
	}
	enqueue(t, db, all...)
	claim(t, db, "r", base, 1) // all[0]
	if err := db.Kill(ctx, all[0].ID, "r", "gone", base); err != nil {
		t.Fatalf("Kill: %v", err)
	}

	tests := []struct {
		name string
		f    outbox.Filter
		want []string
	}{
		{"all", outbox.Filter{}, entryIDs(all)},
		{"dead", outbox.Filter{State: outbox.Dead}, []string{all[0].ID}},
		{"pending", outbox.Filter{State: outbox.Pending}, entryIDs(all[1:])},
		{"upstream", outbox.Filter{Upstream: "hubspot"}, []string{all[4].ID, all[5].ID}},
		{"record key", outbox.Filter{RecordKey: "K1"}, []string{all[1].ID, all[3].ID, all[5].ID}},
		{"after and limit", outbox.Filter{After: all[1].ID, Limit: 2}, []string{all[2].ID, all[3].ID}},
		{"combined", outbox.Filter{State: outbox.Pending, RecordKey: "K0", Upstream: "salesforce"}, []string{all[2].ID}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := db.ListEntries(ctx, tc.f)
			if err != nil {
				t.Fatalf("ListEntries: %v", err)
			}
			wantIDs(t, "ListEntries", entryIDs(got), tc.want...)
			for _, e := range got {
				if e.Header != nil || e.Sealed != nil || e.Body != nil || e.Path != all[0].Path {
					t.Errorf("listed entry %s has header, sealed or body, or lacks its path: %+v", e.ID, e)
				}
			}
		})
	}
	if _, err := db.ListEntries(ctx, outbox.Filter{State: "bogus"}); err == nil {
		t.Error("ListEntries(State: bogus) succeeded; want an error")
	}
}

func testOutboxNotFound(t *testing.T, db *store.DB) {
	ctx := t.Context()
	const id = "0000000000000000000000NONE"
	tests := []struct {
		name string
		err  error
	}{
		{"GetEntry", func() error { _, err := db.GetEntry(ctx, id); return err }()},
		{"Begin", db.Begin(ctx, id, "r", base)},
		{"Ack", db.Ack(ctx, id, "r", base)},
		{"Reschedule", db.Reschedule(ctx, id, "r", base, fault.Server, 500, "")},
		{"Postpone", db.Postpone(ctx, id, "r", base, fault.Unavailable, "")},
		{"Kill", db.Kill(ctx, id, "r", "", base)},
		{"Replay", db.Replay(ctx, id, base)},
		{"Drop", db.Drop(ctx, id, "", base)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !errors.Is(tc.err, outbox.ErrNotFound) {
				t.Errorf("%s = %v; want ErrNotFound", tc.name, tc.err)
			}
		})
	}
}

func testOutboxDuplicate(t *testing.T, db *store.DB) {
	e := newEntries().new("")
	enqueue(t, db, e)
	if err := db.Enqueue(t.Context(), e); err == nil {
		t.Error("second Enqueue of one ID succeeded; want an error")
	}
	if err := db.Enqueue(t.Context(), outbox.Entry{}); err == nil {
		t.Error("Enqueue without ID succeeded; want an error")
	}
}
