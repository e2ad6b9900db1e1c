// Package store keeps crmguard's call records, incidents and rollups in
// SQLite (the default, a single file) or PostgreSQL (for scale), behind one
// *DB whose methods behave the same on both; storetest holds the suite that
// proves it.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/crmguard/crmguard/internal/call"
)

// DB is an open store. It is safe for concurrent use.
type DB struct {
	// write carries every write. On SQLite it has exactly one connection,
	// because SQLite allows one writer at a time and queueing in
	// database/sql is cheaper and fairer than retrying on SQLITE_BUSY.
	write *sql.DB
	// read carries every read. On SQLite it is a separate pool of
	// read-only connections, so that in WAL mode a page of calls is served
	// while a long WriteBatch holds the write connection. On PostgreSQL,
	// and for an in-memory SQLite database (which each connection would
	// otherwise see empty), it is the same pool as write.
	read    *sql.DB
	dialect dialect
}

// dialect is what differs between the backends: their name, the statements
// that cannot be written the same way for both, and the bulk insert of
// calls, which each backend does its own fastest way.
type dialect interface {
	// name returns the backend name Backend reports.
	name() string
	// greatest and least name the two-argument maximum and minimum
	// functions.
	greatest() string
	least() string
	// forUpdate is the clause that locks the rows a SELECT reads until
	// the transaction ends; SQLite needs none, its writes are serial.
	forUpdate() string
	// insertCalls inserts calls, with the parallel incident fingerprints
	// fps, inside tx.
	insertCalls(ctx context.Context, tx *sql.Tx, calls []*call.Call, fps []string) error
}

// Open connects to the store named by dsn, creating it if needed, and
// brings its schema up to date. The accepted forms are:
//
//	sqlite:///abs/path/to/file.db   an absolute path
//	sqlite://relative/path.db       a path relative to the working directory
//	sqlite::memory:                 a private in-memory database, gone on Close
//	postgres://user@host:port/db?…  PostgreSQL (also postgresql://), as pgx parses it
//
// The directory of a SQLite file is created if it is missing.
func Open(ctx context.Context, dsn string) (*DB, error) {
	var (
		db  *DB
		err error
	)
	switch {
	case dsn == "sqlite::memory:":
		db, err = openSQLite(ctx, "")
	case dsn == "sqlite://":
		return nil, errors.New("opening store: sqlite:// DSN without a path: want sqlite:///abs/path.db or sqlite://relative/path.db")
	case strings.HasPrefix(dsn, "sqlite://"):
		db, err = openSQLite(ctx, strings.TrimPrefix(dsn, "sqlite://"))
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		db, err = openPostgres(ctx, dsn)
	default:
		return nil, fmt.Errorf("opening store: unsupported DSN %q: want sqlite:///abs/path.db, sqlite://relative/path.db, sqlite::memory: or postgres://…", redact(dsn))
	}
	if err != nil {
		return nil, fmt.Errorf("opening store: %w", err)
	}
	return db, nil
}

// redact removes a password from a DSN that is quoted in an error.
func redact(dsn string) string {
	scheme, rest, ok := strings.Cut(dsn, "://")
	if !ok {
		return dsn
	}
	userinfo, host, ok := strings.Cut(rest, "@")
	if !ok {
		return dsn
	}
	if user, _, hasPass := strings.Cut(userinfo, ":"); hasPass {
		return scheme + "://" + user + ":xxxxx@" + host
	}
	return dsn
}

// Backend returns "sqlite" or "postgres".
func (db *DB) Backend() string { return db.dialect.name() }

// Ping checks that the database answers, on every pool.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.write.PingContext(ctx); err != nil {
		return fmt.Errorf("pinging %s store: %w", db.Backend(), err)
	}
	if db.read != db.write {
		if err := db.read.PingContext(ctx); err != nil {
			return fmt.Errorf("pinging %s store (read pool): %w", db.Backend(), err)
		}
	}
	return nil
}

// Close closes the database. It waits for queries in progress to finish.
func (db *DB) Close() error {
	var errs []error
	if db.read != db.write {
		errs = append(errs, db.read.Close())
	}
	errs = append(errs, db.write.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("closing %s store: %w", db.Backend(), err)
	}
	return nil
}
