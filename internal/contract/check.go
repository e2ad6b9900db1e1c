package contract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	vErrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/helpers"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"

	"github.com/crmguard/crmguard/internal/call"
	"github.com/crmguard/crmguard/internal/fault"
)

// maxSent caps the part of an offending value a finding repeats.
const maxSent = 200

// Request checks one request against the contract and returns every way it
// departs from it, parameter problems first. path is the request path as
// the contract sees it (below the upstream's base, with any contract base
// already removed); the validator also accepts it with the contract's own
// server path in front. body is the whole request body, nil for none.
func (s *Spec) Request(method, path, rawQuery string, header http.Header, body []byte) []call.Finding {
	req := &http.Request{
		Method: method,
		URL:    &url.URL{Path: path, RawQuery: rawQuery},
		Header: header,
		Body:   http.NoBody,
	}
	if body != nil {
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
	}
	ok, errs := s.v.ValidateHttpRequest(req)
	if ok {
		return nil
	}
	return s.findings(req, body, errs, false)
}

// Response checks a response to a request against the contract: a body
// that no longer fits its schema, or a status the operation does not
// declare, is drift. Every finding's class is version.
func (s *Spec) Response(method, path, rawQuery string, status int, header http.Header, body []byte) []call.Finding {
	req := &http.Request{Method: method, URL: &url.URL{Path: path, RawQuery: rawQuery}, Header: http.Header{}, Body: http.NoBody}
	resp := &http.Response{
		StatusCode: status,
		Header:     header,
		Body:       io.NopCloser(bytes.NewReader(body)),
		Request:    req,
	}
	ok, errs := s.v.ValidateHttpResponse(req, resp)
	if ok {
		return nil
	}
	return s.findings(req, body, errs, true)
}

// findings turns the validator's errors into crmguard's findings.
func (s *Spec) findings(req *http.Request, body []byte, errs []*vErrors.ValidationError, response bool) []call.Finding {
	var doc any
	parsed := false
	valueAt := func(pointer string) string {
		if !parsed {
			parsed = true
			if json.Unmarshal(body, &doc) != nil {
				doc = nil
			}
		}
		return sent(lookup(doc, pointer))
	}
	var out []call.Finding
	for _, e := range errs {
		if response && (e.IsPathMissingError() || e.IsOperationMissingError()) {
			// A response to an operation the contract does not declare
			// has nothing to drift from; the request check reports the
			// operation itself.
			continue
		}
		for _, f := range s.translate(req, e, response, valueAt) {
			if response {
				f.Class = fault.Version
			}
			out = append(out, f)
		}
	}
	// The validator reports schema errors in no fixed order; parameter
	// findings first, then by location, makes the list stable.
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if (a.Class == fault.Parameter) != (b.Class == fault.Parameter) {
			return a.Class == fault.Parameter
		}
		if a.Pointer != b.Pointer {
			return a.Pointer < b.Pointer
		}
		return a.Rule < b.Rule
	})
	return out
}

