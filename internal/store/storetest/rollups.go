package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/quantile"
	"github.com/crmguard/crmguard/internal/recorder"
	"github.com/crmguard/crmguard/internal/rollup"
	"github.com/crmguard/crmguard/internal/store"
)

// newRow returns a rollup row of n calls with latencies 1ms … n ms.
func newRow(minute time.Time, upstream string, class fault.Class, n int) rollup.Row {
	r := rollup.Row{Minute: minute, Upstream: upstream, Operation: "/query", Class: class}
	for i := 1; i <= n; i++ {
		r.Add(time.Duration(i) * time.Millisecond)
	}
	return r
}

// sameRow compares rows, sketches by their encoding.
func sameRow(a, b rollup.Row) bool {
	as, bs := a.Latency, b.Latency
	a.Latency, b.Latency = nil, nil
	enc := func(s *quantile.Sketch) string {
		if s == nil {
			return ""
		}
		return s.String()
	}
	return reflect.DeepEqual(a, b) && enc(as) == enc(bs)
}

func testRollupRoundTrip(t *testing.T, db *store.DB) {
	m := base.Truncate(time.Minute)
	// Sub-microsecond latencies: the sketch keeps them in its zero bucket,
	// the sum and maximum are stored in whole microseconds.
	sub := rollup.Row{Minute: m, Upstream: "tiny", Class: fault.OK}
	sub.Add(400)
	sub.Add(1500)
	wantSub := sub
	wantSub.LatencySum, wantSub.LatencyMax = 1*time.Microsecond, 1*time.Microsecond
	rows := []rollup.Row{
		newRow(m, "salesforce", fault.OK, 100),
		newRow(m, "salesforce", fault.OK, 3), // same key and minute: additive, kept apart
		newRow(m, "hubspot", fault.RateLimit, 7),
		newRow(m.Add(time.Minute), "salesforce", fault.OK, 10),
		newRow(m.Add(2*time.Minute), "salesforce", fault.OK, 1),                        // outside [since, until)
		newRow(m.Add(-time.Minute), "salesforce", fault.OK, 1),                         // outside [since, until)
		{Minute: m, Upstream: "none", Operation: "/x", Class: fault.Unknown, Calls: 1}, // no sketch
	}
	write(t, db, recorder.Batch{Rollups: rows[:3]})
	write(t, db, recorder.Batch{Rollups: append(rows[3:], sub)})

	got, err := db.Rollups(t.Context(), m, m.Add(2*time.Minute))
	if err != nil {
		t.Fatalf("Rollups: %v", err)
	}
	// By minute, then in the order stored.
	want := []rollup.Row{rows[0], rows[1], rows[2], rows[6], wantSub, rows[3]}
	want[3].Latency = &quantile.Sketch{} // a missing sketch reads back empty, not nil
	if len(got) != len(want) {
		t.Fatalf("Rollups returned %d rows; want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Latency == nil {
			t.Errorf("row %d: Latency is nil", i)
			continue
		}
		if !sameRow(got[i], want[i]) {
			t.Errorf("row %d:\n got %+v %q\nwant %+v %q", i, got[i], got[i].Latency, want[i], want[i].Latency)
		}
	}
	if q := got[0].Latency.Quantile(0.5); q != rows[0].Latency.Quantile(0.5) {
		t.Errorf("stored sketch p50 = %v; want %v", q, rows[0].Latency.Quantile(0.5))
	}
	st := rollup.Summarize(m, m.Add(2*time.Minute), got)
	if len(st.Upstreams) != 4 || st.Upstreams[2].Upstream != "salesforce" || st.Upstreams[2].Calls != 113 {
		t.Errorf("Summarize over stored rows = %+v; want salesforce with 113 calls", st.Upstreams)
	}
}
