package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Unfinished reports whether a pending or inflight entry has the given
// record key; see outbox.Queue. The outbox_record_key index answers it
// without touching finished rows.
func (db *DB) Unfinished(ctx context.Context, recordKey string) (bool, error) {
	if recordKey == "" {
		return false, nil
	}
	var one int
	err := db.read.QueryRowContext(ctx, `SELECT 1 FROM outbox
		WHERE record_key = $1 AND state IN ('pending', 'inflight') LIMIT 1`, recordKey).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("looking up queued writes of record %q: %w", recordKey, err)
	}
	return true, nil
}
