package recorder_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/call"
	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/recorder"
	"github.com/crmguard/crmguard/internal/store"
)

// BenchmarkRecorder_SQLite measures recording end to end: calls handed to
// Record (as the gateway does), fingerprinted, rolled up and written in
// batches of 1,000 to a SQLite file. One call in twenty fails and carries
// samples. It reports records/s; the target is 50,000.
func BenchmarkRecorder_SQLite(b *testing.B) {
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite://"+filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	rec := recorder.New(db, recorder.Options{Buffer: 1 << 17, FlushInterval: 50 * time.Millisecond})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { rec.Run(runCtx); close(done) }()
	defer func() { stop(); <-done }()

	g := call.NewGenerator()
	sample := string(make([]byte, 512))
	calls := make([]*call.Call, b.N)
	start := time.Now()
	for i := range calls {
		at := start.Add(time.Duration(i) * time.Microsecond)
		c := &call.Call{ID: g.New(at), Start: at, Upstream: "sf", Method: "GET", Status: 200,
			Operation: "/services/data/v59.0/sobjects/Contact/{id}", APIVersion: "v59.0", Client: "shop",
			Latency: time.Duration(i%5000) * time.Microsecond, BytesOut: 320, Attempts: 1}
		if i%20 == 0 {
			c.Class, c.Status, c.VendorCode = fault.RateLimit, 403, "REQUEST_LIMIT_EXCEEDED"
			c.Message, c.RequestSample, c.ResponseSample = "TotalRequests Limit exceeded.", sample, sample
		}
		calls[i] = c
	}
	b.ResetTimer()
	for _, c := range calls {
		for !tryRecord(rec, c) {
			time.Sleep(time.Millisecond) // the buffer is full: wait as a benchmark, never as the gateway
		}
	}
	if err := rec.Sync(ctx); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// tryRecord records c unless the buffer is full, so the benchmark measures
// throughput rather than drops.
func tryRecord(r *recorder.Recorder, c *call.Call) bool {
	before := r.Queued()
	if before >= r.Capacity() {
		return false
	}
	r.Record(c)
	return true
}
