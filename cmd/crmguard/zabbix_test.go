package main

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/crmguard/crmguard/internal/admin"
	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/outbox"
	"github.com/crmguard/crmguard/internal/recorder"
	"github.com/crmguard/crmguard/internal/rollup"
	"github.com/crmguard/crmguard/internal/store"
	"github.com/crmguard/crmguard/internal/zabbix"
	"github.com/crmguard/crmguard/internal/zabbix/zabbixtest"
)

// zabbixAdminOptions say what the admin API of zabbixAdmin has.
type zabbixAdminOptions struct {
	noQueue bool
	// alerts is the body GET /api/v1/alerts answers; empty answers 404
	// as the admin API does for an endpoint it does not have.
	alerts string
}

// zabbixAdmin starts crmguard's admin API on loopback over a SQLite store
// holding, for the last minute, 20 calls to upstream sf (2 of them
// failed, latency 100ms and 2s) and none to hubspot, whose primary
// endpoint's breaker is open; and a write queue with one pending and one
// dead entry. GET /api/v1/alerts is served as o says, in front of the
// real handler. It returns the API's URL.
func zabbixAdmin(t *testing.T, o zabbixAdminOptions) string {
	t.Helper()
	ctx := t.Context()
	db, err := store.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "crmguard.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })

	now := time.Now()
	minute := now.UTC().Truncate(time.Minute)
	ok := rollup.Row{Minute: minute, Upstream: "sf", Operation: "/services/data/v59.0/sobjects/Contact", Class: fault.OK}
	failed := rollup.Row{Minute: minute, Upstream: "sf", Operation: "/services/data/v59.0/sobjects/Contact", Class: fault.Unavailable}
	for range 18 {
		ok.Add(100 * time.Millisecond)
	}
	failed.Add(2 * time.Second)
	failed.Add(2 * time.Second)
	if err := db.WriteBatch(ctx, recorder.Batch{Rollups: []rollup.Row{ok, failed}}); err != nil {
		t.Fatal(err)
	}

	opts := admin.Options{
		Token: testToken, Store: db,
		Upstreams: func() []admin.UpstreamStatus {
			return []admin.UpstreamStatus{
				{Name: "sf", Endpoints: []admin.EndpointStatus{{URL: "https://example.my.salesforce.com", Breaker: "closed", Since: now}}},
				{Name: "hubspot", Endpoints: []admin.EndpointStatus{
					{URL: "https://api.hubapi.com", Breaker: "open", Since: now},
					{URL: "https://api-eu1.hubapi.com", Breaker: "closed", Since: now},
				}},
			}
		},
	}
	if !o.noQueue {
		opts.Queue = db
		created := now.Add(-90 * time.Second)
		for _, id := range []string{"01KQ00000000000000000000Z1", "01KQ00000000000000000000Z2"} {
			e := outbox.Entry{ID: id, CallID: id, Upstream: "sf", Method: "PATCH", Path: "/services/data/v59.0/sobjects/Contact/003x", CreatedAt: created}
			if err := db.Enqueue(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		if got, err := db.Claim(ctx, "test", now, time.Hour, 1); err != nil || len(got) != 1 {
			t.Fatalf("Claim = %v, %v; want one entry", got, err)
		}
		if err := db.Kill(ctx, "01KQ00000000000000000000Z1", "test", "gave up after 50 attempts", now); err != nil {
			t.Fatal(err)
		}
	}
	mux := http.NewServeMux()
	mux.Handle("/", admin.New(opts))
	mux.HandleFunc("GET /api/v1/alerts", func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Header.Get("Authorization") != "Bearer "+testToken:
			w.WriteHeader(http.StatusUnauthorized)
		case r.URL.Query().Get("state") != "firing":
			t.Errorf("alerts asked for with %q; want state=firing", r.URL.RawQuery)
			w.WriteHeader(http.StatusBadRequest)
		case o.alerts == "":
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"title":"Not Found","status":404,"detail":"no such endpoint: GET /api/v1/alerts; see docs/admin-api.md"}`))
		default:
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(o.alerts))
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// runZabbix runs crmguard zabbix args with the admin token in the
// environment and returns its output and error.
func runZabbix(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	getenv := func(k string) string {
		if k == "CRMGUARD_ADMIN_TOKEN" {
			return testToken
		}
		return ""
	}
	var out, errOut bytes.Buffer
	err = zabbixCmd(context.Background(), args, getenv, &out, &errOut)
	return out.String(), errOut.String(), err
}

// zabbixValues returns the values the server received, by key, checking that
// all are for host.
func zabbixValues(t *testing.T, srv *zabbixtest.Server, host string) map[string]string {
	t.Helper()
	reqs := srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("Zabbix received %d requests; want 1", len(reqs))
	}
	got := map[string]string{}
	for _, v := range reqs[0].Data {
		if v.Host != host {
			t.Errorf("value %s is for host %q; want %q", v.Key, v.Host, host)
		}
		got[v.Key] = v.Value
	}
	return got
}

func TestZabbixSend(t *testing.T) {
	adminURL := zabbixAdmin(t, zabbixAdminOptions{alerts: `{"alerts":[{"id":"a1","rule":"error-rate","state":"firing","severity":"warning","labels":{"upstream":"sf"}},{"id":"a2","rule":"queue-age","state":"firing","severity":"critical","labels":{}}]}`})
	srv := zabbixtest.NewServer(t, zabbixtest.Options{Host: "crmguard-prod", Keys: zabbix.Keys([]string{"sf", "hubspot"})})

	out, errOut, err := runZabbix(t, "send", "--server", srv.Addr, "--host", "crmguard-prod", "--admin", adminURL)
	if err != nil {
		t.Fatalf("send: %v\n%s", err, errOut)
	}
	got := zabbixValues(t, srv, "crmguard-prod")
	if keys := slices.Sorted(maps.Keys(got)); !slices.Equal(keys, slices.Sorted(slices.Values(zabbix.Keys([]string{"sf", "hubspot"})))) {
		t.Errorf("keys sent %q; want exactly Keys(sf, hubspot)", keys)
	}
	for k, want := range map[string]string{
		"crmguard.calls[sf]": "20", "crmguard.error_rate[sf]": "0.1", "crmguard.breaker.open[sf]": "0",
		"crmguard.calls[hubspot]": "0", "crmguard.error_rate[hubspot]": "0", "crmguard.latency.p95[hubspot]": "0", "crmguard.breaker.open[hubspot]": "1",
		"crmguard.queue.depth": "1", "crmguard.queue.dead": "1", "crmguard.alerts.firing": "2",
	} {
		if got[k] != want {
			t.Errorf("%s = %q; want %q", k, got[k], want)
		}
	}
	// Two of the 20 calls took 2s: the sketch puts p95 within a few percent.
	if p95, err := strconv.ParseFloat(got["crmguard.latency.p95[sf]"], 64); err != nil || p95 < 1.9 || p95 > 2.1 {
		t.Errorf("crmguard.latency.p95[sf] = %q; want about 2 (seconds)", got["crmguard.latency.p95[sf]"])
	}
	if age, err := strconv.ParseFloat(got["crmguard.queue.oldest_age"], 64); err != nil || age < 89 || age > 150 {
		t.Errorf("crmguard.queue.oldest_age = %q; want about 90 (seconds)", got["crmguard.queue.oldest_age"])
	}
	for _, want := range []string{`(?m)^crmguard\.calls\[sf\] +20$`, `(?m)^crmguard\.alerts\.firing +2$`,
		`(?m)^zabbix ` + regexp.QuoteMeta(srv.Addr) + `, host "crmguard-prod": processed: 12; failed: 0; total: 12; seconds spent: [0-9.]+$`} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("output does not match %s:\n%s", want, out)
		}
	}
	if errOut != "" {
		t.Errorf("stderr %q; want nothing", errOut)
	}
}

// TestZabbixSend_WithoutQueueOrAlerts: a crmguard without a write queue,
// and one whose admin API has no alerts, send no figures for them rather
// than zeros.
func TestZabbixSend_WithoutQueueOrAlerts(t *testing.T) {
	adminURL := zabbixAdmin(t, zabbixAdminOptions{noQueue: true})
	srv := zabbixtest.NewServer(t, zabbixtest.Options{Host: "crmguard-prod", Keys: zabbix.Keys([]string{"sf", "hubspot"})})
	_, errOut, err := runZabbix(t, "send", "--server", srv.Addr, "--host", "crmguard-prod", "--admin", adminURL)
	if err != nil {
		t.Fatalf("send: %v\n%s", err, errOut)
	}
	got := zabbixValues(t, srv, "crmguard-prod")
	for _, k := range []string{"crmguard.queue.depth", "crmguard.queue.oldest_age", "crmguard.queue.dead", "crmguard.alerts.firing"} {
		if v, ok := got[k]; ok {
			t.Errorf("sent %s = %q; want it left out", k, v)
		}
	}
	if len(got) != 8 {
		t.Errorf("sent %d values; want the 8 of the two upstreams", len(got))
	}
	for _, want := range []string{
		"not sending crmguard.queue.depth, crmguard.queue.oldest_age, crmguard.queue.dead: this crmguard has no write queue (no queue:",
		"not sending crmguard.alerts.firing: this crmguard's admin API has no alerts (no such endpoint: GET /api/v1/alerts",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}

func TestZabbixSend_Refused(t *testing.T) {
	adminURL := zabbixAdmin(t, zabbixAdminOptions{alerts: `{"alerts":[]}`})
	// The host in Zabbix was linked to a template written for sf only.
	srv := zabbixtest.NewServer(t, zabbixtest.Options{Host: "crmguard-prod", Keys: zabbix.Keys([]string{"sf"})})
	out, _, err := runZabbix(t, "send", "--server", srv.Addr, "--host", "crmguard-prod", "--admin", adminURL)
	var failed *zabbix.FailedError
	if !errors.As(err, &failed) || failed.Response.Failed != 4 {
		t.Fatalf("send: %v; want Zabbix to refuse the 4 hubspot values", err)
	}
	for _, want := range []string{"refused 4 of 12 items", `on host "crmguard-prod"`, "trapper item"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if !strings.Contains(out, "processed: 8; failed: 4; total: 12") {
		t.Errorf("output does not show Zabbix's answer:\n%s", out)
	}
	// run turns it into exit status 1 with the message.
	if code := exitCode(err); code != 1 {
		t.Errorf("exit status %d; want 1", code)
	}
}

// exitCode is the status run gives err.
func exitCode(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		return 2
	}
	return 1
}

func TestZabbixSend_Errors(t *testing.T) {
	adminURL := zabbixAdmin(t, zabbixAdminOptions{})
	srv := zabbixtest.NewServer(t, zabbixtest.Options{})
	for _, tc := range []struct {
		name  string
		args  []string
		usage bool
		want  string // in the error or stderr
	}{
		{"no server", []string{"send", "--host", "h", "--admin", adminURL}, true, "--server is required"},
		{"no host", []string{"send", "--server", srv.Addr, "--admin", adminURL}, true, "--host is required"},
		{"bad window", []string{"send", "--server", srv.Addr, "--host", "h", "--since", "-5m", "--admin", adminURL}, true, "--since must be positive"},
		{"extra argument", []string{"send", "now", "--server", srv.Addr, "--host", "h", "--admin", adminURL}, true, `unexpected argument "now"`},
		{"no token", []string{"send", "--server", srv.Addr, "--host", "h", "--admin", adminURL, "--token-env", "CRMGUARD_TEST_NO_TOKEN"}, true, "no admin token: set CRMGUARD_TEST_NO_TOKEN"},
		{"wrong admin", []string{"send", "--server", srv.Addr, "--host", "h", "--admin", "http://127.0.0.1:1"}, false, "cannot reach the admin API at http://127.0.0.1:1"},
		{"nothing at server", []string{"send", "--server", "127.0.0.1:1", "--host", "h", "--admin", adminURL}, false, "cannot reach zabbix at 127.0.0.1:1"},
		{"unknown command", []string{"push"}, true, `unknown command "push"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, err := runZabbix(t, tc.args...)
			if errors.Is(err, errUsage) != tc.usage {
				t.Errorf("error %v; usage error %v, want %v", err, errors.Is(err, errUsage), tc.usage)
			}
			msg := errOut
			if err != nil {
				msg += err.Error()
			}
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error %v, stderr %q; want %q", err, errOut, tc.want)
			}
		})
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("Zabbix received %d requests; want none", n)
	}
}

