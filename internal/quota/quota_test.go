package quota

import (
	"net/http"
	"testing"
	"time"
)

func TestRead(t *testing.T) {
	tests := []struct {
		name   string
		header map[string]string
		want   []Reading
	}{
		{"salesforce", map[string]string{"Sforce-Limit-Info": "api-usage=18/5000"}, []Reading{{"daily", 4982, 5000}}},
		{"salesforce per app", map[string]string{"Sforce-Limit-Info": "api-usage=5001/5000; per-app-api-usage=17/250(appName=sync)"},
			[]Reading{{"daily", 0, 5000}, {"per-app", 233, 250}}},
		{"hubspot", map[string]string{"X-HubSpot-RateLimit-Daily": "250000", "X-HubSpot-RateLimit-Daily-Remaining": "249990",
			"X-HubSpot-RateLimit-Max": "100", "X-HubSpot-RateLimit-Remaining": "97", "X-HubSpot-RateLimit-Interval-Milliseconds": "10000"},
			[]Reading{{"daily", 249990, 250000}, {"10s", 97, 100}}},
		{"dataverse", map[string]string{"x-ms-ratelimit-burst-remaining-xrm-requests": "5999"}, []Reading{{"burst", 5999, 0}}},
		{"pipedrive", map[string]string{"x-ratelimit-limit": "80", "x-ratelimit-remaining": "79", "x-daily-requests-left": "9000"},
			[]Reading{{"burst", 79, 80}, {"daily", 9000, 0}}},
		{"malformed", map[string]string{"Sforce-Limit-Info": "api-usage=x/5000; junk", "x-ratelimit-remaining": "-1"}, nil},
		{"none", map[string]string{"Content-Type": "application/json"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tc.header {
				h.Set(k, v)
			}
			got := Read(h)
			if len(got) != len(tc.want) {
				t.Fatalf("Read = %+v; want %+v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("reading %d = %+v; want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestGate(t *testing.T) {
	now := time.Unix(1000, 0)
	g := NewGate(time.Minute, func() time.Time { return now })
	if g.Wait() != 0 {
		t.Fatal("a new gate holds calls back")
	}
	g.Exhausted(0, true) // the CRM says: now
	if g.Wait() != 0 {
		t.Fatal("a reset of 0 closed the gate")
	}
	g.Exhausted(10*time.Second, true)
	if w := g.Wait(); w != 10*time.Second {
		t.Errorf("Wait after a 10s reset = %v", w)
	}
	g.Exhausted(0, false) // no reset time: the pause, which is longer
	if w := g.Wait(); w != time.Minute {
		t.Errorf("Wait after an unknown reset = %v; want the 1m pause", w)
	}
	g.Exhausted(5*time.Second, true) // never shortens
	if w := g.Wait(); w != time.Minute {
		t.Errorf("a shorter reset shortened the wait to %v", w)
	}
	now = now.Add(time.Minute)
	if g.Wait() != 0 {
		t.Error("the gate stayed closed after the pause")
	}
}

func TestGate_reserve(t *testing.T) {
	now := time.Unix(1000, 0)
	g := NewGate(time.Minute, func() time.Time { return now })
	g.SetReserve(0.1)
	wait := func() time.Duration { w, _ := g.WaitBackground(); return w }

	g.Observe(Read(http.Header{"Sforce-Limit-Info": {"api-usage=4000/5000"}}))
	if w := wait(); w != 0 {
		t.Fatalf("20%% left of a 10%% reserve held background calls for %v", w)
	}
	g.Observe([]Reading{{Window: "burst", Remaining: 3}}) // no limit: cannot be judged
	g.Observe(Read(http.Header{"Sforce-Limit-Info": {"api-usage=4600/5000"}}))
	w, window := g.WaitBackground()
	if w != time.Minute || window != "daily" {
		t.Fatalf("8%% left: WaitBackground = %v, %q; want 1m, daily", w, window)
	}
	if g.Wait() != 0 {
		t.Fatal("the reserve held an interactive call back")
	}
	g.Observe([]Reading{{Window: "burst", Remaining: 5}}) // unjudged readings change nothing
	if wait() == 0 {
		t.Fatal("a reading without a limit ended the hold")
	}

	now = now.Add(time.Minute)
	if w := wait(); w != 0 {
		t.Fatalf("after the pause, one probe should pass; held for %v", w)
	}
	if w := wait(); w != time.Minute {
		t.Fatalf("after the probe passed, the next background call waited %v; want another pause until a reading says otherwise", w)
	}
	g.Observe(Read(http.Header{"Sforce-Limit-Info": {"api-usage=10/5000"}})) // the window rolled on
	if w := wait(); w != 0 {
		t.Fatalf("a reading with enough left did not end the hold: %v", w)
	}

	g.Exhausted(30*time.Second, true)
	if w, window := g.WaitBackground(); w != 30*time.Second || window != "" {
		t.Fatalf("an exhausted quota holds background calls like any: got %v %q", w, window)
	}
}

func TestGate_noReserve(t *testing.T) {
	g := NewGate(time.Minute, nil)
	g.Observe(Read(http.Header{"Sforce-Limit-Info": {"api-usage=4999/5000"}}))
	if w, _ := g.WaitBackground(); w != 0 {
		t.Fatalf("a gate without reserve held a background call for %v", w)
	}
}
