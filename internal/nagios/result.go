package nagios

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode"
)

// Result is what a check found, as a plugin reports it.
type Result struct {
	// Service names the check at the start of the first line, such as
	// "CRMGUARD ERROR_RATE"; empty leaves it out.
	Service string
	Status  Status
	// Text is the one-line summary after the status.
	Text string
	// Perf is written after a '|' on the first line.
	Perf []Perf
	// Long holds the lines of the long output, after the first line.
	Long []string
}

// Write writes r in the plugin output format:
//
//	SERVICE STATUS - text | 'label'=value;warn;crit;min;max ...
//	long line
//	...
//
// A '|' in the text or a long line would start performance data, so it
// is written as '/'; control characters, which would split lines, become
// spaces. Write returns an error, and writes nothing, when a Perf is
// invalid (see Perf.Validate).
func (r Result) Write(w io.Writer) error {
	for _, p := range r.Perf {
		if err := p.Validate(); err != nil {
			return err
		}
	}
	var b bytes.Buffer
	if r.Service != "" {
		b.WriteString(cleanText(r.Service))
		b.WriteByte(' ')
	}
	b.WriteString(r.Status.String())
	if r.Text != "" {
		b.WriteString(" - ")
		b.WriteString(cleanText(r.Text))
	}
	for i, p := range r.Perf {
		if i == 0 {
			b.WriteString(" |")
		}
		b.WriteByte(' ')
		b.WriteString(p.String())
	}
	b.WriteByte('\n')
	for _, l := range r.Long {
		b.WriteString(cleanText(l))
		b.WriteByte('\n')
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("writing the check result: %w", err)
	}
	return nil
}

// cleanText makes s safe for one line of plugin output.
func cleanText(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '|':
			return '/'
		case unicode.IsControl(r):
			return ' '
		}
		return r
	}, s)
}
