package contract

import (
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/crmguard/crmguard/internal/call"
	"github.com/crmguard/crmguard/internal/fault"
)

// FuzzParse checks that Parse never panics, lax or strict, and that a
// contract it accepts can check a request. Its seeds, in
// testdata/fuzz/FuzzParse, are the contracts in testdata and documents
// that stress the parser: Swagger 2.0, YAML anchors and aliases, a $ref
// cycle, references to other files, minified JSON and garbage.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, opts := range []Options{{}, {Strict: true}} {
			s, err := Parse(raw, "fuzz", opts)
			if err != nil {
				if s != nil {
					t.Fatalf("Parse(%+v) returned a spec with error %v", opts, err)
				}
				continue
			}
			s.Title()
			s.Operations()
			s.Request("GET", "/", "", http.Header{}, nil)
		}
	})
}

// FuzzRequest checks requests against the contacts contract, lax and
// strict, and the SuiteCRM one: checking never panics, gives the same
// findings twice, and every finding is a well-formed parameter or
// data_format finding.
func FuzzRequest(f *testing.F) {
	specs := map[string]*Spec{
		"contacts":        load(f, "testdata/contacts.yaml", Options{}),
		"contacts strict": load(f, "testdata/contacts.yaml", Options{Strict: true}),
		"suitecrm":        load(f, "testdata/suitecrm-v8.json", Options{}),
	}
	f.Fuzz(func(t *testing.T, method, path, rawQuery, contentType string, body []byte) {
		for name, s := range specs {
			request := func() []call.Finding {
				h := http.Header{}
				if contentType != "" {
					h.Set("Content-Type", contentType)
				}
				return s.Request(method, path, rawQuery, h, body)
			}
			got := request()
			wellFormed(t, name, got, fault.Parameter, fault.DataFormat)
			if again := request(); !reflect.DeepEqual(got, again) {
				t.Fatalf("%s: findings differ between two identical requests:\n%+v\n%+v", name, got, again)
			}
		}
	})
}

// FuzzResponse checks responses to GET /contacts/7 against the contacts
// contract: checking never panics, gives the same findings twice, and
// every finding is a well-formed version finding.
func FuzzResponse(f *testing.F) {
	s := load(f, "testdata/contacts.yaml", Options{})
	f.Fuzz(func(t *testing.T, status int, contentType string, body []byte) {
		response := func() []call.Finding {
			h := http.Header{}
			if contentType != "" {
				h.Set("Content-Type", contentType)
			}
			return s.Response("GET", "/contacts/7", "", status, h, body)
		}
		got := response()
		wellFormed(t, "contacts", got, fault.Version)
		if again := response(); !reflect.DeepEqual(got, again) {
			t.Fatalf("findings differ between two identical responses:\n%+v\n%+v", got, again)
		}
	})
}

// wellFormed reports each finding that has none of the classes, lacks
// where it is, its rule or its message, or repeats more of what was sent
// than maxSent bytes and an ellipsis marking the cut.
func wellFormed(t *testing.T, spec string, fs []call.Finding, classes ...fault.Class) {
	t.Helper()
	for i, f := range fs {
		switch {
		case !slices.Contains(classes, f.Class):
			t.Errorf("%s: finding %d has class %s, want one of %v: %+v", spec, i, f.Class, classes, f)
		case f.In == "" || f.Rule == "" || f.Message == "":
			t.Errorf("%s: finding %d lacks in, rule or message: %+v", spec, i, f)
		case len(f.Sent) > maxSent+len("…") || (len(f.Sent) > maxSent && !strings.HasSuffix(f.Sent, "…")):
			t.Errorf("%s: finding %d repeats %d bytes of what was sent, want at most %d and an ellipsis: %+v", spec, i, len(f.Sent), maxSent, f)
		}
	}
}

// TestFuzzSeeds_matchContracts checks that the contracts in testdata are
// FuzzParse seeds, with the same content.
func TestFuzzSeeds_matchContracts(t *testing.T) {
	for _, tc := range []struct{ contract, seed string }{
		{"suitecrm-v8.json", "suitecrm-v8"},
		{"contacts.yaml", "contacts"},
	} {
		want, err := os.ReadFile(filepath.Join("testdata", tc.contract))
		if err != nil {
			t.Fatal(err)
		}
		seed, err := os.ReadFile(filepath.Join("testdata", "fuzz", "FuzzParse", tc.seed))
		if err != nil {
			t.Errorf("no fuzz seed for %s: %v", tc.contract, err)
			continue
		}
		// The corpus format: a header line, then []byte("...") quoted as
		// by strconv.Quote.
		header, body, _ := strings.Cut(string(seed), "\n")
		quoted, ok := strings.CutPrefix(strings.TrimSpace(body), "[]byte(")
		quoted, ok2 := strings.CutSuffix(quoted, ")")
		got, err := strconv.Unquote(quoted)
		if header != "go test fuzz v1" || !ok || !ok2 || err != nil || got != string(want) {
			t.Errorf("testdata/fuzz/FuzzParse/%s does not hold testdata/%s; regenerate it", tc.seed, tc.contract)
		}
	}
}
