package admin_test

// An external test package: the queue endpoints are tested against a real
// SQLite store, and package store imports admin.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/admin"
	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/outbox"
	"github.com/crmguard/crmguard/internal/store"
)

const token = "queue-test-token-0123456789"

// now is the admin server's clock and the time the fixture is built at.
var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// The fixture's entries, in ID order.
const (
	deadSF      = "01KQ00000000000000000000A1" // dead after 503s
	deadTimeout = "01KQ00000000000000000000A2" // dead after timeouts
	deadHubSpot = "01KQ00000000000000000000A3"
	dropped     = "01KQ00000000000000000000A4" // dead, dropped by an operator
	delivered   = "01KQ00000000000000000000A5"
	pendingJSON = "01KQ00000000000000000000A6" // headers, a JSON body, a record key
	inflight    = "01KQ00000000000000000000A7"
	pendingBin  = "01KQ00000000000000000000A8" // a body that is not UTF-8
)

var allIDs = []string{deadSF, deadTimeout, deadHubSpot, dropped, delivered, pendingJSON, inflight, pendingBin}

// queueStore opens a SQLite store in a temporary directory holding one
// entry in each state the operator meets.
func queueStore(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(t.Context(), "sqlite://"+filepath.Join(t.TempDir(), "crmguard.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	entry := func(id, upstream string) outbox.Entry {
		return outbox.Entry{ID: id, CallID: id, Upstream: upstream, Method: "PATCH",
			Path: "/services/data/v59.0/sobjects/Contact/003" + id[len(id)-2:], CreatedAt: now.Add(-time.Hour)}
	}
	// Each step claims at now; every earlier entry is then finished, due
	// later or leased, so the claim takes exactly the new one.
	claim := func(e outbox.Entry) {
		t.Helper()
		if err := db.Enqueue(t.Context(), e); err != nil {
			t.Fatalf("Enqueue(%s): %v", e.ID, err)
		}
		got, err := db.Claim(t.Context(), "test-"+e.ID, now, time.Hour, 10)
		if err != nil || len(got) != 1 || got[0].ID != e.ID {
			t.Fatalf("Claim after enqueueing %s = %v, %v; want just it", e.ID, got, err)
		}
	}
	kill := func(e outbox.Entry, reason string) {
		t.Helper()
		claim(e)
		if err := db.Kill(t.Context(), e.ID, "test-"+e.ID, reason, now.Add(-time.Minute)); err != nil {
			t.Fatalf("Kill(%s): %v", e.ID, err)
		}
	}
	later := func(e outbox.Entry) outbox.Entry { e.NextAt = now.Add(time.Hour); return e }

	e := entry(deadSF, "sf")
	e.Attempts, e.LastClass, e.LastStatus, e.LastError = 50, fault.Unavailable, 503, "Service Unavailable"
	kill(e, "gave up after 50 attempts")
	e = entry(deadTimeout, "sf")
	e.LastClass, e.LastError = fault.Timeout, "no answer within 30s"
	kill(e, "Timeout: too old to send (72h)")
	kill(entry(deadHubSpot, "hubspot"), "gave up after 50 attempts")
	if err := db.Enqueue(t.Context(), later(entry(dropped, "sf"))); err != nil {
		t.Fatal(err)
	}
	if err := db.Drop(t.Context(), dropped, "duplicate of ticket 4711", now.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	claim(entry(delivered, "sf"))
	if err := db.Ack(t.Context(), delivered, "test-"+delivered, now.Add(-30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	e = later(entry(pendingJSON, "sf"))
	e.Header = []byte(`{"Content-Type":["application/json"]}`)
	e.Sealed = []byte("sealed credentials")
	e.Body = []byte(`{"LastName":"Müller"}`)
	e.RecordKey, e.IdempotencyKey = "Contact/003A6", "idem-A6"
	if err := db.Enqueue(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	claim(entry(inflight, "sf"))
	e = later(entry(pendingBin, "hubspot"))
	e.Body = []byte{0xff, 0xfe, 0x00, 0x01}
	if err := db.Enqueue(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	return db
}

// queueServer serves the admin API over db (nil: no queue) on loopback.
func queueServer(t *testing.T, db *store.DB) *httptest.Server {
	t.Helper()
	opts := admin.Options{Token: token, Now: func() time.Time { return now }}
	if db != nil {
		opts.Queue = db
	}
	srv := httptest.NewServer(admin.New(opts))
	t.Cleanup(srv.Close)
	return srv
}

// do sends a request with the token and returns the status and the JSON
// answer (nil if it is not JSON).
func do(t *testing.T, srv *httptest.Server, method, path, body string) (int, map[string]any) {
	t.Helper()
	status, raw := doRaw(t, srv, method, path, body, token)
	var v map[string]any
	_ = json.Unmarshal(raw, &v)
	return status, v
}

func doRaw(t *testing.T, srv *httptest.Server, method, path, body, tok string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, raw
}

// ids returns the ids of an answer's entries.
func ids(v map[string]any) []string {
	var out []string
	es, _ := v["entries"].([]any)
	for _, e := range es {
		out = append(out, e.(map[string]any)["id"].(string))
	}
	return out
}

func TestQueue_RequiresToken(t *testing.T) {
	srv := queueServer(t, queueStore(t))
	for _, ep := range []struct{ method, path, body string }{
		{"GET", "/api/v1/queue", ""},
		{"GET", "/api/v1/queue/stats", ""},
		{"GET", "/api/v1/queue/" + deadSF, ""},
		{"POST", "/api/v1/queue/" + deadSF + "/replay", ""},
		{"POST", "/api/v1/queue/replay", `{"all": true}`},
		{"POST", "/api/v1/queue/" + pendingJSON + "/drop", `{"reason": "x"}`},
	} {
		for _, tok := range []string{"", "not-the-token-not-the-token"} {
			if status, _ := doRaw(t, srv, ep.method, ep.path, ep.body, tok); status != http.StatusUnauthorized {
				t.Errorf("%s %s with token %q: %d; want 401", ep.method, ep.path, tok, status)
			}
		}
	}
	// Nothing was changed by the refused requests.
	status, v := do(t, srv, "GET", "/api/v1/queue/stats", "")
	if status != 200 || v["dead"] != 4.0 || v["pending"] != 2.0 {
		t.Errorf("stats after refused requests: %d %v; want 4 dead, 2 pending", status, v)
	}
}

func TestQueue_NoQueue(t *testing.T) {
	srv := queueServer(t, nil)
	for _, path := range []string{"/api/v1/queue", "/api/v1/queue/stats", "/api/v1/queue/" + deadSF} {
		status, v := do(t, srv, "GET", path, "")
		if status != 404 || !strings.HasPrefix(fmt.Sprint(v["detail"]), "no queue") {
			t.Errorf("GET %s without a queue: %d %v; want 404 'no queue…'", path, status, v)
		}
	}
}

func TestQueue_List(t *testing.T) {
	srv := queueServer(t, queueStore(t))
	for _, tc := range []struct {
		name, query string
		want        []string
	}{
		{"all, oldest first", "", allIDs},
		{"dead, dropped included", "?state=dead", []string{deadSF, deadTimeout, deadHubSpot, dropped}},
		{"upstream", "?upstream=hubspot", []string{deadHubSpot, pendingBin}},
		{"state and upstream", "?state=pending&upstream=sf", []string{pendingJSON}},
		{"record key", "?record_key=Contact/003A6", []string{pendingJSON}},
		{"after", "?after=" + inflight, []string{pendingBin}},
		{"nothing", "?upstream=zoho", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, v := do(t, srv, "GET", "/api/v1/queue"+tc.query, "")
			if status != 200 {
				t.Fatalf("status %d: %v", status, v)
			}
			if got := ids(v); !slices.Equal(got, tc.want) {
				t.Errorf("ids = %v; want %v", got, tc.want)
			}
			if v["next"] != "" {
				t.Errorf("next = %q; want empty on the only page", v["next"])
			}
		})
	}
}

func TestQueue_ListEntryShape(t *testing.T) {
	srv := queueServer(t, queueStore(t))
	status, raw := doRaw(t, srv, "GET", "/api/v1/queue", "", token)
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	if s := string(raw); strings.Contains(s, "sealed") || strings.Contains(s, "headers") || strings.Contains(s, "body") {
		t.Errorf("a listing shows sealed, headers or body:\n%s", s)
	}
	var v struct{ Entries []map[string]any }
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	first := v.Entries[0]
	want := map[string]any{
		"id": deadSF, "call_id": deadSF, "upstream": "sf", "method": "PATCH",
		"path": "/services/data/v59.0/sobjects/Contact/003A1", "record_key": "", "state": "dead",
		"attempts": 50.0, "created_at": "2026-11-23T11:00:00.000Z", "last_class": "unavailable",
		"last_status": 503.0, "last_error": "Service Unavailable", "dead_reason": "gave up after 50 attempts",
		"dead_at": "2026-11-23T11:59:00.000Z",
	}
	for k, w := range want {
		if first[k] != w {
			t.Errorf("%s = %#v; want %#v", k, first[k], w)
		}
	}
	for _, k := range []string{"idempotency_key", "delivered_at", "next_at"} {
		if _, ok := first[k]; ok {
			t.Errorf("%s = %v; want it left out when empty", k, first[k])
		}
	}
	// An entry that never failed has no last_*; a delivered one its time.
	for _, e := range v.Entries {
		switch e["id"] {
		case pendingJSON:
			if _, ok := e["last_class"]; ok || e["idempotency_key"] != "idem-A6" {
				t.Errorf("pending entry %v: want no last_class and idempotency_key idem-A6", e)
			}
		case delivered:
			if e["delivered_at"] != "2026-11-23T11:30:00.000Z" {
				t.Errorf("delivered_at = %v", e["delivered_at"])
			}
		}
	}
}

func TestQueue_ListPages(t *testing.T) {
	srv := queueServer(t, queueStore(t))
	for _, limit := range []int{1, 3, 7, 8, 1000} {
		t.Run(fmt.Sprint("limit ", limit), func(t *testing.T) {
			var got []string
			after := ""
			for range 20 {
				status, v := do(t, srv, "GET", fmt.Sprintf("/api/v1/queue?limit=%d&after=%s", limit, after), "")
				if status != 200 {
					t.Fatalf("status %d: %v", status, v)
				}
				page := ids(v)
				if len(page) > limit {
					t.Fatalf("page of %d; limit %d", len(page), limit)
				}
				got = append(got, page...)
				if after = v["next"].(string); after == "" {
					break
				}
				if after != page[len(page)-1] {
					t.Errorf("next = %s; want the page's last id %s", after, page[len(page)-1])
				}
			}
			if !slices.Equal(got, allIDs) {
				t.Errorf("pages gave %v; want %v", got, allIDs)
			}
		})
	}
}

func TestQueue_BadParameters(t *testing.T) {
	srv := queueServer(t, queueStore(t))
	for _, tc := range []struct{ method, path, body, detail string }{
		{"GET", "/api/v1/queue?state=failed", "", "pending, inflight, delivered or dead"},
		{"GET", "/api/v1/queue?limit=0", "", "limit"},
		{"GET", "/api/v1/queue?limit=1001", "", "limit"},
		{"POST", "/api/v1/queue/replay", `{}`, "nothing selected"},
		{"POST", "/api/v1/queue/replay", ``, "empty"},
		{"POST", "/api/v1/queue/replay", `{"upsteam": "sf"}`, `unknown field "upsteam"`},
		{"POST", "/api/v1/queue/replay", `{"state": "pending", "upstream": "sf"}`, "only dead entries"},
		{"POST", "/api/v1/queue/replay", `{"upstream": "sf"} {"all": true}`, "more than one"},
		{"POST", "/api/v1/queue/" + pendingJSON + "/drop", ``, "empty"},
		{"POST", "/api/v1/queue/" + pendingJSON + "/drop", `{"reason": "  "}`, "reason: required"},
		{"POST", "/api/v1/queue/" + pendingJSON + "/drop", `{"reason": "` + strings.Repeat("é", 501) + `"}`, "501 characters"},
	} {
		status, v := do(t, srv, tc.method, tc.path, tc.body)
		if status != 400 || !strings.Contains(fmt.Sprint(v["detail"]), tc.detail) {
			t.Errorf("%s %s %s: %d %v; want 400 mentioning %q", tc.method, tc.path, tc.body, status, v["detail"], tc.detail)
		}
	}
	status, v := do(t, srv, "GET", "/api/v1/queue/"+pendingJSON, "")
	if status != 200 || v["state"] != "pending" {
		t.Errorf("after the bad requests the pending entry is %v; want it unchanged", v)
	}
}

func TestQueue_Show(t *testing.T) {
	srv := queueServer(t, queueStore(t))
	status, v := do(t, srv, "GET", "/api/v1/queue/"+pendingJSON, "")
	if status != 200 {
		t.Fatalf("status %d: %v", status, v)
	}
	h, ok := v["headers"].(map[string]any)
	if !ok || fmt.Sprint(h["Content-Type"]) != "[application/json]" {
		t.Errorf("headers = %#v; want the stored object", v["headers"])
	}
	if v["body"] != `{"LastName":"Müller"}` || v["body_base64"] != nil || v["next_at"] != "2026-11-23T13:00:00.000Z" {
		t.Errorf("body %#v, body_base64 %v, next_at %v; want the text, no flag, 13:00", v["body"], v["body_base64"], v["next_at"])
	}
	for k := range v {
		if strings.Contains(k, "seal") {
			t.Errorf("entry shows %s", k)
		}
	}

	_, v = do(t, srv, "GET", "/api/v1/queue/"+pendingBin, "")
	if v["body"] != "//4AAQ==" || v["body_base64"] != true {
		t.Errorf("binary body = %v, body_base64 %v; want //4AAQ== and true", v["body"], v["body_base64"])
	}
	// Delivery cleared the body and headers.
	_, v = do(t, srv, "GET", "/api/v1/queue/"+delivered, "")
	if _, ok := v["body"]; ok || v["headers"] != nil || v["state"] != "delivered" {
		t.Errorf("delivered entry = %v; want no body or headers", v)
	}

	status, v = do(t, srv, "GET", "/api/v1/queue/01KQ00000000000000000000ZZ", "")
	if status != 404 || !strings.Contains(fmt.Sprint(v["detail"]), "01KQ00000000000000000000ZZ") {
		t.Errorf("unknown entry: %d %v; want 404 naming it", status, v)
	}
}

func TestQueue_ReplayOne(t *testing.T) {
	db := queueStore(t)
	srv := queueServer(t, db)
	status, v := do(t, srv, "POST", "/api/v1/queue/"+deadSF+"/replay", "")
	if status != 200 || v["state"] != "pending" || v["attempts"] != 0.0 || v["dead_reason"] != nil || v["dead_at"] != nil {
		t.Errorf("replay dead: %d %v; want 200, pending, 0 attempts, no dead_reason", status, v)
	}
	e, err := db.GetEntry(t.Context(), deadSF)
	if err != nil || e.State != outbox.Pending || !e.NextAt.Equal(now) {
		t.Errorf("stored after replay: %+v, %v; want pending, due now", e, err)
	}

	for _, tc := range []struct {
		id     string
		status int
		detail string
	}{
		{deadSF, 409, "it is pending, not dead"}, // replayed just now
		{inflight, 409, "it is inflight, not dead"},
		{delivered, 409, "a second time"},
		{"01KQ00000000000000000000ZZ", 404, "no queue entry"},
	} {
		status, v := do(t, srv, "POST", "/api/v1/queue/"+tc.id+"/replay", "")
		if status != tc.status || !strings.Contains(fmt.Sprint(v["detail"]), tc.detail) {
			t.Errorf("replay %s: %d %v; want %d mentioning %q", tc.id, status, v["detail"], tc.status, tc.detail)
		}
	}
}

func TestQueue_ReplayMany(t *testing.T) {
	for _, tc := range []struct {
		name     string
		body     string
		replayed []string
		skipped  map[string]string // id → part of the reason
	}{
		{
			name: "upstream", body: `{"upstream": "sf"}`,
			replayed: []string{deadSF, deadTimeout},
			skipped:  map[string]string{dropped: "dropped by an operator"},
		},
		{
			name: "upstream and state", body: `{"state": "dead", "upstream": "sf", "include_dropped": true}`,
			replayed: []string{deadSF, deadTimeout, dropped},
		},
		{
			name: "reason, any case", body: `{"upstream": "sf", "reason_contains": "TIMEOUT"}`,
			replayed: []string{deadTimeout},
		},
		{
			name: "all", body: `{"all": true}`,
			replayed: []string{deadSF, deadTimeout, deadHubSpot},
			skipped:  map[string]string{dropped: "dropped"},
		},
		{
			name: "ids", body: fmt.Sprintf(`{"ids": [%q, %q, %q, %q, %q, %q]}`, deadHubSpot, dropped, pendingJSON, delivered, "nope", deadHubSpot),
			replayed: []string{deadHubSpot, dropped},
			skipped:  map[string]string{pendingJSON: "state is pending, not dead", delivered: "state is delivered", "nope": "not found"},
		},
		{
			name: "ids of one upstream", body: fmt.Sprintf(`{"ids": [%q, %q], "upstream": "sf"}`, deadSF, deadHubSpot),
			replayed: []string{deadSF},
			skipped:  map[string]string{deadHubSpot: `upstream is "hubspot", not "sf"`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := queueStore(t)
			srv := queueServer(t, db)
			status, v := do(t, srv, "POST", "/api/v1/queue/replay", tc.body)
			if status != 200 {
				t.Fatalf("status %d: %v", status, v)
			}
			if v["replayed"] != float64(len(tc.replayed)) {
				t.Errorf("replayed = %v; want %d", v["replayed"], len(tc.replayed))
			}
			skipped := map[string]string{}
			for _, s := range v["skipped"].([]any) {
				m := s.(map[string]any)
				skipped[m["id"].(string)] = m["reason"].(string)
			}
			if len(skipped) != len(tc.skipped) {
				t.Errorf("skipped = %v; want %v", skipped, tc.skipped)
			}
			for id, want := range tc.skipped {
				if !strings.Contains(skipped[id], want) {
					t.Errorf("skipped[%s] = %q; want it to mention %q", id, skipped[id], want)
				}
			}
			for _, id := range allIDs {
				e, err := db.GetEntry(t.Context(), id)
				if err != nil {
					t.Fatal(err)
				}
				wasDead := slices.Contains([]string{deadSF, deadTimeout, deadHubSpot, dropped}, id)
				switch {
				case slices.Contains(tc.replayed, id) && e.State != outbox.Pending:
					t.Errorf("%s is %s; want replayed (pending)", id, e.State)
				case !slices.Contains(tc.replayed, id) && wasDead && e.State != outbox.Dead:
					t.Errorf("%s is %s; want it left dead", id, e.State)
				}
			}
		})
	}
}

func TestQueue_Drop(t *testing.T) {
	db := queueStore(t)
	srv := queueServer(t, db)
	status, v := do(t, srv, "POST", "/api/v1/queue/"+inflight+"/drop", `{"reason": " sent by hand, ticket 4711 "}`)
	if status != 200 || v["state"] != "dead" || v["dead_reason"] != outbox.DropPrefix+"sent by hand, ticket 4711" || v["dead_at"] != "2026-11-23T12:00:00.000Z" {
		t.Errorf("drop inflight: %d %v; want 200, dead, the trimmed reason after the drop prefix", status, v)
	}
	// The worker that was sending it can no longer deliver it.
	if err := db.Ack(t.Context(), inflight, "test-"+inflight, now); err == nil {
		t.Error("Ack of a dropped entry succeeded; want the lease lost")
	}
	if status, _ := do(t, srv, "POST", "/api/v1/queue/"+pendingJSON+"/drop", `{"reason": "`+strings.Repeat("x", 500)+`"}`); status != 200 {
		t.Errorf("drop with a 500-character reason: %d; want 200", status)
	}
	for _, tc := range []struct {
		id     string
		status int
		detail string
	}{
		{delivered, 409, "nothing left to drop"},
		{"01KQ00000000000000000000ZZ", 404, "no queue entry"},
	} {
		status, v := do(t, srv, "POST", "/api/v1/queue/"+tc.id+"/drop", `{"reason": "r"}`)
		if status != tc.status || !strings.Contains(fmt.Sprint(v["detail"]), tc.detail) {
			t.Errorf("drop %s: %d %v; want %d mentioning %q", tc.id, status, v["detail"], tc.status, tc.detail)
		}
	}
}

func TestQueue_Stats(t *testing.T) {
	srv := queueServer(t, queueStore(t))
	status, raw := doRaw(t, srv, "GET", "/api/v1/queue/stats", "", token)
	if status != 200 {
		t.Fatalf("status %d: %s", status, raw)
	}
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"pending": 2.0, "inflight": 1.0, "depth": 3.0, "dead": 4.0, "delivered": 1.0, "oldest_age_seconds": 3600.0}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("stats = %v; want %v", got, want)
	}
}

// TestQueue_TimesHaveMilliseconds guards the documented time format.
func TestQueue_TimesHaveMilliseconds(t *testing.T) {
	srv := queueServer(t, queueStore(t))
	_, raw := doRaw(t, srv, "GET", "/api/v1/queue", "", token)
	stamps := regexp.MustCompile(`"(\w+_at)": "([^"]*)"`).FindAllStringSubmatch(string(raw), -1)
	if len(stamps) == 0 {
		t.Fatal("no times in the listing")
	}
	for _, m := range stamps {
		if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`).MatchString(m[2]) {
			t.Errorf("%s = %s; want RFC 3339 UTC with milliseconds", m[1], m[2])
		}
	}
}

// TestQueue_ListFullPage covers a page of the store's largest size, where
// the store cannot return one entry more to show that others follow.
func TestQueue_ListFullPage(t *testing.T) {
	db, err := store.Open(t.Context(), "sqlite://"+filepath.Join(t.TempDir(), "crmguard.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for i := range 1001 {
		id := fmt.Sprintf("01KQ000000000000000000%04d", i)
		if err := db.Enqueue(t.Context(), outbox.Entry{ID: id, Upstream: "sf", Method: "POST", Path: "/x", CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	srv := queueServer(t, db)
	_, v := do(t, srv, "GET", "/api/v1/queue?limit=1000", "")
	if page := ids(v); len(page) != 1000 || v["next"] != page[999] {
		t.Fatalf("first page: %d entries, next %v; want 1000 and the last one's id", len(page), v["next"])
	}
	_, v = do(t, srv, "GET", "/api/v1/queue?limit=1000&after="+v["next"].(string), "")
	if page := ids(v); len(page) != 1 || v["next"] != "" {
		t.Errorf("second page: %v, next %v; want the last entry and no next", page, v["next"])
	}
}
