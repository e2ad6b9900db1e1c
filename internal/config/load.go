package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// LoadFile reads the configuration file at path; see Load.
func LoadFile(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading configuration: %w", err)
	}
	return Load(path, data)
}

// Load parses data as a YAML configuration, expands ${VAR} from the
// environment, applies the defaults and validates the result. name is the
// file name used in error messages.
//
// On failure Load returns a nil *Config and every problem it found, each an
// *Error on its own line, in file order, formatted as
//
//	crmguard.yaml:7:5: upstreams[0]: unknown key "dialet" (did you mean "dialect"?; known keys: name, url, dialect, timeout, client_header, failover, retry, breaker, quota, queue, credentials, contract, normalize, versions)
func Load(name string, data []byte) (*Config, error) {
	return load(name, data, os.LookupEnv)
}

// load is Load with the environment passed in, for tests.
func load(name string, data []byte, lookupEnv func(string) (string, bool)) (*Config, error) {
	root, err := parse(name, data)
	if err != nil {
		return nil, err
	}
	c := New()
	d := newDecoder(name, lookupEnv, root)
	d.decodeValue(root, reflect.ValueOf(c).Elem(), "")
	c.resolvePaths(filepath.Dir(name))
	for _, e := range c.problems() {
		if d.hasFailed(e.Path) {
			continue
		}
		e.File = name
		e.Line, e.Column = d.position(e.Path)
		d.errs = append(d.errs, e)
	}
	if len(d.errs) == 0 {
		return c, nil
	}
	sortErrors(d.errs)
	errs := make([]error, len(d.errs))
	for i, e := range d.errs {
		errs[i] = e
	}
	return nil, errors.Join(errs...)
}

// parse parses data into a node tree, returning the document's root node.
func parse(name string, data []byte) (*yaml.Node, error) {
	empty := &Error{File: name, Err: errors.New(`the file is empty: no upstreams configured; add at least one, e.g. "upstreams: [{name: sf, url: https://example.my.salesforce.com, dialect: salesforce}]" (see docs/configuration.md)`)}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	switch err := dec.Decode(&doc); {
	case errors.Is(err, io.EOF):
		return nil, empty
	case err != nil:
		return nil, syntaxError(name, err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, syntaxError(name, err)
	default:
		return nil, &Error{File: name, Line: next.Line, Column: next.Column, Err: errors.New("a second YAML document starts here; put the whole configuration in one document")}
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		return nil, empty
	}
	return doc.Content[0], nil
}

// syntaxError turns a YAML parser error ("yaml: line 3: ...") into an
// *Error carrying the line.
func syntaxError(name string, err error) *Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, after, ok := strings.Cut(rest, ": "); ok {
			if n, convErr := strconv.Atoi(num); convErr == nil {
				line, msg = n, after
			}
		}
	}
	if !strings.Contains(msg, "anchor") {
		// yaml.v3 numbers the lines of its parser's errors from 0 and
		// of its scanner's from 1, and leaves out line 0 either way.
		if parserProblem(msg) {
			line++
		}
		line = max(line, 1)
	}
	return &Error{File: name, Line: line, Err: &parseError{msg: msg, err: err}}
}

// parserProblem reports whether msg is one of the problems libyaml's
// parser (as opposed to its scanner) reports, listed in parserc.go.
func parserProblem(msg string) bool {
	switch msg {
	case "did not find expected <stream-start>",
		"did not find expected <document start>",
		"found undefined tag handle",
		"did not find expected node content",
		"did not find expected '-' indicator",
		"did not find expected key",
		"did not find expected ',' or ']'",
		"did not find expected ',' or '}'",
		"found duplicate %YAML directive",
		"found incompatible YAML document",
		"found duplicate %TAG directive":
		return true
	}
	return false
}

// parseError is a YAML syntax error without the parser's own prefix.
type parseError struct {
	msg string
	err error
}

func (e *parseError) Error() string { return "syntax error: " + e.msg }
func (e *parseError) Unwrap() error { return e.err }

// hasFailed reports whether path's value, or that of a key enclosing it,
// could not be decoded.
func (d *decoder) hasFailed(path string) bool {
	for {
		if d.failed[path] {
			return true
		}
		if path == "" {
			return false
		}
		i := max(strings.LastIndexAny(path, ".["), 0)
		path = path[:i]
	}
}

// position returns where path's value, or failing that its nearest
// enclosing key's, is written; 0, 0 for a key missing at the top level.
func (d *decoder) position(path string) (line, column int) {
	for path != "" {
		if p, ok := d.positions[path]; ok {
			return p.line, p.column
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0, 0
}

// resolvePaths makes the relative file paths in c relative to dir, the
// configuration file's directory, so that a configuration names its
// contracts the same way wherever crmguard is started from.
func (c *Config) resolvePaths(dir string) {
	for i := range c.Upstreams {
		spec := &c.Upstreams[i].Contract.Spec
		if *spec != "" && !filepath.IsAbs(*spec) {
			*spec = filepath.Join(dir, *spec)
		}
	}
}
