package dialect

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/crmguard/crmguard/internal/fault"
)

// Salesforce reads the Salesforce REST API: error arrays of
// {errorCode, message, fields}, the Bulk API's and OAuth's error objects,
// and the per-item results of sObject Collections, Composite, Composite
// Batch, Composite Graph and sObject Tree, which report failures inside
// HTTP 200.
type Salesforce struct{}

var _ Dialect = Salesforce{}

// Name returns "salesforce".
func (Salesforce) Name() string { return "salesforce" }

// Inspect reads every error status, and 2xx answers on /composite paths
// (Composite, Composite Batch, Graph, Tree and sObject Collections), which
// carry per-item failures. Plain successful reads and writes stay unread.
func (Salesforce) Inspect(method, path string, status int, _ http.Header) bool {
	if hasErrorBody(method, status) {
		return true
	}
	return is2xxWithBody(method, status) && strings.Contains(path, "/composite")
}

// Version returns the version in /services/data/vNN.N/ paths, and for the
// SOAP (/services/Soap/u/NN.N) and Bulk 1.0 (/services/async/NN.N) paths,
// which name it without the "v", the same number as "vNN.N".
func (Salesforce) Version(path string) string {
	if v := PathVersion(path); v != "" {
		return v
	}
	for _, p := range []string{"/services/Soap/u/", "/services/Soap/c/", "/services/Soap/m/", "/services/Soap/T/", "/services/async/"} {
		if i := strings.Index(path, p); i >= 0 {
			seg := path[i+len(p):]
			if j := strings.IndexByte(seg, '/'); j >= 0 {
				seg = seg[:j]
			}
			if isVersionSegment("v" + seg) {
				return "v" + seg
			}
		}
	}
	return ""
}

// sfError is one entry of a Salesforce error array. SaveResult errors in
// sObject Collections name the code statusCode instead of errorCode.
type sfError struct {
	ErrorCode  string `json:"errorCode"`
	StatusCode string `json:"statusCode"`
	Message    string `json:"message"`
}

func (e sfError) code() string {
	if e.ErrorCode != "" {
		return e.ErrorCode
	}
	return e.StatusCode
}

// sfElem is an element of a top-level array: an error, a SaveResult of an
// sObject Collections call, or a record (which has attributes).
type sfElem struct {
	sfError
	Success    *bool           `json:"success"`
	Errors     []sfError       `json:"errors"`
	Attributes json.RawMessage `json:"attributes"`
}

// sfSub is a Composite or Composite Graph subresponse.
type sfSub struct {
	Body           json.RawMessage `json:"body"`
	HTTPStatusCode int             `json:"httpStatusCode"`
}

// sfResult is a Composite Batch result ({statusCode, result}) or an sObject
// Tree result ({referenceId, id} or {referenceId, errors}).
type sfResult struct {
	StatusCode  int             `json:"statusCode"`
	Result      json.RawMessage `json:"result"`
	ReferenceID string          `json:"referenceId"`
	Errors      []sfError       `json:"errors"`
}

// sfObject covers every object-shaped Salesforce answer.
type sfObject struct {
	CompositeResponse []sfSub `json:"compositeResponse"`
	Graphs            []struct {
		GraphResponse struct {
			CompositeResponse []sfSub `json:"compositeResponse"`
		} `json:"graphResponse"`
	} `json:"graphs"`
	HasErrors *bool      `json:"hasErrors"`
	Results   []sfResult `json:"results"`

	ErrorCode        string `json:"errorCode"`
	ExceptionCode    string `json:"exceptionCode"` // Bulk API 1.0
	ExceptionMessage string `json:"exceptionMessage"`
	Message          string `json:"message"`
	Error            string `json:"error"` // OAuth
	ErrorDescription string `json:"error_description"`
}

