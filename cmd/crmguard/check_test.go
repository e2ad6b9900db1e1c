package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/admin"
	"github.com/crmguard/crmguard/internal/breaker"
	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/incident"
	"github.com/crmguard/crmguard/internal/nagios/nagiostest"
	"github.com/crmguard/crmguard/internal/outbox"
	"github.com/crmguard/crmguard/internal/recorder"
	"github.com/crmguard/crmguard/internal/rollup"
	"github.com/crmguard/crmguard/internal/store"
)

// The admin API's answers as docs/admin-api.md documents them (alerts as
// the lead specified the endpoint being written). sf fails 12.5% of its
// calls, hubspot 0.4%, and zoho is configured but had no calls.
const (
	fakeStatsJSON = `{"since": "2026-11-23T09:55:00Z", "until": "2026-11-23T10:01:00Z", "upstreams": [
  {"upstream": "hubspot", "calls": 1000, "failed": 4, "error_rate": 0.004, "classes": {"ok": 996, "rate_limit": 4},
   "latency_ms": {"p50": 40, "p95": 120, "p99": 250.25, "max": 900, "mean": 52.5}},
  {"upstream": "sf", "calls": 200, "failed": 25, "error_rate": 0.125, "classes": {"ok": 175, "timeout": 20, "auth": 5},
   "latency_ms": {"p50": 41.2, "p95": 310.5, "p99": 1290, "max": 2004, "mean": 77.3}}]}`
	fakeUpstreamsJSON = `{"upstreams": [
  {"name": "sf", "endpoints": [
    {"url": "https://acme.my.salesforce.com", "breaker": "open", "since": "2026-11-23T09:58:11Z"},
    {"url": "https://acme--standby.my.salesforce.com", "breaker": "closed", "since": "2026-11-23T08:00:00Z"}]},
  {"name": "hubspot", "endpoints": [{"url": "https://api.hubapi.com", "breaker": "closed", "since": "2026-11-23T08:00:00Z"}]},
  {"name": "zoho", "endpoints": [{"url": "https://www.zohoapis.eu", "breaker": "half-open", "since": "2026-11-23T09:59:30Z"}]}]}`
	fakeQueueStatsJSON = `{"pending": 12, "inflight": 2, "depth": 14, "dead": 3, "delivered": 1820, "oldest_age_seconds": 95.2}`
	fakeAlertsJSON     = `{"alerts": [
  {"id": "a1", "rule": "HighErrorRate", "state": "firing", "severity": "critical", "labels": {"upstream": "sf"},
   "annotations": {"summary": "sf fails 12.5% of calls"}, "value": 0.125, "acknowledged": null, "silenced": false},
  {"id": "a2", "rule": "SlowCalls", "state": "firing", "severity": "warning", "labels": {"upstream": "hubspot"},
   "annotations": {"summary": "p95 above 1s"}, "value": 1.2,
   "acknowledged": {"by": "alice", "comment": "vendor incident 4711", "at": "2026-11-23T09:59:00Z"}, "silenced": false},
  {"id": "a3", "rule": "BreakerOpen", "state": "firing", "severity": "critical", "labels": {"upstream": "zoho"},
   "annotations": {}, "value": 1, "acknowledged": null, "silenced": true},
  {"id": "a4", "rule": "QueueGrowing", "state": "firing", "severity": "info", "labels": {},
   "annotations": {"summary": "queue | depth 14"}, "value": 14, "acknowledged": null, "silenced": false},
  {"id": "a5", "rule": "Old", "state": "resolved", "severity": "critical", "labels": {}, "annotations": {},
   "value": 0, "acknowledged": null, "silenced": false}]}`
	fakeWarningAlertsJSON = `{"alerts": [
  {"id": "a2", "rule": "SlowCalls", "state": "firing", "severity": "warning", "labels": {"upstream": "hubspot"},
   "annotations": {}, "value": 1.2, "acknowledged": null, "silenced": false},
  {"id": "a3", "rule": "BreakerOpen", "state": "firing", "severity": "critical", "labels": {"upstream": "zoho"},
   "annotations": {}, "value": 1, "acknowledged": {"by": "bob", "comment": "", "at": "2026-11-23T09:59:00Z"}, "silenced": false}]}`
	fakeHandledAlertsJSON = `{"alerts": [
  {"id": "a3", "rule": "BreakerOpen", "state": "firing", "severity": "critical", "labels": {}, "annotations": {},
   "value": 1, "acknowledged": null, "silenced": true}]}`
	fakeIncidentsJSON = `{"incidents": [
  {"fingerprint": "6f1c0b6a00000001", "state": "open", "upstream": "sf", "operation": "POST /sobjects/Contact", "class": "timeout",
   "message": "read timeout after <n>s", "latest_message": "read timeout after 30s", "count": 20,
   "first_seen": "2026-11-23T09:50:00Z", "last_seen": "2026-11-23T09:59:59Z", "sample_calls": [], "remediation": "", "reopened": 0},
  {"fingerprint": "6f1c0b6a00000002", "state": "open", "upstream": "sf", "operation": "GET /query", "class": "auth",
   "message": "INVALID_SESSION_ID", "count": 5, "first_seen": "2026-11-23T09:50:00Z", "last_seen": "2026-11-23T09:58:00Z",
   "sample_calls": [], "remediation": "", "reopened": 1},
  {"fingerprint": "6f1c0b6a00000003", "state": "open", "upstream": "hubspot", "operation": "GET /crm/v3/objects/contacts", "class": "rate_limit",
   "message": "rate limit | daily", "count": 4, "first_seen": "2026-11-23T09:50:00Z", "last_seen": "2026-11-23T09:57:00Z",
   "sample_calls": [], "remediation": "", "reopened": 0},
  {"fingerprint": "6f1c0b6a00000004", "state": "resolved", "upstream": "sf", "operation": "GET /query", "class": "server",
   "message": "gone", "count": 1, "first_seen": "2026-11-23T08:00:00Z", "last_seen": "2026-11-23T08:00:00Z",
   "sample_calls": [], "remediation": "", "reopened": 0, "resolved_at": "2026-11-23T09:00:00Z"}]}`
)

