package pgtest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// ErrNotInstalled is wrapped by the error StartMain returns when no
// PostgreSQL server binaries are installed and Required is false: the
// caller should skip its PostgreSQL tests.
var ErrNotInstalled = errors.New("PostgreSQL server binaries (initdb, pg_ctl) not found in /usr/lib/postgresql/*/bin or on PATH")

// RequireEnv names the environment variable that, set to 1, turns missing
// PostgreSQL binaries from a skip into a failure, so that CI cannot pass by
// silently testing SQLite alone.
const RequireEnv = "CRMGUARD_REQUIRE_POSTGRES"

// Required reports whether missing binaries fail the tests: when RequireEnv
// is set to 1, or when running in CI (CI set, as CI runners do), where
// .ci/run installs PostgreSQL.
func Required() bool { return os.Getenv(RequireEnv) == "1" || os.Getenv("CI") != "" }

// findBin returns the directory of the newest installed initdb and pg_ctl.
// Debian installs them per major version under /usr/lib/postgresql, off
// PATH; other systems put them on PATH.
func findBin() (string, error) { return findBinIn("/usr/lib/postgresql/*/bin") }

// findBinIn looks in the directories pattern matches, whose parent is
// named by the version, and then on PATH.
func findBinIn(pattern string) (string, error) {
	dirs, _ := filepath.Glob(pattern) // the only error is a malformed pattern
	// Newest first, comparing versions as numbers: 9.6 < 10 < 15.
	slices.SortFunc(dirs, func(a, b string) int {
		return compareVersions(filepath.Base(filepath.Dir(b)), filepath.Base(filepath.Dir(a)))
	})
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		dirs = append(dirs, filepath.Dir(p))
	}
	for _, d := range dirs {
		if executable(filepath.Join(d, "initdb")) && executable(filepath.Join(d, "pg_ctl")) {
			return d, nil
		}
	}
	return "", ErrNotInstalled
}

// compareVersions compares dotted version numbers such as "9.6" and "15".
func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := range max(len(as), len(bs)) {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i]) // a non-number sorts as 0
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			return x - y
		}
	}
	return 0
}

func executable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// runner runs the server's commands as the user who may run them: initdb
// and postgres refuse to run as root, so as root they run as the postgres
// user through runuser.
type runner struct {
	runuser string     // path of runuser; "" when not root
	uid     int        // owner to give the cluster's directory
	gid     int        // its group
	user    *user.User // the postgres user; nil when not root
}

func newRunner() (runner, error) {
	if os.Geteuid() != 0 {
		return runner{uid: -1, gid: -1}, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return runner{}, fmt.Errorf("running as root needs the postgres user: %w", err)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return runner{}, fmt.Errorf("postgres uid %q: %w", u.Uid, err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return runner{}, fmt.Errorf("postgres gid %q: %w", u.Gid, err)
	}
	ru, err := exec.LookPath("runuser")
	if err != nil {
		return runner{}, fmt.Errorf("running as root needs runuser: %w", err)
	}
	return runner{runuser: ru, uid: uid, gid: gid, user: u}, nil
}

// argv returns the command line that runs name with args as the right user.
func (r runner) argv(name string, args ...string) []string {
	if r.runuser == "" {
		return append([]string{name}, args...)
	}
	return append([]string{r.runuser, "-u", r.user.Username, "--", name}, args...)
}

// command returns a command that runs name with args as the right user in
// dir, which that user can enter (postgres warns if it cannot chdir back to
// the caller's working directory).
func (r runner) command(dir, name string, args ...string) *exec.Cmd {
	argv := r.argv(name, args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	return cmd
}

// own gives path to the user the server runs as.
func (r runner) own(path string) error {
	if r.uid < 0 {
		return nil
	}
	if err := os.Chown(path, r.uid, r.gid); err != nil {
		return fmt.Errorf("giving %s to the postgres user: %w", path, err)
	}
	return nil
}