// Classify reads the error code of a Salesforce answer, or the per-item
// results of a composite or collections answer (docs/dialects.md has the
// table). A lock error is Transient wherever its code appears.
func (Salesforce) Classify(r *Response) Verdict {
	if r == nil {
		return Verdict{Class: fault.Unknown}
	}
	b := trimSpace(r.Body)
	if len(b) > 0 {
		var (
			v  Verdict
			ok bool
		)
		switch b[0] {
		case '[':
			v, ok = sfArray(b, r.Status, r.Header)
		case '{':
			v, ok = sfObj(b, r.Status, r.Header)
		case '<':
			v, ok = pageVerdict(b)
		}
		if !ok && !json.Valid(b) {
			v, ok = sfSniff(b, r.Status, r.Header)
		}
		if ok {
			return v
		}
	}
	v := Verdict{Class: sfStatus(r.Status, r.Header)}
	v.Remediation = sfStatusRemediation(r.Status, v.Class)
	return v
}

func sfArray(b []byte, status int, h http.Header) (Verdict, bool) {
	var elems []sfElem
	if !decode(b, &elems) {
		return Verdict{}, false
	}
	var items []item
	var errs []sfError
	for _, e := range elems {
		switch {
		case e.Success != nil && e.Attributes == nil:
			it := item{failed: !*e.Success}
			if it.failed {
				var first sfError
				if len(e.Errors) > 0 {
					first = e.Errors[0]
				}
				it = sfItem(first, e.Errors, 0, nil)
			}
			items = append(items, it)
		case e.code() != "" && e.Attributes == nil:
			errs = append(errs, e.sfError)
		}
	}
	if v, ok := aggregate(items); ok {
		return v, true
	}
	if len(errs) > 0 {
		return fromItem(sfItem(errs[0], errs, status, h)), true
	}
	return Verdict{}, false
}

func sfObj(b []byte, status int, h http.Header) (Verdict, bool) {
	var o sfObject
	if !decode(b, &o) {
		return Verdict{}, false
	}
	var items []item
	for _, s := range o.CompositeResponse {
		items = append(items, sfSubItem(s.HTTPStatusCode, s.Body))
	}
	for _, g := range o.Graphs {
		for _, s := range g.GraphResponse.CompositeResponse {
			items = append(items, sfSubItem(s.HTTPStatusCode, s.Body))
		}
	}
	if o.HasErrors != nil {
		for _, res := range o.Results {
			switch {
			case res.StatusCode != 0: // Composite Batch
				items = append(items, sfSubItem(res.StatusCode, res.Result))
			case len(res.Errors) > 0: // sObject Tree
				items = append(items, sfItem(res.Errors[0], res.Errors, 0, nil))
			default:
				items = append(items, item{})
			}
		}
	}
	if v, ok := aggregate(items); ok {
		return v, true
	}
	code, msg := o.ErrorCode, o.Message
	if code == "" {
		code, msg = o.ExceptionCode, o.ExceptionMessage
	}
	if code == "" && o.Error != "" {
		code, msg = o.Error, o.ErrorDescription
	}
	if code == "" {
		return Verdict{}, false
	}
	e := sfError{ErrorCode: code, Message: msg}
	return fromItem(sfItem(e, []sfError{e}, status, h)), true
}

// sfSubItem is the outcome of one Composite subrequest or Composite Batch
// result: its own status and error body.
func sfSubItem(status int, body json.RawMessage) item {
	if c := sfStatus(status, nil); c == fault.OK {
		return item{}
	}
	var errs []sfError
	body = trimSpace(body)
	if len(body) > 0 && body[0] == '[' {
		decode(body, &errs)
	} else if len(body) > 0 && body[0] == '{' {
		var e sfError
		if decode(body, &e) {
			errs = []sfError{e}
		}
	}
	var first sfError
	if len(errs) > 0 {
		first = errs[0]
	}
	return sfItem(first, errs, status, nil)
}

