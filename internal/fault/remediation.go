package fault

// Remediation returns the operator's first step for a call of class c: the
// default playbook entry. Dialects refine it when the vendor code says more.
func (c Class) Remediation() string {
	switch c {
	case OK:
		return ""
	case Network:
		return "The CRM could not be reached or the connection broke: check DNS, firewall and proxy settings and the CRM's status page, and run network diagnostics from the gateway host."
	case Timeout:
		return "The CRM did not answer within the deadline: check the CRM's status and the call's size (page size, query scope); raise the upstream timeout only if such calls are expected to be slow."
	case Auth:
		return "The CRM rejected the credentials or session: refresh the access token or session, and check that the integration user is active and its password or key has not expired."
	case Permission:
		return "The integration user is authenticated but not allowed: grant the missing permission, scope or sharing access to the integration user in the CRM."
	case RateLimit:
		return "The CRM's rate limit or quota is used up: wait for the quota window to reset (see Retry-After or the rate-limit headers), spread the load, or raise the limit with the CRM vendor."
	case Parameter:
		return "The call itself is wrong: check the endpoint, object, field names and query against the CRM's API contract for this version."
	case DataFormat:
		return "The data does not fit the CRM's rules: normalise the value (date, phone, length, picklist, required field) before sending; the vendor message names the field."
	case Version:
		return "The API version or endpoint is retired or changed: upgrade the integration to a supported API version and compare the response with the current contract."
	case NotFound:
		return "The record does not exist or was deleted: check the id, and whether the record was merged or removed in the CRM."
	case Conflict:
		return "The write collided with existing data: resolve the duplicate or concurrent edit; retry later if the record was only locked."
	case Server:
		return "The CRM failed internally: retry safe calls later and check the CRM's status page; open a case with the vendor if it persists."
	case Unavailable:
		return "The CRM is temporarily down or in maintenance: writes should be queued and replayed; check the CRM's maintenance calendar."
	case Canceled:
		return "The client gave up before the answer arrived: check the client's own timeout against the CRM's latency."
	default:
		return "The failure did not match a known cause: inspect the stored response sample and report the vendor code so it can be classified."
	}
}
