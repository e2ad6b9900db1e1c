package contract

import (
	"cmp"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/pb33f/libopenapi"
	"github.com/pb33f/libopenapi/what-changed/model"
)

// DiffReport is what changed between two versions of a contract, split by
// whether the change can break an integration written against the old one.
type DiffReport struct {
	// Old and New are the Sources of the two contracts compared.
	Old string `json:"old"`
	New string `json:"new"`
	// Breaking lists the breaking changes, sorted by location. It is
	// empty, never nil, when there are none.
	Breaking []Difference `json:"breaking"`
	// Compatible lists the non-breaking changes, sorted by location. It
	// is empty, never nil, when there are none.
	Compatible []Difference `json:"compatible"`
}

// Difference is one change between two versions of a contract.
type Difference struct {
	// Kind is "added", "removed" or "modified".
	Kind string `json:"kind"`
	// Location is the path of keys to the change, joined with "." and
	// each key kept verbatim, e.g.
	// "paths./contacts.post.requestBody.content.application/json.schema.properties.age.type".
	// Items of lists are numbered from 0. A change libopenapi places in a
	// file other than the contract itself (through an external $ref) is
	// located as that file's name and Property, since the path of keys
	// inside that file is not known here.
	Location string `json:"location"`
	// Property is the property libopenapi names as changed, e.g. "type",
	// "properties", "required", "parameters", or "codes" for the status
	// codes of a responses object.
	Property string `json:"property"`
	// Old and New are the values before and after, as libopenapi gives
	// them: for a scalar its value, for a removed or added map entry
	// usually its key, and nothing for a whole object such as an added
	// operation (the Location names it).
	Old string `json:"old,omitempty"`
	New string `json:"new,omitempty"`
	// OldLine and NewLine are the 1-based lines of the change in each
	// contract, or 0 where the change is absent from that side.
	OldLine int `json:"old_line,omitempty"`
	NewLine int `json:"new_line,omitempty"`
	// Summary says the same in one sentence, e.g. "property age of POST
	// /contacts request body changed type from integer to string".
	Summary string `json:"summary"`
}

// The values of Difference.Kind.
const (
	kindAdded    = "added"
	kindRemoved  = "removed"
	kindModified = "modified"
)

// Diff compares two versions of a contract, old and updated, as loaded by
// Load or Parse; neither may be nil.
//
// Whether a change is breaking is libopenapi's decision, whose default
// rules are those of the openapi-changes tool, and Diff does not second-
// guess it. Those rules look at each OpenAPI object on its own and not at
// which way data flows, so some verdicts differ from what an integration
// would see: a new entry in a response schema's "required" list is
// breaking although clients only gain a guarantee, while a new enum value
// or maxLength is compatible even where it narrows or widens what a client
// must handle.
//
// A schema reached through a local $ref is compared where it is defined
// (components), once, not at each operation that uses it. libopenapi does
// not report a change made only inside another file that an unchanged
// $ref points to, so contracts split over files are best compared bundled.
func Diff(old, updated *Spec) (*DiffReport, error) {
	changes, err := libopenapi.CompareDocuments(old.doc, updated.doc)
	if err != nil {
		return nil, fmt.Errorf("comparing %s with %s: %w", old.Source, updated.Source, err)
	}
	oldLoc, err := newLocator(old.raw)
	if err != nil {
		return nil, fmt.Errorf("contract %s: %w", old.Source, err)
	}
	newLoc, err := newLocator(updated.raw)
	if err != nil {
		return nil, fmt.Errorf("contract %s: %w", updated.Source, err)
	}
	r := &DiffReport{
		Old:        old.Source,
		New:        updated.Source,
		Breaking:   []Difference{},
		Compatible: []Difference{},
	}
	// GetAllChanges accepts a nil receiver, which is what CompareDocuments
	// returns for documents without differences.
	for _, c := range changes.GetAllChanges() {
		d := difference(c, oldLoc, newLoc)
		if c.Breaking {
			r.Breaking = append(r.Breaking, d)
		} else {
			r.Compatible = append(r.Compatible, d)
		}
	}
	slices.SortFunc(r.Breaking, compareDifferences)
	slices.SortFunc(r.Compatible, compareDifferences)
	return r, nil
}

