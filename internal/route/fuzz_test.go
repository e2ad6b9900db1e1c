package route

import (
	"strings"
	"testing"
)

// FuzzOperation checks that any request path gives an operation that is
// bounded, stable, keeps the path's segments (one per segment) and, when
// capped, is cut at a segment boundary.
func FuzzOperation(f *testing.F) {
	for _, s := range []string{"/services/data/v59.0/sobjects/Contact/003XX000004TmiQQAS", "/api/data/v9.2/accounts(name='x')", "/v1/persons/find/a@b.c", "//x///", "/%zz/%2F"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		op := Operation(path)
		if len(op) > maxOperation {
			t.Fatalf("Operation(%q) has %d bytes; want at most %d", path, len(op), maxOperation)
		}
		if Operation(path) != op {
			t.Fatalf("Operation(%q) not stable", path)
		}
		full := collapse(path)
		p, _, _ := strings.Cut(path, "?")
		if strings.Count(full, "/") != strings.Count(p, "/") {
			t.Fatalf("collapse(%q) = %q changed the number of segments", path, full)
		}
		if !strings.HasPrefix(full, op) || (op != full && len(op) < len(full) && full[len(op)] != '/' && len(op) != maxOperation) {
			t.Fatalf("Operation(%q) = %q is not %q cut at a segment boundary", path, op, full)
		}
	})
}
