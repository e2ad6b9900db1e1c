package zabbix

import (
	"slices"
	"testing"
	"time"
)

func TestKeys(t *testing.T) {
	want := []string{
		"crmguard.calls[sf]", "crmguard.error_rate[sf]", "crmguard.latency.p95[sf]", "crmguard.breaker.open[sf]",
		"crmguard.calls[hubspot-eu]", "crmguard.error_rate[hubspot-eu]", "crmguard.latency.p95[hubspot-eu]", "crmguard.breaker.open[hubspot-eu]",
		"crmguard.queue.depth", "crmguard.queue.oldest_age", "crmguard.queue.dead", "crmguard.alerts.firing",
	}
	if got := Keys([]string{"sf", "hubspot-eu"}); !slices.Equal(got, want) {
		t.Errorf("Keys =\n%q\nwant\n%q", got, want)
	}
	if got := Keys(nil); !slices.Equal(got, want[8:]) {
		t.Errorf("Keys(nil) = %q; want only the queue and alert keys", got)
	}
}

func TestItems(t *testing.T) {
	at := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	f := Figures{
		Upstreams: []UpstreamFigures{
			{Name: "sf", Calls: 1200, ErrorRate: 0.0125, P95: 340 * time.Millisecond, BreakerOpen: false},
			{Name: "hubspot-eu", Calls: 0, ErrorRate: 0, P95: 0, BreakerOpen: true},
		},
		QueueDepth: 7, QueueDead: 2, QueueOldestAge: 90*time.Second + 500*time.Millisecond, AlertsFiring: 1,
	}
	want := []struct{ key, value string }{
		{"crmguard.calls[sf]", "1200"}, {"crmguard.error_rate[sf]", "0.0125"}, {"crmguard.latency.p95[sf]", "0.34"}, {"crmguard.breaker.open[sf]", "0"},
		{"crmguard.calls[hubspot-eu]", "0"}, {"crmguard.error_rate[hubspot-eu]", "0"}, {"crmguard.latency.p95[hubspot-eu]", "0"}, {"crmguard.breaker.open[hubspot-eu]", "1"},
		{"crmguard.queue.depth", "7"}, {"crmguard.queue.oldest_age", "90.5"}, {"crmguard.queue.dead", "2"}, {"crmguard.alerts.firing", "1"},
	}
	items := Items("crmguard-prod", at, f)
	if len(items) != len(want) {
		t.Fatalf("Items returned %d items; want %d: %+v", len(items), len(want), items)
	}
	for i, it := range items {
		if it.Host != "crmguard-prod" || it.Key != want[i].key || it.Value != want[i].value || !it.Clock.Equal(at) {
			t.Errorf("item %d = %+v; want crmguard-prod %s = %s at %s", i, it, want[i].key, want[i].value, at)
		}
	}
	keys := make([]string, len(items))
	for i, it := range items {
		keys[i] = it.Key
	}
	if k := Keys([]string{"sf", "hubspot-eu"}); !slices.Equal(keys, k) {
		t.Errorf("Items' keys %q differ from Keys %q", keys, k)
	}
}

func TestItems_SmallFloatsWithoutExponent(t *testing.T) {
	items := Items("h", time.Time{}, Figures{Upstreams: []UpstreamFigures{{Name: "sf", ErrorRate: 0.00001, P95: time.Microsecond}}})
	if items[1].Value != "0.00001" || items[2].Value != "0.000001" {
		t.Errorf("error rate %q, p95 %q; want 0.00001 and 0.000001, without exponents", items[1].Value, items[2].Value)
	}
}

func TestItemKey_Quoting(t *testing.T) {
	for _, tc := range []struct{ param, want string }{
		{"sf", "crmguard.calls[sf]"},
		{"hubspot_eu-2", "crmguard.calls[hubspot_eu-2]"},
		{"a,b", `crmguard.calls["a,b"]`},
		{"a]b", `crmguard.calls["a]b"]`},
		{`say "hi"`, `crmguard.calls["say \"hi\""]`},
		{"", `crmguard.calls[""]`},
	} {
		if got := itemKey(KeyCalls, tc.param); got != tc.want {
			t.Errorf("itemKey(%q) = %s; want %s", tc.param, got, tc.want)
		}
	}
}

func TestItems_Seconds(t *testing.T) {
	items := Items("h", time.Time{}, Figures{Upstreams: []UpstreamFigures{{Name: "sf", P95: 1966687 * time.Microsecond}}, QueueOldestAge: 90019170727})
	if items[2].Value != "1.966687" || items[5].Value != "90.019170727" {
		t.Errorf("p95 %q, oldest age %q; want 1.966687 and 90.019170727", items[2].Value, items[5].Value)
	}
}
