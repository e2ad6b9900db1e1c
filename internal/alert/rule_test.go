package alert

import (
	"strings"
	"testing"
	"time"
)

// spec returns a valid rule with when as its condition.
func spec(when Condition) Spec {
	return Spec{Name: "r", When: when, RepeatInterval: time.Hour}
}

// thresholdOf is the compiled threshold of r as it reads back ("> 5%"),
// or "" for a condition without one.
func thresholdOf(r *Rule) string {
	switch c := r.cond.(type) {
	case *classCond:
		return c.t.String()
	case *latencyCond:
		return c.t.String()
	case *queueCond:
		return c.t.String()
	case *quotaCond:
		return c.t.String()
	case *anomalyCond:
		return c.t.String()
	}
	return ""
}

func TestCompile_Valid(t *testing.T) {
	tests := []struct {
		name string
		spec Spec
		// threshold is the compiled threshold as it reads back.
		threshold string
	}{
		{"share in percent", spec(Condition{Class: "auth", RateOver: 5 * time.Minute, Above: "5%"}), "> 5%"},
		{"share as a fraction", spec(Condition{Class: "auth", RateOver: 5 * time.Minute, Above: "0.05"}), "> 5%"},
		{"share with spaces", spec(Condition{Class: "auth", RateOver: 5 * time.Minute, Above: " 5% "}), "> 5%"},
		{"failed share with min_calls", spec(Condition{Class: "failed", RateOver: 5 * time.Minute, MinCalls: 20, Above: "10%"}), "> 10%"},
		{"class count", spec(Condition{Upstream: "salesforce", Class: "server", CountOver: 10 * time.Minute, Above: "50"}), "> 50"},
		{"failed count below", spec(Condition{Class: "failed", CountOver: time.Minute, Below: "1"}), "< 1"},
		{"latency p95", spec(Condition{Latency: "p95", Over: 5 * time.Minute, Above: "3s"}), "> 3s"},
		{"latency mean", spec(Condition{Latency: "mean", Over: 5 * time.Minute, Above: "500ms"}), "> 500ms"},
		{"latency max", spec(Condition{Upstream: "hubspot", Latency: "max", Over: time.Hour, Above: "10s"}), "> 10s"},
		{"breaker open", spec(Condition{Breaker: "open"}), ""},
		{"queue depth", spec(Condition{Queue: "depth", Above: "100"}), "> 100"},
		{"queue oldest age", spec(Condition{Queue: "oldest_age", Above: "10m"}), "> 10m0s"},
		{"queue dead", spec(Condition{Queue: "dead", Above: "0"}), "> 0"},
		{"quota remaining below", spec(Condition{Quota: "remaining", Below: "10%"}), "< 10%"},
		{"quota remaining above", spec(Condition{Upstream: "sf", Quota: "remaining", Above: "0.5"}), "> 50%"},
		{"incident new", spec(Condition{Incident: "new"}), ""},
		{"incident regressed of a class", spec(Condition{Incident: "regressed", Class: "auth"}), ""},
		{"incident open of failed classes", spec(Condition{Incident: "open", Class: "failed"}), ""},
		{"anomaly", spec(Condition{Anomaly: "call_rate", Above: "0.8"}), "> 80%"},
		{"everything else set", Spec{
			Name: "sf-auth.failures_2", Severity: "critical",
			When:   Condition{Upstream: "sf", Class: "auth", RateOver: 5 * time.Minute, Above: "5%"},
			For:    2 * time.Minute,
			Labels: map[string]string{"team": "crm", "_x": "y"}, GroupBy: []string{"upstream", "class"},
			Summary:        "{{.Labels.upstream}} at {{.Value}} ({{.Rule}}, {{.Labels.nope}})",
			RepeatInterval: 4 * time.Hour, Notify: []string{"ops"}, SendResolved: true,
		}, "> 5%"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Compile(tc.spec)
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			if got := thresholdOf(r); got != tc.threshold {
				t.Errorf("threshold = %q; want %q", got, tc.threshold)
			}
			if tc.spec.Severity == "" && r.Severity != "warning" {
				t.Errorf("severity = %q; want the default warning", r.Severity)
			}
		})
	}
}

