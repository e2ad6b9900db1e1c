package acceptance

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/call"
	"github.com/crmguard/crmguard/internal/outbox"
	"github.com/crmguard/crmguard/internal/pgtest"
	"github.com/crmguard/crmguard/internal/retry"
)

// BenchmarkQueue_Enqueue measures durable enqueue end to end: clients POST
// writes over keep-alive connections to a crmguard whose upstream queues
// every write (queue.writes: always), and each must be answered 202 Accepted
// once it is stored. Each write has a record of its own. The replay workers
// poll once an hour, so they stay out of the way, and the CRM behind
// crmguard must see nothing.
func BenchmarkQueue_Enqueue(b *testing.B) {
	forEachStore(b, func(b *testing.B, newStore func(testing.TB) string) {
		// RunParallel runs p clients per GOMAXPROCS.
		for _, p := range []int{1, 4} {
			b.Run(fmt.Sprintf("clients=%d", p*runtime.GOMAXPROCS(0)), func(b *testing.B) {
				benchmarkEnqueue(b, newStore(b), p)
			})
		}
	})
}

// BenchmarkQueue_Replay measures replay end to end: b.N writes are queued
// before crmguard starts, then its workers deliver them to a CRM that
// answers 200 at once; the time runs from the start until the CRM has
// every write and the queue is empty. The upstream's rate (100,000/s) does
// not pace them. POST writes are not idempotent, so the worker marks each
// begun before sending it; PUT writes are, and are sent without the mark.
func BenchmarkQueue_Replay(b *testing.B) {
	forEachStore(b, func(b *testing.B, newStore func(testing.TB) string) {
		for _, method := range []string{http.MethodPost, http.MethodPut} {
			b.Run(method, func(b *testing.B) {
				for _, workers := range []int{2, 4} {
					b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
						benchmarkReplay(b, newStore(b), method, workers)
					})
				}
			})
		}
	})
}

// forEachStore runs bench as the sub-benchmarks sqlite and postgres; its
// newStore returns the URL of a new, empty store. The PostgreSQL server is
// started once for all of its sub-benchmarks, and they are skipped when
// PostgreSQL is not installed (see pgtest.Start).
func forEachStore(b *testing.B, bench func(b *testing.B, newStore func(testing.TB) string)) {
	b.Run("sqlite", func(b *testing.B) {
		bench(b, func(tb testing.TB) string { return "sqlite://" + filepath.Join(tb.TempDir(), "crmguard.db") })
	})
	b.Run("postgres", func(b *testing.B) {
		pg := pgtest.Start(b)
		bench(b, pg.NewDatabase)
	})
}

