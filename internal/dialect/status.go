package dialect

import (
	"net/http"

	"github.com/crmguard/crmguard/internal/fault"
)

// ByStatus returns the class an HTTP status implies when nothing else in the
// response says more. Every dialect falls back to it; dialects whose CRM
// gives a status another meaning (Salesforce 300, Pipedrive 402 and 415)
// decide before calling it.
//
// The less obvious choices, from research/crm-apis.md:
//   - 402 is rate_limit: the one CRM that sends it (Pipedrive, "Company
//     account is not open") means a plan or payment cap, a quota.
//   - 410 is version: Salesforce and Pipedrive answer retired versions and
//     resources with 410 GONE.
//   - 501 is parameter, not server: Pipedrive documents it as "Non-existent
//     functionality" and Dataverse as an operation that is not implemented;
//     the call asks for something the CRM does not have, and sending it
//     again fails the same way (RFC 9110 §15.6.2).
//   - 502 and 503 are unavailable (503 is the maintenance status of
//     Salesforce, Pipedrive and Sugar); 504 is timeout. Cloudflare's 521 and
//     523 (origin down or unreachable) are unavailable, 522 and 524 (origin
//     timed out) timeout.
//   - 499 (nginx: the client closed the request) is canceled.
//
// Other 2xx and 3xx statuses are ok; the 4xx statuses HTTP defines for a
// malformed or unacceptable request (400, 405, 406, 411, 413–417, 421,
// 426, 428, 431) are parameter; other 4xx statuses are unknown; other 5xx
// server; anything outside 200–599 unknown.
func ByStatus(status int) fault.Class {
	switch status {
	case http.StatusUnauthorized:
		return fault.Auth
	case http.StatusPaymentRequired, http.StatusTooManyRequests:
		return fault.RateLimit
	case http.StatusForbidden:
		return fault.Permission
	case http.StatusNotFound:
		return fault.NotFound
	case http.StatusRequestTimeout:
		return fault.Timeout
	case http.StatusConflict, http.StatusPreconditionFailed, http.StatusLocked:
		return fault.Conflict
	case http.StatusGone:
		return fault.Version
	case http.StatusUnprocessableEntity:
		return fault.DataFormat
	case 499:
		return fault.Canceled
	case http.StatusNotImplemented:
		return fault.Parameter
	case http.StatusBadGateway, http.StatusServiceUnavailable, 521, 523:
		return fault.Unavailable
	case http.StatusGatewayTimeout, 522, 524:
		return fault.Timeout
	}
	switch {
	case status >= 200 && status < 400:
		return fault.OK
	case status >= 400 && status < 500:
		if requestProblem(status) {
			return fault.Parameter
		}
		// 418, 420, 451 and other statuses no CRM here documents: saying
		// "parameter" would send the operator to check a request that may
		// be fine. Unknown keeps them visible as unexplained.
		return fault.Unknown
	case status >= 500 && status < 600:
		return fault.Server
	}
	return fault.Unknown
}

// requestProblem reports whether a 4xx status is one HTTP defines for a
// request the server cannot or will not process as sent (RFC 9110 §15.5,
// RFC 6585).
func requestProblem(status int) bool {
	switch status {
	case http.StatusBadRequest, http.StatusMethodNotAllowed, http.StatusNotAcceptable,
		http.StatusLengthRequired, http.StatusRequestEntityTooLarge, http.StatusRequestURITooLong,
		http.StatusUnsupportedMediaType, http.StatusRequestedRangeNotSatisfiable, http.StatusExpectationFailed,
		http.StatusMisdirectedRequest, http.StatusUpgradeRequired, http.StatusPreconditionRequired,
		http.StatusRequestHeaderFieldsTooLarge:
		return true
	}
	return false
}

// hasErrorBody reports whether a response with this method and status
// carries an error body worth reading: any status from 300 on, except 304
// and answers to HEAD, which have no body.
func hasErrorBody(method string, status int) bool {
	return status >= 300 && status != http.StatusNotModified && method != http.MethodHead
}

// is2xxWithBody reports whether a 2xx response to method can carry a body.
func is2xxWithBody(method string, status int) bool {
	return status >= 200 && status < 300 && status != http.StatusNoContent && method != http.MethodHead
}

// isRead reports whether method only reads: its successful answers are the
// large downloads that must stream unread.
func isRead(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}

// statusVerdict is the verdict from the status alone.
func statusVerdict(status int) Verdict {
	return Verdict{Class: ByStatus(status)}
}
