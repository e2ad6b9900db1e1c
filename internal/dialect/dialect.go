// Package dialect understands how each CRM reports errors: which statuses
// lie about the cause, which answers carry an error inside HTTP 200, how a
// batch reports items that failed, and where the API version sits in the
// path. Each CRM's dialect lives in its own file.
package dialect

import (
	"net/http"

	"github.com/crmguard/crmguard/internal/fault"
)

// Response is what a dialect sees of a CRM's answer to one request.
type Response struct {
	Method string
	Path   string // the request path as sent to the CRM, without the query
	Status int
	Header http.Header
	// Body is the start of the response body, decompressed, up to the
	// inspection limit. It is nil when the body was not read (Inspect said
	// no), and it may be cut short: Truncated says so.
	Body      []byte
	Truncated bool
}

// Verdict is a dialect's reading of a response.
type Verdict struct {
	Class   fault.Class
	Code    string // the vendor's error code, such as INVALID_SESSION_ID or 0x80040333
	Message string // the vendor's error message, as sent
	// Partial is set when a batch or composite call failed for some items
	// only; Class is then the failing items' class.
	Partial bool
	// Transient marks a failure the vendor documents as worth retrying even
	// though its class is not retryable in general, such as a record lock.
	Transient bool
	// Remediation, when set, is a vendor-specific hint that replaces the
	// class's default.
	Remediation string
}

// Dialect reads one CRM's responses.
type Dialect interface {
	// Name returns the dialect's configuration name, such as "salesforce".
	Name() string
	// Inspect reports whether the body of a response must be read to
	// classify it. It is asked before the body is read, so a dialect whose
	// CRM answers errors inside HTTP 200 on some paths says yes for those.
	// Reading costs a copy of the body; saying no for plain successful
	// reads keeps large downloads streaming.
	Inspect(method, path string, status int, header http.Header) bool
	// Classify gives the verdict on a response. It never fails: a body it
	// cannot parse is classified by the status alone.
	Classify(r *Response) Verdict
	// Version returns the API version named in a request path, such as
	// "v59.0", or "" if the path names none.
	Version(path string) string
}

// IdempotentWriter is implemented by dialects that know writes of their
// CRM which have the same effect when sent twice, such as an upsert by
// external id: crmguard may then send such a write again after a failure
// that may have reached the CRM.
type IdempotentWriter interface {
	// IdempotentWrite reports whether a request with this method and path
	// (below the upstream's base) is an idempotent write.
	IdempotentWrite(method, path string) bool
}
