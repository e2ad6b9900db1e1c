package dialect

import (
	"bytes"
	"encoding/json"
	"html"
	"net/http"
	"strconv"
	"strings"

	"github.com/crmguard/crmguard/internal/fault"
)

// Odoo reads Odoo's three external APIs. JSON-RPC (/jsonrpc and the web
// client's /web/dataset and /web/session routes) always answers HTTP 200,
// with the error's exception class in error.data.name. XML-RPC (/xmlrpc/2/
// and the legacy /xmlrpc/) answers HTTP 200 with a <fault> whose faultCode
// is 1 to 4, or a string in the legacy service. JSON-2 (/json/2/, Odoo 19)
// answers 4xx/5xx with {name, message, arguments, context, debug}.
type Odoo struct{}

var _ Dialect = Odoo{}

// Name returns "odoo".
func (Odoo) Name() string { return "odoo" }

// Inspect reads every error status, and 2xx answers of the RPC endpoints
// (/jsonrpc, /web/dataset/, /web/session/, /xmlrpc), which carry errors
// inside HTTP 200. Any controller route of type "json" speaks JSON-RPC too
// (custom /api/… or /auth/ routes), so 2xx JSON answers to POSTs are read
// as well. JSON-2 successes stay unread.
func (Odoo) Inspect(method, path string, status int, h http.Header) bool {
	if hasErrorBody(method, status) {
		return true
	}
	if !is2xxWithBody(method, status) {
		return false
	}
	return odooRPCPath(path) ||
		method == http.MethodPost && !strings.HasPrefix(path, "/json/2/") && isJSONType(h)
}

// isJSONType reports whether the response says it is JSON.
func isJSONType(h http.Header) bool {
	ct := h.Get("Content-Type")
	return strings.HasPrefix(ct, "application/json") || strings.HasPrefix(ct, "application/jsonrequest")
}

func odooRPCPath(path string) bool {
	return strings.HasPrefix(path, "/jsonrpc") || strings.HasPrefix(path, "/xmlrpc") ||
		strings.HasPrefix(path, "/web/dataset/") || strings.HasPrefix(path, "/web/session/")
}

// Version names the API the path uses, since Odoo paths carry no version:
// "json-2" for /json/2/…, "xmlrpc-2" for /xmlrpc/2/…, "xmlrpc" for the
// legacy /xmlrpc/…, and "jsonrpc" for /jsonrpc and the web client's
// JSON-RPC routes. Other paths go to PathVersion.
func (Odoo) Version(path string) string {
	switch {
	case strings.HasPrefix(path, "/json/2/") || path == "/json/2":
		return "json-2"
	case strings.HasPrefix(path, "/xmlrpc/2/") || path == "/xmlrpc/2":
		return "xmlrpc-2"
	case strings.HasPrefix(path, "/xmlrpc/") || path == "/xmlrpc":
		return "xmlrpc"
	case strings.HasPrefix(path, "/jsonrpc"), strings.HasPrefix(path, "/web/dataset/"), strings.HasPrefix(path, "/web/session/"):
		return "jsonrpc"
	}
	return PathVersion(path)
}

type odooBody struct {
	// JSON-RPC.
	Error json.RawMessage `json:"error"`
	// JSON-2.
	Name    string `json:"name"`
	Message string `json:"message"`
}

type odooRPCError struct {
	Code    json.RawMessage `json:"code"`
	Message string          `json:"message"`
	Data    struct {
		Name    string `json:"name"`
		Message string `json:"message"`
	} `json:"data"`
}

// Classify reads the exception class of an Odoo error (JSON-RPC data.name,
// JSON-2 name, XML-RPC faultCode and faultString).
func (Odoo) Classify(r *Response) Verdict {
	if r == nil {
		return Verdict{Class: fault.Unknown}
	}
	b := trimSpace(r.Body)
	if r.Status >= 200 && r.Status < 300 && strings.HasPrefix(r.Path, "/json/2/") {
		// A JSON-2 success is the method's raw return value, which may
		// well have "error" or "name" keys of its own.
		return Verdict{Class: fault.OK}
	}
	if len(b) > 0 && b[0] == '<' {
		if v, ok := odooXMLRPC(b, r.Status); ok {
			return v
		}
	}
	read := func(o *odooBody) (Verdict, bool) { return odooJSON(o, r.Status) }
	sniff := func(b []byte) (Verdict, bool) { return odooSniff(b, r.Status) }
	if v, ok := readObject(b, read, sniff); ok {
		return v
	}
	if r.Status >= 400 && odooArgumentError(b) {
		return Verdict{Class: fault.Parameter, Message: string(head(b, 500))}
	}
	return statusVerdict(r.Status)
}

