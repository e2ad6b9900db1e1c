package pgtest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestStart(t *testing.T) {
	s := Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	conn, err := pgx.Connect(ctx, s.DSN())
	if err != nil {
		t.Fatalf("connecting to %s: %v", s.DSN(), err)
	}
	defer conn.Close(ctx)
	checks := []struct {
		name, query, want string
	}{
		{"database", "SELECT current_database()", database},
		{"loopback only", "SHOW listen_addresses", "127.0.0.1"},
		{"no fsync", "SHOW fsync", "off"},
		{"socket in the private directory", "SHOW unix_socket_directories", s.dir},
		{"encoding", "SHOW server_encoding", "UTF8"},
	}
	for _, tc := range checks {
		t.Run(tc.name, func(t *testing.T) {
			var got string
			if err := conn.QueryRow(ctx, tc.query).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("%s = %q; want %q", tc.query, got, tc.want)
			}
		})
	}
}

func TestServer_NewDatabase(t *testing.T) {
	s := Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	var dsns [2]string
	for i := range dsns {
		dsns[i] = s.NewDatabase(t)
	}
	if dsns[0] == dsns[1] {
		t.Fatalf("NewDatabase returned %s twice", dsns[0])
	}
	a, err := pgx.Connect(ctx, dsns[0])
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(ctx)
	if _, err := a.Exec(ctx, "CREATE TABLE only_in_a (x int)"); err != nil {
		t.Fatal(err)
	}
	b, err := pgx.Connect(ctx, dsns[1])
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close(ctx)
	var n int
	if err := b.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("a table created in one new database is visible in another")
	}
}

func TestServer_Stop(t *testing.T) {
	s := Start(t)
	dsn := s.DSN()
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if _, err := os.Stat(s.dir); !os.IsNotExist(err) {
		t.Errorf("directory %s still there after Stop (stat: %v)", s.dir, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if conn, err := pgx.Connect(ctx, dsn); err == nil {
		_ = conn.Close(ctx)
		t.Errorf("server still answers at %s after Stop", dsn)
	}
}

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int // sign only
	}{
		{"15", "15", 0},
		{"9.6", "10", -1},
		{"16", "15", 1},
		{"15.2", "15", 1},
	}
	for _, tc := range tests {
		t.Run(tc.a+" vs "+tc.b, func(t *testing.T) {
			got := compareVersions(tc.a, tc.b)
			if sign(got) != tc.want {
				t.Errorf("compareVersions(%q, %q) = %d; want sign %d", tc.a, tc.b, got, tc.want)
			}
		})
	}
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

func TestFindBin(t *testing.T) {
	dir, err := findBin()
	if err != nil {
		if Required() {
			t.Fatalf("findBin: %v", err)
		}
		t.Skipf("no PostgreSQL installed: %v", err)
	}
	for _, name := range []string{"initdb", "pg_ctl"} {
		if !executable(filepath.Join(dir, name)) {
			t.Errorf("%s has no executable %s", dir, name)
		}
	}
}

func TestFindBinIn(t *testing.T) {
	t.Setenv("PATH", "") // only the pattern counts
	root := t.TempDir()
	for _, v := range []string{"9.6", "15", "16"} {
		bin := filepath.Join(root, v, "bin")
		if err := os.MkdirAll(bin, 0o755); err != nil {
			t.Fatal(err)
		}
		names := []string{"initdb", "pg_ctl"}
		if v == "16" {
			names = names[:1] // incomplete: not a candidate
		}
		for _, name := range names {
			if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		name    string
		pattern string
		want    string
		wantErr error
	}{
		{"newest complete version", filepath.Join(root, "*", "bin"), filepath.Join(root, "15", "bin"), nil},
		{"none installed", filepath.Join(root, "nothing", "*", "bin"), "", ErrNotInstalled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := findBinIn(tc.pattern)
			if got != tc.want || !errors.Is(err, tc.wantErr) {
				t.Errorf("findBinIn(%q) = %q, %v; want %q, %v", tc.pattern, got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestStartMain_NotInstalled(t *testing.T) {
	missing := func() (string, error) { return "", ErrNotInstalled }
	tests := []struct {
		name     string
		require  string
		ci       string
		wantSkip bool // the error wraps ErrNotInstalled
	}{
		{"skip by default", "", "", true},
		{"fail when required", "1", "", false},
		{"skip unless exactly 1", "yes", "", true},
		{"fail in CI", "", "true", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(RequireEnv, tc.require)
			t.Setenv("CI", tc.ci)
			s, err := startWith(missing)
			if s != nil || err == nil {
				t.Fatalf("startWith(missing) = %v, %v; want nil and an error", s, err)
			}
			if got := errors.Is(err, ErrNotInstalled); got != tc.wantSkip {
				t.Errorf("errors.Is(%v, ErrNotInstalled) = %v; want %v", err, got, tc.wantSkip)
			}
		})
	}
}
