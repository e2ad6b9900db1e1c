package outbox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/breaker"
	"github.com/crmguard/crmguard/internal/dialect"
	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/outbox"
	"github.com/crmguard/crmguard/internal/retry"
	"github.com/crmguard/crmguard/internal/store"
	"github.com/crmguard/crmguard/internal/upstream"
)

// base is the fake clock's start.
var base = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// clock is a fake clock tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: base} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// openStore returns a fresh SQLite store in the test's temporary directory.
func openStore(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(t.Context(), "sqlite://"+filepath.Join(t.TempDir(), "outbox.db"))
	if err != nil {
		t.Fatalf("opening store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// write is the body of a queued test write.
type write struct {
	ID  string `json:"id"`
	Key string `json:"key"`
}

// enqueue stores a POST of write{id, key} to /contacts, made idempotent
// by an Idempotency-Key (the client sent one), so replays are safe.
func enqueue(t *testing.T, db *store.DB, id, key string, created time.Time) {
	t.Helper()
	enqueueWrite(t, db, id, key, created, "idem-"+id)
}

// enqueueWrite is enqueue with the idempotency key given; "" queues a
// plain POST that may not be sent twice once it reached the CRM.
func enqueueWrite(t *testing.T, db *store.DB, id, key string, created time.Time, idemKey string) {
	t.Helper()
	body, _ := json.Marshal(write{ID: id, Key: key})
	e := outbox.Entry{
		ID: id, CallID: "call-" + id, Upstream: "crm", Method: http.MethodPost, Path: "/contacts",
		Header: []byte(`{"Content-Type":["application/json"]}`), Body: body,
		RecordKey: key, CreatedAt: created, IdempotencyKey: idemKey, Idempotent: idemKey != "",
	}
	if err := db.Enqueue(t.Context(), e); err != nil {
		t.Fatalf("enqueueing %s: %v", id, err)
	}
}

// crm is a fake CRM that records the writes it accepts and answers with
// answer (200 when nil).
type crm struct {
	mu       sync.Mutex
	got      []write // accepted writes, in arrival order
	requests int
	answer   func(n int, w http.ResponseWriter) bool // n counts requests from 1; true if it answered
	srv      *httptest.Server
}

func newCRM(t *testing.T, answer func(n int, w http.ResponseWriter) bool) *crm {
	t.Helper()
	c := &crm{answer: answer}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var wr write
		_ = json.Unmarshal(b, &wr)
		c.mu.Lock()
		c.requests++
		n := c.requests
		c.mu.Unlock()
		if c.answer != nil && c.answer(n, w) {
			return
		}
		c.mu.Lock()
		c.got = append(c.got, wr)
		c.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *crm) writes() []write {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.got)
}

func (c *crm) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.requests
}

// sender returns an HTTPSender to c through a real upstream transport
// that does not retry by itself, so every worker attempt is one request.
func (c *crm) sender(t *testing.T, now func() time.Time, b breaker.Options) *outbox.HTTPSender {
	t.Helper()
	u, err := url.Parse(c.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	rt := upstream.New(dialect.Generic{}, upstream.Options{
		Name: "crm", URL: u, Retry: retry.Policy{Attempts: 1}, Breaker: b, Now: now,
	})
	s := outbox.NewHTTPSender(u, rt, nil)
	s.Now = now
	return s
}

// status answers every request with code, the headers and a JSON body.
func status(code int, body string, header ...string) func(int, http.ResponseWriter) bool {
	return func(_ int, w http.ResponseWriter) bool {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		w.Write([]byte(body))
		return true
	}
}

func getEntry(t *testing.T, db *store.DB, id string) outbox.Entry {
	t.Helper()
	e, err := db.GetEntry(t.Context(), id)
	if err != nil {
		t.Fatalf("getting %s: %v", id, err)
	}
	return e
}

func drain(t *testing.T, w *outbox.Worker) {
	t.Helper()
	if err := w.Drain(t.Context()); err != nil {
		t.Fatalf("Drain: %v", err)
	}
}

func TestWorker_DeliversInOrderPerRecordKey(t *testing.T) {
	db := openStore(t)
	c := newCRM(t, nil)
	clk := newClock()
	keys := []string{"contact/1", "contact/2", "", "contact/3"}
	for i := range 20 {
		enqueue(t, db, fmt.Sprintf("e%03d", i), keys[i%len(keys)], base)
	}
	var delivered []string
	w := outbox.NewWorker(db, c.sender(t, clk.Now, breaker.Options{}), outbox.Options{
		Owner: "w1", Now: clk.Now, Batch: 3,
		OnDelivered: func(e outbox.Entry) { delivered = append(delivered, e.ID) },
	})
	drain(t, w)

	perKey := map[string][]string{}
	for _, wr := range c.writes() {
		perKey[wr.Key] = append(perKey[wr.Key], wr.ID)
	}
	for _, key := range keys {
		want := []string{}
		for i := range 20 {
			if keys[i%len(keys)] == key {
				want = append(want, fmt.Sprintf("e%03d", i))
			}
		}
		if got := perKey[key]; !slices.Equal(got, want) {
			t.Errorf("key %q received %v; want %v", key, got, want)
		}
	}
	if got := w.Stats(); got != (outbox.Counts{Delivered: 20}) {
		t.Errorf("Stats() = %+v; want 20 delivered", got)
	}
	if len(delivered) != 20 {
		t.Errorf("OnDelivered called %d times; want 20", len(delivered))
	}
	if e := getEntry(t, db, "e007"); e.State != outbox.Delivered || !e.DeliveredAt.Equal(base) {
		t.Errorf("e007 is %s delivered at %v; want delivered at %v", e.State, e.DeliveredAt, base)
	}
}

func TestWorker_ReschedulesTransientFailures(t *testing.T) {
	tests := []struct {
		name      string
		answer    func(int, http.ResponseWriter) bool
		wantClass fault.Class
		wantCode  int
		wantDelay time.Duration
	}{
		{"503 waits the backoff", status(503, `{"message":"maintenance"}`), fault.Unavailable, 503, 2 * time.Second},
		{"500 waits the backoff", status(500, `{"message":"boom"}`), fault.Server, 500, 2 * time.Second},
		{"429 waits its Retry-After", status(429, `{"message":"slow down"}`, "Retry-After", "120"), fault.RateLimit, 429, 120 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := openStore(t)
			fail := true
			c := newCRM(t, func(n int, w http.ResponseWriter) bool {
				return fail && tc.answer(n, w)
			})
			clk := newClock()
			w := outbox.NewWorker(db, c.sender(t, clk.Now, breaker.Options{}), outbox.Options{
				Owner: "w1", Now: clk.Now, Rand: func() float64 { return 1 },
				Backoff: retry.Policy{Backoff: 2 * time.Second},
			})
			enqueue(t, db, "e1", "k", base)
			drain(t, w) // one failed attempt; not due again at the same time

			e := getEntry(t, db, "e1")
			if e.State != outbox.Pending || e.Attempts != 1 || e.LastClass != tc.wantClass || e.LastStatus != tc.wantCode {
				t.Fatalf("after the failure: state %s, attempts %d, class %s, status %d; want pending, 1, %s, %d",
					e.State, e.Attempts, e.LastClass, e.LastStatus, tc.wantClass, tc.wantCode)
			}
			if want := base.Add(tc.wantDelay); !e.NextAt.Equal(want) {
				t.Errorf("NextAt = %v; want %v", e.NextAt, want)
			}
			clk.Advance(tc.wantDelay - time.Millisecond)
			drain(t, w)
			if n := c.count(); n != 1 {
				t.Fatalf("CRM got %d requests before the entry was due; want 1", n)
			}

			fail = false
			clk.Advance(time.Millisecond)
			drain(t, w)
			if e := getEntry(t, db, "e1"); e.State != outbox.Delivered {
				t.Errorf("state after the retry = %s; want delivered", e.State)
			}
			if got, want := w.Stats(), (outbox.Counts{Delivered: 1, Rescheduled: 1}); got != want {
				t.Errorf("Stats() = %+v; want %+v", got, want)
			}
		})
	}
}

func TestWorker_TransientConflict(t *testing.T) {
	tests := []struct {
		name      string
		transient bool
		want      outbox.State
	}{
		{"transient is rescheduled", true, outbox.Pending},
		{"not transient is dead", false, outbox.Dead},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := openStore(t)
			clk := newClock()
			s := outbox.SenderFunc(func(context.Context, outbox.Entry) (outbox.Result, error) {
				return outbox.Result{Status: 409, Class: fault.Conflict, Transient: tc.transient, Message: "record locked"}, nil
			})
			w := outbox.NewWorker(db, s, outbox.Options{Owner: "w1", Now: clk.Now})
			enqueue(t, db, "e1", "k", base)
			drain(t, w)
			if e := getEntry(t, db, "e1"); e.State != tc.want {
				t.Errorf("state = %s; want %s", e.State, tc.want)
			}
		})
	}
}

