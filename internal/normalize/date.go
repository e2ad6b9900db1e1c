package normalize

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// order is how a rule reads a numeric date whose first two parts could be
// day and month either way round.
type order uint8

const (
	orderUnambiguous order = iota // read only dates that cannot be read both ways
	orderDMY
	orderMDY
)

// layouts are the Go layouts tried, in order, for dates that are not all
// numeric. Go accepts a fraction after the seconds even where a layout
// does not show one, and matches month names in any case.
var layouts = [...]string{
	time.RFC3339,               // 2025-04-03T14:30:00+02:00
	"2006-01-02T15:04:05Z0700", // Salesforce writes 2025-04-03T12:30:00.000+0000
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	"2 Jan 2006",
	"2 January 2006",
	"Jan 2, 2006",
	"January 2, 2006",
	"2-Jan-2006",
}

// errUnreadable is readDate's answer for a value in no shape it knows.
var errUnreadable = errors.New("unreadable date")

// compileDate checks and compiles the options of a date or datetime rule.
func (r *rule) compileDate(cfg Rule) []error {
	var errs []error
	switch cfg.Order {
	case "":
		r.order = orderUnambiguous
	case "dmy":
		r.order = orderDMY
	case "mdy":
		r.order = orderMDY
	default:
		errs = append(errs, fmt.Errorf("order %q is neither dmy nor mdy; say whether numeric dates such as 03/04/2025 put the day (dmy) or the month (mdy) first, or leave order out to accept only dates that cannot be read both ways", cfg.Order))
	}

	r.zone = time.UTC
	if cfg.Zone != "" {
		loc, err := time.LoadLocation(cfg.Zone)
		switch {
		case cfg.Zone == "Local":
			errs = append(errs, errors.New(`zone "Local" depends on the machine crmguard runs on; name an IANA zone such as Europe/Berlin`))
		case err != nil:
			errs = append(errs, fmt.Errorf("zone %q is not an IANA time zone known on this machine (%v); use a name such as Europe/Berlin, America/New_York or UTC", cfg.Zone, err))
		default:
			r.zone = loc
		}
	}

	r.layout = cfg.Format
	if r.layout == "" {
		r.layout = "2006-01-02"
		if r.kind == kindDateTime {
			r.layout = time.RFC3339
		}
	}
	if err := r.checkLayout(); err != nil {
		errs = append(errs, err)
	}

	if r.kind == kindDate {
		r.expected = "a date such as 2025-04-03, 03.04.2025 or 3 Apr 2025, written as " + r.layout
	} else {
		r.expected = fmt.Sprintf("a date and time such as 2025-04-03T14:30:00Z or 2025-04-03 14:30 (read in %s), or a Unix time, written as %s", r.zone, r.layout)
	}
	return errs
}

// checkLayout checks that the rule's layout writes values that read back
// as what was written, and notes whether it writes an offset.
func (r *rule) checkLayout() error {
	// Day, month, hour and minute all differ, so a layout that drops or
	// swaps one of them is caught.
	ref := time.Date(2025, time.November, 23, 19, 47, 31, 0, time.UTC)
	if r.kind == kindDate {
		s := ref.Format(r.layout)
		t, err := time.Parse(r.layout, s)
		if err != nil || t.Year() != 2025 || t.Month() != time.November || t.Day() != 23 {
			return fmt.Errorf("format %q does not write a date that reads back as the same date (23 November 2025 comes out as %q); use a Go layout such as 2006-01-02 or 02.01.2006", r.layout, s)
		}
		return nil
	}
	shifted := time.Date(2025, time.November, 23, 19, 47, 31, 0, time.FixedZone("", 5*3600+1800))
	r.zoneInLayout = ref.Format(r.layout) != shifted.Format(r.layout)
	loc := r.zone
	if r.zoneInLayout {
		loc = time.UTC
	}
	s := ref.In(loc).Format(r.layout)
	t, err := time.ParseInLocation(r.layout, s, loc)
	if err != nil || !t.Truncate(time.Minute).Equal(ref.Truncate(time.Minute)) {
		return fmt.Errorf("format %q does not write a date and time that reads back as the same minute (2025-11-23T19:47:31Z comes out as %q); use a Go layout such as 2006-01-02T15:04:05Z07:00, or as: date for dates alone", r.layout, s)
	}
	return nil
}

