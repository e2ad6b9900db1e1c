package store

import (
	"context"
	"fmt"
	"time"

	"github.com/crmguard/crmguard/internal/call"
)

// purgeChunk is how many calls one delete statement removes. Deleting in
// chunks keeps each write transaction short, so that on SQLite, where
// deletes and WriteBatch share the one write connection, recording does
// not stall behind a purge of a day's calls.
const purgeChunk = 5000

// Purge deletes the calls that started before callsBefore and the rollup
// rows of minutes before rollupsBefore, and returns how many of each it
// deleted. A zero time deletes nothing of that kind. The calls' start is
// taken from their IDs, to the millisecond.
func (db *DB) Purge(ctx context.Context, callsBefore, rollupsBefore time.Time) (calls, rollups int64, err error) {
	if !callsBefore.IsZero() {
		bound := string(call.MinID(callsBefore))
		for {
			res, err := db.write.ExecContext(ctx, `DELETE FROM calls WHERE id IN
				(SELECT id FROM calls WHERE id < $1 ORDER BY id LIMIT $2)`, bound, purgeChunk)
			if err != nil {
				return calls, 0, fmt.Errorf("purging calls before %s: %w", callsBefore.Format(time.RFC3339), err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return calls, 0, fmt.Errorf("purging calls before %s: %w", callsBefore.Format(time.RFC3339), err)
			}
			calls += n
			if n < purgeChunk {
				break
			}
		}
	}
	if !rollupsBefore.IsZero() {
		// Rollups are a few hundred rows per minute at most: one statement.
		res, err := db.write.ExecContext(ctx, `DELETE FROM rollups WHERE minute_us < $1`, micros(rollupsBefore))
		if err != nil {
			return calls, 0, fmt.Errorf("purging rollups before %s: %w", rollupsBefore.Format(time.RFC3339), err)
		}
		if rollups, err = res.RowsAffected(); err != nil {
			return calls, 0, fmt.Errorf("purging rollups before %s: %w", rollupsBefore.Format(time.RFC3339), err)
		}
	}
	return calls, rollups, nil
}
