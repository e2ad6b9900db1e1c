package config

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// FuzzLoad checks that Load never panics and either returns a
// configuration that validates and survives a YAML round trip, or errors
// that each sit on a line of their own starting with the file name. Its
// seeds, in testdata/fuzz/FuzzLoad, are the fixtures in testdata.
func FuzzLoad(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := load("fuzz.yaml", data, testEnv)
		if err != nil {
			if c != nil {
				t.Fatalf("got a config with error %v", err)
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "fuzz.yaml:") {
					t.Fatalf("error line %q does not start with the file name; whole error:\n%v", line, err)
				}
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Load accepted a config that Validate rejects: %v", err)
		}
		out, err := yaml.Marshal(c)
		if err != nil {
			t.Fatalf("marshalling the loaded config: %v", err)
		}
		if bytes.Contains(out, []byte("$")) {
			return // a literal $ would be read back as an expansion
		}
		again, err := load("again.yaml", out, testEnv)
		if err != nil {
			t.Fatalf("reloading the marshalled config: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(c, again) {
			t.Fatalf("round trip changed the config:\n%+v\n%+v\n%s", c, again, out)
		}
	})
}

// TestFuzzSeeds_matchFixtures checks that every fixture is a fuzz seed,
// with the same content.
func TestFuzzSeeds_matchFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		want, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		seed, err := os.ReadFile(filepath.Join("testdata", "fuzz", "FuzzLoad", name))
		if err != nil {
			t.Errorf("no fuzz seed for %s: %v", f, err)
			continue
		}
		// The corpus format: a header line, then []byte("...") quoted as
		// by strconv.Quote.
		header, body, _ := strings.Cut(string(seed), "\n")
		quoted, ok := strings.CutPrefix(strings.TrimSpace(body), "[]byte(")
		quoted, ok2 := strings.CutSuffix(quoted, ")")
		got, err := strconv.Unquote(quoted)
		if header != "go test fuzz v1" || !ok || !ok2 || err != nil || got != string(want) {
			t.Errorf("testdata/fuzz/FuzzLoad/%s does not hold %s; regenerate it", name, f)
		}
	}
}
