package retry

import (
	"strings"
	"testing"

	"github.com/crmguard/crmguard/internal/fault"
)

// The retry? column of DESIGN.md §3, restated for the test independently
// of the package's code.
const (
	never     = "never"      // fails the same way again, or must not be sent again
	ifSafe    = "if safe"    // worth sending again if it cannot be applied twice
	refused   = "refused"    // the CRM answered before doing the work (429, RFC 6585 §4)
	locksOnly = "locks only" // only when the dialect marked it transient
)

var classRule = map[fault.Class]string{
	fault.OK:          never,
	fault.Network:     ifSafe,
	fault.Timeout:     ifSafe,
	fault.Auth:        never, // after a credential refresh, which is a new decision
	fault.Permission:  never,
	fault.RateLimit:   refused,
	fault.Parameter:   never,
	fault.DataFormat:  never,
	fault.Version:     never,
	fault.NotFound:    never,
	fault.Conflict:    locksOnly,
	fault.Server:      ifSafe,
	fault.Unavailable: ifSafe,
	fault.Canceled:    never,
	fault.Unknown:     never,
}

// writes are the methods whose failures may be queued.
var writes = map[string]bool{"POST": true, "PUT": true, "PATCH": true, "DELETE": true}

// expect computes the decision the rules above call for.
func expect(in Input) (retry, queue bool) {
	rule := classRule[in.Class]
	worth := rule == ifSafe || rule == refused || (rule == locksOnly && in.Transient)
	reached := in.Reached || in.Partial
	var safe bool
	switch {
	case in.Partial:
		safe = in.Idempotent // part of it was applied: only idempotent calls
	case !reached:
		safe = true
	default:
		safe = in.Idempotent || rule == refused
	}
	retry = worth && safe
	return retry, retry && writes[in.Method]
}

// decideCase is one row of TestDecide.
type decideCase struct {
	name string
	in   Input
}

// decideCases returns the cross product of every class, the methods, whether
// the request reached the CRM, and the variants that matter: POST and PATCH
// made idempotent (an upsert), transient failures and partial batches.
func decideCases() []decideCase {
	idempotentByMethod := map[string]bool{"GET": true, "HEAD": true, "PUT": true, "DELETE": true, "POST": false, "PATCH": false}
	methods := []string{"GET", "HEAD", "PUT", "DELETE", "POST", "PATCH"}
	var cases []decideCase
	for _, c := range fault.Classes() {
		for _, m := range methods {
			for _, reached := range []bool{false, true} {
				where := "not_reached"
				if reached {
					where = "reached"
				}
				base := c.String() + "/" + m + "/" + where
				for _, transient := range []bool{false, true} {
					name := base
					if transient {
						name += "/transient"
					}
					in := Input{Class: c, Method: m, Reached: reached, Idempotent: idempotentByMethod[m], Transient: transient}
					cases = append(cases, decideCase{name, in})
					if !idempotentByMethod[m] {
						in.Idempotent = true
						cases = append(cases, decideCase{name + "/upsert", in})
					}
				}
				if reached {
					in := Input{Class: c, Method: m, Reached: true, Idempotent: idempotentByMethod[m], Partial: true}
					cases = append(cases, decideCase{base + "/partial", in})
					if !idempotentByMethod[m] {
						in.Idempotent = true
						cases = append(cases, decideCase{base + "/partial/upsert", in})
					}
				}
			}
		}
	}
	return cases
}

func TestDecide(t *testing.T) {
	for _, c := range fault.Classes() {
		if _, ok := classRule[c]; !ok {
			t.Fatalf("class %s has no rule in this test: decide whether it is retried, then add it", c)
		}
	}
	cases := decideCases()
	seen := make(map[string]bool, len(cases))
	for _, tc := range cases {
		if seen[tc.name] {
			t.Fatalf("duplicate case %q", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			wantRetry, wantQueue := expect(tc.in)
			got := Decide(tc.in)
			if got.Retry != wantRetry {
				t.Errorf("Retry: got %v; want %v (reason %q)", got.Retry, wantRetry, got.Reason)
			}
			if got.Queue != wantQueue {
				t.Errorf("Queue: got %v; want %v (reason %q)", got.Queue, wantQueue, got.Reason)
			}
			if got.Reason == "" || !strings.HasSuffix(got.Reason, ".") {
				t.Errorf("Reason: got %q; want one sentence ending in a period", got.Reason)
			}
		})
	}
}

