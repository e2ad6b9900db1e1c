package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	// The pure-Go SQLite driver registers itself as "sqlite"; no cgo.
	_ "modernc.org/sqlite"
)

// sqliteParams configure every connection. busy_timeout makes a connection
// wait for a lock another process (a backup, the sqlite3 shell) holds
// instead of failing at once; WAL lets readers run beside the writer;
// synchronous=FULL syncs the log on every commit, so a write the queue
// acknowledged survives a power loss, not only a crash of crmguard (call
// records are written in batches, so the sync costs them little; a queued
// write pays one sync, about 0.5 ms here); foreign_keys is off by default
// in SQLite.
const sqliteParams = "_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)&_pragma=temp_store(MEMORY)"

// openSQLite opens the SQLite database at path, or a private in-memory one
// if path is "".
func openSQLite(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return openSQLiteMemory(ctx)
	}
	// The driver takes everything after the first '?' as its parameters.
	if strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("sqlite path %q: must not contain '?'", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite path %q: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o750); err != nil {
		return nil, fmt.Errorf("creating directory for %s: %w", abs, err)
	}

	// BEGIN IMMEDIATE takes the write lock when the transaction starts,
	// so a transaction never fails half-way with SQLITE_BUSY when another
	// process wrote meanwhile: it waits under busy_timeout instead.
	write, err := sql.Open("sqlite", abs+"?"+sqliteParams+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", abs, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	if err := migrate(ctx, write, "sqlite"); err != nil {
		_ = write.Close()
		return nil, fmt.Errorf("%s: %w", abs, err)
	}

	// Opened after migrating, so the file exists and is already in WAL
	// mode. query_only guards against a write slipping onto a read
	// connection, where it would race the writer for the lock.
	read, err := sql.Open("sqlite", abs+"?"+sqliteParams+"&_query_only=1")
	if err != nil {
		_ = write.Close()
		return nil, fmt.Errorf("opening %s for reading: %w", abs, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	return &DB{write: write, read: read, dialect: sqliteDialect{}}, nil
}

// openSQLiteMemory opens a private in-memory database. Every connection to
// ":memory:" is a database of its own, so one connection that is never
// closed serves reads and writes alike.
func openSQLiteMemory(ctx context.Context) (*DB, error) {
	db, err := sql.Open("sqlite", ":memory:?_pragma=foreign_keys(1)")
	if err != nil {
		return nil, fmt.Errorf("opening in-memory sqlite: %w", err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := migrate(ctx, db, "sqlite"); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("in-memory sqlite: %w", err)
	}
	return &DB{write: db, read: db, dialect: sqliteDialect{}}, nil
}
