package acceptance

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/crmguard/crmguard/internal/alert"
	"github.com/crmguard/crmguard/internal/config"
	"github.com/crmguard/crmguard/internal/democrm"
	"github.com/crmguard/crmguard/internal/zabbix"
	"github.com/crmguard/crmguard/internal/zabbix/zabbixtest"
)

// TestIntegrations_PrometheusZabbixECS runs crmguard with the monitoring
// integrations on, in front of the sample CRM, and checks each from the
// tool's side:
//
//   - a real Prometheus scrapes /metrics and holds crmguard's call, alert
//     and queue series, and loads the exported rule file with every rule
//     evaluating healthily;
//   - a Zabbix trapper (zabbixtest, answering like a Zabbix server)
//     receives the key figures with the sender protocol;
//   - the ECS log holds a line per call and the incident the failures
//     opened.
func TestIntegrations_PrometheusZabbixECS(t *testing.T) {
	crm := democrm.New(democrm.Options{})
	crmSrv := httptest.NewServer(crm)
	t.Cleanup(crmSrv.Close)
	zbx := zabbixtest.NewServer(t, zabbixtest.Options{Host: "crmguard-test", Keys: zabbix.Keys([]string{"sf"})})
	dir := t.TempDir()
	ecsPath := filepath.Join(dir, "ecs.ndjson")
	yaml := fmt.Sprintf(`
listen: 127.0.0.1:0
admin: {listen: 127.0.0.1:0}
store: sqlite://${DIR}/crmguard.db
recording: {flush_interval: 50ms, rollup_interval: 100ms}
upstreams:
  - {name: sf, url: "%s/salesforce", dialect: salesforce, retry: {attempts: 1}}
alerts:
  evaluate_every: 200ms
  rules:
    - {name: sf-auth-failures, when: {upstream: sf, class: auth, rate_over: 5m, above: 0.05}, severity: critical}
    - {name: crm-slow, when: {latency: p95, over: 5m, above: 3s}}
    - {name: queue-backlog, when: {queue: oldest_age, above: 10m}}
    - {name: breaker-open, when: {breaker: open}}
    - {name: new-incident, when: {incident: new, class: failed}}
integrations:
  zabbix: {server: "%s", host: crmguard-test, every: 200ms}
  ecs_log: {path: "%s", max_size: 1MiB, max_files: 2}
`, crmSrv.URL, zbx.Addr, ecsPath)
	in := start(t, yaml)

	// Prometheus scrapes /metrics from the start, so that it sees the
	// counters rise, and evaluates the exported rules.
	cfg, err := config.Load("crmguard.yaml", []byte(strings.ReplaceAll(yaml, "${DIR}", dir)))
	if err != nil {
		t.Fatal(err)
	}
	var rules []*alert.Rule
	for _, s := range cfg.AlertSpecs() {
		r, err := alert.Compile(s)
		if err != nil {
			t.Fatal(err)
		}
		rules = append(rules, r)
	}
	ruleFile, err := alert.PrometheusRules(rules)
	if err != nil {
		t.Fatal(err)
	}
	prom := startPrometheus(t, strings.TrimPrefix(in.admin, "http://"), ruleFile)
	waitFor(t, "Prometheus's first scrape", func() bool {
		v, ok := promValue(prom, `sum(crmguard_calls_total{upstream="sf"})`)
		return ok && v == 0
	})

	in.queryContacts(t, 20)
	in.authFailures(t, crm, 5)
	in.sync(t)

	// Zabbix: the figures arrive, processed.
	waitFor(t, "a Zabbix push with sf's calls", func() bool {
		for _, r := range zbx.Requests() {
			for _, v := range r.Data {
				if v.Host == "crmguard-test" && v.Key == "crmguard.calls[sf]" && v.Value == "25" {
					return true
				}
			}
		}
		return false
	})
	if errs := zbx.Errors(); len(errs) != 0 {
		t.Errorf("the Zabbix receiver could not read what crmguard sent: %v", errs)
	}
	for _, r := range zbx.Requests() {
		if r.Request != "sender data" || len(r.Data) != len(zabbix.Keys([]string{"sf"})) {
			t.Errorf("Zabbix request %+v: want sender data with every key", r)
		}
	}

	// ECS: a line per call, and the incident the failures opened.
	waitFor(t, "the ECS log lines", func() bool {
		calls, opened, _ := ecsLines(t, ecsPath)
		return calls == 25 && opened == 1
	})

	// Prometheus holds the calls, alerts, queue, incident and breaker
	// series.
	waitFor(t, "Prometheus to scrape sf's calls", func() bool {
		v, ok := promValue(prom, `sum(crmguard_calls_total{upstream="sf"})`)
		return ok && v == 25
	})
	if v, ok := promValue(prom, `crmguard_calls_total{upstream="sf",class="auth"}`); !ok || v != 5 {
		t.Errorf("Prometheus has %v auth calls (found %v); want 5", v, ok)
	}
	// Series read from the store at scrape time (alerts, incidents) appear
	// in the first scrape after the recorder and the alert engine wrote
	// them, which may follow the one that saw all the calls.
	for _, q := range []string{`crmguard_alerts{rule="sf-auth-failures",state="firing"} == 1`, `crmguard_queue_depth`, `crmguard_incidents_open{upstream="sf",class="auth"} == 1`, `crmguard_breaker_state{upstream="sf"}`} {
		waitFor(t, "Prometheus to hold "+q, func() bool { _, ok := promValue(prom, q); return ok })
	}
	waitFor(t, "Prometheus to evaluate every exported rule healthily", func() bool {
		var r struct {
			Data struct {
				Groups []struct {
					Rules []struct{ Name, Health, LastError string }
				}
			}
		}
		if promGet(prom+"/api/v1/rules", &r) != nil || len(r.Data.Groups) != 1 || len(r.Data.Groups[0].Rules) != len(rules) {
			return false
		}
		for _, rule := range r.Data.Groups[0].Rules {
			if rule.Health != "ok" {
				return false
			}
		}
		return true
	})
	waitFor(t, "Prometheus's own sf-auth-failures alert", func() bool {
		var r struct {
			Data struct {
				Alerts []struct{ Labels map[string]string }
			}
		}
		if promGet(prom+"/api/v1/alerts", &r) != nil {
			return false
		}
		for _, a := range r.Data.Alerts {
			if a.Labels["alertname"] == "sf-auth-failures" && a.Labels["upstream"] == "sf" {
				return true
			}
		}
		return false
	})

	// Resolving the incident through the admin API is logged too (last,
	// since Prometheus checks the open incident above).
	var incs struct {
		Incidents []struct{ Fingerprint string }
	}
	in.api(t, "GET", "/api/v1/incidents?state=open", &incs)
	if len(incs.Incidents) != 1 {
		t.Fatalf("%d open incidents; want the auth one", len(incs.Incidents))
	}
	if code := in.post(t, "/api/v1/incidents/"+incs.Incidents[0].Fingerprint+"/resolve", "", nil); code/100 != 2 {
		t.Fatalf("resolving the incident: status %d", code)
	}
	if _, _, resolved := ecsLines(t, ecsPath); resolved != 1 {
		t.Errorf("%d incident-resolved lines in the ECS log; want 1", resolved)
	}
}

