// Package acceptance runs the whole of crmguard in-process, built from a
// YAML configuration exactly as `crmguard serve` builds it, in front of real
// HTTP servers on loopback, and checks what integrations and operators see.
package acceptance

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/app"
	"github.com/crmguard/crmguard/internal/config"
)

const token = "acceptance-test-token-0123456789"

// instance is a running crmguard.
type instance struct {
	app     *app.App
	gateway string // http://host:port
	admin   string
}

// start loads yaml (with ${DIR} replaced by a temporary directory) the way
// `crmguard serve` does, and runs crmguard until the test ends.
func start(t *testing.T, yaml string) *instance { return serve(t, build(t, yaml)) }

// build makes crmguard from yaml (with ${DIR} replaced by a temporary
// directory) the way `crmguard serve` does, without serving yet: a test may
// prepare its store first. serve runs it, or the caller closes it.
func build(tb testing.TB, yaml string) *app.App {
	tb.Helper()
	yaml = strings.ReplaceAll(yaml, "${DIR}", tb.TempDir())
	cfg, err := config.Load("crmguard.yaml", []byte(yaml))
	if err != nil {
		tb.Fatalf("loading config: %v", err)
	}
	env := map[string]string{cfg.Admin.TokenEnv: token}
	a, err := app.New(context.Background(), cfg, app.Options{Getenv: func(k string) string { return env[k] }})
	if err != nil {
		tb.Fatalf("app.New: %v", err)
	}
	return a
}

// serve runs a until the test ends.
func serve(tb testing.TB, a *app.App) *instance {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("crmguard stopped with: %v", err)
		}
	})
	return &instance{app: a, gateway: "http://" + a.GatewayAddr(), admin: "http://" + a.AdminAddr()}
}

// sync waits until every call so far is in the store.
func (in *instance) sync(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := in.app.Recorder.Sync(ctx); err != nil {
		t.Fatalf("recorder sync: %v", err)
	}
}

// api GETs an admin API path with the token and decodes the JSON answer.
func (in *instance) api(t *testing.T, method, path string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, in.admin+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("%s %s: decoding %q: %v", method, path, body, err)
		}
	}
	return resp.StatusCode
}

// mustRun reports whether a missing external tool fails the test instead of
// skipping it: in CI everything the tests need is installed.
func mustRun() bool {
	return os.Getenv("CI") != "" || os.Getenv("CRMGUARD_REQUIRE_TOOLS") == "1"
}
