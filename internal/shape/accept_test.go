package shape

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
)

// accepts fails the test unless the contract rendered from xs, with every
// constraint Render can add switched on, accepts each of xs: a draft
// contract that rejects the traffic it was learned from is wrong. The
// validator's own strict mode stays off: it reports every property a
// schema does not name, so it flags the keys of maps keyed by record id,
// which the draft allows with additionalProperties.
func accepts(t testing.TB, xs []Exchange) {
	t.Helper()
	v, out := learnContract(t, xs)
	for i, x := range xs {
		if ok, msg := check(v, x); !ok {
			t.Errorf("exchange %d (%s %s) rejected by its own contract:\n%s\n%s", i, x.Method, x.Path, msg, out)
		}
	}
}

// learnContract renders the strictest contract Render drafts from xs and
// returns a validator for it, asserting formats as contract does.
func learnContract(t testing.TB, xs []Exchange) (validator.Validator, []byte) {
	t.Helper()
	var b Book
	for _, x := range xs {
		b.Observe(x)
	}
	out, err := Render(b.Snapshot(), RenderOptions{Strict: true, MinSamples: 1})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := libopenapi.NewDocument(out)
	if err != nil {
		t.Fatal(err)
	}
	v, errs := validator.NewValidator(doc, config.WithFormatAssertions(), config.WithoutSecurityValidation())
	if len(errs) > 0 {
		t.Fatalf("creating validator: %v", errs)
	}
	return v, out
}

// check validates x's request and response; calls the draft cannot hold
// (methods OpenAPI 3.1 lacks, no response) pass.
func check(v validator.Validator, x Exchange) (bool, string) {
	if !contains(methods, strings.ToUpper(x.Method)) || x.Status == 0 {
		return true, ""
	}
	req := httpRequest(x)
	resp := &http.Response{
		StatusCode: x.Status,
		Header:     http.Header{},
		Body:       io.NopCloser(bytes.NewReader(x.ResponseBody)),
		Request:    req,
	}
	if x.ResponseType != "" {
		resp.Header.Set("Content-Type", x.ResponseType)
	}
	ok, verrs := v.ValidateHttpRequestResponse(req, resp)
	var msgs []string
	for _, e := range verrs {
		msgs = append(msgs, e.Message+": "+e.Reason)
		for _, se := range e.SchemaValidationErrors {
			msgs = append(msgs, "  "+se.FieldPath+" ("+se.KeywordLocation+"): "+se.Reason)
		}
	}
	return ok, strings.Join(msgs, "\n")
}

