package alert

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/crmguard/crmguard/internal/fault"
)

// PrometheusRules writes rules as a Prometheus alerting rule file over
// crmguard's /metrics, for operators who alert in Prometheus rather than
// in crmguard. Each rule becomes one alerting rule with the same name,
// for, severity and labels. Two conditions are measured differently
// there: latency quantiles come from the histogram's buckets instead of
// crmguard's sketches, and incident rules fire per upstream and class
// (crmguard_incidents_open) instead of per incident.
func PrometheusRules(rules []*Rule) ([]byte, error) {
	type promRule struct {
		Alert       string            `yaml:"alert"`
		Expr        string            `yaml:"expr"`
		For         string            `yaml:"for,omitempty"`
		Labels      map[string]string `yaml:"labels"`
		Annotations map[string]string `yaml:"annotations"`
	}
	type group struct {
		Name  string     `yaml:"name"`
		Rules []promRule `yaml:"rules"`
	}
	out := struct {
		Groups []group `yaml:"groups"`
	}{Groups: []group{{Name: "crmguard"}}}
	for _, r := range rules {
		p, ok := r.cond.(promCondition)
		if !ok {
			return nil, fmt.Errorf("rule %s: its condition has no Prometheus form", r.Name)
		}
		labels := map[string]string{"severity": r.Severity}
		for k, v := range r.Labels {
			labels[k] = v
		}
		pr := promRule{Alert: r.Name, Expr: p.promExpr(), Labels: labels,
			Annotations: map[string]string{"summary": p.promSummary()}}
		if r.For > 0 {
			pr.For = promDuration(r.For)
		}
		out.Groups[0].Rules = append(out.Groups[0].Rules, pr)
	}
	b, err := yaml.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("writing Prometheus rules: %w", err)
	}
	return append([]byte("# Prometheus alerting rules equivalent to crmguard's alerts.rules,\n# written by crmguard rules prometheus. Load with rule_files.\n"), b...), nil
}

// promCondition is a condition that has a PromQL form.
type promCondition interface {
	promExpr() string
	promSummary() string
}

// promDuration writes d the way PromQL reads durations: 5m, 1h30m, 90s.
func promDuration(d time.Duration) string {
	if d%time.Second != 0 {
		return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
	}
	s := shortDur(d)
	return strings.ReplaceAll(s, "h0m", "h")
}

// selector writes a label selector over upstream and class.
func selector(upstream string, class *fault.Class, failedOnly bool) string {
	var m []string
	if upstream != "*" {
		m = append(m, `upstream="`+upstream+`"`)
	}
	switch {
	case class != nil:
		m = append(m, `class="`+class.String()+`"`)
	case failedOnly:
		var names []string
		for _, c := range fault.Classes() {
			if c.Failed() {
				names = append(names, c.String())
			}
		}
		m = append(m, `class=~"`+strings.Join(names, "|")+`"`)
	}
	return "{" + strings.Join(m, ",") + "}"
}

func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func (c *classCond) promExpr() string {
	w := promDuration(c.span)
	part := fmt.Sprintf("sum by (upstream) (increase(crmguard_calls_total%s[%s]))", selector(c.upstream, c.class, c.class == nil), w)
	if !c.share {
		return fmt.Sprintf("%s %s %s", part, c.t.op(), num(c.t.limit))
	}
	all := fmt.Sprintf("sum by (upstream) (increase(crmguard_calls_total%s[%s]))", selector(c.upstream, nil, false), w)
	return fmt.Sprintf("(%s / %s) %s %s and %s >= %d", part, all, c.t.op(), num(c.t.limit), all, max(c.minCalls, 1))
}

func (c *classCond) promSummary() string {
	return fmt.Sprintf("{{ $labels.upstream }}: %s calls %s over %s ({{ $value }})", c.className(), c.t, shortDur(c.span))
}

func (c *latencyCond) promExpr() string {
	sel, w := selector(c.upstream, nil, false), promDuration(c.span)
	switch c.stat {
	case "mean":
		return fmt.Sprintf("sum by (upstream) (rate(crmguard_call_duration_seconds_sum%s[%s])) / sum by (upstream) (rate(crmguard_call_duration_seconds_count%s[%s])) %s %s",
			sel, w, sel, w, c.t.op(), num(c.t.limit))
	case "max":
		// The histogram keeps no maximum; its top quantile is the upper
		// bound of the highest bucket with calls in it.
		return fmt.Sprintf("histogram_quantile(1, sum by (upstream, le) (rate(crmguard_call_duration_seconds_bucket%s[%s]))) %s %s", sel, w, c.t.op(), num(c.t.limit))
	}
	return fmt.Sprintf("histogram_quantile(%s, sum by (upstream, le) (rate(crmguard_call_duration_seconds_bucket%s[%s]))) %s %s",
		num(c.q), sel, w, c.t.op(), num(c.t.limit))
}

func (c *latencyCond) promSummary() string {
	return fmt.Sprintf("{{ $labels.upstream }}: latency %s {{ $value }}s over %s (%s)", c.stat, shortDur(c.span), c.t)
}

func (c *breakerCond) promExpr() string {
	return fmt.Sprintf("max by (upstream) (crmguard_breaker_state%s) == 2", selector(c.upstream, nil, false))
}

func (c *breakerCond) promSummary() string {
	return "{{ $labels.upstream }}: a circuit breaker is open"
}

func (c *queueCond) promExpr() string {
	metric := map[string]string{"depth": "crmguard_queue_depth", "oldest_age": "crmguard_queue_oldest_age_seconds",
		"dead": `crmguard_queue_entries{state="dead"}`}[c.what]
	return fmt.Sprintf("%s %s %s", metric, c.t.op(), num(c.t.limit))
}

func (c *queueCond) promSummary() string {
	return fmt.Sprintf("write queue %s {{ $value }} (%s)", c.what, c.t)
}

func (c *quotaCond) promExpr() string {
	sel := selector(c.upstream, nil, false)
	return fmt.Sprintf("min by (upstream) (crmguard_quota_remaining%s / crmguard_quota_limit%s) %s %s", sel, sel, c.t.op(), num(c.t.limit))
}

func (c *quotaCond) promSummary() string {
	return fmt.Sprintf("{{ $labels.upstream }}: {{ $value | humanizePercentage }} of the API quota left (%s)", c.t)
}

func (c *incidentCond) promExpr() string {
	sel := selector(c.upstream, c.class, c.failedOnly)
	switch c.which {
	case "new":
		sel = strings.TrimSuffix(sel, "}")
		if sel != "{" {
			sel += ","
		}
		sel += `regressed="false"}`
	case "regressed":
		sel = strings.TrimSuffix(sel, "}")
		if sel != "{" {
			sel += ","
		}
		sel += `regressed="true"}`
	}
	return fmt.Sprintf("sum by (upstream, class) (crmguard_incidents_open%s) > 0", sel)
}

func (c *incidentCond) promSummary() string {
	return "{{ $labels.upstream }}: {{ $value }} open " + c.which + " {{ $labels.class }} incident(s)"
}

// op is the PromQL comparison of the bound.
func (b bound) op() string {
	if b.below {
		return "<"
	}
	return ">"
}