// translate maps one validator error to findings; a body that breaks
// several schema rules yields one finding per rule.
func (s *Spec) translate(req *http.Request, e *vErrors.ValidationError, response bool, valueAt func(string) string) []call.Finding {
	op := req.Method + " " + req.URL.Path
	switch {
	case e.IsPathMissingError():
		return []call.Finding{{
			Class: fault.Parameter, In: "operation", Pointer: cut(op), Rule: "unknown operation",
			Sent: cut(op), Expected: "a path the contract declares",
			Message: "The contract declares no path matching " + cut(req.URL.Path) + "; check the path below the upstream against " + s.Source + ".",
		}}
	case e.IsOperationMissingError():
		allowed := s.methods(req.URL.Path)
		return []call.Finding{{
			Class: fault.Parameter, In: "operation", Pointer: cut(op), Rule: "unknown operation",
			Sent: cut(req.Method), Expected: "one of " + allowed,
			Message: "The contract declares " + cut(req.URL.Path) + " for " + allowed + " only, not " + cut(req.Method) + ".",
		}}
	case e.ValidationType == helpers.ParameterValidation:
		f := parameterFinding(req, e)
		if f.In == helpers.ParameterValidationPath && f.Sent == "" {
			f.Sent = cut(s.pathParam(req.URL.Path, f.Pointer))
		}
		if f.Rule != "required" {
			f.Message = fmt.Sprintf("The %s parameter %s does not fit the contract: expected %s, got %s.", f.In, f.Pointer, f.Expected, strconv.Quote(f.Sent))
		}
		return []call.Finding{f}
	case e.ValidationType == vErrors.StrictValidationType:
		return strictFinding(req, e, valueAt)
	case e.ValidationSubType == helpers.RequestBodyContentType:
		return []call.Finding{{
			Class: fault.Parameter, In: "header", Pointer: "Content-Type", Rule: "content type",
			Sent: cut(req.Header.Get("Content-Type")), Expected: s.contentTypes(req.Method, req.URL.Path),
			Message: "The contract does not accept a " + req.Method + " body of type " + quote(req.Header.Get("Content-Type")) + "; send " + s.contentTypes(req.Method, req.URL.Path) + ".",
		}}
	case e.ValidationSubType == helpers.ResponseBodyResponseCode:
		return []call.Finding{{
			Class: fault.Version, In: "status", Pointer: op, Rule: "undeclared status",
			Expected: "a status the operation declares", Message: e.Message + ".",
		}}
	}
	in := "body"
	if response {
		in = "response"
	}
	if len(e.SchemaValidationErrors) == 0 {
		f := call.Finding{Class: fault.DataFormat, In: in, Rule: "body", Expected: "a body the contract accepts", Message: sentence(e.Message, e.Reason)}
		if strings.Contains(strings.ToLower(e.Reason), "json") || strings.Contains(strings.ToLower(e.Message), "json") {
			f.Rule, f.Expected = "json", "a JSON document"
		}
		if e.ValidationSubType == helpers.ValidationMissing {
			f.Rule, f.Expected = "required", "a request body"
		}
		return []call.Finding{f}
	}
	out := make([]call.Finding, 0, len(e.SchemaValidationErrors))
	for _, sf := range e.SchemaValidationErrors {
		out = append(out, schemaFindings(in, sf, valueAt)...)
	}
	return out
}

// parameterFinding explains a path, query, header or cookie parameter the
// contract does not accept.
func parameterFinding(req *http.Request, e *vErrors.ValidationError) call.Finding {
	f := call.Finding{
		Class: fault.Parameter, In: e.ValidationSubType, Pointer: e.ParameterName,
		Rule: "type", Expected: e.Reason, Message: sentence(e.Message, ""),
	}
	switch e.ValidationSubType {
	case helpers.ParameterValidationQuery:
		f.Sent = cut(req.URL.Query().Get(e.ParameterName))
	case helpers.ParameterValidationHeader:
		f.Sent = cut(req.Header.Get(e.ParameterName))
	}
	if m := quotedValue.FindStringSubmatch(e.Reason); m != nil && f.Sent == "" {
		f.Sent = cut(m[1])
	}
	msg := strings.ToLower(e.Message + " " + e.Reason)
	switch {
	case strings.Contains(msg, "missing"):
		f.Rule, f.Expected = "required", "the parameter to be present"
	case len(e.SchemaValidationErrors) > 0:
		sf := e.SchemaValidationErrors[0]
		f.Rule, f.Expected = keywordRule(sf.KeywordLocation, sf.Reason)
	case strings.Contains(msg, "enum"):
		f.Rule = "enum"
	case strings.Contains(msg, "format"):
		f.Rule = "format"
	}
	if m := wantType.FindStringSubmatch(e.Reason); m != nil && f.Rule == "type" {
		f.Expected = m[1]
	}
	return f
}

// quotedValue finds the value a parameter message quotes, as in "however
// the value 'abc' is not a valid integer".
var quotedValue = regexp.MustCompile(`value '([^']*)'`)

// wantType finds the declared type in "is defined as being an integer".
var wantType = regexp.MustCompile(`defined as being an? (\w+)`)

// strictFinding explains a property or query parameter the contract does
// not declare, reported in strict mode. Undeclared headers are left out:
// every client sends headers (User-Agent, tracing) no contract lists.
func strictFinding(req *http.Request, e *vErrors.ValidationError, valueAt func(string) string) []call.Finding {
	switch e.ValidationSubType {
	case vErrors.StrictSubTypeProperty:
		pointer := strictPointer(e.Message)
		return []call.Finding{{
			Class: fault.DataFormat, In: "body", Pointer: pointer, Rule: "unknown field",
			Sent: valueAt(pointer), Expected: "only declared properties",
			Message: "Property " + e.ParameterName + " is not in the contract; remove it or add it to the contract.",
		}}
	case vErrors.StrictSubTypeQuery:
		return []call.Finding{{
			Class: fault.Parameter, In: "query", Pointer: e.ParameterName, Rule: "unknown field",
			Sent: cut(req.URL.Query().Get(e.ParameterName)), Expected: "only declared query parameters",
			Message: "Query parameter " + e.ParameterName + " is not in the contract; remove it or add it to the contract.",
		}}
	}
	return nil
}

