package contract

import (
	"bytes"
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi/what-changed/model"
	"go.yaml.in/yaml/v3"
)

func diffFiles(t *testing.T, oldPath, newPath string) *DiffReport {
	t.Helper()
	o, err := Load(oldPath, Options{})
	if err != nil {
		t.Fatal(err)
	}
	n, err := Load(newPath, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Diff(o, n)
	if err != nil {
		t.Fatalf("Diff(%s, %s): %v", oldPath, newPath, err)
	}
	return r
}

// find returns the difference at location about property, if ds has one.
func find(ds []Difference, location, property string) (Difference, bool) {
	for _, d := range ds {
		if d.Location == location && d.Property == property {
			return d, true
		}
	}
	return Difference{}, false
}

func TestDiff_ContactsV1ToV2(t *testing.T) {
	r := diffFiles(t, "testdata/diff/contacts-v1.yaml", "testdata/diff/contacts-v2.json")
	const response201 = "paths./contacts.post.responses.201.content.application/json.schema"
	tests := []struct {
		name     string
		breaking bool
		want     Difference
	}{
		{
			name:     "response property removed",
			breaking: true,
			want: Difference{
				Kind: "removed", Location: response201 + ".properties.phone", Property: "properties",
				Old: "phone", OldLine: 59,
				Summary: "property phone removed from POST /contacts 201 response body",
			},
		},
		{
			name:     "response property no longer required",
			breaking: true,
			want: Difference{
				Kind: "removed", Location: response201 + ".required", Property: "required",
				Old: "phone", OldLine: 53,
				Summary: "POST /contacts 201 response body no longer requires phone",
			},
		},
		{
			name:     "request property type changed",
			breaking: true,
			want: Difference{
				Kind:     "modified",
				Location: "paths./contacts.post.requestBody.content.application/json.schema.properties.age.type",
				Property: "type", Old: "integer", New: "string", OldLine: 41, NewLine: 66,
				Summary: "property age of POST /contacts request body changed type from integer to string",
			},
		},
		{
			name: "optional query parameter added",
			want: Difference{
				Kind: "added", Location: "paths./contacts.get.parameters", Property: "parameters",
				New: "email", NewLine: 20,
				Summary: "parameter email added to GET /contacts",
			},
		},
		{
			name: "operation added",
			want: Difference{
				Kind: "added", Location: "paths./contacts/{id}.delete", Property: "delete",
				NewLine: 134,
				Summary: "operation DELETE /contacts/{id} added",
			},
		},
		{
			name: "version changed",
			want: Difference{
				Kind: "modified", Location: "info.version", Property: "version",
				Old: "1.0.0", New: "2.0.0", OldLine: 4, NewLine: 5,
				Summary: "info changed version from 1.0.0 to 2.0.0",
			},
		},
	}
	var wantBreaking, wantCompatible int
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			list, other := r.Compatible, r.Breaking
			if tc.breaking {
				list, other = r.Breaking, r.Compatible
			}
			got, ok := find(list, tc.want.Location, tc.want.Property)
			if !ok {
				_, wrong := find(other, tc.want.Location, tc.want.Property)
				t.Fatalf("no difference at %s (%s) in the right list (in the other: %v); got %+v", tc.want.Location, tc.want.Property, wrong, list)
			}
			if got != tc.want {
				t.Errorf("got %+v; want %+v", got, tc.want)
			}
		})
		if tc.breaking {
			wantBreaking++
		} else {
			wantCompatible++
		}
	}
	// Nothing beyond the table: an extra difference is as wrong as a
	// missing one.
	if len(r.Breaking) != wantBreaking || len(r.Compatible) != wantCompatible {
		t.Errorf("got %d breaking and %d compatible; want %d and %d: %+v", len(r.Breaking), len(r.Compatible), wantBreaking, wantCompatible, r)
	}
	for _, list := range [][]Difference{r.Breaking, r.Compatible} {
		if !slices.IsSortedFunc(list, compareDifferences) {
			t.Errorf("not sorted by location: %+v", list)
		}
	}
}

