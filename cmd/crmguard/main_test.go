package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestDemo runs `crmguard demo --duration 20s` as a user would and checks
// that it ends by itself with exit code 0 and that its summary shows every
// class the sample CRM injected among the recorded classes.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo runs for 20 seconds")
	}
	var out, errOut bytes.Buffer
	start := time.Now()
	code := run(context.Background(), []string{"demo", "--duration", "20s"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit code %d; want 0\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	if d := time.Since(start); d < 20*time.Second || d > 60*time.Second {
		t.Errorf("demo took %v; want it to stop by itself after about 20s", d)
	}
	text := out.String()
	for _, want := range []string{"admin API http://127.0.0.1:", "token ", "crmguard demo summary", "top open incidents", "→ "} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	// Summary rows: class, recorded, share, injected.
	row := regexp.MustCompile(`(?m)^([a-z_]+)\s+(\d+)\s+[\d.]+%\s+(\d+)`)
	rows := row.FindAllStringSubmatch(text, -1)
	if len(rows) == 0 {
		t.Fatalf("no class table in the summary:\n%s", text)
	}
	recorded := map[string]bool{}
	for _, r := range rows {
		if r[2] != "0" {
			recorded[r[1]] = true
		}
	}
	for _, r := range rows {
		if r[3] != "0" && !recorded[r[1]] {
			t.Errorf("class %s was injected %s times but not recorded", r[1], r[3])
		}
	}
	for _, class := range []string{"ok", "network", "timeout", "auth", "permission", "rate_limit", "parameter",
		"data_format", "version", "not_found", "conflict", "server", "unavailable", "canceled", "unknown"} {
		if !recorded[class] {
			t.Errorf("the demo recorded no %s call\n%s", class, text)
		}
	}
	if !strings.Contains(text, "every class the sample CRM injected was recorded") {
		t.Errorf("summary does not confirm every injected class was recorded:\n%s", text)
	}
	// The sample CRM's outages make writes fail; the queue keeps them.
	queue := regexp.MustCompile(`write queue: (\d+) failed writes kept \(202\)\s+waiting (\d+)\s+delivered (\d+)`).FindStringSubmatch(text)
	if queue == nil || queue[1] == "0" || queue[3] == "0" {
		t.Errorf("the summary does not show failed writes queued and delivered: %q\n%s", queue, text)
	}
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("store: postgres://crm:s3cret@db:5432/x\nupstreams:\n  - {name: sf, url: https://x.my.salesforce.com, dialect: salesforce}\n"), 0o600)
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("upstreams:\n  - name: sf\n    url: https://x\n    dialet: salesforce\n"), 0o600)

	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"validate", "--config", good}, &out, &errOut); code != 0 {
		t.Fatalf("validate good: exit %d: %s", code, errOut.String())
	}
	if strings.Contains(out.String(), "s3cret") || !strings.Contains(out.String(), "valid") {
		t.Errorf("validate output %q: want 'valid' and no password", out.String())
	}
	out.Reset()
	errOut.Reset()
	if code := run(context.Background(), []string{"validate", "--config", bad}, &out, &errOut); code != 1 {
		t.Fatalf("validate bad: exit %d; want 1", code)
	}
	if msg := errOut.String(); !strings.Contains(msg, "bad.yaml:4:5") || !strings.Contains(msg, `"dialet"`) {
		t.Errorf("error %q: want file:line:col and the key", msg)
	}
}

func TestServe_RefusesWithoutToken(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte("listen: 127.0.0.1:0\nadmin: {listen: 127.0.0.1:0, token_env: CRMGUARD_TEST_UNSET_TOKEN}\nstore: sqlite://"+dir+"/x.db\nupstreams:\n  - {name: sf, url: https://x.my.salesforce.com}\n"), 0o600)
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"serve", "--config", cfg}, &out, &errOut); code != 1 {
		t.Fatalf("exit %d; want 1", code)
	}
	if !strings.Contains(errOut.String(), "CRMGUARD_TEST_UNSET_TOKEN") {
		t.Errorf("error %q does not name the variable", errOut.String())
	}
}

func TestUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), nil, &out, &errOut); code != 2 {
		t.Errorf("no arguments: exit %d; want 2", code)
	}
	if code := run(context.Background(), []string{"frobnicate"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), `unknown command "frobnicate"`) {
		t.Errorf("unknown command: exit %d, %q", code, errOut.String())
	}
	if code := run(context.Background(), []string{"demo", "--duration", "-1s"}, &out, &errOut); code != 2 {
		t.Errorf("negative duration: exit %d; want 2", code)
	}
}
