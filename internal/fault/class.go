// Package fault defines crmguard's closed vocabulary of failure causes: the
// Class of a CRM call, whether a class is worth retrying, what an operator
// should do about it, and a typed error that carries a class through wrapping.
package fault

import (
	"fmt"
)

// Class is the cause class of one CRM call. The set is closed and
// append-only: class names are stored, exported as metric labels and used
// in alert rules, so a name never changes and a value is never reused.
type Class uint8

// The cause classes, in the order of DESIGN.md §3. Append new classes at the
// end, before numClasses.
const (
	OK          Class = iota // succeeded
	Network                  // the request did not reach the CRM, or the connection broke
	Timeout                  // no complete answer within the deadline
	Auth                     // credentials or session not accepted
	Permission               // authenticated but not allowed
	RateLimit                // rate or quota exceeded
	Parameter                // the call itself is wrong: endpoint, object, field, query, method
	DataFormat               // the data does not fit: type, format, length, required, picklist, rule
	Version                  // API version or contract incompatible
	NotFound                 // the record does not exist
	Conflict                 // duplicate, concurrent edit, lock
	Server                   // the CRM failed internally
	Unavailable              // the CRM is temporarily down or in maintenance
	Canceled                 // the client gave up
	Unknown                  // none of the above; must stay rare

	numClasses
)

var names = [numClasses]string{
	OK:          "ok",
	Network:     "network",
	Timeout:     "timeout",
	Auth:        "auth",
	Permission:  "permission",
	RateLimit:   "rate_limit",
	Parameter:   "parameter",
	DataFormat:  "data_format",
	Version:     "version",
	NotFound:    "not_found",
	Conflict:    "conflict",
	Server:      "server",
	Unavailable: "unavailable",
	Canceled:    "canceled",
	Unknown:     "unknown",
}

// Classes returns every class in declaration order, ok first.
func Classes() []Class {
	cs := make([]Class, numClasses)
	for i := range cs {
		cs[i] = Class(i)
	}
	return cs
}

// String returns the stable lower-case name of c, as stored and exported.
func (c Class) String() string {
	if c < numClasses {
		return names[c]
	}
	return fmt.Sprintf("class(%d)", uint8(c))
}

// Parse returns the class named s. Names are those String returns.
func Parse(s string) (Class, error) {
	for i, n := range names {
		if n == s {
			return Class(i), nil
		}
	}
	return Unknown, fmt.Errorf("unknown cause class %q (known: %s)", s, knownList())
}

func knownList() string {
	s := ""
	for i, n := range names {
		if i > 0 {
			s += ", "
		}
		s += n
	}
	return s
}

// MarshalText implements encoding.TextMarshaler with the class name.
func (c Class) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; it accepts the names
// String returns.
func (c *Class) UnmarshalText(b []byte) error {
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// Failed reports whether c is anything but OK.
func (c Class) Failed() bool { return c != OK }

// Retryable reports whether a call of class c may succeed if the same
// request is sent again later without change. Whether it is safe to send it
// again (the method, whether it reached the CRM) is a separate question for
// the retry policy. Auth is not retryable as is: the client must refresh its
// credentials first. Conflict is retryable only for locks, which the dialect
// reports through Verdict.Transient.
func (c Class) Retryable() bool {
	switch c {
	case Network, Timeout, RateLimit, Server, Unavailable:
		return true
	}
	return false
}
