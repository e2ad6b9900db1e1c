package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Ratio is a share from 0 to 1, written as a decimal ("0.2") or a
// percentage ("20%").
type Ratio float64

// ParseRatio parses s as a Ratio: a decimal from 0 to 1, or a percentage
// from 0% to 100%.
func ParseRatio(s string) (Ratio, error) {
	t := strings.TrimSpace(s)
	pct := strings.HasSuffix(t, "%")
	f, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(t, "%")), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf(`invalid share %q: write a decimal such as 0.2 or a percentage such as "20%%"`, s)
	}
	if pct {
		f /= 100
	}
	if f < 0 || f > 1 {
		return 0, fmt.Errorf(`share %q is outside 0 to 1 (0%% to 100%%); write e.g. 0.2 or "20%%"`, s)
	}
	return Ratio(f), nil
}

// String formats r as the shortest decimal that reads back the same.
func (r Ratio) String() string { return strconv.FormatFloat(float64(r), 'g', -1, 64) }

// UnmarshalYAML parses a scalar node with ParseRatio; errors carry the
// node's line and column.
func (r *Ratio) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &Error{Line: n.Line, Column: n.Column, Err: fmt.Errorf("expected a share such as 0.2 or 20%%, found %s", describeNode(n))}
	}
	v, err := ParseRatio(n.Value)
	if err != nil {
		return &Error{Line: n.Line, Column: n.Column, Err: err}
	}
	*r = v
	return nil
}

// MarshalYAML writes r as its String form.
func (r Ratio) MarshalYAML() (any, error) { return r.String(), nil }
