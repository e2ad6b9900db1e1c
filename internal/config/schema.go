package config

import (
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// structFields lists t's yaml keys in declaration order.
func structFields(t reflect.Type) []field {
	var fs []field
	for i := range t.NumField() {
		key, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if key != "" && key != "-" {
			fs = append(fs, field{key, i})
		}
	}
	return fs
}

// lookupField finds the field with the given yaml key.
func lookupField(fs []field, key string) (field, bool) {
	for _, f := range fs {
		if f.key == key {
			return f, true
		}
	}
	return field{}, false
}

// keyPaths maps every key under t to the paths where it is valid, such as
// "timeout" → ["upstreams[].timeout"].
func keyPaths(t reflect.Type, prefix string) map[string][]string {
	m := make(map[string][]string)
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for _, f := range structFields(t) {
			p := joinPath(prefix, f.key)
			m[f.key] = append(m[f.key], p)
			switch ft := t.Field(f.index).Type; {
			case ft.Kind() == reflect.Struct:
				walk(ft, p)
			case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
				walk(ft.Elem(), p+"[]")
			}
		}
	}
	walk(t, prefix)
	return m
}

// joinPath appends a key to a key path.
func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// isNull reports whether n is an empty value: nothing, ~ or null.
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// countNodes counts the nodes in the tree under n, not following aliases.
func countNodes(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	c := 1
	for _, e := range n.Content {
		c += countNodes(e)
	}
	return c
}

// describeType says what a value of type t is written as.
func describeType(t reflect.Type) string {
	switch {
	case t == reflect.TypeFor[Duration]():
		return `a duration such as "30s"`
	case t == reflect.TypeFor[ByteSize]():
		return `a size such as "4KiB"`
	case t == reflect.TypeFor[Ratio]():
		return `a share such as 0.2 or "20%"`
	case t == reflect.TypeFor[*bool]():
		return "true or false"
	case t.Kind() == reflect.Int:
		return "a whole number such as 1000"
	case t == reflect.TypeFor[float64]():
		return "a number such as 20 or 2.5"
	case t.Kind() == reflect.String:
		return "a single value"
	case t.Kind() == reflect.Slice:
		return `a list (one "- " item per line)`
	case t.Kind() == reflect.Struct:
		fs := structFields(t)
		keys := make([]string, len(fs))
		for i, f := range fs {
			keys[i] = f.key
		}
		return "a mapping with keys such as " + orList(keys)
	}
	return t.String()
}

// describeNode says what n is, for messages: "a list", "a mapping" or the
// quoted scalar value, shortened.
func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		v := n.Value
		if len(v) > 60 {
			v = v[:57] + "..."
		}
		return fmt.Sprintf("%q", v)
	}
	return "nothing"
}
