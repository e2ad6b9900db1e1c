package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/notify"
)

// request is what the test receiver saw of one POST.
type request struct {
	method, host, path, query string
	header                    http.Header
	body                      []byte
}

// receiver starts a loopback HTTP server that records every request and
// answers with status and answer.
func receiver(t *testing.T, status int, answer string) (*httptest.Server, func() []request) {
	t.Helper()
	var (
		mu   sync.Mutex
		reqs []request
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		reqs = append(reqs, request{r.Method, r.Host, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), b})
		mu.Unlock()
		w.WriteHeader(status)
		io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []request {
		mu.Lock()
		defer mu.Unlock()
		return append([]request(nil), reqs...)
	}
}

func message() notify.Message {
	start := time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)
	return notify.Message{
		Notifier: "ops", Kind: notify.Fire, Status: notify.Firing,
		Group:       "sf-auth-failures{upstream=sf}",
		GroupLabels: map[string]string{"alertname": "sf-auth-failures", "upstream": "sf"},
		Summary:     "sf-auth-failures firing: upstream=sf",
		Alerts: []notify.Alert{{
			ID: "a1", Rule: "sf-auth-failures", Status: notify.Firing, Severity: "critical",
			Labels:      map[string]string{"alertname": "sf-auth-failures", "severity": "critical", "upstream": "sf", "class": "auth"},
			Annotations: map[string]string{"summary": `Salesforce refused 42% of calls ("INVALID_SESSION_ID")`},
			Value:       0.42, StartsAt: start, URL: "http://127.0.0.1:8080/admin/alerts/a1",
		}},
		SentAt: start.Add(30 * time.Second),
	}
}

func TestNotify_DefaultBodyIsTheMessage(t *testing.T) {
	srv, got := receiver(t, http.StatusOK, "")
	n, err := New(Options{URL: srv.URL + "/hook?token=abc", Headers: map[string]string{"authorization": "Bearer t0k", "Host": "hooks.crmguard.test"}})
	if err != nil {
		t.Fatal(err)
	}
	m := message()
	if err := n.Notify(context.Background(), m); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	reqs := got()
	if len(reqs) != 1 {
		t.Fatalf("got %d requests; want 1", len(reqs))
	}
	r := reqs[0]
	if r.method != http.MethodPost || r.path != "/hook" || r.query != "token=abc" {
		t.Errorf("got %s %s?%s; want POST /hook?token=abc", r.method, r.path, r.query)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("got Content-Type %q; want application/json", ct)
	}
	if r.host != "hooks.crmguard.test" {
		t.Errorf("got Host %q; want the configured hooks.crmguard.test", r.host)
	}
	if a := r.header.Get("Authorization"); a != "Bearer t0k" {
		t.Errorf("got Authorization %q; want the configured header", a)
	}
	want, _ := json.Marshal(m)
	if string(r.body) != string(want) {
		t.Errorf("got body\n%s\nwant\n%s", r.body, want)
	}
	var back notify.Message
	if err := json.Unmarshal(r.body, &back); err != nil || back.Alerts[0].Value != 0.42 {
		t.Errorf("body does not decode back to the message: %v, %+v", err, back)
	}
}

func TestNotify_Template(t *testing.T) {
	tests := []struct {
		name     string
		template string
		headers  map[string]string
		want     string
	}{
		{
			name:     "json helper quotes strings",
			template: `{"text": {{json .Summary}}, "status": {{json (upper .Status)}}, "n": {{len .Alerts}}}`,
			want:     `{"text": "sf-auth-failures firing: upstream=sf", "status": "FIRING", "n": 1}`,
		},
		{
			name:     "pairs, join and missing labels",
			template: `[{{range $i, $a := .Alerts}}{{if $i}},{{end}}{"on": {{json (pairs .Labels | join ",")}}, "team": {{json .Labels.team}}, "summary": {{json .Annotations.summary}}}{{end}}]`,
			want:     `[{"on": "alertname=sf-auth-failures,class=auth,severity=critical,upstream=sf", "team": "", "summary": "Salesforce refused 42% of calls (\"INVALID_SESSION_ID\")"}]`,
		},
		{
			name:     "plain text with its own content type",
			template: `{{lower .Status}}: {{.Summary}}`,
			headers:  map[string]string{"Content-Type": "text/plain; charset=utf-8"},
			want:     `firing: sf-auth-failures firing: upstream=sf`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, got := receiver(t, http.StatusNoContent, "")
			n, err := New(Options{URL: srv.URL, Template: tc.template, Headers: tc.headers})
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if err := n.Notify(context.Background(), message()); err != nil {
				t.Fatalf("Notify: %v", err)
			}
			reqs := got()
			if len(reqs) != 1 {
				t.Fatalf("got %d requests; want 1", len(reqs))
			}
			if string(reqs[0].body) != tc.want {
				t.Errorf("got body\n%s\nwant\n%s", reqs[0].body, tc.want)
			}
			wantCT := "application/json"
			if ct := tc.headers["Content-Type"]; ct != "" {
				wantCT = ct
			}
			if ct := reqs[0].header.Get("Content-Type"); ct != wantCT {
				t.Errorf("got Content-Type %q; want %q", ct, wantCT)
			}
		})
	}
}

