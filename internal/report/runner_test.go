package report_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/report"
)

// clock is a fake time the test moves.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *clock) add(d time.Duration) { c.set(c.now().Add(d)) }

var quiet = slog.New(slog.DiscardHandler)

type mail struct {
	subject, body string
	files         []string
}

func names(t *testing.T, paths []string) []string {
	t.Helper()
	var out []string
	for _, p := range paths {
		out = append(out, filepath.Base(p))
	}
	slices.Sort(out)
	return out
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

func TestRunner_WritesOnceAndSurvivesRestart(t *testing.T) {
	db := openStore(t)
	plant(t, db)
	dir := filepath.Join(t.TempDir(), "reports")
	clk := &clock{t: time.Date(2026, 11, 23, 0, 10, 0, 0, time.UTC)} // a Monday
	var (
		mu    sync.Mutex
		mails []mail
	)
	opts := report.Options{
		Dir: dir, Every: []report.Kind{report.Daily, report.Weekly}, Now: clk.now, Logger: quiet,
		Mail: func(_ context.Context, subject, body string, files ...report.Attachment) error {
			m := mail{subject: subject, body: body}
			for _, f := range files {
				m.files = append(m.files, f.Name)
			}
			mu.Lock()
			mails = append(mails, m)
			mu.Unlock()
			return nil
		},
	}
	newRunner := func() *report.Runner {
		r, err := report.NewRunner(db, opts)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	tick := func(r *report.Runner) []string {
		t.Helper()
		paths, err := r.Tick(t.Context())
		if err != nil {
			t.Fatalf("Tick: %v", err)
		}
		return names(t, paths)
	}

	r := newRunner()
	want := []string{"crmguard-daily-2026-11-22.html", "crmguard-daily-2026-11-22.md",
		"crmguard-weekly-2026-11-16.html", "crmguard-weekly-2026-11-16.md"}
	if got := tick(r); !reflect.DeepEqual(got, want) {
		t.Fatalf("first tick wrote %v; want %v", got, want)
	}
	if got := dirNames(t, dir); !reflect.DeepEqual(got, want) {
		t.Errorf("directory holds %v; want only %v", got, want)
	}
	if len(mails) != 2 {
		t.Fatalf("%d mails; want one per report", len(mails))
	}
	daily := mails[0]
	if daily.subject != "crmguard daily report 2026-11-22: 256 calls, 93.75% succeeded, 1 alerts" ||
		!strings.Contains(daily.body, "- Calls: 256 ↑ from 95") ||
		!reflect.DeepEqual(daily.files, []string{"crmguard-daily-2026-11-22.html", "crmguard-daily-2026-11-22.md"}) {
		t.Errorf("daily mail = %q with %v; want the day's figures and both files", daily.subject, daily.files)
	}
	// The weekly report covers the planted day, the one before and the
	// 1000 calls planted on the 20th, and both alerts that fired.
	if want := "crmguard weekly report 2026-11-16: 1,351 calls, 22.95% succeeded, 2 alerts"; mails[1].subject != want {
		t.Errorf("weekly mail subject = %q; want %q", mails[1].subject, want)
	}
	html, err := os.ReadFile(filepath.Join(dir, "crmguard-daily-2026-11-22.html"))
	if err != nil || !strings.Contains(string(html), `<div class="v" id="total-calls">256</div>`) {
		t.Errorf("daily HTML (err %v) lacks its 256 calls", err)
	}

	// The same tick again, and a restarted runner later the same day:
	// nothing new, no mail.
	if got := tick(r); len(got) != 0 {
		t.Errorf("second tick wrote %v; want nothing", got)
	}
	clk.add(6 * time.Hour)
	r = newRunner()
	if got := tick(r); len(got) != 0 {
		t.Errorf("tick after a restart wrote %v; want nothing", got)
	}
	if len(mails) != 2 {
		t.Errorf("%d mails; want still 2", len(mails))
	}

	// A format lost (a crash between files): only it is written again.
	if err := os.Remove(filepath.Join(dir, "crmguard-daily-2026-11-22.md")); err != nil {
		t.Fatal(err)
	}
	if got, want := tick(r), []string{"crmguard-daily-2026-11-22.md"}; !reflect.DeepEqual(got, want) {
		t.Errorf("tick after losing a file wrote %v; want %v", got, want)
	}

	// The next day at 00:05: the next daily report, not another weekly.
	clk.set(time.Date(2026, 11, 24, 0, 5, 0, 0, time.UTC))
	if got, want := tick(r), []string{"crmguard-daily-2026-11-23.html", "crmguard-daily-2026-11-23.md"}; !reflect.DeepEqual(got, want) {
		t.Errorf("next day wrote %v; want %v", got, want)
	}
}

func TestRunner_FormatsAndTimezone(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	db := openStore(t)
	plant(t, db)
	dir := t.TempDir()
	r, err := report.NewRunner(db, report.Options{Dir: dir, Every: []report.Kind{report.Daily},
		Formats: []report.Format{report.CSV, report.JSON}, Location: berlin, Logger: quiet,
		Now: func() time.Time { return time.Date(2026, 11, 22, 23, 5, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	paths, err := r.Tick(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(t, paths), []string{"crmguard-daily-2026-11-22.csv", "crmguard-daily-2026-11-22.json"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("wrote %v; want %v", got, want)
	}
	b, err := os.ReadFile(filepath.Join(dir, "crmguard-daily-2026-11-22.json"))
	if err != nil {
		t.Fatal(err)
	}
	// The Berlin day starts at 23:00 UTC the day before.
	for _, want := range []string{`"from": "2026-11-21T23:00:00Z"`, `"to": "2026-11-22T23:00:00Z"`, `"timezone": "Europe/Berlin"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON report lacks %s", want)
		}
	}
}

func TestNewRunner_Rejects(t *testing.T) {
	db := openStore(t)
	for _, tc := range []struct {
		name string
		o    report.Options
		want string
	}{
		{"no dir", report.Options{Every: []report.Kind{report.Daily}}, "no directory"},
		{"no schedule", report.Options{Dir: "x"}, "no schedule"},
		{"bad kind", report.Options{Dir: "x", Every: []report.Kind{"hourly"}}, `"hourly"`},
		{"bad format", report.Options{Dir: "x", Every: []report.Kind{report.Daily}, Formats: []report.Format{"pdf"}}, `"pdf"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := report.NewRunner(db, tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NewRunner error = %v; want one mentioning %s", err, tc.want)
			}
		})
	}
}