// strictPath finds the location in "request property 'x' at '$.body.a.x'
// is not declared in schema".
var strictPath = regexp.MustCompile(`at '\$\.(?:body|response)?\.?([^']*)'`)

func strictPointer(msg string) string {
	m := strictPath.FindStringSubmatch(msg)
	if m == nil {
		return ""
	}
	var b strings.Builder
	for _, part := range splitPath(m[1]) {
		b.WriteByte('/')
		b.WriteString(escapePointer(part))
	}
	return b.String()
}

// splitPath splits a JSONPath-like "a.b[0].c" into its steps.
func splitPath(p string) []string {
	var out []string
	for _, seg := range strings.Split(p, ".") {
		for seg != "" {
			i := strings.IndexByte(seg, '[')
			if i < 0 {
				out = append(out, seg)
				break
			}
			if i > 0 {
				out = append(out, seg[:i])
			}
			j := strings.IndexByte(seg[i:], ']')
			if j < 0 {
				out = append(out, seg[i:])
				break
			}
			out = append(out, strings.Trim(seg[i+1:i+j], `'"`))
			seg = seg[i+j+1:]
		}
	}
	return out
}

// schemaFindings explains one JSON Schema rule a body broke: one finding,
// or one per property when the rule names several (properties missing,
// or not allowed), sorted, because the validator lists them in map order.
func schemaFindings(in string, sf *vErrors.SchemaValidationFailure, valueAt func(string) string) []call.Finding {
	pointer := ""
	for _, p := range sf.InstancePath {
		pointer += "/" + escapePointer(p)
	}
	rule, expected := keywordRule(sf.KeywordLocation, sf.Reason)
	if rule == "required" || rule == "unknown field" {
		var names []string
		for _, m := range quotedNames.FindAllStringSubmatch(sf.Reason, -1) {
			names = append(names, m[1])
		}
		sort.Strings(names)
		out := make([]call.Finding, 0, len(names))
		for _, name := range names {
			f := call.Finding{Class: fault.DataFormat, In: in, Pointer: pointer + "/" + escapePointer(name), Rule: rule, Expected: expected}
			if rule == "required" {
				f.Message = f.Pointer + ": the property is required but missing."
			} else {
				f.Sent = valueAt(f.Pointer)
				f.Message = f.Pointer + ": the property is not in the contract; remove it or add it to the contract."
			}
			f.Pointer, f.Message = cut(f.Pointer), cut(f.Message)
			out = append(out, f)
		}
		if len(out) > 0 {
			return out
		}
	}
	f := call.Finding{Class: fault.DataFormat, In: in, Pointer: cut(pointer), Rule: rule, Expected: expected, Sent: valueAt(pointer)}
	where := f.Pointer
	if where == "" {
		where = "the body"
	}
	f.Message = where + ": " + cut(sf.Reason) + "."
	return []call.Finding{f}
}

// quotedNames finds each property in "missing properties 'a', 'b'" or
// "additional properties 'extra' not allowed".
var quotedNames = regexp.MustCompile(`'([^']*)'`)

// quotedName finds the property in "missing property 'name'" or
// "additional properties 'extra' not allowed".
var quotedName = regexp.MustCompile(`propert(?:y|ies) '([^']*)'`)

// keywordRule names the JSON Schema keyword at the end of a keyword
// location and says what it expects, from the validator's reason.
func keywordRule(location, reason string) (rule, expected string) {
	kw := location
	if i := strings.LastIndexByte(location, '/'); i >= 0 {
		kw = location[i+1:]
	}
	expected = reason
	switch kw {
	case "additionalProperties", "unevaluatedProperties":
		return "unknown field", "only declared properties"
	case "required":
		return "required", "the property to be present"
	case "type":
		if i := strings.Index(reason, "want "); i >= 0 {
			expected = reason[i+len("want "):]
		}
	case "maxLength", "maxItems", "maxProperties":
		if i := strings.Index(reason, "want "); i >= 0 {
			expected = "at most " + reason[i+len("want "):]
		}
	case "minLength", "minItems", "minProperties":
		if i := strings.Index(reason, "want "); i >= 0 {
			expected = "at least " + reason[i+len("want "):]
		}
	case "enum":
		if i := strings.Index(reason, "one of "); i >= 0 {
			expected = reason[i:]
		}
	case "format":
		if m := notValid.FindStringSubmatch(reason); m != nil {
			expected = "format " + m[1]
		}
	case "pattern":
		if i := strings.Index(reason, "pattern "); i >= 0 {
			expected = "matching " + reason[i+len("pattern "):]
		}
	case "":
		kw = "schema"
	}
	return kw, expected
}