// difference turns one of libopenapi's changes into a Difference, located
// in the contract that holds it: the new one for additions and
// modifications, the old one for removals.
func difference(c *model.Change, oldLoc, newLoc *locator) Difference {
	d := Difference{
		Kind:     diffKind(c.ChangeType),
		Property: c.Property,
		Old:      c.Original,
		New:      c.New,
	}
	// src is the contract the change is located in.
	var line, col int
	src := newLoc
	if ctx := c.Context; ctx != nil {
		if ctx.OriginalLine != nil {
			d.OldLine = *ctx.OriginalLine
		}
		if ctx.NewLine != nil {
			d.NewLine = *ctx.NewLine
		}
		switch {
		case ctx.NewLine != nil:
			line, col = *ctx.NewLine, intOrZero(ctx.NewColumn)
		case ctx.OriginalLine != nil:
			line, col = *ctx.OriginalLine, intOrZero(ctx.OriginalColumn)
			src = oldLoc
		}
		if ctx.DocumentLocation != "" {
			// The lines are in another file, so the contract's own
			// tree would name the wrong place.
			d.Location = filepath.Base(ctx.DocumentLocation) + ":" + c.Property
			d.Summary = diffSummary(nil, d, src) + " in " + filepath.Base(ctx.DocumentLocation)
			return d
		}
	}
	path, _ := src.at(line, col)
	parent, where := locateChange(path, c.Property, c.Original, c.New)
	d.Location = strings.Join(where, ".")
	d.Summary = diffSummary(parent, d, src)
	return d
}

func diffKind(changeType int) string {
	switch changeType {
	case model.PropertyAdded, model.ObjectAdded:
		return kindAdded
	case model.PropertyRemoved, model.ObjectRemoved:
		return kindRemoved
	default:
		return kindModified
	}
}

