package retry

import (
	"fmt"

	"github.com/crmguard/crmguard/internal/fault"
)

// Input describes one failed attempt of a CRM call, as much as the retry
// decision needs to know about it.
type Input struct {
	// Class is the attempt's cause class.
	Class fault.Class
	// Method is the request's HTTP method; "" means GET, as in net/http.
	Method string
	// Reached is set when the request may have reached the CRM: anything
	// after the request headers were written, including every response.
	// Only a failure before that (DNS, connect, TLS handshake) leaves it
	// false.
	Reached bool
	// Idempotent is set when sending the request twice has the same effect
	// as sending it once: the method is idempotent (see IdempotentMethod) or
	// the write was made idempotent (a dialect upsert by external ID or
	// idProperty, If-Match or If-None-Match, an Idempotency-Key the CRM
	// honours). Decide trusts it and does not look at Method for it.
	Idempotent bool
	// Transient is set when the dialect marked the failure as one the
	// vendor documents as worth retrying, such as a record lock. It makes a
	// Conflict retryable and changes nothing for any other class.
	Transient bool
	// Partial is set when a batch or composite call failed for some items
	// only, so the CRM applied the rest. A partial failure always reached
	// the CRM, and it is sent again only when Idempotent.
	Partial bool
}

// Decision is the outcome of Decide.
type Decision struct {
	// Retry reports whether the request may be sent again now, subject to
	// the Policy's attempts, the Budget and the call's deadline.
	Retry bool
	// Queue reports whether the call is a write that may be held in the
	// durable queue and replayed later. It is set exactly when Retry is set
	// and the method is a write (any method RFC 9110 §9.2.1 does not define
	// as safe), so nothing that may already have been applied, and cannot
	// be made idempotent, is ever queued.
	Queue bool
	// Reason is one sentence saying why, for logs and problem details.
	Reason string
}

// Decide reports whether the failed attempt in may be sent again, and
// whether it may be queued, following DESIGN.md §3 and STYLE.md rule 16:
//
//   - OK, Canceled and the classes that fail the same way again (Auth,
//     Permission, Parameter, DataFormat, Version, NotFound, Unknown, and
//     Conflict unless Transient) are never sent again. Auth needs fresh
//     credentials first; a caller that refreshes them decides anew.
//   - For the other classes (Network, Timeout, RateLimit, Server,
//     Unavailable, transient Conflict), a request that never reached the
//     CRM is always safe to send again, whatever its method.
//   - Once the request may have reached the CRM, it is sent again only when
//     Idempotent, with one exception: RateLimit. A 429 means the CRM did not
//     process the request (RFC 6585 §4), and the vendors' quota answers
//     (Salesforce 403 REQUEST_LIMIT_EXCEEDED, Zoho TOO_MANY_REQUESTS) reject
//     the call before doing its work, so any method may be sent again later.
//     Unavailable gets no such exception: a 503 usually means the request was
//     not processed, but RFC 9110 §15.6.4 does not promise it, and a 502 or
//     504 from a proxy in front of the CRM says nothing about whether the
//     CRM applied the write. Nor does a transient Conflict: a lock error in
//     one item of a composite call can follow items that were applied.
//   - A Partial failure is sent again only when Idempotent, whatever the
//     class, because part of the call was applied.
func Decide(in Input) Decision {
	if reason, ok := worthRetrying(in); !ok {
		return Decision{Reason: reason}
	}
	write := !SafeMethod(in.Method)
	noun := "request"
	if write {
		noun = "write"
	}
	yes := func(reason string) Decision {
		return Decision{Retry: true, Queue: write, Reason: reason}
	}
	switch {
	case in.Partial && !in.Idempotent:
		return Decision{Reason: fmt.Sprintf("Part of the %s was already applied by the CRM and it cannot be made idempotent; sending it again could duplicate that part.", noun)}
	case !in.Reached && !in.Partial:
		return yes(fmt.Sprintf("The %s never reached the CRM, so sending it again is safe.", noun))
	case in.Idempotent:
		return yes(fmt.Sprintf("The %s is idempotent, so sending it again cannot apply it twice.", noun))
	case in.Class == fault.RateLimit:
		return yes(fmt.Sprintf("The CRM refused the %s for its rate limit without processing it (RFC 6585 §4), so sending it again later is safe.", noun))
	default:
		return Decision{Reason: fmt.Sprintf("The %s may have reached the CRM and cannot be made idempotent; sending it again could duplicate it.", noun)}
	}
}

// worthRetrying reports whether a call of in's class may succeed when sent
// again unchanged, with the reason when it may not.
func worthRetrying(in Input) (reason string, ok bool) {
	switch in.Class {
	case fault.Network, fault.Timeout, fault.RateLimit, fault.Server, fault.Unavailable:
		return "", true
	case fault.Conflict:
		if in.Transient {
			return "", true
		}
		return "The CRM reported a duplicate or a concurrent edit, which fails the same way when sent again.", false
	case fault.OK:
		return "The call succeeded, so there is nothing to send again.", false
	case fault.Canceled:
		return "The client gave up on the call, so it is not sent again.", false
	case fault.Auth:
		return "The CRM did not accept the credentials; they must be refreshed before the call is sent again.", false
	case fault.Permission:
		return "The credentials are not allowed to make this call, and sending it again will not change that.", false
	case fault.Parameter:
		return "The call itself is wrong (endpoint, object, field, query or method) and fails the same way when sent again.", false
	case fault.DataFormat:
		return "The data does not fit the CRM's format or rules and fails the same way when sent again.", false
	case fault.Version:
		return "The API version or contract is incompatible and fails the same way when sent again.", false
	case fault.NotFound:
		return "The record does not exist, and sending the call again will not create it.", false
	}
	// Unknown, and any class this package does not know yet: a class is
	// retried only once someone has decided it is temporary.
	return fmt.Sprintf("The cause (%s) is not known to be temporary, so the call is not sent again.", in.Class), false
}

// IdempotentMethod reports whether method is idempotent by definition (RFC
// 9110 §9.2.2): GET, HEAD, OPTIONS, TRACE, PUT and DELETE. "" means GET.
// Method names are case-sensitive. Callers set Input.Idempotent from it, or
// from a dialect that made a write idempotent.
func IdempotentMethod(method string) bool {
	switch method {
	case "", "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE":
		return true
	}
	return false
}

// SafeMethod reports whether method is read-only by definition (RFC 9110
// §9.2.1). Every other method, including unknown ones, counts as a write.
func SafeMethod(method string) bool {
	switch method {
	case "", "GET", "HEAD", "OPTIONS", "TRACE":
		return true
	}
	return false
}
