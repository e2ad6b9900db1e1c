package store_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/call"
	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/outbox"
	"github.com/crmguard/crmguard/internal/store"
)

// benchClaim is how many entries one Claim of the benchmark leases.
const benchClaim = 100

// BenchmarkEnqueue_SQLite measures writes queued per second on SQLite,
// one per transaction as the gateway queues them.
func BenchmarkEnqueue_SQLite(b *testing.B) { benchmarkEnqueue(b, openSQLite(b)) }

// BenchmarkEnqueue_Postgres measures the same on PostgreSQL.
func BenchmarkEnqueue_Postgres(b *testing.B) { benchmarkEnqueue(b, openPostgres(b)) }

// BenchmarkClaimAck_SQLite measures entries claimed and acknowledged per
// second on SQLite, benchClaim per Claim and one Ack each.
func BenchmarkClaimAck_SQLite(b *testing.B) { benchmarkClaimAck(b, openSQLite(b)) }

// BenchmarkClaimAck_Postgres measures the same on PostgreSQL.
func BenchmarkClaimAck_Postgres(b *testing.B) { benchmarkClaimAck(b, openPostgres(b)) }

// benchEntries returns n entries as the gateway queues them: a 1 KB body,
// headers, sealed secrets, and one record key in four shared.
func benchEntries(n int, start time.Time) []outbox.Entry {
	g := call.NewGenerator()
	body := []byte(`{"Description":"` + strings.Repeat("x", 1000) + `"}`)
	header := []byte(`{"Content-Type":["application/json"],"Accept":["application/json"],"User-Agent":["crmguard"]}`)
	sealed := []byte(strings.Repeat("s", 96))
	es := make([]outbox.Entry, n)
	for i := range es {
		id := string(g.New(start))
		key := ""
		if i%4 == 0 {
			key = fmt.Sprintf("Contact/%d", i)
		}
		es[i] = outbox.Entry{
			ID: id, CallID: id, Upstream: "salesforce", Method: "PATCH",
			Path:   fmt.Sprintf("/services/data/v59.0/sobjects/Contact/%d", i),
			Header: header, Sealed: sealed, Body: body, RecordKey: key, IdempotencyKey: id,
			Attempts: 1, LastClass: fault.Unavailable, LastStatus: 503, CreatedAt: start, NextAt: start,
		}
	}
	return es
}

func benchmarkEnqueue(b *testing.B, db *store.DB) {
	es := benchEntries(b.N, time.Now())
	b.ResetTimer()
	for _, e := range es {
		if err := db.Enqueue(b.Context(), e); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}

func benchmarkClaimAck(b *testing.B, db *store.DB) {
	now := time.Now()
	for _, e := range benchEntries(b.N, now) {
		if err := db.Enqueue(b.Context(), e); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for n := 0; n < b.N; {
		es, err := db.Claim(b.Context(), "bench", now, time.Minute, benchClaim)
		if err != nil {
			b.Fatal(err)
		}
		if len(es) == 0 {
			b.Fatalf("Claim returned nothing after %d of %d entries", n, b.N)
		}
		for _, e := range es {
			if err := db.Ack(b.Context(), e.ID, "bench", now); err != nil {
				b.Fatal(err)
			}
		}
		n += len(es)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}