func intOrZero(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// compareDifferences orders by location, then by every other field, so
// that a report comes out the same on every run whatever order libopenapi
// walks maps in.
func compareDifferences(a, b Difference) int {
	return cmp.Or(
		strings.Compare(a.Location, b.Location),
		strings.Compare(a.Property, b.Property),
		strings.Compare(a.Kind, b.Kind),
		strings.Compare(a.Old, b.Old),
		strings.Compare(a.New, b.New),
		cmp.Compare(a.OldLine, b.OldLine),
		cmp.Compare(a.NewLine, b.NewLine),
	)
}

// WriteText writes the report for a reader: a header line naming both
// contracts with the counts, then a "Breaking changes (N):" and a
// "Compatible changes (N):" section with one line per difference (kind,
// location, old → new, line numbers), or "No differences." when there are
// none.
func (r *DiffReport) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s → %s: %d breaking, %d compatible\n", r.Old, r.New, len(r.Breaking), len(r.Compatible))
	if len(r.Breaking) == 0 && len(r.Compatible) == 0 {
		b.WriteString("No differences.\n")
	} else {
		writeSection(&b, "Breaking changes", r.Breaking)
		writeSection(&b, "Compatible changes", r.Compatible)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeSection(b *strings.Builder, title string, ds []Difference) {
	fmt.Fprintf(b, "%s (%d):\n", title, len(ds))
	if len(ds) == 0 {
		b.WriteString("  none\n")
	}
	for _, d := range ds {
		fmt.Fprintf(b, "  %-8s  %s%s%s\n", d.Kind, d.Location, diffValues(d), diffLines(d))
	}
}

// diffValues renders what changed to what. An added or removed map entry is
// already the last key of the location, so it is not repeated.
func diffValues(d Difference) string {
	switch {
	case d.Kind == kindModified:
		return ": " + orNone(d.Old) + " → " + orNone(d.New)
	case d.Kind == kindAdded && d.New != "" && !strings.HasSuffix(d.Location, "."+d.New):
		return ": " + d.New
	case d.Kind == kindRemoved && d.Old != "" && !strings.HasSuffix(d.Location, "."+d.Old):
		return ": " + d.Old
	}
	return ""
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func diffLines(d Difference) string {
	switch {
	case d.OldLine != 0 && d.NewLine != 0:
		return fmt.Sprintf(" (old line %d, new line %d)", d.OldLine, d.NewLine)
	case d.OldLine != 0:
		return fmt.Sprintf(" (old line %d)", d.OldLine)
	case d.NewLine != 0:
		return fmt.Sprintf(" (new line %d)", d.NewLine)
	}
	return ""
}

// diffSummary says d in one sentence. parent is the path of the object that
// owns the changed property, which is what the sentence is about; l names
// the parameters on that path.
func diffSummary(parent []string, d Difference, l *locator) string {
	subj := diffSubject(parent, l)
	value := d.New
	if d.Kind == kindRemoved {
		value = d.Old
	}
	// "required" is both a list of property names and a flag of
	// parameters and request bodies; only the list reads as requiring.
	if d.Property == "required" && value != "true" && value != "false" {
		switch d.Kind {
		case kindAdded:
			return orContract(subj) + " now requires " + value
		case kindRemoved:
			return orContract(subj) + " no longer requires " + value
		}
	}
	if d.Kind == kindModified {
		s := orContract(subj) + " changed " + d.Property
		if d.Old != "" {
			s += " from " + quoteSpaced(d.Old)
		}
		if d.New != "" {
			s += " to " + quoteSpaced(d.New)
		}
		return s
	}
	what, whole := diffEntry(parent, d.Property, value)
	// A property given a value where it had none reads as being set; only
	// an entry of a map ends the location with its own key.
	if d.Kind == kindAdded && value != "" && !whole && entryNoun(d.Property) == "" &&
		strings.HasSuffix("."+d.Location, "."+d.Property) {
		return orContract(subj) + " set " + d.Property + " to " + quoteSpaced(value)
	}
	verb, prep := " added", " to "
	if d.Kind == kindRemoved {
		verb, prep = " removed", " from "
	}
	if whole || subj == "" {
		return what + verb
	}
	return what + verb + prep + subj
}

// quoteSpaced quotes a value that would otherwise run into the words around it.
func quoteSpaced(s string) string {
	if strings.ContainsAny(s, " \t\n") {
		return strconv.Quote(s)
	}
	return s
}

func orContract(subj string) string {
	if subj == "" {
		return "the contract"
	}
	return subj
}

// diffEntry names an added or removed entry of property: "parameter email",
// "property phone". whole reports whether the name stands on its own
// because it already says where the entry is, as "operation DELETE
// /contacts/{id}" does.
func diffEntry(parent []string, property, value string) (what string, whole bool) {
	switch {
	case len(parent) == 2 && parent[0] == "paths" && isOperationKey(property):
		return "operation " + strings.ToUpper(property) + " " + parent[1], true
	case len(parent) == 1 && parent[0] == "paths":
		return "path " + property, true
	}
	noun := entryNoun(property)
	switch {
	case noun != "" && value != "":
		return noun + " " + value, false
	case value != "" && value != property:
		return property + " " + value, false
	}
	return property, false
}

// entryNoun returns what one entry of a collection property is called, or
// "" for a property that is not a collection.
func entryNoun(property string) string {
	switch property {
	case "properties":
		return "property"
	case "parameters":
		return "parameter"
	case "enum":
		return "enum value"
	case "codes":
		// libopenapi's name for the entries of a responses object.
		return "response"
	case "content":
		return "media type"
	case "headers":
		return "header"
	case "schemas":
		return "schema"
	case "tags":
		return "tag"
	}
	return ""
}

// diffSubject names the object at path in words, such as "POST /contacts
// request body", "GET /contacts parameter limit" or "property email of
// schema Contact". It returns "" for the document as a whole.
func diffSubject(path []string, l *locator) string {
	var owner, part string
	var props []string
	i := 0
	switch {
	case len(path) >= 3 && path[0] == "paths" && isOperationKey(path[2]):
		owner, i = strings.ToUpper(path[2])+" "+path[1], 3
	case len(path) >= 2 && path[0] == "paths":
		owner, i = "path "+path[1], 2
	case len(path) >= 3 && path[0] == "components":
		owner, i = componentNoun(path[1])+" "+path[2], 3
	case len(path) >= 1 && path[0] != "paths" && path[0] != "components":
		owner, i = path[0], 1
	}
	for ; i < len(path); i++ {
		next := ""
		if i+1 < len(path) {
			next = path[i+1]
		}
		switch path[i] {
		case "requestBody":
			part = "request body"
		case "responses":
			if next != "" {
				part, i = next+" response", i+1
			}
		case "content":
			if strings.HasSuffix(part, "response") {
				part += " body"
			}
		case "parameters":
			if next != "" {
				name := l.name(path[:i+2])
				if name == "" {
					name = next
				}
				part, i = "parameter "+name, i+1
			}
		case "headers":
			if next != "" {
				part, i = strings.TrimSpace(part+" header "+next), i+1
			}
		case "properties":
			// Consumed in pairs, so a property named like a keyword
			// ("responses", "content") is not read as one.
			if next != "" {
				props, i = append(props, next), i+1
			}
		}
	}
	s := strings.TrimSpace(owner + " " + part)
	if len(props) == 0 {
		return s
	}
	return strings.TrimSpace("property " + strings.Join(props, ".") + " of " + orContract(s))
}

func isOperationKey(s string) bool {
	switch s {
	case "get", "put", "post", "delete", "options", "head", "patch", "trace", "query":
		return true
	}
	return false
}

func componentNoun(kind string) string {
	switch kind {
	case "schemas":
		return "schema"
	case "parameters":
		return "parameter"
	case "responses":
		return "response"
	case "requestBodies":
		return "request body"
	case "headers":
		return "header"
	case "securitySchemes":
		return "security scheme"
	case "examples":
		return "example"
	case "links":
		return "link"
	case "callbacks":
		return "callback"
	case "pathItems":
		return "path item"
	}
	return kind
}
