package shape

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"mime"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Limits on one operation, beyond those on each body's schema.
const (
	// maxQueryParams caps the query parameters tracked per operation.
	maxQueryParams = 64
	// maxStatuses caps the response statuses tracked per operation; each
	// carries a body schema of up to maxNodes.
	maxStatuses = 32
	// maxMediaTypes caps the media types counted per body.
	maxMediaTypes = 8
)

// Operation is the learned shape of one operation: a method on a path
// template below the upstream, in which {name} segments are path
// parameters. It is plain data that encodes to JSON for storing, and it is
// not safe for concurrent use.
type Operation struct {
	// Method is the HTTP method, upper case.
	Method string `json:"method"`
	// Path is the operation template, e.g. /sobjects/Contact/{id}.
	Path string `json:"path"`
	// Calls counts the calls observed.
	Calls int64 `json:"calls"`
	// Query describes each query parameter's values by name. A parameter
	// observed once per call it appeared in: as a scalar when it had one
	// value, as an array when it was repeated. Its Types.Total is the
	// number of calls that carried it.
	Query map[string]*Schema `json:"query,omitempty"`
	// QueryUntracked counts query parameter occurrences not described:
	// beyond the limit per operation or with names that are values.
	QueryUntracked int64 `json:"queryUntracked,omitempty"`
	// Request describes the request bodies.
	Request Body `json:"request,omitzero"`
	// Responses describes the responses by status code, "200", "404".
	Responses map[string]*Response `json:"responses,omitempty"`
	// ResponsesUntracked counts responses with a status beyond the limit
	// per operation or not a valid HTTP status.
	ResponsesUntracked int64 `json:"responsesUntracked,omitempty"`
}

// Body describes the bodies on one side of an operation.
type Body struct {
	// Media counts the non-empty bodies by media type, lower case and
	// without parameters. A body without a usable Content-Type counts as
	// application/octet-stream, which RFC 9110 section 8.3 lets a
	// recipient assume.
	Media map[string]int64 `json:"media,omitempty"`
	// Schema describes the JSON bodies that were decoded, nil if none.
	Schema *Schema `json:"schema,omitempty"`
	// Invalid counts bodies labelled JSON that did not decode.
	Invalid int64 `json:"invalid,omitempty"`
	// Truncated counts bodies the caller captured only in part, which are
	// not decoded.
	Truncated int64 `json:"truncated,omitempty"`
	// nodes caches Schema.size() for Book's observe path; 0 means unknown.
	nodes int
}

// Bodies is the number of non-empty bodies.
func (b *Body) Bodies() int64 {
	var n int64
	for _, c := range b.Media {
		n += c
	}
	return n
}

// Response describes the responses with one status.
type Response struct {
	// Count is the number of responses, with a body or without.
	Count int64 `json:"count"`
	Body
}

// Merge adds everything o observed to op, as if op had observed o's calls
// itself. It does not compare methods or paths: merging shapes of
// different operations is the caller's mistake. o is not modified or
// retained.
func (op *Operation) Merge(o *Operation) {
	if o == nil {
		return
	}
	if op.Method == "" && op.Path == "" {
		op.Method, op.Path = o.Method, o.Path
	}
	op.Calls += o.Calls
	op.QueryUntracked += o.QueryUntracked
	for _, name := range slices.Sorted(maps.Keys(o.Query)) {
		q := o.Query[name]
		if q == nil {
			continue
		}
		if p := op.param(name); p != nil {
			p.Merge(q)
		} else {
			op.QueryUntracked += q.Types.Total()
		}
	}
	op.Request.merge(&o.Request)
	op.ResponsesUntracked += o.ResponsesUntracked
	for _, status := range slices.Sorted(maps.Keys(o.Responses)) {
		r := o.Responses[status]
		if r == nil {
			continue
		}
		if dst := op.response(status); dst != nil {
			dst.Count += r.Count
			dst.merge(&r.Body)
		} else {
			op.ResponsesUntracked += r.Count
		}
	}
}

// clone returns a deep copy of op.
func (op *Operation) clone() *Operation {
	c := &Operation{}
	c.Merge(op)
	return c
}

// observe adds one call to op.
func (op *Operation) observe(query url.Values, req payload, status int, resp payload) {
	op.Calls++
	op.observeQuery(query)
	op.Request.add(req)
	if status == 0 {
		return // no response: the call failed before one arrived
	}
	r := op.response(strconv.Itoa(status))
	if r == nil {
		op.ResponsesUntracked++
		return
	}
	r.Count++
	r.add(resp)
}

func (op *Operation) observeQuery(query url.Values) {
	if len(op.Query)+len(query) <= maxQueryParams {
		for name, vs := range query {
			op.observeParam(name, vs)
		}
		return
	}
	// Sorted so that which parameters are kept does not depend on map
	// iteration order.
	for _, name := range slices.Sorted(maps.Keys(query)) {
		op.observeParam(name, query[name])
	}
}

