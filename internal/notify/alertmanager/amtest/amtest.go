// Package amtest runs a real Alertmanager (Debian's prometheus-alertmanager)
// on loopback for tests, and reads the alerts it holds through its API v2.
package amtest

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Alert is the part of an alert in GET /api/v2/alerts that tests read.
type Alert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Status       struct {
		State string `json:"state"`
	} `json:"status"`
}

// Wait polls Alertmanager's active alerts named alertname until ok
// accepts them, and fails the test after ten seconds.
func Wait(t testing.TB, base, alertname string, ok func([]Alert) bool) []Alert {
	t.Helper()
	q := url.Values{"active": {"true"}, "filter": {`alertname="` + alertname + `"`}}
	var (
		alerts []Alert
		err    error
	)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		alerts, err = Get(base + "/api/v2/alerts?" + q.Encode())
		if err == nil && ok(alerts) {
			return alerts
		}
	}
	t.Fatalf("Alertmanager's alerts did not become as expected in 10s: last got %+v, error %v", alerts, err)
	return nil
}

// Get reads GET url, Alertmanager's alert list.
func Get(u string) ([]Alert, error) {
	resp, err := http.Get(u)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET alerts: %s", resp.Status)
	}
	var alerts []Alert
	return alerts, json.NewDecoder(resp.Body).Decode(&alerts)
}

// Start runs an Alertmanager on a free loopback port, with
// clustering off and a receiver that sends nothing, and returns its base
// URL. The process is killed when the test ends.
func Start(t testing.TB) string {
	t.Helper()
	bin := alertmanagerBinary(t)
	dir := t.TempDir()
	config := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(config, []byte("route:\n  receiver: \"null\"\nreceivers:\n  - name: \"null\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freePort(t)
	logPath := filepath.Join(dir, "alertmanager.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close() // the child holds its own descriptor
	cmd := exec.Command(bin,
		"--config.file="+config,
		"--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
		"--cluster.listen-address=", // empty: no gossip, no other ports
	)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil {
				t.Logf("Alertmanager's log:\n%s", b)
			}
		}
	})

	base := "http://" + addr
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		select {
		case err := <-exited:
			exited <- err // for the cleanup
			t.Fatalf("Alertmanager exited before it was ready: %v", err)
		default:
		}
		resp, err := http.Get(base + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
	}
	t.Fatal("Alertmanager was not ready after 20s")
	return ""
}

// alertmanagerBinary finds Alertmanager as Debian installs it
// (prometheus-alertmanager) or as upstream ships it (alertmanager).
func alertmanagerBinary(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"prometheus-alertmanager", "alertmanager"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const msg = "no Alertmanager binary on PATH (prometheus-alertmanager or alertmanager); install it, e.g. apt-get install prometheus-alertmanager"
	if os.Getenv("CI") != "" || os.Getenv("CRMGUARD_REQUIRE_ALERTMANAGER") == "1" {
		t.Fatal(msg + " (required because CI or CRMGUARD_REQUIRE_ALERTMANAGER=1 is set)")
	}
	t.Skip(msg)
	return ""
}

// freePort returns a loopback address nothing listens on at the moment.
func freePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
