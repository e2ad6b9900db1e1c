// Package pgtest starts a throwaway PostgreSQL server for tests, from the
// binaries installed on the machine: a fresh cluster in a temporary
// directory, listening only on 127.0.0.1 at a free port, stopped and
// deleted when the test or test package ends.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server is a running throwaway PostgreSQL server.
type Server struct {
	bin  string // directory of initdb and pg_ctl
	dir  string // temporary directory holding data, socket and log
	port int
	run  runner

	reaper *exec.Cmd // stops the server if this process dies without Stop

	mu  sync.Mutex
	seq int // numbers the databases NewDatabase creates

	stopOnce sync.Once
	stopErr  error
}

// database is the name of the database created at start, which DSN names.
const database = "crmguard"

// Start starts a server for the test tb and stops it when tb ends, also
// when tb fails. If no PostgreSQL binaries are installed it skips tb, or
// fails it if CRMGUARD_REQUIRE_POSTGRES=1.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s, err := StartMain()
	if errors.Is(err, ErrNotInstalled) {
		tb.Skipf("skipping PostgreSQL test: %v (set %s=1 to make this a failure)", err, RequireEnv)
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Stop(); err != nil {
			tb.Errorf("stopping test PostgreSQL: %v", err)
		}
	})
	return s
}

// StartMain starts a server for a whole test package; call it from
// TestMain and call Stop after m.Run. If no PostgreSQL binaries are
// installed, the error wraps ErrNotInstalled and the caller should skip
// its PostgreSQL tests, unless CRMGUARD_REQUIRE_POSTGRES=1, when the error
// does not wrap it and the caller should fail.
//
// Should the test process die without calling Stop (a panic in a test, a
// timeout), a watchdog process stops the server and deletes its directory
// within about a second.
func StartMain() (*Server, error) { return startWith(findBin) }

// startWith is StartMain with the search for the binaries passed in, so
// that tests can pretend they are missing.
func startWith(findBin func() (string, error)) (*Server, error) {
	bin, err := findBin()
	if err != nil {
		if Required() {
			// %v, not %w: the error must not match ErrNotInstalled,
			// which tells the caller to skip.
			return nil, fmt.Errorf("PostgreSQL is required here (%s=1 or CI set) but %v", RequireEnv, err)
		}
		return nil, err
	}
	run, err := newRunner()
	if err != nil {
		return nil, fmt.Errorf("starting test PostgreSQL: %w", err)
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, fmt.Errorf("starting test PostgreSQL: %w", err)
	}
	s := &Server{bin: bin, dir: dir, run: run}
	if err := s.start(); err != nil {
		_ = s.Stop() // the start error is the one to report
		return nil, fmt.Errorf("starting test PostgreSQL from %s: %w", bin, err)
	}
	return s, nil
}

func (s *Server) dataDir() string { return filepath.Join(s.dir, "data") }
func (s *Server) logFile() string { return filepath.Join(s.dir, "postgres.log") }

func (s *Server) start() error {
	if err := s.run.own(s.dir); err != nil {
		return err
	}
	// --no-sync and fsync=off: a test cluster need not survive a crash,
	// and syncing costs seconds. --no-locale keeps initdb independent of
	// the machine's locale settings (it fails if LANG names a locale whose
	// encoding is not UTF8).
	initdb := s.run.command(s.dir, filepath.Join(s.bin, "initdb"), "-D", s.dataDir(),
		"-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--no-locale")
	if out, err := initdb.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %w\n%s", err, out)
	}
	if err := s.startReaper(); err != nil {
		return err
	}
	// The port is free when chosen but may be taken before the server
	// binds it; try another a few times.
	var err error
	for range 3 {
		if s.port, err = freePort(); err != nil {
			return err
		}
		if err = s.pgCtlStart(); err == nil {
			break
		}
	}
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.waitReady(ctx); err != nil {
		return err
	}
	return s.createDatabase(ctx, database)
}