// ecsLines counts the call, incident-opened and incident-resolved lines
// of the ECS log.
func ecsLines(t *testing.T, path string) (calls, opened, resolved int) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var doc struct {
			Event struct{ Action, Dataset string }
		}
		if err := json.Unmarshal(sc.Bytes(), &doc); err != nil {
			t.Fatalf("ECS line %q: %v", sc.Text(), err)
		}
		switch doc.Event.Action {
		case "crm-call":
			calls++
		case "incident-opened":
			opened++
		case "incident-resolved":
			resolved++
		}
	}
	return calls, opened, resolved
}

// startPrometheus runs Debian's prometheus on a free loopback port,
// scraping crmguard's admin listener every 200ms with rules loaded, and
// returns its base URL.
func startPrometheus(t *testing.T, target string, rules []byte) string {
	t.Helper()
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		if mustRun() {
			t.Fatal("prometheus is not installed (apt-get install prometheus)")
		}
		t.Skip("prometheus is not installed (apt-get install prometheus)")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "rules.yml"), rules, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`global: {scrape_interval: 200ms, evaluation_interval: 200ms}
rule_files: [%q]
scrape_configs:
  - job_name: crmguard
    static_configs: [{targets: [%q]}]
`, filepath.Join(dir, "rules.yml"), target)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	logFile, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command(bin, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+addr)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "prometheus.log"))
			t.Logf("Prometheus's log:\n%s", b)
		}
	})
	base := "http://" + addr
	waitFor(t, "Prometheus to be ready", func() bool {
		resp, err := http.Get(base + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return base
}

// promValue runs an instant query that selects one series.
func promValue(base, query string) (float64, bool) {
	var r struct {
		Data struct {
			Result []struct {
				Value [2]any
			}
		}
	}
	if promGet(base+"/api/v1/query?query="+url.QueryEscape(query), &r) != nil || len(r.Data.Result) != 1 {
		return 0, false
	}
	s, _ := r.Data.Result[0].Value[1].(string)
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}

func promGet(u string, out any) error {
	resp, err := http.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("%s: %s", u, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}
