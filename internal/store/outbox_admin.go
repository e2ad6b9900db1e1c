package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/crmguard/crmguard/internal/outbox"
)

// ListEntries returns the entries f selects, oldest first, without
// Header, Sealed and Body; see outbox.Admin.
func (db *DB) ListEntries(ctx context.Context, f outbox.Filter) ([]outbox.Entry, error) {
	if f.State != "" && !f.State.Valid() {
		return nil, fmt.Errorf("listing outbox: unknown state %q", f.State)
	}
	var c conditions
	if f.State != "" {
		c.add("state = $%d", string(f.State))
	}
	if f.Upstream != "" {
		c.add("upstream = $%d", f.Upstream)
	}
	if f.RecordKey != "" {
		c.add("record_key = $%d", f.RecordKey)
	}
	if f.After != "" {
		c.add("id > $%d", f.After)
	}
	query, args := c.query(listSelect, "ORDER BY id LIMIT $%d", pageLimit(f.Limit, defaultEntryLimit, maxEntryLimit))
	rows, err := db.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("listing outbox: %w", err)
	}
	es, err := scanEntries(rows)
	if err != nil {
		return nil, fmt.Errorf("listing outbox: %w", err)
	}
	return es, nil
}

// GetEntry returns the entry with the given ID without Sealed; see
// outbox.Admin.
func (db *DB) GetEntry(ctx context.Context, id string) (outbox.Entry, error) {
	e, err := scanEntry(db.read.QueryRowContext(ctx, getSelect+" WHERE id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return outbox.Entry{}, fmt.Errorf("getting outbox entry %s: %w", id, outbox.ErrNotFound)
	}
	if err != nil {
		return outbox.Entry{}, fmt.Errorf("getting outbox entry %s: %w", id, err)
	}
	return e, nil
}

// Replay makes a dead entry pending again, due at at; see outbox.Admin.
func (db *DB) Replay(ctx context.Context, id string, at time.Time) error {
	return db.operate(ctx, "replaying", id, `UPDATE outbox
		SET state = 'pending', attempts = 0, next_at_us = $2, dead_reason = '', dead_us = NULL,
			lease_owner = '', lease_until_us = 0, started_us = NULL, unsure = FALSE
		WHERE id = $1 AND state = 'dead'`, atMicros(at))
}

// Drop makes an undelivered entry a dead letter, keeping its row; see
// outbox.Admin.
func (db *DB) Drop(ctx context.Context, id, reason string, at time.Time) error {
	return db.operate(ctx, "dropping", id, `UPDATE outbox
		SET state = 'dead', dead_reason = $2, dead_us = $3, sealed = NULL, lease_owner = '', lease_until_us = 0,
			started_us = NULL, unsure = FALSE
		WHERE id = $1 AND state <> 'delivered'`, outbox.DropPrefix+reason, micros(at))
}

// purgeEntriesWhere is the condition, with the cutoff as $1 and
// outbox.DropPrefix as $2, of the entries PurgeEntries deletes. The prefix
// (ASCII, so its length in bytes is in characters) is compared with
// substr rather than LIKE, which ignores case in SQLite.
var purgeEntriesWhere = fmt.Sprintf(`(state = 'delivered' AND delivered_us < $1)
	OR (state = 'dead' AND dead_us < $1 AND substr(dead_reason, 1, %d) = $2)`, len(outbox.DropPrefix))

// PurgeEntries deletes the entries delivered, or dropped, before before,
// in chunks of purgeChunk as Purge deletes calls; see outbox.Admin. It is
// not called Purge because DB has that method already, for
// janitor.Store.
func (db *DB) PurgeEntries(ctx context.Context, before time.Time) (int64, error) {
	if before.IsZero() {
		return 0, nil
	}
	// The condition is repeated outside the subquery so that on
	// PostgreSQL a row an operator replays meanwhile is rechecked once
	// locked, and kept.
	query := `DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE ` + purgeEntriesWhere + `
		LIMIT $3) AND (` + purgeEntriesWhere + `)`
	var deleted int64
	for {
		n, err := db.exec(ctx, query, micros(before), outbox.DropPrefix, purgeChunk)
		if err != nil {
			return deleted, fmt.Errorf("purging outbox entries before %s: %w", before.Format(time.RFC3339), err)
		}
		deleted += n
		if n < purgeChunk {
			return deleted, nil
		}
	}
}

// operate runs update, whose $1 is id, for an operator. It returns
// ErrWrongState if update changed no row but the entry exists,
// ErrNotFound if not.
func (db *DB) operate(ctx context.Context, op, id, update string, args ...any) error {
	n, err := db.exec(ctx, update, append([]any{id}, args...)...)
	if err != nil {
		return fmt.Errorf("%s outbox entry %s: %w", op, id, err)
	}
	if n == 1 {
		return nil
	}
	if err := db.entryExists(ctx, id); err != nil {
		return fmt.Errorf("%s outbox entry %s: %w", op, id, err)
	}
	return fmt.Errorf("%s outbox entry %s: %w", op, id, outbox.ErrWrongState)
}

// QueueStats counts the entries per state and finds the age of the oldest
// unfinished one; see outbox.Admin.
func (db *DB) QueueStats(ctx context.Context, now time.Time) (outbox.Stats, error) {
	rows, err := db.read.QueryContext(ctx, "SELECT state, COUNT(*), MIN(created_us) FROM outbox GROUP BY state")
	if err != nil {
		return outbox.Stats{}, fmt.Errorf("counting outbox: %w", err)
	}
	defer rows.Close()
	var (
		s      outbox.Stats
		oldest int64
	)
	for rows.Next() {
		var (
			state    string
			n, first int64
		)
		if err := rows.Scan(&state, &n, &first); err != nil {
			return outbox.Stats{}, fmt.Errorf("counting outbox: %w", err)
		}
		switch outbox.State(state) {
		case outbox.Pending:
			s.Pending = n
		case outbox.Inflight:
			s.Inflight = n
		case outbox.Delivered:
			s.Delivered = n
		case outbox.Dead:
			s.Dead = n
		default:
			continue
		}
		if state == string(outbox.Pending) || state == string(outbox.Inflight) {
			if oldest == 0 || first < oldest {
				oldest = first
			}
		}
	}
	if err := rows.Err(); err != nil {
		return outbox.Stats{}, fmt.Errorf("counting outbox: %w", err)
	}
	s.Depth = s.Pending + s.Inflight
	if oldest != 0 {
		s.OldestAge = max(now.Sub(fromMicros(oldest)), 0)
	}
	return s, nil
}