func TestCompile_Invalid(t *testing.T) {
	rate := Condition{Class: "auth", RateOver: 5 * time.Minute, Above: "5%"}
	tests := []struct {
		name string
		spec Spec
		// want are the texts the error must contain.
		want []string
	}{
		{"no condition", spec(Condition{Above: "5"}), []string{"when: no condition"}},
		{"two conditions", spec(Condition{Class: "auth", RateOver: time.Minute, Latency: "p95", Over: time.Minute, Above: "3s"}),
			[]string{"rate_over and latency are separate conditions"}},
		{"three conditions", spec(Condition{Breaker: "open", Queue: "depth", Incident: "new"}),
			[]string{"breaker and queue and incident are separate conditions"}},
		{"rate_over without class", spec(Condition{RateOver: time.Minute, Above: "5%"}), []string{"rate_over needs a class"}},
		{"count_over without class", spec(Condition{CountOver: time.Minute, Above: "5"}), []string{"count_over needs a class"}},
		{"unknown class", spec(Condition{Class: "bogus", RateOver: time.Minute, Above: "5%"}), []string{`class: unknown cause class "bogus"`}},
		{"class with latency", spec(Condition{Class: "auth", Latency: "p95", Over: time.Minute, Above: "3s"}),
			[]string{"class applies to rate_over, count_over and incident conditions, not to latency"}},
		{"class with breaker", spec(Condition{Class: "auth", Breaker: "open"}), []string{"not to breaker"}},
		{"over on rate_over", spec(Condition{Class: "auth", RateOver: time.Minute, Over: time.Minute, Above: "5%"}),
			[]string{"over is the window of a latency condition; rate_over has its own"}},
		{"over on queue", spec(Condition{Queue: "depth", Over: time.Minute, Above: "5"}), []string{"over is the window of a latency condition; queue"}},
		{"min_calls on count_over", spec(Condition{Class: "auth", CountOver: time.Minute, MinCalls: 10, Above: "5"}),
			[]string{"min_calls applies to rate_over conditions only"}},
		{"bad upstream", spec(Condition{Upstream: "sf eu", Breaker: "open"}), []string{`upstream "sf eu"`}},
		{"share above one", spec(Condition{Class: "auth", RateOver: time.Minute, Above: "1.5"}), []string{`threshold "1.5": a share is from 0 to 1`}},
		{"share above 100%", spec(Condition{Class: "auth", RateOver: time.Minute, Above: "150%"}), []string{`threshold "150%": a share is from 0 to 1`}},
		{"negative share", spec(Condition{Class: "auth", RateOver: time.Minute, Above: "-5%"}), []string{`threshold "-5%": a share is from 0 to 1`}},
		{"share not a number", spec(Condition{Class: "auth", RateOver: time.Minute, Above: "lots"}), []string{`threshold "lots": want a share`}},
		{"latency without unit", spec(Condition{Latency: "p95", Over: time.Minute, Above: "3"}), []string{`threshold "3": want a duration with a unit`}},
		{"negative latency", spec(Condition{Latency: "p95", Over: time.Minute, Above: "-3s"}), []string{`threshold "-3s": want a duration`}},
		{"latency without over", spec(Condition{Latency: "p95", Above: "3s"}), []string{"latency needs over"}},
		{"unknown latency statistic", spec(Condition{Latency: "p42", Over: time.Minute, Above: "3s"}), []string{`latency "p42": want p50, p90, p95, p99, max or mean`}},
		{"negative count", spec(Condition{Class: "server", CountOver: time.Minute, Above: "-1"}), []string{`threshold "-1": want a number of calls`}},
		{"count with a unit", spec(Condition{Queue: "depth", Above: "10s"}), []string{`threshold "10s": want a number`}},
		{"queue age without unit", spec(Condition{Queue: "oldest_age", Above: "600"}), []string{`threshold "600": want a duration with a unit`}},
		{"above and below", spec(Condition{Queue: "depth", Above: "10", Below: "1"}), []string{"above and below are both set"}},
		{"no threshold", spec(Condition{Latency: "p95", Over: time.Minute}), []string{"no threshold; set above (or below), e.g. above: 3s"}},
		{"unknown severity", Spec{Name: "r", Severity: "fatal", When: rate, RepeatInterval: time.Hour},
			[]string{`severity "fatal": want one of critical, warning, info`}},
		{"empty name", Spec{When: rate, RepeatInterval: time.Hour}, []string{`name "": want 1 to 63 letters`}},
		{"name with a space", Spec{Name: "sf auth", When: rate, RepeatInterval: time.Hour}, []string{`name "sf auth"`}},
		{"name starting with a dash", Spec{Name: "-sf", When: rate, RepeatInterval: time.Hour}, []string{`name "-sf"`}},
		{"name too long", Spec{Name: strings.Repeat("a", 64), When: rate, RepeatInterval: time.Hour}, []string{"want 1 to 63"}},
		{"reserved label alertname", Spec{Name: "r", When: rate, RepeatInterval: time.Hour, Labels: map[string]string{"alertname": "x"}},
			[]string{`labels: "alertname" is set by crmguard itself`}},
		{"reserved label severity", Spec{Name: "r", When: rate, RepeatInterval: time.Hour, Labels: map[string]string{"severity": "x"}},
			[]string{`labels: "severity" is set by crmguard itself`}},
		{"bad label name", Spec{Name: "r", When: rate, RepeatInterval: time.Hour, Labels: map[string]string{"1team": "x"}},
			[]string{`labels: "1team" is not a label name`}},
		{"bad group_by label", Spec{Name: "r", When: rate, RepeatInterval: time.Hour, GroupBy: []string{"up-stream"}},
			[]string{`group_by: "up-stream" is not a label name`}},
		{"no repeat interval", Spec{Name: "r", When: rate}, []string{"repeat_interval must be positive"}},
		{"breaker not open", spec(Condition{Breaker: "closed"}), []string{`breaker "closed": the condition is breaker: open`}},
		{"breaker with threshold", spec(Condition{Breaker: "open", Above: "0"}), []string{"breaker: open takes no threshold"}},
		{"unknown queue measure", spec(Condition{Queue: "size", Above: "1"}), []string{`queue "size": want depth, oldest_age or dead`}},
		{"queue with upstream", spec(Condition{Upstream: "sf", Queue: "depth", Above: "1"}),
			[]string{"the write queue is shared by every upstream; remove upstream"}},
		{"quota not remaining", spec(Condition{Quota: "used", Above: "90%"}), []string{`quota "used": the condition is quota: remaining`}},
		{"quota remaining as a count", spec(Condition{Quota: "remaining", Below: "500"}), []string{`threshold "500": a share is from 0 to 1`}},
		{"unknown incident kind", spec(Condition{Incident: "closed"}), []string{`incident "closed": want new, regressed or open`}},
		{"incident with threshold", spec(Condition{Incident: "open", Above: "3"}), []string{"an incident condition takes no threshold"}},
		{"anomaly share above one", spec(Condition{Anomaly: "call_rate", Above: "2"}), []string{`threshold "2": a share is from 0 to 1`}},
		{"summary that does not parse", Spec{Name: "r", When: rate, RepeatInterval: time.Hour, Summary: "{{.Labels.upstream"},
			[]string{"summary: ", "unclosed action"}},
		{"summary that cannot run", Spec{Name: "r", When: rate, RepeatInterval: time.Hour, Summary: "{{.Upstream}} failed"},
			[]string{"summary: ", "can't evaluate field Upstream"}},
		{"every problem at once", Spec{Name: "bad name", Severity: "fatal", When: Condition{}, Labels: map[string]string{"severity": "x"}},
			[]string{`name "bad name"`, `severity "fatal"`, `"severity" is set by crmguard`, "repeat_interval", "when: no condition"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Compile(tc.spec)
			if err == nil {
				t.Fatalf("Compile = %+v, nil; want an error mentioning %q", r, tc.want)
			}
			if r != nil {
				t.Errorf("Compile returned a rule with its error: %+v", r)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}
