package config

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// decoder decodes a yaml.Node tree into a Config, checking it against the
// struct types' yaml tags as it goes: unknown and duplicate keys, values of
// the wrong kind, strict scalars and ${VAR} expansion. It keeps going after
// a problem so that one run reports them all, and records where each key
// path's value is so that Validate's problems can be located too.
type decoder struct {
	file      string
	lookupEnv func(string) (string, bool)

	errs      []*Error
	reported  map[string]bool     // "line:col:message", so aliased nodes report once
	positions map[string]position // key path → its value's position
	failed    map[string]bool     // key paths whose value could not be decoded
	active    map[*yaml.Node]bool // anchored nodes being decoded, to catch cycles
	via       *yaml.Node          // the outermost alias being decoded, if any

	fields   map[reflect.Type][]field // structFields, computed once per type
	keyIndex map[string][]string      // keyPaths of Config, computed on first need
	budget   int                      // node visits left; aliases may not blow up the work
}

// position is a 1-based line and column.
type position struct{ line, column int }

// field is one yaml key of a struct type.
type field struct {
	key   string
	index int
}

// newDecoder returns a decoder for the document under root.
func newDecoder(file string, lookupEnv func(string) (string, bool), root *yaml.Node) *decoder {
	return &decoder{
		file:      file,
		lookupEnv: lookupEnv,
		reported:  make(map[string]bool),
		positions: make(map[string]position),
		failed:    make(map[string]bool),
		active:    make(map[*yaml.Node]bool),
		fields:    make(map[reflect.Type][]field),
		// Aliases let a small file name a node many times; plain files
		// visit each node about once.
		budget: 10*countNodes(root) + 1000,
	}
}

// report records a problem at n with key path path.
func (d *decoder) report(n *yaml.Node, path string, err error) {
	d.reportAt(n.Line, n.Column, path, err)
}

// reportAt records a problem at a position, once.
func (d *decoder) reportAt(line, column int, path string, err error) {
	k := fmt.Sprintf("%d:%d:%v", line, column, err)
	if d.reported[k] {
		return
	}
	d.reported[k] = true
	d.errs = append(d.errs, &Error{File: d.file, Line: line, Column: column, Path: path, Err: err})
}

// badValue records that the value at path could not be decoded, so that
// Validate's complaints about the same value (now left at its default) are
// not reported as well.
func (d *decoder) badValue(n *yaml.Node, path string, format string, args ...any) {
	d.failed[path] = true
	d.report(n, path, fmt.Errorf(format, args...))
}

// spend counts a visit to n, reporting false (and, the first time, an
// error) once the budget is used up.
func (d *decoder) spend(n *yaml.Node, path string) bool {
	d.budget--
	if d.budget == -1 {
		d.badValue(n, path, "too many alias expansions; write the values out instead of nesting aliases")
	}
	return d.budget >= 0
}

// decodeValue decodes n into v, which is addressable and already holds its
// default. A null value keeps the default.
func (d *decoder) decodeValue(n *yaml.Node, v reflect.Value, path string) {
	if _, ok := d.positions[path]; !ok {
		// Problems found by Validate in a value written once and used
		// again through an alias are reported where it is used.
		at := n
		if d.via != nil {
			at = d.via
		}
		d.positions[path] = position{at.Line, at.Column}
	}
	if !d.spend(n, path) {
		return
	}
	use := n // where the value is used: an alias, or the value itself
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			d.badValue(n, path, "alias to an unknown anchor")
			return
		}
		if d.active[n.Alias] {
			d.badValue(n, path, "anchor %q contains an alias to itself", n.Alias.Anchor)
			return
		}
		d.active[n.Alias] = true
		defer delete(d.active, n.Alias)
		if d.via == nil {
			d.via = n
			defer func() { d.via = nil }()
		}
		n = n.Alias
	}
	t := v.Type()
	switch {
	case t == reflect.TypeFor[Duration](), t == reflect.TypeFor[ByteSize](), t == reflect.TypeFor[Ratio](),
		t.Kind() == reflect.String, t.Kind() == reflect.Int, t == reflect.TypeFor[float64](), t == reflect.TypeFor[*bool]():
		d.decodeScalar(n, use, v, path)
	case isNull(n):
		// An empty value keeps the default, like a missing key.
	case t == reflect.TypeFor[map[string]string]():
		if n.Kind != yaml.MappingNode {
			d.badValue(use, path, "expected a mapping of names to text, found %s", describeNode(n))
			return
		}
		m := make(map[string]string, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
				d.badValue(k, path, "expected a name as the key, found %s", describeNode(k))
				continue
			}
			if _, dup := m[k.Value]; dup {
				d.badValue(k, path, "duplicate key %q", k.Value)
				continue
			}
			var val string
			d.decodeValue(n.Content[i+1], reflect.ValueOf(&val).Elem(), path+"."+k.Value)
			m[k.Value] = val
		}
		v.Set(reflect.ValueOf(m))
	case t.Kind() == reflect.Struct:
		if n.Kind != yaml.MappingNode {
			d.badValue(use, path, "expected %s, found %s", describeType(t), describeNode(n))
			return
		}
		d.decodeStruct(n, v, path, make(map[int]bool))
	case t.Kind() == reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.badValue(use, path, "expected %s, found %s", describeType(t), describeNode(n))
			return
		}
		s := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		for i, e := range n.Content {
			if u, ok := s.Index(i).Addr().Interface().(interface{ applyDefaults() }); ok {
				u.applyDefaults()
			}
			d.decodeValue(e, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	default:
		// Unreachable while the schema uses only the types above; the
		// fuzz and doc tests would catch a new one.
		d.badValue(use, path, "cannot decode into %s", t)
	}
}

