package shape

import (
	"bytes"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// checkOpenAPI fails the test unless out parses as OpenAPI 3.1, builds a
// model and validates against the OpenAPI schema.
func checkOpenAPI(t testing.TB, out []byte) {
	t.Helper()
	doc, err := libopenapi.NewDocument(out)
	if err != nil {
		t.Fatalf("parsing rendered contract: %v\n%s", err, out)
	}
	if _, err := doc.BuildV3Model(); err != nil {
		t.Fatalf("building model: %v\n%s", err, out)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("creating validator: %v", errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		var msgs []string
		for _, e := range verrs {
			msgs = append(msgs, e.Message+": "+e.Reason)
			for _, se := range e.SchemaValidationErrors {
				msgs = append(msgs, "  "+se.FieldPath+" ("+se.KeywordLocation+"): "+se.Reason)
			}
		}
		t.Fatalf("rendered contract is not valid OpenAPI:\n%s\n%s", strings.Join(msgs, "\n"), out)
	}
}

// dig walks a decoded YAML document along keys; a numeric key indexes a
// list.
func dig(t *testing.T, v any, keys ...string) any {
	t.Helper()
	for i, k := range keys {
		switch n := v.(type) {
		case map[string]any:
			next, ok := n[k]
			if !ok {
				t.Fatalf("no %q at %s", k, strings.Join(keys[:i], "."))
			}
			v = next
		case []any:
			var idx int
			if _, err := fmt.Sscan(k, &idx); err != nil || idx >= len(n) {
				t.Fatalf("no element %s at %s", k, strings.Join(keys[:i], "."))
			}
			v = n[idx]
		default:
			t.Fatalf("cannot index %T with %q at %s", v, k, strings.Join(keys[:i], "."))
		}
	}
	return v
}

// contactTraffic is the traffic the rendering tests learn from.
func contactTraffic() []Exchange {
	xs := traffic(40)
	xs = append(xs, Exchange{
		Method: "GET", Path: "/services/data/v59.0/sobjects/Account/{id}/Contacts/{id}",
		Status: 404, ResponseType: "application/json", ResponseBody: []byte(`[{"errorCode":"NOT_FOUND"}]`),
	}, Exchange{
		Method: "PROPFIND", Path: "/dav",
	})
	return xs
}

func TestRender(t *testing.T) {
	var b Book
	for _, x := range contactTraffic() {
		b.Observe(x)
	}
	out, err := Render(b.Snapshot(), RenderOptions{Title: "Salesforce", Version: "v59.0", ServerURL: "https://example.my.salesforce.com"})
	if err != nil {
		t.Fatal(err)
	}
	checkOpenAPI(t, out)
	golden(t, "render.golden.yaml", out)

	var doc map[string]any
	if err := yaml.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	get := []string{"paths", contactPath, "get"}
	resp := append(get[:3:3], "responses", "200", "content", "application/json", "schema")
	tests := []struct {
		name string
		path []string
		want any
	}{
		{"openapi version", []string{"openapi"}, "3.1.0"},
		{"title", []string{"info", "title"}, "Salesforce"},
		{"server", []string{"servers", "0", "url"}, "https://example.my.salesforce.com"},
		{"path param name", append(get, "parameters", "0", "name"), "id"},
		{"path param in", append(get, "parameters", "0", "in"), "path"},
		{"path param required", append(get, "parameters", "0", "required"), true},
		{"path param type", append(get, "parameters", "0", "schema", "type"), "string"},
		{"query param name", append(get, "parameters", "2", "name"), "limit"},
		{"query param type", append(get, "parameters", "2", "schema", "type"), "integer"},
		{"query param required", append(get, "parameters", "2", "required"), true},
		{"operation observed", append(get, observed), 20},
		{"response type", append(resp, "type"), "object"},
		{"required properties", append(resp, "required"), []any{"Email", "Id", "LastName"}},
		{"nullable email", append(resp, "properties", "Email", "type"), []any{"string", "null"}},
		{"email format", append(resp, "properties", "Email", "format"), "email"},
		{"integer age", append(resp, "properties", "Age", "type"), "integer"},
		{"number score", append(resp, "properties", "Score", "type"), "number"},
		{"schema observed", append(resp, "properties", "Email", observed), 20},
		{"repeated query param is array", []string{"paths", "/services/data/v59.0/query", "get", "parameters", "1", "schema", "type"}, "array"},
		{"repeated query param items", []string{"paths", "/services/data/v59.0/query", "get", "parameters", "1", "schema", "items", "type"}, "integer"},
		{"error response items", []string{"paths", "/services/data/v59.0/query", "get", "responses", "400", "content", "application/json", "schema", "items", "properties", "errorCode", "type"}, "string"},
		{"request body required", []string{"paths", contactPath, "patch", "requestBody", "required"}, true},
		{"request body array", []string{"paths", contactPath, "patch", "requestBody", "content", "application/json", "schema", "properties", "Tags", "items", "type"}, "string"},
		{"response without body", []string{"paths", contactPath, "patch", "responses", "204", "description"}, "Observed 10 times."},
		{"repeated path param renamed", []string{"paths", "/services/data/v59.0/sobjects/Account/{id}/Contacts/{id2}", "get", "parameters", "1", "name"}, "id2"},
		{"few samples, nothing required", []string{"paths", "/services/data/v59.0/sobjects/Account/{id}/Contacts/{id2}", "get", "responses", "404", "content", "application/json", "schema", "items", "required"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.want == nil {
				parent := dig(t, doc, tc.path[:len(tc.path)-1]...).(map[string]any)
				if v, ok := parent[tc.path[len(tc.path)-1]]; ok {
					t.Errorf("%s = %v; want absent", strings.Join(tc.path, "."), v)
				}
				return
			}
			if got := dig(t, doc, tc.path...); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("%s = %v; want %v", strings.Join(tc.path, "."), got, tc.want)
			}
		})
	}
	if bytes.Contains(out, []byte("PROPFIND")) || bytes.Contains(out, []byte("/dav")) {
		t.Error("PROPFIND rendered; OpenAPI 3.1 has no place for it")
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("rendered contract differs from %s (run with -update if intended):\n%s", path, got)
	}
}

func TestRender_required(t *testing.T) {
	tests := []struct {
		name       string
		docs       []string
		minSamples int64
		want       []string
	}{
		{name: "below default MinSamples", docs: repeat(`{"a":1,"b":2}`, 4), want: nil},
		{name: "at default MinSamples", docs: repeat(`{"a":1,"b":2}`, 5), want: []string{"a", "b"}},
		{name: "missing once", docs: append(repeat(`{"a":1,"b":2}`, 5), `{"a":1}`), want: []string{"a"}},
		{name: "null is present", docs: append(repeat(`{"a":1}`, 5), `{"a":null}`), want: []string{"a"}},
		{name: "MinSamples 1", docs: []string{`{"a":1}`}, minSamples: 1, want: []string{"a"}},
		{name: "objects count, not nulls", docs: append(repeat(`{"a":1}`, 4), `null`, `null`), want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := learn(t, tc.docs...)
			opts := RenderOptions{MinSamples: tc.minSamples}
			if opts.MinSamples == 0 {
				opts.MinSamples = 5
			}
			r := renderer{opts: opts}
			got := r.schema(s).Required
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("required = %v; want %v", got, tc.want)
			}
		})
	}
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func TestRender_strict(t *testing.T) {
	tests := []struct {
		name string
		docs []string
		want any // additionalProperties
	}{
		{name: "enough samples", docs: repeat(`{"a":1}`, 5), want: false},
		{name: "too few samples", docs: repeat(`{"a":1}`, 4), want: nil},
		{name: "untracked properties keep it open", docs: repeat(`{"a":1,"`+strings.Repeat("x", maxNameLen+1)+`":1}`, 5), want: nil},
		{name: "keys that are values", docs: repeat(`{"12345":{"a":1}}`, 5), want: "object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := renderer{opts: RenderOptions{Strict: true, MinSamples: 5}}
			got := r.schema(learn(t, tc.docs...)).AdditionalProperties
			if s, ok := got.(*schema); ok {
				got = s.Type
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("additionalProperties = %v; want %v", got, tc.want)
			}
		})
	}
	var b Book
	for _, x := range contactTraffic() {
		b.Observe(x)
	}
	out, err := Render(b.Snapshot(), RenderOptions{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	checkOpenAPI(t, out)
	if !bytes.Contains(out, []byte("additionalProperties: false")) {
		t.Errorf("strict contract closes no object:\n%s", out)
	}
}

func TestRender_queryParams(t *testing.T) {
	tests := []struct {
		name   string
		values [][]string
		typ    string
		format string
		items  string
	}{
		{name: "integers", values: [][]string{{"1"}, {"20"}}, typ: "integer"},
		{name: "numbers", values: [][]string{{"1"}, {"2.5"}}, typ: "number"},
		{name: "sometimes not a number is a string", values: [][]string{{"1"}, {"abc"}}, typ: "string"},
		{name: "boolean", values: [][]string{{"true"}, {"false"}}, typ: "boolean"},
		{name: "dates", values: [][]string{{"2026-01-31"}, {"2026-02-01"}}, typ: "string", format: "date"},
		{name: "date or number has no format", values: [][]string{{"2026-01-31"}, {"7"}}, typ: "string"},
		{name: "repeated", values: [][]string{{"1"}, {"2", "3"}}, typ: "array", items: "integer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b Book
			for _, v := range tc.values {
				b.Observe(Exchange{Method: "GET", Path: "/x", Query: url.Values{"p": v}, Status: 200})
			}
			out, err := Render(b.Snapshot(), RenderOptions{})
			if err != nil {
				t.Fatal(err)
			}
			checkOpenAPI(t, out)
			var doc map[string]any
			if err := yaml.Unmarshal(out, &doc); err != nil {
				t.Fatal(err)
			}
			s := dig(t, doc, "paths", "/x", "get", "parameters", "0", "schema").(map[string]any)
			if got := fmt.Sprint(s["type"]); got != tc.typ {
				t.Errorf("type = %s; want %s", got, tc.typ)
			}
			if got, _ := s["format"].(string); got != tc.format {
				t.Errorf("format = %q; want %q", got, tc.format)
			}
			if tc.items != "" {
				if got := fmt.Sprint(dig(t, s, "items", "type")); got != tc.items {
					t.Errorf("items type = %s; want %s", got, tc.items)
				}
			}
		})
	}
}

