// Package nagios writes the results of checks in the format of the
// Monitoring Plugins Development Guidelines, which Nagios, Icinga, Naemon
// and Checkmk read: threshold ranges, exit statuses, performance data and
// the plugin's output lines.
package nagios

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Range is a threshold range of the guidelines' "[@]start:end" format. A
// value outside [Start, End] alerts; with Inside, a value inside it does
// instead. Start may be -Inf ("~") and End +Inf (nothing after the ':').
// The zero Range is "0": every value but 0 alerts.
type Range struct {
	Start, End float64
	Inside     bool
}

// number is the guidelines' number: the characters [-0-9.], which leaves
// out exponents, hexadecimal, "Inf" and "NaN" that strconv.ParseFloat
// would accept. A leading '+' is accepted, as the C plugins' strtod does.
var number = regexp.MustCompile(`^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)$`)

const rangeForms = "want N (alert outside 0..N), N: (alert below N), ~:N (alert above N), M:N (alert outside M..N) or @M:N (alert inside M..N)"

// ParseRange parses a threshold range: "10" alerts outside 0..10, "10:"
// below 10, "~:10" above 10, "10:20" outside 10..20 and "@10:20" inside
// 10..20, bounds included; "~:" has no bound at all. Numbers are decimal
// without exponent, optionally negative. The start must not be greater
// than the end. ":" and "" are errors rather than "0:" as in the C
// plugins, because a missing start is more likely a typo for "~" than a
// wish for 0.
func ParseRange(s string) (Range, error) {
	r, err := parseRange(s)
	if err != nil {
		return Range{}, fmt.Errorf("range %q: %w", s, err)
	}
	return r, nil
}

func parseRange(s string) (Range, error) {
	var r Range
	body, inside := strings.CutPrefix(s, "@")
	r.Inside = inside
	if body == "" {
		return r, errors.New("empty; " + rangeForms)
	}
	startText, endText, colon := strings.Cut(body, ":")
	if !colon {
		if body == "~" {
			return r, errors.New(`"~" (no lower bound) must be followed by ':' and the end, as in ~:10`)
		}
		end, err := parseNumber("end", body)
		if err != nil {
			return r, err
		}
		r.End = end
		if end < 0 {
			return r, fmt.Errorf("start 0 is greater than end %s; write ~:%[1]s to alert above %[1]s", body)
		}
		return r, nil
	}
	if strings.Contains(endText, ":") {
		return r, errors.New("more than one ':'; " + rangeForms)
	}
	switch startText {
	case "":
		if endText == "" {
			return r, errors.New("no start and no end around ':'; " + rangeForms)
		}
		return r, fmt.Errorf("no start before ':'; write 0:%[1]s for 0 to %[1]s, or ~:%[1]s for no lower bound", endText)
	case "~":
		r.Start = math.Inf(-1)
	default:
		start, err := parseNumber("start", startText)
		if err != nil {
			return r, err
		}
		r.Start = start
	}
	r.End = math.Inf(1)
	if endText != "" {
		end, err := parseNumber("end", endText)
		if err != nil {
			return r, err
		}
		r.End = end
	}
	if r.Start > r.End {
		return r, fmt.Errorf("start %s is greater than end %s; write the lower bound first, as in %[2]s:%[1]s", formatNumber(r.Start), formatNumber(r.End))
	}
	return r, nil
}

// parseNumber parses one bound of a range; which is "start" or "end".
func parseNumber(which, s string) (float64, error) {
	if !number.MatchString(s) {
		return 0, fmt.Errorf("%s %q is not a number; want digits with an optional '-' and '.', such as -1.5", which, s)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		// The syntax was checked above, so only the magnitude is wrong.
		return 0, fmt.Errorf("%s %q is too large", which, s)
	}
	// -0 would print as "-0"; it is the same bound as 0.
	return f + 0, nil
}

// Alert reports whether v alerts: whether it is outside the range, or
// inside it when Inside is set. Bounds belong to the range. NaN is inside
// no range, so it alerts unless Inside is set.
func (r Range) Alert(v float64) bool {
	in := v >= r.Start && v <= r.End
	if r.Inside {
		return in
	}
	return !in
}

// String returns the range in its shortest form of the guidelines, as
// ParseRange reads it and as the warn and crit fields of performance data
// show it: "10" rather than "0:10", "10:" for no end, "~:" for no start.
func (r Range) String() string {
	var b strings.Builder
	if r.Inside {
		b.WriteByte('@')
	}
	switch {
	case math.IsInf(r.Start, -1):
		b.WriteString("~:")
	case r.Start != 0 || math.IsInf(r.End, 1):
		b.WriteString(formatNumber(r.Start))
		b.WriteByte(':')
	}
	if !math.IsInf(r.End, 1) {
		b.WriteString(formatNumber(r.End))
	}
	return b.String()
}

// formatNumber prints f in the guidelines' characters [-0-9.]: the
// shortest decimal that reads back as f, never with an exponent.
func formatNumber(f float64) string {
	return strconv.FormatFloat(f+0, 'f', -1, 64)
}