func TestZabbixTemplate(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "crmguard.yaml")
	if err := os.WriteFile(cfg, []byte("upstreams:\n  - {name: sf, url: https://x.my.salesforce.com, dialect: salesforce}\n  - {name: hubspot-eu, url: https://api.hubapi.com, dialect: hubspot}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "crmguard-template.yaml")
	stdout, errOut, err := runZabbix(t, "template", "--config", cfg, "--out", out, "--admin", "http://crmguard.internal:8081")
	if err != nil {
		t.Fatalf("template: %v\n%s", err, errOut)
	}
	if !strings.Contains(stdout, "wrote "+out+": template crmguard for 2 upstreams (sf, hubspot-eu)") {
		t.Errorf("stdout %q", stdout)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	traps, adminURL := templateTraps(t, b)
	if want := zabbix.Keys([]string{"sf", "hubspot-eu"}); !slices.Equal(traps, want) {
		t.Errorf("trapper items %q; want %q, the keys send pushes", traps, want)
	}
	if adminURL != "http://crmguard.internal:8081" {
		t.Errorf("{$CRMGUARD.ADMIN.URL} = %q; want --admin's URL", adminURL)
	}

	// --upstream, repeated, to stdout.
	stdout, _, err = runZabbix(t, "template", "--upstream", "sf", "--upstream", "zoho")
	if err != nil {
		t.Fatal(err)
	}
	traps, adminURL = templateTraps(t, []byte(stdout))
	if want := zabbix.Keys([]string{"sf", "zoho"}); !slices.Equal(traps, want) || adminURL != zabbix.DefaultAdminURL {
		t.Errorf("trapper items %q, admin URL %q; want %q and the default URL", traps, adminURL, want)
	}

	for _, tc := range []struct {
		name  string
		args  []string
		usage bool
		want  string
	}{
		{"neither", []string{"template"}, true, "name the upstreams the template covers"},
		{"both", []string{"template", "--config", cfg, "--upstream", "sf"}, true, "give one of them"},
		{"bad name", []string{"template", "--upstream", "sales force"}, false, `upstream name "sales force" is not one crmguard accepts`},
		{"missing config", []string{"template", "--config", filepath.Join(dir, "nope.yaml")}, false, "reading configuration"},
		{"bad admin URL", []string{"template", "--upstream", "sf", "--admin", "crmguard:8081"}, false, "is not an http or https URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, err := runZabbix(t, tc.args...)
			msg := errOut
			if err != nil {
				msg += err.Error()
			}
			if err == nil || errors.Is(err, errUsage) != tc.usage || !strings.Contains(msg, tc.want) {
				t.Errorf("error %v, stderr %q; want a usage error %v saying %q", err, errOut, tc.usage, tc.want)
			}
		})
	}
}

// templateTraps returns the keys of the template's trapper items, in
// order, and the default of {$CRMGUARD.ADMIN.URL}.
func templateTraps(t *testing.T, b []byte) ([]string, string) {
	t.Helper()
	var doc struct {
		Export struct {
			Version   string `yaml:"version"`
			Templates []struct {
				Items []struct {
					Key, Type string
				} `yaml:"items"`
				Macros []struct {
					Macro, Value string
				} `yaml:"macros"`
			} `yaml:"templates"`
		} `yaml:"zabbix_export"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("the template is not YAML: %v", err)
	}
	if doc.Export.Version != "6.0" || len(doc.Export.Templates) != 1 {
		t.Fatalf("export version %q with %d templates; want 6.0 with one", doc.Export.Version, len(doc.Export.Templates))
	}
	var traps []string
	for _, it := range doc.Export.Templates[0].Items {
		if it.Type == "TRAP" {
			traps = append(traps, it.Key)
		}
	}
	var adminURL string
	for _, m := range doc.Export.Templates[0].Macros {
		if m.Macro == "{$CRMGUARD.ADMIN.URL}" {
			adminURL = m.Value
		}
	}
	return traps, adminURL
}

func TestZabbix_Help(t *testing.T) {
	out, _, err := runZabbix(t, "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Usage: crmguard zabbix COMMAND", "template (--config FILE | --upstream NAME...)", "--out FILE",
		"send --server HOST:PORT --host NAME [--since D]", "--admin URL", "--token-env NAME", "{$CRMGUARD.ADMIN.TOKEN}", "Exit status"} {
		if !strings.Contains(out, want) {
			t.Errorf("zabbix --help lacks %q", want)
		}
	}
	if _, errOut, err := runZabbix(t); !errors.Is(err, errUsage) || !strings.Contains(errOut, "Usage: crmguard zabbix") {
		t.Errorf("zabbix without a command: %v, %q; want the usage", err, errOut)
	}
}
