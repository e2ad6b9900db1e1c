package retry

import (
	"net/http"
	"testing"
	"time"
)

func TestWait(t *testing.T) {
	now := time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)
	httpDate := func(t time.Time) string { return t.UTC().Format(http.TimeFormat) }
	tests := []struct {
		name   string
		header map[string]string
		want   time.Duration
		wantOK bool
	}{
		{"no headers", nil, 0, false},
		{"retry-after seconds", map[string]string{"Retry-After": "120"}, 120 * time.Second, true},
		{"retry-after zero", map[string]string{"Retry-After": "0"}, 0, true},
		{"retry-after with spaces", map[string]string{"Retry-After": " 7 "}, 7 * time.Second, true},
		{"retry-after HTTP-date", map[string]string{"Retry-After": httpDate(now.Add(90 * time.Second))}, 90 * time.Second, true},
		{"retry-after RFC 850 date", map[string]string{"Retry-After": now.Add(time.Minute).Format(time.RFC850)}, time.Minute, true},
		{"retry-after asctime date", map[string]string{"Retry-After": now.Add(time.Hour).Format(time.ANSIC)}, time.Hour, true},
		{"retry-after date in the past", map[string]string{"Retry-After": httpDate(now.Add(-time.Hour))}, 0, true},
		{"retry-after beyond a day is capped", map[string]string{"Retry-After": "604800"}, MaxWait, true},
		{"retry-after too large for any integer", map[string]string{"Retry-After": "99999999999999999999999"}, MaxWait, true},
		{"retry-after negative", map[string]string{"Retry-After": "-5"}, 0, false},
		{"retry-after fraction", map[string]string{"Retry-After": "1.5"}, 0, false},
		{"retry-after garbage", map[string]string{"Retry-After": "soon"}, 0, false},
		{"retry-after empty", map[string]string{"Retry-After": ""}, 0, false},
		{"pipedrive reset seconds", map[string]string{"X-RateLimit-Reset": "2", "X-RateLimit-Remaining": "0"}, 2 * time.Second, true},
		{"pipedrive reset fraction", map[string]string{"x-ratelimit-reset": "1.5"}, 1500 * time.Millisecond, true},
		{"pipedrive reset while requests remain", map[string]string{"X-RateLimit-Reset": "2", "X-RateLimit-Remaining": "37"}, 0, false},
		{"pipedrive reset with unreadable remaining", map[string]string{"X-RateLimit-Reset": "2", "X-RateLimit-Remaining": "n/a"}, 2 * time.Second, true},
		{"reset as Unix time", map[string]string{"X-RateLimit-Reset": "1777896030"}, 30 * time.Second, true},
		{"reset as Unix time in the past", map[string]string{"X-RateLimit-Reset": "1777890000"}, 0, true},
		{"reset as a huge Unix time", map[string]string{"X-RateLimit-Reset": "99999999999999999999"}, MaxWait, true},
		{"reset negative", map[string]string{"X-RateLimit-Reset": "-2"}, 0, false},
		{"reset exponent", map[string]string{"X-RateLimit-Reset": "1e3"}, 0, false},
		{"reset infinity", map[string]string{"X-RateLimit-Reset": "Inf"}, 0, false},
		{"reset lone dot", map[string]string{"X-RateLimit-Reset": "."}, 0, false},
		{"hubspot interval when none remain", map[string]string{
			"X-HubSpot-RateLimit-Remaining": "0", "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
		}, 10 * time.Second, true},
		{"hubspot interval while requests remain", map[string]string{
			"X-HubSpot-RateLimit-Remaining": "12", "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
		}, 0, false},
		{"hubspot interval without remaining", map[string]string{"X-HubSpot-RateLimit-Interval-Milliseconds": "10000"}, 0, false},
		{"hubspot interval garbage", map[string]string{
			"X-HubSpot-RateLimit-Remaining": "0", "X-HubSpot-RateLimit-Interval-Milliseconds": "ten seconds",
		}, 0, false},
		{"hubspot interval huge", map[string]string{
			"X-HubSpot-RateLimit-Remaining": "0", "X-HubSpot-RateLimit-Interval-Milliseconds": "999999999999999999999",
		}, MaxWait, true},
		{"dataverse budget headers are not waits", map[string]string{
			"X-Ms-Ratelimit-Time-Remaining-Xrm-Requests": "1200000", "X-Ms-Ratelimit-Burst-Remaining-Xrm-Requests": "0",
		}, 0, false},
		{"salesforce usage is not a wait", map[string]string{"Sforce-Limit-Info": "api-usage=5000/5000"}, 0, false},
		{"longest of several", map[string]string{
			"Retry-After": "3", "X-RateLimit-Reset": "8", "X-RateLimit-Remaining": "0",
			"X-HubSpot-RateLimit-Remaining": "0", "X-HubSpot-RateLimit-Interval-Milliseconds": "5000",
		}, 8 * time.Second, true},
		{"an invalid header does not hide a valid one", map[string]string{"Retry-After": "later", "X-RateLimit-Reset": "4"}, 4 * time.Second, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tc.header {
				h.Set(k, v)
			}
			got, ok := Wait(h, now)
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("Wait: got %v, %v; want %v, %v", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestWait_repeatedRetryAfter(t *testing.T) {
	h := http.Header{"Retry-After": {"junk", "5", "2"}}
	got, ok := Wait(h, time.Now())
	if got != 5*time.Second || !ok {
		t.Errorf("got %v, %v; want 5s, true", got, ok)
	}
}

func FuzzWait(f *testing.F) {
	for _, s := range []string{"120", "Mon, 04 May 2026 12:00:00 GMT", "1.5", "-1", "1777896030", "99999999999999999999", "", "0.0000000001"} {
		f.Add(s)
	}
	now := time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		h := http.Header{}
		h.Set("Retry-After", v)
		h.Set("X-RateLimit-Reset", v)
		h.Set("X-HubSpot-RateLimit-Remaining", "0")
		h.Set("X-HubSpot-RateLimit-Interval-Milliseconds", v)
		d, _ := Wait(h, now)
		if d < 0 || d > MaxWait {
			t.Errorf("Wait(%q): got %v; want within [0, %v]", v, d, MaxWait)
		}
	})
}
