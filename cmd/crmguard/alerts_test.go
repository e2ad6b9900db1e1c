package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/admin"
	"github.com/crmguard/crmguard/internal/alert"
	"github.com/crmguard/crmguard/internal/notify"
	"github.com/crmguard/crmguard/internal/store"
)

// The fixture's alerts, in the order the admin API lists them.
const (
	alertAuth  = "a1a1a1a1a1a1a1a1" // firing for 12 minutes, critical
	alertQueue = "b2b2b2b2b2b2b2b2" // pending for 45 seconds, in a maintenance window
	alertSlow  = "c3c3c3c3c3c3c3c3" // resolved an hour ago
)

// alertsAdmin starts crmguard's admin API on loopback over an in-memory
// store holding three alerts, their history and two notifications. It
// returns the store and the environment the alerts commands read, with
// USER set to jane.
func alertsAdmin(t *testing.T) (*store.DB, map[string]string) {
	t.Helper()
	ctx := t.Context()
	db, err := store.Open(ctx, "sqlite::memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	now := time.Now()
	at := func(d time.Duration) time.Time { return now.Add(-d) }
	auth := alert.Alert{ID: alertAuth, Rule: "sf-auth-failures", Severity: "critical", Group: "sf-auth-failures{upstream=sf}",
		Labels: map[string]string{"alertname": "sf-auth-failures", "severity": "critical", "upstream": "sf", "class": "auth"},
		Annotations: map[string]string{
			"summary":     "Salesforce rejects crmguard's credentials",
			"description": "12 calls failed with 401 in 5m.\nThe token refresh fails too.",
			"remediation": "Renew the connected app's secret.",
			"runbook":     "https://wiki.example.com/crmguard/sf-auth",
		},
		State: alert.Firing, Value: 12, ActiveSince: at(15 * time.Minute), FiredAt: at(12 * time.Minute), UpdatedAt: now}
	backlog := alert.Alert{ID: alertQueue, Rule: "queue-backlog", Severity: "warning", Group: "queue-backlog",
		Labels:      map[string]string{"alertname": "queue-backlog", "severity": "warning", "upstream": "hubspot"},
		Annotations: map[string]string{"summary": "The write queue of hubspot is growing"},
		State:       alert.Pending, Value: 250, ActiveSince: at(45 * time.Second), UpdatedAt: now,
		SilencedBy: []string{"maintenance hubspot-upgrade"}}
	slow := alert.Alert{ID: alertSlow, Rule: "slow-calls", Severity: "info", Group: "slow-calls",
		Labels:      map[string]string{"alertname": "slow-calls", "severity": "info", "upstream": "sf"},
		Annotations: map[string]string{"summary": "Salesforce answers slowly"},
		State:       alert.Resolved, Value: 0.8, ActiveSince: at(3 * time.Hour), FiredAt: at(3 * time.Hour),
		ResolvedAt: at(time.Hour), UpdatedAt: now}
	err = db.SaveAlerts(ctx, alert.Change{
		Upsert: []alert.Alert{auth, backlog, slow},
		Events: []alert.Event{
			{At: at(3 * time.Hour), AlertID: alertSlow, Rule: "slow-calls", Labels: slow.Labels, Kind: alert.EventFiring, Detail: "Salesforce answers slowly"},
			{At: at(time.Hour), AlertID: alertSlow, Rule: "slow-calls", Labels: slow.Labels, Kind: alert.EventResolved},
			{At: at(12 * time.Minute), AlertID: alertAuth, Rule: "sf-auth-failures", Labels: auth.Labels, Kind: alert.EventFiring, Detail: "Salesforce rejects crmguard's credentials"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []notify.Record{
		{At: at(12 * time.Minute), Notifier: "slack", Group: auth.Group, Kind: notify.Fire, Outcome: notify.Sent, Attempts: 1, Alerts: []string{alertAuth}},
		{At: at(11 * time.Minute), Notifier: "pagerduty", Group: auth.Group, Kind: notify.Fire, Outcome: notify.Failed, Attempts: 3,
			Error: "POST https://events.pagerduty.com/v2/enqueue: 400 Bad Request: invalid routing key", Alerts: []string{alertAuth}},
	} {
		if err := db.LogNotification(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(admin.New(admin.Options{Token: testToken, Alerts: db}))
	t.Cleanup(srv.Close)
	return db, map[string]string{"CRMGUARD_ADMIN_URL": srv.URL, "CRMGUARD_ADMIN_TOKEN": testToken, "USER": "jane"}
}

// runAlerts runs crmguard alerts args in env and returns its output and
// error.
func runAlerts(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = alertsCmd(context.Background(), args, func(k string) string { return env[k] }, &out, &errOut)
	return out.String(), errOut.String(), err
}

// mustRun runs crmguard alerts args and fails the test unless it succeeds.
func mustRun(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	out, errOut, err := runAlerts(t, env, args...)
	if err != nil {
		t.Fatalf("alerts %s: %v\n%s", strings.Join(args, " "), err, errOut)
	}
	return out
}

// failed reports whether err is a failure, which exits 1: not a usage
// error or a request for help.
func failed(err error) bool {
	return err != nil && !errors.Is(err, errUsage) && !errors.Is(err, flag.ErrHelp)
}

// columns splits a table line at its runs of two or more spaces.
func columns(l string) []string { return regexp.MustCompile(`\s{2,}`).Split(strings.TrimSpace(l), -1) }

func TestAlertsList_Table(t *testing.T) {
	_, env := alertsAdmin(t)
	out := mustRun(t, env, "list")
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	header := []string{"ID", "STATE", "SEVERITY", "RULE", "LABELS", "AGE", "ACK", "SILENCED"}
	if got := columns(lines[0]); strings.Join(got, "|") != strings.Join(header, "|") {
		t.Fatalf("header %q; want the columns %v", lines[0], header)
	}
	want := []struct {
		row     []string
		summary string
	}{
		{[]string{alertAuth, "firing", "critical", "sf-auth-failures", "class=auth,upstream=sf", "12m", "-", "no"},
			"Salesforce rejects crmguard's credentials"},
		{[]string{alertQueue, "pending", "warning", "queue-backlog", "upstream=hubspot", "45s", "-", "yes"},
			"The write queue of hubspot is growing"},
		{[]string{alertSlow, "resolved", "info", "slow-calls", "upstream=sf", "3h00m", "-", "no"},
			"Salesforce answers slowly"},
	}
	if len(lines) != 1+2*len(want) {
		t.Fatalf("%d lines; want a header and %d rows, each with its summary:\n%s", len(lines), len(want), out)
	}
	for i, w := range want {
		row, summary := lines[1+2*i], lines[2+2*i]
		got := columns(row)
		if w.row[5] == "45s" && len(got) == len(w.row) && regexp.MustCompile(`^4[5-9]s$`).MatchString(got[5]) {
			got[5] = "45s" // the test may take a few seconds
		}
		if strings.Join(got, "|") != strings.Join(w.row, "|") {
			t.Errorf("row %d = %q; want %v", i+1, row, w.row)
		}
		if summary != "    "+w.summary {
			t.Errorf("line after row %d = %q; want the summary %q, indented", i+1, summary, w.summary)
		}
		// Every column starts where its heading does.
		for _, col := range header[1:] {
			at := strings.Index(lines[0], col)
			if at >= len(row) || row[at-1] != ' ' || row[at] == ' ' {
				t.Errorf("column %s (at %d) is not aligned in %q", col, at, row)
			}
		}
		if len(row) > 100 {
			t.Errorf("row %d is %d characters wide; want at most 100", i+1, len(row))
		}
	}
}

func TestAlertsList_StateAndJSON(t *testing.T) {
	_, env := alertsAdmin(t)
	out := mustRun(t, env, "list", "--state", "firing", "--json")
	var v struct {
		Alerts []struct {
			ID     string
			State  string
			Labels map[string]string
		}
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("list --json: %v\n%s", err, out)
	}
	if len(v.Alerts) != 1 || v.Alerts[0].ID != alertAuth || v.Alerts[0].Labels["alertname"] != "sf-auth-failures" {
		t.Errorf("list --state firing --json = %+v; want just %s with all its labels", v.Alerts, alertAuth)
	}
	if out := mustRun(t, env, "list", "--state", "pending"); !strings.Contains(out, alertQueue) || strings.Contains(out, alertAuth) {
		t.Errorf("list --state pending:\n%s\nwant only %s", out, alertQueue)
	}
}

func TestAlertsList_Empty(t *testing.T) {
	db, env := alertsAdmin(t)
	if err := db.SaveAlerts(t.Context(), alert.Change{Delete: []string{alertAuth, alertQueue, alertSlow}}); err != nil {
		t.Fatal(err)
	}
	if out := mustRun(t, env, "list"); out != "no alerts\n" {
		t.Errorf("list with no alerts = %q", out)
	}
	if out := mustRun(t, env, "list", "--state", "firing"); out != "no firing alerts\n" {
		t.Errorf("list --state firing with no alerts = %q", out)
	}
}

func TestAlertsShow(t *testing.T) {
	_, env := alertsAdmin(t)
	out := mustRun(t, env, "show", alertAuth)
	for _, want := range []string{
		`(?m)^ID: +` + alertAuth + `$`, `(?m)^Rule: +sf-auth-failures$`, `(?m)^State: +firing$`, `(?m)^Severity: +critical$`,
		`(?m)^Group: +sf-auth-failures\{upstream=sf\}$`, `(?m)^Value: +12$`,
		`(?m)^Active since: +\S+Z \(15m ago\)$`, `(?m)^Fired: +\S+Z \(12m ago\)$`, `(?m)^Acknowledged: +no$`,
		"Labels:\n  alertname=sf-auth-failures\n  class=auth\n  severity=critical\n  upstream=sf\n",
		"Annotations:\n  summary: Salesforce rejects crmguard's credentials\n" +
			"  description: 12 calls failed with 401 in 5m.\n    The token refresh fails too.\n" +
			"  remediation: Renew the connected app's secret.\n  runbook: https://wiki.example.com/crmguard/sf-auth\n$",
	} {
		if !regexp.MustCompile(want).MatchString(out) && !strings.Contains(out, want) {
			t.Errorf("show does not match %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Resolved:") || strings.Contains(out, "Silenced by:") {
		t.Errorf("show prints fields that are not set:\n%s", out)
	}
	if out := mustRun(t, env, "show", alertQueue); !regexp.MustCompile(`(?m)^Silenced by: +maintenance hubspot-upgrade$`).MatchString(out) {
		t.Errorf("show %s does not say what silences it:\n%s", alertQueue, out)
	}

	out = mustRun(t, env, "show", "--json", alertSlow)
	var v map[string]any
	if err := json.Unmarshal([]byte(out), &v); err != nil || v["state"] != "resolved" || v["resolved_at"] == nil || v["acknowledged"] != nil {
		t.Errorf("show --json: %v\n%s", err, out)
	}

	_, _, err := runAlerts(t, env, "show", "0000000000000000")
	if !failed(err) || !strings.Contains(err.Error(), "showing alert 0000000000000000: no alert 0000000000000000") {
		t.Errorf("show unknown: %v; want exit 1 with the API's reason", err)
	}
}

func TestAlertsAck(t *testing.T) {
	_, env := alertsAdmin(t)
	out := mustRun(t, env, "ack", alertAuth, "--by", "sam", "--comment", "renewing the secret")
	if want := "acknowledged " + alertAuth + " (sf-auth-failures) as sam\n"; out != want {
		t.Errorf("ack = %q; want %q", out, want)
	}
	out = mustRun(t, env, "show", alertAuth)
	if !regexp.MustCompile(`(?m)^Acknowledged: +by sam at \S+Z \(\d+s ago\): renewing the secret$`).MatchString(out) {
		t.Errorf("show after ack:\n%s", out)
	}
	if out := mustRun(t, env, "list", "--state", "firing"); columns(strings.Split(out, "\n")[1])[6] != "sam" {
		t.Errorf("list after ack does not name sam in ACK:\n%s", out)
	}

	out = mustRun(t, env, "history", "--alert", alertAuth)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if got := columns(lines[0]); strings.Join(got, "|") != "AT|KIND|ALERT|RULE|BY|LABELS" {
		t.Fatalf("history header %q", lines[0])
	}
	// Newest first: the acknowledgement, then the firing, each with its detail.
	if len(lines) != 5 {
		t.Fatalf("history --alert %s: %d lines; want a header and two events with their details:\n%s", alertAuth, len(lines), out)
	}
	if got := columns(lines[1]); len(got) != 6 || got[1] != "acknowledged" || got[2] != alertAuth || got[4] != "sam" || got[5] != "class=auth,upstream=sf" {
		t.Errorf("history row 1 = %q; want the acknowledgement by sam", lines[1])
	}
	if lines[2] != "    renewing the secret" {
		t.Errorf("history detail 1 = %q; want the comment", lines[2])
	}
	if got := columns(lines[3]); len(got) != 6 || got[1] != "firing" || got[4] != "-" {
		t.Errorf("history row 2 = %q; want the firing, by nobody", lines[3])
	}

	// --by defaults to $USER.
	mustRun(t, env, "ack", alertQueue)
	out = mustRun(t, env, "history", "--json", "--since", "1m")
	var v struct{ Events []map[string]any }
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("history --json: %v\n%s", err, out)
	}
	if len(v.Events) != 2 || v.Events[0]["alert_id"] != alertQueue || v.Events[0]["by"] != "jane" || v.Events[1]["by"] != "sam" {
		t.Errorf("history --since 1m = %v; want the two acknowledgements, newest (by jane) first", v.Events)
	}
	if out := mustRun(t, env, "history", "--rule", "slow-calls", "--limit", "1"); strings.Count(out, alertSlow) != 1 || !strings.Contains(out, " resolved ") {
		t.Errorf("history --rule slow-calls --limit 1:\n%s\nwant only its resolution", out)
	}
}

func TestAlertsAck_Refused(t *testing.T) {
	_, env := alertsAdmin(t)
	for _, tc := range []struct {
		name, id, want string
	}{
		{"unknown", "0000000000000000", "acknowledging alert 0000000000000000: no alert 0000000000000000"},
		{"resolved", alertSlow, "acknowledging alert " + alertSlow + ": alert " + alertSlow + " has resolved; there is nothing to acknowledge"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, _, err := runAlerts(t, env, "ack", tc.id)
			if !failed(err) || !strings.Contains(err.Error(), tc.want) || out != "" {
				t.Errorf("ack %s: %v, stdout %q; want exit 1 with %q", tc.id, err, out, tc.want)
			}
		})
	}
}

func TestAlertsSilence(t *testing.T) {
	_, env := alertsAdmin(t)
	out := mustRun(t, env, "silence", "--match", "upstream=sf", "--match", "alertname=sf-*", "--for", "2h", "--comment", "Salesforce maintenance")
	m := regexp.MustCompile(`^created silence ([0-9a-f]{16}) until \S+Z \(in (1h59m|2h00m)\)\n$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("silence printed %q; want its ID and end", out)
	}
	id := m[1]
	until := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second)
	out = mustRun(t, env, "silence", "--match", "upstream=hubspot", "--until", until.Format(time.RFC3339), "--by", "sam")
	if !strings.Contains(out, until.Format(time.RFC3339)) {
		t.Errorf("silence --until printed %q; want the end %s", out, until.Format(time.RFC3339))
	}

	out = mustRun(t, env, "silences")
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if got := columns(lines[0]); strings.Join(got, "|") != "ID|STATE|STARTS|ENDS|BY|MATCHERS" {
		t.Fatalf("silences header %q", lines[0])
	}
	// Soonest ending first, each with its comment, if any.
	if len(lines) != 4 {
		t.Fatalf("silences: %d lines; want a header, two silences and one comment:\n%s", len(lines), out)
	}
	if got := columns(lines[1]); len(got) != 6 || got[0] != id || got[1] != "active" || got[3] != "in "+m[2] || got[4] != "jane" || got[5] != "alertname=sf-*,upstream=sf" {
		t.Errorf("silences row 1 = %q; want %s, active, by jane, with its matchers", lines[1], id)
	}
	if lines[2] != "    Salesforce maintenance" {
		t.Errorf("silences line 2 = %q; want the comment", lines[2])
	}
	if got := columns(lines[3]); len(got) != 6 || got[4] != "sam" || got[5] != "upstream=hubspot" {
		t.Errorf("silences row 2 = %q; want the silence by sam", lines[3])
	}

	if out := mustRun(t, env, "expire", id); out != "expired silence "+id+"\n" {
		t.Errorf("expire = %q", out)
	}
	if out := mustRun(t, env, "silences"); strings.Contains(out, id) {
		t.Errorf("silences lists the expired silence:\n%s", out)
	}
	out = mustRun(t, env, "silences", "--expired", "--json")
	var v struct{ Silences []map[string]any }
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("silences --json: %v\n%s", err, out)
	}
	if len(v.Silences) != 2 || v.Silences[0]["id"] != id || v.Silences[0]["active"] != false || v.Silences[1]["active"] != true {
		t.Errorf("silences --expired --json = %v; want %s inactive and the other active", v.Silences, id)
	}
	if out := mustRun(t, env, "silences", "--expired"); !regexp.MustCompile(`(?m)^` + id + ` +expired +`).MatchString(out) {
		t.Errorf("silences --expired does not show %s as expired:\n%s", id, out)
	}

	out, _, err := runAlerts(t, env, "expire", "ffffffffffffffff")
	if !failed(err) || !strings.Contains(err.Error(), "expiring silence ffffffffffffffff: no silence ffffffffffffffff") || out != "" {
		t.Errorf("expire unknown: %v, stdout %q; want exit 1 with the API's reason", err, out)
	}
}

func TestAlertsNotifications(t *testing.T) {
	_, env := alertsAdmin(t)
	out := mustRun(t, env, "notifications")
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if got := columns(lines[0]); strings.Join(got, "|") != "AT|NOTIFIER|KIND|OUTCOME|ATTEMPTS|ALERTS|GROUP" {
		t.Fatalf("notifications header %q", lines[0])
	}
	if len(lines) != 4 {
		t.Fatalf("notifications: %d lines; want a header, two notifications and one error:\n%s", len(lines), out)
	}
	if got := columns(lines[1]); strings.Join(got[1:], "|") != "pagerduty|firing|failed|3|1|sf-auth-failures{upstream=sf}" {
		t.Errorf("notifications row 1 = %q; want the failed page, newest first", lines[1])
	}
	if want := "    error: POST https://events.pagerduty.com/v2/enqueue: 400 Bad Request: invalid routing key"; lines[2] != want {
		t.Errorf("notifications line 2 = %q; want %q", lines[2], want)
	}
	if got := columns(lines[3]); strings.Join(got[1:], "|") != "slack|firing|sent|1|1|sf-auth-failures{upstream=sf}" {
		t.Errorf("notifications row 2 = %q; want the slack message", lines[3])
	}

	out = mustRun(t, env, "notifications", "--notifier", "slack", "--since", "1h", "--json")
	var v struct{ Notifications []map[string]any }
	if err := json.Unmarshal([]byte(out), &v); err != nil || len(v.Notifications) != 1 || v.Notifications[0]["notifier"] != "slack" {
		t.Errorf("notifications --notifier slack --json: %v\n%s", err, out)
	}
	if out := mustRun(t, env, "notifications", "--since", "5m"); out != "no notifications match\n" {
		t.Errorf("notifications --since 5m = %q", out)
	}
}

func TestAlerts_UsageErrors(t *testing.T) {
	_, env := alertsAdmin(t)
	noUser := map[string]string{"CRMGUARD_ADMIN_URL": env["CRMGUARD_ADMIN_URL"], "CRMGUARD_ADMIN_TOKEN": testToken}
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string // in stderr
	}{
		{"no command", env, nil, "Usage: crmguard alerts COMMAND"},
		{"unknown command", env, []string{"mute"}, `unknown command "mute"`},
		{"bad state", env, []string{"list", "--state", "open"}, "want pending, firing or resolved"},
		{"list argument", env, []string{"list", alertAuth}, `unexpected argument "` + alertAuth + `"`},
		{"show without ID", env, []string{"show"}, "want one alert ID"},
		{"history bad since", env, []string{"history", "--since", "yesterday"}, `--since "yesterday": want a duration ago`},
		{"history negative since", env, []string{"history", "--since", "-5m"}, "must not be negative"},
		{"history limit", env, []string{"history", "--limit", "0"}, "--limit must be from 1 to 1000"},
		{"notifications limit", env, []string{"notifications", "--limit", "1001"}, "--limit must be from 1 to 1000"},
		{"ack without ID", env, []string{"ack"}, "want one alert ID"},
		{"ack without user", noUser, []string{"ack", alertAuth}, "say who you are with --by NAME ($USER is not set)"},
		{"ack long comment", env, []string{"ack", alertAuth, "--comment", strings.Repeat("x", 1001)}, "--comment must be UTF-8 text of at most 1000 bytes"},
		{"silence without match", env, []string{"silence", "--for", "2h"}, "say which alerts to silence with --match"},
		{"match without =", env, []string{"silence", "--match", "upstream", "--for", "2h"}, "want LABEL=VALUE"},
		{"match bad label", env, []string{"silence", "--match", "up-stream=sf", "--for", "2h"}, `"up-stream" is not a label name`},
		{"match every value", env, []string{"silence", "--match", "upstream=*", "--for", "2h"}, "would match every value"},
		{"match twice", env, []string{"silence", "--match", "upstream=sf", "--match", "upstream=hubspot", "--for", "2h"}, "label upstream is matched twice"},
		{"for and until", env, []string{"silence", "--match", "upstream=sf", "--for", "2h", "--until", "2099-01-01T00:00:00Z"}, "give --for or --until, not both"},
		{"no end", env, []string{"silence", "--match", "upstream=sf"}, "say when the silence ends"},
		{"negative for", env, []string{"silence", "--match", "upstream=sf", "--for", "-2h"}, "--for must be positive"},
		{"bad until", env, []string{"silence", "--match", "upstream=sf", "--until", "tomorrow"}, `--until "tomorrow": want an RFC 3339 time`},
		{"past until", env, []string{"silence", "--match", "upstream=sf", "--until", "2020-01-01T00:00:00Z"}, "has passed"},
		{"silence without user", noUser, []string{"silence", "--match", "upstream=sf", "--for", "2h"}, "say who you are with --by NAME"},
		{"silences argument", env, []string{"silences", "all"}, `unexpected argument "all"`},
		{"expire without ID", env, []string{"expire"}, "want one silence ID"},
		{"no token", map[string]string{"USER": "jane"}, []string{"list"}, "no admin token: set CRMGUARD_ADMIN_TOKEN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, err := runAlerts(t, tc.env, tc.args...)
			if !errors.Is(err, errUsage) || !strings.Contains(errOut, tc.want) || out != "" {
				t.Errorf("alerts %q: %v, stderr %q, stdout %q; want a usage error mentioning %q", tc.args, err, errOut, out, tc.want)
			}
		})
	}
}

func TestAlerts_WithoutAlertStore(t *testing.T) {
	srv := httptest.NewServer(admin.New(admin.Options{Token: testToken}))
	defer srv.Close()
	_, _, err := runAlerts(t, map[string]string{"CRMGUARD_ADMIN_URL": srv.URL, "CRMGUARD_ADMIN_TOKEN": testToken}, "list")
	if !failed(err) || !strings.Contains(err.Error(), "listing alerts: alerts are not available on this server") {
		t.Errorf("list against crmguard without alerts: %v", err)
	}
}

func TestAlerts_Help(t *testing.T) {
	out := mustRun(t, nil, "--help")
	for _, want := range []string{"list [--state S]", "show ID", "history [--since D] [--alert ID] [--rule R] [--limit N]",
		"ack ID [--comment TEXT] [--by NAME]", "silence --match LABEL=VALUE... (--for D | --until TIME)", "silences [--expired]",
		"expire SILENCE_ID", "notifications [--since D] [--notifier N]", "--json", "$USER",
		"--admin URL", "CRMGUARD_ADMIN_URL", "--token-env", "CRMGUARD_ADMIN_TOKEN", "--timeout", "Exit status"} {
		if !strings.Contains(out, want) {
			t.Errorf("alerts --help lacks %q", want)
		}
	}
	_, errOut, err := runAlerts(t, nil, "silence", "--help")
	if !errors.Is(err, flag.ErrHelp) || !strings.Contains(errOut, "-match LABEL=VALUE") || !strings.Contains(errOut, "-until time") {
		t.Errorf("alerts silence --help: %v, %q", err, errOut)
	}
	if code, out, _ := crmguard(t, "help"); code != 0 || !strings.Contains(out, "crmguard alerts list|show|history|ack|silence|silences|expire|notifications") {
		t.Errorf("crmguard help does not list the alerts command:\n%s", out)
	}
}