// date normalises a date or datetime sent as a string.
func (r *rule) date(s string) (string, *reject) {
	// A date is taken as written, whatever its offset; only a datetime
	// needs a zone to place a time that has none.
	loc := time.UTC
	if r.kind == kindDateTime {
		loc = r.zone
	}
	t, err := readDate(strings.TrimSpace(s), r.order, loc)
	switch {
	case errors.Is(err, errUnreadable) && r.kind == kindDate:
		return s, &reject{rule: r.as, expected: r.expected, why: "is not a date crmguard can read; send it as year-month-day, such as 2025-04-03"}
	case errors.Is(err, errUnreadable):
		return s, &reject{rule: r.as, expected: r.expected, why: "is not a date and time crmguard can read; send it in RFC 3339 form, such as 2025-04-03T14:30:00Z"}
	case err != nil:
		return s, &reject{rule: r.as, expected: r.expected, why: err.Error()}
	}
	return r.write(s, t)
}

// unixTime normalises a date or datetime sent as a JSON number.
func (r *rule) unixTime(raw string) (string, *reject) {
	t, ok := unix(raw)
	if !ok {
		return raw, &reject{rule: r.as, expected: r.expected, why: "is a number but not a Unix time in seconds (10 digits) or milliseconds (13 digits); send a Unix time, or the date as a string such as 2025-04-03"}
	}
	return r.write(raw, t)
}

// write formats t, read from s, as the rule says: a date as the calendar
// date t shows, a datetime in UTC when the layout writes an offset and in
// the rule's zone otherwise.
func (r *rule) write(s string, t time.Time) (string, *reject) {
	switch {
	case r.kind == kindDate:
		y, m, d := t.Date()
		t = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	case r.zoneInLayout:
		t = t.UTC()
	default:
		t = t.In(r.zone)
	}
	// Moving 0001-01-01T00:30+01:00 to UTC lands in year 0, and Go writes
	// years outside 0000-9999 in a form neither crmguard nor a CRM reads.
	if y := t.Year(); y < 1 || y > 9999 {
		return s, &reject{rule: r.as, expected: r.expected, why: fmt.Sprintf("falls in the year %d once written out; send a date between the years 1 and 9999", y)}
	}
	return t.Format(r.layout), nil
}

// readDate reads s as a date or date and time. A value without an offset
// is placed in loc, a date alone at midnight; a Unix time is an instant.
// Its errors complete the sentence "The value at /pointer …", except
// errUnreadable.
func readDate(s string, ord order, loc *time.Location) (time.Time, error) {
	if isDigits(s) {
		switch len(s) {
		case 8:
			return civil(atoi(s[:4]), atoi(s[4:6]), atoi(s[6:]), loc)
		case 10, 13:
			t, _ := unix(s)
			return t, nil
		}
		return time.Time{}, fmt.Errorf("has %d digits, which is neither a date written as 20250403 nor a Unix time (10 digits for seconds, 13 for milliseconds); send it as year-month-day, such as 2025-04-03", len(s))
	}
	if t, ok, err := numericDate(s, ord, loc); ok {
		return t, err
	}
	var outOfRange string
	for _, l := range layouts {
		t, err := time.ParseInLocation(l, s, loc)
		if err == nil {
			return t, nil
		}
		var pe *time.ParseError
		if errors.As(err, &pe) && strings.HasSuffix(pe.Message, "out of range") {
			outOfRange = strings.TrimPrefix(pe.Message, ": ")
		}
	}
	if outOfRange != "" {
		return time.Time{}, fmt.Errorf("is not a calendar date (%s); check the day and month", outOfRange)
	}
	return time.Time{}, errUnreadable
}

