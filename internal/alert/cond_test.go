package alert_test

import (
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/alert"
	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/incident"
	"github.com/crmguard/crmguard/internal/rollup"
)

func TestEngine_Conditions(t *testing.T) {
	incidents := []incident.Incident{
		{Fingerprint: "f1e2d3c4b5a69788", Upstream: "sf", Operation: "/sobjects/Account", Class: fault.Auth, VendorCode: "INVALID_SESSION_ID",
			Message: "Session expired or invalid", Remediation: "refresh the token", Count: 7, State: incident.Open},
		{Fingerprint: "0a1b2c3d4e5f6a7b", Upstream: "hs", Operation: "/crm/v3/objects", Class: fault.Server,
			Message: "internal error", Count: 3, State: incident.Open, Reopened: 2},
	}
	tests := []struct {
		name string
		when alert.Condition
		src  func(s *source)
		// want are the firing alerts' labels (without alertname and
		// severity) and values, in upstream order.
		want []firing
	}{
		{
			"share of failed classes", alert.Condition{Class: "failed", RateOver: 5 * time.Minute, Above: "5%"},
			func(s *source) {
				s.rows = []rollup.Row{calls("sf", fault.OK, 90, time.Millisecond), calls("sf", fault.Server, 6, time.Millisecond),
					calls("sf", fault.Timeout, 4, time.Millisecond), calls("hs", fault.OK, 100, time.Millisecond), calls("hs", fault.Server, 5, time.Millisecond)}
			},
			[]firing{{"class=failed upstream=sf", 0.1, 0}},
		},
		{
			"share of one class", alert.Condition{Class: "server", RateOver: 5 * time.Minute, Above: "5%"},
			func(s *source) {
				s.rows = []rollup.Row{calls("sf", fault.OK, 90, time.Millisecond), calls("sf", fault.Server, 6, time.Millisecond),
					calls("sf", fault.Timeout, 4, time.Millisecond)}
			},
			[]firing{{"class=server upstream=sf", 0.06, 0}},
		},
		{
			"count of a class", alert.Condition{Class: "server", CountOver: 10 * time.Minute, Above: "5"},
			func(s *source) {
				s.rows = []rollup.Row{calls("sf", fault.Server, 4, time.Millisecond), calls("sf", fault.Server, 2, time.Millisecond),
					calls("hs", fault.Server, 5, time.Millisecond), calls("hs", fault.Timeout, 50, time.Millisecond)}
			},
			[]firing{{"class=server upstream=sf", 6, 0}},
		},
		{
			"count of one upstream", alert.Condition{Upstream: "hs", Class: "failed", CountOver: 10 * time.Minute, Above: "5"},
			func(s *source) {
				s.rows = []rollup.Row{calls("sf", fault.Server, 40, time.Millisecond), calls("hs", fault.Timeout, 9, time.Millisecond)}
			},
			[]firing{{"class=failed upstream=hs", 9, 0}},
		},
		{
			"count under a below threshold", alert.Condition{Class: "failed", CountOver: 10 * time.Minute, Below: "1"},
			func(s *source) {
				s.rows = []rollup.Row{calls("sf", fault.OK, 40, time.Millisecond), calls("hs", fault.Timeout, 1, time.Millisecond)}
			},
			[]firing{{"class=failed upstream=sf", 0, 0}},
		},
		{
			"rows before the window", alert.Condition{Class: "auth", CountOver: 5 * time.Minute, Above: "0"},
			func(s *source) {
				old := calls("sf", fault.Auth, 50, time.Millisecond)
				old.Minute = t0.Add(-10 * time.Minute)
				s.rows = []rollup.Row{old, calls("sf", fault.OK, 100, time.Millisecond)}
			},
			nil,
		},
		{
			"rows in a longer window", alert.Condition{Class: "auth", CountOver: 15 * time.Minute, Above: "0"},
			func(s *source) {
				old := calls("sf", fault.Auth, 50, time.Millisecond)
				old.Minute = t0.Add(-10 * time.Minute)
				s.rows = []rollup.Row{old, calls("sf", fault.OK, 100, time.Millisecond)}
			},
			[]firing{{"class=auth upstream=sf", 50, 0}},
		},
		{
			"latency p95", alert.Condition{Latency: "p95", Over: 5 * time.Minute, Above: "1s"},
			func(s *source) {
				s.rows = []rollup.Row{calls("sf", fault.OK, 90, 100*time.Millisecond), calls("sf", fault.Timeout, 10, 3*time.Second),
					calls("hs", fault.OK, 100, 100*time.Millisecond)}
			},
			[]firing{{"upstream=sf", 3, 0.03}},
		},
		{
			"latency p50", alert.Condition{Latency: "p50", Over: 5 * time.Minute, Above: "50ms"},
			func(s *source) {
				s.rows = []rollup.Row{calls("sf", fault.OK, 90, 100*time.Millisecond), calls("sf", fault.Timeout, 10, 3*time.Second)}
			},
			[]firing{{"upstream=sf", 0.1, 0.03}},
		},
		{
			"latency mean", alert.Condition{Latency: "mean", Over: 5 * time.Minute, Above: "300ms"},
			func(s *source) {
				s.rows = []rollup.Row{calls("sf", fault.OK, 90, 100*time.Millisecond), calls("sf", fault.Timeout, 10, 3*time.Second),
					calls("hs", fault.OK, 100, 100*time.Millisecond)}
			},
			[]firing{{"upstream=sf", 0.39, 0}},
		},
		{
			"latency max", alert.Condition{Latency: "max", Over: 5 * time.Minute, Above: "2s"},
			func(s *source) {
				s.rows = []rollup.Row{calls("sf", fault.OK, 90, 100*time.Millisecond), calls("sf", fault.Timeout, 1, 3*time.Second),
					calls("hs", fault.OK, 100, time.Second)}
			},
			[]firing{{"upstream=sf", 3, 0}},
		},
		{
			"breaker open", alert.Condition{Breaker: "open"},
			func(s *source) {
				s.upstreams = []alert.Upstream{{Name: "sf", Endpoints: 2, OpenEndpoints: 1}, {Name: "hs", Endpoints: 2}}
			},
			[]firing{{"upstream=sf", 1, 0}},
		},
		{
			"queue depth", alert.Condition{Queue: "depth", Above: "10"},
			func(s *source) { s.queue = &alert.QueueStats{Depth: 12, Dead: 50, OldestAge: time.Hour} },
			[]firing{{"queue=depth", 12, 0}},
		},
		{
			"queue oldest age", alert.Condition{Queue: "oldest_age", Above: "5m"},
			func(s *source) { s.queue = &alert.QueueStats{Depth: 1, OldestAge: 10 * time.Minute} },
			[]firing{{"queue=oldest_age", 600, 0}},
		},
		{
			"queue dead", alert.Condition{Queue: "dead", Above: "0"},
			func(s *source) { s.queue = &alert.QueueStats{Dead: 3} },
			[]firing{{"queue=dead", 3, 0}},
		},
		{
			"no queue", alert.Condition{Queue: "depth", Below: "1"},
			func(s *source) { s.queue = nil },
			nil,
		},
		{
			"quota remaining", alert.Condition{Quota: "remaining", Below: "10%"},
			func(s *source) {
				s.upstreams = []alert.Upstream{
					{Name: "sf", QuotaLeft: 0.05, QuotaWindow: "daily", QuotaKnown: true},
					{Name: "hs", QuotaLeft: 0.5, QuotaWindow: "10s", QuotaKnown: true},
					{Name: "zd"}, // no quota reported: not "0% left"
				}
			},
			[]firing{{"upstream=sf window=daily", 0.05, 0}},
		},
		{
			"new incidents", alert.Condition{Incident: "new"},
			func(s *source) { s.incidents = incidents },
			[]firing{{"class=auth code=INVALID_SESSION_ID incident=f1e2d3c4b5a69788 operation=/sobjects/Account upstream=sf", 7, 0}},
		},
		{
			"regressed incidents", alert.Condition{Incident: "regressed"},
			func(s *source) { s.incidents = incidents },
			[]firing{{"class=server incident=0a1b2c3d4e5f6a7b operation=/crm/v3/objects upstream=hs", 3, 0}},
		},
		{
			"open incidents", alert.Condition{Incident: "open"},
			func(s *source) { s.incidents = incidents },
			[]firing{
				{"class=server incident=0a1b2c3d4e5f6a7b operation=/crm/v3/objects upstream=hs", 3, 0},
				{"class=auth code=INVALID_SESSION_ID incident=f1e2d3c4b5a69788 operation=/sobjects/Account upstream=sf", 7, 0},
			},
		},
		{
			"open incidents of a class", alert.Condition{Incident: "open", Class: "server"},
			func(s *source) { s.incidents = incidents },
			[]firing{{"class=server incident=0a1b2c3d4e5f6a7b operation=/crm/v3/objects upstream=hs", 3, 0}},
		},
		{
			"open incidents of one upstream", alert.Condition{Upstream: "sf", Incident: "open", Class: "failed"},
			func(s *source) { s.incidents = incidents },
			[]firing{{"class=auth code=INVALID_SESSION_ID incident=f1e2d3c4b5a69788 operation=/sobjects/Account upstream=sf", 7, 0}},
		},
		{
			"anomaly", alert.Condition{Anomaly: "call_rate", Above: "0.8"},
			func(s *source) {
				s.scores = map[string][]alert.Score{
					"call_rate": {{Upstream: "sf", Score: 0.9, Explanation: "expected 120–180 calls a minute, saw 0"}, {Upstream: "hs", Score: 0.2}},
					"latency":   {{Upstream: "hs", Score: 1}},
				}
			},
			[]firing{{"series=call_rate upstream=sf", 0.9, 0}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, alert.Options{Rules: []*alert.Rule{rule(t, alert.Spec{Name: "r", When: tc.when})}})
			h.src.set(tc.src)
			h.evaluate(0)
			as := h.alerts()
			sort.Slice(as, func(i, j int) bool { return as[i].Labels["upstream"] < as[j].Labels["upstream"] })
			var got []firing
			for _, a := range as {
				if a.State != alert.Firing || a.Labels["alertname"] != "r" || a.Labels["severity"] != "warning" {
					t.Errorf("alert %v: %s; want firing, with alertname and severity", a.Labels, a.State)
				}
				var ls []string
				for _, k := range slices.Sorted(maps.Keys(a.Labels)) {
					if k != "alertname" && k != "severity" {
						ls = append(ls, k+"="+a.Labels[k])
					}
				}
				got = append(got, firing{labels: strings.Join(ls, " "), value: a.Value})
			}
			ok := len(got) == len(tc.want)
			for i := 0; ok && i < len(got); i++ {
				w := tc.want[i]
				ok = got[i].labels == w.labels && math.Abs(got[i].value-w.value) <= w.tol*w.value
			}
			if !ok {
				t.Errorf("firing alerts:\n got %v\nwant %v", got, tc.want)
			}
		})
	}
}

// firing is an alert as TestEngine_Conditions compares them: its
// labels, and its value within a relative tolerance.
type firing struct {
	labels string
	value  float64
	tol    float64
}
