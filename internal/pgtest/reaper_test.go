package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// orphanEnv makes the test binary start a server and exit without Stop, as
// a test process that panics or times out would.
const orphanEnv = "PGTEST_ORPHAN"

func TestStartMain_WatchdogStopsOrphan(t *testing.T) {
	if os.Getenv(orphanEnv) == "1" {
		s, err := StartMain()
		if err != nil {
			fmt.Println("error", err)
			os.Exit(2)
		}
		fmt.Println(s.dir, s.DSN())
		os.Exit(0) // deliberately without Stop
	}
	if _, err := findBin(); errors.Is(err, ErrNotInstalled) && !Required() {
		t.Skip(err)
	}

	cmd := exec.Command(os.Args[0], "-test.run=^TestStartMain_WatchdogStopsOrphan$")
	cmd.Env = append(os.Environ(), orphanEnv+"=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	dir, dsn, ok := strings.Cut(strings.TrimSpace(string(out)), " ")
	if !ok || !strings.HasPrefix(dir, os.TempDir()) {
		t.Fatalf("child printed %q; want the directory and DSN", out)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, err := os.Stat(dir)
		if os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("directory %s of the orphaned server still there after 20s", dir)
		}
		time.Sleep(100 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if conn, err := pgx.Connect(ctx, dsn); err == nil {
		_ = conn.Close(ctx)
		t.Errorf("orphaned server still answers at %s", dsn)
	}
}
