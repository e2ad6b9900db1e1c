package shape

import (
	"bytes"
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// RenderOptions tune the contract Render drafts.
type RenderOptions struct {
	// Title is info.title; "Learned contract" if empty.
	Title string
	// Version is info.version; "0.0.0" if empty.
	Version string
	// ServerURL, if set, is the document's only server.
	ServerURL string
	// MinSamples is how many observations a schema, parameter or request
	// body needs before anything in it is marked required, and an object
	// before Strict closes it; 5 if zero or negative. Below it a property
	// that happened to be in every sample is more likely luck than rule.
	MinSamples int64
	// Strict sets additionalProperties: false on objects observed at least
	// MinSamples times whose properties were all tracked, so the contract
	// flags properties never seen before.
	Strict bool
}

// observed is the OpenAPI extension that carries how many observations
// an operation, parameter, response or schema is based on, so the
// operator can judge how far to trust it.
const observed = "x-crmguard-observed"

// methods are the operations an OpenAPI 3.1 path item can hold, in the
// order they are rendered. Calls with other methods are left out: 3.1 has
// no place for them.
var methods = []string{"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"}

// Render drafts an OpenAPI 3.1 document in YAML from learned operations:
// path and query parameters, request bodies and responses by status, each
// with the schema inferred from the JSON bodies seen. Operations with the
// same method and path are merged first, so shapes stored by several
// replicas can be passed together. The draft describes only what was
// observed and is meant to be reviewed before it is enforced.
func Render(ops []*Operation, opts RenderOptions) ([]byte, error) {
	if opts.MinSamples <= 0 {
		opts.MinSamples = 5
	}
	merged := make(map[opKey]*Operation)
	for _, op := range ops {
		if op == nil {
			continue
		}
		k := opKey{method: strings.ToUpper(op.Method), path: op.Path}
		if have := merged[k]; have != nil {
			have.Merge(op)
		} else {
			c := op.clone()
			c.Method = k.method
			merged[k] = c
		}
	}
	doc := document{
		OpenAPI: "3.1.0",
		Info: info{
			Title:       cmp.Or(opts.Title, "Learned contract"),
			Version:     cmp.Or(opts.Version, "0.0.0"),
			Description: "Drafted by crmguard from observed traffic: types, formats and names only. Review before enforcing.",
		},
		Paths: make(map[string]map[string]*operation),
	}
	if opts.ServerURL != "" {
		doc.Servers = []server{{URL: opts.ServerURL}}
	}
	r := renderer{opts: opts, ids: make(map[string]bool)}
	for _, op := range sorted(merged) {
		if !slices.Contains(methods, op.Method) {
			continue
		}
		path, params := pathParams(op.Path)
		item := doc.Paths[path]
		if item == nil {
			item = make(map[string]*operation)
			doc.Paths[path] = item
		}
		item[strings.ToLower(op.Method)] = r.operation(op, path, params)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("encoding contract: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encoding contract: %w", err)
	}
	return buf.Bytes(), nil
}

// The types below are the subset of OpenAPI 3.1 that Render writes; the
// yaml encoder sorts map keys, so output is deterministic.
type (
	document struct {
		OpenAPI string                           `yaml:"openapi"`
		Info    info                             `yaml:"info"`
		Servers []server                         `yaml:"servers,omitempty"`
		Paths   map[string]map[string]*operation `yaml:"paths"`
	}
	info struct {
		Title       string `yaml:"title"`
		Version     string `yaml:"version"`
		Description string `yaml:"description"`
	}
	server struct {
		URL string `yaml:"url"`
	}
	operation struct {
		OperationID string               `yaml:"operationId"`
		Parameters  []parameter          `yaml:"parameters,omitempty"`
		RequestBody *requestBody         `yaml:"requestBody,omitempty"`
		Responses   map[string]*response `yaml:"responses"`
		Observed    int64                `yaml:"x-crmguard-observed"`
	}
	parameter struct {
		Name     string  `yaml:"name"`
		In       string  `yaml:"in"`
		Required bool    `yaml:"required,omitempty"`
		Schema   *schema `yaml:"schema"`
	}
	requestBody struct {
		Required bool                 `yaml:"required,omitempty"`
		Content  map[string]mediaItem `yaml:"content"`
		Observed int64                `yaml:"x-crmguard-observed"`
	}
	response struct {
		Description string               `yaml:"description"`
		Content     map[string]mediaItem `yaml:"content,omitempty"`
		Observed    int64                `yaml:"x-crmguard-observed"`
	}
	mediaItem struct {
		Schema *schema `yaml:"schema,omitempty"`
	}
	schema struct {
		Type                 any                `yaml:"type,omitempty"`
		Format               string             `yaml:"format,omitempty"`
		Properties           map[string]*schema `yaml:"properties,omitempty"`
		Required             []string           `yaml:"required,omitempty"`
		AdditionalProperties any                `yaml:"additionalProperties,omitempty"`
		Items                *schema            `yaml:"items,omitempty"`
		Observed             *int64             `yaml:"x-crmguard-observed,omitempty"`
		Untracked            int64              `yaml:"x-crmguard-untracked,omitempty"`
	}
)

type renderer struct {
	opts RenderOptions
	ids  map[string]bool // operationIds handed out
}

func (r *renderer) operation(op *Operation, path string, pathNames []string) *operation {
	out := &operation{
		OperationID: r.operationID(op.Method, path),
		Responses:   make(map[string]*response),
		Observed:    op.Calls,
	}
	for _, name := range pathNames {
		out.Parameters = append(out.Parameters, parameter{
			Name: name, In: "path", Required: true, Schema: &schema{Type: "string"},
		})
	}
	for _, name := range slices.Sorted(maps.Keys(op.Query)) {
		q := op.Query[name]
		if q == nil {
			continue
		}
		n := q.Types.Total()
		out.Parameters = append(out.Parameters, parameter{
			Name:     name,
			In:       "query",
			Required: n == op.Calls && n >= r.opts.MinSamples,
			Schema:   r.param(q),
		})
	}
	if n := op.Request.Bodies(); n > 0 {
		out.RequestBody = &requestBody{
			Required: n == op.Calls && n >= r.opts.MinSamples,
			Content:  r.content(&op.Request),
			Observed: n,
		}
	}
	for status, resp := range op.Responses {
		if resp == nil {
			continue
		}
		out.Responses[status] = &response{
			Description: observedTimes(resp.Count),
			Content:     r.content(&resp.Body),
			Observed:    resp.Count,
		}
	}
	if len(out.Responses) == 0 {
		// OpenAPI 3.1 lets responses be omitted, but 3.0 tools and the
		// contract checker expect at least one.
		out.Responses["default"] = &response{Description: "No response observed."}
	}
	return out
}

func observedTimes(n int64) string {
	if n == 1 {
		return "Observed once."
	}
	return "Observed " + strconv.FormatInt(n, 10) + " times."
}

// content lists a body's media types; JSON ones carry the body schema.
func (r *renderer) content(b *Body) map[string]mediaItem {
	if len(b.Media) == 0 {
		return nil
	}
	c := make(map[string]mediaItem, len(b.Media))
	for mt := range b.Media {
		var m mediaItem
		if isJSON(mt) && b.Schema != nil {
			m.Schema = r.schema(b.Schema)
		}
		c[mt] = m
	}
	return c
}

// schema renders s as a JSON Schema: the types seen, a format that every
// string had, properties with those present in every object required,
// and items.
func (r *renderer) schema(s *Schema) *schema {
	n := s.Types.Total()
	out := &schema{Type: typeOf(s.Types), Observed: &n, Untracked: s.Untracked}
	if f := formatName(s); f != "" {
		out.Format = f
	}
	if s.Cut > 0 {
		// Some of the objects or arrays here were not looked into; what
		// was learned from the others may not hold for them.
		return out
	}
	if s.Types.Object > 0 {
		r.object(s, out)
	}
	if s.Types.Array > 0 && s.Items != nil {
		out.Items = r.schema(s.Items)
	}
	return out
}

func (r *renderer) object(s *Schema, out *schema) {
	objects := s.Types.Object
	for name, p := range s.Properties {
		if p == nil {
			continue
		}
		if out.Properties == nil {
			out.Properties = make(map[string]*schema, len(s.Properties))
		}
		out.Properties[name] = r.schema(p)
		if objects >= r.opts.MinSamples && p.Types.Total() == objects {
			out.Required = append(out.Required, name)
		}
	}
	slices.Sort(out.Required)
	switch {
	case s.Untracked > 0:
		// Properties went undescribed; any constraint on the ones not
		// listed could reject them.
	case s.Keys != nil && (r.opts.Strict || len(s.Properties) == 0):
		// A map keyed by record id. Next to named properties the keys'
		// schema would also constrain properties never seen before, which
		// only a strict contract wants.
		out.AdditionalProperties = r.schema(s.Keys)
	case s.Keys == nil && r.opts.Strict && objects >= r.opts.MinSamples:
		out.AdditionalProperties = false
	}
}

// param renders a query parameter's schema. Every query value is a
// string on the wire and validators type parameters by a single type, so a
// parameter seen with values of different kinds (a number, then a word) is
// a string. One that was ever repeated is an array, of which a single
// value is the one-element case (style form, explode true).
func (r *renderer) param(q *Schema) *schema {
	scalars := *q
	scalars.Types.Array, scalars.Items = 0, nil
	if q.Types.Array == 0 {
		return r.scalarParam(&scalars)
	}
	items := &Schema{}
	items.Merge(&scalars)
	items.Merge(q.Items)
	n := q.Types.Total()
	return &schema{Type: "array", Items: r.scalarParam(items), Observed: &n}
}

func (r *renderer) scalarParam(s *Schema) *schema {
	out := r.schema(s)
	kinds := 0
	for _, n := range []int64{s.Types.String, s.Types.Boolean, s.Types.Integer + s.Types.Number} {
		if n > 0 {
			kinds++
		}
	}
	if kinds > 1 {
		out.Type, out.Format = "string", ""
	}
	return out
}

// typeOf renders the types seen: one name, or a list when there were
// several, "null" included. An integer is a number, so both seen is number.
func typeOf(t Types) any {
	var names []string
	for _, c := range []struct {
		n    int64
		name string
	}{
		{t.Object, "object"},
		{t.Array, "array"},
		{t.String, "string"},
		{t.Number, "number"},
		{t.Integer, "integer"},
		{t.Boolean, "boolean"},
		{t.Null, "null"},
	} {
		if c.n == 0 || c.name == "integer" && t.Number > 0 {
			continue
		}
		names = append(names, c.name)
	}
	switch len(names) {
	case 0:
		return nil
	case 1:
		return names[0]
	}
	return names
}

// formatName is the format every string in s had, if any.
func formatName(s *Schema) string {
	n := s.Types.String
	if n == 0 {
		return ""
	}
	switch n {
	case s.Formats.Date:
		return "date"
	case s.Formats.DateTime:
		return "date-time"
	case s.Formats.Email:
		return "email"
	case s.Formats.UUID:
		return "uuid"
	case s.Formats.URI:
		return "uri"
	}
	return ""
}

// pathParams returns the path as it goes into the document and the names
// of its {name} parameters. Repeated names are numbered, id then id2,
// because the collapse in route.Operation turns every record id into {id}
// while OpenAPI needs each parameter named once.
func pathParams(p string) (string, []string) {
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	var (
		b     strings.Builder
		names []string
	)
	for {
		open := strings.IndexByte(p, '{')
		end := strings.IndexByte(p[open+1:], '}')
		if open < 0 || end < 0 {
			b.WriteString(p)
			break
		}
		end += open + 1
		name := p[open+1 : end]
		b.WriteString(p[:open])
		if name == "" || strings.ContainsAny(name, "{/") {
			b.WriteString(p[open : end+1])
			p = p[end+1:]
			continue
		}
		base := name
		for i := 2; slices.Contains(names, name); i++ {
			name = base + strconv.Itoa(i)
		}
		names = append(names, name)
		b.WriteString("{" + name + "}")
		p = p[end+1:]
	}
	return b.String(), names
}

// operationID derives a unique operationId from the method and path:
// getServicesDataV590SobjectsContactId.
func (r *renderer) operationID(method, path string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	upper := true
	for _, c := range path {
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9':
			if upper && c >= 'a' && c <= 'z' {
				c -= 'a' - 'A'
			}
			b.WriteRune(c)
			upper = false
		default:
			upper = true
		}
	}
	id := b.String()
	for i := 2; r.ids[id]; i++ {
		id = b.String() + strconv.Itoa(i)
	}
	r.ids[id] = true
	return id
}
