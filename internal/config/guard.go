package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/crmguard/crmguard/internal/lifecycle"
	"github.com/crmguard/crmguard/internal/normalize"
)

// NormalizeRules returns the upstream's normalisation rules in the form
// package normalize compiles.
func (u *Upstream) NormalizeRules() []normalize.Rule {
	out := make([]normalize.Rule, len(u.Normalize))
	for i, r := range u.Normalize {
		out[i] = normalize.Rule{
			Field: r.Field, As: r.As, Format: r.Format, Order: r.Order, Zone: r.Zone,
			Region: r.Region, MaxLength: r.MaxLength, OnOverflow: r.OnOverflow,
		}
	}
	return out
}

// LifecycleEntries returns the upstream's configured version lifecycles.
// The configuration has been validated, so the entries are well formed.
func (u *Upstream) LifecycleEntries() ([]lifecycle.Entry, error) {
	out := make([]lifecycle.Entry, len(u.Versions.Lifecycle))
	for i, l := range u.Versions.Lifecycle {
		e, err := l.entry()
		if err != nil {
			return nil, fmt.Errorf("upstreams %s: versions.lifecycle[%d]: %w", u.Name, i, err)
		}
		out[i] = e
	}
	return out, nil
}

// entry converts and checks one configured lifecycle.
func (l VersionLifecycle) entry() (lifecycle.Entry, error) {
	e := lifecycle.Entry{Path: l.Path, Note: l.Note, Source: "configuration"}
	if l.Versions != "" {
		e.From, e.To = versionRange(l.Versions)
	}
	var err error
	if e.Deprecated, err = day("deprecated", l.Deprecated); err != nil {
		return e, err
	}
	if e.Retires, err = day("retires", l.Retires); err != nil {
		return e, err
	}
	return e, e.Validate()
}

// day parses a YYYY-MM-DD day as midnight UTC; "" is the zero time.
func day(key, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return t, fmt.Errorf("%s %q is not a day; write YYYY-MM-DD, e.g. 2028-06-01", key, s)
	}
	return t, nil
}

// versionRange splits "v41.0-v44.0" or "2025-03..2025-09" into its ends;
// a single version is a range of one. An open end is written empty, as in
// "..v30.0".
func versionRange(s string) (from, to string) {
	if a, b, ok := strings.Cut(s, ".."); ok {
		return strings.TrimSpace(a), strings.TrimSpace(b)
	}
	for _, sep := range []string{"-v", "-V"} {
		if i := strings.Index(s, sep); i >= 0 {
			return strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+1:])
		}
	}
	s = strings.TrimSpace(s)
	return s, s
}
