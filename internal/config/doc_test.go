package config

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// docKey is one yaml key of the schema as declared in config.go.
type docKey struct {
	path  string // such as upstreams[].timeout
	field string // Go field name
	doc   string // its doc comment, one line
	pos   token.Position
}

// schemaKeys parses config.go and lists every yaml key reachable from
// Config, in declaration order.
func schemaKeys(t *testing.T) []docKey {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "config.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	structs := make(map[string]*ast.StructType)
	ast.Inspect(f, func(n ast.Node) bool {
		if ts, ok := n.(*ast.TypeSpec); ok {
			if st, ok := ts.Type.(*ast.StructType); ok {
				structs[ts.Name.Name] = st
			}
		}
		return true
	})
	var keys []docKey
	seen := make(map[string]bool)
	var walk func(typeName, prefix string)
	walk = func(typeName, prefix string) {
		seen[typeName] = true
		for _, fld := range structs[typeName].Fields.List {
			if fld.Tag == nil || len(fld.Names) != 1 {
				t.Errorf("%s: field of %s without a yaml tag or with several names", fset.Position(fld.Pos()), typeName)
				continue
			}
			tag, err := strconv.Unquote(fld.Tag.Value)
			if err != nil {
				t.Fatal(err)
			}
			key, _, _ := strings.Cut(reflect.StructTag(tag).Get("yaml"), ",")
			path := key
			if prefix != "" {
				path = prefix + "." + key
			}
			keys = append(keys, docKey{path, fld.Names[0].Name, strings.Join(strings.Fields(fld.Doc.Text()), " "), fset.Position(fld.Pos())})
			switch ft := fld.Type.(type) {
			case *ast.Ident:
				if _, ok := structs[ft.Name]; ok {
					walk(ft.Name, path)
				}
			case *ast.ArrayType:
				if id, ok := ft.Elt.(*ast.Ident); ok && structs[id.Name] != nil {
					walk(id.Name, path+"[]")
				}
			}
		}
	}
	walk("Config", "")
	for name := range structs {
		if !seen[name] {
			t.Errorf("struct %s in config.go is not reachable from Config; the doc test cannot see its keys", name)
		}
	}
	return keys
}

// TestDoc_everyKey checks that every key has a doc comment that starts
// with its field's name, and appears in docs/configuration.md.
func TestDoc_everyKey(t *testing.T) {
	md, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	keys := schemaKeys(t)
	if len(keys) < 20 {
		t.Fatalf("found only %d keys in config.go; the AST walk is broken", len(keys))
	}
	for _, k := range keys {
		if k.doc == "" {
			t.Errorf("%s: %s (%s) has no doc comment", k.pos, k.field, k.path)
		} else if !strings.HasPrefix(k.doc, k.field+" ") {
			t.Errorf("%s: doc comment of %s does not start with %q: %q", k.pos, k.field, k.field, k.doc)
		}
		if !strings.Contains(string(md), "`"+k.path+"`") {
			t.Errorf("docs/configuration.md does not document `%s`", k.path)
		}
	}
	for _, d := range DialectNames() {
		if !strings.Contains(string(md), "`"+d+"`") {
			t.Errorf("docs/configuration.md does not list dialect `%s`", d)
		}
	}
}

// TestDoc_defaults checks that the "Default X" in each field's doc comment
// is the value New gives it.
func TestDoc_defaults(t *testing.T) {
	re := regexp.MustCompile(`\bDefault (\S+)`)
	// One element in each list, so every list's fields have a value.
	c := &Config{Upstreams: []Upstream{{}}, Notifiers: []Notifier{{}}, Alerts: Alerts{Rules: []AlertRule{{}}, Maintenance: []Maintenance{{}}}}
	c.ApplyDefaults()
	n := 0
	for _, k := range schemaKeys(t) {
		m := re.FindStringSubmatch(k.doc)
		if m == nil {
			continue
		}
		n++
		want := strings.TrimRight(m[1], ".;,")
		if got := valueAt(t, reflect.ValueOf(c).Elem(), k.path); got != want {
			t.Errorf("%s: %s is documented as Default %s, but New gives %s", k.pos, k.path, want, got)
		}
	}
	if n < 15 {
		t.Errorf("found %d documented defaults; want at least 15", n)
	}
}

// valueAt formats the value at a key path, taking element 0 of lists.
func valueAt(t *testing.T, v reflect.Value, path string) string {
	t.Helper()
	for _, key := range strings.Split(path, ".") {
		key, list := strings.CutSuffix(key, "[]")
		f, ok := lookupField(structFields(v.Type()), key)
		if !ok {
			t.Fatalf("no key %q in %s", key, v.Type())
		}
		v = v.Field(f.index)
		if list {
			v = v.Index(0)
		}
	}
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	return fmt.Sprint(v.Interface())
}
