package alert

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Silence holds back the notifications of the alerts its matchers select
// from StartsAt to EndsAt. Alerts keep being evaluated and recorded.
type Silence struct {
	ID string
	// Matchers select alerts by label: every matcher must match. A
	// value may hold * wildcards.
	Matchers  map[string]string
	StartsAt  time.Time
	EndsAt    time.Time
	CreatedBy string
	Comment   string
	CreatedAt time.Time
}

// ErrSilence is wrapped by the errors of CheckSilence.
var ErrSilence = errors.New("invalid silence")

// CheckSilence reports what is wrong with a silence to be created.
func CheckSilence(s Silence) error {
	if len(s.Matchers) == 0 {
		return fmt.Errorf("%w: no matchers; a silence selects alerts by label, e.g. {\"alertname\": \"sf-auth-failures\"} or {\"upstream\": \"sf\"}", ErrSilence)
	}
	for k, v := range s.Matchers {
		if !labelRE.MatchString(k) {
			return fmt.Errorf("%w: matcher %q is not a label name", ErrSilence, k)
		}
		switch {
		case v == "":
			return fmt.Errorf("%w: matcher %s has no value; name the value to silence, e.g. %s=sf", ErrSilence, k, k)
		case strings.Trim(v, "*") == "":
			return fmt.Errorf("%w: matcher %s=%q matches every value; name the value to silence", ErrSilence, k, v)
		}
	}
	if !s.EndsAt.After(s.StartsAt) {
		return fmt.Errorf("%w: ends_at %s is not after starts_at %s", ErrSilence, s.EndsAt.Format(time.RFC3339), s.StartsAt.Format(time.RFC3339))
	}
	return nil
}

// Matches reports whether the silence's matchers select labels; it does
// not look at the time.
func (s Silence) Matches(labels map[string]string) bool { return matchAll(s.Matchers, labels) }

func matchAll(matchers, labels map[string]string) bool {
	for k, want := range matchers {
		if !globMatch(want, labels[k]) {
			return false
		}
	}
	return true
}

// globMatch matches v against a pattern where * stands for any text.
func globMatch(pattern, v string) bool {
	if !strings.Contains(pattern, "*") {
		return pattern == v
	}
	parts := strings.Split(pattern, "*")
	for i := range parts {
		parts[i] = regexp.QuoteMeta(parts[i])
	}
	ok, _ := regexp.MatchString("^"+strings.Join(parts, ".*")+"$", v)
	return ok
}

// Window is a maintenance window: a silence from configuration, once or
// every week.
type Window struct {
	Name     string
	Matchers map[string]string
	// Once: from Start to End.
	Start, End time.Time
	// Weekly: on Days, from From to To (minutes after midnight, To may
	// be less than From to cross midnight), in Location.
	Days     []time.Weekday
	From, To int
	Location *time.Location
}

// WindowSpec is a maintenance window as configured.
type WindowSpec struct {
	Name     string
	Matchers map[string]string
	// Start and End (RFC 3339) give a one-off window.
	Start, End string
	// Days (mon…sun), From and To ("22:00") in Timezone (IANA name,
	// default UTC) give a weekly one.
	Days     []string
	From, To string
	Timezone string
}

var weekdays = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday,
	"wed": time.Wednesday, "thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}

// CompileWindow checks a configured maintenance window.
func CompileWindow(s WindowSpec) (Window, error) {
	w := Window{Name: s.Name, Matchers: s.Matchers}
	if s.Name == "" {
		return w, errors.New("name is required, it shows on the alerts the window silences")
	}
	for k := range s.Matchers {
		if !labelRE.MatchString(k) {
			return w, fmt.Errorf("match: %q is not a label name", k)
		}
	}
	once := s.Start != "" || s.End != ""
	weekly := len(s.Days) > 0 || s.From != "" || s.To != ""
	switch {
	case once && weekly:
		return w, errors.New("start/end (once) and days/from/to (weekly) are separate kinds of window; write two windows")
	case once:
		var err error
		if w.Start, err = time.Parse(time.RFC3339, s.Start); err != nil {
			return w, fmt.Errorf("start %q: want an RFC 3339 time such as 2026-12-24T18:00:00+01:00", s.Start)
		}
		if w.End, err = time.Parse(time.RFC3339, s.End); err != nil {
			return w, fmt.Errorf("end %q: want an RFC 3339 time such as 2026-12-27T08:00:00+01:00", s.End)
		}
		if !w.End.After(w.Start) {
			return w, errors.New("end is not after start")
		}
	case weekly:
		for _, d := range s.Days {
			wd, ok := weekdays[strings.ToLower(d)]
			if !ok {
				return w, fmt.Errorf("days: %q is not mon, tue, wed, thu, fri, sat or sun", d)
			}
			w.Days = append(w.Days, wd)
		}
		if len(w.Days) == 0 {
			return w, errors.New("days: name the days of a weekly window, e.g. [sat, sun]")
		}
		var err error
		if w.From, err = clock(s.From); err != nil {
			return w, fmt.Errorf("from: %w", err)
		}
		if w.To, err = clock(s.To); err != nil {
			return w, fmt.Errorf("to: %w", err)
		}
		if w.From == w.To {
			return w, errors.New("from and to are the same time; the window would be empty")
		}
		tz := s.Timezone
		if tz == "" {
			tz = "UTC"
		}
		if w.Location, err = time.LoadLocation(tz); err != nil {
			return w, fmt.Errorf("timezone %q: want an IANA zone such as Europe/Berlin", tz)
		}
	default:
		return w, errors.New("no time: give start and end, or days with from and to")
	}
	return w, nil
}

// clock parses "HH:MM" into minutes after midnight.
func clock(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("%q: want a time of day such as 22:00", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// Active reports whether the window is open at t.
func (w Window) Active(t time.Time) bool {
	if w.Location == nil {
		return !t.Before(w.Start) && t.Before(w.End)
	}
	lt := t.In(w.Location)
	m := lt.Hour()*60 + lt.Minute()
	day := lt.Weekday()
	if w.From < w.To {
		return slices.Contains(w.Days, day) && m >= w.From && m < w.To
	}
	// Across midnight: the evening of a listed day, or the morning after.
	return slices.Contains(w.Days, day) && m >= w.From || slices.Contains(w.Days, (day+6)%7) && m < w.To
}

// silencedBy names the silences and windows that select labels at now.
func silencedBy(labels map[string]string, silences []Silence, windows []Window, now time.Time) []string {
	var out []string
	for _, s := range silences {
		if !now.Before(s.StartsAt) && now.Before(s.EndsAt) && s.Matches(labels) {
			out = append(out, "silence "+s.ID)
		}
	}
	for _, w := range windows {
		if w.Active(now) && matchAll(w.Matchers, labels) {
			out = append(out, "maintenance "+w.Name)
		}
	}
	return out
}

// cloneLabels copies a label map.
func cloneLabels(m map[string]string) map[string]string { return maps.Clone(m) }
