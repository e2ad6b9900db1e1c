package dialect

import "github.com/crmguard/crmguard/internal/fault"

// oauthError classifies an OAuth 2.0 error code (RFC 6749 §5.2, §4.1.2.1,
// RFC 6750 §3.1), as token endpoints and resource servers send it in
// {"error": "<code>"}. Some CRMs' token endpoints (Zoho's among them) send
// it with HTTP 200, so the code alone must decide. ok is false for a string
// that is not one of these codes.
func oauthError(code string) (c fault.Class, ok bool) {
	switch code {
	case "invalid_client", "invalid_grant", "unauthorized_client", "invalid_token", "access_denied",
		"invalid_code", "invalid_client_secret", "invalid_redirect_uri":
		// invalid_code and invalid_client_secret are Zoho's own words for
		// an expired or wrong authorization code or secret.
		return fault.Auth, true
	case "insufficient_scope", "invalid_scope":
		return fault.Permission, true
	case "invalid_request", "unsupported_grant_type", "unsupported_response_type":
		return fault.Parameter, true
	case "temporarily_unavailable":
		return fault.Unavailable, true
	case "server_error":
		return fault.Server, true
	}
	return fault.Unknown, false
}