// pgCtlStart starts the server and waits (bounded) until it accepts
// connections. listen_addresses keeps it off every interface but loopback;
// the socket goes into the private directory, not /var/run/postgresql.
func (s *Server) pgCtlStart() error {
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -c fsync=off -c unix_socket_directories='%s'", s.port, s.dir)
	cmd := s.run.command(s.dir, filepath.Join(s.bin, "pg_ctl"), "start", "-D", s.dataDir(),
		"-w", "-t", "60", "-l", s.logFile(), "-o", opts)
	if out, err := cmd.CombinedOutput(); err != nil {
		log, _ := os.ReadFile(s.logFile()) // best effort: it helps to see why
		return fmt.Errorf("pg_ctl start on port %d: %w\n%s\n%s", s.port, err, out, log)
	}
	return nil
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitReady connects until the server answers over TCP or ctx ends.
func (s *Server) waitReady(ctx context.Context) error {
	for {
		conn, err := pgx.Connect(ctx, s.dsnFor("postgres"))
		if err == nil {
			return conn.Close(ctx)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for PostgreSQL on port %d: %w", s.port, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// startReaper starts a shell that waits for this process to exit and then
// stops the server and deletes its directory. It runs in its own process
// group so that a Ctrl-C aimed at the test process does not also kill it.
// Stop kills it first.
func (s *Server) startReaper() error {
	const script = `pid=$1; dir=$2; shift 2
while kill -0 "$pid" 2>/dev/null; do sleep 1; done
"$@" >/dev/null 2>&1
rm -rf "$dir"`
	args := append([]string{"-c", script, "pgtest-reaper", strconv.Itoa(os.Getpid()), s.dir}, s.stopArgv()...)
	cmd := exec.Command("/bin/sh", args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting watchdog: %w", err)
	}
	s.reaper = cmd
	return nil
}

// stopArgv is the command that stops the server at once. Immediate mode
// skips the shutdown checkpoint: the data is thrown away anyway.
func (s *Server) stopArgv() []string {
	return s.run.argv(filepath.Join(s.bin, "pg_ctl"), "stop", "-D", s.dataDir(), "-m", "immediate", "-w")
}

// Stop stops the server and deletes its directory. It may be called more
// than once; later calls return the first call's result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		var errs []error
		if s.reaper != nil {
			_ = s.reaper.Process.Kill() // it may have exited; nothing to do then
			_ = s.reaper.Wait()         // reports the kill, which is expected
		}
		if _, err := os.Stat(filepath.Join(s.dataDir(), "postmaster.pid")); err == nil {
			argv := s.stopArgv()
			cmd := exec.Command(argv[0], argv[1:]...)
			cmd.Dir = s.dir
			if out, err := cmd.CombinedOutput(); err != nil {
				errs = append(errs, fmt.Errorf("pg_ctl stop: %w\n%s", err, out))
			}
		}
		if err := os.RemoveAll(s.dir); err != nil {
			errs = append(errs, err)
		}
		s.stopErr = errors.Join(errs...)
	})
	return s.stopErr
}

// DSN returns the URL of the database created at start, as user postgres
// (trusted, no password) over TCP to 127.0.0.1.
func (s *Server) DSN() string { return s.dsnFor(database) }

func (s *Server) dsnFor(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.port, db)
}

// NewDatabase creates an empty database of its own for tb and returns its
// DSN; the database is dropped when tb ends. Tests that must not see each
// other's rows each take one.
func (s *Server) NewDatabase(tb testing.TB) string {
	tb.Helper()
	s.mu.Lock()
	s.seq++
	name := fmt.Sprintf("test_%d", s.seq)
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.createDatabase(ctx, name); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// FORCE ends connections a test left open, which would otherwise
		// make the drop fail.
		if err := s.exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("dropping test database: %v", err)
		}
	})
	return s.dsnFor(name)
}

func (s *Server) createDatabase(ctx context.Context, name string) error {
	if err := s.exec(ctx, "CREATE DATABASE "+name); err != nil {
		return fmt.Errorf("creating test database: %w", err)
	}
	return nil
}

// exec runs one statement in the postgres database.
func (s *Server) exec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, s.dsnFor("postgres"))
	if err != nil {
		return fmt.Errorf("connecting to test PostgreSQL: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("%s: %w", sql, err)
	}
	return nil
}
