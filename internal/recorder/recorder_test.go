package recorder

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/crmguard/crmguard/internal/call"
	"github.com/crmguard/crmguard/internal/fault"
)

type memWriter struct {
	mu      sync.Mutex
	batches []Batch
	fail    int // fail this many writes first
	block   chan struct{}
}

func (w *memWriter) WriteBatch(_ context.Context, b Batch) error {
	if w.block != nil {
		<-w.block
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fail > 0 {
		w.fail--
		return errors.New("disk full")
	}
	w.batches = append(w.batches, b)
	return nil
}

func (w *memWriter) calls() []*call.Call {
	w.mu.Lock()
	defer w.mu.Unlock()
	var all []*call.Call
	for _, b := range w.batches {
		all = append(all, b.Calls...)
	}
	return all
}

func start(t *testing.T, w Writer, opts Options) *Recorder {
	t.Helper()
	r := New(w, opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return r
}

func mkCall(g *call.Generator, at time.Time, class fault.Class, msg string) *call.Call {
	return &call.Call{ID: g.New(at), Start: at, Upstream: "sf", Operation: "/q", Class: class, Message: msg, Latency: 10 * time.Millisecond}
}

func TestRecorder_BatchesIncidentsAndRollups(t *testing.T) {
	w := &memWriter{}
	r := start(t, w, Options{Batch: 4, FlushInterval: time.Hour, RollupInterval: time.Hour})
	g := call.NewGenerator()
	t0 := time.Date(2026, 11, 23, 10, 0, 30, 0, time.UTC)
	r.Record(mkCall(g, t0, fault.OK, ""))
	r.Record(mkCall(g, t0.Add(time.Second), fault.Auth, "Session 00D1 expired"))
	r.Record(mkCall(g, t0.Add(2*time.Second), fault.Auth, "Session 00D2 expired"))
	r.Record(mkCall(g, t0.Add(40*time.Second), fault.Server, "boom"))
	r.Record(mkCall(g, t0.Add(41*time.Second), fault.OK, ""))
	if err := r.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.batches) != 2 || len(w.batches[0].Calls) != 4 || len(w.batches[1].Calls) != 1 {
		t.Fatalf("batches: %d; want a full batch of 4 then 1 on Sync", len(w.batches))
	}
	b := w.batches[0]
	if b.Fingerprints[0] != "" || b.Fingerprints[1] == "" || b.Fingerprints[1] != b.Fingerprints[2] || b.Fingerprints[3] == b.Fingerprints[1] {
		t.Errorf("fingerprints %q: want none for ok, one shared by the two expiries, another for the server error", b.Fingerprints)
	}
	if len(b.Incidents) != 2 || b.Incidents[0].Count != 2 || len(b.Incidents[0].SampleCalls) != 2 ||
		!b.Incidents[0].FirstSeen.Equal(t0.Add(time.Second)) || !b.Incidents[0].LastSeen.Equal(t0.Add(2*time.Second)) {
		t.Errorf("incidents = %+v", b.Incidents)
	}
	if len(b.Rollups) != 0 {
		t.Errorf("rollups written before the interval or Sync: %d", len(b.Rollups))
	}
	var calls int64
	minutes := map[time.Time]bool{}
	for _, row := range w.batches[1].Rollups {
		calls += row.Calls
		minutes[row.Minute] = true
	}
	if calls != 5 || len(minutes) != 2 {
		t.Errorf("rollups on Sync cover %d calls in %d minutes; want 5 in 2", calls, len(minutes))
	}
}

func TestRecorder_DropsWhenFullWithoutBlocking(t *testing.T) {
	w := &memWriter{block: make(chan struct{})}
	reg := prometheus.NewRegistry()
	r := start(t, w, Options{Buffer: 2, Batch: 1, FlushInterval: time.Hour, Registerer: reg})
	g := call.NewGenerator()
	begin := time.Now()
	for range 50 {
		r.Record(mkCall(g, time.Now(), fault.OK, ""))
	}
	if d := time.Since(begin); d > time.Second {
		t.Fatalf("Record blocked for %v", d)
	}
	close(w.block)
	if err := r.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	written := len(w.calls())
	dropped := testutil.ToFloat64(r.m.droppedFull)
	if written+int(dropped) != 50 || dropped == 0 {
		t.Errorf("written %d + dropped %v; want 50 with some dropped", written, dropped)
	}
}

func TestRecorder_WriteErrorsRetriedThenCounted(t *testing.T) {
	w := &memWriter{fail: 2}
	r := start(t, w, Options{FlushInterval: time.Hour})
	g := call.NewGenerator()
	r.Record(mkCall(g, time.Now(), fault.OK, ""))
	if err := r.Sync(context.Background()); err != nil {
		t.Fatalf("Sync after two failed writes: %v; want the third try to succeed", err)
	}
	if len(w.calls()) != 1 {
		t.Fatalf("written %d calls; want 1", len(w.calls()))
	}
	w.mu.Lock()
	w.fail = 3
	w.mu.Unlock()
	r.Record(mkCall(g, time.Now(), fault.OK, ""))
	if err := r.Sync(context.Background()); err == nil {
		t.Fatal("Sync after three failed writes gave no error")
	}
	if got := testutil.ToFloat64(r.m.droppedWrite); got != 1 {
		t.Errorf("dropped for write errors = %v; want 1", got)
	}
}

func TestRecorder_FlushesOnStop(t *testing.T) {
	w := &memWriter{}
	r := New(w, Options{FlushInterval: time.Hour, RollupInterval: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	g := call.NewGenerator()
	for range 10 {
		r.Record(mkCall(g, time.Now(), fault.OK, ""))
	}
	cancel()
	<-done
	if n := len(w.calls()); n != 10 {
		t.Errorf("after stop %d calls written; want all 10", n)
	}
}
