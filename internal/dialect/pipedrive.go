package dialect

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/crmguard/crmguard/internal/fault"
)

// Pipedrive reads the Pipedrive API (v1 and v2): {"success":false,
// "error":…, "error_info":…, "code":…} bodies, where a 402 or a 403 with a
// feature_capping_* code is a plan quota rather than a permission problem.
type Pipedrive struct{}

var _ Dialect = Pipedrive{}

// Name returns "pipedrive".
func (Pipedrive) Name() string { return "pipedrive" }

// Inspect reads every error status and the 2xx answers to writes, which
// are one record and cheap to read, in case they say success:false.
// Successful reads (list pages of up to 500 items) stay unread.
func (Pipedrive) Inspect(method, path string, status int, _ http.Header) bool {
	if hasErrorBody(method, status) {
		return true
	}
	return is2xxWithBody(method, status) && !isRead(method)
}

// Version returns the path's version: v1 for /v1/…, v2 for /api/v2/….
func (Pipedrive) Version(path string) string { return PathVersion(path) }

type pdBody struct {
	Success          *bool           `json:"success"`
	Error            json.RawMessage `json:"error"`
	ErrorInfo        string          `json:"error_info"`
	Code             json.RawMessage `json:"code"`
	ErrorCode        json.RawMessage `json:"errorCode"`
	ErrorDescription string          `json:"error_description"`
	Message          string          `json:"message"`
}

// Classify reads a Pipedrive answer's code and error text.
func (Pipedrive) Classify(r *Response) Verdict {
	if r == nil {
		return Verdict{Class: fault.Unknown}
	}
	b := trimSpace(r.Body)
	if len(b) > 0 {
		switch b[0] {
		case '{':
			var p pdBody
			if decode(b, &p) {
				failed := r.Status >= 300 || (p.Success != nil && !*p.Success)
				if !failed {
					return Verdict{Class: fault.OK}
				}
				code := scalar(p.Code)
				if code == "" {
					code = scalar(p.ErrorCode)
				}
				msg := scalar(p.Error)
				if other := firstNonEmpty(p.ErrorDescription, p.Message); other != "" &&
					(msg == "" || (code == "" && !strings.ContainsRune(msg, ' '))) {
					// OAuth style: {"error":"invalid_grant","message":"Invalid grant: …"}.
					if code == "" {
						code = msg
					}
					msg = other
				}
				return pdVerdict(code, msg, r.Status)
			}
			if r.Status >= 300 {
				return pdVerdict(sniffValue(b, "code"), sniffValue(b, "error"), r.Status)
			}
		case '<':
			if v, ok := pageVerdict(b); ok {
				return v
			}
		}
	}
	if r.Status < 300 {
		// Nothing in the body (or it was not read) says the call failed.
		return Verdict{Class: fault.OK}
	}
	return pdVerdict("", "", r.Status)
}

// pdVerdict classifies a Pipedrive failure (research/crm-apis.md §7).
func pdVerdict(code, msg string, status int) Verdict {
	v := Verdict{Code: code, Message: msg}
	switch {
	case strings.HasPrefix(code, "feature_capping"):
		v.Class = fault.RateLimit
		v.Remediation = "The Pipedrive plan's cap for this entity is reached (such as the open deals limit): close or archive entities or upgrade the plan; retrying will not help until then."
	case status == http.StatusPaymentRequired:
		v.Class = fault.RateLimit
		v.Remediation = "The Pipedrive company account is not open (trial expired or payment details missing): settle the subscription; no call succeeds until then."
	case status == http.StatusForbidden:
		// "Request not allowed. User account has reached a limit for an
		// entity." is a cap; other 403s are permissions.
		v.Class = fault.Permission
		if containsFold(msg, "limit") {
			v.Class = fault.RateLimit
		}
	case status == http.StatusUnsupportedMediaType:
		// Pipedrive's 415 is "Feature is not enabled" for the account.
		v.Class = fault.Permission
	case status == http.StatusUnprocessableEntity && containsFold(msg, "limit"):
		// "Webhooks limit reached".
		v.Class = fault.RateLimit
	case status == http.StatusBadRequest && (containsFold(msg, "invalid grant") || containsFold(msg, "refresh_token") ||
		containsFold(msg, "authorization_code") || containsFold(msg, "invalid client") ||
		code == "invalid_grant" || code == "invalid_client"):
		// The OAuth server's 400s.
		v.Class = fault.Auth
	case status >= 300:
		v.Class = ByStatus(status)
	default:
		// success:false inside a 2xx: only the text can tell.
		c, ok := codeKeywords(code)
		if !ok {
			c, ok = messageKeywords(msg)
		}
		if !ok {
			c = fault.Unknown
		}
		v.Class = c
	}
	if v.Class == fault.RateLimit && v.Remediation == "" && status == http.StatusTooManyRequests {
		v.Remediation = "Pipedrive's rate limit was hit (a burst limit per 2 seconds, and a daily token budget per company): back off until x-ratelimit-reset, and check x-daily-requests-left."
	}
	return v
}
