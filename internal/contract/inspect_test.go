package contract

import (
	"strings"
	"testing"
)

func TestInspect(t *testing.T) {
	t.Run("suitecrm", func(t *testing.T) {
		in, err := Inspect("testdata/suitecrm-v8.json")
		if err != nil {
			t.Fatal(err)
		}
		if in.Errors() != 0 || in.Operations != 9 || in.OpenAPI != "3.0.0" {
			t.Fatalf("inspection %+v: want no errors, 9 operations, OpenAPI 3.0.0", in)
		}
		warned := false
		for _, p := range in.Problems {
			if p.Where == "POST /module" && strings.Contains(p.Message, "no content") {
				warned = true
			}
		}
		if !warned {
			t.Errorf("problems %+v: want a warning that POST /module's 201 declares no content", in.Problems)
		}
	})
	t.Run("broken", func(t *testing.T) {
		in, err := Inspect("testdata/check/broken.yaml")
		if err != nil {
			t.Fatal(err)
		}
		var ref, schema bool
		for _, p := range in.Problems {
			if p.Severity != "error" {
				continue
			}
			ref = ref || strings.Contains(p.Message, "Missing")
			schema = schema || (strings.Contains(p.Message, "OpenAPI") && p.Line > 0)
		}
		if !ref || !schema {
			t.Errorf("problems %+v: want an unresolved reference and a schema violation with its line", in.Problems)
		}
	})
	t.Run("not openapi", func(t *testing.T) {
		if _, err := Inspect("testdata/diff"); err == nil {
			t.Error("a directory inspected without error")
		}
	})
}
