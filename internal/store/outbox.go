package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/outbox"
)

// Page sizes of ListEntries.
const (
	defaultEntryLimit = 100
	maxEntryLimit     = 1000
)

// outboxColumns lists the stored fields of outbox.Entry in the order
// scanEntry reads them, and unsure, which only Claim sets; Claim returns
// them all. The Admin methods select NULL in place of unsure and of the
// secret or bulky columns they do not return.
var (
	outboxColumns = []string{
		"id", "call_id", "upstream", "method", "path", "header", "sealed", "body",
		"record_key", "idempotency_key", "idempotent", "state", "attempts", "next_at_us", "created_us",
		"last_class", "last_status", "last_error", "dead_reason", "dead_us", "delivered_us", "unsure",
	}
	// getSelect leaves out sealed, listSelect also header and body.
	getSelect  = "SELECT " + outboxList("", []string{"sealed", "unsure"}) + " FROM outbox"
	listSelect = "SELECT " + outboxList("", []string{"header", "sealed", "body", "unsure"}) + " FROM outbox"
)

// outboxList returns outboxColumns, each prefixed with prefix and those
// in omit replaced by NULL.
func outboxList(prefix string, omit []string) string {
	cols := make([]string, len(outboxColumns))
	for i, c := range outboxColumns {
		if slices.Contains(omit, c) {
			cols[i] = "NULL"
		} else {
			cols[i] = prefix + c
		}
	}
	return strings.Join(cols, ", ")
}

// claimDue is the condition, on the outbox row o, of an entry Claim may
// take with now as $3: due, and no older entry of its record key
// unfinished. The first line repeats the indexes' condition so that they
// are used.
const claimDue = `o.state IN ('pending', 'inflight')
	AND ((o.state = 'pending' AND o.next_at_us <= $3) OR (o.state = 'inflight' AND o.lease_until_us < $3))
	AND (o.record_key = '' OR NOT EXISTS (
		SELECT 1 FROM outbox p
		WHERE p.record_key = o.record_key AND p.id < o.id AND p.state IN ('pending', 'inflight')))`

// claimSet is the SET list of Claim's update. Both backends evaluate it on
// the row as it was before the claim, so unsure records whether the entry
// was taken over from an owner that had begun; the new owner has not. The
// mark stays until an outcome is recorded: an owner that took an unsure
// entry over and died before acting on it passes the doubt on.
const claimSet = `state = 'inflight', lease_owner = $1, lease_until_us = $2,
	unsure = (unsure OR (state = 'inflight' AND started_us IS NOT NULL)), started_us = NULL`

// outboxDialect is the outbox SQL that differs between the backends; both
// dialects implement it, in outbox_sqlite.go and outbox_postgres.go.
type outboxDialect interface {
	// claimSQL returns the statement that leases due entries, with the
	// owner as $1, the lease end as $2, now as $3 and the limit as $4,
	// setting claimSet and returning the claimed rows' outboxColumns.
	claimSQL() string
}

