package dialect

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/crmguard/crmguard/internal/fault"
)

// SuiteCRM reads both SuiteCRM APIs. The V8 JSON:API (/Api/V8/…) answers
// every controller exception with HTTP 400 and an "errors" object whose
// detail text alone tells the cause; its OAuth server answers
// {error, message, hint}. The legacy REST API (/service/v4_1/rest.php)
// answers faults with HTTP 200 and {"name","number","description"}. The
// shape of the body decides, so a legacy fault is recognised on any path.
// SugarCRM's {error, error_message} labels are understood as well.
type SuiteCRM struct{}

var _ Dialect = SuiteCRM{}

// Name returns "suitecrm".
func (SuiteCRM) Name() string { return "suitecrm" }

// Inspect reads every error status, and 2xx answers on the legacy
// /service/ paths, which carry faults inside HTTP 200.
func (SuiteCRM) Inspect(method, path string, status int, _ http.Header) bool {
	if hasErrorBody(method, status) {
		return true
	}
	return is2xxWithBody(method, status) && strings.Contains(path, "/service/")
}

// Version returns the path's version: V8 for /Api/V8/…, v4_1 for
// /service/v4_1/rest.php.
func (SuiteCRM) Version(path string) string { return PathVersion(path) }

type suiteBody struct {
	// V8 JSON:API: an object in SuiteCRM (ErrorResponse.php), an array in
	// JSON:API proper.
	Errors json.RawMessage `json:"errors"`
	// OAuth server ({error, message, hint}) and Sugar ({error, error_message}).
	Error        json.RawMessage `json:"error"`
	Message      string          `json:"message"`
	ErrorMessage string          `json:"error_message"`
	Description  string          `json:"error_description"`
	// Legacy v4_1 fault.
	Name        json.RawMessage `json:"name"`
	Number      json.RawMessage `json:"number"`
	FaultDetail json.RawMessage `json:"description"`
}

type suiteV8Error struct {
	Detail string `json:"detail"`
	Title  string `json:"title"`
}

// Classify reads a legacy fault number, a V8 error detail, or an OAuth or
// Sugar error label.
func (SuiteCRM) Classify(r *Response) Verdict {
	if r == nil {
		return Verdict{Class: fault.Unknown}
	}
	read := func(s *suiteBody) (Verdict, bool) { return suiteClassify(s, r.Status) }
	sniff := func(b []byte) (Verdict, bool) { return suiteSniff(b, r.Status) }
	if v, ok := readObject(trimSpace(r.Body), read, sniff); ok {
		return v
	}
	return suiteStatus(r.Status)
}

func suiteClassify(s *suiteBody, status int) (Verdict, bool) {
	// Legacy fault: a numeric number next to a name. A success answer
	// has neither (login returns {id, module_name, name_value_list}).
	if num := scalar(s.Number); num != "" && scalar(s.Name) != "" {
		if n, err := strconv.Atoi(num); err == nil {
			return suiteLegacy(n, scalar(s.Name), scalar(s.FaultDetail)), true
		}
	}
	if len(s.Errors) > 0 {
		var e suiteV8Error
		errs := trimSpace(s.Errors)
		switch {
		case len(errs) > 0 && errs[0] == '{':
			decode(errs, &e)
		case len(errs) > 0 && errs[0] == '[':
			var list []suiteV8Error
			if decode(errs, &list) && len(list) > 0 {
				e = list[0]
			}
		}
		if e.Detail != "" || e.Title != "" {
			return suiteV8(e.Detail, e.Title, status), true
		}
	}
	if label := scalar(s.Error); label != "" {
		msg := s.Message
		if msg == "" {
			msg = s.ErrorMessage
		}
		if msg == "" {
			msg = s.Description
		}
		return suiteLabel(label, msg, status), true
	}
	return Verdict{}, false
}

// suiteLegacy classifies a legacy REST fault by its number
// (soap/SoapErrorDefinitions.php).
func suiteLegacy(n int, name, desc string) Verdict {
	v := Verdict{Code: strconv.Itoa(n), Message: desc}
	if v.Message == "" {
		v.Message = name
	}
	switch n {
	case 10, 11, 12, 1008, 1009, 1012:
		// Invalid Login, Invalid Session ID, User Not Configured, password
		// expired, lockout, LDAP authentication failed.
		v.Class = fault.Auth
		if n == 11 {
			v.Remediation = "The legacy SuiteCRM session expired or is invalid: call login again for a new session id."
		}
	case 20, 21, 30, 31, 1000:
		// Module or file does not exist, not supported, invalid call.
		v.Class = fault.Parameter
	case 40, 70:
		// Access Denied, admin required.
		v.Class = fault.Permission
	case 50:
		v.Class = fault.Conflict
	case 51:
		v.Class = fault.NotFound
	case 60, 90:
		// Sessions exceeded; resource management (query) limit.
		v.Class = fault.RateLimit
	case 1001:
		v.Class = fault.DataFormat
	default:
		v.Class = fault.Unknown
	}
	return v
}

