package dialect

import (
	"net/http"
	"testing"

	"github.com/crmguard/crmguard/internal/fault"
)

func TestZoho_Classify(t *testing.T) {
	const leads = "/crm/v8/Leads"
	runClassify(t, Zoho{}, []classifyCase{
		{
			name: "token endpoint OAuth error inside 200", path: "/oauth/v2/token", status: 200,
			body: `{"error":"invalid_code"}`, want: fault.Auth, code: "invalid_code",
		},
		{
			name: "per-record entries under the resource name", method: http.MethodDelete, path: "/crm/v7/Users/1/territories", status: 207,
			body: `{"territories":[{"code":"SUCCESS","details":{},"message":"ok","status":"success"},{"code":"INVALID_DATA","details":{},"message":"This user cannot be removed","status":"error"}]}`,
			want: fault.DataFormat, code: "INVALID_DATA", partial: true,
		},
		{
			name: "authorization failed is permission", path: "/crm/v8/Leads", status: 400,
			body: `{"data":[{"code":"AUTHORIZATION_FAILED","details":{},"message":"User does not have sufficient privilege to perform this action","status":"error"}]}`,
			want: fault.Permission, code: "AUTHORIZATION_FAILED",
		},
		{
			name: "invalid record id is not found", method: http.MethodDelete, path: "/crm/v8/Leads/1", status: 400,
			body: `{"code":"INVALID_DATA","message":"invalid record id","details":{},"status":"error"}`,
			want: fault.NotFound, code: "INVALID_DATA",
		},
		{
			name: "invalid field value stays data_format", path: "/crm/v8/Leads", status: 400,
			body: `{"code":"INVALID_DATA","message":"invalid data","details":{"api_name":"Email"},"status":"error"}`,
			want: fault.DataFormat, code: "INVALID_DATA",
		},
		{
			name: "401 invalid token", path: leads, method: http.MethodGet, status: 401,
			body: `{"code":"INVALID_TOKEN","details":{},"message":"invalid oauth token","status":"error"}`,
			want: fault.Auth, code: "INVALID_TOKEN", remediation: "refresh",
		},
		{
			name: "400 invalid token is still auth", path: "/phonebridge/v3/callnotify", status: 400,
			body: `{"code":"INVALID_TOKEN","details":{},"message":"invalid oauth token","status":"error"}`,
			want: fault.Auth, code: "INVALID_TOKEN",
		},
		{
			name: "400 wrong data centre", path: leads, status: 400,
			body: `{"code":"INVALID_HOST","details":{},"message":"invalid host","status":"error"}`,
			want: fault.Auth, code: "INVALID_HOST", remediation: "data centre",
		},
		{
			name: "401 scope mismatch is permission", path: leads, status: 401,
			body: `{"code":"OAUTH_SCOPE_MISMATCH","details":{},"message":"invalid oauth scope to access this URL","status":"error"}`,
			want: fault.Permission, code: "OAUTH_SCOPE_MISMATCH",
		},
		{
			name: "403 no permission", path: leads, status: 403,
			body: `{"code":"NO_PERMISSION","details":{},"message":"permission denied","status":"error"}`,
			want: fault.Permission, code: "NO_PERMISSION",
		},
		{
			name: "429 concurrency", path: leads, status: 429,
			body: `{"code":"TOO_MANY_REQUESTS","details":{},"message":"too many requests","status":"error"}`,
			want: fault.RateLimit, code: "TOO_MANY_REQUESTS", transient: true, remediation: "parallel",
		},
		{
			name: "400 invalid module", path: "/crm/v8/Leadz", status: 400,
			body: `{"code":"INVALID_MODULE","details":{},"message":"the module name given seems to be invalid","status":"error"}`,
			want: fault.Parameter, code: "INVALID_MODULE",
		},
		{
			name: "404 invalid URL pattern", path: "/crm/v8/nothing/here", status: 404,
			body: `{"code":"INVALID_URL_PATTERN","details":{},"message":"Please check if the URL trying to access is a correct one","status":"error"}`,
			want: fault.Parameter, code: "INVALID_URL_PATTERN",
		},
		{
			name: "500 internal error", path: leads, status: 500,
			body: `{"code":"INTERNAL_ERROR","details":{},"message":"Internal server error occurred.","status":"error"}`,
			want: fault.Server, code: "INTERNAL_ERROR",
		},
		{
			name: "400 single record duplicate in data[]", path: leads, status: 400,
			body: `{"data":[{"code":"DUPLICATE_DATA","details":{"api_name":"Email","id":"1"},"message":"duplicate data","status":"error"}]}`,
			want: fault.Conflict, code: "DUPLICATE_DATA",
		},
		{
			name: "207 one success one missing field", path: leads, status: 207,
			body: `{"data":[{"code":"SUCCESS","details":{"id":"1"},"message":"record added","status":"success"},{"code":"MANDATORY_NOT_FOUND","details":{"api_name":"Last_Name"},"message":"required field not found","status":"error"}]}`,
			want: fault.DataFormat, code: "MANDATORY_NOT_FOUND", partial: true,
		},
		{
			name: "200 per-record error inside success", path: leads, method: http.MethodPut, status: 200,
			body: `{"data":[{"code":"SUCCESS","details":{"id":"1"},"message":"record updated","status":"success"},{"code":"SUCCESS","details":{"id":"2"},"message":"record updated","status":"success"},{"code":"INVALID_DATA","details":{"api_name":"Phone"},"message":"invalid data","status":"error"}]}`,
			want: fault.DataFormat, code: "INVALID_DATA", partial: true,
		},
		{
			name: "202 lock", path: leads, status: 202,
			body: `{"data":[{"code":"RECORD_LOCKED","details":{},"message":"The record under merge is locked","status":"error"}]}`,
			want: fault.Conflict, code: "RECORD_LOCKED", transient: true,
		},
		{
			name: "201 unknown per-record code", path: leads, status: 201,
			body: `{"data":[{"code":"SUCCESS","details":{},"message":"record added","status":"success"},{"code":"SOMETHING_NEW","details":{},"message":"?","status":"error"}]}`,
			want: fault.Unknown, code: "SOMETHING_NEW", partial: true,
		},
		{
			name: "201 all added", path: leads, status: 201,
			body: `{"data":[{"code":"SUCCESS","details":{"id":"1"},"message":"record added","status":"success"}]}`,
			want: fault.OK,
		},
		{
			name: "200 records are not outcomes", path: leads, method: http.MethodGet, status: 200,
			body: `{"data":[{"id":"1","Status":"Not Started","Code":"X"}],"info":{"more_records":false}}`,
			want: fault.OK,
		},
		{
			name: "204 no content", path: leads, method: http.MethodGet, status: 204,
			want: fault.OK,
		},
		{
			name: "207 cut short", path: leads, status: 207, truncated: true,
			body: `{"data":[{"code":"SUCCESS","details":{"id":"1"},"message":"record added","status":"success"},{"code":"DUPLICATE_DATA","details":{"api_name":"Em`,
			want: fault.Conflict, code: "DUPLICATE_DATA", partial: true,
		},
	})
}

func TestZoho_Inspect(t *testing.T) {
	runInspect(t, Zoho{}, []inspectCase{
		{"GET 200", http.MethodGet, "/crm/v8/Leads", 200, nil, false},
		{"POST 201", http.MethodPost, "/crm/v8/Leads", 201, nil, true},
		{"PUT 200", http.MethodPut, "/crm/v8/Leads", 200, nil, true},
		{"DELETE 200", http.MethodDelete, "/crm/v8/Leads?ids=1,2", 200, nil, true},
		{"DELETE 204", http.MethodDelete, "/crm/v8/Leads/1", 204, nil, false},
		{"207", http.MethodPost, "/crm/v8/Leads/upsert", 207, nil, true},
		{"GET 401", http.MethodGet, "/crm/v8/Leads", 401, nil, true},
	})
}

func TestZoho_Version(t *testing.T) {
	runVersion(t, Zoho{}, []versionCase{
		{"/crm/v2.1/Leads", "v2.1"},
		{"/crm/v8/Leads/search", "v8"},
		{"/crm/bulk/v8/read", "v8"},
		{"/oauth/v2/token", "v2"},
	})
}
