package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/recorder"
	"github.com/crmguard/crmguard/internal/report"
	"github.com/crmguard/crmguard/internal/rollup"
	"github.com/crmguard/crmguard/internal/store"
)

// reportStore writes a SQLite store with 3 ok calls and 2 auth failures of
// sf on 2026-11-22, and 1 ok call the day before.
func reportStore(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "crmguard.db")
	db, err := store.Open(t.Context(), "sqlite://"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	day := time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC)
	add := func(at time.Time, class fault.Class, n int) rollup.Row {
		r := rollup.Row{Minute: at, Upstream: "sf", Operation: "/query", Class: class}
		for range n {
			r.Add(10 * time.Millisecond)
		}
		return r
	}
	rows := []rollup.Row{add(day, fault.OK, 3), add(day, fault.Auth, 2), add(day.Add(-24*time.Hour), fault.OK, 1)}
	if err := db.WriteBatch(t.Context(), recorder.Batch{Rollups: rows}); err != nil {
		t.Fatal(err)
	}
	return path
}

func runReport(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := reportCmd(t.Context(), args, func(string) string { return "" }, &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

func TestReportCmd_MarkdownToStdout(t *testing.T) {
	dsn := "sqlite://" + reportStore(t)
	out, _, err := runReport(t, "--store", dsn, "--from", "2026-11-22", "--to", "2026-11-23")
	if err != nil {
		t.Fatalf("report: %v", err)
	}
	for _, want := range []string{
		"# crmguard report 2026-11-22 00:00 UTC – 2026-11-23 00:00 UTC",
		"- Calls: 5 ↑ from 1", "- Success ratio: 60.00%", "- Failures by class: auth 2 ↑ from 0",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestReportCmd_FormatFromOutAndConfig(t *testing.T) {
	path := reportStore(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "crmguard.yaml")
	yaml := "store: sqlite://" + path + "\nupstreams:\n  - {name: sf, url: \"https://example.my.salesforce.com\"}\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	html := filepath.Join(dir, "r.html")
	out, _, err := runReport(t, "--config", cfg, "--from", "2026-11-22T00:00:00Z", "--to", "2026-11-23T00:00:00Z", "--out", html)
	if err != nil {
		t.Fatalf("report: %v", err)
	}
	if !strings.Contains(out, "wrote the html report") {
		t.Errorf("output %q; want it to name what it wrote", out)
	}
	b, err := os.ReadFile(html)
	if err != nil || !strings.HasPrefix(string(b), "<!DOCTYPE html>") || !strings.Contains(string(b), `id="calls-chart"`) {
		t.Errorf("%s (err %v) is not the HTML report", html, err)
	}

	// --format wins over the extension; a time zone moves the dates.
	out, _, err = runReport(t, "--config", cfg, "--from", "2026-11-22", "--to", "2026-11-23", "--timezone", "America/New_York", "--format", "json")
	if err != nil {
		t.Fatalf("report: %v", err)
	}
	var r report.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("decoding %q: %v", out, err)
	}
	if !r.From.Equal(time.Date(2026, 11, 22, 5, 0, 0, 0, time.UTC)) || r.Total.Calls != 5 || r.Timezone != "America/New_York" {
		t.Errorf("report from %v with %d calls in %q; want 05:00 UTC, 5 calls, America/New_York", r.From, r.Total.Calls, r.Timezone)
	}
}

func TestReportCmd_DefaultPeriodIsLast24h(t *testing.T) {
	dsn := "sqlite://" + reportStore(t)
	out, _, err := runReport(t, "--store", dsn, "--format", "json")
	if err != nil {
		t.Fatalf("report: %v", err)
	}
	var r report.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if d := r.To.Sub(r.From); d != 24*time.Hour || time.Since(r.To) > time.Minute {
		t.Errorf("default period %v – %v; want the 24 hours up to now", r.From, r.To)
	}
}

func TestReportCmd_Errors(t *testing.T) {
	dsn := "sqlite://" + reportStore(t)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no store", []string{"--from", "24h"}, "give --config crmguard.yaml"},
		{"both", []string{"--store", dsn, "--config", "x.yaml"}, "not both"},
		{"missing file", []string{"--store", "sqlite://" + filepath.Join(t.TempDir(), "nope.db")}, "no store at"},
		{"bad from", []string{"--store", dsn, "--from", "yesterday"}, "want an RFC 3339 time"},
		{"negative", []string{"--store", dsn, "--to", "-1h"}, "must not be negative"},
		{"reversed", []string{"--store", dsn, "--from", "2026-11-23", "--to", "2026-11-22"}, "is not before --to"},
		{"format", []string{"--store", dsn, "--format", "pdf"}, "want html, md, csv or json"},
		{"timezone", []string{"--store", dsn, "--timezone", "Mars/Olympus"}, "IANA name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := runReport(t, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v; want one containing %q", err, tc.want)
			}
		})
	}
}
