package report_test

import (
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/report"
)

func TestSchedule_Due(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	utc := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		name     string
		s        report.Schedule
		last     string // "" for none
		now      string
		from, to string
		ok       bool
	}{
		{"daily at 00:05 UTC", report.Schedule{Kind: report.Daily}, "", "2026-11-23T00:05:00Z",
			"2026-11-22T00:00:00Z", "2026-11-23T00:00:00Z", true},
		{"daily before 00:05 still the day before", report.Schedule{Kind: report.Daily}, "", "2026-11-23T00:04:59Z",
			"2026-11-21T00:00:00Z", "2026-11-22T00:00:00Z", true},
		{"daily already written", report.Schedule{Kind: report.Daily}, "2026-11-22T00:00:00Z", "2026-11-23T18:00:00Z",
			"2026-11-22T00:00:00Z", "2026-11-23T00:00:00Z", false},
		{"daily written the day before", report.Schedule{Kind: report.Daily}, "2026-11-21T00:00:00Z", "2026-11-23T18:00:00Z",
			"2026-11-22T00:00:00Z", "2026-11-23T00:00:00Z", true},
		{"daily, no catching up after downtime", report.Schedule{Kind: report.Daily}, "2026-11-10T00:00:00Z", "2026-11-23T00:05:00Z",
			"2026-11-22T00:00:00Z", "2026-11-23T00:00:00Z", true},
		{"daily with a longer delay", report.Schedule{Kind: report.Daily, Delay: time.Hour}, "", "2026-11-23T00:30:00Z",
			"2026-11-21T00:00:00Z", "2026-11-22T00:00:00Z", true},
		{"weekly on Monday 00:05", report.Schedule{Kind: report.Weekly}, "", "2026-11-23T00:05:00Z",
			"2026-11-16T00:00:00Z", "2026-11-23T00:00:00Z", true},
		{"weekly on Sunday", report.Schedule{Kind: report.Weekly}, "", "2026-11-22T12:00:00Z",
			"2026-11-09T00:00:00Z", "2026-11-16T00:00:00Z", true},
		{"monthly on the first", report.Schedule{Kind: report.Monthly}, "", "2026-12-01T00:05:00Z",
			"2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z", true},
		{"monthly across the year", report.Schedule{Kind: report.Monthly}, "2026-11-01T00:00:00Z", "2027-01-15T00:00:00Z",
			"2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z", true},
		{"daily in Berlin", report.Schedule{Kind: report.Daily, Location: berlin}, "", "2026-11-22T23:05:00Z",
			"2026-11-21T23:00:00Z", "2026-11-22T23:00:00Z", true},
		{"daily in Berlin, 23 hours on the day clocks go forward", report.Schedule{Kind: report.Daily, Location: berlin}, "",
			"2026-03-29T22:05:00Z", "2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z", true},
		{"monthly in Berlin", report.Schedule{Kind: report.Monthly, Location: berlin}, "", "2026-11-30T23:05:00Z",
			"2026-10-31T23:00:00Z", "2026-11-30T23:00:00Z", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var last time.Time
			if tc.last != "" {
				last = utc(tc.last)
			}
			from, to, ok := tc.s.Due(last, utc(tc.now))
			if !from.Equal(utc(tc.from)) || !to.Equal(utc(tc.to)) || ok != tc.ok {
				t.Errorf("Due = %v, %v, %v; want %s, %s, %v", from.UTC(), to.UTC(), ok, tc.from, tc.to, tc.ok)
			}
		})
	}
}

func TestParseKindAndFormat(t *testing.T) {
	if k, err := report.ParseKind("weekly"); err != nil || k != report.Weekly {
		t.Errorf("ParseKind(weekly) = %q, %v", k, err)
	}
	if _, err := report.ParseKind("hourly"); err == nil {
		t.Error("ParseKind(hourly) succeeded; want an error")
	}
	if f, err := report.ParseFormat("markdown"); err != nil || f != report.Markdown {
		t.Errorf("ParseFormat(markdown) = %q, %v", f, err)
	}
	if _, err := report.ParseFormat("pdf"); err == nil {
		t.Error("ParseFormat(pdf) succeeded; want an error")
	}
}
