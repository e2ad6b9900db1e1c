// Package call is the vocabulary of one CRM call as crmguard sees it: the
// Call that the gateway fills in while proxying and the recorder stores, its
// ID, and the context plumbing that lets the outbound path find it.
package call

import (
	"context"
	"time"

	"github.com/crmguard/crmguard/internal/fault"
)

// Call is one request from a client to a CRM through crmguard and its
// outcome. The gateway creates it, the outbound path fills in the outcome,
// and once the response is finished it is handed to the recorder and must
// not be modified any more.
type Call struct {
	ID       ID
	Start    time.Time
	Upstream string // the configured upstream name
	Method   string
	// Operation is the request path below the upstream with ids collapsed,
	// such as /services/data/v59.0/sobjects/Contact/{id}.
	Operation  string
	APIVersion string // version named in the path, such as v59.0; empty if none
	Client     string // the client identity header's value, else the remote address

	Status      int         // HTTP status sent to the client; 0 if none was sent
	Class       fault.Class // the cause class
	VendorCode  string      // the CRM's own error code, if it named one
	Message     string      // the CRM's or the transport's error message, redacted
	Retryable   bool        // the same request may succeed if sent again later
	Partial     bool        // a batch call in which only some items failed
	Remediation string      // the operator's first step; empty on success

	Latency  time.Duration // from the request's arrival to the last response byte
	BytesIn  int64         // request body bytes received from the client
	BytesOut int64         // response body bytes sent to the client
	Attempts int           // upstream attempts made; 0 if none was made
	// Tries describes each attempt when there was more than one: where it
	// went and how it ended. Nil for a call answered at the first try.
	Tries []Attempt

	// RequestSample and ResponseSample hold the size-capped, redacted start
	// of the request and response (line, headers, body) of failed calls
	// and of calls with findings.
	RequestSample  string
	ResponseSample string

	// Guard is what crmguard's guard made of the call: its API version's
	// lifecycle, the values it normalised, and how the request or the
	// response departs from the contract. Zero when nothing was found.
	Guard Guard
}

// Guard is the guard's record of one call.
type Guard struct {
	// VersionState is "deprecated" or "retired" when the call's API
	// version or endpoint is, "" otherwise.
	VersionState string `json:"version_state,omitempty"`
	// Changes are the values normalisation rewrote.
	Changes []Change `json:"changes,omitempty"`
	// Findings are the request's contract or normalisation violations and
	// the response's drift from the contract.
	Findings []Finding `json:"findings,omitempty"`
}

// Empty reports whether the guard recorded nothing.
func (g *Guard) Empty() bool {
	return g.VersionState == "" && len(g.Changes) == 0 && len(g.Findings) == 0
}

// Drift returns the findings about the response, of class version.
func (g *Guard) Drift() []Finding {
	var out []Finding
	for _, f := range g.Findings {
		if f.Class == fault.Version {
			out = append(out, f)
		}
	}
	return out
}

// Attempt is one try of a call at the CRM.
type Attempt struct {
	Endpoint string        // the base URL tried, without credentials
	Status   int           // the CRM's status; 0 when no answer came
	Class    fault.Class   // how the try ended
	Latency  time.Duration // from sending to the answer's headers, or the failure
}

// Failed reports whether the call's class is anything but ok.
func (c *Call) Failed() bool { return c.Class != fault.OK }

type ctxKey struct{}

// NewContext returns a copy of ctx that carries c.
func NewContext(ctx context.Context, c *Call) context.Context {
	return context.WithValue(ctx, ctxKey{}, c)
}

// FromContext returns the call carried by ctx, or nil.
func FromContext(ctx context.Context) *Call {
	c, _ := ctx.Value(ctxKey{}).(*Call)
	return c
}

// Finding is one way a call departs from what crmguard was told to expect
// of it: a request that breaks its upstream's contract or a normalisation
// rule, or a response that no longer matches the contract (drift).
type Finding struct {
	// Class is parameter or data_format for a request, version for a
	// response that drifted from the contract.
	Class fault.Class `json:"class"`
	// In says where: operation, path, query, header, body, or, for
	// responses, status and response.
	In string `json:"in"`
	// Pointer locates the value: an RFC 6901 JSON pointer into the body
	// (such as /data/attributes/email), or the parameter or header name.
	Pointer string `json:"pointer,omitempty"`
	// Rule is what was broken: type, format, pattern, enum, required,
	// maxLength, unknown field, unknown operation, date, phone, email…
	Rule     string `json:"rule"`
	Sent     string `json:"sent,omitempty"`     // what was sent, cut short; redacted when stored
	Expected string `json:"expected,omitempty"` // what the contract or the rule expects
	Message  string `json:"message"`            // one sentence an integration's developer can act on
}

// Change is one value a normalisation rule rewrote before the request
// went to the CRM.
type Change struct {
	Pointer string `json:"pointer"` // RFC 6901 JSON pointer into the request body
	Rule    string `json:"rule"`    // the rule's kind: date, phone, email, trim, text
	From    string `json:"from"`
	To      string `json:"to"`
}
