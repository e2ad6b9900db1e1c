package store_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/call"
	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/recorder"
	"github.com/crmguard/crmguard/internal/store"
)

// benchBatch is the recorder's batch size the throughput target is set for.
const benchBatch = 1000

// BenchmarkWriteBatch_SQLite measures call records stored per second on
// SQLite. Target (DESIGN §6): at least 50,000 records/s.
func BenchmarkWriteBatch_SQLite(b *testing.B) {
	benchmarkWriteBatch(b, openSQLite(b))
}

// BenchmarkWriteBatch_Postgres measures the same on PostgreSQL.
func BenchmarkWriteBatch_Postgres(b *testing.B) {
	benchmarkWriteBatch(b, openPostgres(b))
}

// benchmarkWriteBatch writes b.N calls in batches of benchBatch: 95%
// successes without samples, 5% failures with 1 KB of samples and an
// incident fingerprint, as a busy gateway records them.
func benchmarkWriteBatch(b *testing.B, db *store.DB) {
	g := call.NewGenerator()
	start := time.Now()
	sample := strings.Repeat("x", 512)
	calls := make([]*call.Call, b.N)
	fps := make([]string, b.N)
	for i := range calls {
		at := start.Add(time.Duration(i) * 100 * time.Microsecond)
		c := &call.Call{
			ID: g.New(at), Start: at, Upstream: fmt.Sprintf("crm-%d", i%4), Method: "GET",
			Operation: "/services/data/v59.0/sobjects/Contact/{id}", APIVersion: "v59.0", Client: "10.1.2.3:5555",
			Status: 200, Class: fault.OK, Latency: time.Duration(i%500) * time.Millisecond,
			BytesIn: 120, BytesOut: 4096, Attempts: 1,
		}
		if i%20 == 0 {
			c.Status, c.Class, c.VendorCode = 503, fault.Unavailable, "SERVER_UNAVAILABLE"
			c.Message, c.Retryable, c.Remediation = "server is unavailable", true, "retry later"
			c.RequestSample, c.ResponseSample = sample, sample
			fps[i] = "0123456789abcdef"
		}
		calls[i] = c
	}
	b.ResetTimer()
	for lo := 0; lo < b.N; lo += benchBatch {
		hi := min(lo+benchBatch, b.N)
		if err := db.WriteBatch(b.Context(), recorder.Batch{Calls: calls[lo:hi], Fingerprints: fps[lo:hi]}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
