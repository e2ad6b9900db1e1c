package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/quantile"
	"github.com/crmguard/crmguard/internal/rollup"
)

// insertRollups adds rows inside tx. Rows are additive (see rollup.Row), so
// each is a new row even if one with the same key and minute exists; a
// writer flushes a few hundred per minute at most, so one prepared
// statement per row is fast enough.
func insertRollups(ctx context.Context, tx *sql.Tx, rows []rollup.Row) error {
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO rollups
		(minute_us, upstream, operation, class, calls, latency_sum_us, latency_max_us, latency_sketch)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`)
	if err != nil {
		return fmt.Errorf("preparing: %w", err)
	}
	defer stmt.Close()
	for i := range rows {
		r := &rows[i]
		sketch := ""
		if r.Latency != nil {
			sketch = r.Latency.String()
		}
		_, err := stmt.ExecContext(ctx, micros(r.Minute), r.Upstream, r.Operation, r.Class.String(),
			r.Calls, durMicros(r.LatencySum), durMicros(r.LatencyMax), sketch)
		if err != nil {
			return fmt.Errorf("rollup %s %s %s at %s: %w", r.Upstream, r.Operation, r.Class,
				r.Minute.Format(time.RFC3339), err)
		}
	}
	return nil
}

// Rollups returns the stored rollup rows whose minute is in [since, until),
// by minute and then in the order they were stored. Rows are returned as
// stored, not merged: callers add up rows of one key (rollup.Summarize
// does). Latency is never nil on the rows returned.
func (db *DB) Rollups(ctx context.Context, since, until time.Time) ([]rollup.Row, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT minute_us, upstream, operation, class, calls,
		latency_sum_us, latency_max_us, latency_sketch
		FROM rollups WHERE minute_us >= $1 AND minute_us < $2 ORDER BY minute_us, id`,
		micros(since), micros(until))
	if err != nil {
		return nil, fmt.Errorf("reading rollups: %w", err)
	}
	defer rows.Close()
	var out []rollup.Row
	for rows.Next() {
		var (
			r                 rollup.Row
			minute, sum, maxi int64
			class, sketch     string
		)
		if err := rows.Scan(&minute, &r.Upstream, &r.Operation, &class, &r.Calls, &sum, &maxi, &sketch); err != nil {
			return nil, fmt.Errorf("reading rollups: %w", err)
		}
		r.Minute, r.LatencySum, r.LatencyMax = fromMicros(minute), fromDurMicros(sum), fromDurMicros(maxi)
		if r.Class, err = fault.Parse(class); err != nil {
			return nil, fmt.Errorf("reading rollups: %w", err)
		}
		if r.Latency, err = quantile.Parse(sketch); err != nil {
			return nil, fmt.Errorf("reading rollups: latency sketch: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading rollups: %w", err)
	}
	return out, nil
}