func TestDiff_Identical(t *testing.T) {
	v1, err := Load("testdata/diff/contacts-v1.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	asJSON := func(t *testing.T) *Spec {
		t.Helper()
		var doc any
		if err := yaml.Unmarshal(v1.raw, &doc); err != nil {
			t.Fatal(err)
		}
		raw, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		s, err := Parse(raw, "contacts-v1.json", Options{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tests := []struct {
		name     string
		old, new func(t *testing.T) *Spec
	}{
		{
			name: "same document",
			old:  func(*testing.T) *Spec { return v1 },
			new:  func(*testing.T) *Spec { return v1 },
		},
		{
			name: "same file loaded twice",
			old:  func(*testing.T) *Spec { return v1 },
			new: func(t *testing.T) *Spec {
				s, err := Load("testdata/diff/contacts-v1.yaml", Options{})
				if err != nil {
					t.Fatal(err)
				}
				return s
			},
		},
		{
			name: "same contract as JSON with keys reordered",
			old:  func(*testing.T) *Spec { return v1 },
			new:  asJSON,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Diff(tc.old(t), tc.new(t))
			if err != nil {
				t.Fatal(err)
			}
			if r.Breaking == nil || r.Compatible == nil || len(r.Breaking)+len(r.Compatible) != 0 {
				t.Errorf("got breaking %#v, compatible %#v; want both empty and non-nil", r.Breaking, r.Compatible)
			}
		})
	}
}

func TestDiff_RefComponents(t *testing.T) {
	r := diffFiles(t, "testdata/diff/contacts-ref-v1.yaml", "testdata/diff/contacts-ref-v2.yaml")
	want := &DiffReport{
		Old: "testdata/diff/contacts-ref-v1.yaml",
		New: "testdata/diff/contacts-ref-v2.yaml",
		Breaking: []Difference{{
			Kind: "modified", Location: "components.schemas.Contact.properties.email.format", Property: "format",
			Old: "email", New: "hostname", OldLine: 49, NewLine: 49,
			Summary: "property email of schema Contact changed format from email to hostname",
		}},
		// Contact is used by two operations, yet each change is reported
		// once, where the schema is defined.
		Compatible: []Difference{{
			Kind: "added", Location: "components.schemas.Contact.properties.lifecycleStage.enum", Property: "enum",
			New: "churned", NewLine: 55,
			Summary: "enum value churned added to property lifecycleStage of schema Contact",
		}},
	}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("got %+v;\nwant %+v", r, want)
	}
}

// TestDiff_OneLine checks that changes sharing a line are told apart by
// column, in minified JSON and in YAML flow style.
func TestDiff_OneLine(t *testing.T) {
	tests := []struct {
		name     string
		old, new string
		want     []Difference
	}{
		{
			name: "minified JSON",
			old:  "testdata/diff/contacts-min-v1.json",
			new:  "testdata/diff/contacts-min-v2.json",
			want: []Difference{
				{
					Kind: "modified", Location: "paths./contacts.get.parameters.0.schema.type", Property: "type",
					Old: "integer", New: "number", OldLine: 1, NewLine: 1,
					Summary: "GET /contacts parameter limit changed type from integer to number",
				},
				{
					Kind: "modified", Location: "paths./contacts.post.requestBody.content.application/json.schema.properties.age.type", Property: "type",
					Old: "integer", New: "string", OldLine: 1, NewLine: 1,
					Summary: "property age of POST /contacts request body changed type from integer to string",
				},
			},
		},
		{
			name: "YAML flow style",
			old:  "testdata/diff/contacts-flow-v1.yaml",
			new:  "testdata/diff/contacts-flow-v2.yaml",
			want: []Difference{
				{
					Kind: "modified", Location: "paths./contacts.post.requestBody.content.application/json.schema.properties.age.type", Property: "type",
					Old: "integer", New: "string", OldLine: 9, NewLine: 9,
					Summary: "property age of POST /contacts request body changed type from integer to string",
				},
				{
					Kind: "added", Location: "paths./contacts.post.requestBody.content.application/json.schema.properties.email.format", Property: "format",
					New: "email", NewLine: 9,
					Summary: "property email of POST /contacts request body set format to email",
				},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := diffFiles(t, tc.old, tc.new)
			got := append(slices.Clone(r.Breaking), r.Compatible...)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v;\nwant %+v", got, tc.want)
			}
		})
	}
}

// textPos is a 1-based line and column in a document.
type textPos struct{ line, col int }

// posOf returns where the n-th (from 1) occurrence of s starts in doc, or
// the zero textPos when there is none, which no node has.
func posOf(doc, s string, n int) textPos {
	off := -1
	for range n {
		i := strings.Index(doc[off+1:], s)
		if i < 0 {
			return textPos{}
		}
		off += 1 + i
	}
	before := doc[:off]
	return textPos{strings.Count(before, "\n") + 1, off - strings.LastIndex(before, "\n")}
}