// odooArgumentError reports whether a plain-text error is Python's
// complaint about a method's arguments.
func odooArgumentError(b []byte) bool {
	s := string(head(b, 4096))
	return strings.Contains(s, "unexpected keyword argument") || strings.Contains(s, "required positional argument") ||
		strings.Contains(s, "positional arguments but")
}

func odooJSON(o *odooBody, status int) (Verdict, bool) {
	if e := trimSpace(o.Error); len(e) > 0 && e[0] == '{' {
		var re odooRPCError
		decode(e, &re)
		return odooRPC(re.Data.Name, scalar(re.Code), re.Message, re.Data.Message, status), true
	} else if msg := scalar(o.Error); msg != "" && msg != "false" {
		// Not the JSON-RPC error object, but an error all the same.
		c := ByStatus(status)
		if c == fault.OK {
			c = fault.Unknown
		}
		return Verdict{Class: c, Message: msg}, true
	}
	if o.Name != "" && status >= 300 {
		// JSON-2 error object.
		v := Verdict{Code: o.Name, Message: o.Message}
		c, transient, ok := odooException(o.Name, o.Message)
		if !ok {
			c = ByStatus(status)
		}
		v.Class, v.Transient = c, transient
		v.Remediation = odooRemediation(o.Name)
		return v, true
	}
	return Verdict{}, false
}

// odooRPC classifies a JSON-RPC error: by the exception class name, else by
// the JSON-RPC code (100 session expired, 404 not found, anything else an
// "Odoo Server Error").
func odooRPC(name, code, msg, dataMsg string, status int) Verdict {
	v := Verdict{Code: name, Message: dataMsg}
	if v.Code == "" {
		v.Code = code
	}
	if v.Message == "" || v.Message == "..." {
		v.Message = msg
	}
	c, transient, ok := odooException(name, dataMsg)
	if !ok {
		switch code {
		case "100":
			c = fault.Auth
		case "404":
			c = fault.NotFound
		default:
			c = fault.Server
			if status >= 300 {
				c = ByStatus(status)
			}
		}
	}
	v.Class, v.Transient = c, transient
	v.Remediation = odooRemediation(name)
	if v.Remediation == "" && code == "100" {
		v.Remediation = odooRemediation("odoo.http.SessionExpiredException")
	}
	return v
}

// odooException maps an Odoo exception class name, matched on its last
// dotted part so that odoo.exceptions, openerp.exceptions and
// psycopg2.errors spellings all fit (research/crm-apis.md §6).
func odooException(name, msg string) (c fault.Class, transient, ok bool) {
	if name == "" {
		return fault.Unknown, false, false
	}
	short := name
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		short = name[i+1:]
	}
	switch short {
	case "AccessDenied", "SessionExpiredException", "Unauthorized", "AuthenticationError":
		return fault.Auth, false, true
	case "AccessError", "Forbidden":
		return fault.Permission, false, true
	case "MissingError", "NotFound":
		return fault.NotFound, false, true
	case "ValidationError", "UserError", "RedirectWarning", "Warning", "except_orm", "UnprocessableEntity":
		return fault.DataFormat, false, true
	case "LockError":
		return fault.Conflict, true, true
	case "SerializationFailure", "TransactionRollbackError", "LockNotAvailable", "DeadlockDetected":
		// Odoo retries these itself before giving up; another try later
		// may pass.
		return fault.Conflict, true, true
	case "UniqueViolation", "IntegrityError", "Conflict":
		return fault.Conflict, false, true
	case "NotNullViolation", "CheckViolation", "ForeignKeyViolation":
		return fault.DataFormat, false, true
	case "BadRequest", "MethodNotAllowed":
		return fault.Parameter, false, true
	case "TypeError":
		// Python raises TypeError when the call's arguments do not fit
		// the method ("unexpected keyword argument", "missing 1 required
		// positional argument"); any other TypeError is a bug in the server.
		if odooArgumentError([]byte(msg)) {
			return fault.Parameter, false, true
		}
		return fault.Server, false, true
	case "TooManyRequests":
		return fault.RateLimit, false, true
	case "ServiceUnavailable":
		return fault.Unavailable, false, true
	case "InternalServerError", "CacheMiss":
		return fault.Server, false, true
	case "ValueError":
		// ValueError("Invalid field %r on model %r") is a wrong field name in
		// the call; other ValueErrors are the server's own.
		if strings.HasPrefix(msg, "Invalid field") {
			return fault.Parameter, false, true
		}
	}
	if strings.HasPrefix(name, "psycopg2.") {
		return fault.Server, false, true
	}
	return fault.Unknown, false, false
}

func odooRemediation(name string) string {
	switch {
	case strings.HasSuffix(name, "SessionExpiredException"):
		return "The Odoo session expired: authenticate again (JSON-RPC /web/session/authenticate) and retry with the new session."
	case strings.HasSuffix(name, ".AccessDenied"):
		return "Odoo rejected the login or API key: check the user, password or API key (API keys last at most three months) and the database name."
	case strings.HasSuffix(name, ".AccessError"):
		return "The Odoo user lacks access rights or record rules for this model or record: grant the group or adjust the record rule."
	case strings.HasSuffix(name, ".LockError"):
		return "Another transaction held a lock on the Odoo record: retry after a short random delay."
	}
	return ""
}