// notValid finds the format in "'nope' is not valid email: missing @".
var notValid = regexp.MustCompile(`is not valid ([\w-]+)`)

// contentTypes lists the request body media types the contract declares
// for an operation.
func (s *Spec) contentTypes(method, path string) string {
	_, item := s.pathItem(path)
	if item == nil {
		return "no body"
	}
	op := item.GetOperations().GetOrZero(strings.ToLower(method))
	if op == nil || op.RequestBody == nil || op.RequestBody.Content == nil || op.RequestBody.Content.Len() == 0 {
		return "no body"
	}
	var out []string
	for mt := range op.RequestBody.Content.KeysFromOldest() {
		out = append(out, mt)
	}
	return strings.Join(out, " or ")
}

// methods lists the methods the contract declares for a request path.
func (s *Spec) methods(path string) string {
	_, item := s.pathItem(path)
	if item == nil {
		return "no method"
	}
	var out []string
	for m := range item.GetOperations().KeysFromOldest() {
		out = append(out, strings.ToUpper(m))
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// pathParam returns the value a request path gives the path parameter
// name, "" if the path matches no template that declares it.
func (s *Spec) pathParam(path, name string) string {
	template, _ := s.pathItem(path)
	if template == "" {
		return ""
	}
	ts := strings.Split(strings.Trim(template, "/"), "/")
	ps := strings.Split(strings.Trim(path, "/"), "/")
	ps = ps[len(ps)-len(ts):]
	for i, t := range ts {
		if t == "{"+name+"}" {
			v, err := url.PathUnescape(ps[i])
			if err != nil {
				return ps[i]
			}
			return v
		}
	}
	return ""
}

// pathItem finds the path template a request path matches, preferring
// the one with the most literal segments as OpenAPI does (/a/me over
// /a/{id}); "" and nil when none matches.
func (s *Spec) pathItem(path string) (string, *v3.PathItem) {
	best, bestLiterals := "", -1
	var found *v3.PathItem
	for template, item := range s.model.Paths.PathItems.FromOldest() {
		if n, ok := templateMatches(template, path); ok && n > bestLiterals {
			best, bestLiterals, found = template, n, item
		}
	}
	return best, found
}

// templateMatches reports whether a path template such as /a/{id} matches
// path segment by segment, allowing for a server base path in front, and
// how many of its segments are literal.
func templateMatches(template, path string) (literals int, ok bool) {
	ts := strings.Split(strings.Trim(template, "/"), "/")
	ps := strings.Split(strings.Trim(path, "/"), "/")
	if len(ps) < len(ts) {
		return 0, false
	}
	ps = ps[len(ps)-len(ts):]
	for i, t := range ts {
		if strings.HasPrefix(t, "{") {
			continue
		}
		if t != ps[i] {
			return 0, false
		}
		literals++
	}
	return literals, true
}

// lookup returns the value at an RFC 6901 pointer in doc, nil if none.
func lookup(doc any, pointer string) any {
	if pointer == "" {
		return doc
	}
	for _, tok := range strings.Split(pointer[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch v := doc.(type) {
		case map[string]any:
			doc = v[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(v) {
				return nil
			}
			doc = v[i]
		default:
			return nil
		}
	}
	return doc
}

// sent renders a value as JSON, cut short.
func sent(v any) string {
	if v == nil {
		return ""
	}
	if s, ok := v.(string); ok {
		return cut(s)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return cut(string(b))
}

func quote(s string) string { return strconv.Quote(cut(s)) }

func cut(s string) string {
	if len(s) <= maxSent {
		return s
	}
	i := maxSent
	for i > 0 && !isRuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// sentence joins a message and an optional reason into one sentence.
func sentence(msg, reason string) string {
	msg = strings.TrimSuffix(msg, ".")
	if reason == "" {
		return msg + "."
	}
	return msg + ": " + strings.TrimSuffix(reason, ".") + "."
}
