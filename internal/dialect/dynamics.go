package dialect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/crmguard/crmguard/internal/fault"
)

// Dynamics reads the Microsoft Dynamics 365 / Dataverse Web API: OData
// error objects {"error":{"code","message"}} whose code is a hex HRESULT
// (0x80040333) unrelated to the status, and the multipart answers of
// $batch, whose parts fail one by one inside HTTP 200.
type Dynamics struct{}

var _ Dialect = Dynamics{}

// Name returns "dynamics".
func (Dynamics) Name() string { return "dynamics" }

// Inspect reads every error status and the 2xx answers of $batch.
func (Dynamics) Inspect(method, path string, status int, _ http.Header) bool {
	if hasErrorBody(method, status) {
		return true
	}
	return is2xxWithBody(method, status) && strings.HasSuffix(path, "/$batch")
}

// Version returns the path's version, such as v9.2 for /api/data/v9.2/….
func (Dynamics) Version(path string) string { return PathVersion(path) }

type dvBody struct {
	Error struct {
		Code    json.RawMessage `json:"code"`
		Message string          `json:"message"`
	} `json:"error"`
}

// Classify reads the error code and message of a Dataverse answer.
func (Dynamics) Classify(r *Response) Verdict {
	if r == nil {
		return Verdict{Class: fault.Unknown}
	}
	b := trimSpace(r.Body)
	if strings.HasSuffix(r.Path, "/$batch") && len(b) > 0 && b[0] == '-' {
		// A multipart batch answer: its parts carry the outcomes, with
		// 200 (continue-on-error) or the failing part's status outside.
		if v, ok := dvBatch(b); ok {
			return v
		}
	}
	if r.Status >= 200 && r.Status < 300 {
		return Verdict{Class: fault.OK}
	}
	read := func(d *dvBody) (Verdict, bool) {
		code := scalar(d.Error.Code)
		return fromItem(dvItem(code, d.Error.Message, r.Status)), code != "" || d.Error.Message != ""
	}
	sniff := func(b []byte) (Verdict, bool) {
		code := sniffValue(b, "code")
		return fromItem(dvItem(code, sniffValue(b, "message"), r.Status)), code != ""
	}
	if v, ok := readObject(b, read, sniff); ok {
		return v
	}
	return statusVerdict(r.Status)
}

// dvItem classifies one Dataverse error: by code first, then by the
// messages the Web API sends without a useful code, then by status.
func dvItem(code, msg string, status int) item {
	it := item{failed: true, code: code, msg: msg}
	c, ok := dvCode(code)
	switch {
	case ok:
	case strings.HasPrefix(msg, "A validation error occurred"):
		// Dataverse's own check of a value (length, range, format).
		c = fault.DataFormat
	case strings.Contains(msg, "No HTTP resource was found that matches the request URI"),
		strings.Contains(msg, "Resource not found for the segment"),
		strings.Contains(msg, "Could not find a property named"):
		// Wrong verb for a function, or a wrong (case-sensitive) entity set
		// or property name: the call is wrong although the status says 404.
		c = fault.Parameter
	default:
		c = ByStatus(status)
		if c == fault.OK {
			c = fault.Unknown
		}
	}
	it.class = c
	it.remediation = dvRemediation(dvNormalize(code), c)
	return it
}

// dvNormalize returns a Dataverse error code as lower-case 0x%08x hex when
// it is a hex or (negative) decimal HRESULT, and unchanged otherwise.
func dvNormalize(code string) string {
	if len(code) > 2 && (code[:2] == "0x" || code[:2] == "0X") {
		if n, err := strconv.ParseUint(code[2:], 16, 32); err == nil {
			return fmt.Sprintf("0x%08x", n)
		}
		return strings.ToLower(code)
	}
	if n, err := strconv.ParseInt(code, 10, 64); err == nil && n >= -1<<31 && n < 1<<32 {
		return fmt.Sprintf("0x%08x", uint32(n))
	}
	return code
}