// suiteV8 classifies a V8 JSON:API error by its detail text, which is all
// that tells the causes apart under HTTP 400 (research/crm-apis.md §5.1).
func suiteV8(detail, title string, status int) Verdict {
	v := Verdict{Message: detail}
	if v.Message == "" {
		v.Message = title
	}
	if strings.HasPrefix(detail, "[") {
		if i := strings.IndexByte(detail, ']'); i > 1 {
			v.Code = detail[1:i]
		}
	}
	d := v.Message
	if len(d) > 4096 {
		d = d[:4096]
	}
	switch {
	case containsFold(d, "accessdeniedexception"):
		v.Class = fault.Permission
	case containsFold(d, "database failure"), containsFold(d, "query failed"), containsFold(d, "sqlstate"),
		containsFold(d, "datenbank"):
		// The V8 API turns every exception into 400, a failed SQL
		// statement included: SuiteCRM failed, not the call's data.
		v.Class = fault.Server
	case containsFold(d, "field") && containsFold(d, "not found"):
		// "Filter field %s in %s module is not found": a wrong field name.
		v.Class = fault.Parameter
	case containsFold(d, "is not found"):
		// "%s module with id %s is not found", "Module with name %s is not found".
		v.Class = fault.NotFound
	case containsFold(d, "does not exist"), containsFold(d, "module id is empty"),
		containsFold(d, "cannot load relationship"):
		v.Class = fault.Parameter
	case containsFold(d, "is already exist"), containsFold(d, "already exists"):
		v.Class = fault.Conflict
	case containsFold(d, "file upload failed"):
		v.Class = fault.DataFormat
	default:
		v.Class = suiteStatus(status).Class
		if v.Class == fault.OK {
			v.Class = fault.Unknown
		}
	}
	return v
}

// suiteLabel classifies an OAuth error (league/oauth2-server) or a Sugar
// REST errorLabel.
func suiteLabel(label, msg string, status int) Verdict {
	v := Verdict{Code: label, Message: msg}
	switch label {
	case "access_denied", "invalid_client", "invalid_grant", "invalid_credentials", "need_login",
		"invalid_token", "inactive_portal_user":
		v.Class = fault.Auth
	case "invalid_scope", "not_authorized", "portal_not_configured":
		v.Class = fault.Permission
	case "invalid_request", "unsupported_grant_type", "missing_parameter", "invalid_parameter",
		"no_method", "request_too_large":
		v.Class = fault.Parameter
	case "not_found":
		v.Class = fault.NotFound
	case "edit_conflict":
		v.Class = fault.Conflict
	case "incorrect_version", "client_outdated", "metadata_out_of_date":
		v.Class = fault.Version
	case "maintenance":
		v.Class = fault.Unavailable
	case "fatal_error", "server_error":
		v.Class = fault.Server
	default:
		v.Class = suiteStatus(status).Class
		if v.Class == fault.OK {
			v.Class = fault.Unknown
		}
	}
	return v
}

// suiteStatus is ByStatus with Sugar's 433 client_outdated as version.
func suiteStatus(status int) Verdict {
	if status == 433 {
		return Verdict{Class: fault.Version}
	}
	return statusVerdict(status)
}

// suiteSniff reads a body that does not decode.
func suiteSniff(b []byte, status int) (Verdict, bool) {
	if num := sniffValue(b, "number"); num != "" {
		if n, err := strconv.Atoi(num); err == nil && sniffValue(b, "name") != "" {
			return suiteLegacy(n, sniffValue(b, "name"), sniffValue(b, "description")), true
		}
	}
	if d := sniffValue(b, "detail"); d != "" {
		return suiteV8(d, "", status), true
	}
	if label := sniffValue(b, "error"); label != "" {
		return suiteLabel(label, sniffValue(b, "message"), status), true
	}
	return Verdict{}, false
}
