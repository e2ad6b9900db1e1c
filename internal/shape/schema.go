// Package shape learns the shape of JSON traffic, the types, formats and
// properties seen per operation, so that a contract can be drafted for a
// CRM that publishes none. Shapes hold counts and names only, never values
// from traffic, and merge associatively, so shapes learned apart (by
// several replicas, or in several periods) add up to the shape of all the
// traffic.
package shape

import (
	"encoding/json"
	"maps"
	"math"
	"slices"
	"unicode/utf8"
)

// Limits that bound the memory one shape can take whatever the traffic.
const (
	// maxDepth is the nesting depth below which objects and arrays are
	// counted but not looked into.
	maxDepth = 12
	// maxProperties caps the properties tracked per object. Occurrences of
	// others are counted in Schema.Untracked.
	maxProperties = 256
	// maxNodes caps the schemas in one body's tree: maxProperties alone
	// allows 256 properties on every object at every depth.
	maxNodes = 4096
)

// Types counts observed values by JSON type. Integer counts numbers
// written without fraction or exponent and Number the others, so a schema
// that saw both describes numbers.
type Types struct {
	Object  int64 `json:"object,omitempty"`
	Array   int64 `json:"array,omitempty"`
	String  int64 `json:"string,omitempty"`
	Integer int64 `json:"integer,omitempty"`
	Number  int64 `json:"number,omitempty"`
	Boolean int64 `json:"boolean,omitempty"`
	Null    int64 `json:"null,omitempty"`
}

// Total is the number of values counted.
func (t Types) Total() int64 {
	return t.Object + t.Array + t.String + t.Integer + t.Number + t.Boolean + t.Null
}

func (t *Types) add(o Types) {
	t.Object += o.Object
	t.Array += o.Array
	t.String += o.String
	t.Integer += o.Integer
	t.Number += o.Number
	t.Boolean += o.Boolean
	t.Null += o.Null
}

// Formats counts observed strings by the format they had; a string counts
// toward one format at most. A format holds for a schema when its count
// equals Types.String.
type Formats struct {
	// Date is RFC 3339 full-date, 2006-01-02.
	Date int64 `json:"date,omitempty"`
	// DateTime is RFC 3339 date-time, 2006-01-02T15:04:05Z07:00.
	DateTime int64 `json:"date-time,omitempty"`
	// Email counts addresses of the common local@domain.tld shape.
	Email int64 `json:"email,omitempty"`
	// UUID counts 8-4-4-4-12 hexadecimal strings.
	UUID int64 `json:"uuid,omitempty"`
	// URI counts absolute http and https URLs.
	URI int64 `json:"uri,omitempty"`
}

func (f *Formats) add(o Formats) {
	f.Date += o.Date
	f.DateTime += o.DateTime
	f.Email += o.Email
	f.UUID += o.UUID
	f.URI += o.URI
}

func (f *Formats) count(k format) {
	switch k {
	case formatDate:
		f.Date++
	case formatDateTime:
		f.DateTime++
	case formatEmail:
		f.Email++
	case formatUUID:
		f.UUID++
	case formatURI:
		f.URI++
	}
}

// Schema summarises the values observed at one place in a document: how
// many of each type, which formats the strings had, and for objects and
// arrays what they held. It holds counts and names, never values. The
// zero value is an empty schema, ready to use. A Schema is not safe for
// concurrent use; Book serialises access to the schemas it owns.
type Schema struct {
	// Types counts the values by type; Types.Total is the number of values
	// observed here. For a property that is the number of objects that had
	// it, which decides whether it is required.
	Types Types `json:"types,omitzero"`
	// Formats counts the strings by recognised format.
	Formats Formats `json:"formats,omitzero"`
	// MinLength and MaxLength bound the length of the strings in
	// characters; they are meaningful only when Types.String > 0.
	MinLength int64 `json:"minLength,omitempty"`
	MaxLength int64 `json:"maxLength,omitempty"`
	// Properties describes the objects' properties by name.
	Properties map[string]*Schema `json:"properties,omitempty"`
	// Keys describes the values of properties whose names are values
	// themselves (record ids, e-mail addresses, dates: a map keyed by
	// record), merged into one schema so that neither the keys nor their
	// number end up in the shape.
	Keys *Schema `json:"keys,omitempty"`
	// Untracked counts property occurrences not described: beyond the
	// per-object or per-body limits, or with names that are not kept.
	Untracked int64 `json:"untracked,omitempty"`
	// Items describes the elements of the arrays, all merged.
	Items *Schema `json:"items,omitempty"`
	// Cut counts objects and arrays whose contents were not described
	// because of the depth or size limits.
	Cut int64 `json:"cut,omitempty"`
}

// budget is what is left of maxNodes while one tree grows.
type budget struct{ left int }

func (b *budget) take() bool {
	if b.left <= 0 {
		return false
	}
	b.left--
	return true
}

// Observe adds one decoded JSON value to s: the result of encoding/json
// decoding into an any, ideally with Decoder.UseNumber so that integers
// and numbers are told apart by how they were written. A float64 counts as
// an integer when it is whole. Values of other Go types are ignored.
// Objects and arrays nested deeper than 12 levels are counted but not
// looked into (Cut), and at most 256 properties per object and 4096
// schemas in all are described (the rest counts in Untracked).
func (s *Schema) Observe(v any) {
	b := budget{left: maxNodes - s.size()}
	s.observe(v, 0, &b)
}

