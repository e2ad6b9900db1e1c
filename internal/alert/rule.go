// Package alert evaluates crmguard's alert rules on the call rollups and
// live state (breakers, quotas, the write queue, incidents), keeps each
// alert's pending → firing → resolved state with its history, and decides
// which notifications to send: grouped, repeated per repeat interval,
// resolved, held back by silences and maintenance windows, and stopped by
// an acknowledgement. Delivery itself is package notify's.
package alert

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crmguard/crmguard/internal/fault"
)

// Severities a rule may have.
var Severities = []string{"critical", "warning", "info"}

// Spec is a rule as configured.
type Spec struct {
	Name     string
	When     Condition
	For      time.Duration
	Severity string // default warning
	// Labels are added to every alert of the rule.
	Labels map[string]string
	// Summary is a one-line text/template over the alert ({{.Labels.upstream}},
	// {{.Value}}); empty gives a summary made from the condition.
	Summary string
	// GroupBy lists the labels whose values split the rule's alerts into
	// notification groups; empty sends every alert of the rule in one.
	GroupBy []string
	// RepeatInterval is how often a firing group is notified again.
	RepeatInterval time.Duration
	// Notify names the notifiers; empty means every one.
	Notify       []string
	SendResolved bool
}

// Condition says when a rule's alerts are active. Exactly one kind is
// set: Class with RateOver or CountOver, Latency, Breaker, Queue, Quota,
// Incident, or Anomaly.
type Condition struct {
	// Upstream selects the upstream: a name, or "*" (or empty) for each
	// upstream separately.
	Upstream string
	// Class is a failure class (fault.Parse), or "failed" for every
	// failed class.
	Class     string
	RateOver  time.Duration // the class's share of calls over this window
	CountOver time.Duration // the class's number of calls over this window
	// MinCalls is the fewest calls in the window for a share to count.
	MinCalls int64
	// Latency is a quantile (p50, p90, p95, p99), max or mean, over Over.
	Latency string
	Over    time.Duration
	// Breaker "open": an endpoint of the upstream has an open breaker.
	Breaker string
	// Queue is depth, oldest_age or dead.
	Queue string
	// Quota "remaining": the lowest share left of the upstream's quota
	// windows with a known limit.
	Quota string
	// Incident is new (an open incident that never reopened), regressed
	// (one that reopened) or open (either).
	Incident string
	// Anomaly names an anomaly score series (see ScoreSource).
	Anomaly string
	// Above and Below are the threshold: a share ("0.05", "5%"), a
	// duration ("3s", "10m") or a number, as the condition measures.
	Above, Below string
}

// Rule is a compiled Spec.
type Rule struct {
	Spec
	cond     condition
	summary  *summaryTemplate
	notifyTo []string
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)