// odooSniff reads a JSON body that does not decode.
func odooSniff(b []byte, status int) (Verdict, bool) {
	name := sniffValue(b, "name")
	if bytes.Contains(b, []byte(`"error"`)) {
		code := sniffValue(b, "code")
		if name == "" && code == "" {
			return Verdict{}, false
		}
		return odooRPC(name, code, sniffValue(b, "message"), "", status), true
	}
	if name != "" && status >= 300 {
		c, transient, ok := odooException(name, "")
		if !ok {
			c = ByStatus(status)
		}
		return Verdict{Class: c, Code: name, Message: sniffValue(b, "message"), Transient: transient}, true
	}
	return Verdict{}, false
}

// odooXMLRPC reads an XML-RPC <fault>. faultCode 1 is any other exception
// (faultString is the traceback, which names the class), 2 a UserError or
// its subclasses, 3 AccessDenied, 4 AccessError. The legacy /xmlrpc/
// service sends string faultCodes such as "warning -- MissingError\n\n…".
func odooXMLRPC(b []byte, status int) (Verdict, bool) {
	i := bytes.Index(b, []byte("<fault>"))
	if i < 0 {
		if status < 300 && bytes.Contains(head(b, 512), []byte("<methodResponse")) {
			return Verdict{Class: fault.OK}, true
		}
		return Verdict{}, false
	}
	f := b[i:]
	typ, code := xmlMember(f, "faultCode")
	_, msg := xmlMember(f, "faultString")
	v := Verdict{Code: code, Message: msg}
	if typ == "int" || typ == "i4" {
		n, _ := strconv.Atoi(code)
		switch n {
		case 2:
			v.Class = fault.DataFormat
			if containsFold(msg, "does not exist or has been deleted") {
				// MissingError subclasses UserError, so it comes as 2.
				v.Class = fault.NotFound
			}
		case 3:
			v.Class = fault.Auth
			v.Remediation = odooRemediation("odoo.exceptions.AccessDenied")
		case 4:
			v.Class = fault.Permission
			v.Remediation = odooRemediation("odoo.exceptions.AccessError")
		default:
			v.Class = odooTraceback(msg)
		}
		return v, true
	}
	// Legacy string faultCode.
	first, _, _ := strings.Cut(code, "\n")
	v.Code = strings.TrimSpace(first)
	switch {
	case strings.Contains(first, "MissingError"):
		v.Class = fault.NotFound
	case strings.Contains(first, "AccessError"):
		v.Class = fault.Permission
	case strings.Contains(first, "AccessDenied"):
		v.Class = fault.Auth
	case strings.HasPrefix(first, "warning --"):
		v.Class = fault.DataFormat
	default:
		v.Class = odooTraceback(code + "\n" + msg)
	}
	return v, true
}

// odooTraceback classifies faultCode 1 by the exception class its
// traceback names on its last line ("odoo.exceptions.ValidationError: …",
// "psycopg2.errors.SerializationFailure: …"); a bare traceback is server.
func odooTraceback(tb string) fault.Class {
	tb = strings.TrimSpace(tb)
	last := tb
	if i := strings.LastIndexByte(tb, '\n'); i >= 0 {
		last = tb[i+1:]
	}
	name, msg, _ := strings.Cut(last, ":")
	if c, _, ok := odooException(strings.TrimSpace(name), strings.TrimSpace(msg)); ok {
		return c
	}
	return fault.Server
}

// xmlMember returns the type tag and text of the value of the XML-RPC
// struct member called name in b: ("int", "2") for
// <member><name>faultCode</name><value><int>2</int></value></member>.
// A value without a type tag is a string.
func xmlMember(b []byte, name string) (typ, text string) {
	i := bytes.Index(b, []byte("<name>"+name+"</name>"))
	if i < 0 {
		return "", ""
	}
	b = b[i:]
	j := bytes.Index(b, []byte("<value>"))
	if j < 0 {
		return "", ""
	}
	b = b[j+len("<value>"):]
	end := bytes.Index(b, []byte("</value>"))
	if end < 0 {
		end = len(b)
	}
	b = bytes.TrimSpace(b[:end])
	if len(b) > 2 && b[0] == '<' {
		k := bytes.IndexByte(b, '>')
		if k > 1 {
			typ = string(b[1:k])
			b = b[k+1:]
			if c := bytes.Index(b, []byte("</"+typ+">")); c >= 0 {
				b = b[:c]
			}
		}
	} else {
		typ = "string"
	}
	return typ, html.UnescapeString(string(b))
}