// sfItem classifies the failure whose first error is first (all errors in
// errs), returned with the given status (0 inside a 200 result list).
func sfItem(first sfError, errs []sfError, status int, h http.Header) item {
	code := first.code()
	it := item{failed: true, code: code, msg: first.Message}
	c, known := sfCode(code)
	switch {
	case known:
		it.class = c
	case code != "" && isSfFollower(code):
		it.follower = true
		it.class = fault.Unknown
	default:
		if kc, ok := codeKeywords(code); ok {
			it.class = kc
		} else if status != 0 {
			it.class = sfStatus(status, h)
		} else {
			it.class = fault.Unknown
		}
		// 409 "Check that the API version is compatible with the
		// resource you're requesting" when the code says nothing better.
		if it.class == fault.Conflict && containsFold(first.Message, "api version") {
			it.class = fault.Version
		}
	}
	// A lock error can arrive wrapped in another code, such as
	// CANNOT_EXECUTE_FLOW_TRIGGER whose message carries UNABLE_TO_LOCK_ROW
	// (gitlab customers-gitlab-com#13770).
	if code == "UNABLE_TO_LOCK_ROW" {
		it.transient = true
	} else {
		for _, e := range errs {
			if strings.Contains(e.Message, "UNABLE_TO_LOCK_ROW") {
				it.class, it.transient, it.follower = fault.Conflict, true, false
				break
			}
		}
	}
	if it.class == fault.OK {
		// An error entry is a failure even where the status says success.
		it.class = fault.Unknown
	}
	it.remediation = sfRemediation(code, first.Message, status, it.class)
	return it
}

// isSfFollower reports whether code marks a subrequest that failed only
// because a sibling did.
func isSfFollower(code string) bool {
	switch code {
	case "PROCESSING_HALTED", "BATCH_PROCESSING_HALTED", "ALL_OR_NONE_OPERATION_ROLLED_BACK":
		return true
	}
	return false
}

// sfCode maps Salesforce StatusCode names (REST errorCode, SaveResult
// statusCode) and Bulk API exception codes to a class
// (research/crm-apis.md §1.2).
func sfCode(code string) (fault.Class, bool) {
	switch code {
	case "INVALID_SESSION_ID", "InvalidSessionId", "INVALID_OPERATION_WITH_EXPIRED_PASSWORD",
		"LOGIN_MUST_USE_SECURITY_TOKEN", "INVALID_LOGIN", "INVALID_GRANT", "invalid_grant",
		"invalid_client", "invalid_client_id", "INVALID_AUTH_HEADER":
		return fault.Auth, true
	case "INSUFFICIENT_ACCESS_OR_READONLY", "INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY",
		"INSUFFICIENT_ACCESS", "API_DISABLED_FOR_ORG", "API_CURRENTLY_DISABLED", "FORBIDDEN",
		"INVALID_READ_ONLY_USER_DML", "FUNCTIONALITY_NOT_ENABLED":
		return fault.Permission, true
	case "REQUEST_LIMIT_EXCEEDED", "STORAGE_LIMIT_EXCEEDED", "LICENSE_LIMIT_EXCEEDED",
		"TOO_MANY_APEX_REQUESTS", "SINGLE_EMAIL_LIMIT_EXCEEDED", "MASS_MAIL_LIMIT_EXCEEDED",
		"LIMIT_EXCEEDED", "ExceededQuota":
		return fault.RateLimit, true
	case "MALFORMED_QUERY", "MALFORMED_SEARCH", "MALFORMED_ID", "INVALID_FIELD", "INVALID_TYPE",
		"INVALID_QUERY_FILTER_OPERATOR", "ILLEGAL_QUERY_PARAMETER_VALUE", "INVALID_QUERY_LOCATOR",
		"METHOD_NOT_ALLOWED", "MISSING_ARGUMENT", "EXCEEDED_ID_LIMIT", "NOT_ACCEPTABLE",
		"UNSUPPORTED_MEDIA_TYPE", "URL_NOT_RESET":
		return fault.Parameter, true
	case "STRING_TOO_LONG", "INVALID_TYPE_ON_FIELD_IN_RECORD", "FIELD_CUSTOM_VALIDATION_EXCEPTION",
		"FIELD_INTEGRITY_EXCEPTION", "REQUIRED_FIELD_MISSING", "INVALID_FIELD_FOR_INSERT_UPDATE",
		"JSON_PARSER_ERROR", "XML_PARSER_ERROR", "NUMBER_OUTSIDE_VALID_RANGE", "INVALID_EMAIL_ADDRESS",
		"INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "INVALID_CROSS_REFERENCE_KEY",
		"TEXT_DATA_OUTSIDE_SUPPORTED_CHARSET":
		return fault.DataFormat, true
	case "UNSUPPORTED_API_VERSION", "InvalidVersion":
		return fault.Version, true
	case "NOT_FOUND", "ENTITY_IS_DELETED":
		return fault.NotFound, true
	case "DUPLICATE_VALUE", "DUPLICATES_DETECTED", "DUPLICATE_EXTERNAL_ID", "DUPLICATE_USERNAME",
		"ENTITY_FAILED_IFLASTMODIFIED_ON_UPDATE", "ENTITY_IS_LOCKED", "UNABLE_TO_LOCK_ROW":
		return fault.Conflict, true
	case "QUERY_TIMEOUT", "REQUEST_RUNNING_TOO_LONG":
		return fault.Timeout, true
	case "SERVER_UNAVAILABLE":
		return fault.Unavailable, true
	case "UNKNOWN_EXCEPTION":
		return fault.Server, true
	}
	return fault.Unknown, false
}

