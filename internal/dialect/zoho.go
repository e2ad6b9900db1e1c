package dialect

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/crmguard/crmguard/internal/fault"
)

// Zoho reads the Zoho CRM API (v2 to v8): error objects {code, details,
// message, status:"error"}, and write answers whose data[] holds one
// {code, message, status} entry per record, some of which may have failed
// inside HTTP 200, 201, 202 or 207.
type Zoho struct{}

var _ Dialect = Zoho{}

// Name returns "zoho".
func (Zoho) Name() string { return "zoho" }

// Inspect reads every error status, every 207, and 2xx answers to writes
// (POST, PUT, PATCH, DELETE), whose data[] reports each record. Successful
// reads, which return records in data[], stay unread.
func (Zoho) Inspect(method, path string, status int, _ http.Header) bool {
	if hasErrorBody(method, status) || status == http.StatusMultiStatus {
		return true
	}
	return is2xxWithBody(method, status) && !isRead(method)
}

// Version returns the path's version, such as v8 or v2.1 for /crm/v2.1/….
func (Zoho) Version(path string) string { return PathVersion(path) }

type zohoEntry struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Status  string `json:"status"`
}

type zohoBody struct {
	zohoEntry
	// Error is an OAuth error code from accounts.zoho.com's token endpoint,
	// which answers {"error": "invalid_code"} with HTTP 200.
	Error string `json:"error"`
	// Data holds the per-record entries. Most APIs put them under "data";
	// others under the resource's name ("territories", "users", "tags"),
	// so every top-level array of entries counts.
	Data []zohoEntry `json:"-"`
}

// UnmarshalJSON decodes the entry fields and collects the per-record
// entries of every top-level array.
func (z *zohoBody) UnmarshalJSON(b []byte) error {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		return err
	}
	var head struct {
		zohoEntry
		Error json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return err
	}
	z.zohoEntry, z.Error = head.zohoEntry, scalar(head.Error)
	for _, raw := range top {
		if raw = trimSpace(raw); len(raw) == 0 || raw[0] != '[' {
			continue
		}
		var entries []zohoEntry
		if json.Unmarshal(raw, &entries) == nil {
			z.Data = append(z.Data, entries...)
		}
	}
	return nil
}

// Classify reads a Zoho answer's code, or the per-record entries of data[].
func (Zoho) Classify(r *Response) Verdict {
	if r == nil {
		return Verdict{Class: fault.Unknown}
	}
	b := trimSpace(r.Body)
	fallback := ByStatus(r.Status)
	if fallback == fault.OK {
		// A record entry whose code no table knows, inside a success.
		fallback = fault.Unknown
	}
	if len(b) > 0 {
		switch b[0] {
		case '{':
			var z zohoBody
			if decode(b, &z) {
				var items []item
				for _, e := range z.Data {
					switch e.Status {
					case "success":
						items = append(items, item{})
					case "error":
						items = append(items, zohoItem(e, fallback))
					}
				}
				if v, ok := aggregate(items); ok {
					return v
				}
				if c, ok := oauthError(z.Error); ok && z.Code == "" {
					return Verdict{Class: c, Code: z.Error}
				}
				if z.Code != "" && (z.Status == "error" || r.Status >= 300) {
					return fromItem(zohoItem(z.zohoEntry, fallback))
				}
			} else if code := sniffWhere(b, "code", func(c string) bool { return c != "SUCCESS" }); code != "" {
				v := fromItem(zohoItem(zohoEntry{Code: code, Message: sniffValue(b, "message")}, fallback))
				if r.Status == http.StatusMultiStatus || (r.Status < 300 && bytes.Contains(b, []byte(`"success"`))) {
					v.Partial = true
				}
				return v
			}
		case '<':
			if v, ok := pageVerdict(b); ok {
				return v
			}
		}
	}
	if r.Status == http.StatusMultiStatus {
		// Multi-status without a readable data[]: some records failed.
		return Verdict{Class: fault.Unknown, Partial: true}
	}
	return statusVerdict(r.Status)
}