// Compile checks s and returns its rule, or an error naming every
// problem with how to fix it.
func Compile(s Spec) (*Rule, error) {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !nameRE.MatchString(s.Name) {
		add("name %q: want 1 to 63 letters, digits, '.', '-' or '_', starting with a letter or digit", s.Name)
	}
	if s.Severity == "" {
		s.Severity = "warning"
	}
	if !slices.Contains(Severities, s.Severity) {
		add("severity %q: want one of %s", s.Severity, strings.Join(Severities, ", "))
	}
	for k := range s.Labels {
		if !labelRE.MatchString(k) {
			add("labels: %q is not a label name; use letters, digits and _ not starting with a digit", k)
		}
		if reserved[k] {
			add("labels: %q is set by crmguard itself; choose another name", k)
		}
	}
	for _, k := range s.GroupBy {
		if !labelRE.MatchString(k) {
			add("group_by: %q is not a label name", k)
		}
	}
	if s.RepeatInterval <= 0 {
		add("repeat_interval must be positive")
	}
	r := &Rule{Spec: s}
	var err error
	if r.cond, err = compileCondition(s.When); err != nil {
		errs = append(errs, fmt.Errorf("when: %w", err))
	}
	if r.summary, err = parseSummary(s.Summary); err != nil {
		errs = append(errs, fmt.Errorf("summary: %w", err))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return r, nil
}

var labelRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ValidLabelName reports whether s can name a label: letters, digits and
// _, not starting with a digit, as in Prometheus.
func ValidLabelName(s string) bool { return labelRE.MatchString(s) }

// reserved are the labels crmguard sets on alerts.
var reserved = map[string]bool{"alertname": true, "severity": true}

// compileCondition picks the condition kind and parses its threshold.
func compileCondition(c Condition) (condition, error) {
	kinds := []string{}
	for _, k := range []struct {
		name string
		set  bool
	}{
		{"rate_over", c.RateOver > 0}, {"count_over", c.CountOver > 0}, {"latency", c.Latency != ""},
		{"breaker", c.Breaker != ""}, {"queue", c.Queue != ""}, {"quota", c.Quota != ""},
		{"incident", c.Incident != ""}, {"anomaly", c.Anomaly != ""},
	} {
		if k.set {
			kinds = append(kinds, k.name)
		}
	}
	switch len(kinds) {
	case 0:
		return nil, errors.New("no condition; set one of class with rate_over or count_over, latency with over, breaker, queue, quota or incident")
	case 1:
	default:
		return nil, fmt.Errorf("%s are separate conditions; write one rule for each", strings.Join(kinds, " and "))
	}
	if c.Upstream == "" {
		c.Upstream = "*"
	}
	if c.Upstream != "*" && !upstreamRE.MatchString(c.Upstream) {
		return nil, fmt.Errorf("upstream %q: want an upstream's name or \"*\" for each", c.Upstream)
	}
	var class *fault.Class
	switch c.Class {
	case "":
	case "failed":
	default:
		cl, err := fault.Parse(c.Class)
		if err != nil {
			return nil, fmt.Errorf("class: %w", err)
		}
		class = &cl
	}
	classOnly := func(kind string) error {
		if c.Class != "" && kind != "rate_over" && kind != "count_over" && kind != "incident" {
			return fmt.Errorf("class applies to rate_over, count_over and incident conditions, not to %s", kind)
		}
		return nil
	}
	if err := classOnly(kinds[0]); err != nil {
		return nil, err
	}
	if kinds[0] != "latency" && c.Over > 0 {
		return nil, fmt.Errorf("over is the window of a latency condition; %s has its own", kinds[0])
	}
	if c.MinCalls > 1 && kinds[0] != "rate_over" {
		return nil, errors.New("min_calls applies to rate_over conditions only")
	}
	switch kinds[0] {
	case "rate_over":
		if c.Class == "" {
			return nil, errors.New(`rate_over needs a class: the share of calls of that class (or "failed" for every failed class)`)
		}
		t, err := threshold(c, shareValue)
		if err != nil {
			return nil, err
		}
		return &classCond{upstream: c.Upstream, class: class, span: c.RateOver, share: true, minCalls: c.MinCalls, t: t}, nil
	case "count_over":
		if c.Class == "" {
			return nil, errors.New(`count_over needs a class: the number of calls of that class (or "failed" for every failed class)`)
		}
		t, err := threshold(c, countValue)
		if err != nil {
			return nil, err
		}
		return &classCond{upstream: c.Upstream, class: class, span: c.CountOver, t: t}, nil
	case "latency":
		q, ok := latencyStats[c.Latency]
		if !ok {
			return nil, fmt.Errorf("latency %q: want p50, p90, p95, p99, max or mean", c.Latency)
		}
		if c.Over <= 0 {
			return nil, errors.New("latency needs over, the window, e.g. over: 5m")
		}
		t, err := threshold(c, durationValue)
		if err != nil {
			return nil, err
		}
		return &latencyCond{upstream: c.Upstream, stat: c.Latency, q: q, span: c.Over, t: t}, nil
	case "breaker":
		if c.Breaker != "open" {
			return nil, fmt.Errorf(`breaker %q: the condition is breaker: open`, c.Breaker)
		}
		if c.Above != "" || c.Below != "" {
			return nil, errors.New("breaker: open takes no threshold; it is active while an endpoint's breaker is open")
		}
		return &breakerCond{upstream: c.Upstream}, nil
	case "queue":
		kind := countValue
		switch c.Queue {
		case "depth", "dead":
		case "oldest_age":
			kind = durationValue
		default:
			return nil, fmt.Errorf("queue %q: want depth, oldest_age or dead", c.Queue)
		}
		if c.Upstream != "*" {
			return nil, errors.New("the write queue is shared by every upstream; remove upstream from a queue condition")
		}
		t, err := threshold(c, kind)
		if err != nil {
			return nil, err
		}
		return &queueCond{what: c.Queue, t: t}, nil
	case "quota":
		if c.Quota != "remaining" {
			return nil, fmt.Errorf(`quota %q: the condition is quota: remaining with below: a share, e.g. below: 10%%`, c.Quota)
		}
		t, err := threshold(c, shareValue)
		if err != nil {
			return nil, err
		}
		return &quotaCond{upstream: c.Upstream, t: t}, nil
	case "incident":
		if !slices.Contains([]string{"new", "regressed", "open"}, c.Incident) {
			return nil, fmt.Errorf("incident %q: want new, regressed or open", c.Incident)
		}
		if c.Above != "" || c.Below != "" {
			return nil, errors.New("an incident condition takes no threshold; it is active while a matching incident is open")
		}
		return &incidentCond{upstream: c.Upstream, class: class, failedOnly: c.Class == "failed", which: c.Incident}, nil
	case "anomaly":
		t, err := threshold(c, shareValue)
		if err != nil {
			return nil, err
		}
		return &anomalyCond{series: c.Anomaly, upstream: c.Upstream, t: t}, nil
	}
	panic("unreachable")
}

var upstreamRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$`)

// latencyStats maps a latency statistic to its quantile; max and mean are
// negative markers.
var latencyStats = map[string]float64{"p50": 0.50, "p90": 0.90, "p95": 0.95, "p99": 0.99, "max": -1, "mean": -2}

// valueKind is what a condition measures, which says how its threshold
// is written.
type valueKind int

const (
	shareValue valueKind = iota
	countValue
	durationValue
)

// bound is a parsed threshold: the value is compared with limit, above
// or below it.
type bound struct {
	limit float64
	below bool
	kind  valueKind
}

func (b bound) active(v float64) bool {
	if b.below {
		return v < b.limit
	}
	return v > b.limit
}

// String writes the threshold as configured: "> 5%", "< 10", "> 3s".
func (b bound) String() string {
	op := ">"
	if b.below {
		op = "<"
	}
	return op + " " + formatValue(b.limit, b.kind)
}

// formatValue writes v as kind reads: a percentage, a count, or a
// duration in seconds.
func formatValue(v float64, kind valueKind) string {
	switch kind {
	case shareValue:
		return strconv.FormatFloat(v*100, 'f', -1, 64) + "%"
	case durationValue:
		return time.Duration(v * float64(time.Second)).Round(time.Millisecond).String()
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// threshold parses c's Above or Below as kind.
func threshold(c Condition, kind valueKind) (bound, error) {
	switch {
	case c.Above != "" && c.Below != "":
		return bound{}, errors.New("above and below are both set; a condition has one threshold")
	case c.Above == "" && c.Below == "":
		return bound{}, fmt.Errorf("no threshold; set above (or below), e.g. %s", example[kind])
	}
	s, below := c.Above, false
	if s == "" {
		s, below = c.Below, true
	}
	v, err := parseValue(strings.TrimSpace(s), kind)
	if err != nil {
		return bound{}, err
	}
	return bound{limit: v, below: below, kind: kind}, nil
}

var example = map[valueKind]string{shareValue: `above: 0.05 or above: "5%"`, countValue: "above: 10", durationValue: "above: 3s"}

// parseValue reads a threshold: a share is 0..1 or a percentage; a
// duration needs a unit and is held in seconds.
func parseValue(s string, kind valueKind) (float64, error) {
	switch kind {
	case shareValue:
		pct := strings.HasSuffix(s, "%")
		f, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
		if err != nil {
			return 0, fmt.Errorf("threshold %q: want a share such as 0.05 or 5%%", s)
		}
		if pct {
			f /= 100
		}
		if f < 0 || f > 1 {
			return 0, fmt.Errorf("threshold %q: a share is from 0 to 1 (0%% to 100%%)", s)
		}
		return f, nil
	case durationValue:
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return 0, fmt.Errorf("threshold %q: want a duration with a unit such as 3s, 500ms or 10m", s)
		}
		return d.Seconds(), nil
	default:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f < 0 {
			return 0, fmt.Errorf("threshold %q: want a number of calls or entries, such as 10", s)
		}
		return f, nil
	}
}