// numericDate reads the numeric forms with separators: year first
// (2025-04-03, 2025/4/3, 2025.04.03), dotted day first (03.04.2025), and
// day and month in either order with slashes or dashes (03/04/2025,
// 3-4-2025). ok is false when s has none of these shapes.
func numericDate(s string, ord order, loc *time.Location) (t time.Time, ok bool, err error) {
	i := strings.IndexAny(s, "-/.")
	if i < 0 {
		return time.Time{}, false, nil
	}
	sep := s[i]
	j := strings.IndexByte(s[i+1:], sep)
	if j < 0 {
		return time.Time{}, false, nil
	}
	j += i + 1
	p0, p1, p2 := s[:i], s[i+1:j], s[j+1:]
	if !isDigits(p0) || !isDigits(p1) || !isDigits(p2) {
		return time.Time{}, false, nil
	}
	a, b, c := atoi(p0), atoi(p1), atoi(p2)
	switch {
	case len(p0) == 4 && len(p1) <= 2 && len(p2) <= 2:
		t, err = civil(a, b, c, loc)
		return t, true, err
	case len(p0) <= 2 && len(p1) <= 2 && len(p2) == 4:
		day, month := a, b
		if sep != '.' {
			if day, month, err = dayMonth(a, b, ord); err != nil {
				return time.Time{}, true, err
			}
		}
		t, err = civil(c, month, day, loc)
		return t, true, err
	case len(p0) <= 2 && len(p1) <= 2 && len(p2) <= 2:
		return time.Time{}, true, errors.New("has a two-digit year, so its century is unknown; write the year with four digits")
	}
	return time.Time{}, false, nil
}

// dayMonth decides which of a date's first two parts, a and b, is the day.
// Without an order it decides only when one reading is impossible or both
// give the same date: guessing would write the wrong date to the CRM.
func dayMonth(a, b int, ord order) (day, month int, err error) {
	switch {
	case ord == orderDMY:
		return a, b, nil
	case ord == orderMDY:
		return b, a, nil
	case a == b || a > 12 || a < 1 || b < 1:
		// Day 0 or month 0 is no date either way; civil says so.
		return a, b, nil
	case b > 12:
		return b, a, nil
	}
	return 0, 0, fmt.Errorf("could be %d %s or %d %s; send it as year-month-day, such as 2025-04-03, or ask for order: dmy or mdy on crmguard's normalize rule", a, time.Month(b), b, time.Month(a))
}

// civil returns the date y-m-d at midnight in loc, or why it does not exist.
func civil(y, m, d int, loc *time.Location) (time.Time, error) {
	if m < 1 || m > 12 {
		return time.Time{}, fmt.Errorf("is not a calendar date: there is no month %d; check the day and month", m)
	}
	last := time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
	if d < 1 || d > last {
		return time.Time{}, fmt.Errorf("is not a calendar date: %s %d has no day %d; check the day and month", time.Month(m), y, d)
	}
	return time.Date(y, time.Month(m), d, 0, 0, 0, 0, loc), nil
}

// unix reads a Unix time of 10 digits (seconds) or 13 (milliseconds).
// Other lengths are refused rather than guessed at, since 8 digits are
// also a date (20250403); the cost is that times before September 2001
// must be sent as dates.
func unix(s string) (time.Time, bool) {
	if !isDigits(s) {
		return time.Time{}, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	switch len(s) {
	case 10:
		return time.Unix(n, 0).UTC(), true
	case 13:
		return time.UnixMilli(n).UTC(), true
	}
	return time.Time{}, false
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// atoi converts a string that isDigits accepted and that is short enough
// not to overflow.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
