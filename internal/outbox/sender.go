package outbox

import (
	"context"
	"time"

	"github.com/crmguard/crmguard/internal/fault"
)

// Sender sends one queued write to its CRM. The Worker declares it; an
// *HTTPSender is the production implementation.
//
// Send reports the attempt in Result with a nil error, whether the CRM
// answered or the connection failed. A non-nil error means the write was
// not sent: it was held back (an error wrapping *upstream.OpenError or
// *upstream.QuotaError, whose RetryIn says when to try again) or the
// request could not be built from the entry (classified by
// fault.FromError; wrap it in a *fault.Error to give it a class).
type Sender interface {
	Send(ctx context.Context, e Entry) (Result, error)
}

// SenderFunc adapts a function to a Sender.
type SenderFunc func(ctx context.Context, e Entry) (Result, error)

// Send calls f(ctx, e).
func (f SenderFunc) Send(ctx context.Context, e Entry) (Result, error) { return f(ctx, e) }

// Result is what one attempt to deliver an entry came to.
type Result struct {
	// Status is the HTTP status of the CRM's answer; 0 if none arrived.
	Status int
	// Class is the attempt's cause class; fault.OK means delivered.
	Class fault.Class
	// Transient is set when the CRM's dialect marked the failure as worth
	// retrying although its class is not in general (a record lock), as
	// dialect.Verdict.Transient.
	Transient bool
	// RetryAfter is the wait the CRM asked for (Retry-After and the rate
	// limit headers retry.Wait reads); 0 when it named none.
	RetryAfter time.Duration
	// Message describes the failure for the entry's LastError and dead
	// reason: the CRM's error message, or the transport failure.
	Message string
	// Reached reports whether the attempt may have reached the CRM;
	// Idempotent whether the write cannot apply twice. Together they say
	// whether sending it again is safe (retry.Decide).
	Reached, Idempotent bool
}
