package shape

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// decode decodes doc the way Book does, keeping numbers' text.
func decode(t testing.TB, doc string) any {
	t.Helper()
	v, err := decodeJSON([]byte(doc))
	if err != nil {
		t.Fatalf("decoding %s: %v", doc, err)
	}
	return v
}

func learn(t testing.TB, docs ...string) *Schema {
	t.Helper()
	s := &Schema{}
	for _, d := range docs {
		s.Observe(decode(t, d))
	}
	return s
}

func TestSchema_Observe(t *testing.T) {
	tests := []struct {
		name    string
		docs    []string
		types   Types
		formats Formats
		format  string // rendered format
		typ     any    // rendered type
	}{
		{name: "integer", docs: []string{`1`, `-20`, `0`}, types: Types{Integer: 3}, typ: "integer"},
		{name: "number as written", docs: []string{`1.0`, `1e3`, `2.5`}, types: Types{Number: 3}, typ: "number"},
		{name: "integer and number is number", docs: []string{`1`, `1.5`}, types: Types{Integer: 1, Number: 1}, typ: "number"},
		{name: "boolean", docs: []string{`true`, `false`}, types: Types{Boolean: 2}, typ: "boolean"},
		{name: "nullable string", docs: []string{`"a"`, `null`}, types: Types{String: 1, Null: 1}, typ: []string{"string", "null"}},
		{name: "null only", docs: []string{`null`}, types: Types{Null: 1}, typ: "null"},
		{name: "object", docs: []string{`{}`}, types: Types{Object: 1}, typ: "object"},
		{name: "array", docs: []string{`[]`}, types: Types{Array: 1}, typ: "array"},
		{name: "mixed", docs: []string{`{}`, `"x"`, `3`}, types: Types{Object: 1, String: 1, Integer: 1}, typ: []string{"object", "string", "integer"}},
		{name: "date", docs: []string{`"2026-01-31"`, `"1999-12-01"`}, types: Types{String: 2}, formats: Formats{Date: 2}, typ: "string", format: "date"},
		{name: "not a date", docs: []string{`"2026-02-31"`}, types: Types{String: 1}, typ: "string"},
		{name: "date-time", docs: []string{`"2026-01-31T10:00:00Z"`, `"2026-01-31T10:00:00.123+02:00"`}, types: Types{String: 2}, formats: Formats{DateTime: 2}, typ: "string", format: "date-time"},
		{name: "salesforce timestamp is no date-time", docs: []string{`"2026-01-31T10:00:00.000+0000"`}, types: Types{String: 1}, typ: "string"},
		{name: "email", docs: []string{`"a.b+c@example.co.uk"`}, types: Types{String: 1}, formats: Formats{Email: 1}, typ: "string", format: "email"},
		{name: "not an email", docs: []string{`"a@b"`, `"@x.com"`, `"a b@x.com"`}, types: Types{String: 3}, typ: "string"},
		{name: "uuid", docs: []string{`"123e4567-e89b-12d3-a456-426614174000"`}, types: Types{String: 1}, formats: Formats{UUID: 1}, typ: "string", format: "uuid"},
		{name: "uri", docs: []string{`"https://x.example/a?b=c"`}, types: Types{String: 1}, formats: Formats{URI: 1}, typ: "string", format: "uri"},
		{name: "relative path is no uri", docs: []string{`"/services/data"`}, types: Types{String: 1}, typ: "string"},
		{name: "formats mixed", docs: []string{`"2026-01-31"`, `"a@example.com"`}, types: Types{String: 2}, formats: Formats{Date: 1, Email: 1}, typ: "string"},
		{name: "format and plain", docs: []string{`"a@example.com"`, `"n/a"`}, types: Types{String: 2}, formats: Formats{Email: 1}, typ: "string"},
		{name: "nullable date", docs: []string{`"2026-01-31"`, `null`}, types: Types{String: 1, Null: 1}, formats: Formats{Date: 1}, typ: []string{"string", "null"}, format: "date"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := learn(t, tc.docs...)
			if s.Types != tc.types {
				t.Errorf("types = %+v; want %+v", s.Types, tc.types)
			}
			if s.Formats != tc.formats {
				t.Errorf("formats = %+v; want %+v", s.Formats, tc.formats)
			}
			r := renderer{opts: RenderOptions{MinSamples: 5}}
			out := r.schema(s)
			if got, want := fmt.Sprint(out.Type), fmt.Sprint(tc.typ); got != want {
				t.Errorf("rendered type = %s; want %s", got, want)
			}
			if out.Format != tc.format {
				t.Errorf("rendered format = %q; want %q", out.Format, tc.format)
			}
		})
	}
}

