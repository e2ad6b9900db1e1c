// Package lifecycle knows which CRM API versions and endpoints are
// deprecated or retired, so crmguard can warn the integrations still
// calling them long before the CRM starts refusing, and refuse on the
// CRM's behalf once it does. crmguard ships the lifecycles its CRMs have
// announced (Builtin); the configuration adds an operator's own.
package lifecycle

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// State is where a version stands on a given day.
type State uint8

// The states. A version nobody announced an end for is Current.
const (
	Current State = iota
	// Deprecated: its end is announced, or it is deprecated without a
	// date, and calls still work.
	Deprecated
	// Retired: past its end; the CRM refuses its calls.
	Retired
)

func (s State) String() string {
	switch s {
	case Deprecated:
		return "deprecated"
	case Retired:
		return "retired"
	}
	return "current"
}

// Entry is the lifecycle of a range of versions or of an endpoint.
type Entry struct {
	// Dialect limits a built-in entry to upstreams of one CRM dialect;
	// entries from the configuration apply to their own upstream and
	// leave it empty.
	Dialect string
	// From and To bound a range of path versions, both included, such as
	// v21.0 and v30.0; versions compare number by number, so v9.0 comes
	// before v10.0. Either may be empty for an open end.
	From, To string
	// Path, instead of a version range, matches request paths below the
	// upstream that start with it, for CRMs whose endpoints retire rather
	// than numbered versions.
	Path string
	// Deprecated is when the CRM deprecated it, which may lie ahead; zero
	// when not announced.
	Deprecated time.Time
	// Retires is when calls stop working; zero when no date is known, in
	// which case the entry never reaches Retired on its own.
	Retires time.Time
	// Note tells a developer what is ending and what to move to.
	Note string
	// Source is where the dates come from.
	Source string
}

// State returns where the entry stands at now.
func (e *Entry) State(now time.Time) State {
	if !e.Retires.IsZero() && !now.Before(e.Retires) {
		return Retired
	}
	return Deprecated
}

// Validate reports what is wrong with an entry from the configuration.
func (e *Entry) Validate() error {
	switch {
	case e.Path == "" && e.From == "" && e.To == "":
		return fmt.Errorf("names neither versions nor a path; set versions (such as v21.0-v30.0) or path (such as /xmlrpc)")
	case e.Path != "" && (e.From != "" || e.To != ""):
		return fmt.Errorf("names both versions and a path; an entry covers one or the other")
	case e.Path != "" && !strings.HasPrefix(e.Path, "/"):
		return fmt.Errorf("path %q must start with /", e.Path)
	}
	for _, v := range []string{e.From, e.To} {
		if _, ok := parseVersion(v); v != "" && !ok {
			return fmt.Errorf("version %q is not a version such as v59.0, v3 or 2026-03", v)
		}
	}
	if e.From != "" && e.To != "" {
		from, _ := parseVersion(e.From)
		to, _ := parseVersion(e.To)
		if compare(from, to) > 0 {
			return fmt.Errorf("versions %s-%s run backwards", e.From, e.To)
		}
	}
	if !e.Deprecated.IsZero() && !e.Retires.IsZero() && e.Retires.Before(e.Deprecated) {
		return fmt.Errorf("retires (%s) before it is deprecated (%s)", day(e.Retires), day(e.Deprecated))
	}
	return nil
}

// Verdict is the lifecycle of one call's version.
type Verdict struct {
	State State
	Entry *Entry // the entry that decided; nil when Current
}

// Policy answers for one upstream.
type Policy struct {
	rules []rule
}

// rule is an entry with its version bounds parsed once, since every call
// is checked against every entry.
type rule struct {
	Entry
	from, to []int // nil for an open end
}

// New returns the policy for an upstream of the given dialect: the
// configured entries first, so an operator's date overrides a built-in
// one, then the built-in entries for the dialect. Entries are expected to
// be valid (Entry.Validate); a bound that does not parse is an open end.
func New(dialect string, configured []Entry) *Policy {
	p := &Policy{}
	add := func(e Entry) {
		r := rule{Entry: e}
		r.from, _ = parseVersion(e.From)
		r.to, _ = parseVersion(e.To)
		p.rules = append(p.rules, r)
	}
	for _, e := range configured {
		add(e)
	}
	for _, e := range Builtin() {
		if e.Dialect == dialect {
			add(e)
		}
	}
	return p
}

// matches reports whether the rule covers a call with path version v
// (nil when the call names none) and path.
func (r *rule) matches(v []int, path string) bool {
	if r.Path != "" {
		return path == r.Path || strings.HasPrefix(path, strings.TrimSuffix(r.Path, "/")+"/")
	}
	if v == nil || (r.from == nil && r.to == nil) {
		return false
	}
	return (r.from == nil || compare(v, r.from) >= 0) && (r.to == nil || compare(v, r.to) <= 0)
}

// Check returns the lifecycle state of a call with this path version and
// path below the upstream at now.
func (p *Policy) Check(version, path string, now time.Time) Verdict {
	v, _ := parseVersion(version)
	for i := range p.rules {
		r := &p.rules[i]
		if r.matches(v, path) {
			return Verdict{State: r.State(now), Entry: &r.Entry}
		}
	}
	return Verdict{}
}

// Warning is the text of the warning crmguard adds to calls on a
// deprecated or retired version.
func (v Verdict) Warning(version, path string) string {
	if v.Entry == nil {
		return ""
	}
	what := "API version " + version
	if v.Entry.Path != "" {
		what = "endpoint " + v.Entry.Path
	}
	var b strings.Builder
	b.WriteString(what)
	switch {
	case v.State == Retired:
		b.WriteString(" was retired on " + day(v.Entry.Retires))
	case !v.Entry.Retires.IsZero():
		b.WriteString(" is deprecated and retires on " + day(v.Entry.Retires))
	default:
		b.WriteString(" is deprecated")
	}
	if v.Entry.Note != "" {
		b.WriteString(": " + v.Entry.Note)
	}
	return b.String()
}

func day(t time.Time) string { return t.Format(time.DateOnly) }

// parseVersion reads v59.0, V8, v4_1 or v3 as numbers, and a HubSpot date
// version 2026-03 as year and month.
func parseVersion(s string) ([]int, bool) {
	s = strings.TrimSuffix(s, "-beta")
	if s == "" {
		return nil, false
	}
	sep := func(r rune) bool { return r == '.' || r == '_' || r == '-' }
	if s[0] == 'v' || s[0] == 'V' {
		s = s[1:]
	}
	parts := strings.FieldsFunc(s, sep)
	if len(parts) == 0 || len(parts) > 4 {
		return nil, false
	}
	out := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return nil, false
		}
		out[i] = n
	}
	return out, true
}

// compare orders versions number by number; a missing number counts as
// zero, so v3 equals v3.0.
func compare(a, b []int) int {
	for i := range max(len(a), len(b)) {
		x, y := 0, 0
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}
