package dialect

import (
	"net/http"
	"testing"

	"github.com/crmguard/crmguard/internal/fault"
)

func TestHubSpot_Classify(t *testing.T) {
	const (
		contacts = "/crm/v3/objects/contacts"
		batch    = "/crm/v3/objects/contacts/batch/create"
	)
	runClassify(t, HubSpot{}, []classifyCase{
		{
			name: "legacy v1 validationResults", path: "/contacts/v1/contact", status: 400,
			body: `{"validationResults":[{"isValid":false,"message":"Email address x is invalid","error":"INVALID_EMAIL","name":"email"}],"status":"error","message":"Property values were not valid"}`,
			want: fault.DataFormat, code: "INVALID_EMAIL",
		},
		{
			name: "legacy v1 unknown property", path: "/contacts/v1/contact", status: 400,
			body: `{"validationResults":[{"isValid":false,"message":"Property \"fax2\" does not exist","error":"PROPERTY_DOESNT_EXIST","name":"fax2"}],"status":"error","message":"Property values were not valid"}`,
			want: fault.Parameter, code: "PROPERTY_DOESNT_EXIST",
		},
		{
			name: "400 validation error", path: contacts, status: 400,
			body: `{"status":"error","message":"Property values were not valid","errors":[{"message":"x","in":"email"}],"category":"VALIDATION_ERROR","correlationId":"a43683b0"}`,
			want: fault.DataFormat, code: "VALIDATION_ERROR",
		},
		{
			name: "400 validation error naming an unknown property", path: contacts, status: 400,
			body: `{"status":"error","message":"Property values were not valid","category":"VALIDATION_ERROR","context":{"invalidPropertyName":["foo"]}}`,
			want: fault.Parameter, code: "VALIDATION_ERROR",
		},
		{
			name: "400 with subCategory", path: contacts, status: 400,
			body: `{"status":"error","message":"bad option","category":"VALIDATION_ERROR","subCategory":"crm.properties.INVALID_OPTION"}`,
			want: fault.DataFormat, code: "VALIDATION_ERROR/crm.properties.INVALID_OPTION",
		},
		{
			name: "401 expired token", path: contacts, status: 401,
			body: `{"category":"EXPIRED_AUTHENTICATION","message":"The OAuth token used to make this call expired 7 second(s) ago."}`,
			want: fault.Auth, code: "EXPIRED_AUTHENTICATION", remediation: "refresh it",
		},
		{
			name: "401 invalid authentication", path: contacts, status: 401,
			body: `{"status":"error","message":"Authentication credentials not found.","category":"INVALID_AUTHENTICATION"}`,
			want: fault.Auth, code: "INVALID_AUTHENTICATION", remediation: "not a sign",
		},
		{
			name: "403 missing scopes", path: contacts, status: 403,
			body: `{"status":"error","message":"This app hasn't been granted all required scopes to make this call.","category":"MISSING_SCOPES"}`,
			want: fault.Permission, code: "MISSING_SCOPES", remediation: "scope",
		},
		{
			name: "429 daily limit", path: contacts, status: 429,
			body: `{"status":"error","message":"You have reached your daily limit.","errorType":"RATE_LIMIT","policyName":"DAILY"}`,
			want: fault.RateLimit, code: "RATE_LIMIT", remediation: "daily",
		},
		{
			name: "429 burst limit", path: contacts, status: 429,
			body: `{"status":"error","message":"You have reached your ten_secondly_rolling limit.","errorType":"RATE_LIMIT","policyName":"TEN_SECONDLY_ROLLING"}`,
			want: fault.RateLimit, code: "RATE_LIMIT", remediation: "10 seconds",
		},
		{
			name: "409 contact exists", path: contacts, status: 409,
			body: `{"status":"error","message":"Contact already exists. Existing ID: 37765128953","category":"CONFLICT"}`,
			want: fault.Conflict, code: "CONFLICT", remediation: "upsert",
		},
		{
			name: "404 object not found", path: contacts + "/1", method: http.MethodGet, status: 404,
			body: `{"status":"error","message":"resource not found","category":"OBJECT_NOT_FOUND"}`,
			want: fault.NotFound, code: "OBJECT_NOT_FOUND",
		},
		{
			name: "404 on a sunset endpoint is version", path: "/owners/v2/owners", method: http.MethodGet, status: 404,
			want: fault.Version, remediation: "sunset",
		},
		{
			name: "404 on lists v1 is version", path: "/contacts/v1/lists/all", method: http.MethodGet, status: 404,
			body: `{"status":"error","message":"Not found"}`,
			want: fault.Version,
		},
		{
			name: "404 elsewhere is not found", path: contacts + "/1", method: http.MethodGet, status: 404,
			want: fault.NotFound,
		},
		{
			name: "207 one of two failed", path: batch, status: 207,
			body: `{"status":"COMPLETE","results":[{"id":"1","properties":{}}],"numErrors":1,"errors":[{"status":"error","category":"OBJECT_NOT_FOUND","message":"Could not get some CONTACT objects, they may be deleted or not exist.","context":{"ids":["2"]}}]}`,
			want: fault.NotFound, code: "OBJECT_NOT_FOUND", partial: true,
		},
		{
			name: "207 every item failed", path: batch, status: 207,
			body: `{"status":"COMPLETE","results":[],"numErrors":2,"errors":[{"status":"error","category":"VALIDATION_ERROR","message":"a"},{"status":"error","category":"VALIDATION_ERROR","message":"b"}]}`,
			want: fault.DataFormat, code: "VALIDATION_ERROR",
		},
		{
			name: "207 without a readable body", path: batch, status: 207,
			want: fault.Unknown, partial: true,
		},
		{
			name: "200 batch without errors", path: "/crm/v3/objects/contacts/batch/read", status: 200,
			body: `{"status":"COMPLETE","results":[{"id":"1"},{"id":"2"}],"startedAt":"2026-01-01T00:00:00Z"}`,
			want: fault.OK,
		},
		{
			name: "400 batch whose input was wrong", path: batch, status: 400,
			body: `{"status":"error","message":"Invalid input JSON on line 1","category":"VALIDATION_ERROR"}`,
			want: fault.DataFormat, code: "VALIDATION_ERROR",
		},
		{
			name: "502 unavailable", path: contacts, status: 502, body: `<html><body>Bad Gateway</body></html>`,
			want: fault.Unavailable,
		},
		{
			name: "504 timeout", path: contacts, status: 504,
			want: fault.Timeout,
		},
		{
			name: "truncated error sniffed", path: contacts, status: 403, truncated: true,
			body: `{"status":"error","message":"This app hasn't been granted","category":"MISSING_SCOPES","errors":[{"mess`,
			want: fault.Permission, code: "MISSING_SCOPES",
		},
		{
			name: "unknown category keeps the status", path: contacts, status: 400,
			body: `{"status":"error","message":"x","category":"SOMETHING_NEW"}`,
			want: fault.Parameter, code: "SOMETHING_NEW",
		},
	})
}

func TestHubSpot_Inspect(t *testing.T) {
	runInspect(t, HubSpot{}, []inspectCase{
		{"list GET 200", http.MethodGet, "/crm/v3/objects/contacts", 200, nil, false},
		{"create 201", http.MethodPost, "/crm/v3/objects/contacts", 201, nil, false},
		{"batch 200", http.MethodPost, "/crm/v3/objects/contacts/batch/read", 200, nil, true},
		{"multi-status", http.MethodPost, "/crm/v3/objects/contacts/batch/create", 207, nil, true},
		{"error 404", http.MethodGet, "/owners/v2/owners", 404, nil, true},
	})
}

func TestHubSpot_Version(t *testing.T) {
	runVersion(t, HubSpot{}, []versionCase{
		{"/crm/v3/objects/contacts", "v3"},
		{"/crm/objects/2026-03/contacts", "2026-03"},
		{"/crm/objects/2026-09-beta/contacts/batch/read", "2026-09-beta"},
		{"/owners/v2/owners", "v2"},
		{"/oauth/v1/token", "v1"},
		{"/crm/objects/contacts", ""},
	})
}