func TestSchema_Observe_float64(t *testing.T) {
	s := &Schema{}
	for _, v := range []any{float64(3), 2.5, float64(1 << 60)} {
		s.Observe(v)
	}
	if want := (Types{Integer: 1, Number: 2}); s.Types != want {
		t.Errorf("types = %+v; want %+v", s.Types, want)
	}
}

func TestSchema_lengths(t *testing.T) {
	s := learn(t, `"ab"`, `"äöü€x"`, `""`)
	if s.MinLength != 0 || s.MaxLength != 5 {
		t.Errorf("lengths = %d..%d; want 0..5", s.MinLength, s.MaxLength)
	}
	m := &Schema{}
	m.Merge(learn(t, `"abc"`))
	m.Merge(learn(t, `7`))
	m.Merge(learn(t, `"a"`))
	if m.MinLength != 1 || m.MaxLength != 3 {
		t.Errorf("merged lengths = %d..%d; want 1..3", m.MinLength, m.MaxLength)
	}
}

func TestSchema_properties(t *testing.T) {
	s := learn(t,
		`{"id":1,"name":"a","tags":["x"]}`,
		`{"id":2,"name":null,"tags":[]}`,
		`{"id":3}`,
	)
	tests := []struct {
		name string
		prop *Schema
		want Types
	}{
		{name: "id in all", prop: s.Properties["id"], want: Types{Integer: 3}},
		{name: "name nullable in two", prop: s.Properties["name"], want: Types{String: 1, Null: 1}},
		{name: "tags in two", prop: s.Properties["tags"], want: Types{Array: 2}},
		{name: "tags items", prop: s.Properties["tags"].Items, want: Types{String: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.prop == nil {
				t.Fatal("not tracked")
			}
			if tc.prop.Types != tc.want {
				t.Errorf("types = %+v; want %+v", tc.prop.Types, tc.want)
			}
		})
	}
}

func TestKindOf(t *testing.T) {
	tests := []struct {
		key  string
		want keyKind
	}{
		{"Name", keyName},
		{"address_line2", keyName},
		{"Custom_Field_1234__c", keyName},
		{"hs_object_id", keyName},
		{"@odata.etag", keyName},
		{"parentcustomerid_account@odata.bind", keyName},
		{"_x_value@OData.Community.Display.V1.FormattedValue", keyName},
		{"v59.0", keyName},
		{"12345", keyValue},
		{"2026-01-31", keyValue},
		{"+1 415 555 2671", keyValue},
		{"003XX000004TmiQAAS", keyValue},
		{"123e4567-e89b-12d3-a456-426614174000", keyValue},
		{"jane.doe@example.com", keyValue},
		{"a%40b", keyValue},
		{"https://x.example/", keyValue},
		{strings.Repeat("a", maxNameLen+1), keyDrop},
		{"a\x00b", keyDrop},
		{"\xff", keyDrop},
		{"", keyDrop},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			if got := kindOf(tc.key); got != tc.want {
				t.Errorf("kindOf(%q) = %d; want %d", tc.key, got, tc.want)
			}
		})
	}
}

func TestSchema_keysThatAreValues(t *testing.T) {
	s := learn(t,
		`{"total":2,"byId":{"003XX000004TmiQAAS":{"n":1},"003XX000004TmiRAAS":{"n":2}}}`,
		`{"total":1,"byId":{"003XX000004TmiSAAS":{"n":3,"x":true}}}`,
	)
	byID := s.Properties["byId"]
	if len(byID.Properties) != 0 {
		t.Errorf("properties = %v; want none, the keys are record ids", byID.Properties)
	}
	if byID.Keys == nil || byID.Keys.Types.Object != 3 {
		t.Fatalf("keys = %+v; want 3 objects", byID.Keys)
	}
	if got := byID.Keys.Properties["n"].Types.Integer; got != 3 {
		t.Errorf("keys.n integers = %d; want 3", got)
	}
}

