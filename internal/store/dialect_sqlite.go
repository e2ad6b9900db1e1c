package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/crmguard/crmguard/internal/call"
)

// sqliteChunk is how many calls one INSERT statement carries on SQLite.
// Multi-row inserts cut the per-statement overhead of database/sql and the
// driver, which dominates for small rows; 50 rows are 1,050 parameters,
// far below SQLite's limit of 32,766.
const sqliteChunk = 50

// sqliteDialect is the SQL that SQLite writes its own way.
type sqliteDialect struct{}

func (sqliteDialect) name() string      { return "sqlite" }
func (sqliteDialect) greatest() string  { return "max" }
func (sqliteDialect) least() string     { return "min" }
func (sqliteDialect) forUpdate() string { return "" }

// insertCalls inserts calls in statements of sqliteChunk rows, prepared
// once per transaction for the full chunks.
func (sqliteDialect) insertCalls(ctx context.Context, tx *sql.Tx, calls []*call.Call, fps []string) error {
	var full *sql.Stmt
	if len(calls) >= sqliteChunk {
		var err error
		full, err = tx.PrepareContext(ctx, insertCallsSQL(sqliteChunk))
		if err != nil {
			return fmt.Errorf("preparing: %w", err)
		}
		defer full.Close()
	}
	args := make([]any, 0, sqliteChunk*numCallInsertColumns)
	for start := 0; start < len(calls); start += sqliteChunk {
		end := min(start+sqliteChunk, len(calls))
		args = args[:0]
		for i := start; i < end; i++ {
			args = append(args, callArgs(calls[i], fps[i])...)
		}
		var err error
		if end-start == sqliteChunk {
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, insertCallsSQL(end-start), args...)
		}
		if err != nil {
			return fmt.Errorf("calls %s…%s: %w", calls[start].ID, calls[end-1].ID, err)
		}
	}
	return nil
}

// insertCallsSQL returns an INSERT of n calls. It uses anonymous "?"
// parameters, unlike the rest of the package: the driver looks up every
// parameter's name, which SQLite finds by a linear scan of the statement's
// named parameters, so a thousand "$n" cost a quadratic half of the
// insert's time.
func insertCallsSQL(n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO calls (")
	b.WriteString(callInsertColumns)
	b.WriteString(") VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for j := range numCallInsertColumns {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('?')
		}
		b.WriteByte(')')
	}
	return b.String()
}