func TestWorker_DeadLetters(t *testing.T) {
	tests := []struct {
		name        string
		answer      func(int, http.ResponseWriter) bool
		maxAttempts int
		age         time.Duration
		wantReason  string // prefix
		wantSends   int
	}{
		{
			name:       "400 is refused",
			answer:     status(400, `{"message":"unknown field foo"}`),
			wantReason: "parameter: unknown field foo", wantSends: 1,
		},
		{
			name:       "404 is refused",
			answer:     status(404, `{"message":"no such contact"}`),
			wantReason: "not_found: no such contact", wantSends: 1,
		},
		{
			name:        "max attempts",
			answer:      status(500, `{"message":"boom"}`),
			maxAttempts: 3,
			wantReason:  "max attempts (3) reached; last failure server: boom", wantSends: 3,
		},
		{
			name:       "max age",
			answer:     status(503, `{"message":"maintenance"}`),
			age:        73 * time.Hour,
			wantReason: "max age (72h0m0s) reached; last failure unavailable: maintenance", wantSends: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := openStore(t)
			c := newCRM(t, tc.answer)
			clk := newClock()
			var dead []outbox.Entry
			w := outbox.NewWorker(db, c.sender(t, clk.Now, breaker.Options{}), outbox.Options{
				Owner: "w1", Now: clk.Now, MaxAttempts: tc.maxAttempts,
				OnDead: func(e outbox.Entry) { dead = append(dead, e) },
			})
			enqueue(t, db, "e1", "k", base.Add(-tc.age))
			for range 10 {
				drain(t, w)
				clk.Advance(time.Hour)
			}
			e := getEntry(t, db, "e1")
			if e.State != outbox.Dead || e.DeadReason != tc.wantReason {
				t.Errorf("entry is %s with reason %q; want dead with %q", e.State, e.DeadReason, tc.wantReason)
			}
			if n := c.count(); n != tc.wantSends {
				t.Errorf("CRM got %d requests; want %d", n, tc.wantSends)
			}
			if len(dead) != 1 || dead[0].DeadReason != tc.wantReason {
				t.Errorf("OnDead got %+v; want one entry with the reason", dead)
			}
			if got := w.Stats(); got.Dead != 1 || got.Delivered != 0 {
				t.Errorf("Stats() = %+v; want 1 dead", got)
			}
		})
	}
}

