package admin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/call"
	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/incident"
	"github.com/crmguard/crmguard/internal/quantile"
	"github.com/crmguard/crmguard/internal/rollup"
)

// memStore serves fixed data and remembers the last queries it got.
type memStore struct {
	calls     []*call.Call
	lastQuery call.Query
	incidents []incident.Incident
	resolved  string
	rows      []rollup.Row
	since     time.Time
}

func (m *memStore) ListCalls(_ context.Context, q call.Query) ([]*call.Call, call.ID, error) {
	m.lastQuery = q
	return m.calls, "01M84937JW7P9ZDDG002KS3ZZZ", nil
}

func (m *memStore) GetCall(_ context.Context, id call.ID) (*call.Call, error) {
	for _, c := range m.calls {
		if c.ID == id {
			return c, nil
		}
	}
	return nil, call.ErrNotFound
}

func (m *memStore) ListIncidents(context.Context, incident.Query) ([]incident.Incident, error) {
	return m.incidents, nil
}

func (m *memStore) GetIncident(_ context.Context, fp string) (incident.Incident, error) {
	for _, in := range m.incidents {
		if in.Fingerprint == fp {
			return in, nil
		}
	}
	return incident.Incident{}, incident.ErrNotFound
}

func (m *memStore) ResolveIncident(_ context.Context, fp string, _ time.Time) error {
	if _, err := m.GetIncident(context.Background(), fp); err != nil {
		return err
	}
	m.resolved = fp
	return nil
}

func (m *memStore) Rollups(_ context.Context, since, _ time.Time) ([]rollup.Row, error) {
	m.since = since
	return m.rows, nil
}

const tok = "0123456789abcdef0123"

func serve(t *testing.T, s *memStore, method, target, token string) (*http.Response, map[string]any) {
	t.Helper()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	h := New(Options{Token: tok, Store: s, Now: func() time.Time { return now }, Ready: func(context.Context) error { return errors.New("store down") }})
	req := httptest.NewRequest(method, target, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var body map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &body)
	return rec.Result(), body
}

func TestAdmin_RequiresToken(t *testing.T) {
	for _, token := range []string{"", "wrong-token-wrong-token", strings.ToUpper(tok)} {
		resp, _ := serve(t, &memStore{}, "GET", "/api/v1/calls", token)
		if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("token %q: status %d; want 401 with WWW-Authenticate", token, resp.StatusCode)
		}
	}
	if resp, _ := serve(t, &memStore{}, "GET", "/api/v1/calls", tok); resp.StatusCode != 200 {
		t.Errorf("right token: %d; want 200", resp.StatusCode)
	}
	if resp, _ := serve(t, &memStore{}, "GET", "/healthz", ""); resp.StatusCode != 200 {
		t.Errorf("/healthz: %d; want 200 without a token", resp.StatusCode)
	}
	if resp, _ := serve(t, &memStore{}, "GET", "/readyz", ""); resp.StatusCode != 503 {
		t.Errorf("/readyz with the store down: %d; want 503", resp.StatusCode)
	}
}

func TestAdmin_ListCallsParsesFilters(t *testing.T) {
	s := &memStore{calls: []*call.Call{{ID: "01M84937JW7P9ZDDG002KS4001", Upstream: "sf", Class: fault.Auth, Latency: 1500 * time.Microsecond, RequestSample: "secret-ish"}}}
	resp, body := serve(t, s, "GET", "/api/v1/calls?upstream=sf&class=auth&operation=/q&since=15m&until=2026-11-23T11:59:00Z&limit=5&cursor=01M84937JW7P9ZDDG002KS4002", tok)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %v", resp.StatusCode, body)
	}
	q := s.lastQuery
	if q.Upstream != "sf" || q.Class == nil || *q.Class != fault.Auth || q.Operation != "/q" || q.Limit != 5 ||
		!q.Since.Equal(time.Date(2026, 11, 23, 11, 45, 0, 0, time.UTC)) ||
		!q.Until.Equal(time.Date(2026, 11, 23, 11, 59, 0, 0, time.UTC)) || q.Before != "01M84937JW7P9ZDDG002KS4002" {
		t.Errorf("query = %+v", q)
	}
	calls := body["calls"].([]any)
	first := calls[0].(map[string]any)
	if first["class"] != "auth" || first["latency_ms"] != 1.5 || first["request_sample"] != nil || body["next_cursor"] == nil {
		t.Errorf("answer = %v", body)
	}
}

