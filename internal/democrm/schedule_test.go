package democrm

import (
	"fmt"
	"maps"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestRuleSchedule_Pick(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	req := func(dialect, method, path string, roll float64, at time.Duration) Request {
		return Request{Dialect: dialect, Method: method, Path: path, Roll: roll, Now: t0.Add(at)}
	}
	server := Rule{FaultSpec: FaultSpec{Kind: ServerError}, P: 0.3}
	quota := Rule{FaultSpec: FaultSpec{Kind: Quota}, P: 0.3}
	tests := []struct {
		name  string
		rules []Rule
		reqs  []Request
		want  []Kind // "" for no fault
	}{
		{"roll below P fires", []Rule{server}, []Request{req(Odoo, "POST", "/jsonrpc", 0.2, 0)}, []Kind{ServerError}},
		{"roll above P does not", []Rule{server}, []Request{req(Odoo, "POST", "/jsonrpc", 0.5, 0)}, []Kind{""}},
		{"chances add up across rules", []Rule{server, quota}, []Request{req(HubSpot, "GET", "/x", 0.45, 0)}, []Kind{Quota}},
		{"unsupported kind is skipped", []Rule{quota}, []Request{req(Odoo, "POST", "/jsonrpc", 0.1, 0)}, []Kind{""}},
		{"dialect filter", []Rule{{FaultSpec: FaultSpec{Kind: Weird, Dialect: HubSpot}, P: 1}},
			[]Request{req(Salesforce, "GET", "/", 0, 0), req(HubSpot, "GET", "/", 0, 0)}, []Kind{"", Weird}},
		{"method and path filters", []Rule{{FaultSpec: FaultSpec{Kind: Weird, Method: "post", PathContains: "/batch/"}, P: 1}},
			[]Request{req(HubSpot, "GET", "/crm/v3/objects/contacts/batch/read", 0, 0), req(HubSpot, "POST", "/crm/v3/objects/contacts", 0, 0),
				req(HubSpot, "POST", "/crm/v3/objects/contacts/batch/read", 0, 0)}, []Kind{"", "", Weird}},
		{"every: due at once, then after the interval", []Rule{{FaultSpec: FaultSpec{Kind: Weird}, Every: time.Second}},
			[]Request{req(Odoo, "POST", "/", 0.9, 0), req(Odoo, "POST", "/", 0.9, 500*time.Millisecond), req(Odoo, "POST", "/", 0.9, time.Second)},
			[]Kind{Weird, "", Weird}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSchedule(tc.rules...)
			for i, r := range tc.reqs {
				spec, ok := s.Pick(r)
				got := Kind("")
				if ok {
					got = spec.Kind
				}
				if got != tc.want[i] {
					t.Errorf("request %d: picked %q; want %q", i, got, tc.want[i])
				}
			}
		})
	}
}

func TestNever(t *testing.T) {
	if _, ok := Never().Pick(Request{Dialect: HubSpot, Roll: 0}); ok {
		t.Error("Never picked a fault")
	}
}

func TestCycle_Phases(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := NewCycle(nil,
		Phase{Name: "calm", For: 2 * time.Second},
		Phase{Name: "storm", For: time.Second, Rules: []Rule{{FaultSpec: FaultSpec{Kind: ServerError}, Every: time.Hour}}},
		Phase{Name: "dropped", For: 0},
	)
	if got := c.PhaseAt(t0); got != "calm" {
		t.Errorf("phase before start %q; want calm", got)
	}
	var fired []time.Duration
	for at := time.Duration(0); at < 6*time.Second; at += 250 * time.Millisecond {
		if _, ok := c.Pick(Request{Dialect: Odoo, Now: t0.Add(at), Roll: 0.99}); ok {
			fired = append(fired, at)
		}
	}
	// The storm phase runs from 2s to 3s and from 5s to 6s; its rule fires
	// once per turn even though Every is an hour, because each turn starts
	// afresh.
	want := []time.Duration{2 * time.Second, 5 * time.Second}
	if len(fired) != len(want) || fired[0] != want[0] || fired[1] != want[1] {
		t.Errorf("fired at %v; want %v", fired, want)
	}
	for at, name := range map[time.Duration]string{0: "calm", 1999 * time.Millisecond: "calm", 2 * time.Second: "storm", 3 * time.Second: "calm", 5500 * time.Millisecond: "storm"} {
		if got := c.PhaseAt(t0.Add(at)); got != name {
			t.Errorf("PhaseAt(+%v) = %q; want %q", at, got, name)
		}
	}
}

