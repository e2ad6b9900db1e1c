package dialect

import (
	"net/http"
	"testing"

	"github.com/crmguard/crmguard/internal/fault"
)

func TestPipedrive_Classify(t *testing.T) {
	const deals = "/api/v2/deals"
	pd := func(msg string) string {
		return `{"success":false,"error":"` + msg + `","error_info":"Please check developers.pipedrive.com","data":null,"additional_data":null}`
	}
	runClassify(t, Pipedrive{}, []classifyCase{
		{
			name: "401 invalid token", path: deals, method: http.MethodGet, status: 401, body: pd("Invalid API token"),
			want: fault.Auth,
		},
		{
			name: "403 feature capping is quota", path: deals, status: 403,
			body: `{"success":false,"error":"Couldn't add the deal. Open deals limit reached.","error_info":"x","data":null,"additional_data":null,"code":"feature_capping_deals_limit"}`,
			want: fault.RateLimit, code: "feature_capping_deals_limit", remediation: "plan",
		},
		{
			name: "403 entity limit text is quota", path: deals, status: 403, body: pd("Request not allowed. User account has reached a limit for an entity."),
			want: fault.RateLimit,
		},
		{
			name: "403 otherwise is permission", path: deals, status: 403, body: pd("You do not have permission to access this deal"),
			want: fault.Permission,
		},
		{
			name: "402 account not open is quota", path: deals, status: 402, body: pd("Company account is not open"),
			want: fault.RateLimit, remediation: "subscription",
		},
		{
			name: "410 old resource is version", path: "/v1/old", method: http.MethodGet, status: 410, body: pd("Old resource permanently unavailable"),
			want: fault.Version,
		},
		{
			name: "415 feature not enabled is permission", path: deals, status: 415, body: pd("Feature is not enabled"),
			want: fault.Permission,
		},
		{
			name: "422 webhooks limit is quota", path: "/v1/webhooks", status: 422, body: pd("Webhooks limit reached"),
			want: fault.RateLimit,
		},
		{
			name: "429 rate limit", path: deals, status: 429, body: pd("Rate limit has been exceeded"),
			want: fault.RateLimit, remediation: "x-ratelimit-reset",
		},
		{
			name: "501 non-existent functionality is parameter", path: "/v1/nothing", status: 501, body: pd("Non-existent functionality"),
			want: fault.Parameter,
		},
		{
			name: "503 maintenance", path: deals, status: 503, body: pd("Scheduled maintenance"),
			want: fault.Unavailable,
		},
		{
			name: "OAuth 400 invalid grant", path: "/oauth/token", status: 400,
			body: `{"success":false,"message":"Invalid grant: refresh_token is invalid","error":"invalid_grant"}`,
			want: fault.Auth, code: "invalid_grant",
		},
		{
			name: "200 success", path: deals, status: 201, body: `{"success":true,"data":{"id":1}}`,
			want: fault.OK,
		},
		{
			name: "200 success:false with no known cause", path: deals, status: 200, body: pd("Requested service is not available"),
			want: fault.Unknown,
		},
		{
			name: "200 success:false naming a rate limit", path: deals, status: 200, body: pd("Rate limit exceeded"),
			want: fault.RateLimit,
		},
		{
			name: "400 not JSON", path: deals, status: 400, body: "<html>nope</html>",
			want: fault.Parameter,
		},
	})
}

func TestPipedrive_Inspect(t *testing.T) {
	runInspect(t, Pipedrive{}, []inspectCase{
		{"list GET 200", http.MethodGet, "/api/v2/deals", 200, nil, false},
		{"create 201", http.MethodPost, "/api/v2/deals", 201, nil, true},
		{"update 200", http.MethodPatch, "/api/v2/deals/1", 200, nil, true},
		{"GET 404", http.MethodGet, "/api/v2/deals/1", 404, nil, true},
	})
}

func TestPipedrive_Version(t *testing.T) {
	runVersion(t, Pipedrive{}, []versionCase{
		{"/v1/deals", "v1"},
		{"/api/v1/persons/search", "v1"},
		{"/api/v2/deals", "v2"},
		{"/oauth/token", ""},
	})
}