func TestNotify_Non2xxIsAnError(t *testing.T) {
	answer := `{"error":"invalid_payload","detail":"` + strings.Repeat("x", 400) + `"}`
	srv, got := receiver(t, http.StatusBadRequest, answer)
	n, err := New(Options{URL: srv.URL + "/services/T0/B0/SECRETPATH"})
	if err != nil {
		t.Fatal(err)
	}
	err = n.Notify(context.Background(), message())
	if err == nil {
		t.Fatal("Notify succeeded against a 400; want an error")
	}
	var se *StatusError
	if !errors.As(err, &se) || se.StatusCode != http.StatusBadRequest {
		t.Fatalf("got %v; want a *StatusError with status 400", err)
	}
	msg := err.Error()
	for _, want := range []string{"400 Bad Request", `{"error":"invalid_payload"`, "…"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "SECRETPATH") {
		t.Errorf("error %q reveals the URL's path", msg)
	}
	if len(se.Answer) > maxExcerpt+len("…") {
		t.Errorf("quoted answer is %d bytes; want at most about %d", len(se.Answer), maxExcerpt)
	}
	if len(got()) != 1 {
		t.Errorf("got %d requests; want 1 (the notifier does not retry itself)", len(got()))
	}
}

func TestNotify_TransportErrorHidesURL(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/hooks/SECRETKEY?sig=SECRETSIG"
	srv.Close() // nothing listens any more
	n, err := New(Options{URL: url, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = n.Notify(context.Background(), message())
	if err == nil {
		t.Fatal("Notify succeeded with no server; want an error")
	}
	if strings.Contains(err.Error(), "SECRET") {
		t.Errorf("error %q reveals the URL's secret", err)
	}
	if !strings.Contains(err.Error(), strings.TrimPrefix(srv.URL, "http://")) {
		t.Errorf("error %q does not name the host", err)
	}
}

func TestNotify_Timeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	n, err := New(Options{URL: srv.URL, Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = n.Notify(context.Background(), message())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v; want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Notify took %s; want about the 100ms timeout", d)
	}
}

func TestNew_Refuses(t *testing.T) {
	tests := []struct {
		name    string
		o       Options
		wantErr string
	}{
		{name: "no url", o: Options{}, wantErr: "webhook: url: is empty"},
		{name: "ftp url", o: Options{URL: "ftp://127.0.0.1/x"}, wantErr: `scheme "ftp" is not supported`},
		{name: "relative url", o: Options{URL: "/hook"}, wantErr: `scheme "" is not supported`},
		{name: "bad header name", o: Options{URL: "http://127.0.0.1/", Headers: map[string]string{"X Bad": "v"}}, wantErr: `header name "X Bad"`},
		{name: "header value with newline", o: Options{URL: "http://127.0.0.1/", Headers: map[string]string{"X-A": "v\r\nX-B: w"}}, wantErr: "line break"},
		{name: "negative timeout", o: Options{URL: "http://127.0.0.1/", Timeout: -time.Second}, wantErr: "is negative"},
		{name: "template syntax", o: Options{URL: "http://127.0.0.1/", Template: `{"text": {{json .Summary}`}, wantErr: "webhook: template: parsing the template: template: body:1: bad character U+007D '}'"},
		{name: "template unknown field", o: Options{URL: "http://127.0.0.1/", Template: `{{json .Alert}}`}, wantErr: "can't evaluate field Alert"},
		{name: "template unknown function", o: Options{URL: "http://127.0.0.1/", Template: `{{toJSON .}}`}, wantErr: `function "toJSON" not defined`},
		{name: "template breaks JSON with several alerts", o: Options{URL: "http://127.0.0.1/", Template: `{{range .Alerts}}{"id": {{json .ID}}}{{end}}`}, wantErr: "does not render JSON"},
		{name: "template breaks JSON on quotes", o: Options{URL: "http://127.0.0.1/", Template: `{"text": "{{.Summary}}"}`}, wantErr: "does not render JSON for a sample message (insert strings with {{json .Summary}}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := New(tc.o)
			if err == nil {
				t.Fatalf("New returned %v and no error; want an error containing %q", n, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("got error %q; want it to contain %q", err, tc.wantErr)
			}
		})
	}
}

func TestNotify_TemplateRenderingNonJSONIsRefused(t *testing.T) {
	// Passes the sample check (the sample's labels are plain) but breaks
	// JSON on a real label holding a quote.
	srv, got := receiver(t, http.StatusOK, "")
	n, err := New(Options{URL: srv.URL, Template: `{"upstream": "{{.GroupLabels.upstream}}"}`})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	m := message()
	m.GroupLabels["upstream"] = `s"f`
	err = n.Notify(context.Background(), m)
	if err == nil || !strings.Contains(err.Error(), "not JSON") {
		t.Fatalf("got %v; want an error saying the body is not JSON", err)
	}
	if len(got()) != 0 {
		t.Errorf("got %d requests; want none: a broken body is not sent", len(got()))
	}
}

func TestExcerpt(t *testing.T) {
	tests := []struct {
		name string
		in   string
		n    int
		want string
	}{
		{name: "short", in: "ok", n: 10, want: "ok"},
		{name: "control characters and runs of space", in: "a\r\n\tb   c\x00d", n: 50, want: "a b c d"},
		{name: "cut", in: "abcdefgh", n: 4, want: "abcd…"},
		{name: "invalid utf-8", in: "a\xffb", n: 10, want: "a b"},
		{name: "leading space", in: "\n  x", n: 10, want: "x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := excerpt([]byte(tc.in), tc.n); got != tc.want {
				t.Errorf("excerpt(%q, %d) = %q; want %q", tc.in, tc.n, got, tc.want)
			}
		})
	}
}