// driveDemo sends the sample requests of all dialects in turn to a server
// running DemoSchedule on a fake clock, rate requests a second for dur.
func driveDemo(t *testing.T, seed uint64, rate int, dur time.Duration) (*Server, map[Kind]time.Duration) {
	t.Helper()
	clock := newFakeClock()
	start := clock.Now()
	s := New(Options{Schedule: DemoSchedule(), Seed: seed, Now: clock.Now, StallFor: time.Millisecond, SlowFor: time.Millisecond})
	var all []SampleRequest
	lists := [][]SampleRequest{SampleRequests(Salesforce), SampleRequests(HubSpot), SampleRequests(Odoo), SampleRequests(SuiteCRM)}
	for i := 0; len(all) < len(lists)*len(lists[0]); i++ {
		for _, l := range lists {
			all = append(all, l[i%len(l)])
		}
	}
	first := map[Kind]time.Duration{}
	step := time.Second / time.Duration(rate)
	for i := range rate * int(dur/time.Second) {
		sr := all[i%len(all)]
		req := httptest.NewRequest(sr.Method, sr.Path, strings.NewReader(sr.Body))
		req.Header = sr.Header.Clone()
		before := s.InjectedByKind()
		s.ServeHTTP(httptest.NewRecorder(), req)
		for k, n := range s.InjectedByKind() {
			if _, seen := first[k]; !seen && n > before[k] {
				first[k] = clock.Now().Sub(start)
			}
		}
		clock.Advance(step)
	}
	return s, first
}

func TestDemoSchedule_FiresEveryKind(t *testing.T) {
	for _, rate := range []int{20, 35, 50} {
		t.Run(fmt.Sprintf("%d per second", rate), func(t *testing.T) {
			s, first := driveDemo(t, 1, rate, 15*time.Second)
			for _, k := range Kinds() {
				at, ok := first[k]
				if !ok {
					t.Errorf("kind %s never fired in 15s", k)
					continue
				}
				if at > 12*time.Second {
					t.Errorf("kind %s first fired at %v; want within the 12s cycle", k, at)
				}
			}
			t.Logf("first fired: %v", first)
			byKind, byClass := s.InjectedByKind(), s.Injected()
			t.Logf("injected: %v; answered: %v", byKind, s.Answered())
			total, classTotal := 0, 0
			perClass := map[string]int{}
			for k, n := range byKind {
				total += n
				perClass[k.Class()] += n
			}
			for _, n := range byClass {
				classTotal += n
			}
			if total != classTotal || !maps.Equal(perClass, byClass) {
				t.Errorf("by kind %v does not add up to by class %v", byKind, byClass)
			}
			answered := 0
			for _, n := range s.Answered() {
				answered += n
			}
			if want := rate * 15; answered != want {
				t.Errorf("answered %d requests; want %d", answered, want)
			}
			if share := float64(total) / float64(answered); share > 0.5 {
				t.Errorf("%.0f%% of requests got a fault; want well under half", 100*share)
			}
		})
	}
}

func TestDemoSchedule_Deterministic(t *testing.T) {
	a, _ := driveDemo(t, 7, 30, 6*time.Second)
	b, _ := driveDemo(t, 7, 30, 6*time.Second)
	if !maps.Equal(a.InjectedByKind(), b.InjectedByKind()) || !maps.Equal(a.Answered(), b.Answered()) {
		t.Errorf("same seed, same traffic, different faults: %v vs %v", a.InjectedByKind(), b.InjectedByKind())
	}
}

func TestServer_SetSchedule(t *testing.T) {
	s, base := startTest(t, Options{})
	s.SetSchedule(NewSchedule(Rule{FaultSpec: FaultSpec{Kind: Weird}, P: 1}))
	if r := send(t, base, "GET", "/hubspot/crm/v3/objects/contacts/1001", "", nil); r.status != 418 {
		t.Errorf("status %d with an always-weird schedule; want 418", r.status)
	}
	s.SetSchedule(nil)
	if r := send(t, base, "GET", "/hubspot/crm/v3/objects/contacts/1001", "", nil); r.status != 200 {
		t.Errorf("status %d with no schedule; want 200", r.status)
	}
}