func TestWorker_HeldBackByOpenBreaker(t *testing.T) {
	db := openStore(t)
	c := newCRM(t, status(503, `{"message":"maintenance"}`))
	clk := newClock()
	b := breaker.Options{MinCalls: 1, FailureRatio: 0.5, Cooldown: 15 * time.Second}
	w := outbox.NewWorker(db, c.sender(t, clk.Now, b), outbox.Options{
		Owner: "w1", Now: clk.Now, Rand: func() float64 { return 1 },
		Backoff: retry.Policy{Backoff: time.Second},
	})
	enqueue(t, db, "e1", "k", base)
	drain(t, w) // 503 opens the breaker
	clk.Advance(time.Second)
	drain(t, w) // held back: not sent

	if n := c.count(); n != 1 {
		t.Errorf("CRM got %d requests; want 1 (the breaker holds the second)", n)
	}
	e := getEntry(t, db, "e1")
	if e.State != outbox.Pending || e.LastClass != fault.Unavailable || !strings.Contains(e.LastError, "circuit breaker") {
		t.Errorf("entry is %s, class %s, error %q; want pending, unavailable, circuit breaker", e.State, e.LastClass, e.LastError)
	}
	if want := base.Add(15 * time.Second); !e.NextAt.Equal(want) {
		t.Errorf("NextAt = %v; want %v, when the breaker lets a probe through", e.NextAt, want)
	}
}

