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
	// of the request and response (line, headers, body) of failed calls.
	RequestSample  string
	ResponseSample string
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
