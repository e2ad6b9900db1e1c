package contract

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	validator "github.com/pb33f/libopenapi-validator"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
)

// Problem is something wrong with, or worth knowing about, a contract.
type Problem struct {
	// Severity is "error" (the contract is invalid or cannot be used) or
	// "warning" (it works, but checks less than it may seem to).
	Severity string `json:"severity"`
	Line     int    `json:"line,omitempty"`
	Column   int    `json:"column,omitempty"`
	// Where names the place in the contract, such as "POST /module".
	Where   string `json:"where,omitempty"`
	Message string `json:"message"`
}

// Inspection is what crmguard contract check reports about a contract.
type Inspection struct {
	Source     string    `json:"source"`
	OpenAPI    string    `json:"openapi"`
	Title      string    `json:"title"`
	Operations int       `json:"operations"`
	Problems   []Problem `json:"problems"`
}

// Errors counts the problems of severity error.
func (in *Inspection) Errors() int {
	n := 0
	for _, p := range in.Problems {
		if p.Severity == "error" {
			n++
		}
	}
	return n
}

// Inspect loads the contract at path and reports every problem it finds:
// references that do not resolve, what breaks the OpenAPI specification's
// own schema, and operations crmguard can check only in part because they
// declare no schema. It returns an error only when the file cannot be read
// or is no OpenAPI 3 document at all.
func Inspect(path string) (*Inspection, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading contract: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	doc, err := newDocument(raw, filepath.Dir(abs), filepath.Base(abs))
	if err != nil {
		return nil, fmt.Errorf("contract %s: %w", path, err)
	}
	in := &Inspection{Source: path, OpenAPI: doc.GetSpecInfo().Version, Problems: []Problem{}}
	m, err := doc.BuildV3Model()
	if err != nil {
		for _, line := range strings.Split(strings.TrimSpace(joinErrors(err)), "\n") {
			in.Problems = append(in.Problems, Problem{Severity: "error", Message: strings.TrimSpace(line)})
		}
	}
	if m == nil {
		return in, nil
	}
	if m.Model.Info != nil {
		in.Title = strings.TrimSpace(m.Model.Info.Title + " " + m.Model.Info.Version)
	}
	v := validator.NewValidatorFromV3Model(&m.Model)
	v.SetDocument(doc)
	if ok, errs := v.ValidateDocument(); !ok {
		// The schema's oneOf alternatives each report their own reason at
		// the same place; one problem per place lists them together.
		at := map[string]int{}
		for _, e := range errs {
			if len(e.SchemaValidationErrors) == 0 {
				in.Problems = append(in.Problems, Problem{Severity: "error", Line: e.SpecLine, Column: e.SpecCol, Message: sentence(e.Message, e.Reason)})
				continue
			}
			for _, sf := range e.SchemaValidationErrors {
				key := fmt.Sprint(sf.Line, ":", sf.Column, ":", sf.FieldPath)
				if i, ok := at[key]; ok {
					in.Problems[i].Message += "; or " + sf.Reason
					continue
				}
				at[key] = len(in.Problems)
				in.Problems = append(in.Problems, Problem{
					Severity: "error", Line: sf.Line, Column: sf.Column, Where: sf.FieldPath,
					Message: "breaks the OpenAPI " + in.OpenAPI + " schema: " + sf.Reason,
				})
			}
		}
	}
	if m.Model.Paths == nil || m.Model.Paths.PathItems.Len() == 0 {
		in.Problems = append(in.Problems, Problem{Severity: "error", Message: "declares no paths; crmguard has no operation to check calls against"})
		return in, nil
	}
	for path, item := range m.Model.Paths.PathItems.FromOldest() {
		for method, op := range item.GetOperations().FromOldest() {
			in.Operations++
			in.Problems = append(in.Problems, partial(strings.ToUpper(method)+" "+path, op)...)
		}
	}
	sort.SliceStable(in.Problems, func(i, j int) bool {
		a, b := in.Problems[i], in.Problems[j]
		if a.Severity != b.Severity {
			return a.Severity == "error"
		}
		return a.Line < b.Line
	})
	return in, nil
}

// partial warns about the parts of an operation that declare no schema,
// which crmguard can then not check.
func partial(where string, op *v3.Operation) []Problem {
	var out []Problem
	if op.RequestBody != nil && op.RequestBody.Content != nil {
		for mt, media := range op.RequestBody.Content.FromOldest() {
			if media.Schema == nil {
				out = append(out, Problem{Severity: "warning", Where: where,
					Message: "the " + mt + " request body has no schema, so only its content type and JSON syntax are checked"})
			}
		}
	}
	if op.Responses == nil || op.Responses.Codes == nil {
		return out
	}
	for code, r := range op.Responses.Codes.FromOldest() {
		if !strings.HasPrefix(code, "2") {
			continue
		}
		if r.Content == nil || r.Content.Len() == 0 {
			if code != "204" {
				out = append(out, Problem{Severity: "warning", Where: where,
					Message: "response " + code + " declares no content, so its body cannot be checked for drift"})
			}
			continue
		}
		for mt, media := range r.Content.FromOldest() {
			if media.Schema == nil {
				out = append(out, Problem{Severity: "warning", Where: where,
					Message: "the " + mt + " body of response " + code + " has no schema, so it cannot be checked for drift"})
			}
		}
	}
	return out
}
