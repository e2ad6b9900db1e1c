package outbox

import (
	"context"
	"time"

	"github.com/crmguard/crmguard/internal/fault"
)

// Queue is the storage the worker and the gateway need. Every method is
// durable when it returns without error.
//
// Claiming leases entries to an owner: only that owner may then Begin,
// Ack, Reschedule, Postpone or Kill them. A lease that expires lets
// another owner claim the entry (its replica is presumed dead); until that
// happens the first owner may still finish it, so a slow delivery is not
// sent twice for nothing. Owners must be unique per worker, for example
// host, process and goroutine, because the lease is checked by owner
// alone.
//
// An owner calls Begin just before it sends an entry. The mark lasts until
// the owner records an outcome (Ack, Reschedule, Postpone, Kill) or an
// operator replays or drops the entry; an entry claimed from an expired
// lease while marked comes back Unsure, because the send may have reached
// the CRM.
type Queue interface {
	// Enqueue stores e as a pending entry; see Entry for the fields it
	// keeps. It fails if e.ID is already stored.
	Enqueue(ctx context.Context, e Entry) error
	// Claim leases up to limit due entries to owner until now+lease and
	// returns them in ID order, Inflight, with every field. An entry is
	// due when it is pending with NextAt <= now, or inflight with a lease
	// that expired before now. An entry is not claimed while an older
	// entry (smaller ID) with the same non-empty RecordKey is pending or
	// inflight. Attempts is unchanged. Two concurrent claims never return
	// the same entry. An entry is returned Unsure when it was inflight
	// and begun by its previous owner; the claim clears the begun mark,
	// since the new owner has not begun.
	Claim(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]Entry, error)
	// Begin records that owner is about to send the entry, at at, so that
	// an owner that takes it over after the lease expires knows the send
	// may have happened. Errors as for Ack.
	Begin(ctx context.Context, id, owner string, at time.Time) error
	// Ack marks the entry delivered at at and clears its Header, Sealed
	// and Body. It returns ErrLeaseLost if owner does not hold the entry
	// and ErrNotFound if there is no such entry.
	Ack(ctx context.Context, id, owner string, at time.Time) error
	// Reschedule records a failed attempt (Attempts+1, LastClass,
	// LastStatus, LastError) and makes the entry pending again, due at
	// next. Errors as for Ack.
	Reschedule(ctx context.Context, id, owner string, next time.Time, class fault.Class, status int, msg string) error
	// Postpone makes the entry pending again, due at next, without
	// counting an attempt: the worker held it back unsent (an open
	// breaker, an exhausted quota, pacing). Attempts is unchanged;
	// LastClass and LastError become class and msg, and LastStatus 0.
	// Errors as for Ack.
	Postpone(ctx context.Context, id, owner string, next time.Time, class fault.Class, msg string) error
	// Kill makes the entry a dead letter at at with reason and clears
	// Sealed; Attempts and the Last fields are kept. Errors as for Ack.
	Kill(ctx context.Context, id, owner, reason string, at time.Time) error
}

// Filter selects entries for Admin.ListEntries. Zero fields select all.
type Filter struct {
	// State, Upstream and RecordKey select entries equal to them.
	State     State
	Upstream  string
	RecordKey string
	// After continues a listing after the entry with this ID.
	After string
	// Limit bounds the page: 0 or less means 100, more than 1000 means
	// 1000.
	Limit int
}

// Stats is the state of the queue for metrics.
type Stats struct {
	// Pending and Inflight count entries waiting and being sent; Depth
	// is their sum, the writes accepted and not yet finished.
	Pending, Inflight, Depth int64
	// Dead counts dead letters (including dropped entries); Delivered
	// counts delivered entries still stored.
	Dead, Delivered int64
	// OldestAge is how long ago the oldest pending or inflight entry was
	// created, 0 if there is none.
	OldestAge time.Duration
}

// Admin is the storage operators use through the console and CLI:
// list|show|replay|drop, metrics, and the janitor's purge of finished
// entries. Nothing it returns includes Sealed.
type Admin interface {
	// ListEntries returns the entries f selects in ID order (oldest
	// first), without Header, Sealed and Body.
	ListEntries(ctx context.Context, f Filter) ([]Entry, error)
	// GetEntry returns the entry with the given ID without Sealed, or
	// ErrNotFound.
	GetEntry(ctx context.Context, id string) (Entry, error)
	// Replay makes a dead entry pending again, due at at, with Attempts
	// 0 and DeadReason and DeadAt cleared. Its Sealed headers were
	// cleared when it died, so the worker must obtain credentials anew.
	// It returns ErrWrongState if the entry is not dead.
	Replay(ctx context.Context, id string, at time.Time) error
	// Drop makes an entry that is not delivered a dead letter with
	// DeadReason DropPrefix+reason, keeping the row for audit, and clears
	// Sealed. A worker holding it then gets ErrLeaseLost. It returns
	// ErrWrongState for a delivered entry.
	Drop(ctx context.Context, id, reason string, at time.Time) error
	// PurgeEntries deletes the entries delivered before before and the
	// dropped ones (DeadReason starting with DropPrefix) that died before
	// before, and returns how many it deleted. Other dead letters and
	// unfinished entries are kept whatever their age; the zero time
	// deletes nothing.
	PurgeEntries(ctx context.Context, before time.Time) (int64, error)
	// QueueStats returns the counts and age of the queue as of now.
	QueueStats(ctx context.Context, now time.Time) (Stats, error)
}
