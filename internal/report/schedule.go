package report

import (
	"fmt"
	"time"
)

// Kind is how often a scheduled report is written, and the length of its
// period.
type Kind string

// The kinds of scheduled report. Periods are calendar periods in the
// schedule's time zone: a day from midnight, a week from Monday midnight,
// a month from the first at midnight.
const (
	Daily   Kind = "daily"
	Weekly  Kind = "weekly"
	Monthly Kind = "monthly"
)

// Kinds lists the kinds of scheduled report.
func Kinds() []Kind { return []Kind{Daily, Weekly, Monthly} }

// ParseKind reads daily, weekly or monthly.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds() {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("unknown report schedule %q: want daily, weekly or monthly", s)
}

// DefaultDelay is how long after its period ends a scheduled report is
// written when Schedule.Delay is 0: the last minute's rollups are written
// every rollup_interval (10 s by default), so 5 minutes leaves room.
const DefaultDelay = 5 * time.Minute

// Schedule says when a kind of report is due.
type Schedule struct {
	Kind Kind
	// Location is the time zone whose days, weeks and months the
	// periods follow; nil means UTC.
	Location *time.Location
	// Delay is how long after a period ends its report is due; 0 means
	// DefaultDelay.
	Delay time.Duration
}

// Start returns the start of the period of s's kind that t falls in.
func (s Schedule) Start(t time.Time) time.Time {
	t = t.In(s.location())
	y, m, d := t.Date()
	switch s.Kind {
	case Weekly:
		return time.Date(y, m, d-(int(t.Weekday())+6)%7, 0, 0, 0, 0, t.Location())
	case Monthly:
		return time.Date(y, m, 1, 0, 0, 0, 0, t.Location())
	}
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

// Due returns the latest period [from, to) that ended at least Delay
// before now, and whether its report is due: ok is true when last, the
// start of the newest period already reported (zero for none), is before
// from. The daily report for a UTC day is due at 00:05 UTC the next day,
// the weekly one at 00:05 on Monday, the monthly one at 00:05 on the
// first. Periods missed while crmguard was down are not caught up: only
// the latest one is due.
func (s Schedule) Due(last, now time.Time) (from, to time.Time, ok bool) {
	delay := s.Delay
	if delay == 0 {
		delay = DefaultDelay
	}
	to = s.Start(now.Add(-delay))
	from = s.Start(to.Add(-time.Nanosecond))
	return from, to, last.IsZero() || last.Before(from)
}

func (s Schedule) location() *time.Location {
	if s.Location == nil {
		return time.UTC
	}
	return s.Location
}
