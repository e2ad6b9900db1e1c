package nagios

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode"
)

// uoms lists the units of measurement of the guidelines: none (a count of
// things), seconds, percent, bytes and a continuous counter.
var uoms = []string{"", "s", "ms", "us", "%", "B", "KB", "MB", "GB", "TB", "c"}

// Perf is one performance data item:
// 'label'=value[UOM];[warn];[crit];[min];[max].
type Perf struct {
	// Label names the value. It may hold any character but control
	// characters, which are replaced; graphing tools that use RRD keep
	// only its first 19 characters apart.
	Label string
	// Value is the measurement; NaN is written as "U", a value that could
	// not be determined.
	Value float64
	// UOM is the unit: "" (a number of things), s, ms, us, %, B, KB,
	// MB, GB, TB or c (a continuous counter).
	UOM string
	// Warn and Crit are the thresholds the value was judged by, nil for
	// none. They are in the same unit as Value.
	Warn, Crit *Range
	// Min and Max bound the value for graphs, nil when they do not apply.
	// Infinite bounds are left out.
	Min, Max *float64
}

// String formats p as the guidelines say, with the label quoted (a quote
// in it doubled) and the trailing empty fields left out.
func (p Perf) String() string {
	var b strings.Builder
	b.WriteByte('\'')
	b.WriteString(strings.ReplaceAll(cleanLabel(p.Label), "'", "''"))
	b.WriteString("'=")
	if math.IsNaN(p.Value) || math.IsInf(p.Value, 0) {
		b.WriteByte('U')
	} else {
		b.WriteString(formatNumber(p.Value))
		b.WriteString(p.UOM)
	}
	fields := []string{rangeField(p.Warn), rangeField(p.Crit), boundField(p.Min), boundField(p.Max)}
	for len(fields) > 0 && fields[len(fields)-1] == "" {
		fields = fields[:len(fields)-1]
	}
	for _, f := range fields {
		b.WriteByte(';')
		b.WriteString(f)
	}
	return b.String()
}

// Validate reports what makes p unreadable for a monitoring system: an
// empty label or a unit the guidelines do not define.
func (p Perf) Validate() error {
	if p.Label == "" {
		return fmt.Errorf("performance data with value %s has no label", formatNumber(p.Value))
	}
	if !slices.Contains(uoms, p.UOM) {
		return fmt.Errorf("performance data %q: unit %q is not one of s, ms, us, %%, B, KB, MB, GB, TB, c or none", p.Label, p.UOM)
	}
	return nil
}

func rangeField(r *Range) string {
	if r == nil {
		return ""
	}
	return r.String()
}

func boundField(f *float64) string {
	if f == nil || math.IsNaN(*f) || math.IsInf(*f, 0) {
		return ""
	}
	return formatNumber(*f)
}

// cleanLabel replaces control characters, which would end the line or
// confuse the parser, with '_'.
func cleanLabel(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '_'
		}
		return r
	}, s)
}