// dvCode maps Dataverse error codes (research/crm-apis.md §3): HRESULTs in
// hex or decimal, and the symbolic names of the Web API error table.
func dvCode(code string) (fault.Class, bool) {
	switch dvNormalize(code) {
	case "0x80040333": // duplicate detection rule matched, sent as HTTP 500
		return fault.Conflict, true
	case "0x80040237": // Cannot insert duplicate key
		return fault.Conflict, true
	case "0x8006088a": // Resource not found for the segment: wrong entity set, sent as 404
		return fault.Parameter, true
	case "0x80048d19": // Error identified in Payload provided by the user
		return fault.DataFormat, true
	case "0x80040265": // plug-in InvalidPluginExecutionException
		return fault.DataFormat, true
	case "0x80072322", "0x80072321", "0x80072326": // service protection limits
		return fault.RateLimit, true
	case "0x80040217": // … Do Not Exist
		return fault.NotFound, true
	case "0x80040220", "0x80048306", "0x80040299": // missing privilege, CreateAccess, CrmCheckPrivilege
		return fault.Permission, true
	case "0x8005f101": // AccessTokenExpired
		return fault.Auth, true
	case "BadAuthTicket", "ExpiredAuthTicket", "InsufficientAuthTicket", "InvalidAuthTicket", "InvalidUserAuth",
		"MissingCrmAuthenticationToken", "MissingCrmAuthenticationTokenOrganizationName",
		"RequestIsNotAuthenticated", "TamperedAuthTicket", "UnauthorizedAccess", "UnManagedInvalidSecurityPrincipal":
		return fault.Auth, true
	case "AccessDenied", "AttributePermissionReadIsMissing", "AttributePermissionUpdateIsMissingDuringUpdate",
		"AttributePrivilegeCreateIsMissing", "CannotActOnBehalfOfAnotherUser", "CannotAddOrActonBehalfAnotherUserPrivilege",
		"CrmSecurityError", "InvalidAccessRights", "PrincipalPrivilegeDenied", "PrivilegeCreateIsDisabledForOrganization",
		"PrivilegeDenied", "unManagedinvalidprincipal", "unManagedinvalidprivilegeedepth":
		return fault.Permission, true
	case "ConcurrencyVersionMismatch", "DuplicateRecord":
		return fault.Conflict, true
	}
	return fault.Unknown, false
}

func dvRemediation(code string, c fault.Class) string {
	switch code {
	case "0x80040333":
		return "A Dataverse duplicate detection rule matched (HTTP 500 here is not a server failure): update the existing record, or send MSCRM.SuppressDuplicateDetection: true if the duplicate is intended."
	case "0x8006088a":
		return "The entity set name in the URL is wrong: Dataverse names are case-sensitive plurals (accounts, contacts); check $metadata for the EntitySetName."
	case "0x80072322", "0x80072321", "0x80072326":
		return "Dataverse service protection limits were hit (per user over 5 minutes: 6000 requests, 1200 s execution time, 52 concurrent): wait for Retry-After and reduce concurrency."
	case "0x80040265":
		return "A Dataverse plug-in or business rule rejected the data: the message is the plug-in's; fix the data or the plug-in."
	}
	if c == fault.Parameter && code == "" {
		return "Dataverse found no resource for this URL and method: check the HTTP verb (functions are GET, actions POST) and the names in the path."
	}
	return ""
}

// dvBatch reads a multipart $batch answer: every part has its own status
// line ("HTTP/1.1 400 Bad Request") and, when it failed, an OData error
// body. It reports false when b has no parts.
func dvBatch(b []byte) (Verdict, bool) {
	var items []item
	for rest := b; ; {
		i := bytes.Index(rest, []byte("HTTP/1."))
		if i < 0 {
			break
		}
		rest = rest[i:]
		sp := bytes.IndexByte(rest, ' ')
		if sp < 0 || len(rest) < sp+4 {
			break
		}
		status, err := strconv.Atoi(string(rest[sp+1 : sp+4]))
		rest = rest[sp+1:]
		if err != nil {
			continue
		}
		// The part's body runs to the next boundary line.
		part := rest
		if j := bytes.Index(part, []byte("\n--")); j >= 0 {
			part = part[:j]
		}
		if status < 400 {
			items = append(items, item{})
			continue
		}
		var code, msg string
		if k := bytes.IndexByte(part, '{'); k >= 0 {
			var d dvBody
			if decode(trimSpace(part[k:]), &d) {
				code, msg = scalar(d.Error.Code), d.Error.Message
			}
		}
		items = append(items, dvItem(code, msg, status))
	}
	return aggregate(items)
}