// TestDecide_spotChecks pins the cases the rules exist for, written out by
// hand so a mistake shared by expect and Decide still shows.
func TestDecide_spotChecks(t *testing.T) {
	tests := []struct {
		name       string
		in         Input
		wantRetry  bool
		wantQueue  bool
		wantReason string // a fragment
	}{
		{"dial failure of a create is safe", Input{Class: fault.Network, Method: "POST"}, true, true, "never reached"},
		{"broken connection after a create", Input{Class: fault.Network, Method: "POST", Reached: true}, false, false, "could duplicate it"},
		{"timeout of a create", Input{Class: fault.Timeout, Method: "POST", Reached: true}, false, false, "cannot be made idempotent"},
		{"503 on a create", Input{Class: fault.Unavailable, Method: "POST", Reached: true}, false, false, "could duplicate"},
		{"429 on a create", Input{Class: fault.RateLimit, Method: "POST", Reached: true}, true, true, "RFC 6585"},
		{"500 on an upsert", Input{Class: fault.Server, Method: "PATCH", Reached: true, Idempotent: true}, true, true, "idempotent"},
		{"502 on a read", Input{Class: fault.Unavailable, Method: "GET", Reached: true, Idempotent: true}, true, false, "idempotent"},
		{"empty method is GET", Input{Class: fault.Timeout, Reached: true, Idempotent: true}, true, false, "request"},
		{"lock on an update by ETag", Input{Class: fault.Conflict, Method: "PATCH", Reached: true, Idempotent: true, Transient: true}, true, true, "idempotent"},
		{"lock on a create", Input{Class: fault.Conflict, Method: "POST", Reached: true, Transient: true}, false, false, "could duplicate"},
		{"duplicate value", Input{Class: fault.Conflict, Method: "PUT", Reached: true, Idempotent: true}, false, false, "duplicate"},
		{"transient does not lift auth", Input{Class: fault.Auth, Method: "GET", Reached: true, Idempotent: true, Transient: true}, false, false, "refreshed"},
		{"partial 429 batch create", Input{Class: fault.RateLimit, Method: "POST", Reached: true, Partial: true}, false, false, "already applied"},
		{"canceled", Input{Class: fault.Canceled, Method: "GET"}, false, false, "gave up"},
		{"ok", Input{Class: fault.OK, Method: "POST", Reached: true}, false, false, "succeeded"},
		{"unknown", Input{Class: fault.Unknown, Method: "GET"}, false, false, "not known to be temporary"},
		{"class from the future", Input{Class: fault.Class(200), Method: "GET"}, false, false, "class(200)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Decide(tc.in)
			if got.Retry != tc.wantRetry || got.Queue != tc.wantQueue {
				t.Errorf("got Retry %v Queue %v; want Retry %v Queue %v", got.Retry, got.Queue, tc.wantRetry, tc.wantQueue)
			}
			if !strings.Contains(got.Reason, tc.wantReason) {
				t.Errorf("Reason: got %q; want it to contain %q", got.Reason, tc.wantReason)
			}
		})
	}
}

func TestIdempotentMethod(t *testing.T) {
	tests := []struct {
		method string
		want   bool
	}{
		{"", true}, {"GET", true}, {"HEAD", true}, {"OPTIONS", true}, {"TRACE", true},
		{"PUT", true}, {"DELETE", true}, {"POST", false}, {"PATCH", false},
		{"get", false}, {"MERGE", false},
	}
	for _, tc := range tests {
		t.Run(tc.method, func(t *testing.T) {
			if got := IdempotentMethod(tc.method); got != tc.want {
				t.Errorf("IdempotentMethod(%q): got %v; want %v", tc.method, got, tc.want)
			}
		})
	}
}
