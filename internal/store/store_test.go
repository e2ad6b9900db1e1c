package store_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/crmguard/crmguard/internal/pgtest"
	"github.com/crmguard/crmguard/internal/store"
	"github.com/crmguard/crmguard/internal/store/storetest"
)

// pg is the PostgreSQL server the package's tests share, nil when none is
// installed; pgSkip then says why. One server for the package saves a
// second of start-up per test; each test still gets its own database.
var (
	pg     *pgtest.Server
	pgSkip string
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	srv, err := pgtest.StartMain()
	switch {
	case errors.Is(err, pgtest.ErrNotInstalled):
		pgSkip = fmt.Sprintf("skipping PostgreSQL: %v (set %s=1 to fail instead)", err, pgtest.RequireEnv)
	case err != nil:
		fmt.Fprintln(os.Stderr, err)
		return 1
	default:
		pg = srv
		// Deferred, so the server stops however the tests end.
		defer func() {
			if err := srv.Stop(); err != nil {
				fmt.Fprintln(os.Stderr, err)
			}
		}()
	}
	return m.Run()
}

// openSQLite opens a new SQLite store in a temporary directory.
func openSQLite(tb testing.TB) *store.DB {
	tb.Helper()
	return openDSN(tb, "sqlite://"+filepath.Join(tb.TempDir(), "crmguard.db"))
}

// openPostgres opens a store in a new database of the shared server, or
// skips tb if there is none.
func openPostgres(tb testing.TB) *store.DB {
	tb.Helper()
	if pg == nil {
		tb.Skip(pgSkip)
	}
	return openDSN(tb, pg.NewDatabase(tb))
}

// openDSN opens dsn and closes it when tb ends.
func openDSN(tb testing.TB, dsn string) *store.DB {
	tb.Helper()
	db, err := store.Open(tb.Context(), dsn)
	if err != nil {
		tb.Fatalf("Open(%q): %v", dsn, err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return db
}

func TestConformance_SQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) *store.DB { return openSQLite(t) })
}

func TestConformance_SQLiteMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) *store.DB { return openDSN(t, "sqlite::memory:") })
}

func TestConformance_Postgres(t *testing.T) {
	storetest.Run(t, func(t *testing.T) *store.DB { return openPostgres(t) })
}
