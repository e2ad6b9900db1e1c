package contract

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// A locator maps a position in a contract's source back to the path of
// keys that leads there. libopenapi reports each change by the line and
// column of the node that changed and leaves the change's path empty, so
// this is how a change gets a name a reader can find in the document.
//
// The source is parsed with go.yaml.in/yaml/v3, which reads JSON as the
// flow-style YAML it is; its lines and columns are 1-based like the ones
// libopenapi reports, because libopenapi parses with a fork of the same
// library.
type locator struct {
	// lines holds the nodes that start on each line, by column. Where
	// nodes share a position (a block mapping starts where its first key
	// does) the shallower comes first.
	lines map[int][]nodePosition
	// names holds the "name" of each sequence item that has one, keyed
	// by the item's joined path, so a parameter can be called by its name
	// rather than its index.
	names map[string]string
}

// A nodePosition is one node's column and the path of keys leading to it.
type nodePosition struct {
	col  int
	path []string
}

// newLocator indexes raw, a JSON or YAML document.
func newLocator(raw []byte) (*locator, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(raw, &root); err != nil {
		return nil, fmt.Errorf("parsing for line numbers: %w", err)
	}
	l := &locator{lines: make(map[int][]nodePosition), names: make(map[string]string)}
	l.walk(&root, nil)
	for _, ps := range l.lines {
		// Stable, so that nodes sharing a column keep the walk's
		// parent-before-child order.
		slices.SortStableFunc(ps, func(a, b nodePosition) int { return a.col - b.col })
	}
	return l, nil
}

// walk records n and every node below it. A key node gets the same path as
// its value, since naming the key is naming the entry.
func (l *locator) walk(n *yaml.Node, path []string) {
	l.add(n, path)
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			l.walk(c, path)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			// The full slice expression makes append copy, so siblings
			// never share (and overwrite) one backing array.
			child := append(path[:len(path):len(path)], k.Value)
			l.add(k, child)
			l.walk(v, child)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			child := append(path[:len(path):len(path)], strconv.Itoa(i))
			if name := scalarField(c, "name"); name != "" {
				l.names[strings.Join(child, ".")] = name
			}
			l.walk(c, child)
		}
	}
	// Aliases are not followed: the anchored node is already indexed
	// where it is defined, and following them could loop.
}

func (l *locator) add(n *yaml.Node, path []string) {
	l.lines[n.Line] = append(l.lines[n.Line], nodePosition{col: n.Column, path: path})
}

// scalarField returns the scalar value under key in mapping n, or "".
func scalarField(n *yaml.Node, key string) string {
	if n.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key && n.Content[i+1].Kind == yaml.ScalarNode {
			return n.Content[i+1].Value
		}
	}
	return ""
}

// at returns the path to the deepest node that starts at line and col,
// and whether the line holds any node. Columns matter where one line
// holds many nodes, as in minified JSON or flow-style YAML. When no node
// starts exactly at col, the nearest one before it on the line is taken;
// when col is 0 (unknown), the first column on the line is taken.
func (l *locator) at(line, col int) ([]string, bool) {
	ps := l.lines[line]
	if len(ps) == 0 {
		return nil, false
	}
	if col <= 0 {
		col = ps[0].col
	}
	best := 0
	for i, p := range ps {
		if p.col > col {
			break
		}
		best = i
	}
	return ps[best].path, true
}

// name returns the "name" of the sequence item at path, or "".
func (l *locator) name(path []string) string {
	return l.names[strings.Join(path, ".")]
}

// locateChange splits path, the path to the node libopenapi reported for a
// change of property, into the parent object that owns the property and
// the location of the change itself.
//
// The reported node can sit below the property (a new parameter is
// reported at its name's value), on it (a changed type at the value of
// "type"), or on an entry of it (a removed schema property at its key), so
// the path is cut after the last segment naming the property. When the
// next segment is the changed value, it is kept too: a removed property
// "phone" reads "properties.phone", while the index of an item of a
// "required" list is dropped. Some properties are not keys in the
// document (libopenapi calls a response map's entries "codes"); for those
// the path is cut after the changed value when it appears, and otherwise
// the property is appended to the reported node's path.
func locateChange(path []string, property string, values ...string) (parent, loc []string) {
	if i := lastSegment(path, property); i >= 0 {
		parent, loc = path[:i], path[:i+1]
		if i+1 < len(path) && isAnyOf(path[i+1], values) {
			loc = path[:i+2]
		}
		return parent, loc
	}
	for i := len(path) - 1; i >= 0; i-- {
		if isAnyOf(path[i], values) {
			return path[:i], path[:i+1]
		}
	}
	return path, append(path[:len(path):len(path)], property)
}

// isAnyOf reports whether s is one of the non-empty values.
func isAnyOf(s string, values []string) bool {
	for _, v := range values {
		if v != "" && s == v {
			return true
		}
	}
	return false
}

// lastSegment returns the index of the last occurrence of s in path, or -1.
// The last, because the reported node is at or below the change, so the
// occurrence nearest to it is the changed property.
func lastSegment(path []string, s string) int {
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] == s {
			return i
		}
	}
	return -1
}