func TestWorker_TwoWorkersDeliverEachOnce(t *testing.T) {
	db := openStore(t)
	c := newCRM(t, nil)
	for i := range 100 {
		key := ""
		if i%3 != 0 {
			key = fmt.Sprintf("contact/%d", i%7)
		}
		enqueue(t, db, fmt.Sprintf("e%03d", i), key, time.Now())
	}
	workers := []*outbox.Worker{
		outbox.NewWorker(db, c.sender(t, time.Now, breaker.Options{}), outbox.Options{Owner: "a", Batch: 7}),
		outbox.NewWorker(db, c.sender(t, time.Now, breaker.Options{}), outbox.Options{Owner: "b", Batch: 7}),
	}
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Go(func() {
			if err := w.Drain(t.Context()); err != nil {
				t.Errorf("Drain: %v", err)
			}
		})
	}
	wg.Wait()

	got := c.writes()
	seen := map[string]int{}
	perKey := map[string][]string{}
	for _, wr := range got {
		seen[wr.ID]++
		if wr.Key != "" {
			perKey[wr.Key] = append(perKey[wr.Key], wr.ID)
		}
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("CRM received %s %d times; want once", id, n)
		}
	}
	if len(seen) != 100 {
		t.Errorf("CRM received %d distinct writes; want 100", len(seen))
	}
	for key, ids := range perKey {
		if !slices.IsSorted(ids) {
			t.Errorf("key %s received out of order: %v", key, ids)
		}
	}
	total := workers[0].Stats().Delivered + workers[1].Stats().Delivered
	if total != 100 {
		t.Errorf("workers delivered %d; want 100", total)
	}
	st, err := db.QueueStats(t.Context(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if st.Delivered != 100 || st.Depth != 0 {
		t.Errorf("queue has %d delivered, depth %d; want 100, 0", st.Delivered, st.Depth)
	}
}

func TestWorker_LeaseLost(t *testing.T) {
	db := openStore(t)
	enqueue(t, db, "e1", "k", base)

	sending, release := make(chan struct{}), make(chan struct{})
	slow := outbox.SenderFunc(func(context.Context, outbox.Entry) (outbox.Result, error) {
		close(sending)
		<-release
		return outbox.Result{Status: 200, Class: fault.OK}, nil
	})
	a := outbox.NewWorker(db, slow, outbox.Options{Owner: "a", Lease: 10 * time.Second, Now: newClock().Now})
	done := make(chan error)
	go func() { done <- a.Drain(t.Context()) }()
	<-sending

	// b's clock is past a's lease, so b claims the entry and delivers it.
	late := newClock()
	late.Advance(time.Minute)
	var bSends int
	fast := outbox.SenderFunc(func(context.Context, outbox.Entry) (outbox.Result, error) {
		bSends++
		return outbox.Result{Status: 200, Class: fault.OK}, nil
	})
	b := outbox.NewWorker(db, fast, outbox.Options{Owner: "b", Now: late.Now})
	drain(t, b)
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("a.Drain: %v", err)
	}

	if got, want := a.Stats(), (outbox.Counts{LeaseLost: 1}); got != want {
		t.Errorf("a.Stats() = %+v; want %+v", got, want)
	}
	if got, want := b.Stats(), (outbox.Counts{Delivered: 1}); got != want || bSends != 1 {
		t.Errorf("b.Stats() = %+v after %d sends; want %+v after 1", got, bSends, want)
	}
	if e := getEntry(t, db, "e1"); e.State != outbox.Delivered || !e.DeliveredAt.Equal(late.Now()) {
		t.Errorf("entry is %s at %v; want delivered by b at %v", e.State, e.DeliveredAt, late.Now())
	}
}

// TestWorker_UnsureWriteIsNotSentAgain: a write that may apply twice, taken
// over from a worker that began sending it and vanished, is dead-lettered
// instead of being sent again: the first send may have reached the CRM.
func TestWorker_UnsureWriteIsNotSentAgain(t *testing.T) {
	db := openStore(t)
	enqueueWrite(t, db, "e1", "k", base, "")
	enqueueWrite(t, db, "e2", "k2", base, "idem-e2")
	clk := newClock()
	sending, gone := make(chan struct{}), make(chan struct{})
	crashed := outbox.SenderFunc(func(context.Context, outbox.Entry) (outbox.Result, error) {
		close(sending)
		<-gone // the replica is dead: it records no outcome while b works
		return outbox.Result{}, context.Canceled
	})
	a := outbox.NewWorker(db, crashed, outbox.Options{Owner: "a", Lease: 10 * time.Second, Batch: 1, Now: clk.Now})
	aDone := make(chan error)
	go func() { aDone <- a.Drain(t.Context()) }()
	<-sending

	late := newClock()
	late.Advance(time.Minute)
	var sent []string
	s := outbox.SenderFunc(func(_ context.Context, e outbox.Entry) (outbox.Result, error) {
		sent = append(sent, e.ID)
		return outbox.Result{Status: 200, Class: fault.OK}, nil
	})
	drain(t, outbox.NewWorker(db, s, outbox.Options{Owner: "b", Now: late.Now}))
	if !slices.Equal(sent, []string{"e2"}) {
		t.Fatalf("b sent %v; want only e2 (e1 may have reached the CRM)", sent)
	}
	e := getEntry(t, db, "e1")
	if e.State != outbox.Dead || !strings.Contains(e.DeadReason, "may have reached the CRM") {
		t.Fatalf("e1 is %s (%q); want dead, saying it may have reached the CRM", e.State, e.DeadReason)
	}
	close(gone)
	<-aDone
	if got := a.Stats(); got.LeaseLost != 1 {
		t.Errorf("a.Stats() = %+v; want its late outcome refused as a lost lease", got)
	}
}