func TestRender_mergesReplicas(t *testing.T) {
	var a, b Book
	for i, x := range contactTraffic() {
		if i%2 == 0 {
			a.Observe(x)
		} else {
			b.Observe(x)
		}
	}
	var one Book
	for _, x := range contactTraffic() {
		one.Observe(x)
	}
	split, err := Render(append(a.Take(), b.Take()...), RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	whole, err := Render(one.Snapshot(), RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(split, whole) {
		t.Errorf("render of two replicas' takes:\n%s\nwant render of one book:\n%s", split, whole)
	}
}

func TestRender_empty(t *testing.T) {
	out, err := Render(nil, RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkOpenAPI(t, out)
}

func TestPathParams(t *testing.T) {
	tests := []struct {
		in, path string
		names    []string
	}{
		{"/a/{id}", "/a/{id}", []string{"id"}},
		{"/a/{id}/b/{id}/c/{id}", "/a/{id}/b/{id2}/c/{id3}", []string{"id", "id2", "id3"}},
		{"/contacts({id})", "/contacts({id})", []string{"id"}},
		{"a", "/a", nil},
		{"", "/", nil},
		{"/a/{}", "/a/{}", nil},
		{"/a/{x", "/a/{x", nil},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			path, names := pathParams(tc.in)
			if path != tc.path || fmt.Sprint(names) != fmt.Sprint(tc.names) {
				t.Errorf("pathParams(%q) = %q, %v; want %q, %v", tc.in, path, names, tc.path, tc.names)
			}
		})
	}
}

func TestRender_oddNames(t *testing.T) {
	names := []string{
		"$ref", "$id", "$schema", "$defs", "<<", "", " ", "x-foo", "null", "true", "~", "-", "?", ":", "#", "&a", "*a",
		"!tag", "{a}", "a: b", "'", `"`, "\\", "\u2028", "🙂", "é", "type", "properties", "required", "items", "0",
		"1e3", "=", "...", "- a", "a\tb",
	}
	var b strings.Builder
	b.WriteString("{")
	for i, n := range names {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "%q:{%q:1}", n, n)
	}
	b.WriteString("}")
	var book Book
	q := url.Values{}
	for _, n := range names {
		q.Set(n, "1")
	}
	for range 5 {
		book.Observe(Exchange{
			Method: "POST", Path: "/a/{id}", Query: q,
			RequestType: "application/json", RequestBody: []byte(b.String()),
			Status: 200, ResponseType: "application/json", ResponseBody: []byte(b.String()),
		})
	}
	out, err := Render(book.Snapshot(), RenderOptions{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	checkOpenAPI(t, out)
	accepts(t, []Exchange{jsonCall(b.String())})
}
