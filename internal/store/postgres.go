package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// postgresConns bounds the connections one crmguard process opens. The
// recorder writes from one goroutine and the console reads a page at a
// time; more connections would only take server slots other replicas need.
const postgresConns = 8

// openPostgres connects to the PostgreSQL database named by dsn. The pool is
// database/sql over pgx, so that the queries, goose and the tests are
// shared with SQLite; pgx still caches prepared statements per connection
// and encodes Go slices as arrays for the bulk insert.
func openPostgres(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parsing postgres DSN: %w", err)
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(postgresConns)
	db.SetMaxIdleConns(postgresConns)
	// Recycling connections now and then lets a fail-over or a pgbouncer
	// restart rebalance them.
	db.SetConnMaxLifetime(30 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("connecting to postgres %s:%d/%s: %w", cfg.Host, cfg.Port, cfg.Database, err)
	}
	if err := migrate(ctx, db, "postgres"); err != nil {
		_ = db.Close()
		return nil, err
	}
	return &DB{write: db, read: db, dialect: postgresDialect{}}, nil
}