// Enqueue stores e as a pending entry, durably when it returns; see
// outbox.Queue.
func (db *DB) Enqueue(ctx context.Context, e outbox.Entry) error {
	if e.ID == "" {
		return errors.New("enqueueing: entry without ID")
	}
	_, err := db.write.ExecContext(ctx, `INSERT INTO outbox (
		id, call_id, upstream, method, path, header, sealed, body, record_key, idempotency_key,
		idempotent, state, attempts, next_at_us, created_us, last_class, last_status, last_error)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
		e.ID, e.CallID, e.Upstream, e.Method, e.Path, blob(e.Header), blob(e.Sealed), blob(e.Body),
		e.RecordKey, e.IdempotencyKey, e.Idempotent, string(outbox.Pending), int64(e.Attempts),
		atMicros(e.NextAt), atMicros(e.CreatedAt), e.LastClass.String(), int64(e.LastStatus), e.LastError)
	if err != nil {
		return fmt.Errorf("enqueueing %s: %w", e.ID, err)
	}
	return nil
}

// Claim leases up to limit due entries to owner; see outbox.Queue.
func (db *DB) Claim(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]outbox.Entry, error) {
	if owner == "" {
		return nil, errors.New("claiming: empty owner")
	}
	if limit <= 0 {
		return nil, nil
	}
	od, ok := db.dialect.(outboxDialect)
	if !ok {
		return nil, fmt.Errorf("claiming: %s store has no outbox", db.Backend())
	}
	rows, err := db.write.QueryContext(ctx, od.claimSQL(), owner, micros(now.Add(lease)), micros(now), limit)
	if err != nil {
		return nil, fmt.Errorf("claiming for %s: %w", owner, err)
	}
	es, err := scanEntries(rows)
	if err != nil {
		return nil, fmt.Errorf("claiming for %s: %w", owner, err)
	}
	// RETURNING gives no order.
	slices.SortFunc(es, func(a, b outbox.Entry) int { return strings.Compare(a.ID, b.ID) })
	return es, nil
}

// Begin records that owner is about to send the entry; see outbox.Queue.
func (db *DB) Begin(ctx context.Context, id, owner string, at time.Time) error {
	return db.finish(ctx, "beginning", id, owner, `UPDATE outbox SET started_us = $3
		WHERE id = $1 AND state = 'inflight' AND lease_owner = $2`, micros(at))
}

// Ack marks the entry delivered; see outbox.Queue.
func (db *DB) Ack(ctx context.Context, id, owner string, at time.Time) error {
	return db.finish(ctx, "acknowledging", id, owner, `UPDATE outbox
		SET state = 'delivered', delivered_us = $3, header = NULL, sealed = NULL, body = NULL,
			lease_owner = '', lease_until_us = 0, started_us = NULL, unsure = FALSE
		WHERE id = $1 AND state = 'inflight' AND lease_owner = $2`, micros(at))
}

// Reschedule records a failed attempt and makes the entry pending again;
// see outbox.Queue.
func (db *DB) Reschedule(ctx context.Context, id, owner string, next time.Time, class fault.Class, status int, msg string) error {
	return db.finish(ctx, "rescheduling", id, owner, `UPDATE outbox
		SET state = 'pending', attempts = attempts + 1, next_at_us = $3,
			last_class = $4, last_status = $5, last_error = $6, lease_owner = '', lease_until_us = 0,
			started_us = NULL, unsure = FALSE
		WHERE id = $1 AND state = 'inflight' AND lease_owner = $2`,
		atMicros(next), class.String(), int64(status), msg)
}

// Postpone makes the entry pending again without counting an attempt;
// see outbox.Queue.
func (db *DB) Postpone(ctx context.Context, id, owner string, next time.Time, class fault.Class, msg string) error {
	return db.finish(ctx, "postponing", id, owner, `UPDATE outbox
		SET state = 'pending', next_at_us = $3, last_class = $4, last_status = 0, last_error = $5,
			lease_owner = '', lease_until_us = 0, started_us = NULL, unsure = FALSE
		WHERE id = $1 AND state = 'inflight' AND lease_owner = $2`,
		atMicros(next), class.String(), msg)
}

// Kill makes the entry a dead letter; see outbox.Queue.
func (db *DB) Kill(ctx context.Context, id, owner, reason string, at time.Time) error {
	return db.finish(ctx, "dead-lettering", id, owner, `UPDATE outbox
		SET state = 'dead', dead_reason = $3, dead_us = $4, sealed = NULL, lease_owner = '', lease_until_us = 0,
			started_us = NULL, unsure = FALSE
		WHERE id = $1 AND state = 'inflight' AND lease_owner = $2`, reason, micros(at))
}

// finish runs update, whose $1 and $2 are id and owner and whose further
// parameters are args, on an entry owner holds. It returns ErrLeaseLost
// if update changed no row but the entry exists, ErrNotFound if not.
func (db *DB) finish(ctx context.Context, op, id, owner, update string, args ...any) error {
	n, err := db.exec(ctx, update, append([]any{id, owner}, args...)...)
	if err != nil {
		return fmt.Errorf("%s %s: %w", op, id, err)
	}
	if n == 1 {
		return nil
	}
	if err := db.entryExists(ctx, id); err != nil {
		return fmt.Errorf("%s %s: %w", op, id, err)
	}
	return fmt.Errorf("%s %s for %s: %w", op, id, owner, outbox.ErrLeaseLost)
}

// exec runs a write and returns how many rows it changed.
func (db *DB) exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := db.write.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// entryExists returns nil if the entry is stored, else an error wrapping
// outbox.ErrNotFound.
func (db *DB) entryExists(ctx context.Context, id string) error {
	var one int
	err := db.read.QueryRowContext(ctx, "SELECT 1 FROM outbox WHERE id = $1", id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return outbox.ErrNotFound
	}
	return err
}

// scanEntries reads and closes rows of outboxColumns.
func scanEntries(rows *sql.Rows) ([]outbox.Entry, error) { return collect(rows, scanEntry) }

// scanEntry reads one row of outboxColumns.
func scanEntry(s scanner) (outbox.Entry, error) {
	var (
		e                    outbox.Entry
		state, class         string
		attempts, status     int64
		next, created        int64
		deadAt, deliveredAt  sql.NullInt64
		header, sealed, body []byte
		unsure               sql.NullBool // NULL outside Claim
	)
	err := s.Scan(&e.ID, &e.CallID, &e.Upstream, &e.Method, &e.Path, &header, &sealed, &body,
		&e.RecordKey, &e.IdempotencyKey, &e.Idempotent, &state, &attempts, &next, &created,
		&class, &status, &e.LastError, &e.DeadReason, &deadAt, &deliveredAt, &unsure)
	if err != nil {
		return outbox.Entry{}, err
	}
	cl, err := fault.Parse(class)
	if err != nil {
		return outbox.Entry{}, fmt.Errorf("outbox entry %s: %w", e.ID, err)
	}
	e.Header, e.Sealed, e.Body = unblob(header), unblob(sealed), unblob(body)
	e.State, e.Attempts, e.LastClass, e.LastStatus = outbox.State(state), int(attempts), cl, int(status)
	e.NextAt, e.CreatedAt = fromAtMicros(next), fromAtMicros(created)
	e.DeadAt, e.DeliveredAt = fromNullMicros(deadAt), fromNullMicros(deliveredAt)
	e.Unsure = unsure.Bool
	return e, nil
}

// blob stores an empty byte slice as NULL, so that nil and empty read
// back alike, as nil.
func blob(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// unblob is the inverse of blob. Drivers may reuse a scanned buffer's
// memory only for sql.RawBytes, so b is the caller's to keep.
func unblob(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// atMicros stores the zero time as 0 rather than its negative Unix
// microseconds, for NOT NULL columns where zero means "at once" or
// "unknown"; fromAtMicros is its inverse.
func atMicros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return micros(t)
}

func fromAtMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return fromMicros(us)
}