// fakeAdmin serves answers on loopback like the admin API: the bearer
// token is required, answers[path] is the JSON of GET path ("" answers
// 404 as crmguard without that feature does), and it records the queries
// it was sent. Incidents are filtered by the upstream parameter, as the
// real API does.
type fakeAdmin struct {
	url     string
	mu      sync.Mutex
	queries map[string]url.Values
}

func newFakeAdmin(t *testing.T, answers map[string]string) *fakeAdmin {
	t.Helper()
	f := &fakeAdmin{queries: map[string]url.Values{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.queries[r.URL.Path] = r.URL.Query()
		f.mu.Unlock()
		problem := func(status int, detail string) {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(status)
			json.NewEncoder(w).Encode(map[string]any{"title": http.StatusText(status), "status": status, "detail": detail})
		}
		if r.Header.Get("Authorization") != "Bearer "+testToken {
			problem(http.StatusUnauthorized, "missing or wrong bearer token")
			return
		}
		body, ok := answers[r.URL.Path]
		switch {
		case !ok:
			problem(http.StatusNotFound, "no such endpoint: GET "+r.URL.Path+"; see docs/admin-api.md")
			return
		case body == "":
			problem(http.StatusNotFound, "no queue: this crmguard runs without a durable write queue, so there are no entries to list, replay or drop")
			return
		}
		if up := r.URL.Query().Get("upstream"); up != "" && r.URL.Path == "/api/v1/incidents" {
			var v struct{ Incidents []map[string]any }
			json.Unmarshal([]byte(body), &v)
			kept := []map[string]any{}
			for _, in := range v.Incidents {
				if in["upstream"] == up {
					kept = append(kept, in)
				}
			}
			b, _ := json.Marshal(map[string]any{"incidents": kept})
			body = string(b)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

func (f *fakeAdmin) query(path string) url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.queries[path]
}

var fakeAnswers = map[string]string{
	"/api/v1/stats":       fakeStatsJSON,
	"/api/v1/upstreams":   fakeUpstreamsJSON,
	"/api/v1/queue/stats": fakeQueueStatsJSON,
	"/api/v1/alerts":      fakeAlertsJSON,
	"/api/v1/incidents":   fakeIncidentsJSON,
}

// runPlugin runs crmguard check against the admin API at adminURL with the
// test token in the environment, and returns its exit code and output,
// read by the independent runPlugin-format parser. It fails the test if the
// output does not conform or its status word is not the exit code's.
func runPlugin(t *testing.T, checkEnv map[string]string, args ...string) (int, nagiostest.Output, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := checkCmd(context.Background(), args, func(k string) string { return checkEnv[k] }, &out, &errOut)
	o, err := nagiostest.Parse(out.String())
	if err != nil {
		t.Fatalf("crmguard check %s: output is not plugin output: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	if want := []string{"OK", "WARNING", "CRITICAL", "UNKNOWN"}; code < 0 || code > 3 || o.Status != want[code] {
		t.Fatalf("crmguard check %s: exit %d with status %s; want the status of the exit code", strings.Join(args, " "), code, o.Status)
	}
	if !regexp.MustCompile(`^CRMGUARD [A-Z_]+$`).MatchString(o.Service) {
		t.Errorf("service %q; want CRMGUARD <METRIC>", o.Service)
	}
	if errOut.Len() > 0 {
		t.Errorf("stderr %q; want nothing (monitoring systems read stdout)", errOut.String())
	}
	return code, o, out.String()
}

func checkEnv(adminURL string) map[string]string {
	return map[string]string{"CRMGUARD_ADMIN_URL": adminURL, "CRMGUARD_ADMIN_TOKEN": testToken}
}

type perfItem = nagiostest.Perf

func TestCheck_Table(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		answers map[string]string // replaces fakeAnswers' paths
		code    int
		service string
		text    string     // a regexp the summary must match
		perf    []perfItem // all of them, in order
		long    []string
		query   map[string]string // path?param=value sent to the admin API
	}{
		// error-rate
		{name: "error rate above critical", args: []string{"--metric", "error-rate", "--upstream", "sf", "-w", "0.05", "-c", "0.1"},
			code: 2, service: "CRMGUARD ERROR_RATE", text: `^sf error rate 12\.5% over 5m$`,
			perf:  []perfItem{{Label: "sf_error_rate", Value: "0.125", Warn: "0.05", Crit: "0.1", Min: "0", Max: "1"}},
			long:  []string{"sf: 25 of 200 calls over 5m failed (timeout 20, auth 5)"},
			query: map[string]string{"/api/v1/stats?since": "5m0s"}},
		{name: "error rate above warning", args: []string{"--metric", "error-rate", "--upstream", "sf", "--warning", "0.1", "--critical", "0.2"},
			code: 1, text: `^sf error rate 12\.5% over 5m$`,
			perf: []perfItem{{Label: "sf_error_rate", Value: "0.125", Warn: "0.1", Crit: "0.2", Min: "0", Max: "1"}}},
		{name: "error rate at the bound is OK", args: []string{"--metric", "error-rate", "--upstream", "sf", "-w", "0.125"},
			code: 0, perf: []perfItem{{Label: "sf_error_rate", Value: "0.125", Warn: "0.125", Min: "0", Max: "1"}}},
		{name: "error rate inside an @ range", args: []string{"--metric", "error-rate", "--upstream", "sf", "-c", "@0.1:0.2"},
			code: 2, perf: []perfItem{{Label: "sf_error_rate", Value: "0.125", Crit: "@0.1:0.2", Min: "0", Max: "1"}}},
		{name: "every upstream, the worst wins", args: []string{"--metric", "error-rate", "-w", "0.01", "-c", "0.1"},
			code: 2, text: `^sf error rate 12\.5% over 5m \(CRITICAL\); 2 others OK$`,
			perf: []perfItem{
				{Label: "hubspot_error_rate", Value: "0.004", Warn: "0.01", Crit: "0.1", Min: "0", Max: "1"},
				{Label: "sf_error_rate", Value: "0.125", Warn: "0.01", Crit: "0.1", Min: "0", Max: "1"},
				{Label: "zoho_error_rate", Value: "0", Warn: "0.01", Crit: "0.1", Min: "0", Max: "1"},
			},
			long: []string{"[OK] hubspot: 4 of 1000 calls over 5m failed (rate_limit 4)", "[CRITICAL] sf: 25 of 200 calls over 5m failed (timeout 20, auth 5)",
				"[OK] zoho: no calls over 5m, so the error rate is taken as 0 and judged OK (--no-calls)"}},
		{name: "every upstream, warning and critical", args: []string{"--metric", "error-rate", "-w", "0.001", "-c", "0.1"},
			code: 2, text: `^sf error rate 12\.5% over 5m \(CRITICAL\); hubspot error rate 0\.4% over 5m \(WARNING\); 1 other OK$`},
		{name: "every upstream OK lists them", args: []string{"--metric", "error-rate", "-c", "0.5"},
			code: 0, text: `^hubspot error rate 0\.4% over 5m; sf error rate 12\.5% over 5m; zoho no calls over 5m$`},
		{name: "share of a class", args: []string{"--metric", "error-rate", "--upstream", "sf", "--class", "auth", "-w", "0.01", "-c", "0.05"},
			code: 1, text: `^sf auth rate 2\.5% over 5m$`,
			perf: []perfItem{{Label: "sf_auth_rate", Value: "0.025", Warn: "0.01", Crit: "0.05", Min: "0", Max: "1"}},
			long: []string{"sf: 5 of 200 calls over 5m were auth"}},
		{name: "no calls is OK by default", args: []string{"--metric", "error-rate", "--upstream", "zoho", "-c", "0.1"},
			code: 0, text: `^zoho no calls over 5m$`,
			perf: []perfItem{{Label: "zoho_error_rate", Value: "0", Crit: "0.1", Min: "0", Max: "1"}}},
		{name: "no calls judged as --no-calls says", args: []string{"--metric", "error-rate", "--upstream", "zoho", "--no-calls", "unknown"},
			code: 3, text: `^zoho no calls over 5m$`, perf: []perfItem{{Label: "zoho_error_rate", Value: "0", Min: "0", Max: "1"}}},
		{name: "window", args: []string{"--metric", "error-rate", "--upstream", "sf", "--over", "1h"},
			code: 0, text: `^sf error rate 12\.5% over 1h$`, query: map[string]string{"/api/v1/stats?since": "1h0m0s"}},

		// calls
		{name: "no calls below a minimum", args: []string{"--metric", "calls", "--upstream", "zoho", "-c", "1:"},
			code: 2, service: "CRMGUARD CALLS", text: `^zoho 0 calls over 5m$`,
			perf: []perfItem{{Label: "zoho_calls", Value: "0", Crit: "1:", Min: "0"}}},
		{name: "calls of a class", args: []string{"--metric", "calls", "--upstream", "hubspot", "--class", "rate_limit", "-w", "~:3"},
			code: 1, text: `^hubspot 4 rate_limit calls over 5m$`,
			perf: []perfItem{{Label: "hubspot_rate_limit_calls", Value: "4", Warn: "~:3", Min: "0"}},
			long: []string{"hubspot: 1000 calls over 5m (ok 996, rate_limit 4)"}},
		{name: "calls without thresholds", args: []string{"--metric", "calls"},
			code: 0, perf: []perfItem{{Label: "hubspot_calls", Value: "1000", Min: "0"}, {Label: "sf_calls", Value: "200", Min: "0"}, {Label: "zoho_calls", Value: "0", Min: "0"}}},

		// latency
		{name: "p95 latency above warning", args: []string{"--metric", "latency", "--upstream", "sf", "-w", "0.3", "-c", "0.5"},
			code: 1, service: "CRMGUARD LATENCY", text: `^sf p95 latency 310\.5ms over 5m$`,
			perf: []perfItem{{Label: "sf_latency_p95", Value: "0.3105", UOM: "s", Warn: "0.3", Crit: "0.5", Min: "0"}},
			long: []string{"sf: p50 41.2ms, p95 310.5ms, p99 1.29s, max 2.004s, mean 77.3ms over 200 calls in 5m"}},
		{name: "p99 latency above critical", args: []string{"--metric", "latency", "--upstream", "sf", "--quantile", "p99", "-c", "1"},
			code: 2, text: `^sf p99 latency 1\.29s over 5m$`,
			perf: []perfItem{{Label: "sf_latency_p99", Value: "1.29", UOM: "s", Crit: "1", Min: "0"}}},
		{name: "mean latency, no calls is U", args: []string{"--metric", "latency", "--quantile", "mean", "-c", "0.06"},
			code: 2, text: `^sf mean latency 77\.3ms over 5m \(CRITICAL\); 2 others OK$`,
			perf: []perfItem{
				{Label: "hubspot_latency_mean", Value: "0.0525", UOM: "s", Crit: "0.06", Min: "0"},
				{Label: "sf_latency_mean", Value: "0.0773", UOM: "s", Crit: "0.06", Min: "0"},
				{Label: "zoho_latency_mean", Value: "U", Crit: "0.06", Min: "0"},
			}},
		{name: "latency without calls judged critical", args: []string{"--metric", "latency", "--upstream", "zoho", "--no-calls", "critical"},
			code: 2, text: `^zoho no calls over 5m$`, perf: []perfItem{{Label: "zoho_latency_p95", Value: "U", Min: "0"}}},

		// breaker
		{name: "an open breaker is critical by default", args: []string{"--metric", "breaker"},
			code: 2, service: "CRMGUARD BREAKER", text: `^sf 1 of 2 endpoints open \(CRITICAL\); 2 others OK$`,
			perf: []perfItem{
				{Label: "hubspot_open_endpoints", Value: "0", Crit: "0", Min: "0", Max: "1"},
				{Label: "sf_open_endpoints", Value: "1", Crit: "0", Min: "0", Max: "2"},
				{Label: "zoho_open_endpoints", Value: "0", Crit: "0", Min: "0", Max: "1"},
			},
			long: []string{"[OK] hubspot: https://api.hubapi.com closed since 2026-11-23T08:00:00Z",
				"[CRITICAL] sf: https://acme.my.salesforce.com open since 2026-11-23T09:58:11Z, https://acme--standby.my.salesforce.com closed since 2026-11-23T08:00:00Z",
				"[OK] zoho: https://www.zohoapis.eu half-open since 2026-11-23T09:59:30Z"}},
		{name: "breaker of one upstream", args: []string{"--metric", "breaker", "--upstream", "zoho"},
			code: 0, text: `^zoho 0 of 1 endpoints open, 1 half-open$`,
			perf: []perfItem{{Label: "zoho_open_endpoints", Value: "0", Crit: "0", Min: "0", Max: "1"}}},
		{name: "breaker thresholds replace the default", args: []string{"--metric", "breaker", "--upstream", "sf", "-w", "0", "-c", "1"},
			code: 1, perf: []perfItem{{Label: "sf_open_endpoints", Value: "1", Warn: "0", Crit: "1", Min: "0", Max: "2"}}},

		// queue
		{name: "queue depth above warning", args: []string{"--metric", "queue-depth", "-w", "10", "-c", "100"},
			code: 1, service: "CRMGUARD QUEUE_DEPTH", text: `^14 queued writes unfinished \(12 pending, 2 inflight\)$`,
			perf: []perfItem{{Label: "queue_depth", Value: "14", Warn: "10", Crit: "100", Min: "0"}},
			long: []string{"pending 12, inflight 2, dead 3, delivered 1820, oldest unfinished 1m35.2s"}},
		{name: "queue age above critical", args: []string{"--metric", "queue-age", "-w", "30", "-c", "60"},
			code: 2, service: "CRMGUARD QUEUE_AGE", text: `^oldest unfinished queued write is 1m35\.2s old$`,
			perf: []perfItem{{Label: "queue_oldest_age", Value: "95.2", UOM: "s", Warn: "30", Crit: "60", Min: "0"}}},
		{name: "any dead letter is critical", args: []string{"--metric", "dead-letters", "-c", "0"},
			code: 2, service: "CRMGUARD DEAD_LETTERS", text: `^3 dead letters in the write queue$`,
			perf: []perfItem{{Label: "dead_letters", Value: "3", Crit: "0", Min: "0"}}},
		{name: "dead letters within range", args: []string{"--metric", "dead-letters", "-c", "5"},
			code: 0, perf: []perfItem{{Label: "dead_letters", Value: "3", Crit: "5", Min: "0"}}},
		{name: "no queue configured", args: []string{"--metric", "queue-depth", "-c", "100"},
			answers: map[string]string{"/api/v1/queue/stats": ""},
			code:    3, service: "CRMGUARD QUEUE_DEPTH", text: `^reading the write queue's counts: no queue: this crmguard runs without a durable write queue`},

		// alerts
		{name: "an unhandled critical alert", args: []string{"--metric", "alerts"},
			code: 2, service: "CRMGUARD ALERTS", text: `^2 firing alerts unhandled: HighErrorRate \(critical\), QueueGrowing \(info\); 2 acknowledged or silenced$`,
			perf: []perfItem{{Label: "alerts_unhandled", Value: "2", Min: "0"}, {Label: "alerts_firing", Value: "4", Min: "0"}},
			long: []string{"[critical] HighErrorRate {upstream=sf}: sf fails 12.5% of calls", "[info] QueueGrowing: queue / depth 14",
				"[critical] BreakerOpen {upstream=zoho} (silenced)", "[warning] SlowCalls {upstream=hubspot}: p95 above 1s (acknowledged by alice: vendor incident 4711)"},
			query: map[string]string{"/api/v1/alerts?state": "firing"}},
		{name: "an unhandled warning alert", args: []string{"--metric", "alerts"}, answers: map[string]string{"/api/v1/alerts": fakeWarningAlertsJSON},
			code: 1, text: `^1 firing alert unhandled: SlowCalls \(warning\); 1 acknowledged or silenced$`,
			perf: []perfItem{{Label: "alerts_unhandled", Value: "1", Min: "0"}, {Label: "alerts_firing", Value: "2", Min: "0"}}},
		{name: "handled alerts are OK", args: []string{"--metric", "alerts"}, answers: map[string]string{"/api/v1/alerts": fakeHandledAlertsJSON},
			code: 0, text: `^1 firing alert, all acknowledged or silenced$`},
		{name: "no alerts", args: []string{"--metric", "alerts"}, answers: map[string]string{"/api/v1/alerts": `{"alerts": []}`},
			code: 0, text: `^no firing alerts$`, perf: []perfItem{{Label: "alerts_unhandled", Value: "0", Min: "0"}, {Label: "alerts_firing", Value: "0", Min: "0"}}},
		{name: "alert thresholds judge the count instead", args: []string{"--metric", "alerts", "-c", "5"},
			code: 0, perf: []perfItem{{Label: "alerts_unhandled", Value: "2", Crit: "5", Min: "0"}, {Label: "alerts_firing", Value: "4", Min: "0"}}},
		{name: "alert count above warning", args: []string{"--metric", "alerts", "-w", "1"},
			code: 1, perf: []perfItem{{Label: "alerts_unhandled", Value: "2", Warn: "1", Min: "0"}, {Label: "alerts_firing", Value: "4", Min: "0"}}},

		// incidents
		{name: "open incidents above warning", args: []string{"--metric", "incidents", "-w", "0", "-c", "5"},
			code: 1, service: "CRMGUARD INCIDENTS", text: `^3 open incidents \(hubspot 1, sf 2\)$`,
			perf: []perfItem{{Label: "open_incidents", Value: "3", Warn: "0", Crit: "5", Min: "0"}},
			long: []string{
				"sf timeout on POST /sobjects/Contact: read timeout after 30s (20 calls, last 2026-11-23T09:59:59Z, incident 6f1c0b6a00000001)",
				"sf auth on GET /query: INVALID_SESSION_ID (5 calls, last 2026-11-23T09:58:00Z, incident 6f1c0b6a00000002)",
				"hubspot rate_limit on GET /crm/v3/objects/contacts: rate limit / daily (4 calls, last 2026-11-23T09:57:00Z, incident 6f1c0b6a00000003)"},
			query: map[string]string{"/api/v1/incidents?state": "open", "/api/v1/incidents?limit": "1000"}},
		{name: "open incidents of a class", args: []string{"--metric", "incidents", "--class", "timeout", "-c", "0"},
			code: 2, text: `^1 open timeout incident \(sf 1\)$`, perf: []perfItem{{Label: "open_incidents", Value: "1", Crit: "0", Min: "0"}}},
		{name: "open incidents of an upstream", args: []string{"--metric", "incidents", "--upstream", "hubspot", "-c", "1"},
			code: 0, text: `^hubspot: 1 open incident$`, perf: []perfItem{{Label: "open_incidents", Value: "1", Crit: "1", Min: "0"}},
			query: map[string]string{"/api/v1/incidents?upstream": "hubspot"}},
		{name: "no open incidents of a configured upstream", args: []string{"--metric", "incidents", "--upstream", "zoho", "-c", "0"},
			code: 0, text: `^zoho: no open incidents$`, perf: []perfItem{{Label: "open_incidents", Value: "0", Crit: "0", Min: "0"}}},

		// UNKNOWN
		{name: "start after end", args: []string{"--metric", "error-rate", "-w", "10:5"},
			code: 3, service: "CRMGUARD ERROR_RATE", text: `invalid value "10:5" for flag -w: range "10:5": start 10 is greater than end 5; write the lower bound first, as in 5:10; see crmguard check --help$`},
		{name: "range that is not a number", args: []string{"--metric", "calls", "--critical", "abc"},
			code: 3, service: "CRMGUARD CALLS", text: `range "abc": end "abc" is not a number`},
		{name: "range of a colon", args: []string{"--metric", "calls", "-c", ":"},
			code: 3, text: `range ":": no start and no end`},
		{name: "empty range", args: []string{"--metric", "calls", "-c", ""},
			code: 3, text: `range "": empty`},
		{name: "unknown metric", args: []string{"--metric", "cpu"},
			code: 3, service: "CRMGUARD CHECK", text: `^unknown --metric "cpu": want one of error-rate, calls, latency, breaker, queue-depth, queue-age, dead-letters, alerts, incidents; see`},
		{name: "no metric", args: []string{"-c", "1"},
			code: 3, service: "CRMGUARD CHECK", text: `^--metric is required: one of error-rate, calls`},
		{name: "option of another metric", args: []string{"--metric", "breaker", "--over", "1h"},
			code: 3, service: "CRMGUARD BREAKER", text: `^--over does not apply to --metric breaker; it applies to error-rate, calls, latency;`},
		{name: "quantile of another metric", args: []string{"--metric", "error-rate", "--quantile", "p99"},
			code: 3, text: `^--quantile does not apply to --metric error-rate; it applies to latency;`},
		{name: "unknown class", args: []string{"--metric", "calls", "--class", "boom"},
			code: 3, text: `invalid value "boom" for flag -class: unknown cause class "boom" \(known: ok, network`},
		{name: "unknown quantile", args: []string{"--metric", "latency", "--quantile", "p90"},
			code: 3, text: `invalid value "p90" for flag -quantile: want one of p50, p95, p99, max, mean`},
		{name: "unknown --no-calls", args: []string{"--metric", "latency", "--no-calls", "fine"},
			code: 3, text: `invalid value "fine" for flag -no-calls: status "fine": want ok, warning, critical or unknown`},
		{name: "zero window", args: []string{"--metric", "calls", "--over", "0s"},
			code: 3, text: `^--over must be positive`},
		{name: "unknown option", args: []string{"--metric", "calls", "--frobnicate"},
			code: 3, text: `^flag provided but not defined: -frobnicate; see crmguard check --help$`},
		{name: "argument", args: []string{"--metric", "calls", "sf"},
			code: 3, text: `^unexpected argument "sf"`},
		{name: "unknown upstream", args: []string{"--metric", "error-rate", "--upstream", "sff"},
			code: 3, text: `^no upstream "sff": crmguard has hubspot, sf, zoho$`},
		{name: "unknown upstream of breakers", args: []string{"--metric", "breaker", "--upstream", "sff"},
			code: 3, text: `^no upstream "sff": crmguard has hubspot, sf, zoho$`},
		{name: "unknown upstream of incidents", args: []string{"--metric", "incidents", "--upstream", "sff"},
			code: 3, text: `^no upstream "sff": crmguard has hubspot, sf, zoho$`},
		{name: "alerts endpoint missing", args: []string{"--metric", "alerts"}, answers: map[string]string{"/api/v1/alerts": "-"},
			code: 3, text: `^listing firing alerts: no such endpoint: GET /api/v1/alerts`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			answers := map[string]string{}
			for k, v := range fakeAnswers {
				answers[k] = v
			}
			for k, v := range tc.answers {
				answers[k] = v
				if v == "-" {
					delete(answers, k)
				}
			}
			admin := newFakeAdmin(t, answers)
			code, o, raw := runPlugin(t, checkEnv(admin.url), tc.args...)
			if code != tc.code {
				t.Errorf("exit %d; want %d\n%s", code, tc.code, raw)
			}
			if tc.service != "" && o.Service != tc.service {
				t.Errorf("service %q; want %q", o.Service, tc.service)
			}
			if tc.text != "" && !regexp.MustCompile(tc.text).MatchString(o.Text) {
				t.Errorf("summary %q; want it to match %s", o.Text, tc.text)
			}
			if tc.perf != nil && !equalPerf(o.Perf, tc.perf) {
				t.Errorf("perfdata\n%+v\nwant\n%+v", o.Perf, tc.perf)
			}
			if tc.long != nil && strings.Join(o.Long, "\n") != strings.Join(tc.long, "\n") {
				t.Errorf("long output\n%s\nwant\n%s", strings.Join(o.Long, "\n"), strings.Join(tc.long, "\n"))
			}
			for k, want := range tc.query {
				path, param, _ := strings.Cut(k, "?")
				if got := admin.query(path).Get(param); got != want {
					t.Errorf("%s was sent %s=%q; want %q", path, param, got, want)
				}
			}
		})
	}
}

func equalPerf(a, b []perfItem) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestCheck_AdminAPIFailures covers what keeps the runPlugin from asking:
// every case is UNKNOWN, with the reason on the first line.
func TestCheck_AdminAPIFailures(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	gateway := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte("<h1>no route</h1>"))
	}))
	defer gateway.Close()
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	admin := newFakeAdmin(t, fakeAnswers)

	tests := []struct {
		name     string
		checkEnv map[string]string
		args     []string
		text     string
	}{
		{"admin API down", checkEnv(closed.URL), nil, `^listing upstreams: cannot reach the admin API at ` + regexp.QuoteMeta(closed.URL) + `: .*start crmguard, or point --admin`},
		{"wrong token", map[string]string{"CRMGUARD_ADMIN_URL": admin.url, "CRMGUARD_ADMIN_TOKEN": "wrong"}, nil,
			`^listing upstreams: admin API at ` + regexp.QuoteMeta(admin.url) + ` refused the token: set CRMGUARD_ADMIN_TOKEN to the token crmguard was started with$`},
		{"no token", map[string]string{"CRMGUARD_ADMIN_URL": admin.url}, nil, `^no admin token: set CRMGUARD_ADMIN_TOKEN to the token crmguard was started with`},
		{"token in another variable", map[string]string{"CRMGUARD_ADMIN_URL": admin.url, "MY_TOKEN": testToken}, []string{"--token-env", "MY_TOKEN", "-c", "0.5"}, `^sf error rate 12\.5% over 5m$`},
		{"bad admin URL", checkEnv("127.0.0.1:8081"), nil, `^--admin "127.0.0.1:8081" is not a URL such as http://127.0.0.1:8081$`},
		{"not the admin API", checkEnv(gateway.URL), nil, `answered 404 Not Found with "text/html", not the admin API's JSON: is --admin the admin listener`},
		{"no answer in time", checkEnv(slow.URL), []string{"--timeout", "200ms"}, `^listing upstreams: admin API at ` + regexp.QuoteMeta(slow.URL) + ` did not answer within 200ms: raise --timeout`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"--metric", "error-rate", "--upstream", "sf"}, tc.args...)
			code, o, raw := runPlugin(t, tc.checkEnv, args...)
			wantCode := 3
			if tc.name == "token in another variable" {
				wantCode = 0
			}
			if code != wantCode || !regexp.MustCompile(tc.text).MatchString(o.Text) {
				t.Errorf("exit %d, summary %q; want %d and a match of %s\n%s", code, o.Text, wantCode, tc.text, raw)
			}
		})
	}
}