// decodeStruct decodes the mapping n into the struct v. set holds the
// fields already set by an enclosing mapping that merges n with <<: those
// keep their value.
func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string, set map[int]bool) {
	fields := d.structFields(v.Type())
	seen := make(map[string]*yaml.Node)
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Value == "<<" && k.ShortTag() == "!!merge" {
			merges = append(merges, val)
			continue
		}
		if k.Kind == yaml.AliasNode && k.Alias != nil {
			k = k.Alias
		}
		if k.Kind != yaml.ScalarNode {
			d.report(k, path, fmt.Errorf("keys must be plain names, found %s", describeNode(k)))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.report(k, path, fmt.Errorf("duplicate key %q (first at line %d); remove one", k.Value, first.Line))
			continue
		}
		seen[k.Value] = k
		f, ok := lookupField(fields, k.Value)
		if !ok {
			d.unknownKey(k, path, fields)
			continue
		}
		if set[f.index] {
			continue
		}
		set[f.index] = true
		d.decodeValue(val, v.Field(f.index), joinPath(path, f.key))
	}
	// Keys written out win over merged ones, and earlier merged mappings
	// over later ones, as in YAML's merge key type.
	for _, m := range merges {
		d.merge(m, v, path, set)
	}
}

// merge decodes the value of a << key: a mapping, or a list of mappings,
// usually aliases.
func (d *decoder) merge(m *yaml.Node, v reflect.Value, path string, set map[int]bool) {
	items := []*yaml.Node{m}
	if m.Kind == yaml.SequenceNode {
		items = m.Content
	}
	for _, it := range items {
		if !d.spend(it, path) {
			return
		}
		target := it
		if it.Kind == yaml.AliasNode && it.Alias != nil {
			target = it.Alias
		}
		if target.Kind != yaml.MappingNode {
			d.report(it, path, fmt.Errorf("<< merges a mapping or a list of mappings (such as *defaults), found %s", describeNode(target)))
			continue
		}
		if d.active[target] {
			d.report(it, path, fmt.Errorf("anchor %q merges itself", target.Anchor))
			continue
		}
		d.active[target] = true
		outer := d.via
		if outer == nil && it != target {
			d.via = it
		}
		d.decodeStruct(target, v, path, set)
		d.via = outer
		delete(d.active, target)
	}
}

// unknownKey reports key k, which the struct at path does not have.
func (d *decoder) unknownKey(k *yaml.Node, path string, fields []field) {
	known := make([]string, len(fields))
	for i, f := range fields {
		known[i] = f.key
	}
	var hint string
	if s := suggest(k.Value, known); s != "" {
		hint = fmt.Sprintf("did you mean %q?; ", s)
	} else if elsewhere := d.keyPaths()[k.Value]; len(elsewhere) > 0 {
		hint = fmt.Sprintf("%s is valid only as %s; ", k.Value, orList(elsewhere))
	}
	d.report(k, path, fmt.Errorf("unknown key %q (%sknown keys: %s)", k.Value, hint, strings.Join(known, ", ")))
}

// decodeScalar decodes a scalar value after expanding ${VAR} in it. use is
// the alias through which n is used, or n.
func (d *decoder) decodeScalar(n, use *yaml.Node, v reflect.Value, path string) {
	t := v.Type()
	if n.Kind != yaml.ScalarNode {
		d.badValue(use, path, "expected %s, found %s", describeType(t), describeNode(n))
		return
	}
	c := *n
	if strings.Contains(c.Value, "$") {
		s, err := expandEnv(c.Value, d.lookupEnv)
		if err != nil {
			d.failed[path] = true
			d.report(n, path, err)
			return
		}
		if s != c.Value && c.Style&(yaml.TaggedStyle|yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
			// A plain value is typed by what it expands to, as if the
			// value had been written in place: ${N} may be a number.
			c.Tag = ""
		}
		c.Value = s
	}
	tag := c.ShortTag()
	if tag == "!!null" {
		return
	}
	switch {
	case t == reflect.TypeFor[*bool]() && tag != "!!bool",
		t.Kind() == reflect.Int && tag != "!!int",
		t == reflect.TypeFor[float64]() && tag != "!!int" && tag != "!!float":
		// yaml.v3 would read yes/no/on/off as booleans and truncate 1.5
		// to 1; strict means neither.
		d.badValue(n, path, "expected %s, found %s", describeType(t), describeNode(&c))
		return
	}
	out := reflect.New(t)
	if err := c.Decode(out.Interface()); err != nil {
		var ce *Error
		var te *yaml.TypeError
		switch {
		case errors.As(err, &ce):
			d.failed[path] = true
			d.reportAt(ce.Line, ce.Column, path, ce.Err)
		case errors.As(err, &te):
			d.badValue(n, path, "expected %s, found %s", describeType(t), describeNode(&c))
		default:
			d.badValue(n, path, "decoding %s: %w", describeNode(&c), err)
		}
		return
	}
	v.Set(out.Elem())
}

// structFields is the package's structFields, remembered per type.
func (d *decoder) structFields(t reflect.Type) []field {
	fs, ok := d.fields[t]
	if !ok {
		fs = structFields(t)
		d.fields[t] = fs
	}
	return fs
}

// keyPaths is keyPaths for Config, computed once.
func (d *decoder) keyPaths() map[string][]string {
	if d.keyIndex == nil {
		d.keyIndex = keyPaths(reflect.TypeFor[Config](), "")
	}
	return d.keyIndex
}
