// Package storetest is the conformance suite of package store: one set of
// behaviours that every backend must show, run by store's tests against
// SQLite and PostgreSQL alike.
package storetest

import (
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/call"
	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/recorder"
	"github.com/crmguard/crmguard/internal/store"
)

// Run runs the suite. open must return a new, empty, migrated store each
// time it is called, which no other call of open shares, and close it when
// its test ends; Run calls it once per subtest so that subtests never see
// each other's rows.
func Run(t *testing.T, open func(t *testing.T) *store.DB) {
	tests := []struct {
		name string
		fn   func(t *testing.T, db *store.DB)
	}{
		{"Backend", testBackend},
		{"CallRoundTrip", testCallRoundTrip},
		{"WriteBatchIsAtomic", testWriteBatchAtomic},
		{"WriteBatchRejectsBadInput", testWriteBatchBadInput},
		{"ListCallsPaging", testListCallsPaging},
		{"ListCallsLimit", testListCallsLimit},
		{"ListCallsFilters", testListCallsFilters},
		{"NotFound", testNotFound},
		{"IncidentLifecycle", testIncidentLifecycle},
		{"IncidentSamples", testIncidentSamples},
		{"ListIncidents", testListIncidents},
		{"ResolveQuiet", testResolveQuiet},
		{"RollupRoundTrip", testRollupRoundTrip},
		{"Purge", testPurge},
		{"PurgeMany", testPurgeMany},
		{"ConcurrentWriteBatch", testConcurrentWriteBatch},
		{"Shapes", testShapes},
		{"Outbox", func(t *testing.T, _ *store.DB) { testOutbox(t, open) }},
		{"Alerts", func(t *testing.T, _ *store.DB) { testAlerts(t, open) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, open(t))
		})
	}
}

// base is the time the suite's data starts at: a whole second, so that
// offsets in milliseconds and microseconds stay exact.
var base = time.Date(2031, 3, 14, 9, 26, 53, 0, time.UTC)

// newCall returns a failed or successful call with every field set, as
// the gateway would record it, started at.
func newCall(g *call.Generator, at time.Time, upstream, op string, class fault.Class) *call.Call {
	c := &call.Call{
		ID:         g.New(at),
		Start:      at,
		Upstream:   upstream,
		Method:     "GET",
		Operation:  op,
		APIVersion: "v59.0",
		Client:     "client-a",
		Status:     200,
		Class:      class,
		Latency:    1234 * time.Microsecond,
		BytesIn:    10,
		BytesOut:   2048,
		Attempts:   1,
	}
	if class != fault.OK {
		c.Status = 502
		c.VendorCode = "UNABLE_TO_LOCK_ROW"
		c.Message = "unable to obtain exclusive access to this record"
		c.Retryable = class.Retryable()
		c.Remediation = "retry later"
		c.RequestSample = "GET " + op + " HTTP/1.1\r\nHost: example\r\n\r\n"
		c.ResponseSample = "HTTP/1.1 503\r\n\r\n{}"
	}
	return c
}

// write stores b or fails t.
func write(t *testing.T, db *store.DB, b recorder.Batch) {
	t.Helper()
	if err := db.WriteBatch(t.Context(), b); err != nil {
		t.Fatalf("WriteBatch: %v", err)
	}
}

func testBackend(t *testing.T, db *store.DB) {
	if b := db.Backend(); b != "sqlite" && b != "postgres" {
		t.Errorf("Backend() = %q; want sqlite or postgres", b)
	}
	if err := db.Ping(t.Context()); err != nil {
		t.Errorf("Ping: %v", err)
	}
	// An empty batch is not an error and stores nothing.
	if err := db.WriteBatch(t.Context(), recorder.Batch{}); err != nil {
		t.Errorf("WriteBatch(empty): %v", err)
	}
	calls, next, err := db.ListCalls(t.Context(), call.Query{})
	if err != nil || len(calls) != 0 || next != "" {
		t.Errorf("ListCalls on an empty store = %d calls, next %q, err %v; want none", len(calls), next, err)
	}
}