func TestSchema_propertyCap(t *testing.T) {
	var b strings.Builder
	b.WriteString("{")
	for i := range 10000 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"field_%c%c%c":%d`, 'a'+i%26, 'a'+i/26%26, 'a'+i/676%26, i)
	}
	b.WriteString("}")
	s := learn(t, b.String(), b.String())
	if got := len(s.Properties); got != maxProperties {
		t.Errorf("properties = %d; want %d", got, maxProperties)
	}
	if want := int64(2 * (10000 - maxProperties)); s.Untracked != want {
		t.Errorf("untracked = %d; want %d", s.Untracked, want)
	}
	// The same properties are kept whatever the map order: "field_aaa" sorts first.
	if s.Properties["field_aaa"] == nil {
		t.Error("field_aaa not tracked; want the first names in order kept")
	}
	m := &Schema{}
	m.Merge(s)
	m.Merge(learn(t, `{"other":1}`))
	if got := len(m.Properties); got != maxProperties {
		t.Errorf("merged properties = %d; want %d", got, maxProperties)
	}
	if want := s.Untracked + 1; m.Untracked != want {
		t.Errorf("merged untracked = %d; want %d", m.Untracked, want)
	}
}

func TestSchema_nodeCap(t *testing.T) {
	// 200 properties each with 200 of its own stays within the per-object
	// cap everywhere but would be 40,000 schemas.
	var b strings.Builder
	b.WriteString("{")
	for i := range 200 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"p%c%c":{`, 'a'+i%26, 'a'+i/26)
		for j := range 200 {
			if j > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `"q%c%c":1`, 'a'+j%26, 'a'+j/26)
		}
		b.WriteString("}")
	}
	b.WriteString("}")
	s := learn(t, b.String())
	if n := s.size(); n > maxNodes {
		t.Errorf("size = %d; want at most %d", n, maxNodes)
	}
	if s.Untracked == 0 {
		var nested int64
		for _, p := range s.Properties {
			nested += p.Untracked
		}
		if nested == 0 {
			t.Error("nothing counted as untracked")
		}
	}
}

func TestSchema_depthCap(t *testing.T) {
	const depth = 5000
	for _, open := range []string{`{"a":`, `[`} {
		t.Run(open, func(t *testing.T) {
			close := "}"
			if open == "[" {
				close = "]"
			}
			doc := strings.Repeat(open, depth) + "1" + strings.Repeat(close, depth)
			s := learn(t, doc)
			levels := 0
			var last *Schema
			for n := s; n != nil; {
				levels++
				last = n
				if n.Items != nil {
					n = n.Items
				} else {
					n = n.Properties["a"]
				}
			}
			if levels != maxDepth+1 {
				t.Errorf("levels = %d; want %d", levels, maxDepth+1)
			}
			if last.Cut != 1 {
				t.Errorf("cut at the last level = %d; want 1", last.Cut)
			}
			r := renderer{opts: RenderOptions{MinSamples: 1}}
			if _, err := json.Marshal(r.schema(s)); err != nil {
				t.Errorf("rendering: %v", err)
			}
		})
	}
}

func TestSchema_JSON(t *testing.T) {
	s := learn(t, `{"email":"a@example.com","n":1}`, `{"email":"b@example.com","n":null}`)
	got, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"types":{"object":2},"properties":{"email":{"types":{"string":2},"formats":{"email":2},"minLength":13,"maxLength":13},"n":{"types":{"integer":1,"null":1}}}}`
	if string(got) != want {
		t.Errorf("json = %s; want %s", got, want)
	}
	var back Schema
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatal(err)
	}
	again, _ := json.Marshal(&back)
	if string(again) != want {
		t.Errorf("round trip = %s; want %s", again, want)
	}
}

func TestIsNumberText(t *testing.T) {
	tests := []struct {
		in         string
		num, integ bool
	}{
		{"0", true, true},
		{"-12", true, true},
		{"007", false, false},
		{"1.5", true, false},
		{"-0.5e-3", true, false},
		{"1E9", true, false},
		{"1.", false, false},
		{".5", false, false},
		{"Inf", false, false},
		{"NaN", false, false},
		{"0x10", false, false},
		{"1_000", false, false},
		{"", false, false},
		{"-", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := isNumberText(tc.in); got != tc.num {
				t.Errorf("isNumberText(%q) = %v; want %v", tc.in, got, tc.num)
			}
			if got := isIntegerText(tc.in); got != tc.integ {
				t.Errorf("isIntegerText(%q) = %v; want %v", tc.in, got, tc.integ)
			}
		})
	}
}