func (s *Schema) observe(v any, depth int, b *budget) {
	switch v := v.(type) {
	case nil:
		s.Types.Null++
	case bool:
		s.Types.Boolean++
	case json.Number:
		if isIntegerText(string(v)) {
			s.Types.Integer++
		} else {
			s.Types.Number++
		}
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			s.Types.Integer++
		} else {
			s.Types.Number++
		}
	case int:
		s.Types.Integer++
	case int64:
		s.Types.Integer++
	case string:
		s.observeString(v)
	case map[string]any:
		s.Types.Object++
		if depth >= maxDepth {
			s.Cut++
			return
		}
		s.observeObject(v, depth, b)
	case []any:
		s.Types.Array++
		if depth >= maxDepth {
			s.Cut++
			return
		}
		if len(v) == 0 {
			return
		}
		items := s.items(b)
		if items == nil {
			s.Cut++
			return
		}
		for _, e := range v {
			items.observe(e, depth+1, b)
		}
	}
}

func (s *Schema) observeString(v string) {
	n := int64(utf8.RuneCountInString(v))
	if s.Types.String == 0 || n < s.MinLength {
		s.MinLength = n
	}
	if s.Types.String == 0 || n > s.MaxLength {
		s.MaxLength = n
	}
	s.Types.String++
	s.Formats.count(formatOf(v))
}

func (s *Schema) observeObject(v map[string]any, depth int, b *budget) {
	if len(s.Properties)+len(v) <= maxProperties {
		for k, e := range v {
			s.observeProperty(k, e, depth, b)
		}
		return
	}
	// This object may not fit; which properties are kept then must not
	// depend on map iteration order, or replicas would learn different
	// shapes from the same traffic.
	for _, k := range slices.Sorted(maps.Keys(v)) {
		s.observeProperty(k, v[k], depth, b)
	}
}

func (s *Schema) observeProperty(k string, v any, depth int, b *budget) {
	p := s.property(k, b)
	if p == nil {
		s.Untracked++
		return
	}
	p.observe(v, depth+1, b)
}

// property returns the schema that values under key k go to, allocating
// it if the limits allow, or nil if the occurrence is not to be described.
func (s *Schema) property(k string, b *budget) *Schema {
	switch kindOf(k) {
	case keyDrop:
		return nil
	case keyValue:
		if s.Keys == nil && b.take() {
			s.Keys = &Schema{}
		}
		return s.Keys
	}
	if p := s.Properties[k]; p != nil {
		return p
	}
	if len(s.Properties) >= maxProperties || !b.take() {
		return nil
	}
	if s.Properties == nil {
		s.Properties = make(map[string]*Schema)
	}
	p := &Schema{}
	s.Properties[k] = p
	return p
}

func (s *Schema) items(b *budget) *Schema {
	if s.Items == nil && b.take() {
		s.Items = &Schema{}
	}
	return s.Items
}

// Merge adds everything o observed to s, as if s had observed o's values
// itself, within the same limits. o is not modified or retained.
func (s *Schema) Merge(o *Schema) {
	if o == nil {
		return
	}
	b := budget{left: maxNodes - s.size()}
	s.merge(o, 0, &b)
}

func (s *Schema) merge(o *Schema, depth int, b *budget) {
	if o.Types.String > 0 {
		if s.Types.String == 0 {
			s.MinLength, s.MaxLength = o.MinLength, o.MaxLength
		} else {
			s.MinLength = min(s.MinLength, o.MinLength)
			s.MaxLength = max(s.MaxLength, o.MaxLength)
		}
	}
	s.Types.add(o.Types)
	s.Formats.add(o.Formats)
	s.Untracked += o.Untracked
	s.Cut += o.Cut
	if len(o.Properties) == 0 && o.Keys == nil && o.Items == nil {
		return
	}
	if depth >= maxDepth {
		// Only a stored shape from elsewhere can be this deep.
		s.Cut++
		return
	}
	// Sorted for the same reason as in observeObject.
	for _, k := range slices.Sorted(maps.Keys(o.Properties)) {
		op := o.Properties[k]
		if op == nil {
			continue
		}
		p := s.property(k, b)
		if p == nil {
			s.Untracked += op.Types.Total()
			continue
		}
		p.merge(op, depth+1, b)
	}
	if o.Keys != nil {
		if s.Keys == nil && b.take() {
			s.Keys = &Schema{}
		}
		if s.Keys == nil {
			s.Untracked += o.Keys.Types.Total()
		} else {
			s.Keys.merge(o.Keys, depth+1, b)
		}
	}
	if o.Items != nil {
		if items := s.items(b); items == nil {
			s.Cut++
		} else {
			items.merge(o.Items, depth+1, b)
		}
	}
}

// clone returns a deep copy of s, or nil for nil.
func (s *Schema) clone() *Schema {
	if s == nil {
		return nil
	}
	c := &Schema{}
	c.Merge(s)
	return c
}

// size counts the schemas in the tree rooted at s, s included.
func (s *Schema) size() int {
	if s == nil {
		return 0
	}
	n := 1 + s.Keys.size() + s.Items.size()
	for _, p := range s.Properties {
		n += p.size()
	}
	return n
}
