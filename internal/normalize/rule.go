package normalize

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// kind is what a rule normalises a value as.
type kind uint8

const (
	kindDate kind = iota
	kindDateTime
	kindPhone
	kindEmail
	kindTrim
	kindText
)

// kindNames lists the values of Rule.As, for messages.
const kindNames = "date, datetime, phone, email, trim or text"

// rule is a Rule compiled.
type rule struct {
	kind     kind
	as       string // Rule.As, recorded as a Change's rule
	steps    []string
	expected string // Finding.Expected for a value the rule cannot read

	// date and datetime
	layout       string
	order        order
	zone         *time.Location
	zoneInLayout bool // the layout writes an offset, so the value is written in UTC

	// phone
	region  string
	example string // a valid number of the region, in E.164

	// text
	maxLength int
	truncate  bool
}

// reject says why a rule cannot normalise a value.
type reject struct {
	rule     string // Finding.Rule
	expected string
	why      string // completes "The value at /pointer …": what is wrong and how to fix it
}

// compileRule checks r and compiles it, returning every problem found.
func compileRule(r Rule) (rule, []error) {
	c := rule{as: r.As}
	var errs []error
	steps, err := parsePath(r.Field)
	if err != nil {
		errs = append(errs, err)
	}
	c.steps = steps

	switch r.As {
	case "date":
		c.kind = kindDate
	case "datetime":
		c.kind = kindDateTime
	case "phone":
		c.kind = kindPhone
	case "email":
		c.kind = kindEmail
	case "trim":
		c.kind = kindTrim
	case "text":
		c.kind = kindText
	case "":
		return c, append(errs, errors.New("as is missing; say what the values are: "+kindNames))
	default:
		return c, append(errs, fmt.Errorf("as %q is not a kind of value normalize knows; use %s", r.As, kindNames))
	}

	dated := c.kind == kindDate || c.kind == kindDateTime
	misplaced := func(option string, set bool, kinds string) {
		if set {
			errs = append(errs, fmt.Errorf("%s applies only to %s rules, not to %s; remove it", option, kinds, r.As))
		}
	}
	misplaced("format", r.Format != "" && !dated, "date and datetime")
	misplaced("order", r.Order != "" && !dated, "date and datetime")
	misplaced("zone", r.Zone != "" && c.kind != kindDateTime, "datetime")
	misplaced("region", r.Region != "" && c.kind != kindPhone, "phone")
	misplaced("max_length", r.MaxLength != 0 && c.kind != kindText, "text")
	misplaced("on_overflow", r.OnOverflow != "" && c.kind != kindText, "text")

	switch c.kind {
	case kindDate, kindDateTime:
		errs = append(errs, c.compileDate(r)...)
	case kindPhone:
		if err := c.compilePhone(r); err != nil {
			errs = append(errs, err)
		}
	case kindEmail:
		c.expected = emailExpected
	case kindText:
		errs = append(errs, c.compileText(r)...)
	}
	return c, errs
}

// apply normalises one value of JSON type typ, whose text s is the decoded
// string or the number as written. It returns the value to write, always
// a string, which is s itself when nothing changes.
func (r *rule) apply(typ jsonType, s string) (string, *reject) {
	if r.kind == kindTrim {
		if typ != jsonString {
			return s, nil
		}
		return strings.TrimSpace(s), nil
	}
	if r.kind != kindText && typ == jsonString && strings.TrimSpace(s) == "" {
		// An empty string clears a property in some CRMs (HubSpot).
		return "", nil
	}
	switch {
	case typ == jsonString && (r.kind == kindDate || r.kind == kindDateTime):
		return r.date(s)
	case typ == jsonNumber && (r.kind == kindDate || r.kind == kindDateTime):
		return r.unixTime(s)
	case typ == jsonString && r.kind == kindPhone:
		return r.phone(s)
	case typ == jsonString && r.kind == kindEmail:
		return r.email(s)
	case typ == jsonString && r.kind == kindText:
		return r.text(s)
	}
	return s, r.wrongType(typ)
}

// wrongType explains a value whose JSON type the rule cannot take.
func (r *rule) wrongType(typ jsonType) *reject {
	var what, want string
	switch r.kind {
	case kindDate:
		what, want = "a date", "a string, or a Unix time as a JSON number"
	case kindDateTime:
		what, want = "a date and time", "a string, or a Unix time as a JSON number"
	case kindPhone:
		what, want = "a phone number", "a string"
		if typ == jsonNumber {
			return &reject{rule: "type", expected: want, why: "is a JSON number; send phone numbers as strings, since a number loses the leading + or 0"}
		}
	case kindEmail:
		what, want = "an e-mail address", "a string"
	default:
		what, want = "text", "a string"
	}
	return &reject{rule: "type", expected: want, why: fmt.Sprintf("is %s, not %s; send it as %s", typ.noun(), what, want)}
}

// noun names a JSON type with its article, for messages.
func (t jsonType) noun() string {
	switch t {
	case jsonString:
		return "a string"
	case jsonNumber:
		return "a number"
	case jsonBool:
		return "a boolean"
	case jsonObject:
		return "an object"
	}
	return "an array"
}