func zohoItem(e zohoEntry, fallback fault.Class) item {
	it := item{failed: true, code: e.Code, msg: e.Message}
	c, ok := zohoCode(e.Code)
	if !ok {
		c, ok = codeKeywords(e.Code)
	}
	if !ok {
		c = fallback
	}
	if e.Code == "INVALID_DATA" && zohoBadID(e.Message) {
		// Zoho answers an id that names no record with INVALID_DATA
		// ("invalid record id", "the id given seems to be invalid").
		c = fault.NotFound
	}
	it.class = c
	it.transient = e.Code == "TOO_MANY_REQUESTS" || e.Code == "RECORD_LOCKED"
	it.remediation = zohoRemediation(e.Code)
	return it
}

// zohoBadID reports whether an INVALID_DATA message is about a record id
// rather than a field value.
func zohoBadID(msg string) bool {
	return containsFold(msg, "invalid record id") || containsFold(msg, "id given seems to be invalid")
}

// zohoCode maps Zoho API_Exception codes (research/crm-apis.md §4.1).
func zohoCode(code string) (fault.Class, bool) {
	switch code {
	case "INVALID_TOKEN", "AUTHENTICATION_FAILURE", "AUTHENTICATION_FAILED", "INVALID_HOST":
		return fault.Auth, true
	case "NO_PERMISSION", "AUTHORIZATION_FAILED", "OAUTH_SCOPE_MISMATCH", "FEATURE_NOT_SUPPORTED", "TERRITORY_NOT_ENABLED", "NOT_APPROVED":
		return fault.Permission, true
	case "TOO_MANY_REQUESTS", "LIMIT_EXCEEDED", "LICENSE_LIMIT_EXCEEDED", "LIMIT_REACHED", "STORAGE_SPACE_EXCEEDED":
		return fault.RateLimit, true
	case "INVALID_MODULE", "REQUIRED_PARAM_MISSING", "INVALID_REQUEST_METHOD", "INVALID_URL_PATTERN",
		"INVALID_QUERY", "API_NOT_SUPPORTED", "NOT_SUPPORTED", "RESERVED_KEYWORD_NOT_ALLOWED",
		"AMBIGUITY_DURING_PROCESSING", "MAPPING_MISMATCH":
		return fault.Parameter, true
	case "INVALID_DATA", "MANDATORY_NOT_FOUND", "PATTERN_NOT_MATCHED", "DEPENDENT_FIELD_MISSING",
		"DATA_MISMATCH", "EXPECTED_FIELD_MISSING", "REQUIRED_DATA_NOT_FOUND", "DEPENDENT_MISMATCH",
		"FILE_SIZE_MORE_THAN_ALLOWED_SIZE":
		return fault.DataFormat, true
	case "DUPLICATE_DATA", "RECORD_LOCKED", "ALREADY_USED", "ID_ALREADY_CONVERTED", "CONVERTED_RECORD",
		"RECORD_IN_BLUEPRINT", "ALREADY_SCHEDULED":
		return fault.Conflict, true
	case "NOT_FOUND", "NO_RECORDS_FOUND":
		return fault.NotFound, true
	case "INTERNAL_ERROR":
		return fault.Server, true
	}
	return fault.Unknown, false
}

func zohoRemediation(code string) string {
	switch code {
	case "INVALID_TOKEN":
		return "The Zoho OAuth access token is invalid or expired: refresh it; if refreshing does not help, check that the token was issued by the accounts server of this account's data centre."
	case "INVALID_HOST":
		return "The call went to another data centre's domain: use the zohoapis domain of the account's data centre (api_domain in the token response)."
	case "OAUTH_SCOPE_MISMATCH":
		return "The Zoho OAuth token lacks the scope this call needs: re-authorize the client with the missing ZohoCRM scope."
	case "TOO_MANY_REQUESTS":
		return "Zoho's concurrency limit per app (or the sub-concurrency limit of about 10 for bulk, query and convert calls) was hit: lower the number of parallel calls and retry."
	case "LIMIT_EXCEEDED":
		return "A Zoho limit was exceeded (the API credits of the rolling 24-hour window, or a per-call or feature limit the message names): wait for credits to free up, spread the load, or buy add-on credits."
	case "RECORD_LOCKED":
		return "The Zoho record is locked (under merge or approval): retry later, or finish the lock's process first."
	}
	return ""
}
