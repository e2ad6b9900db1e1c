package report

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// location returns the zone r's times are shown in.
func (r *Report) location() *time.Location {
	if r.Timezone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(r.Timezone)
	if err != nil {
		return time.UTC // Runner and the command check the name before
	}
	return loc
}

// when formats t for reading in r's zone.
func (r *Report) when(t time.Time) string {
	return t.In(r.location()).Format("2006-01-02 15:04 MST")
}

// Title names the report, e.g. "crmguard report 2026-11-22 00:00 UTC – 2026-11-23 00:00 UTC".
func (r *Report) Title() string {
	return "crmguard report " + r.when(r.From) + " – " + r.when(r.To)
}

// num writes n with thousands separators: 12,345.
func num(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// pct writes a ratio as a percentage, or "–" when there was nothing to
// divide by.
func pct(ratio float64, of int64) string {
	if of == 0 {
		return "–"
	}
	return strconv.FormatFloat(ratio*100, 'f', 2, 64) + "%"
}

func millis(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + " ms" }

// change writes a count with its move from the previous period:
// "120 ↑ from 15", "15 → same".
func change(now, before int64) string {
	t := trend(now, before)
	if t == Flat {
		return num(now) + " → same"
	}
	return num(now) + " " + t.Arrow() + " from " + num(before)
}

// classLine writes a failure class with its trend: "auth 120 ↑ from 15".
func classLine(c ClassCount) string { return c.Class + " " + change(c.Calls, c.Previous) }

// classesLine lists a scope's failure classes, or "none".
func classesLine(cs []ClassCount) string {
	if len(cs) == 0 {
		return "none"
	}
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = classLine(c)
	}
	return strings.Join(parts, ", ")
}

func labelsLine(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		if k != "alertname" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%s", k, m[k])
	}
	return strings.Join(parts, " ")
}