func TestWorker_SkipsEntriesWhoseLeaseExpired(t *testing.T) {
	db := openStore(t)
	enqueue(t, db, "e1", "k1", base)
	enqueue(t, db, "e2", "k2", base)
	clk := newClock()
	var sent []string
	s := outbox.SenderFunc(func(_ context.Context, e outbox.Entry) (outbox.Result, error) {
		sent = append(sent, e.ID)
		clk.Advance(time.Minute) // a slow send outlasts the lease
		return outbox.Result{Status: 200, Class: fault.OK}, nil
	})
	w := outbox.NewWorker(db, s, outbox.Options{Owner: "w1", Now: clk.Now, Lease: 30 * time.Second})
	drain(t, w)
	if want := []string{"e1", "e2"}; !slices.Equal(sent, want) {
		t.Errorf("sent %v; want %v (e2 in a later round, after a fresh claim)", sent, want)
	}
}

func TestWorker_RunStopsOnCancel(t *testing.T) {
	db := openStore(t)
	enqueue(t, db, "e1", "k1", time.Now())
	enqueue(t, db, "e2", "k2", time.Now())
	sending, release := make(chan struct{}), make(chan struct{})
	var (
		mu   sync.Mutex
		sent []string
	)
	s := outbox.SenderFunc(func(ctx context.Context, e outbox.Entry) (outbox.Result, error) {
		mu.Lock()
		sent = append(sent, e.ID)
		mu.Unlock()
		close(sending)
		<-release
		if err := ctx.Err(); err != nil {
			return outbox.Result{}, err
		}
		return outbox.Result{Status: 200, Class: fault.OK}, nil
	})
	w := outbox.NewWorker(db, s, outbox.Options{Owner: "w1", Poll: 10 * time.Millisecond})
	ctx, cancel := context.WithCancel(t.Context())
	stopped := make(chan struct{})
	go func() {
		w.Run(ctx)
		close(stopped)
	}()
	<-sending
	cancel()
	close(release)
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if want := []string{"e1"}; !slices.Equal(sent, want) {
		t.Errorf("sent %v; want %v (the entry in hand, no new one)", sent, want)
	}
	if e := getEntry(t, db, "e1"); e.State != outbox.Delivered {
		t.Errorf("e1 is %s; want delivered (the send in hand is finished)", e.State)
	}
}

func TestWorker_RunDeliversAndIdles(t *testing.T) {
	db := openStore(t)
	c := newCRM(t, nil)
	w := outbox.NewWorker(db, c.sender(t, time.Now, breaker.Options{}), outbox.Options{Owner: "w1", Poll: 5 * time.Millisecond})
	ctx, cancel := context.WithCancel(t.Context())
	stopped := make(chan struct{})
	go func() {
		w.Run(ctx)
		close(stopped)
	}()
	enqueue(t, db, "e1", "k", time.Now())
	deadline := time.Now().Add(5 * time.Second)
	for w.Stats().Delivered < 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if got := c.writes(); len(got) != 1 || got[0].ID != "e1" {
		t.Errorf("CRM received %v; want e1 once", got)
	}
}

// TestWorker_UnsafeReplayIsDeadLettered: a plain POST (no idempotency key)
// that reached the CRM and failed with a 500 may have been applied; it is
// not sent again but dead-lettered, saying why.
func TestWorker_UnsafeReplayIsDeadLettered(t *testing.T) {
	c := newCRM(t, func(n int, w http.ResponseWriter) bool {
		w.WriteHeader(http.StatusInternalServerError)
		return true
	})
	db := openStore(t)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	enqueueWrite(t, db, "e1", "k", now, "")
	w := outbox.NewWorker(db, c.sender(t, clock, breaker.Options{}), outbox.Options{Owner: "w1", Now: clock})
	if err := w.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	e, err := db.GetEntry(t.Context(), "e1")
	if err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	requests := c.requests
	c.mu.Unlock()
	if e.State != outbox.Dead || !strings.Contains(e.DeadReason, "could duplicate") || requests != 1 {
		t.Errorf("entry %s, reason %q, CRM hit %d times; want dead after one try, saying a replay could duplicate it",
			e.State, e.DeadReason, requests)
	}
}
