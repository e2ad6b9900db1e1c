// Package route maps an incoming request path to the upstream it is for,
// and names the operation a CRM call performs: its path with record ids
// collapsed, so calls to different records of one endpoint group together.
package route

import "strings"

// Table finds the upstream of a request path by its first segment: a
// request to /NAME/rest goes to the upstream NAME with path /rest.
type Table struct {
	byName map[string]int
}

// NewTable returns a table for the given upstream names; Match returns the
// index of the matching name in names.
func NewTable(names []string) *Table {
	t := &Table{byName: make(map[string]int, len(names))}
	for i, n := range names {
		t.byName[n] = i
	}
	return t
}

// Match returns the index of the upstream that path is for and the path
// below it ("/" when the path names only the upstream). ok is false when
// the first segment names no upstream.
func (t *Table) Match(path string) (index int, rest string, ok bool) {
	p := strings.TrimPrefix(path, "/")
	name, rest, found := strings.Cut(p, "/")
	i, ok := t.byName[name]
	if !ok {
		return 0, "", false
	}
	if !found {
		return i, "/", true
	}
	return i, "/" + rest, true
}
