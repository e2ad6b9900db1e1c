package normalize

import (
	"slices"
	"sync"
	"testing"
)

// TestApply_preservesBytes checks that only the rewritten values change:
// white space, key order, number formats, escapes and untouched values
// stay as sent.
func TestApply_preservesBytes(t *testing.T) {
	n, err := Compile([]Rule{
		{Field: "birthdate", As: "date"},
		{Field: "z.phone", As: "phone", Region: "DE"},
		{Field: "email", As: "email"},
		{Field: "other", As: "email"},
		{Field: "note", As: "text", MaxLength: 4, OnOverflow: "truncate"},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   string
		want string // empty when the body must come back as the same slice
	}{
		{
			name: "only targeted values change",
			in: "{ \"b\" :1.50e+2 ,\n\t\"birthdate\"  :  \"03.04.2025\" , \"z\":[ 1 ,2,{\"phone\" : \"030 123456\"}]," +
				"\"a\":\"\\u00e9t\\u00e9\", \"email\":\"Jane@Example.COM\" ,\"n\":-0.0E-0}  \n",
			want: "{ \"b\" :1.50e+2 ,\n\t\"birthdate\"  :  \"2025-04-03\" , \"z\":[ 1 ,2,{\"phone\" : \"+4930123456\"}]," +
				"\"a\":\"\\u00e9t\\u00e9\", \"email\":\"Jane@example.com\" ,\"n\":-0.0E-0}  \n",
		},
		{
			name: "rewritten values are written without HTML escapes",
			in:   `{"note":"<b>&amp;</b>","email":"a&b@EXAMPLE.com"}`,
			want: `{"note":"<b>&","email":"a&b@example.com"}`,
		},
		{
			name: "escaped values already normal stay escaped",
			in:   `{"birthdate":"2025\u002d04-03","email":"jane\u0040example.com","note":"\u00e9\u00e9"}`,
		},
		{
			name: "no matching field",
			in:   "[1, {\"x\": \"03.04.2025\"},\n\"y\" ]",
		},
		{
			name: "findings alone change nothing",
			in:   `{"birthdate":"03/04/2025","email":"nobody"}`,
		},
		{
			name: "escaped quotes and backslashes around a target",
			in:   `{"a\"b":"x\\\"","email":"J@X.ORG","c":"\\"}`,
			want: `{"a\"b":"x\\\"","email":"J@x.org","c":"\\"}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte(tc.in)
			res, err := n.Apply(in)
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == "" {
				if len(res.Body) != len(in) || &res.Body[0] != &in[0] {
					t.Errorf("body = %s; want the input slice itself", res.Body)
				}
				if len(res.Changes) != 0 {
					t.Errorf("changes = %+v; want none", res.Changes)
				}
				return
			}
			if got := string(res.Body); got != tc.want {
				t.Errorf("body =\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

// TestApply_paths checks which values a field path reaches and the JSON
// pointers that name them.
func TestApply_paths(t *testing.T) {
	tests := []struct {
		name     string
		rule     Rule
		body     string
		changed  []string // pointers of the changes, in order
		rejected []string // pointers of the findings, in order
	}{
		{
			name:    "wildcard",
			rule:    Rule{Field: "*.name", As: "trim"},
			body:    `{"a":{"name":" x "},"b":{"name":" y "},"c":{"other":" z "},"name":" top "}`,
			changed: []string{"/a/name", "/b/name"},
		},
		{
			name:    "wildcard at the end",
			rule:    Rule{Field: "data.*", As: "trim"},
			body:    `{"data":{"a":" x ","b":1,"c":{"d":" y "}},"e":" z "}`,
			changed: []string{"/data/a"},
		},
		{
			name:    "top-level array",
			rule:    Rule{Field: "name", As: "trim"},
			body:    `[{"name":" x "},{"id":1},{"name":" y "}]`,
			changed: []string{"/0/name", "/2/name"},
		},
		{
			name:    "array under a key",
			rule:    Rule{Field: "records.name", As: "trim"},
			body:    `{"records":[{"name":" a "},{"id":1},{"name":" b "}]}`,
			changed: []string{"/records/0/name", "/records/2/name"},
		},
		{
			name:    "nested arrays",
			rule:    Rule{Field: "records.name", As: "trim"},
			body:    `{"records":[[{"name":" a "}],[[{"name":" b "}],[]],[]]}`,
			changed: []string{"/records/0/0/name", "/records/1/0/0/name"},
		},
		{
			name:    "scalars where the path goes deeper",
			rule:    Rule{Field: "records.name", As: "date"},
			body:    `{"records":[" x ",1,null,true,{"name":null}]}`,
			changed: nil,
		},
		{
			name:    "keys with slash and tilde",
			rule:    Rule{Field: "a/b.c~d", As: "trim"},
			body:    `{"a/b":{"c~d":" x "}}`,
			changed: []string{"/a~1b/c~0d"},
		},
		{
			name:    "escaped key",
			rule:    Rule{Field: "name", As: "trim"},
			body:    `{"n\u0061me":" x ","nam\u00e9":" y "}`,
			changed: []string{"/name"},
		},
		{
			name:    "non-ASCII key",
			rule:    Rule{Field: "straße", As: "trim"},
			body:    `{"straße":" x "}`,
			changed: []string{"/straße"},
		},
		{
			name: "null and missing left alone",
			rule: Rule{Field: "*.birthdate", As: "date"},
			body: `{"a":{"birthdate":null},"b":{}}`,
		},
		{
			name:    "longer path through a shorter match",
			rule:    Rule{Field: "data.attributes.name", As: "trim"},
			body:    `{"data":{"name":" x ","attributes":{"name":" y "}}}`,
			changed: []string{"/data/attributes/name"},
		},
		{
			name:    "duplicate keys each normalised",
			rule:    Rule{Field: "name", As: "trim"},
			body:    `{"name":" a ","name":" b "}`,
			changed: []string{"/name", "/name"},
		},
		{
			name:     "array where a value is needed",
			rule:     Rule{Field: "d", As: "date"},
			body:     `{"d":["2025-04-03"]}`,
			rejected: []string{"/d"},
		},
		{
			name:     "findings in body order",
			rule:     Rule{Field: "*.d", As: "date"},
			body:     `{"x":{"d":"03/04/2025"},"y":[{"d":"never"},{"d":"2025-04-03"}]}`,
			rejected: []string{"/x/d", "/y/0/d"},
		},
		{
			name: "top-level scalar",
			rule: Rule{Field: "name", As: "trim"},
			body: `" x "`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := Compile([]Rule{tc.rule})
			if err != nil {
				t.Fatal(err)
			}
			res, err := n.Apply([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			var changed, rejected []string
			for _, c := range res.Changes {
				changed = append(changed, c.Pointer)
			}
			for _, f := range res.Findings {
				rejected = append(rejected, f.Pointer)
			}
			if !slices.Equal(changed, tc.changed) {
				t.Errorf("changed %q; want %q", changed, tc.changed)
			}
			if !slices.Equal(rejected, tc.rejected) {
				t.Errorf("rejected %q; want %q", rejected, tc.rejected)
			}
		})
	}
}

// TestApply_concurrent checks, under -race, that one Normalizer serves
// many requests at once.
func TestApply_concurrent(t *testing.T) {
	n, err := Compile([]Rule{{Field: "d", As: "date"}, {Field: "p", As: "phone", Region: "US"}})
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`[{"d":"3 Apr 2025","p":"(415) 555-2671"},{"d":"03/04/2025"}]`)
	want := `[{"d":"2025-04-03","p":"+14155552671"},{"d":"03/04/2025"}]`
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				res, err := n.Apply(body)
				if err != nil || string(res.Body) != want || len(res.Findings) != 1 {
					t.Errorf("Apply = %s, %d findings, %v; want %s, 1 finding", res.Body, len(res.Findings), err, want)
					return
				}
			}
		})
	}
	wg.Wait()
}
