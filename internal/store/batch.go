package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/crmguard/crmguard/internal/admin"
	"github.com/crmguard/crmguard/internal/incident"
	"github.com/crmguard/crmguard/internal/janitor"
	"github.com/crmguard/crmguard/internal/outbox"
	"github.com/crmguard/crmguard/internal/recorder"
)

// *DB is the store every service reads and writes through.
var (
	_ recorder.Writer = (*DB)(nil)
	_ admin.Store     = (*DB)(nil)
	_ janitor.Store   = (*DB)(nil)
	_ outbox.Queue    = (*DB)(nil)
	_ outbox.Admin    = (*DB)(nil)
)

// WriteBatch stores b in one transaction: all of it or none of it, so
// rollups and incidents never count calls that were not stored. Calls are
// inserted (an ID that is already stored is an error), rollup rows are added as new rows, and
// each incident occurrence creates its incident or is added to it; see
// incidents.go for how. It may be called from several goroutines; on
// SQLite the batches are written one after another.
func (db *DB) WriteBatch(ctx context.Context, b recorder.Batch) error {
	if len(b.Fingerprints) != 0 && len(b.Fingerprints) != len(b.Calls) {
		return fmt.Errorf("writing batch: %d fingerprints for %d calls", len(b.Fingerprints), len(b.Calls))
	}
	if slices.Contains(b.Calls, nil) {
		return errors.New("writing batch: nil call")
	}
	if len(b.Calls) == 0 && len(b.Rollups) == 0 && len(b.Incidents) == 0 {
		return nil
	}
	fps := b.Fingerprints
	if len(fps) == 0 {
		fps = make([]string, len(b.Calls))
	}

	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("writing batch: begin: %w", err)
	}
	if err := db.writeBatch(ctx, tx, b, fps); err != nil {
		_ = tx.Rollback() // the write error is the one to report
		return fmt.Errorf("writing batch of %d calls: %w", len(b.Calls), err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("writing batch of %d calls: commit: %w", len(b.Calls), err)
	}
	return nil
}

func (db *DB) writeBatch(ctx context.Context, tx *sql.Tx, b recorder.Batch, fps []string) error {
	if len(b.Calls) > 0 {
		if err := db.dialect.insertCalls(ctx, tx, b.Calls, fps); err != nil {
			return fmt.Errorf("inserting calls: %w", err)
		}
	}
	if len(b.Rollups) > 0 {
		if err := insertRollups(ctx, tx, b.Rollups); err != nil {
			return fmt.Errorf("inserting rollups: %w", err)
		}
	}
	if len(b.Incidents) > 0 {
		// Upserting in fingerprint order means two concurrent batches on
		// PostgreSQL lock the incident rows they share in the same order
		// and cannot deadlock.
		occs := slices.Clone(b.Incidents)
		slices.SortStableFunc(occs, func(a, b incident.Occurrence) int {
			return strings.Compare(a.Fingerprint, b.Fingerprint)
		})
		if err := db.upsertIncidents(ctx, tx, occs); err != nil {
			return fmt.Errorf("recording incidents: %w", err)
		}
	}
	return nil
}