func TestLocator_At(t *testing.T) {
	const (
		minified = `{"a":{"type":"integer"},"b":{"type":"integer"}}`
		paths    = `{"paths":{"/contacts/{id}":{"get":{}},"/deals":{}}}`
		flow     = "schema: {type: object, properties: {age: {type: integer}, email: {type: string}}}\n"
		verbatim = "paths:\n  /contacts/{id}:\n    get: {}\n"
		block    = "delete:\n  operationId: deleteContact\n"
		sequence = "parameters:\n  - name: limit\n  - name: email\n"
		gap      = "info:\n\n  version: 1.0.0\n"
	)
	first := posOf(minified, `"integer"`, 1)
	tests := []struct {
		name   string
		doc    string
		at     textPos
		want   string
		wantOK bool
	}{
		{"minified JSON, first of two values on the line", minified, first, "a.type", true},
		{"minified JSON, second of two values on the line", minified, posOf(minified, `"integer"`, 2), "b.type", true},
		{"minified JSON, key of an entry", paths, posOf(paths, `"/deals"`, 1), "paths./deals", true},
		{"YAML flow style", flow, posOf(flow, "string", 1), "schema.properties.email.type", true},
		{"keys kept verbatim", verbatim, posOf(verbatim, "get", 1), "paths./contacts/{id}.get", true},
		{"block mapping starts at its first key, which is deeper", block, posOf(block, "operationId", 1), "delete.operationId", true},
		{"sequence items are numbered", sequence, posOf(sequence, "email", 1), "parameters.1.name", true},
		{"column between nodes takes the one before", minified, textPos{first.line, first.col + 3}, "a.type", true},
		{"unknown column takes the first node on the line", gap, textPos{posOf(gap, "version", 1).line, 0}, "info.version", true},
		{"line without nodes", gap, textPos{2, 1}, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := newLocator([]byte(tc.doc))
			if err != nil {
				t.Fatal(err)
			}
			path, ok := l.at(tc.at.line, tc.at.col)
			if got := strings.Join(path, "."); got != tc.want || ok != tc.wantOK {
				t.Errorf("at(%d, %d) = %q, %v; want %q, %v", tc.at.line, tc.at.col, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestLocator_Name(t *testing.T) {
	l, err := newLocator([]byte("parameters:\n  - name: limit\n  - {in: query, name: email}\n  - $ref: '#/x'\n"))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"limit", "email", ""} {
		if got := l.name([]string{"parameters", []string{"0", "1", "2"}[i]}); got != want {
			t.Errorf("name of parameters.%d = %q; want %q", i, got, want)
		}
	}
}

func TestLocateChange(t *testing.T) {
	tests := []struct {
		name       string
		path       string
		property   string
		values     []string
		wantParent string
		wantLoc    string
	}{
		{
			name: "reported at the property's value",
			path: "paths./c.post.requestBody.content.application/json.schema.properties.age.type", property: "type",
			values:     []string{"integer", "string"},
			wantParent: "paths./c.post.requestBody.content.application/json.schema.properties.age",
			wantLoc:    "paths./c.post.requestBody.content.application/json.schema.properties.age.type",
		},
		{
			name: "reported at the key of a removed entry",
			path: "components.schemas.Contact.properties.phone", property: "properties",
			values:     []string{"phone", ""},
			wantParent: "components.schemas.Contact",
			wantLoc:    "components.schemas.Contact.properties.phone",
		},
		{
			name: "reported below the property: list index dropped",
			path: "paths./c.get.parameters.1.name", property: "parameters",
			values:     []string{"", "email"},
			wantParent: "paths./c.get",
			wantLoc:    "paths./c.get.parameters",
		},
		{
			name: "schema property named like the changed property",
			path: "components.schemas.A.properties.type.type", property: "type",
			values:     []string{"integer", "string"},
			wantParent: "components.schemas.A.properties.type",
			wantLoc:    "components.schemas.A.properties.type.type",
		},
		{
			name: "property that is not a key, located by value",
			path: "paths./c.post.responses.400.description", property: "codes",
			values:     []string{"", "400"},
			wantParent: "paths./c.post.responses",
			wantLoc:    "paths./c.post.responses.400",
		},
		{
			name: "neither property nor value on the path",
			path: "paths./c.post", property: "x-owner",
			values:     []string{"", ""},
			wantParent: "paths./c.post",
			wantLoc:    "paths./c.post.x-owner",
		},
		{
			name: "nothing located",
			path: "", property: "servers",
			wantParent: "",
			wantLoc:    "servers",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var path []string
			if tc.path != "" {
				path = strings.Split(tc.path, ".")
			}
			// Keys holding "." would be split here, so the cases avoid them.
			parent, loc := locateChange(path, tc.property, tc.values...)
			if got := strings.Join(parent, "."); got != tc.wantParent {
				t.Errorf("parent = %q; want %q", got, tc.wantParent)
			}
			if got := strings.Join(loc, "."); got != tc.wantLoc {
				t.Errorf("location = %q; want %q", got, tc.wantLoc)
			}
		})
	}
}

// TestDifference_OtherDocument checks that a change libopenapi places in
// a file reached through an external $ref is not given a path in the
// contract's own tree, where its lines mean something else.
func TestDifference_OtherDocument(t *testing.T) {
	l, err := newLocator([]byte("openapi: 3.1.0\ninfo:\n  title: x\n"))
	if err != nil {
		t.Fatal(err)
	}
	line, col := 3, 10
	c := &model.Change{
		ChangeType: model.Modified, Property: "type", Original: "integer", New: "string", Breaking: true,
		Context: &model.ChangeContext{
			DocumentLocation: "/contracts/v2/schemas/contact.yaml",
			OriginalLine:     &line, OriginalColumn: &col, NewLine: &line, NewColumn: &col,
		},
	}
	got := difference(c, l, l)
	want := Difference{
		Kind: "modified", Location: "contact.yaml:type", Property: "type",
		Old: "integer", New: "string", OldLine: 3, NewLine: 3,
		Summary: "the contract changed type from integer to string in contact.yaml",
	}
	if got != want {
		t.Errorf("got %+v; want %+v", got, want)
	}
}

func TestDiffReport_WriteText(t *testing.T) {
	tests := []struct {
		name   string
		report func(t *testing.T) *DiffReport
		want   string
	}{
		{
			name: "contacts v1 to v2",
			report: func(t *testing.T) *DiffReport {
				return diffFiles(t, "testdata/diff/contacts-v1.yaml", "testdata/diff/contacts-v2.json")
			},
			want: `testdata/diff/contacts-v1.yaml → testdata/diff/contacts-v2.json: 3 breaking, 3 compatible
Breaking changes (3):
  modified  paths./contacts.post.requestBody.content.application/json.schema.properties.age.type: integer → string (old line 41, new line 66)
  removed   paths./contacts.post.responses.201.content.application/json.schema.properties.phone (old line 59)
  removed   paths./contacts.post.responses.201.content.application/json.schema.required: phone (old line 53)
Compatible changes (3):
  modified  info.version: 1.0.0 → 2.0.0 (old line 4, new line 5)
  added     paths./contacts.get.parameters: email (new line 20)
  added     paths./contacts/{id}.delete (new line 134)
`,
		},
		{
			name: "no differences",
			report: func(t *testing.T) *DiffReport {
				return diffFiles(t, "testdata/diff/contacts-v1.yaml", "testdata/diff/contacts-v1.yaml")
			},
			want: `testdata/diff/contacts-v1.yaml → testdata/diff/contacts-v1.yaml: 0 breaking, 0 compatible
No differences.
`,
		},
		{
			name: "only compatible changes, one with neither value",
			report: func(*testing.T) *DiffReport {
				return &DiffReport{
					Old: "a.yaml", New: "b.yaml", Breaking: []Difference{},
					Compatible: []Difference{
						{Kind: "modified", Location: "info.description", Property: "description", New: "CRM"},
						{Kind: "added", Location: "servers", Property: "servers"},
					},
				}
			},
			want: `a.yaml → b.yaml: 0 breaking, 2 compatible
Breaking changes (0):
  none
Compatible changes (2):
  modified  info.description: (none) → CRM
  added     servers
`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.report(t).WriteText(&b); err != nil {
				t.Fatal(err)
			}
			if got := b.String(); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

func TestDiffReport_JSON(t *testing.T) {
	r := diffFiles(t, "testdata/diff/contacts-v1.yaml", "testdata/diff/contacts-v2.json")
	raw, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}

	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		t.Fatal(err)
	}
	if got, want := slices.Sorted(maps.Keys(top)), []string{"breaking", "compatible", "new", "old"}; !slices.Equal(got, want) {
		t.Errorf("report keys = %v; want %v", got, want)
	}
	var breaking []map[string]any
	if err := json.Unmarshal(top["breaking"], &breaking); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		location string
		want     []string
	}{
		{
			name:     "modified, every field set",
			location: "paths./contacts.post.requestBody.content.application/json.schema.properties.age.type",
			want:     []string{"kind", "location", "new", "new_line", "old", "old_line", "property", "summary"},
		},
		{
			name:     "removed, no new value or line",
			location: "paths./contacts.post.responses.201.content.application/json.schema.required",
			want:     []string{"kind", "location", "old", "old_line", "property", "summary"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			i := slices.IndexFunc(breaking, func(d map[string]any) bool { return d["location"] == tc.location })
			if i < 0 {
				t.Fatalf("no breaking difference at %s in %s", tc.location, raw)
			}
			if got := slices.Sorted(maps.Keys(breaking[i])); !slices.Equal(got, tc.want) {
				t.Errorf("difference keys = %v; want %v", got, tc.want)
			}
		})
	}

	var back DiffReport
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, r) {
		t.Errorf("round trip: got %+v; want %+v", back, *r)
	}
}