// sfStatus is ByStatus with Salesforce's meanings: 300 is an upsert whose
// external ID matched several records (conflict), and a 403 without a code
// is the daily quota when Sforce-Limit-Info shows the API usage at its
// limit, permission otherwise.
func sfStatus(status int, h http.Header) fault.Class {
	switch status {
	case http.StatusMultipleChoices:
		return fault.Conflict
	case http.StatusForbidden:
		if sfQuotaUsedUp(h) {
			return fault.RateLimit
		}
	}
	return ByStatus(status)
}

// sfQuotaUsedUp reports whether the Sforce-Limit-Info header
// ("api-usage=18/5000", possibly among other ;- or ,-separated entries)
// shows the org's API requests at or over their limit.
func sfQuotaUsedUp(h http.Header) bool {
	v := h.Get("Sforce-Limit-Info")
	i := strings.Index(v, "api-usage=")
	if i < 0 {
		return false
	}
	v = v[i+len("api-usage="):]
	if j := strings.IndexAny(v, ";, "); j >= 0 {
		v = v[:j]
	}
	used, limit, ok := strings.Cut(v, "/")
	if !ok {
		return false
	}
	u, err1 := strconv.ParseInt(used, 10, 64)
	l, err2 := strconv.ParseInt(limit, 10, 64)
	return err1 == nil && err2 == nil && l > 0 && u >= l
}

// sfSniff reads a body that does not decode (cut short, or not JSON) for
// its first error code.
func sfSniff(b []byte, status int, h http.Header) (Verdict, bool) {
	code := sniffValue(b, "errorCode")
	if code == "" {
		if c := sniffValue(b, "statusCode"); c != "" && (c[0] < '0' || c[0] > '9') {
			code = c
		}
	}
	if code == "" {
		code = sniffValue(b, "exceptionCode")
	}
	if code == "" {
		if bytes.Contains(b, []byte("UNABLE_TO_LOCK_ROW")) {
			return Verdict{Class: fault.Conflict, Code: "UNABLE_TO_LOCK_ROW", Transient: true}, true
		}
		return Verdict{}, false
	}
	msg := sniffValue(b, "message")
	e := sfError{ErrorCode: code, Message: msg}
	v := fromItem(sfItem(e, []sfError{e}, status, h))
	if status >= 200 && status < 300 {
		// A cut-short 200 list with a success next to the failure.
		for _, p := range []string{`"success":true`, `"success" : true`, `"httpStatusCode":20`, `"httpStatusCode" : 20`} {
			if bytes.Contains(b, []byte(p)) {
				v.Partial = true
				break
			}
		}
	}
	return v, true
}