func TestAdmin_BadParameters(t *testing.T) {
	for _, target := range []string{
		"/api/v1/calls?class=quota",
		"/api/v1/calls?since=yesterday",
		"/api/v1/calls?limit=0",
		"/api/v1/calls?limit=5000",
		"/api/v1/calls?cursor=abc",
		"/api/v1/calls/not-an-id",
		"/api/v1/incidents?state=closed",
		"/api/v1/stats?since=-5m",
	} {
		resp, body := serve(t, &memStore{}, "GET", target, tok)
		if resp.StatusCode != 400 || body["detail"] == "" || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %d %v; want 400 problem with a detail", target, resp.StatusCode, body)
		}
	}
}

func TestAdmin_NotFound(t *testing.T) {
	for _, target := range []string{"/api/v1/calls/01M84937JW7P9ZDDG002KS4001", "/api/v1/incidents/abc", "/api/v1/nothing"} {
		if resp, _ := serve(t, &memStore{}, "GET", target, tok); resp.StatusCode != 404 {
			t.Errorf("%s: %d; want 404", target, resp.StatusCode)
		}
	}
}

func TestAdmin_ResolveIncident(t *testing.T) {
	s := &memStore{
		incidents: []incident.Incident{{Fingerprint: "fp1", Class: fault.Server, State: incident.Open, Message: `Invalid field "…"`, SampleCalls: []string{"01M84937JW7P9ZDDG002KS4001"}}},
		calls:     []*call.Call{{ID: "01M84937JW7P9ZDDG002KS4001", Message: `Invalid field "Loyalty__c"`}},
	}
	resp, body := serve(t, s, "POST", "/api/v1/incidents/fp1/resolve", tok)
	if resp.StatusCode != 200 || s.resolved != "fp1" || body["fingerprint"] != "fp1" || body["latest_message"] != `Invalid field "Loyalty__c"` {
		t.Errorf("resolve: %d %v (resolved %q)", resp.StatusCode, body, s.resolved)
	}
	if resp, _ := serve(t, s, "POST", "/api/v1/incidents/nope/resolve", tok); resp.StatusCode != 404 {
		t.Errorf("resolve unknown: %d; want 404", resp.StatusCode)
	}
}

func TestAdmin_Stats(t *testing.T) {
	sk := &quantile.Sketch{}
	for i := 1; i <= 100; i++ {
		sk.Add(time.Duration(i) * time.Millisecond)
	}
	minute := time.Date(2026, 11, 23, 11, 50, 0, 0, time.UTC)
	s := &memStore{rows: []rollup.Row{
		{Minute: minute, Upstream: "sf", Class: fault.OK, Calls: 90, LatencySum: 90 * 50 * time.Millisecond, LatencyMax: 100 * time.Millisecond, Latency: sk},
		{Minute: minute, Upstream: "sf", Class: fault.Timeout, Calls: 10, LatencySum: 10 * 50 * time.Millisecond, LatencyMax: 100 * time.Millisecond},
	}}
	resp, body := serve(t, s, "GET", "/api/v1/stats?since=30m", tok)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if !s.since.Equal(time.Date(2026, 11, 23, 11, 30, 0, 0, time.UTC)) {
		t.Errorf("rollups read since %v; want 11:30", s.since)
	}
	up := body["upstreams"].([]any)[0].(map[string]any)
	lat := up["latency_ms"].(map[string]any)
	if up["calls"] != 100.0 || up["failed"] != 10.0 || up["error_rate"] != 0.1 ||
		up["classes"].(map[string]any)["timeout"] != 10.0 || lat["mean"] != 50.0 {
		t.Errorf("stats = %v", up)
	}
	if p95 := lat["p95"].(float64); p95 < 93 || p95 > 97 {
		t.Errorf("p95 = %v ms; want about 95", p95)
	}
}
