// Package contract holds a CRM's API contract, an OpenAPI 3.0 or 3.1
// document, and checks calls against it: a request before it goes to the
// CRM (what the integration got wrong), a response after it came back
// (what changed on the CRM's side), and two versions of a contract against
// each other (what a new version breaks). Parsing, $ref resolution and
// JSON Schema validation are pb33f's libopenapi and libopenapi-validator;
// this package turns their findings into crmguard's vocabulary.
package contract

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	"github.com/pb33f/libopenapi/datamodel"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
)

// Options tune how strictly a contract is applied.
type Options struct {
	// Strict reports properties, query parameters and headers the contract
	// does not declare, even where it allows additional ones.
	Strict bool
}

// Spec is a loaded contract, ready to check calls. It is safe for
// concurrent use.
type Spec struct {
	// Source names where the contract came from, for messages.
	Source string
	raw    []byte
	doc    libopenapi.Document
	model  *v3.Document
	v      validator.Validator
}

// Load reads the contract at path, JSON or YAML. References to other
// local files are resolved relative to the contract's directory; remote
// references are not followed, so loading never leaves the machine.
func Load(path string, opts Options) (*Spec, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading contract: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("contract %s: %w", path, err)
	}
	return parse(raw, path, filepath.Dir(abs), filepath.Base(abs), opts)
}

// Parse reads a contract from memory. Only references inside the
// document are resolved.
func Parse(raw []byte, source string, opts Options) (*Spec, error) {
	return parse(raw, source, "", "", opts)
}

func parse(raw []byte, source, dir, file string, opts Options) (*Spec, error) {
	if dir == "" {
		// Without a directory only references inside the document can
		// resolve; libopenapi v0.42 recurses without end on a cycle
		// through a reference without "#", so such references are
		// refused before it sees them.
		if err := localRefsOnly(raw); err != nil {
			return nil, fmt.Errorf("contract %s: %w", source, err)
		}
	}
	doc, err := newDocument(raw, dir, file)
	if err != nil {
		return nil, fmt.Errorf("contract %s: %w", source, err)
	}
	m, err := doc.BuildV3Model()
	if m == nil {
		return nil, fmt.Errorf("contract %s: %w", source, err)
	}
	if err != nil {
		return nil, fmt.Errorf("contract %s: %s", source, joinErrors(err))
	}
	if m.Model.Paths == nil || m.Model.Paths.PathItems.Len() == 0 {
		return nil, fmt.Errorf("contract %s declares no paths; a contract needs at least one operation to check calls against", source)
	}
	vopts := []config.Option{config.WithFormatAssertions(), config.WithoutSecurityValidation()}
	if opts.Strict {
		vopts = append(vopts, config.WithStrictMode())
	}
	return &Spec{
		Source: source,
		raw:    raw,
		doc:    doc,
		model:  &m.Model,
		v:      validator.NewValidatorFromV3Model(&m.Model, vopts...),
	}, nil
}

// newDocument parses raw as an OpenAPI 3.x document. A Swagger 2.0
// document and anything that is not OpenAPI get an error that says so.
func newDocument(raw []byte, dir, file string) (libopenapi.Document, error) {
	cfg := &datamodel.DocumentConfiguration{
		AllowFileReferences:   dir != "",
		AllowRemoteReferences: false,
		BasePath:              dir,
		SpecFilePath:          file,
		// libopenapi logs what it cannot resolve; the errors it returns
		// carry the same, and crmguard reports them itself.
		Logger: slog.New(slog.DiscardHandler),
	}
	doc, err := libopenapi.NewDocumentWithConfiguration(raw, cfg)
	if err != nil {
		return nil, fmt.Errorf("not an OpenAPI document: %w", err)
	}
	info := doc.GetSpecInfo()
	switch {
	case info.SpecType == "swagger":
		return nil, errors.New("this is a Swagger 2.0 document; crmguard reads OpenAPI 3.0 and 3.1, so convert it first (for example with swagger2openapi)")
	case !strings.HasPrefix(info.Version, "3."):
		return nil, fmt.Errorf("OpenAPI version %q is not supported; crmguard reads 3.0 and 3.1", info.Version)
	}
	return doc, nil
}

// joinErrors writes a joined error one cause per line.
func joinErrors(err error) string {
	var many interface{ Unwrap() []error }
	if !errors.As(err, &many) {
		return err.Error()
	}
	var b strings.Builder
	for _, e := range many.Unwrap() {
		b.WriteString("\n  ")
		b.WriteString(e.Error())
	}
	return b.String()
}

// Title returns the contract's title and version as it declares them.
func (s *Spec) Title() string {
	if s.model.Info == nil {
		return ""
	}
	return strings.TrimSpace(s.model.Info.Title + " " + s.model.Info.Version)
}

// Operations returns how many operations the contract declares.
func (s *Spec) Operations() int {
	n := 0
	for _, item := range s.model.Paths.PathItems.FromOldest() {
		n += item.GetOperations().Len()
	}
	return n
}

// localRefsOnly reports the first $ref in raw that does not point inside
// the document. It reads the text rather than parsing it: libopenapi
// accepts documents a strict YAML parser refuses, and must not see such a
// reference in any of them.
func localRefsOnly(raw []byte) error {
	for _, m := range refValue.FindAllSubmatchIndex(raw, -1) {
		v := raw[m[2]:m[3]]
		if len(v) > 0 && v[0] != '#' {
			line := 1 + bytes.Count(raw[:m[0]], []byte("\n"))
			return fmt.Errorf("line %d: $ref %q points outside the document; a contract given without its file can only use references inside it, such as #/components/schemas/Contact", line, cut(string(v)))
		}
	}
	return nil
}

// refValue finds a $ref key and its value in JSON or YAML.
var refValue = regexp.MustCompile(`\$ref['"]?\s*:\s*['"]?([^'"\s,}\]]*)`)