// sfRemediation returns the Salesforce-specific hint for a failure, or ""
// to keep the class's default.
func sfRemediation(code, msg string, status int, c fault.Class) string {
	switch {
	case code == "INVALID_SESSION_ID" && strings.Contains(msg, "not valid for use with the REST API"):
		return "Salesforce refuses this session for the REST API (session security level, a UI-only session, or the API blocked for the user): refreshing the token will not help; check the connected app's OAuth scopes (\"api\") and the profile's API Enabled permission."
	case code == "INVALID_SESSION_ID" || code == "InvalidSessionId":
		return "The Salesforce session or OAuth access token expired or was revoked: refresh the token (or log in again) and retry."
	case code == "INVALID_GRANT" || code == "invalid_grant":
		return "Salesforce rejected the OAuth grant (refresh token revoked or expired, user blocked, or IP restrictions): re-authorize the connected app; retrying with the same grant will not help."
	case code == "REQUEST_LIMIT_EXCEEDED":
		return "The org's API request quota is used up: check /services/data/vNN.N/limits (DailyApiRequests) and the Sforce-Limit-Info header; the limit is a rolling 24-hour window, so calls succeed again as older calls age out, or raise the limit with Salesforce."
	case code == "STORAGE_LIMIT_EXCEEDED":
		return "The org's data or file storage is full: delete or archive records or buy more storage; retrying will not help until space is freed."
	case code == "API_DISABLED_FOR_ORG" || code == "API_CURRENTLY_DISABLED":
		return "API access is disabled for this org, edition or user: enable the API Enabled permission on the integration user's profile or permission set."
	case code == "UNABLE_TO_LOCK_ROW" || (c == fault.Conflict && strings.Contains(msg, "UNABLE_TO_LOCK_ROW")):
		return "Another transaction held a lock on the record (or its parent): retry the call after a short random delay; if it keeps happening, serialise writes to the same parent records."
	case code == "UNSUPPORTED_API_VERSION" || code == "InvalidVersion":
		return sfRetiredVersion
	case c == fault.Version && status == http.StatusConflict:
		return "Salesforce says the resource is not compatible with the requested API version: use a version that offers the resource (check /services/data/ for the versions the org supports)."
	}
	return ""
}

const sfRetiredVersion = "The Salesforce API version is retired (7.0–30.0 are gone; 31.0–40.0 retire in Summer '28): move the integration to a current version in the /services/data/vNN.N/ path."

// sfStatusRemediation is the hint for a verdict from the status alone.
func sfStatusRemediation(status int, c fault.Class) string {
	switch {
	case status == http.StatusGone:
		return sfRetiredVersion
	case status == http.StatusMultipleChoices:
		return "The upsert's external ID matched more than one record: make the external ID field unique, merge the duplicates, or update by record ID."
	case status == http.StatusForbidden && c == fault.RateLimit:
		return sfRemediation("REQUEST_LIMIT_EXCEEDED", "", status, c)
	}
	return ""
}

var _ IdempotentWriter = Salesforce{}

// IdempotentWrite reports PATCH on sObject resources as idempotent: an
// update by id or an upsert by external id sets the same fields again
// (research/crm-apis.md §1.5), and sObject Collections PATCH updates
// records by their ids. POST creates and is not.
func (Salesforce) IdempotentWrite(method, path string) bool {
	return method == http.MethodPatch && (strings.Contains(path, "/sobjects/") || strings.HasSuffix(path, "/sobjects"))
}
