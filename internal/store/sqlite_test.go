package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/call"
	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/recorder"
)

// TestSQLite_ReadsDuringWrite checks the reason for the separate read
// pool: while a write transaction holds the one write connection, reads
// go on and see the last committed state.
func TestSQLite_ReadsDuringWrite(t *testing.T) {
	ctx := t.Context()
	db, err := Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "crmguard.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	g := call.NewGenerator()
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	committed := &call.Call{ID: g.New(at), Start: at, Class: fault.OK}
	if err := db.WriteBatch(ctx, recorder.Batch{Calls: []*call.Call{committed}}); err != nil {
		t.Fatal(err)
	}

	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	pending := &call.Call{ID: g.New(at.Add(time.Second)), Start: at.Add(time.Second), Class: fault.OK}
	if err := db.dialect.insertCalls(ctx, tx, []*call.Call{pending}, []string{""}); err != nil {
		t.Fatal(err)
	}

	rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	calls, _, err := db.ListCalls(rctx, call.Query{})
	if err != nil {
		t.Fatalf("ListCalls while a write transaction is open: %v", err)
	}
	if len(calls) != 1 || calls[0].ID != committed.ID {
		t.Errorf("ListCalls during the write = %d calls; want only the committed one", len(calls))
	}
}

// TestSQLite_ReadPoolIsReadOnly checks that a write cannot slip onto a
// read connection, where it would compete with the writer for the lock.
func TestSQLite_ReadPoolIsReadOnly(t *testing.T) {
	db, err := Open(t.Context(), "sqlite://"+filepath.Join(t.TempDir(), "crmguard.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.read.ExecContext(t.Context(), "DELETE FROM calls"); err == nil {
		t.Error("a write on the read pool succeeded; want an error")
	}
}

// TestSQLite_Pragmas checks the settings every write connection must have.
func TestSQLite_Pragmas(t *testing.T) {
	db, err := Open(t.Context(), "sqlite://"+filepath.Join(t.TempDir(), "crmguard.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tests := []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"synchronous", "2"}, // FULL: an acknowledged queued write survives power loss
		{"foreign_keys", "1"},
		{"busy_timeout", "5000"},
		{"temp_store", "2"}, // MEMORY
	}
	for _, tc := range tests {
		t.Run(tc.pragma, func(t *testing.T) {
			var got string
			if err := db.write.QueryRowContext(t.Context(), "PRAGMA "+tc.pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("PRAGMA %s = %s; want %s", tc.pragma, got, tc.want)
			}
		})
	}
}