func benchmarkEnqueue(b *testing.B, store string, parallelism int) {
	crm := newCountingCRM(0)
	srv := httptest.NewServer(crm)
	b.Cleanup(srv.Close)
	a := build(b, fmt.Sprintf(`
listen: 127.0.0.1:0
admin: {listen: 127.0.0.1:0}
store: %s
queue: {poll: 1h}
upstreams:
  - name: crm
    url: %s
    dialect: generic
    queue: {writes: always}
`, store, srv.URL))
	serve(b, a)
	// Each worker looks at the queue once when crmguard starts, then not
	// for an hour; a write queued before that look would be delivered.
	time.Sleep(200 * time.Millisecond)
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	b.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	url := "http://" + a.GatewayAddr() + "/crm/contacts/"

	var (
		seq       atomic.Int64
		failed    atomic.Int64
		firstFail sync.Once
	)
	b.SetParallelism(parallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			resp, err := client.Post(url+strconv.FormatInt(n, 10), "application/json", strings.NewReader(contactBody(n)))
			if err != nil {
				failed.Add(1)
				firstFail.Do(func() { b.Errorf("write %d: %v", n, err) })
				continue
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted || resp.Header.Get("Crmguard-Queue-Id") == "" {
				failed.Add(1)
				firstFail.Do(func() {
					b.Errorf("write %d: %d %s; want 202 Accepted with Crmguard-Queue-Id", n, resp.StatusCode, body)
				})
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")

	if n := failed.Load(); n > 0 {
		b.Fatalf("%d of %d writes were not queued", n, b.N)
	}
	st, err := a.Store.QueueStats(context.Background(), time.Now())
	if err != nil {
		b.Fatal(err)
	}
	if st.Depth != int64(b.N) {
		b.Errorf("queue depth %d after %d writes answered 202; want %d", st.Depth, b.N, b.N)
	}
	if n := crm.total.Load(); n != 0 {
		b.Errorf("the CRM got %d calls while the writes were queued; want none (the workers must not interfere)", n)
	}
}

func benchmarkReplay(b *testing.B, store, method string, workers int) {
	crm := newCountingCRM(b.N)
	srv := httptest.NewServer(crm)
	b.Cleanup(srv.Close)
	a := build(b, fmt.Sprintf(`
listen: 127.0.0.1:0
admin: {listen: 127.0.0.1:0}
store: %s
queue: {workers: %d, poll: 50ms}
upstreams:
  - name: crm
    url: %s
    dialect: generic
    queue: {writes: always, rate: 100000}
`, store, workers, srv.URL))
	// Queued before crmguard serves, as the gateway queues a write without
	// an Idempotency-Key.
	ids := call.NewGenerator()
	header := []byte(`{"Accept-Encoding":["gzip"],"Content-Type":["application/json"],"User-Agent":["Go-http-client/1.1"]}`)
	for i := range b.N {
		now := time.Now()
		id := string(ids.New(now))
		path := "/contacts/" + strconv.Itoa(i)
		e := outbox.Entry{
			ID: id, CallID: id, Upstream: "crm", Method: method, Path: path,
			Header: header, Body: []byte(contactBody(int64(i))), RecordKey: "crm " + path,
			Idempotent: retry.IdempotentMethod(method), CreatedAt: now, NextAt: now,
		}
		if err := a.Store.Enqueue(context.Background(), e); err != nil {
			a.Close()
			b.Fatal(err)
		}
	}

	b.ResetTimer()
	serve(b, a)
	select {
	case <-crm.done:
	case <-time.After(5 * time.Minute):
		b.Fatalf("the CRM got %d of %d writes in 5 minutes", crm.total.Load(), b.N)
	}
	var st outbox.Stats
	for {
		var err error
		if st, err = a.Store.QueueStats(context.Background(), time.Now()); err != nil {
			b.Fatal(err)
		}
		if st.Depth == 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")

	if st.Delivered != int64(b.N) || st.Dead != 0 {
		b.Errorf("queue: %d delivered, %d dead; want all %d delivered", st.Delivered, st.Dead, b.N)
	}
	for i := range crm.hits {
		if n := crm.hits[i].Load(); n != 1 {
			b.Errorf("the CRM got write %d %d times; want once", i, n)
		}
	}
}

// contactBody returns a contact as a client writes it, about 300 bytes of
// JSON.
func contactBody(n int64) string {
	return fmt.Sprintf(`{"FirstName":"Ada","LastName":"Lovelace-%08d","Email":"ada.lovelace.%08d@example.com",`+
		`"Phone":"+44 20 7946 0958","Title":"Analyst","Department":"Engineering","LeadSource":"Web",`+
		`"MailingStreet":"12 St James's Square","MailingCity":"London","MailingPostalCode":"SW1Y 4JH",`+
		`"MailingCountry":"United Kingdom","Description":"Queued by the benchmark."}`, n, n)
}

// countingCRM answers every call 200 at once and counts the calls to
// /contacts/<i> per i; done is closed once it has counted want calls.
type countingCRM struct {
	hits  []atomic.Int32
	total atomic.Int64
	want  int64
	done  chan struct{}
}

func newCountingCRM(want int) *countingCRM {
	return &countingCRM{hits: make([]atomic.Int32, want), want: int64(want), done: make(chan struct{})}
}

func (c *countingCRM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	if i, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/contacts/")); err == nil && i >= 0 && i < len(c.hits) {
		c.hits[i].Add(1)
	}
	if c.total.Add(1) == c.want {
		close(c.done)
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"id":"003000000000001","success":true,"errors":[]}`)
}
