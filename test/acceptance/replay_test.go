package acceptance

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
)

// replayed is one real CRM response from testdata/replay.json: a corpus
// collected from public issue threads, SDK fixtures and vendor examples,
// kept apart from the material the dialects were written from, so it
// measures how crmguard does on responses it has never seen.
type replayed struct {
	ID         string            `json:"id"`
	Dialect    string            `json:"dialect"`
	Method     string            `json:"method"`
	Path       string            `json:"path"`
	Status     int               `json:"status"`
	Headers    map[string]string `json:"headers"`
	Body       json.RawMessage   `json:"body"`
	Class      string            `json:"class"`
	VendorCode string            `json:"vendor_code"`
	Source     string            `json:"source"`
}

// bodyBytes returns the body as sent: a JSON string value is sent as its
// text (non-JSON bodies), anything else as JSON.
func (r replayed) bodyBytes() []byte {
	var s string
	if json.Unmarshal(r.Body, &s) == nil {
		return []byte(s)
	}
	if string(r.Body) == "null" {
		return nil
	}
	return r.Body
}

// TestReplay_NeverSeenResponses puts crmguard, configured as `crmguard
// serve` is, in front of servers that replay real CRM responses, and
// requires the Crmguard-Class header to be right for at least 90% of them.
//
// There are two corpora, each collected from public sources apart from the
// material the dialects were written from, and labelled by someone who did
// not read the dialects.
//
//   - replay.json (76 responses) came first: 82.9% right on first run. Its
//     misses led to rules for legacy HubSpot validation results, Zoho
//     privilege codes, SuiteCRM V8 database failures and Odoo argument
//     errors, so it is no longer unseen; it must stay at 90%.
//   - replay2.json (58 responses) came after those rules: 74.1% right on
//     first run, short of the 90% target. Its misses showed general bugs
//     (every unread Pipedrive success was unknown; OAuth errors inside HTTP
//     200; Zoho entries under keys other than data; Dataverse batch parts),
//     fixed for all CRMs, which brought it to 86.2%. Its floor guards that;
//     the rest are labelling calls (a 404 for an unknown object type as
//     parameter rather than not_found) the dialects were not bent to.
//   - replay3.json (17 error responses) came after every change above and
//     has changed nothing: 17 of 17 right on first run. It holds the 90%
//     target on responses crmguard had truly never seen, if on a small set.
func TestReplay_NeverSeenResponses(t *testing.T) {
	for _, c := range []struct {
		file  string
		floor float64
	}{
		{"testdata/replay.json", 0.90},
		{"testdata/replay2.json", 0.85},
		{"testdata/replay3.json", 0.90},
	} {
		t.Run(strings.TrimSuffix(strings.TrimPrefix(c.file, "testdata/"), ".json"), func(t *testing.T) {
			replay(t, c.file, c.floor)
		})
	}
}

func replay(t *testing.T, file string, floor float64) {
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var corpus []replayed
	if err := json.Unmarshal(raw, &corpus); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if len(corpus) < 15 {
		t.Fatalf("corpus has %d responses; want at least 15", len(corpus))
	}
	// One replay server; entry i answers below /entries/i, which is also
	// upstream ri's base URL.
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest := strings.TrimPrefix(r.URL.Path, "/entries/")
		n, _, _ := strings.Cut(rest, "/")
		i, err := strconv.Atoi(n)
		if err != nil || i < 0 || i >= len(corpus) {
			http.Error(w, "no such entry", http.StatusTeapot)
			return
		}
		e := corpus[i]
		for k, v := range e.Headers {
			switch http.CanonicalHeaderKey(k) {
			case "Content-Length", "Connection", "Transfer-Encoding", "Keep-Alive":
				// Framing belongs to the original connection; the body
				// here is re-serialised and its length differs.
			default:
				w.Header().Set(k, v)
			}
		}
		w.WriteHeader(e.Status)
		_, _ = w.Write(e.bodyBytes())
	}))
	defer crm.Close()

	var cfg strings.Builder
	cfg.WriteString(`
listen: 127.0.0.1:0
admin:
  listen: 127.0.0.1:0
  token_env: CRMGUARD_ADMIN_TOKEN
store: sqlite://${DIR}/crmguard.db
upstreams:
`)
	for i, e := range corpus {
		fmt.Fprintf(&cfg, "  - name: r%d\n    url: %s/entries/%d\n    dialect: %s\n    timeout: 10s\n", i, crm.URL, i, e.Dialect)
	}
	in := start(t, cfg.String())

	right := 0
	perDialect := map[string][2]int{}
	for i, e := range corpus {
		var body io.Reader
		if e.Method != "GET" && e.Method != "HEAD" && e.Method != "DELETE" {
			body = strings.NewReader("{}")
		}
		req, _ := http.NewRequest(e.Method, fmt.Sprintf("%s/r%d%s", in.gateway, i, e.Path), body)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("%s: %v", e.ID, err)
			continue
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		got := resp.Header.Get("Crmguard-Class")
		d := perDialect[e.Dialect]
		d[1]++
		if got == e.Class {
			right++
			d[0]++
		} else {
			t.Logf("%-45s %s %3d: got %-12s want %-12s (%s)", e.ID, e.Dialect, e.Status, got, e.Class, e.Source)
		}
		perDialect[e.Dialect] = d
	}
	share := float64(right) / float64(len(corpus))
	for d, n := range perDialect {
		t.Logf("%-10s %d/%d", d, n[0], n[1])
	}
	t.Logf("Crmguard-Class right for %d of %d responses (%.1f%%)", right, len(corpus), share*100)
	if share < floor {
		t.Errorf("Crmguard-Class right for %.1f%% of %s; want at least %.0f%%", share*100, file, floor*100)
	}
}
