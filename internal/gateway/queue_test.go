package gateway

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/outbox"
	"github.com/crmguard/crmguard/internal/redact"
	"github.com/crmguard/crmguard/internal/retry"
	"github.com/crmguard/crmguard/internal/seal"
	"github.com/crmguard/crmguard/internal/store"
	"github.com/crmguard/crmguard/internal/upstream"
)

// queueSetup starts a gateway with a write queue in a real SQLite store in
// front of rawURL, upstream "crm", with retries off so each case is one
// attempt.
func queueSetup(t *testing.T, rawURL string, mode QueueMode, sealer *seal.Sealer) (*httptest.Server, *store.DB, *recorded) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "q.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	rec := &recorded{}
	g := New(Options{
		Upstreams: []Upstream{{
			Name: "crm", URL: u, Dialect: statusDialect{}, Timeout: 5 * time.Second,
			Transport:   upstream.New(statusDialect{}, upstream.Options{URL: u, Retry: retry.Policy{Attempts: 1}}),
			QueueWrites: mode, QueueDelay: time.Second,
		}},
		Recorder: rec,
		Redactor: redact.Redactor{MaskPersonal: true},
		Queue:    db,
		Sealer:   sealer,
	})
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	return srv, db, rec
}

func testSealer(t *testing.T) *seal.Sealer {
	t.Helper()
	s, err := seal.New([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// crm answers every request with status and counts what reaches it.
func crm(t *testing.T, status int) (*httptest.Server, *atomic.Int64, *atomic.Value) {
	t.Helper()
	var n atomic.Int64
	var hdr atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		hdr.Store(r.Header.Clone())
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, `{"message":"answer"}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &n, &hdr
}

func send(t *testing.T, method, u string, header http.Header, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func entries(t *testing.T, db *store.DB) []outbox.Entry {
	t.Helper()
	es, err := db.ListEntries(context.Background(), outbox.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// TestGateway_QueueDecisions: which failed writes are queued, following
// the retry safety rule, the mode and the client's header.
func TestGateway_QueueDecisions(t *testing.T) {
	closed := "http://" + freePort(t) // nothing listens: the write never reaches a CRM
	failing, _, _ := crm(t, http.StatusInternalServerError)
	unavailable, _, _ := crm(t, http.StatusServiceUnavailable)
	rejecting, _, _ := crm(t, http.StatusUnauthorized) // class auth in statusDialect

	tests := []struct {
		name      string
		target    string
		mode      QueueMode
		noSealer  bool
		method    string
		header    http.Header
		wantCode  int
		wantQueue string // the Crmguard-Queue response header
		wantWhy   string // in Crmguard-Queue-Reason
	}{
		{name: "POST never reached the CRM", target: closed, mode: QueueOnFailure, method: "POST", wantCode: 202, wantQueue: "queued"},
		{name: "POST that reached a failing CRM", target: failing.URL, mode: QueueOnFailure, method: "POST", wantCode: 500, wantQueue: "refused", wantWhy: "may have reached the CRM and cannot be made idempotent"},
		{name: "PUT is idempotent", target: failing.URL, mode: QueueOnFailure, method: "PUT", wantCode: 202, wantQueue: "queued"},
		{name: "POST with Idempotency-Key", target: unavailable.URL, mode: QueueOnFailure, method: "POST", header: http.Header{"Idempotency-Key": {"k-1"}}, wantCode: 202, wantQueue: "queued"},
		{name: "client denies", target: closed, mode: QueueOnFailure, method: "POST", header: http.Header{"Crmguard-Queue": {"deny"}}, wantCode: 502},
		{name: "client allows where config says never", target: closed, mode: QueueNever, method: "PATCH", header: http.Header{"Crmguard-Queue": {"allow"}}, wantCode: 202, wantQueue: "queued"},
		{name: "never", target: closed, mode: QueueNever, method: "POST", wantCode: 502},
		{name: "refused credentials are not transient", target: rejecting.URL, mode: QueueOnFailure, method: "POST", wantCode: 401},
		{name: "reads are not queued", target: closed, mode: QueueOnFailure, method: "GET", wantCode: 502},
		{name: "credentials without a key", target: closed, mode: QueueOnFailure, noSealer: true, method: "POST", header: http.Header{"Authorization": {"Bearer s3cr3t"}}, wantCode: 502, wantQueue: "refused", wantWhy: "no queue key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sealer := testSealer(t)
			if tc.noSealer {
				sealer = nil
			}
			gw, db, rec := queueSetup(t, tc.target, tc.mode, sealer)
			resp, body := send(t, tc.method, gw.URL+"/crm/v1/contacts/7?x=1", tc.header, `{"name":"Ada"}`)
			if resp.StatusCode != tc.wantCode {
				t.Fatalf("status %d; want %d; body %s", resp.StatusCode, tc.wantCode, body)
			}
			if got := resp.Header.Get(HeaderQueue); got != tc.wantQueue {
				t.Fatalf("%s: %q; want %q (reason %q)", HeaderQueue, got, tc.wantQueue, resp.Header.Get(HeaderQueueReason))
			}
			if !strings.Contains(resp.Header.Get(HeaderQueueReason), tc.wantWhy) {
				t.Errorf("%s = %q; want it to say %q", HeaderQueueReason, resp.Header.Get(HeaderQueueReason), tc.wantWhy)
			}
			es := entries(t, db)
			if tc.wantQueue != "queued" {
				if len(es) != 0 {
					t.Fatalf("queued %d entries; want none", len(es))
				}
				if tc.wantWhy != "" {
					waitRecorded(t, rec, 1)
					if m := rec.last(t).Message; !strings.Contains(m, "Not queued: ") {
						t.Errorf("recorded message %q does not say why the write was not queued", m)
					}
				}
				return
			}
			var ack queuedBody
			if err := json.Unmarshal([]byte(body), &ack); err != nil || !ack.Queued || ack.QueueID == "" || ack.CallID == "" {
				t.Fatalf("202 body %q does not name the queue and call ids (%v)", body, err)
			}
			if resp.Header.Get(HeaderQueueID) != ack.QueueID || resp.Header.Get(HeaderCallID) != ack.CallID {
				t.Errorf("headers (%s, %s) disagree with the body %+v", resp.Header.Get(HeaderQueueID), resp.Header.Get(HeaderCallID), ack)
			}
			if len(es) != 1 {
				t.Fatalf("queued %d entries; want 1", len(es))
			}
			e, err := db.GetEntry(context.Background(), ack.QueueID)
			if err != nil {
				t.Fatal(err)
			}
			if e.Method != tc.method || e.Path != "/v1/contacts/7?x=1" || string(e.Body) != `{"name":"Ada"}` || e.RecordKey != "crm /v1/contacts/7" {
				t.Errorf("entry = %s %s %q key %q", e.Method, e.Path, e.Body, e.RecordKey)
			}
			if e.Attempts != 1 || !e.LastClass.Failed() {
				t.Errorf("entry attempts %d, last class %s; want the failed first attempt counted", e.Attempts, e.LastClass)
			}
			if strings.Contains(string(e.Header), "Crmguard-Queue") {
				t.Errorf("crmguard's own headers were kept for the replay: %s", e.Header)
			}
			if k := tc.header.Get("Idempotency-Key"); e.IdempotencyKey != k {
				t.Errorf("idempotency key %q; want %q", e.IdempotencyKey, k)
			}
			waitRecorded(t, rec, 1)
			if c := rec.last(t); c.Status != 202 || !strings.HasPrefix(c.Message, "Queued for delivery as "+ack.QueueID) {
				t.Errorf("recorded call status %d message %q", c.Status, c.Message)
			}
		})
	}
}

// TestGateway_QueueSealsCredentials: the secret headers a replay needs are
// stored only encrypted, bound to their entry.
func TestGateway_QueueSealsCredentials(t *testing.T) {
	sealer := testSealer(t)
	gw, db, _ := queueSetup(t, "http://"+freePort(t), QueueOnFailure, sealer)
	resp, body := send(t, "POST", gw.URL+"/crm/v1/deals", http.Header{"Authorization": {"Bearer s3cr3t-token"}, "X-Trace": {"t-1"}}, `{}`)
	if resp.StatusCode != 202 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	id := resp.Header.Get(HeaderQueueID)
	claimed, err := db.Claim(context.Background(), "test", time.Now().Add(time.Hour), time.Minute, 10)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %v, %d entries", err, len(claimed))
	}
	e := claimed[0]
	if strings.Contains(string(e.Header)+string(e.Sealed), "s3cr3t") {
		t.Fatal("the token is stored in plain text")
	}
	if !strings.Contains(string(e.Header), "t-1") {
		t.Errorf("plain headers not kept: %s", e.Header)
	}
	h, err := sealer.Open(e.Sealed, id)
	if err != nil || h.Get("Authorization") != "Bearer s3cr3t-token" {
		t.Fatalf("sealed credentials open to %v, %v", h, err)
	}
	if _, err := sealer.Open(e.Sealed, "another-entry"); err == nil {
		t.Error("sealed credentials open for another entry")
	}
}

// TestGateway_QueueAlwaysAndOrder: in "always" mode a write is stored and
// answered without reaching the CRM; in "on_failure" mode a write of a
// record with a queued write waits behind it instead of overtaking it.
func TestGateway_QueueAlwaysAndOrder(t *testing.T) {
	ok, hits, hdr := crm(t, http.StatusOK)
	t.Run("always", func(t *testing.T) {
		gw, db, _ := queueSetup(t, ok.URL, QueueAlways, testSealer(t))
		resp, body := send(t, "POST", gw.URL+"/crm/v1/contacts", nil, `{"a":1}`)
		if resp.StatusCode != 202 || hits.Load() != 0 {
			t.Fatalf("status %d, CRM hit %d times; want 202 and untouched: %s", resp.StatusCode, hits.Load(), body)
		}
		if es := entries(t, db); len(es) != 1 || es[0].Attempts != 0 || es[0].LastClass != fault.OK {
			t.Fatalf("entries %+v; want one, not yet attempted", es)
		}
		if resp, _ := send(t, "GET", gw.URL+"/crm/v1/contacts", http.Header{"Crmguard-Queue": {"allow"}}, ""); resp.StatusCode != 200 || hits.Load() != 1 {
			t.Fatalf("a read in always mode: status %d, CRM hits %d; want it sent", resp.StatusCode, hits.Load())
		}
		if h := hdr.Load().(http.Header); h.Get("Crmguard-Queue") != "" {
			t.Errorf("the Crmguard-Queue request header reached the CRM")
		}
	})
	t.Run("on_failure keeps a record's order", func(t *testing.T) {
		hits.Store(0)
		gw, db, _ := queueSetup(t, ok.URL, QueueOnFailure, testSealer(t))
		first := outbox.Entry{ID: "00000000000000000000000001", CallID: "c", Upstream: "crm", Method: "PATCH", Path: "/v1/contacts/9", RecordKey: "crm /v1/contacts/9", CreatedAt: time.Now()}
		if err := db.Enqueue(context.Background(), first); err != nil {
			t.Fatal(err)
		}
		resp, body := send(t, "PATCH", gw.URL+"/crm/v1/contacts/9", nil, `{"b":2}`)
		if resp.StatusCode != 202 || hits.Load() != 0 {
			t.Fatalf("status %d, CRM hits %d; want 202 and the write held behind the queued one: %s", resp.StatusCode, hits.Load(), body)
		}
		if resp, _ := send(t, "PATCH", gw.URL+"/crm/v1/contacts/10", nil, `{"b":2}`); resp.StatusCode != 200 || hits.Load() != 1 {
			t.Fatalf("another record's write: status %d, CRM hits %d; want it sent at once", resp.StatusCode, hits.Load())
		}
		if es := entries(t, db); len(es) != 2 || es[1].ID <= es[0].ID {
			t.Fatalf("entries %+v; want the new write queued after the first", es)
		}
	})
}
