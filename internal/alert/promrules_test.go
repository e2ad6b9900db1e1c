package alert

import (
	"maps"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// mustCompile compiles s or fails t.
func mustCompile(t *testing.T, s Spec) *Rule {
	t.Helper()
	r, err := Compile(s)
	if err != nil {
		t.Fatalf("Compile(%s): %v", s.Name, err)
	}
	return r
}

// promFile is the part of a Prometheus rule file the tests read.
type promFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Expr        string            `yaml:"expr"`
			For         *string           `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

func TestPrometheusRules(t *testing.T) {
	failed := "network|timeout|auth|permission|rate_limit|parameter|data_format|version|not_found|conflict|server|unavailable|canceled|unknown"
	tests := []struct {
		spec Spec
		expr string
		// forDur is the rule's for as written, "" for none.
		forDur string
		labels map[string]string
	}{
		{
			Spec{Name: "sf-auth", Severity: "critical", For: 90 * time.Second, Labels: map[string]string{"team": "crm"},
				When: Condition{Upstream: "sf", Class: "auth", RateOver: 5 * time.Minute, MinCalls: 20, Above: "5%"}},
			`(sum by (upstream) (increase(crmguard_calls_total{upstream="sf",class="auth"}[5m])) / ` +
				`sum by (upstream) (increase(crmguard_calls_total{upstream="sf"}[5m]))) > 0.05 and ` +
				`sum by (upstream) (increase(crmguard_calls_total{upstream="sf"}[5m])) >= 20`,
			"1m30s", map[string]string{"severity": "critical", "team": "crm"},
		},
		{
			Spec{Name: "failed-count", For: 1500 * time.Millisecond,
				When: Condition{Class: "failed", CountOver: 10 * time.Minute, Above: "50"}},
			`sum by (upstream) (increase(crmguard_calls_total{class=~"` + failed + `"}[10m])) > 50`,
			"1500ms", map[string]string{"severity": "warning"},
		},
		{
			Spec{Name: "failed-share", When: Condition{Class: "failed", RateOver: time.Hour, Above: "10%"}},
			`(sum by (upstream) (increase(crmguard_calls_total{class=~"` + failed + `"}[1h])) / ` +
				`sum by (upstream) (increase(crmguard_calls_total{}[1h]))) > 0.1 and ` +
				`sum by (upstream) (increase(crmguard_calls_total{}[1h])) >= 1`,
			"", map[string]string{"severity": "warning"},
		},
		{
			Spec{Name: "slow", Severity: "info", When: Condition{Latency: "p95", Over: 90 * time.Second, Above: "3s"}},
			`histogram_quantile(0.95, sum by (upstream, le) (rate(crmguard_call_duration_seconds_bucket{}[1m30s]))) > 3`,
			"", map[string]string{"severity": "info"},
		},
		{
			Spec{Name: "slow-mean", When: Condition{Upstream: "hs", Latency: "mean", Over: 5 * time.Minute, Above: "250ms"}},
			`sum by (upstream) (rate(crmguard_call_duration_seconds_sum{upstream="hs"}[5m])) / ` +
				`sum by (upstream) (rate(crmguard_call_duration_seconds_count{upstream="hs"}[5m])) > 0.25`,
			"", map[string]string{"severity": "warning"},
		},
		{
			Spec{Name: "breaker", For: time.Hour, Labels: map[string]string{"page": "yes"}, When: Condition{Upstream: "hs", Breaker: "open"}},
			`max by (upstream) (crmguard_breaker_state{upstream="hs"}) == 2`,
			"1h", map[string]string{"severity": "warning", "page": "yes"},
		},
		{
			Spec{Name: "dead", For: 2*time.Hour + 5*time.Second, When: Condition{Queue: "dead", Above: "0"}},
			`crmguard_queue_entries{state="dead"} > 0`,
			"2h5s", map[string]string{"severity": "warning"},
		},
		{
			Spec{Name: "queue-age", When: Condition{Queue: "oldest_age", Above: "10m"}},
			`crmguard_queue_oldest_age_seconds > 600`,
			"", map[string]string{"severity": "warning"},
		},
		{
			Spec{Name: "quota", When: Condition{Quota: "remaining", Below: "10%"}},
			`min by (upstream) (crmguard_quota_remaining{} / crmguard_quota_limit{}) < 0.1`,
			"", map[string]string{"severity": "warning"},
		},
		{
			Spec{Name: "new-auth-incident", When: Condition{Upstream: "sf", Incident: "new", Class: "auth"}},
			`sum by (upstream, class) (crmguard_incidents_open{upstream="sf",class="auth",regressed="false"}) > 0`,
			"", map[string]string{"severity": "warning"},
		},
		{
			Spec{Name: "regressed", When: Condition{Incident: "regressed"}},
			`sum by (upstream, class) (crmguard_incidents_open{regressed="true"}) > 0`,
			"", map[string]string{"severity": "warning"},
		},
		{
			Spec{Name: "open-incident", When: Condition{Incident: "open"}},
			`sum by (upstream, class) (crmguard_incidents_open{}) > 0`,
			"", map[string]string{"severity": "warning"},
		},
	}
	var rules []*Rule
	for _, tc := range tests {
		tc.spec.RepeatInterval = time.Hour
		rules = append(rules, mustCompile(t, tc.spec))
	}
	b, err := PrometheusRules(rules)
	if err != nil {
		t.Fatalf("PrometheusRules: %v", err)
	}
	var f promFile
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("the output is not YAML: %v\n%s", err, b)
	}
	if len(f.Groups) != 1 {
		t.Fatalf("got %d groups; want 1:\n%s", len(f.Groups), b)
	}
	if len(f.Groups[0].Rules) != len(tests) {
		t.Fatalf("got %d rules; want %d:\n%s", len(f.Groups[0].Rules), len(tests), b)
	}
	for i, tc := range tests {
		got := f.Groups[0].Rules[i]
		t.Run(tc.spec.Name, func(t *testing.T) {
			if got.Alert != tc.spec.Name {
				t.Errorf("alert = %q; want %q", got.Alert, tc.spec.Name)
			}
			if got.Expr != tc.expr {
				t.Errorf("expr:\n got %s\nwant %s", got.Expr, tc.expr)
			}
			switch {
			case tc.forDur == "" && got.For != nil:
				t.Errorf("for = %q; want none", *got.For)
			case tc.forDur != "" && (got.For == nil || *got.For != tc.forDur):
				t.Errorf("for = %v; want %q", got.For, tc.forDur)
			}
			if !maps.Equal(got.Labels, tc.labels) {
				t.Errorf("labels = %v; want %v", got.Labels, tc.labels)
			}
			if got.Annotations["summary"] == "" {
				t.Errorf("annotations = %v; want a summary", got.Annotations)
			}
		})
	}
}

func TestPrometheusRules_NoPrometheusForm(t *testing.T) {
	r := mustCompile(t, Spec{Name: "odd-traffic", RepeatInterval: time.Hour, When: Condition{Anomaly: "call_rate", Above: "0.9"}})
	_, err := PrometheusRules([]*Rule{r})
	if err == nil || !strings.Contains(err.Error(), "rule odd-traffic: its condition has no Prometheus form") {
		t.Errorf("PrometheusRules(anomaly rule) error = %v; want one naming the rule", err)
	}
}

func TestPromDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{90 * time.Second, "1m30s"},
		{time.Minute + 30*time.Second, "1m30s"},
		{1500 * time.Millisecond, "1500ms"},
		{250 * time.Millisecond, "250ms"},
		{30 * time.Second, "30s"},
		{5 * time.Minute, "5m"},
		{time.Hour, "1h"},
		{90 * time.Minute, "1h30m"},
		{time.Hour + 30*time.Second, "1h30s"},
		{36 * time.Hour, "36h"},
	}
	for _, tc := range tests {
		if got := promDuration(tc.d); got != tc.want {
			t.Errorf("promDuration(%v) = %q; want %q", tc.d, got, tc.want)
		}
	}
}
