package dialect

import (
	"net/http"
	"testing"

	"github.com/crmguard/crmguard/internal/fault"
)

func TestSuiteCRM_Classify(t *testing.T) {
	const (
		v8     = "/Api/V8/module/Accounts/123"
		legacy = "/service/v4_1/rest.php"
	)
	v8Err := func(detail string) string {
		return `{"errors":{"status":400,"title":null,"detail":"` + detail + `"}}`
	}
	runClassify(t, SuiteCRM{}, []classifyCase{
		{
			name: "V8 database failure is server", method: http.MethodGet, path: "/Api/V8/module/Contacts", status: 400,
			body: `{"errors":{"status":400,"title":null,"detail":"Database failure. Please refer to suitecrm.log for details."}}`,
			want: fault.Server,
		},
		{
			name: "V8 filter field not found is parameter", method: http.MethodGet, path: "/Api/V8/module/Accounts", status: 400,
			body: `{"errors":{"status":400,"title":null,"detail":"Filter field foo_c in Accounts module is not found"}}`,
			want: fault.Parameter,
		},
		{
			name: "V8 400 access denied", path: v8, method: http.MethodGet, status: 400, body: v8Err("[AccessDeniedException] "),
			want: fault.Permission, code: "AccessDeniedException",
		},
		{
			name: "V8 400 record not found", path: v8, method: http.MethodGet, status: 400, body: v8Err("Accounts module with id 123 is not found"),
			want: fault.NotFound,
		},
		{
			name: "V8 400 unknown module", path: "/Api/V8/module/Acounts", method: http.MethodGet, status: 400, body: v8Err("Module Acounts does not exist"),
			want: fault.Parameter,
		},
		{
			name: "V8 400 duplicate bean", path: "/Api/V8/module", status: 400, body: v8Err("Bean Accounts with id 123 is already exist"),
			want: fault.Conflict,
		},
		{
			name: "V8 400 upload rejected", path: "/Api/V8/module", status: 400, body: v8Err("File upload failed: File extension is not included or is not valid."),
			want: fault.DataFormat,
		},
		{
			name: "V8 400 JSON:API errors array", path: "/Api/V8/module", status: 400,
			body: `{"errors":[{"status":"400","title":"Bad Request","detail":"Module id is empty when trying to get Accounts"}]}`,
			want: fault.Parameter,
		},
		{
			name: "V8 400 relationship", path: "/Api/V8/module/Accounts/1/relationships/foo", method: http.MethodGet, status: 400,
			body: v8Err("Cannot load relationship foo for module Accounts"),
			want: fault.Parameter,
		},
		{
			name: "V8 400 unrecognised detail keeps the status", path: v8, status: 400, body: v8Err("Something else went wrong"),
			want: fault.Parameter,
		},
		{
			name: "V8 401 access token not verified", path: v8, method: http.MethodGet, status: 401,
			body: `{"error":"access_denied","message":"The resource owner or authorization server denied the request.","hint":"Access token could not be verified"}`,
			want: fault.Auth, code: "access_denied",
		},
		{
			name: "OAuth 401 invalid client", path: "/Api/access_token", status: 401,
			body: `{"error":"invalid_client","error_description":"Client authentication failed","message":"Client authentication failed"}`,
			want: fault.Auth, code: "invalid_client",
		},
		{
			name: "legacy 200 invalid session", path: legacy, status: 200,
			body: `{"name":"Invalid Session ID","number":11,"description":"The session ID is invalid"}`,
			want: fault.Auth, code: "11", remediation: "login",
		},
		{
			name: "legacy 200 access denied", path: legacy, status: 200,
			body: `{"name":"Access Denied","number":40,"description":"You do not have access"}`,
			want: fault.Permission, code: "40",
		},
		{
			name: "legacy 200 module does not exist", path: legacy, status: 200,
			body: `{"name":"Module Does Not Exist","number":20,"description":"This module is not available on this server"}`,
			want: fault.Parameter, code: "20",
		},
		{
			name: "legacy 200 invalid data format", path: legacy, status: 200,
			body: `{"name":"Invalid Data Format","number":1001,"description":"Invalid data format"}`,
			want: fault.DataFormat, code: "1001",
		},
		{
			name: "legacy 200 duplicate", path: legacy, status: 200,
			body: `{"name":"Duplicate Records","number":50,"description":"Duplicate records"}`,
			want: fault.Conflict, code: "50",
		},
		{
			name: "legacy number as string", path: legacy, status: 200,
			body: `{"name":"No Records","number":"51","description":"No records"}`,
			want: fault.NotFound, code: "51",
		},
		{
			name: "legacy 200 login success", path: legacy, status: 200,
			body: `{"id":"abc123","module_name":"Users","name_value_list":{"user_id":{"name":"user_id","value":"1"}}}`,
			want: fault.OK,
		},
		{
			name: "legacy cut short", path: legacy, status: 200, truncated: true,
			body: `{"name":"Invalid Login","number":10,"description":"Login attem`,
			want: fault.Auth, code: "10",
		},
		{
			name: "legacy plain variant 500 HTML", path: "/service/v4_1/rest.php", status: 500,
			body: `<html><body><h1>Internal Server Error</h1></body></html>`,
			want: fault.Server,
		},
		{
			name: "Sugar 503 maintenance", path: "/rest/v11/Accounts", status: 503,
			body: `{"error":"maintenance","error_message":"The system is down for maintenance"}`,
			want: fault.Unavailable, code: "maintenance",
		},
		{
			name: "Sugar 433 client outdated", path: "/rest/v11/Accounts", status: 433,
			want: fault.Version,
		},
	})
}

func TestSuiteCRM_Inspect(t *testing.T) {
	runInspect(t, SuiteCRM{}, []inspectCase{
		{"legacy 200", http.MethodPost, "/service/v4_1/rest.php", 200, nil, true},
		{"legacy under SuiteCRM 8", http.MethodPost, "/legacy/service/v4_1/rest.php", 200, nil, true},
		{"V8 GET 200", http.MethodGet, "/Api/V8/module/Accounts", 200, nil, false},
		{"V8 POST 201", http.MethodPost, "/Api/V8/module", 201, nil, false},
		{"V8 400", http.MethodGet, "/Api/V8/module/Accounts/1", 400, nil, true},
	})
}

func TestSuiteCRM_Version(t *testing.T) {
	runVersion(t, SuiteCRM{}, []versionCase{
		{"/Api/V8/module/Accounts", "V8"},
		{"/legacy/Api/V8/meta/modules", "V8"},
		{"/service/v4_1/rest.php", "v4_1"},
		{"/service/v4/rest.php", "v4"},
		{"/Api/access_token", ""},
	})
}
