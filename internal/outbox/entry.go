// Package outbox is crmguard's durable write queue: writes that could not
// be delivered for a transient reason are kept as Entries, replayed in
// order per record, and dead-lettered when they cannot be delivered. It
// declares the storage it needs (Queue for the worker, Admin for
// operators); package store implements both.
package outbox

import (
	"errors"
	"time"

	"github.com/crmguard/crmguard/internal/fault"
)

// State is where an entry is in its life. The values are stored, so they
// never change.
type State string

// The states of an entry. An entry starts Pending, is Inflight while a
// worker holds its lease, and ends Delivered or Dead; an operator may
// replay a Dead entry, which makes it Pending again.
const (
	Pending   State = "pending"
	Inflight  State = "inflight"
	Delivered State = "delivered"
	Dead      State = "dead"
)

// Valid reports whether s is one of the four states.
func (s State) Valid() bool {
	switch s {
	case Pending, Inflight, Delivered, Dead:
		return true
	}
	return false
}

// DropPrefix starts the DeadReason of an entry an operator dropped, so
// that dropped entries are told apart from those that failed.
const DropPrefix = "dropped by operator: "

// Errors the store returns for expected conditions, wrapped; test with
// errors.Is.
var (
	// ErrNotFound is returned when no entry has the requested ID.
	ErrNotFound = errors.New("outbox entry not found")
	// ErrLeaseLost is returned by Begin, Ack, Reschedule, Postpone and
	// Kill when the caller no longer holds the entry: another owner
	// claimed it after the lease expired, or an operator dropped it.
	// Nothing is changed.
	ErrLeaseLost = errors.New("outbox lease lost")
	// ErrWrongState is returned by Admin.Replay for an entry that is not
	// dead and by Admin.Drop for one that is already delivered.
	ErrWrongState = errors.New("outbox entry is in the wrong state")
)

// Entry is one queued write. The store treats Header, Sealed and Body as
// opaque bytes.
type Entry struct {
	// ID identifies the entry and orders it: entries of one RecordKey are
	// delivered in ID order. It is supplied by the caller, a call.ID or
	// an ID of the same form (bytewise ascending with time).
	ID string
	// CallID is the call that was queued, as recorded in the calls table.
	CallID string
	// Upstream names the system the write goes to; Method is its HTTP
	// method; Path is the path and query below the upstream's base URL.
	Upstream, Method, Path string
	// Header is the JSON of the request headers that are not secret.
	Header []byte
	// Sealed holds the encrypted secret headers needed for replay. It is
	// cleared when the entry is delivered or dies, so secrets live only
	// as long as the entry may still be sent.
	Sealed []byte
	// Body is the request body. It is cleared with Header and Sealed on
	// delivery.
	Body []byte
	// RecordKey groups entries that must be delivered one after another
	// (writes to the same CRM record). "" means no ordering constraint.
	RecordKey string
	// IdempotencyKey is sent with every attempt so the CRM can discard a
	// duplicate; "" if the upstream has none.
	IdempotencyKey string
	// Idempotent is set when sending the write again cannot apply it
	// twice: its method is idempotent, it carries an Idempotency-Key, or
	// the upstream's dialect makes it an upsert. Enqueue stores it.
	Idempotent bool

	// State is where the entry is; Enqueue always stores Pending.
	State State
	// Attempts counts failed delivery attempts so far (Reschedule adds
	// one; Postpone, which holds an entry back unsent, does not). Enqueue
	// keeps the caller's value, so that a synchronous attempt made before
	// queueing is counted.
	Attempts int
	// NextAt is the earliest time the entry may be claimed; the zero time
	// means at once. CreatedAt is when the write was accepted.
	NextAt, CreatedAt time.Time
	// LastClass, LastStatus and LastError describe the last failed
	// attempt: its fault class, HTTP status (0 if none) and message.
	// After Postpone they say why the entry was held back, with status 0.
	LastClass  fault.Class
	LastStatus int
	LastError  string
	// DeadReason says why the entry is dead; operators' drops start with
	// DropPrefix. DeadAt is when it died; both are "" and zero otherwise.
	DeadReason string
	DeadAt     time.Time
	// DeliveredAt is when the entry was acknowledged, or zero.
	DeliveredAt time.Time

	// Unsure is set by Claim only: the entry was taken over from an owner
	// that had begun sending it (see Queue.Begin) and whose lease expired
	// before it recorded an outcome, so that earlier send may have reached
	// the CRM. The doubt passes on to every later owner until one records
	// an outcome. It is false in every other entry Claim returns and in
	// those Admin returns.
	Unsure bool
}
