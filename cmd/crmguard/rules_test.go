package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// rulesConfig has a rule of every condition kind crmguard can export.
const rulesConfig = `
upstreams:
  - {name: sf, url: "https://example.my.salesforce.com", dialect: salesforce}
alerts:
  rules:
    - name: sf-auth-failures
      when: {upstream: sf, class: auth, rate_over: 5m, min_calls: 10, above: 0.05}
      for: 2m
      severity: critical
      labels: {team: crm}
    - {name: failed-share, when: {class: failed, rate_over: 10m, above: "20%"}}
    - {name: many-timeouts, when: {class: timeout, count_over: 10m, above: 100}}
    - {name: crm-slow, when: {latency: p95, over: 5m, above: 3s}}
    - {name: crm-slow-mean, when: {latency: mean, over: 90s, above: 1500ms}}
    - {name: crm-slow-max, when: {latency: max, over: 5m, above: 30s}}
    - {name: breaker-open, when: {breaker: open}, for: 1m}
    - {name: queue-backlog, when: {queue: oldest_age, above: 10m}}
    - {name: queue-depth, when: {queue: depth, above: 1000}}
    - {name: dead-letters, when: {queue: dead, above: 0}}
    - {name: quota-low, when: {upstream: sf, quota: remaining, below: 10%}}
    - {name: new-incident, when: {incident: new, class: failed}}
    - {name: regressed, when: {incident: regressed}}
`

// TestRulesPrometheus_PromtoolAccepts writes the Prometheus form of a rule
// of every kind and has promtool (Debian's prometheus package) check it.
func TestRulesPrometheus_PromtoolAccepts(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "crmguard.yaml")
	if err := os.WriteFile(cfg, []byte(rulesConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "crmguard-rules.yml")
	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), []string{"rules", "prometheus", "--config", cfg, "--out", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "wrote 13 rules") {
		t.Errorf("output %q; want it to say 13 rules were written", stdout.String())
	}
	b, _ := os.ReadFile(out)
	for _, want := range []string{
		`alert: sf-auth-failures`,
		`(sum by (upstream) (increase(crmguard_calls_total{upstream="sf",class="auth"}[5m])) / sum by (upstream) (increase(crmguard_calls_total{upstream="sf"}[5m]))) > 0.05 and sum by (upstream) (increase(crmguard_calls_total{upstream="sf"}[5m])) >= 10`,
		`histogram_quantile(0.95, sum by (upstream, le) (rate(crmguard_call_duration_seconds_bucket{}[5m]))) > 3`,
		`crmguard_queue_oldest_age_seconds > 600`,
		`min by (upstream) (crmguard_quota_remaining{upstream="sf"} / crmguard_quota_limit{upstream="sf"}) < 0.1`,
		`sum by (upstream, class) (crmguard_incidents_open{regressed="true"}) > 0`,
		`team: crm`, `severity: critical`, `for: 2m`,
	} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("rule file lacks %s:\n%s", want, b)
		}
	}
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("promtool is not installed (Debian package prometheus)")
		}
		t.Skip("promtool is not installed (Debian package prometheus)")
	}
	res, err := exec.Command(promtool, "check", "rules", out).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check rules: %v\n%s\n%s", err, res, b)
	}
	if !strings.Contains(string(res), "SUCCESS: 13 rules found") {
		t.Errorf("promtool said %s; want 13 rules found", res)
	}
}

func TestRulesPrometheus_Usage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), []string{"rules"}, &stdout, &stderr); code != 2 {
		t.Errorf("crmguard rules: exit %d; want 2", code)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "crmguard.yaml")
	_ = os.WriteFile(cfg, []byte("upstreams: [{name: sf, url: \"https://x.example.com\"}]\n"), 0o600)
	stderr.Reset()
	if code := run(t.Context(), []string{"rules", "prometheus", "--config", cfg}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "no alerts.rules") {
		t.Errorf("no rules: exit %d, %q; want 1 saying there are no rules", code, stderr.String())
	}
}
