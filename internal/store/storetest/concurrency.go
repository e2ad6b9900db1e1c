package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/call"
	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/incident"
	"github.com/crmguard/crmguard/internal/recorder"
	"github.com/crmguard/crmguard/internal/rollup"
	"github.com/crmguard/crmguard/internal/store"
)

// testConcurrentWriteBatch writes from several goroutines at once, each
// batch touching the same two incidents in opposite orders (which would
// deadlock PostgreSQL if the store did not order its upserts), while
// another goroutine reads.
func testConcurrentWriteBatch(t *testing.T, db *store.DB) {
	const (
		writers = 4
		batches = 5
		perCall = 50
	)
	g := call.NewGenerator()
	var wg sync.WaitGroup
	errs := make(chan error, writers*batches+1)
	done := make(chan struct{})
	for w := range writers {
		wg.Go(func() {
			for b := range batches {
				at := base.Add(time.Duration(w*batches+b) * time.Second)
				var batch recorder.Batch
				for i := range perCall {
					c := newCall(g, at.Add(time.Duration(i)*time.Millisecond), "sf", "/a", fault.Server)
					batch.Calls = append(batch.Calls, c)
					batch.Fingerprints = append(batch.Fingerprints, "x")
				}
				x, y := occurrence("x", at, at, perCall), occurrence("y", at, at, 1)
				batch.Incidents = []incident.Occurrence{x, y}
				if w%2 == 1 {
					batch.Incidents = []incident.Occurrence{y, x}
				}
				batch.Rollups = []rollup.Row{newRow(base.Truncate(time.Minute), "sf", fault.Server, perCall)}
				errs <- db.WriteBatch(t.Context(), batch)
			}
		})
	}
	var reader sync.WaitGroup
	reader.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			if _, _, err := db.ListCalls(t.Context(), call.Query{Limit: 10}); err != nil {
				errs <- err
				return
			}
		}
	})
	wg.Wait()
	close(done)
	reader.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent write or read: %v", err)
		}
	}

	all, _ := listAll(t, db, call.Query{Limit: 1000})
	if want := writers * batches * perCall; len(all) != want {
		t.Errorf("stored %d calls; want %d", len(all), want)
	}
	if x := getIncident(t, db, "x"); x.Count != writers*batches*perCall {
		t.Errorf("incident x count = %d; want %d", x.Count, writers*batches*perCall)
	}
	if y := getIncident(t, db, "y"); y.Count != writers*batches || y.Reopened != 0 {
		t.Errorf("incident y count = %d, reopened %d; want %d, 0", y.Count, y.Reopened, writers*batches)
	}
	rows, err := db.Rollups(t.Context(), base.Add(-time.Hour), base.Add(time.Hour))
	if err != nil || len(rows) != writers*batches {
		t.Errorf("rollup rows = %d, %v; want %d", len(rows), err, writers*batches)
	}
}
