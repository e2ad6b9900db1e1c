package dialect

import (
	"net/http"
	"testing"

	"github.com/crmguard/crmguard/internal/fault"
)

func TestGeneric_Classify(t *testing.T) {
	const p = "/api/v1/things"
	runClassify(t, Generic{}, []classifyCase{
		{name: "404 by status", path: p, status: 404, body: `{"message":"Not Found"}`, want: fault.NotFound},
		{
			name: "400 OAuth error is auth", path: "/oauth/token", status: 400,
			body: `{"error":"invalid_grant","error_description":"refresh token expired"}`,
			want: fault.Auth, code: "invalid_grant",
		},
		{
			name: "400 errors array with validation code", path: p, status: 400,
			body: `{"errors":[{"code":"VALIDATION_FAILED","message":"email must be a valid address"}]}`,
			want: fault.DataFormat, code: "VALIDATION_FAILED",
		},
		{
			name: "403 saying rate limit", path: p, status: 403,
			body: `{"message":"API rate limit exceeded for this account"}`,
			want: fault.RateLimit,
		},
		{
			name: "500 nested error naming a duplicate", path: p, status: 500,
			body: `{"error":{"code":"DUPLICATE_RECORD","message":"record already exists"}}`,
			want: fault.Conflict, code: "DUPLICATE_RECORD",
		},
		{
			name: "401 stays auth whatever the words", path: p, status: 401,
			body: `{"code":"NOT_FOUND","message":"user not found"}`,
			want: fault.Auth, code: "NOT_FOUND",
		},
		{
			name: "problem details", path: p, status: 422,
			body: `{"type":"about:blank","title":"Unprocessable Entity","detail":"birthdate is not a date","status":422}`,
			want: fault.DataFormat,
		},
		{
			name: "numeric errorCode", path: p, status: 400,
			body: `{"errorCode":1001,"errorMessage":"bad request"}`,
			want: fault.Parameter, code: "1001",
		},
		{
			name: "top-level array", path: p, status: 400,
			body: `[{"errorCode":"MALFORMED_QUERY","message":"x"}]`,
			want: fault.Parameter, code: "MALFORMED_QUERY",
		},
		{
			name: "503 maintenance page", path: p, status: 503,
			body: `<!doctype html><html><body>We are down for maintenance</body></html>`,
			want: fault.Unavailable,
		},
		{
			name: "500 HTML without maintenance", path: p, status: 500,
			body: `<html><body>Internal Server Error</body></html>`,
			want: fault.Server,
		},
		{
			name: "200 is ok whatever the body", path: p, status: 200, body: `{"error":"looks bad"}`,
			want: fault.OK,
		},
		{
			name: "cut short", path: p, status: 400, truncated: true,
			body: `{"error":{"code":"INVALID_TOKEN","message":"tok`,
			want: fault.Auth, code: "INVALID_TOKEN",
		},
	})
}

func TestGeneric_Inspect(t *testing.T) {
	runInspect(t, Generic{}, []inspectCase{
		{"GET 200", http.MethodGet, "/api/things", 200, nil, false},
		{"POST 200", http.MethodPost, "/api/things", 200, nil, false},
		{"400", http.MethodPost, "/api/things", 400, nil, true},
		{"HEAD 500", http.MethodHead, "/api/things", 500, nil, false},
	})
}

func TestGeneric_Version(t *testing.T) {
	runVersion(t, Generic{}, []versionCase{
		{"/api/v1/things", "v1"},
		{"/rest/data/v2.0/xobjects/account", "v2.0"},
		{"/things", ""},
	})
}
