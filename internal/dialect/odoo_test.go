package dialect

import (
	"net/http"
	"testing"

	"github.com/crmguard/crmguard/internal/fault"
)

func TestOdoo_Classify(t *testing.T) {
	const (
		jsonrpc = "/jsonrpc"
		callKW  = "/web/dataset/call_kw/res.partner/write"
		json2   = "/json/2/res.partner/write"
		xmlrpc  = "/xmlrpc/2/object"
	)
	rpcErr := func(code, name, msg string) string {
		return `{"jsonrpc":"2.0","id":1,"error":{"code":` + code + `,"message":"Odoo Server Error","data":{"name":"` + name + `","message":"` + msg + `","arguments":["` + msg + `"],"context":{},"debug":"Traceback (most recent call last): ..."}}}`
	}
	xmlFault := func(code, str string) string {
		return `<?xml version='1.0'?>
<methodResponse>
<fault>
<value><struct>
<member>
<name>faultCode</name>
<value>` + code + `</value>
</member>
<member>
<name>faultString</name>
<value><string>` + str + `</string></value>
</member>
</struct></value>
</fault>
</methodResponse>`
	}
	runClassify(t, Odoo{}, []classifyCase{
		{
			name: "TypeError about arguments is parameter", path: "/jsonrpc", status: 200,
			body: `{"jsonrpc":"2.0","id":1,"error":{"code":200,"message":"Odoo Server Error","data":{"name":"builtins.TypeError","message":"read() got an unexpected keyword argument 'badparameter'"}}}`,
			want: fault.Parameter, code: "builtins.TypeError",
		},
		{
			name: "other TypeError is server", path: "/jsonrpc", status: 200,
			body: `{"jsonrpc":"2.0","id":1,"error":{"code":200,"message":"Odoo Server Error","data":{"name":"builtins.TypeError","message":"unsupported operand type(s) for +: 'int' and 'str'"}}}`,
			want: fault.Server, code: "builtins.TypeError",
		},
		{
			name: "custom json route AccessDenied", path: "/auth/", status: 200,
			body: `{"jsonrpc":"2.0","id":null,"error":{"code":200,"message":"Odoo Server Error","data":{"name":"odoo.exceptions.AccessDenied","message":"Access denied"}}}`,
			want: fault.Auth, code: "odoo.exceptions.AccessDenied",
		},
		{
			name: "JSON-2 plain text argument error", path: "/json/2/res.partner/read", status: 422,
			body: "got an unexpected keyword argument 'badparameter'",
			want: fault.Parameter,
		},
		{
			name: "JSON-RPC session expired", path: callKW, status: 200,
			body: `{"jsonrpc":"2.0","id":null,"error":{"code":100,"message":"Odoo Session Expired","data":{"name":"odoo.http.SessionExpiredException","message":"Session expired","arguments":[],"context":{},"debug":"..."}}}`,
			want: fault.Auth, code: "odoo.http.SessionExpiredException", remediation: "authenticate again",
		},
		{
			name: "JSON-RPC access error", path: jsonrpc, status: 200, body: rpcErr("0", "odoo.exceptions.AccessError", "You are not allowed to modify Contact"),
			want: fault.Permission, code: "odoo.exceptions.AccessError",
		},
		{
			name: "JSON-RPC missing record", path: jsonrpc, status: 200, body: rpcErr("200", "odoo.exceptions.MissingError", "Record does not exist or has been deleted."),
			want: fault.NotFound, code: "odoo.exceptions.MissingError",
		},
		{
			name: "JSON-RPC validation error", path: jsonrpc, status: 200, body: rpcErr("200", "odoo.exceptions.ValidationError", "The email is not valid"),
			want: fault.DataFormat, code: "odoo.exceptions.ValidationError",
		},
		{
			name: "JSON-RPC user error", path: callKW, status: 200, body: rpcErr("200", "odoo.exceptions.UserError", "You cannot do that"),
			want: fault.DataFormat, code: "odoo.exceptions.UserError",
		},
		{
			name: "JSON-RPC serialization failure is a transient conflict", path: jsonrpc, status: 200,
			body: rpcErr("200", "psycopg2.errors.SerializationFailure", "could not serialize access due to concurrent update"),
			want: fault.Conflict, code: "psycopg2.errors.SerializationFailure", transient: true,
		},
		{
			name: "JSON-RPC invalid field is parameter", path: jsonrpc, status: 200,
			body: rpcErr("200", "builtins.ValueError", "Invalid field 'foo' on model 'res.partner'"),
			want: fault.Parameter, code: "builtins.ValueError",
		},
		{
			name: "JSON-RPC other exception is server", path: jsonrpc, status: 200,
			body: rpcErr("200", "builtins.KeyError", "'x'"),
			want: fault.Server, code: "builtins.KeyError",
		},
		{
			name: "JSON-RPC 404 code without data", path: jsonrpc, status: 200,
			body: `{"jsonrpc":"2.0","id":1,"error":{"code":404,"message":"404: Not Found"}}`,
			want: fault.NotFound, code: "404",
		},
		{
			name: "JSON-RPC code 100 without data", path: jsonrpc, status: 200,
			body: `{"jsonrpc":"2.0","id":1,"error":{"code":100,"message":"Odoo Session Invalid"}}`,
			want: fault.Auth, code: "100", remediation: "authenticate again",
		},
		{
			name: "JSON-RPC success", path: jsonrpc, status: 200,
			body: `{"jsonrpc":"2.0","id":1,"result":[{"id":1,"name":"error"}]}`,
			want: fault.OK,
		},
		{
			name: "JSON-RPC null error is success", path: jsonrpc, status: 200,
			body: `{"jsonrpc":"2.0","id":1,"result":true,"error":null}`,
			want: fault.OK,
		},
		{
			name: "JSON-2 401 invalid apikey", path: json2, status: 401,
			body: `{"name":"werkzeug.exceptions.Unauthorized","message":"Invalid apikey","arguments":["Invalid apikey",401],"context":{},"debug":"Traceback ..."}`,
			want: fault.Auth, code: "werkzeug.exceptions.Unauthorized",
		},
		{
			name: "JSON-2 403 AccessDenied is auth", path: json2, status: 403,
			body: `{"name":"odoo.exceptions.AccessDenied","message":"Access Denied","arguments":[],"context":{},"debug":""}`,
			want: fault.Auth, code: "odoo.exceptions.AccessDenied",
		},
		{
			name: "JSON-2 403 AccessError is permission", path: json2, status: 403,
			body: `{"name":"odoo.exceptions.AccessError","message":"not allowed","arguments":[],"context":{},"debug":""}`,
			want: fault.Permission, code: "odoo.exceptions.AccessError",
		},
		{
			name: "JSON-2 422 user error", path: json2, status: 422,
			body: `{"name":"odoo.exceptions.UserError","message":"bad value","arguments":[],"context":{},"debug":""}`,
			want: fault.DataFormat, code: "odoo.exceptions.UserError",
		},
		{
			name: "JSON-2 409 lock", path: json2, status: 409,
			body: `{"name":"odoo.exceptions.LockError","message":"record locked","arguments":[],"context":{},"debug":""}`,
			want: fault.Conflict, code: "odoo.exceptions.LockError", transient: true,
		},
		{
			name: "JSON-2 400 bad JSON", path: json2, status: 400,
			body: `{"name":"werkzeug.exceptions.BadRequest","message":"could not parse the body as json","arguments":[],"context":{},"debug":""}`,
			want: fault.Parameter, code: "werkzeug.exceptions.BadRequest",
		},
		{
			name: "JSON-2 success with error-like keys", path: "/json/2/res.partner/read", status: 200,
			body: `{"name":"x","error":"a field value"}`,
			want: fault.OK,
		},
		{
			name: "XML-RPC access denied", path: "/xmlrpc/2/common", status: 200, body: xmlFault("<int>3</int>", "Access Denied"),
			want: fault.Auth, code: "3",
		},
		{
			name: "XML-RPC access error", path: xmlrpc, status: 200, body: xmlFault("<int>4</int>", "You are not allowed to access &apos;Contact&apos;"),
			want: fault.Permission, code: "4",
		},
		{
			name: "XML-RPC warning", path: xmlrpc, status: 200, body: xmlFault("<int>2</int>", "The email is not valid"),
			want: fault.DataFormat, code: "2",
		},
		{
			name: "XML-RPC missing record comes as warning", path: xmlrpc, status: 200,
			body: xmlFault("<int>2</int>", "Record does not exist or has been deleted.\n(Record: res.partner(99,), User: 2)"),
			want: fault.NotFound, code: "2",
		},
		{
			name: "XML-RPC application error naming a validation error", path: xmlrpc, status: 200,
			body: xmlFault("<int>1</int>", "Traceback (most recent call last):\n  File x\nodoo.exceptions.ValidationError: bad value\n"),
			want: fault.DataFormat, code: "1",
		},
		{
			name: "XML-RPC application error", path: xmlrpc, status: 200,
			body: xmlFault("<i4>1</i4>", "Traceback (most recent call last):\n  File x\nKeyError: &apos;x&apos;\n"),
			want: fault.Server, code: "1",
		},
		{
			name: "legacy XML-RPC missing error", path: "/xmlrpc/object", status: 200,
			body: xmlFault("<string>warning -- MissingError\n\nRecord does not exist</string>", "Record does not exist"),
			want: fault.NotFound, code: "warning -- MissingError",
		},
		{
			name: "legacy XML-RPC AccessDenied", path: "/xmlrpc/common", status: 200,
			body: xmlFault("AccessDenied", "Access denied"),
			want: fault.Auth, code: "AccessDenied",
		},
		{
			name: "XML-RPC success", path: xmlrpc, status: 200,
			body: `<?xml version='1.0'?><methodResponse><params><param><value><int>7</int></value></param></params></methodResponse>`,
			want: fault.OK,
		},
		{
			name: "502 maintenance page", path: jsonrpc, status: 502,
			body: `<html><head><title>Odoo is under maintenance</title></head><body>maintenance</body></html>`,
			want: fault.Unavailable,
		},
		{
			name: "JSON-RPC cut short", path: jsonrpc, status: 200, truncated: true,
			body: `{"jsonrpc":"2.0","id":1,"error":{"code":200,"message":"Odoo Server Error","data":{"name":"odoo.exceptions.AccessError","message":"You are not all`,
			want: fault.Permission, code: "odoo.exceptions.AccessError",
		},
	})
}