func (op *Operation) observeParam(name string, vs []string) {
	p := op.param(name)
	if p == nil {
		op.QueryUntracked++
		return
	}
	if len(vs) == 1 {
		p.observeQueryValue(vs[0])
		return
	}
	p.Types.Array++
	if p.Items == nil {
		p.Items = &Schema{}
	}
	for _, v := range vs {
		p.Items.observeQueryValue(v)
	}
}

// param returns the schema of query parameter name, allocating it if the
// limits allow, or nil.
func (op *Operation) param(name string) *Schema {
	if p := op.Query[name]; p != nil {
		return p
	}
	if kindOf(name) != keyName || len(op.Query) >= maxQueryParams {
		return nil
	}
	if op.Query == nil {
		op.Query = make(map[string]*Schema)
	}
	p := &Schema{}
	op.Query[name] = p
	return p
}

// response returns the shape of the responses with status, allocating it
// if the limits allow, or nil. status must be a three-digit code from 100
// to 599, the only ones an OpenAPI responses map accepts.
func (op *Operation) response(status string) *Response {
	if r := op.Responses[status]; r != nil {
		return r
	}
	if len(status) != 3 || status[0] < '1' || status[0] > '5' || !isIntegerText(status) || len(op.Responses) >= maxStatuses {
		return nil
	}
	if op.Responses == nil {
		op.Responses = make(map[string]*Response)
	}
	r := &Response{}
	op.Responses[status] = r
	return r
}

// observeQueryValue types a query value the way a client most likely
// meant it: true and false as booleans, JSON integer and number literals
// as such, anything else as a string. Integers with leading zeros (zip
// codes, account numbers) stay strings.
func (s *Schema) observeQueryValue(v string) {
	switch {
	case v == "true" || v == "false":
		s.Types.Boolean++
	case isIntegerText(v):
		s.Types.Integer++
	case isNumberText(v):
		s.Types.Number++
	default:
		s.observeString(v)
	}
}

// payload is one body, read and decoded outside the Book's lock.
type payload struct {
	media     string // "" when there was no body
	value     any
	json      bool // value holds a decoded document
	invalid   bool
	truncated bool
}

// readPayload normalises a body's media type and decodes it if it is
// JSON and complete.
func readPayload(contentType string, body []byte, truncated bool) payload {
	if len(body) == 0 {
		return payload{}
	}
	p := payload{media: mediaType(contentType)}
	switch {
	case truncated:
		p.truncated = true
	case isJSON(p.media):
		v, err := decodeJSON(body)
		if err != nil {
			p.invalid = true
		} else {
			p.value, p.json = v, true
		}
	}
	return p
}

// decodeJSON decodes exactly one JSON value, keeping numbers' text.
func decodeJSON(body []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("data after the JSON value")
	}
	return v, nil
}

const octetStream = "application/octet-stream"

// mediaType reduces a Content-Type header to its media type.
func mediaType(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil && !errors.Is(err, mime.ErrInvalidMediaParameter) || !strings.Contains(mt, "/") {
		return octetStream
	}
	return mt
}

// isJSON reports whether media type mt is JSON: application/json or a
// structured syntax suffix type such as application/vnd.api+json (RFC
// 6839).
func isJSON(mt string) bool {
	return mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")
}

// add adds one body to b.
func (b *Body) add(p payload) {
	if p.media == "" {
		return
	}
	b.countMedia(p.media, 1)
	switch {
	case p.truncated:
		b.Truncated++
	case p.invalid:
		b.Invalid++
	case p.json:
		if b.Schema == nil {
			b.Schema = &Schema{}
		}
		if b.nodes == 0 {
			b.nodes = b.Schema.size()
		}
		left := budget{left: maxNodes - b.nodes}
		b.Schema.observe(p.value, 0, &left)
		b.nodes = maxNodes - left.left
	}
}

func (b *Body) countMedia(mt string, n int64) {
	if _, ok := b.Media[mt]; !ok && len(b.Media) >= maxMediaTypes {
		return
	}
	if b.Media == nil {
		b.Media = make(map[string]int64)
	}
	b.Media[mt] += n
}

func (b *Body) merge(o *Body) {
	for _, mt := range slices.Sorted(maps.Keys(o.Media)) {
		b.countMedia(mt, o.Media[mt])
	}
	b.Invalid += o.Invalid
	b.Truncated += o.Truncated
	if o.Schema != nil {
		if b.Schema == nil {
			b.Schema = &Schema{}
		}
		b.Schema.Merge(o.Schema)
		b.nodes = 0
	}
}
