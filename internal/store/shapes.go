package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/crmguard/crmguard/internal/shape"
)

// MergeShapes adds what a replica learned of an upstream's operations
// since its last call to the stored shapes, in one transaction. Shapes
// merge associatively, so replicas storing their increments in any order
// end with the shape all their traffic together gives.
func (db *DB) MergeShapes(ctx context.Context, upstream string, ops []*shape.Operation) error {
	if len(ops) == 0 {
		return nil
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("storing shapes: begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }() // a no-op after Commit
	now := micros(time.Now())
	for _, op := range ops {
		raw, err := json.Marshal(op)
		if err != nil {
			return fmt.Errorf("storing the shape of %s %s: %w", op.Method, op.Path, err)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO shapes (upstream, method, path, shape, updated_us)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (upstream, method, path) DO NOTHING`,
			upstream, op.Method, op.Path, string(raw), now)
		if err != nil {
			return fmt.Errorf("storing the shape of %s %s: %w", op.Method, op.Path, err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			continue
		}
		// Another replica stored this operation first: merge into its
		// row, locked so two replicas' merges do not lose each other.
		var stored string
		err = tx.QueryRowContext(ctx, `SELECT shape FROM shapes WHERE upstream = $1 AND method = $2 AND path = $3`+db.dialect.forUpdate(),
			upstream, op.Method, op.Path).Scan(&stored)
		if err != nil {
			return fmt.Errorf("reading the stored shape of %s %s: %w", op.Method, op.Path, err)
		}
		var merged shape.Operation
		if err := json.Unmarshal([]byte(stored), &merged); err != nil {
			return fmt.Errorf("reading the stored shape of %s %s: %w", op.Method, op.Path, err)
		}
		merged.Merge(op)
		if raw, err = json.Marshal(&merged); err != nil {
			return fmt.Errorf("storing the shape of %s %s: %w", op.Method, op.Path, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE shapes SET shape = $1, updated_us = $2 WHERE upstream = $3 AND method = $4 AND path = $5`,
			string(raw), now, upstream, op.Method, op.Path); err != nil {
			return fmt.Errorf("storing the shape of %s %s: %w", op.Method, op.Path, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("storing shapes: commit: %w", err)
	}
	return nil
}

// Shapes returns the stored shapes of an upstream's operations, ordered
// by path and method.
func (db *DB) Shapes(ctx context.Context, upstream string) ([]*shape.Operation, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT shape FROM shapes WHERE upstream = $1 ORDER BY path, method`, upstream)
	if err != nil {
		return nil, fmt.Errorf("listing shapes: %w", err)
	}
	return collect(rows, func(s scanner) (*shape.Operation, error) {
		var raw string
		if err := s.Scan(&raw); err != nil {
			return nil, err
		}
		var op shape.Operation
		if err := json.Unmarshal([]byte(raw), &op); err != nil {
			return nil, fmt.Errorf("reading a stored shape: %w", err)
		}
		return &op, nil
	})
}
