package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a time.Duration written as in Go: a number with a unit (ns,
// us, ms, s, m, h), possibly several ("30s", "5m", "1h30m"). Negative
// durations and bare numbers are rejected; days are written as hours
// ("168h").
type Duration time.Duration

// ParseDuration parses s as a Duration, rejecting negative values and
// numbers without a unit.
func ParseDuration(s string) (Duration, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, errors.New(`empty duration; write a number with a unit, e.g. "30s"`)
	}
	if _, err := strconv.ParseFloat(t, 64); err == nil {
		return 0, fmt.Errorf(`invalid duration %q: the number has no unit; write e.g. "%ss" (units: ms, s, m, h)`, s, strings.TrimPrefix(t, "-"))
	}
	if strings.HasSuffix(t, "d") {
		if _, err := strconv.ParseFloat(strings.TrimSuffix(t, "d"), 64); err == nil {
			return 0, fmt.Errorf(`invalid duration %q: days are not a unit; write hours, e.g. "168h" for 7 days`, s)
		}
	}
	d, err := time.ParseDuration(t)
	if err != nil {
		return 0, fmt.Errorf(`invalid duration %q: write a number with a unit, e.g. "30s", "5m" or "1h30m"`, s)
	}
	if d < 0 {
		return 0, fmt.Errorf(`negative duration %q: durations must be positive, e.g. "30s"`, s)
	}
	return Duration(d), nil
}

// String formats d like time.Duration.String without zero trailing units:
// "30s", "1h30m", "168h".
func (d Duration) String() string {
	s := time.Duration(d).String()
	if strings.HasSuffix(s, "m0s") || strings.HasSuffix(s, "h0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// UnmarshalYAML parses a scalar node with ParseDuration; errors are
// *Error values carrying the node's line and column.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &Error{Line: n.Line, Column: n.Column, Err: fmt.Errorf(`expected a duration such as "30s", found %s`, describeNode(n))}
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		return &Error{Line: n.Line, Column: n.Column, Err: err}
	}
	*d = v
	return nil
}

// MarshalYAML writes d as its String form, which ParseDuration reads back.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }
