// Package nagiostest reads plugin output the way a monitoring system
// does, with regular expressions written from the Monitoring Plugins
// Development Guidelines rather than from package nagios, so that tests
// of nagios and of the check command prove their output conforms.
package nagiostest

import (
	"fmt"
	"regexp"
	"strings"
)

// Output is one plugin output, with every field as written.
type Output struct {
	Service string // such as "CRMGUARD ERROR_RATE"; empty if none
	Status  string // OK, WARNING, CRITICAL or UNKNOWN
	Text    string
	Perf    []Perf
	Long    []string
}

// Perf is one performance data item, with each field as written; absent
// fields are empty.
type Perf struct {
	Label, Value, UOM, Warn, Crit, Min, Max string
}

var (
	firstLine = regexp.MustCompile(`^(?:([A-Z][A-Z0-9_]*(?: [A-Z][A-Z0-9_]*)*) )?(OK|WARNING|CRITICAL|UNKNOWN) - ([^|]+?)(?: \| (.+))?$`)
	// A range is [@][start:][end] with start a number or ~, numbers of
	// the characters [-0-9.], per the guidelines' sections on threshold
	// ranges and performance data.
	rangeRE  = `@?(?:(?:~|-?[0-9]*\.?[0-9]+):)?(?:-?[0-9]*\.?[0-9]+)?`
	numberRE = `-?[0-9]*\.?[0-9]+`
	perfItem = regexp.MustCompile(`^'((?:[^'\x00-\x1f]|'')+)'=(U|` + numberRE + `)(s|ms|us|%|B|KB|MB|GB|TB|c)?` +
		`(?:;(` + rangeRE + `)(?:;(` + rangeRE + `)(?:;(` + numberRE + `)?(?:;(` + numberRE + `)?)?)?)?)?(?: |$)`)
)

// Parse reads out, the whole standard output of one plugin run: a first
// line "[SERVICE ]STATUS - text[ | perfdata]" ending in a newline, and
// long output lines after it. Labels must be quoted.
func Parse(out string) (Output, error) {
	var o Output
	if !strings.HasSuffix(out, "\n") {
		return o, fmt.Errorf("output %q does not end in a newline", out)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	m := firstLine.FindStringSubmatch(lines[0])
	if m == nil {
		return o, fmt.Errorf("first line %q is not [SERVICE ]STATUS - text[ | perfdata]", lines[0])
	}
	o.Service, o.Status, o.Text, o.Long = m[1], m[2], m[3], lines[1:]
	for rest := m[4]; rest != ""; {
		p := perfItem.FindStringSubmatch(rest)
		if p == nil {
			return o, fmt.Errorf("performance data %q is not 'label'=value[UOM];[warn];[crit];[min];[max]", rest)
		}
		o.Perf = append(o.Perf, Perf{
			Label: strings.ReplaceAll(p[1], "''", "'"), Value: p[2], UOM: p[3],
			Warn: p[4], Crit: p[5], Min: p[6], Max: p[7],
		})
		rest = rest[len(p[0]):]
	}
	for _, l := range o.Long {
		if strings.Contains(l, "|") {
			return o, fmt.Errorf("long output line %q has a '|', which starts more performance data", l)
		}
	}
	return o, nil
}

// Find returns the item labelled label and whether there is one.
func (o Output) Find(label string) (Perf, bool) {
	for _, p := range o.Perf {
		if p.Label == label {
			return p, true
		}
	}
	return Perf{}, false
}
