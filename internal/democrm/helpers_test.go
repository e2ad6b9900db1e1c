package democrm

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a manual clock for deterministic schedules.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, time.March, 2, 10, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// startTest serves a new server over loopback HTTP for the test's lifetime.
func startTest(t *testing.T, opts Options) (*Server, string) {
	t.Helper()
	s := New(opts)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts.URL
}

// reply is a response read in full.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into v, failing the test on error.
func (r reply) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %d body %q: %v", r.status, r.body, err)
	}
}

// send makes one request with a fresh connection, so that a connection cut
// by a fault never affects the next request.
func send(t *testing.T, base, method, path, body string, header http.Header) reply {
	t.Helper()
	r, err := trySend(base, method, path, body, header)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

func trySend(base, method, path, body string, header http.Header) (reply, error) {
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		return reply{}, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != "" && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{status: resp.StatusCode, header: resp.Header}, err
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// sfErrors decodes a Salesforce error array.
func sfErrors(t *testing.T, r reply) []struct {
	Message   string   `json:"message"`
	ErrorCode string   `json:"errorCode"`
	Fields    []string `json:"fields"`
} {
	t.Helper()
	var errs []struct {
		Message   string   `json:"message"`
		ErrorCode string   `json:"errorCode"`
		Fields    []string `json:"fields"`
	}
	r.json(t, &errs)
	if len(errs) != 1 {
		t.Fatalf("got %d Salesforce errors in %s; want 1", len(errs), r.body)
	}
	return errs
}

// rpc builds an Odoo JSON-RPC execute_kw body.
func rpc(method, args, kwargs string) string {
	return `{"jsonrpc":"2.0","method":"call","params":{"service":"object","method":"execute_kw","args":["demo",2,"admin","res.partner","` +
		method + `",` + args + `,` + kwargs + `]},"id":7}`
}

// odooReply is a JSON-RPC response.
type odooReply struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  json.RawMessage `json:"result"`
	Error   *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Data    struct {
			Name    string `json:"name"`
			Message string `json:"message"`
			Debug   string `json:"debug"`
		} `json:"data"`
	} `json:"error"`
}

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }
