package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// migrations holds one directory of numbered goose files per backend; the
// SQL differs enough (types, identity columns, collation) that sharing
// files would cost more than it saves.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrations embed.FS

// migrate applies the backend's pending migrations to db.
func migrate(ctx context.Context, db *sql.DB, backend string) error {
	fsys, err := fs.Sub(migrations, "migrations/"+backend)
	if err != nil {
		return fmt.Errorf("migrations for %s: %w", backend, err)
	}
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	dialect := goose.DialectSQLite3
	if backend == "postgres" {
		dialect = goose.DialectPostgres
		// Several crmguard replicas may start at once against one
		// database; an advisory lock makes the others wait for the first
		// to finish migrating. SQLite needs none: one file, one writer.
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return fmt.Errorf("migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, db, fsys, opts...)
	if err != nil {
		return fmt.Errorf("loading %s migrations: %w", backend, err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrating %s schema: %w", backend, err)
	}
	return nil
}
