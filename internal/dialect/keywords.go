package dialect

import (
	"strings"

	"github.com/crmguard/crmguard/internal/fault"
)

// codeKeywords classifies a symbolic vendor error code that no dialect
// table names, by the words it is made of: DUPLICATE_…, …_NOT_FOUND,
// …_LIMIT_EXCEEDED, INSUFFICIENT_ACCESS_…, InvalidSessionId and so on.
// Case and separators do not matter. It reports false when no word fits, so
// the caller falls back to the status. The order of the checks settles
// codes that hold two words (INVALID_SESSION_ID is auth, not parameter).
func codeKeywords(code string) (fault.Class, bool) {
	if code == "" || len(code) > 128 {
		return fault.Unknown, false
	}
	c := strings.ToUpper(strings.NewReplacer("_", "", "-", "", ".", "", " ", "").Replace(code))
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(c, w) {
				return true
			}
		}
		return false
	}
	switch {
	case has("LOCK"):
		return fault.Conflict, true
	case has("DUPLICATE", "ALREADYEXIST", "CONFLICT"):
		return fault.Conflict, true
	case has("RATELIMIT", "LIMITEXCEEDED", "LIMITREACHED", "TOOMANY", "QUOTA", "THROTTL"):
		return fault.RateLimit, true
	case has("SESSION", "TOKEN", "AUTHENTICAT", "LOGIN", "CREDENTIAL", "UNAUTHORIZED", "INVALIDGRANT"):
		return fault.Auth, true
	case has("INSUFFICIENTACCESS", "PERMISSION", "FORBIDDEN", "NOTAUTHORIZED", "ACCESSDENIED", "SCOPE", "PRIVILEGE"):
		return fault.Permission, true
	case has("NOTFOUND", "DELETED", "NORECORDS", "DOESNOTEXIST", "NOTEXIST"):
		return fault.NotFound, true
	case has("TIMEOUT", "TIMEDOUT"):
		return fault.Timeout, true
	case has("VERSION"):
		return fault.Version, true
	case has("MAINTENANCE", "UNAVAILABLE"):
		return fault.Unavailable, true
	case has("VALIDATION", "TOOLONG", "REQUIRED", "FORMAT", "PICKLIST", "OUTOFRANGE", "OUTSIDEVALID", "INVALIDDATA", "MANDATORY", "PATTERN"):
		return fault.DataFormat, true
	case has("MALFORMED", "INVALIDFIELD", "INVALIDQUERY", "INVALIDPARAM", "MISSINGPARAM", "UNKNOWNFIELD", "NOTSUPPORTED", "METHOD", "BADREQUEST"):
		return fault.Parameter, true
	case has("INTERNAL", "SERVERERROR", "UNKNOWNEXCEPTION"):
		return fault.Server, true
	}
	return fault.Unknown, false
}

// messageKeywords classifies an English error message by well-worn
// phrases. It is the last resort before the status, used by the dialects
// whose CRM gives no code (generic, Pipedrive); it reports false when no
// phrase fits. "Not available" alone is deliberately not a phrase: Pipedrive
// says "Requested service is not available" for a wrong request.
func messageKeywords(msg string) (fault.Class, bool) {
	if msg == "" {
		return fault.Unknown, false
	}
	if len(msg) > 4096 {
		msg = msg[:4096]
	}
	lower := strings.ToLower(msg)
	has := func(phrases ...string) bool {
		for _, p := range phrases {
			if strings.Contains(lower, p) {
				return true
			}
		}
		return false
	}
	switch {
	case has("unable_to_lock_row", "unable to obtain exclusive access", "record is locked", "deadlock"):
		return fault.Conflict, true
	case has("rate limit", "too many requests", "quota", "limit exceeded", "limit reached", "limit has been exceeded"):
		return fault.RateLimit, true
	case has("session expired", "token expired", "expired token", "invalid token", "invalid api token", "invalid_token",
		"invalid grant", "invalid_grant", "unauthenticated", "unauthorized", "invalid credentials", "authentication failed"):
		return fault.Auth, true
	case has("method not allowed", "not implemented"):
		return fault.Parameter, true
	case has("permission", "not allowed", "access denied", "forbidden", "insufficient privileges", "not authorized"):
		return fault.Permission, true
	case has("already exists", "duplicate"):
		return fault.Conflict, true
	case has("maintenance", "temporarily unavailable"):
		return fault.Unavailable, true
	case has("timed out", "timeout"):
		return fault.Timeout, true
	case has("api version", "no longer supported", "deprecated", "sunset"):
		return fault.Version, true
	case has("not found", "does not exist"):
		return fault.NotFound, true
	case has("validation", "invalid format", "required field", "too long", "must be a valid"):
		return fault.DataFormat, true
	}
	return fault.Unknown, false
}