func TestOdoo_Inspect(t *testing.T) {
	runInspect(t, Odoo{}, []inspectCase{
		{"JSON-RPC 200", http.MethodPost, "/jsonrpc", 200, nil, true},
		{"web client call_kw 200", http.MethodPost, "/web/dataset/call_kw/res.partner/read", 200, nil, true},
		{"session authenticate 200", http.MethodPost, "/web/session/authenticate", 200, nil, true},
		{"XML-RPC 200", http.MethodPost, "/xmlrpc/2/object", 200, nil, true},
		{"JSON-2 200", http.MethodPost, "/json/2/res.partner/search_read", 200, nil, false},
		{"JSON-2 422", http.MethodPost, "/json/2/res.partner/write", 422, nil, true},
		{"file download", http.MethodGet, "/web/content/42", 200, nil, false},
		{"custom json route 200", http.MethodPost, "/api/partners", 200, http.Header{"Content-Type": {"application/json"}}, true},
		{"custom html route 200", http.MethodPost, "/web/login", 200, http.Header{"Content-Type": {"text/html"}}, false},
	})
}

func TestOdoo_Version(t *testing.T) {
	runVersion(t, Odoo{}, []versionCase{
		{"/jsonrpc", "jsonrpc"},
		{"/web/dataset/call_kw/res.partner/read", "jsonrpc"},
		{"/json/2/res.partner/search_read", "json-2"},
		{"/xmlrpc/2/object", "xmlrpc-2"},
		{"/xmlrpc/object", "xmlrpc"},
		{"/api/v1/custom", "v1"},
		{"/web/content/42", ""},
	})
}