// TestRender_rejectsUnseenShapes shows that the check in accepts has
// teeth: the same strict draft rejects calls that break what it learned.
func TestRender_rejectsUnseenShapes(t *testing.T) {
	seen := jsonCall(`{"email":"a@example.com","n":1,"when":"2026-01-31"}`)
	tests := []struct {
		name string
		body string
	}{
		{name: "format", body: `{"email":"nope","n":1,"when":"2026-01-31"}`},
		{name: "type", body: `{"email":"a@example.com","n":"one","when":"2026-01-31"}`},
		{name: "required", body: `{"email":"a@example.com","when":"2026-01-31"}`},
		{name: "new property", body: `{"email":"a@example.com","n":1,"when":"2026-01-31","extra":true}`},
		{name: "null", body: `{"email":"a@example.com","n":null,"when":"2026-01-31"}`},
	}
	v, _ := learnContract(t, []Exchange{seen})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if ok, _ := check(v, jsonCall(tc.body)); ok {
				t.Errorf("%s accepted; want rejected", tc.body)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}

// httpRequest rebuilds a request for x, filling path parameters with a
// record id.
func httpRequest(x Exchange) *http.Request {
	path, _ := pathParams(x.Path)
	for strings.Contains(path, "{") {
		open := strings.IndexByte(path, '{')
		end := strings.IndexByte(path[open:], '}')
		if end < 0 {
			break
		}
		path = path[:open] + "003XX000004TmiQAAS" + path[open+end+1:]
	}
	u := &url.URL{Scheme: "https", Host: "crm.example", Path: path, RawQuery: x.Query.Encode()}
	req, _ := http.NewRequest(strings.ToUpper(x.Method), u.String(), bytes.NewReader(x.RequestBody))
	if x.RequestType != "" {
		req.Header.Set("Content-Type", x.RequestType)
	}
	return req
}

func TestRender_acceptsObservedTraffic(t *testing.T) {
	tests := []struct {
		name string
		xs   []Exchange
	}{
		{name: "contacts", xs: contactTraffic()},
		{name: "nullable, mixed and formats", xs: []Exchange{
			jsonCall(`{"a":"2026-01-31","b":"x@example.com","c":[1,2.5,null],"d":{"e":true}}`),
			jsonCall(`{"a":null,"b":"y@example.com","c":[],"d":{"e":false,"f":"https://x.example/"}}`),
			jsonCall(`{"a":"2026-02-01","b":"","c":["s",{"g":1}],"d":null}`),
			jsonCall(`[1,"two",{"three":3},[4]]`),
			jsonCall(`"just a string"`),
		}},
		{name: "keys that are values", xs: []Exchange{
			jsonCall(`{"byId":{"003XX000004TmiQAAS":{"n":1},"12345":{"n":2}}}`),
			jsonCall(`{"byId":{"jane@example.com":{"n":3}}}`),
		}},
		{name: "keys that are values next to untracked names", xs: []Exchange{
			jsonCall(`{"0":[true,null,"x"],"X":{"A":"a@example.com"}}`),
			jsonCall(`{"":{}}`),
		}},
		{name: "empty names", xs: []Exchange{
			jsonCall(`{"":0,"":[""],"":{"":""}}`),
			jsonCall(`""`),
		}},
		{name: "query", xs: []Exchange{
			{Method: "GET", Path: "/q", Query: url.Values{"limit": {"10"}, "ids": {"1", "2"}, "since": {"2026-01-31"}, "flag": {"true"}}, Status: 200},
			{Method: "GET", Path: "/q", Query: url.Values{"limit": {"2.5"}, "ids": {"3"}, "since": {"2026-01-31T10:00:00Z"}, "flag": {"1"}}, Status: 200},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { accepts(t, tc.xs) })
	}
}

func jsonCall(body string) Exchange {
	return Exchange{
		Method: "POST", Path: "/records/{id}",
		RequestType: "application/json", RequestBody: []byte(body),
		Status: 200, ResponseType: "application/json", ResponseBody: []byte(body),
	}
}

// TestFormats_acceptedByValidator checks that every value formatOf
// recognises passes the validator's check of that format, edge cases
// included: the draft asserts a format only where all values had it.
func TestFormats_acceptedByValidator(t *testing.T) {
	values := []string{
		"2024-02-29", "0001-01-01", "9999-12-31",
		"2026-01-31T10:00:00Z", "2026-01-31T23:59:59.999999999+14:00", "2026-01-31T00:00:00-12:00", "2026-01-31T10:00:00.5Z",
		"a!#$%&'*+/=?^_`{|}~-@example.com", "a.b@x-y.example.co", "1@2.example", "x@xn--bcher-kva.example",
		"123e4567-E89B-12d3-a456-426614174000", "00000000-0000-0000-0000-000000000000",
		"https://x.example", "http://a:b@x.example:8080/p/a%20th?q=1&r=%C3%A9#frag", "http://[::1]:80/", "https://x.example/?a=[1]",
	}
	for _, v := range values {
		t.Run(v, func(t *testing.T) {
			if formatOf(v) == noFormat {
				t.Fatalf("formatOf(%q) recognises no format; the case is meant to have one", v)
			}
			body, _ := json.Marshal(map[string]string{"v": v})
			accepts(t, []Exchange{jsonCall(string(body))})
		})
	}
}