func TestCheck_Help(t *testing.T) {
	for _, arg := range []string{"--help", "-h", "-help"} {
		var out, errOut bytes.Buffer
		code := checkCmd(context.Background(), []string{"--metric", "calls", arg}, func(string) string { return "" }, &out, &errOut)
		if code != 3 {
			t.Errorf("%s: exit %d; want 3 (UNKNOWN), as the guidelines ask of --help", arg, code)
		}
		if !strings.HasPrefix(out.String(), "Usage: crmguard check --metric M") || errOut.Len() > 0 {
			t.Errorf("%s: stdout %q, stderr %q; want the usage on stdout", arg, out.String(), errOut.String())
		}
	}
	var out bytes.Buffer
	checkCmd(context.Background(), []string{"--help"}, func(string) string { return "" }, &out, &out)
	help := out.String()
	for _, m := range checkMetrics {
		if !strings.Contains(help, "\n  "+m.name+" ") {
			t.Errorf("--help does not document --metric %s", m.name)
		}
	}
	for _, want := range []string{"-w, --warning RANGE", "-c, --critical RANGE", "--upstream U", "--class C", "--over D",
		"--quantile Q", "--no-calls S", "--admin URL", "--token-env NAME", "--timeout D", "default 10s", "@10:20", "~:10",
		"Exit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN"} {
		if !strings.Contains(help, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
	// Every class fault.Parse knows is listed.
	for _, c := range strings.Split("ok network timeout auth permission rate_limit parameter data_format version not_found conflict server unavailable canceled unknown", " ") {
		if !strings.Contains(help, c) {
			t.Errorf("--help does not list class %s", c)
		}
	}
}

// TestCheck_ExitCodeIsStatus checks every status maps to its exit code
// across metrics with one admin API, by moving the thresholds around the
// same value.
func TestCheck_ExitCodeIsStatus(t *testing.T) {
	admin := newFakeAdmin(t, fakeAnswers)
	for _, metric := range []struct {
		args  []string
		value float64
	}{
		{[]string{"--metric", "error-rate", "--upstream", "sf"}, 0.125},
		{[]string{"--metric", "calls", "--upstream", "sf"}, 200},
		{[]string{"--metric", "latency", "--upstream", "sf"}, 0.3105},
		{[]string{"--metric", "breaker", "--upstream", "sf"}, 1},
		{[]string{"--metric", "queue-depth"}, 14},
		{[]string{"--metric", "queue-age"}, 95.2},
		{[]string{"--metric", "dead-letters"}, 3},
		{[]string{"--metric", "alerts"}, 2},
		{[]string{"--metric", "incidents"}, 3},
	} {
		v := strconv.FormatFloat(metric.value, 'f', -1, 64)
		for _, tc := range []struct {
			warn, crit string
			code       int
		}{
			{v, v, 0},                   // at the end bound: inside, no alert
			{"~:" + v, "@0:0", 0},       // warn only above, crit only at 0
			{"0", v + ":", 1},           // above 0: warning
			{"0", "@" + v + ":" + v, 2}, // crit inside a range of the value alone
			{"", "~:0", 2},              // above 0: critical
		} {
			args := append(slices.Clone(metric.args), "-c", tc.crit)
			if tc.warn != "" {
				args = append(args, "-w", tc.warn)
			}
			code, o, raw := runPlugin(t, checkEnv(admin.url), args...)
			if code != tc.code {
				t.Errorf("%s: exit %d; want %d\n%s", strings.Join(args, " "), code, tc.code, raw)
				continue
			}
			if got := o.Perf[0].Value; got != v {
				t.Errorf("%s: perfdata value %s; want %s", strings.Join(args, " "), got, v)
			}
		}
	}
}

// TestCheck_OutputIsOneWrite makes sure a timeout of the monitoring
// system cannot leave a half-written first line: stdout gets the whole
// result in one write.
func TestCheck_OutputIsOneWrite(t *testing.T) {
	admin := newFakeAdmin(t, fakeAnswers)
	w := &writeCounter{}
	code := checkCmd(context.Background(), []string{"--metric", "breaker"}, func(k string) string { return checkEnv(admin.url)[k] }, w, &bytes.Buffer{})
	if code != 2 || w.writes != 1 {
		t.Errorf("exit %d with %d writes; want 2 in one write", code, w.writes)
	}
}

type writeCounter struct{ writes int }

func (w *writeCounter) Write(p []byte) (int, error) { w.writes++; return len(p), nil }

// realCheckAdmin starts crmguard's real admin API on loopback over an
// in-memory SQLite store holding rollups, incidents and queue entries
// written through the store's own write paths, so that the check reads
// the JSON the admin API really answers rather than the documentation's.
// sf had 200 calls in the running minute, 25 of them failed (20 timeouts
// at 2s, 5 auth at 50ms, 175 ok at 100ms), and 50 more timeouts half an
// hour ago; hubspot 4 of 1000 failed; zoho is configured without calls.
func realCheckAdmin(t *testing.T, withQueue bool) string {
	t.Helper()
	ctx := t.Context()
	db, err := store.Open(ctx, "sqlite::memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	now := time.Now().UTC()
	minute := now.Truncate(time.Minute)
	row := func(at time.Time, up, op string, c fault.Class, n int, latency time.Duration) rollup.Row {
		r := rollup.Row{Minute: at, Upstream: up, Operation: op, Class: c}
		for range n {
			r.Add(latency)
		}
		return r
	}
	occurrence := func(fp, up, op string, c fault.Class, n int64) incident.Occurrence {
		return incident.Occurrence{Fingerprint: fp, Upstream: up, Operation: op, Class: c, Message: "failed <n> times",
			FirstSeen: now.Add(-time.Minute), LastSeen: now, Count: n}
	}
	err = db.WriteBatch(ctx, recorder.Batch{
		Rollups: []rollup.Row{
			row(minute, "sf", "GET /query", fault.OK, 100, 100*time.Millisecond),
			row(minute, "sf", "POST /sobjects/Contact", fault.OK, 75, 100*time.Millisecond),
			row(minute, "sf", "POST /sobjects/Contact", fault.Timeout, 20, 2*time.Second),
			row(minute, "sf", "GET /query", fault.Auth, 5, 50*time.Millisecond),
			row(minute.Add(-30*time.Minute), "sf", "POST /sobjects/Contact", fault.Timeout, 50, 2*time.Second),
			row(minute, "hubspot", "GET /contacts", fault.OK, 996, 40*time.Millisecond),
			row(minute, "hubspot", "GET /contacts", fault.RateLimit, 4, 10*time.Millisecond),
		},
		Incidents: []incident.Occurrence{
			occurrence("00000000000000f1", "sf", "POST /sobjects/Contact", fault.Timeout, 20),
			occurrence("00000000000000f2", "sf", "GET /query", fault.Auth, 5),
			occurrence("00000000000000f3", "hubspot", "GET /contacts", fault.RateLimit, 4),
			occurrence("00000000000000f4", "sf", "GET /query", fault.Server, 1),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.ResolveIncident(ctx, "00000000000000f4", now); err != nil {
		t.Fatal(err)
	}

	// One dead entry, then two pending ones, the oldest created 3m ago.
	entry := func(id string, created time.Time) outbox.Entry {
		return outbox.Entry{ID: id, CallID: id, Upstream: "sf", Method: "PATCH", Path: "/sobjects/Contact/003", CreatedAt: created}
	}
	if err := db.Enqueue(ctx, entry("01KQ00000000000000000000C1", now.Add(-time.Hour))); err != nil {
		t.Fatal(err)
	}
	if got, err := db.Claim(ctx, "test", now, time.Hour, 10); err != nil || len(got) != 1 {
		t.Fatalf("Claim = %v, %v; want the entry to kill", got, err)
	}
	if err := db.Kill(ctx, "01KQ00000000000000000000C1", "test", "gave up", now); err != nil {
		t.Fatal(err)
	}
	for id, created := range map[string]time.Time{"01KQ00000000000000000000C2": now.Add(-3 * time.Minute), "01KQ00000000000000000000C3": now.Add(-time.Minute)} {
		e := entry(id, created)
		e.NextAt = now.Add(time.Hour)
		if err := db.Enqueue(ctx, e); err != nil {
			t.Fatal(err)
		}
	}

	since := now.Add(-2 * time.Minute)
	opts := admin.Options{Token: testToken, Store: db, Upstreams: func() []admin.UpstreamStatus {
		return []admin.UpstreamStatus{
			{Name: "sf", Endpoints: []admin.EndpointStatus{
				{URL: "https://acme.my.salesforce.com", Breaker: breaker.Open.String(), Since: since},
				{URL: "https://acme--standby.my.salesforce.com", Breaker: breaker.Closed.String(), Since: since},
			}},
			{Name: "hubspot", Endpoints: []admin.EndpointStatus{{URL: "https://api.hubapi.com", Breaker: breaker.Closed.String(), Since: since}}},
			{Name: "zoho", Endpoints: []admin.EndpointStatus{{URL: "https://www.zohoapis.eu", Breaker: breaker.HalfOpen.String(), Since: since}}},
		}
	}}
	if withQueue {
		opts.Queue = db
	}
	srv := httptest.NewServer(admin.New(opts))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestCheck_RealAdminAPI runs the check against crmguard's own admin API
// to prove the JSON the check reads is the JSON the API answers. Alerts
// are left out: GET /api/v1/alerts is not served yet.
func TestCheck_RealAdminAPI(t *testing.T) {
	adminURL := realCheckAdmin(t, true)
	tests := []struct {
		name string
		args []string
		code int
		text string
		perf []perfItem
	}{
		{"error rate of sf", []string{"--metric", "error-rate", "--upstream", "sf", "-w", "0.05", "-c", "0.1"}, 2, `^sf error rate 12\.5% over 5m$`,
			[]perfItem{{Label: "sf_error_rate", Value: "0.125", Warn: "0.05", Crit: "0.1", Min: "0", Max: "1"}}},
		{"error rate of every upstream", []string{"--metric", "error-rate", "-w", "0.01"}, 1, `^sf error rate 12\.5% over 5m \(WARNING\); 2 others OK$`,
			[]perfItem{
				{Label: "hubspot_error_rate", Value: "0.004", Warn: "0.01", Min: "0", Max: "1"},
				{Label: "sf_error_rate", Value: "0.125", Warn: "0.01", Min: "0", Max: "1"},
				{Label: "zoho_error_rate", Value: "0", Warn: "0.01", Min: "0", Max: "1"},
			}},
		{"error rate over an hour", []string{"--metric", "error-rate", "--upstream", "sf", "--over", "1h", "-c", "0.25"}, 2, `^sf error rate 30% over 1h$`,
			[]perfItem{{Label: "sf_error_rate", Value: "0.3", Crit: "0.25", Min: "0", Max: "1"}}},
		{"auth share", []string{"--metric", "error-rate", "--upstream", "sf", "--class", "auth", "-w", "0.02"}, 1, `^sf auth rate 2\.5% over 5m$`,
			[]perfItem{{Label: "sf_auth_rate", Value: "0.025", Warn: "0.02", Min: "0", Max: "1"}}},
		{"calls", []string{"--metric", "calls", "--upstream", "sf", "-c", "100:"}, 0, `^sf 200 calls over 5m$`,
			[]perfItem{{Label: "sf_calls", Value: "200", Crit: "100:", Min: "0"}}},
		{"calls of a class", []string{"--metric", "calls", "--upstream", "sf", "--class", "timeout", "-c", "10"}, 2, `^sf 20 timeout calls over 5m$`,
			[]perfItem{{Label: "sf_timeout_calls", Value: "20", Crit: "10", Min: "0"}}},
		{"no calls", []string{"--metric", "calls", "--upstream", "zoho", "-c", "1:"}, 2, `^zoho 0 calls over 5m$`,
			[]perfItem{{Label: "zoho_calls", Value: "0", Crit: "1:", Min: "0"}}},
		{"max latency", []string{"--metric", "latency", "--upstream", "sf", "--quantile", "max", "-c", "1"}, 2, `^sf max latency 2s over 5m$`,
			[]perfItem{{Label: "sf_latency_max", Value: "2", UOM: "s", Crit: "1", Min: "0"}}},
		{"mean latency", []string{"--metric", "latency", "--upstream", "sf", "--quantile", "mean", "-w", "0.25"}, 1, `^sf mean latency 288\.8ms over 5m$`,
			[]perfItem{{Label: "sf_latency_mean", Value: "0.28875", UOM: "s", Warn: "0.25", Min: "0"}}},
		{"breaker", []string{"--metric", "breaker"}, 2, `^sf 1 of 2 endpoints open \(CRITICAL\); 2 others OK$`,
			[]perfItem{
				{Label: "hubspot_open_endpoints", Value: "0", Crit: "0", Min: "0", Max: "1"},
				{Label: "sf_open_endpoints", Value: "1", Crit: "0", Min: "0", Max: "2"},
				{Label: "zoho_open_endpoints", Value: "0", Crit: "0", Min: "0", Max: "1"},
			}},
		{"queue depth", []string{"--metric", "queue-depth", "-w", "1", "-c", "10"}, 1, `^2 queued writes unfinished \(2 pending, 0 inflight\)$`,
			[]perfItem{{Label: "queue_depth", Value: "2", Warn: "1", Crit: "10", Min: "0"}}},
		{"dead letters", []string{"--metric", "dead-letters", "-c", "0"}, 2, `^1 dead letter in the write queue$`,
			[]perfItem{{Label: "dead_letters", Value: "1", Crit: "0", Min: "0"}}},
		{"open incidents", []string{"--metric", "incidents", "-w", "0", "-c", "5"}, 1, `^3 open incidents \(hubspot 1, sf 2\)$`,
			[]perfItem{{Label: "open_incidents", Value: "3", Warn: "0", Crit: "5", Min: "0"}}},
		{"open incidents of sf", []string{"--metric", "incidents", "--upstream", "sf", "-c", "1"}, 2, `^sf: 2 open incidents$`,
			[]perfItem{{Label: "open_incidents", Value: "2", Crit: "1", Min: "0"}}},
		{"open incidents of a class", []string{"--metric", "incidents", "--class", "timeout", "-c", "0"}, 2, `^1 open timeout incident \(sf 1\)$`,
			[]perfItem{{Label: "open_incidents", Value: "1", Crit: "0", Min: "0"}}},
		{"unknown upstream", []string{"--metric", "latency", "--upstream", "sff"}, 3, `^no upstream "sff": crmguard has hubspot, sf, zoho$`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, o, raw := runPlugin(t, checkEnv(adminURL), tc.args...)
			if code != tc.code || !regexp.MustCompile(tc.text).MatchString(o.Text) {
				t.Errorf("exit %d, summary %q; want %d and a match of %s\n%s", code, o.Text, tc.code, tc.text, raw)
			}
			if tc.perf != nil && !equalPerf(o.Perf, tc.perf) {
				t.Errorf("perfdata\n%+v\nwant\n%+v", o.Perf, tc.perf)
			}
		})
	}

	// Quantiles come from sketches with a relative error under 2%, and
	// the queue's age from the clock: these are judged by ranges.
	t.Run("p95 latency", func(t *testing.T) {
		code, o, raw := runPlugin(t, checkEnv(adminURL), "--metric", "latency", "--upstream", "sf", "-c", "1.9:2.1")
		v, err := strconv.ParseFloat(o.Perf[0].Value, 64)
		if code != 0 || err != nil || v < 1.96 || v > 2.04 || o.Perf[0].UOM != "s" {
			t.Errorf("exit %d, p95 %s%s; want 0 and 2s within 2%%\n%s", code, o.Perf[0].Value, o.Perf[0].UOM, raw)
		}
	})
	t.Run("queue age", func(t *testing.T) {
		code, o, raw := runPlugin(t, checkEnv(adminURL), "--metric", "queue-age", "-w", "120", "-c", "600")
		v, err := strconv.ParseFloat(o.Perf[0].Value, 64)
		if code != 1 || err != nil || v < 179 || v > 240 || o.Perf[0].Label != "queue_oldest_age" {
			t.Errorf("exit %d, age %s; want 1 and about 180s\n%s", code, o.Perf[0].Value, raw)
		}
	})
	t.Run("wrong token", func(t *testing.T) {
		code, o, raw := runPlugin(t, map[string]string{"CRMGUARD_ADMIN_URL": adminURL, "CRMGUARD_ADMIN_TOKEN": "not-the-token"}, "--metric", "breaker")
		if code != 3 || !strings.Contains(o.Text, "refused the token") {
			t.Errorf("exit %d, summary %q; want 3 and the refusal\n%s", code, o.Text, raw)
		}
	})
	t.Run("no queue", func(t *testing.T) {
		code, o, raw := runPlugin(t, checkEnv(realCheckAdmin(t, false)), "--metric", "queue-depth", "-c", "10")
		if code != 3 || !strings.HasPrefix(o.Text, "reading the write queue's counts: no queue: this crmguard runs without a durable write queue") {
			t.Errorf("exit %d, summary %q; want 3 and the API's reason\n%s", code, o.Text, raw)
		}
	})
}
