package contract

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/crmguard/crmguard/internal/call"
	"github.com/crmguard/crmguard/internal/fault"
)

func load(t testing.TB, path string, opts Options) *Spec {
	t.Helper()
	s, err := Load(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// want is the part of a finding a test pins down.
type want struct {
	class             fault.Class
	in, pointer, rule string
	sent, expected    string
}

func check(t *testing.T, got []call.Finding, wants []want) {
	t.Helper()
	if len(got) != len(wants) {
		t.Fatalf("got %d findings, want %d: %+v", len(got), len(wants), got)
	}
	for i, w := range wants {
		g := got[i]
		if g.Class != w.class || g.In != w.in || g.Pointer != w.pointer || g.Rule != w.rule {
			t.Errorf("finding %d = %s %s %s %s, want %s %s %s %s", i, g.Class, g.In, g.Pointer, g.Rule, w.class, w.in, w.pointer, w.rule)
		}
		if w.sent != "" && g.Sent != w.sent {
			t.Errorf("finding %d sent %q, want %q", i, g.Sent, w.sent)
		}
		if w.expected != "" && g.Expected != w.expected {
			t.Errorf("finding %d expected %q, want %q", i, g.Expected, w.expected)
		}
		if g.Message == "" {
			t.Errorf("finding %d has no message", i)
		}
	}
}

func TestRequest_SuiteCRM(t *testing.T) {
	s := load(t, "testdata/suitecrm-v8.json", Options{})
	const uuid = "86ee02b3-96d2-47b3-bd6d-9e1035daff3a"
	const jsonAPI = "application/vnd.api+json"
	for _, tc := range []struct {
		name, method, path, query, contentType, body string
		want                                         []want
	}{
		{name: "list", method: "GET", path: "/module/Contacts", query: "page[size]=10&page[number]=2"},
		{name: "list with server base", method: "GET", path: "/forkedSuite/Api/V8/module/Contacts"},
		{name: "get", method: "GET", path: "/module/Contacts/" + uuid},
		{name: "create", method: "POST", path: "/module", contentType: jsonAPI, body: `{"data":{"type":"Contacts","attributes":{"last_name":"Ng"}}}`},
		{name: "logout", method: "POST", path: "/logout"},
		{name: "page size not a number", method: "GET", path: "/module/Contacts", query: "page[size]=ten",
			want: []want{{fault.Parameter, "query", "page[size]", "type", "ten", "integer"}}},
		{name: "id not a uuid", method: "GET", path: "/module/Contacts/42",
			want: []want{{fault.Parameter, "path", "id", "format", "42", "format uuid"}}},
		{name: "unknown method", method: "PUT", path: "/module", contentType: jsonAPI, body: `{}`,
			want: []want{{fault.Parameter, "operation", "PUT /module", "unknown operation", "PUT", "one of PATCH, POST"}}},
		{name: "unknown path", method: "GET", path: "/modules/Contacts",
			want: []want{{fault.Parameter, "operation", "GET /modules/Contacts", "unknown operation", "", ""}}},
		{name: "wrong content type", method: "POST", path: "/module", contentType: "application/json", body: `{}`,
			want: []want{{fault.Parameter, "header", "Content-Type", "content type", "application/json", jsonAPI}}},
		{name: "broken json", method: "POST", path: "/module", contentType: jsonAPI, body: `{"data":`,
			want: []want{{fault.DataFormat, "body", "", "json", "", "a JSON document"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.contentType != "" {
				h.Set("Content-Type", tc.contentType)
			}
			var body []byte
			if tc.body != "" {
				body = []byte(tc.body)
			}
			check(t, s.Request(tc.method, tc.path, tc.query, h, body), tc.want)
		})
	}
}

func TestRequest_BodyRules(t *testing.T) {
	s := load(t, "testdata/contacts.yaml", Options{})
	post := func(body string) []call.Finding {
		return s.Request("POST", "/contacts", "", http.Header{"Content-Type": {"application/json"}}, []byte(body))
	}
	for _, tc := range []struct {
		name, body string
		want       []want
	}{
		{"fits", `{"name":"Ada","email":"ada@example.com","age":36,"status":"lead","code":"ABC","tags":["x"]}`, nil},
		{"too long", `{"name":"Adelaide"}`, []want{{fault.DataFormat, "body", "/name", "maxLength", "Adelaide", "at most 5"}}},
		{"bad email", `{"name":"Ada","email":"ada.example.com"}`, []want{{fault.DataFormat, "body", "/email", "format", "ada.example.com", "format email"}}},
		{"wrong type", `{"name":"Ada","age":"36"}`, []want{{fault.DataFormat, "body", "/age", "type", "36", "integer"}}},
		{"missing required", `{"email":"ada@example.com"}`, []want{{fault.DataFormat, "body", "/name", "required", "", ""}}},
		{"unknown field", `{"name":"Ada","nickname":"A"}`, []want{{fault.DataFormat, "body", "/nickname", "unknown field", "", "only declared properties"}}},
		{"enum", `{"name":"Ada","status":"gone"}`, []want{{fault.DataFormat, "body", "/status", "enum", "gone", ""}}},
		{"pattern", `{"name":"Ada","code":"abc"}`, []want{{fault.DataFormat, "body", "/code", "pattern", "abc", ""}}},
		{"array item", `{"name":"Ada","tags":["x",3]}`, []want{{fault.DataFormat, "body", "/tags/1", "type", "3", "string"}}},
	} {
		t.Run(tc.name, func(t *testing.T) { check(t, post(tc.body), tc.want) })
	}
	t.Run("every violation listed", func(t *testing.T) {
		got := post(`{"name":"Adelaide","age":"x","status":"gone"}`)
		if len(got) != 3 {
			t.Fatalf("got %d findings, want 3: %+v", len(got), got)
		}
	})
	t.Run("query rules", func(t *testing.T) {
		got := s.Request("GET", "/contacts", "limit=500&status=gone", http.Header{}, nil)
		if len(got) != 2 {
			t.Fatalf("got %+v, want a maximum and an enum finding", got)
		}
		for _, f := range got {
			if f.Class != fault.Parameter || f.In != "query" {
				t.Errorf("finding %+v: want a query parameter finding", f)
			}
		}
	})
}

func TestRequest_StrictReportsUndeclared(t *testing.T) {
	s := load(t, "testdata/contacts.yaml", Options{Strict: true})
	got := s.Request("GET", "/contacts", "limit=5&colour=red", http.Header{"User-Agent": {"x"}}, nil)
	check(t, got, []want{{fault.Parameter, "query", "colour", "unknown field", "red", ""}})
	lax := load(t, "testdata/contacts.yaml", Options{})
	if got := lax.Request("GET", "/contacts", "limit=5&colour=red", http.Header{}, nil); len(got) != 0 {
		t.Errorf("without strict, an undeclared query parameter is allowed; got %+v", got)
	}
}

func TestResponse_Drift(t *testing.T) {
	s := load(t, "testdata/contacts.yaml", Options{})
	h := http.Header{"Content-Type": {"application/json"}}
	if got := s.Response("GET", "/contacts/7", "", 200, h, []byte(`{"id":7,"name":"Ada","status":"lead"}`)); len(got) != 0 {
		t.Fatalf("a fitting response drifted: %+v", got)
	}
	got := s.Response("GET", "/contacts/7", "", 200, h, []byte(`{"id":"7","status":"archived"}`))
	check(t, got, []want{
		{fault.Version, "response", "/id", "type", "7", "integer"},
		{fault.Version, "response", "/name", "required", "", ""},
		{fault.Version, "response", "/status", "enum", "archived", ""},
	})
	got = s.Response("GET", "/contacts/7", "", 202, h, []byte(`{}`))
	check(t, got, []want{{fault.Version, "status", "GET /contacts/7", "undeclared status", "", ""}})
	if got := s.Response("PUT", "/elsewhere", "", 200, h, []byte(`{}`)); len(got) != 0 {
		t.Errorf("a response to an operation the contract does not declare drifted: %+v", got)
	}
}

func TestLoad_Errors(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"not openapi", `hello: world`, "not an OpenAPI document"},
		{"swagger", `{"swagger":"2.0","info":{"title":"x","version":"1"},"paths":{}}`, "Swagger 2.0"},
		{"no paths", "openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths: {}\n", "declares no paths"},
		{"garbage", "\x00\x01", "not an OpenAPI document"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc), "test", Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse error = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestSpec_ConcurrentUse(t *testing.T) {
	s := load(t, "testdata/contacts.yaml", Options{})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				body := `{"name":"Adelaide"}`
				if i%2 == 0 {
					body = `{"name":"Ada"}`
				}
				got := s.Request("POST", "/contacts", "", http.Header{"Content-Type": {"application/json"}}, []byte(body))
				if (i%2 == 0) != (len(got) == 0) {
					t.Errorf("goroutine %d: findings %+v", i, got)
					return
				}
			}
		}()
	}
	wg.Wait()
}
