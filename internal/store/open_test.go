package store_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/call"
	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/recorder"
	"github.com/crmguard/crmguard/internal/store"
)

func TestOpen_SQLiteForms(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	tests := []struct {
		name string
		dsn  string
		file string // the file Open must create; "" for none
	}{
		{"absolute path, missing directories", "sqlite://" + filepath.Join(dir, "a", "b", "abs.db"), filepath.Join(dir, "a", "b", "abs.db")},
		{"relative path", "sqlite://rel/x.db", filepath.Join(dir, "rel", "x.db")},
		{"in memory", "sqlite::memory:", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := openDSN(t, tc.dsn)
			if got := db.Backend(); got != "sqlite" {
				t.Errorf("Backend() = %q; want sqlite", got)
			}
			if err := db.Ping(t.Context()); err != nil {
				t.Errorf("Ping: %v", err)
			}
			if tc.file != "" {
				if _, err := os.Stat(tc.file); err != nil {
					t.Errorf("database file: %v", err)
				}
			}
		})
	}
}

func TestOpen_Postgres(t *testing.T) {
	if pg == nil {
		t.Skip(pgSkip)
	}
	dsn := pg.NewDatabase(t)
	for _, scheme := range []string{"postgres://", "postgresql://"} {
		t.Run(scheme, func(t *testing.T) {
			db := openDSN(t, scheme+strings.TrimPrefix(dsn, "postgres://"))
			if got := db.Backend(); got != "postgres" {
				t.Errorf("Backend() = %q; want postgres", got)
			}
			if err := db.Ping(t.Context()); err != nil {
				t.Errorf("Ping: %v", err)
			}
		})
	}
}

func TestOpen_Errors(t *testing.T) {
	tests := []struct {
		name    string
		dsn     string
		want    string // in the error
		notWant string // not in the error
	}{
		{"empty", "", "sqlite:///abs/path.db", ""},
		{"unknown scheme", "mysql://u:hunter2@host/db", "postgres://", "hunter2"},
		{"bare path", "/var/lib/crmguard.db", "sqlite://relative/path.db", ""},
		{"sqlite without path", "sqlite://", "sqlite", ""},
		{"question mark in path", "sqlite:///tmp/a?b.db", "'?'", ""},
		{"postgres not listening", "postgres://crm:hunter2@127.0.0.1:1/crm?connect_timeout=5", "postgres", "hunter2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db, err := store.Open(t.Context(), tc.dsn)
			if err == nil {
				db.Close()
				t.Fatalf("Open(%q) succeeded; want an error", tc.dsn)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Open(%q) error %q does not mention %q", tc.dsn, err, tc.want)
			}
			if tc.notWant != "" && strings.Contains(err.Error(), tc.notWant) {
				t.Errorf("Open(%q) error %q reveals %q", tc.dsn, err, tc.notWant)
			}
		})
	}
}

// TestOpen_Reopen checks that data survives closing and that migrating an
// up-to-date database again is harmless.
func TestOpen_Reopen(t *testing.T) {
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "crmguard.db")
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	c := &call.Call{ID: call.NewGenerator().New(at), Start: at, Upstream: "sf", Class: fault.Auth}

	db, err := store.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.WriteBatch(t.Context(), recorder.Batch{Calls: []*call.Call{c}}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = openDSN(t, dsn)
	got, err := db.GetCall(t.Context(), c.ID)
	if err != nil {
		t.Fatalf("GetCall after reopening: %v", err)
	}
	if got.Upstream != "sf" || got.Class != fault.Auth || !got.Start.Equal(at) {
		t.Errorf("GetCall after reopening = %+v; want %+v", got, c)
	}
}
