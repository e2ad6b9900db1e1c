// Package normalize rewrites values in JSON request bodies into the one
// form a CRM accepts before crmguard forwards them. Integrations send dates,
// phone numbers and e-mail addresses in many shapes (03.04.2025, "030
// 123456", " Jane@EXAMPLE.com") while a CRM rejects all but one, so the
// gateway rewrites what it can read without guessing, reports what it
// cannot, and leaves every other byte of the body exactly as it was sent.
package normalize

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/crmguard/crmguard/internal/call"
)

// Rule says how to normalise the values at one field path. The zero value
// of an option means its default; options that do not apply to the rule's
// kind must be left empty.
//
// Every kind leaves a JSON null and a missing field alone, because null is
// how a client clears a field. Date, datetime, phone and email rules also
// leave an empty string alone (one of white space only is trimmed to ""),
// because some CRMs, HubSpot among them, clear a property with "".
type Rule struct {
	// Field is the path to the values, dot-separated object keys such as
	// data.attributes.birthdate; * matches any one key. A step that meets
	// an array applies to each of its elements, so email reaches the
	// email of every object in a top-level array. A key that contains a
	// dot cannot be named.
	Field string

	// As is the kind of value:
	//   - date: a calendar date, written with Format;
	//   - datetime: an instant, written with Format;
	//   - phone: a phone number, written in E.164 (+4930123456);
	//   - email: one bare e-mail address, trimmed, its domain lower-cased;
	//   - trim: any string, without surrounding white space;
	//   - text: any string, at most MaxLength characters.
	As string

	// Format is the Go time layout a date or datetime is written in; the
	// default is 2006-01-02 for date and time.RFC3339 for datetime. It
	// must write a value that reads back as the same date (for datetime,
	// the same minute).
	Format string

	// Order says how a date or datetime rule reads numeric dates that
	// name the day and month in either order, such as 03/04/2025: dmy
	// (day first) or mdy (month first). Left empty, such a date is
	// accepted only when it cannot be read both ways (25/04/2025, or
	// 04/04/2025) and rejected otherwise. Dotted dates (03.04.2025) are
	// always day first.
	Order string

	// Zone is the IANA time zone, such as Europe/Berlin, in which a
	// datetime rule reads inputs that carry no UTC offset (and dates
	// without a time, taken as midnight). When Format shows a zone or
	// offset the value is written in UTC; otherwise it is written in Zone.
	// The default is UTC.
	Zone string

	// Region is the ISO 3166-1 alpha-2 code, such as DE, of the country
	// whose national format a phone rule assumes for numbers sent without
	// a +country code. Required for phone rules. Numbers with a +country
	// code keep their own country.
	Region string

	// MaxLength is the most characters (Unicode code points) a text rule
	// lets through. Required for text rules.
	MaxLength int

	// OnOverflow is what a text rule does with a longer value: reject
	// (the default) reports it, truncate cuts it to MaxLength characters.
	OnOverflow string
}

// Normalizer applies a compiled rule set to request bodies. It is
// immutable and safe for concurrent use.
type Normalizer struct {
	rules []rule
	start []cursor // every rule at its path's first step
}

// ErrNotJSON is the error Apply returns, wrapped with the position of the
// first syntax error, for a body that is not valid JSON.
var ErrNotJSON = errors.New("request body is not valid JSON")

// Compile checks rules and compiles them, in order, into a Normalizer. It
// returns every problem it finds, one error per problem joined with
// errors.Join, each naming the rule's index and field.
func Compile(rules []Rule) (*Normalizer, error) {
	n := &Normalizer{rules: make([]rule, len(rules)), start: make([]cursor, len(rules))}
	var errs []error
	for i, r := range rules {
		c, problems := compileRule(r)
		for _, p := range problems {
			errs = append(errs, &RuleError{Index: i, Field: r.Field, Err: p})
		}
		n.rules[i] = c
		n.start[i] = cursor{rule: i}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return n, nil
}

// RuleError is a problem with one rule given to Compile.
type RuleError struct {
	Index int    // the rule's position in the list
	Field string // the rule's field, as given
	Err   error
}

func (e *RuleError) Error() string {
	return fmt.Sprintf("normalize[%d] (field %q): %v", e.Index, e.Field, e.Err)
}

func (e *RuleError) Unwrap() error { return e.Err }

// Result is what Apply made of a body.
type Result struct {
	// Body is the body to forward. It is the input slice itself when no
	// value changed; otherwise a new slice that differs from the input
	// only in the rewritten values.
	Body []byte
	// Changes lists the values rewritten, in body order and, for one
	// value, in rule order.
	Changes []call.Change
	// Findings lists the values that cannot be normalised, of class
	// fault.DataFormat. The request must not be forwarded when there are
	// any; rejecting it is the caller's job. After a value's first
	// finding no later rule is applied to it.
	Findings []call.Finding
}

// Apply normalises body. Rules reaching the same value apply in rule
// order, each to the previous one's output. The error, which wraps
// ErrNotJSON, is returned only when body is not valid JSON (an empty body
// included).
func (n *Normalizer) Apply(body []byte) (Result, error) {
	if !json.Valid(body) {
		return Result{}, syntaxError(body)
	}
	if len(n.rules) == 0 {
		return Result{Body: body}, nil
	}
	w := walker{n: n, src: body}
	w.ptr = w.ptrBuf[:0]
	w.stack = w.stackBuf[:0]
	w.space()
	w.value(n.start)
	return Result{Body: w.output(), Changes: w.changes, Findings: w.findings}, nil
}

// syntaxError says where body stops being JSON.
func syntaxError(body []byte) error {
	var v json.RawMessage
	err := json.Unmarshal(body, &v)
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return fmt.Errorf("%w: %v", ErrNotJSON, err)
	}
	// Offset counts the bytes read, the offending one included.
	off := min(max(int(se.Offset)-1, 0), len(body))
	line := 1 + bytes.Count(body[:off], []byte("\n"))
	col := off - bytes.LastIndexByte(body[:off], '\n')
	return fmt.Errorf("%w: %v at line %d, column %d (byte offset %d)", ErrNotJSON, se, line, col, off)
}
