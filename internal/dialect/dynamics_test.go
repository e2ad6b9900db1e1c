package dialect

import (
	"net/http"
	"strings"
	"testing"

	"github.com/crmguard/crmguard/internal/fault"
)

func TestDynamics_Classify(t *testing.T) {
	const accounts = "/api/data/v9.2/accounts"
	batchBody := strings.ReplaceAll(`--batchresponse_1
Content-Type: application/http
Content-Transfer-Encoding: binary

HTTP/1.1 204 No Content
OData-Version: 4.0

--batchresponse_1
Content-Type: application/http
Content-Transfer-Encoding: binary

HTTP/1.1 400 Bad Request
REQ_ID: 5ecd1cb3
Content-Type: application/json; odata.metadata=minimal
OData-Version: 4.0

{"error":{"code":"0x80048d19","message":"Error identified in Payload provided by the user for Entity :'contacts'"}}
--batchresponse_1--
`, "\n", "\r\n")
	okBatch := "--batchresponse_2\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n--batchresponse_2\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 201 Created\r\n\r\n--batchresponse_2--\r\n"
	runClassify(t, Dynamics{}, []classifyCase{
		{
			name: "validation error is data_format", path: "/api/data/v9.2/tasks", status: 400,
			body: `{"error":{"code":"0x80044331","message":"A validation error occurred.  The length of the 'subject' attribute of the 'task' entity exceeded the maximum allowed length of '200'."}}`,
			want: fault.DataFormat, code: "0x80044331",
		},
		{
			name: "failed batch answered 400 is read by its part", path: "/api/data/v9.2/$batch", status: 400,
			body: "--batchresponse_1\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n\r\n{\"error\":{\"code\":\"0x80044331\",\"message\":\"A validation error occurred.\"}}\r\n--batchresponse_1--\r\n",
			want: fault.DataFormat, code: "0x80044331",
		},
		{
			name: "500 duplicate detection is conflict", path: accounts, status: 500,
			body: `{"error":{"code":"0x80040333","message":"A record was not created or updated because a duplicate of the current record already exists."}}`,
			want: fault.Conflict, code: "0x80040333", remediation: "SuppressDuplicateDetection",
		},
		{
			name: "code in upper-case hex", path: accounts, status: 500,
			body: `{"error":{"code":"0X80040333","message":"dup"}}`,
			want: fault.Conflict, code: "0X80040333",
		},
		{
			name: "404 wrong entity set is parameter", path: "/api/data/v9.2/Account", method: http.MethodGet, status: 404,
			body: `{"error":{"code":"0x8006088a","message":"Resource not found for the segment 'Account'."}}`,
			want: fault.Parameter, code: "0x8006088a", remediation: "case-sensitive",
		},
		{
			name: "404 wrong verb is parameter", path: "/api/data/v9.2/WhoAmI", status: 404,
			body: `{"error":{"code":"","message":"No HTTP resource was found that matches the request URI '[Organization URI]/api/data/v9.2/WhoAmI'."}}`,
			want: fault.Parameter, remediation: "HTTP verb",
		},
		{
			name: "404 record does not exist", path: accounts + "(00000000-0000-0000-0000-000000000001)", method: http.MethodGet, status: 404,
			body: `{"error":{"code":"0x80040217","message":"account With Ids = 00000000-0000-0000-0000-000000000001 Do Not Exist"}}`,
			want: fault.NotFound, code: "0x80040217",
		},
		{
			name: "decimal HRESULT", path: accounts, status: 400,
			body: `{"error":{"code":"-2147220969","message":"Do Not Exist"}}`,
			want: fault.NotFound, code: "-2147220969",
		},
		{
			name: "400 unknown property", path: accounts, status: 400,
			body: `{"error":{"code":"0x0","message":"Could not find a property named 'Name' on type 'Microsoft.Dynamics.CRM.account'."}}`,
			want: fault.Parameter, code: "0x0",
		},
		{
			name: "400 payload error", path: accounts, status: 400,
			body: `{"error":{"code":"0x80048d19","message":"Error identified in Payload provided by the user for Entity :'contacts'"}}`,
			want: fault.DataFormat, code: "0x80048d19",
		},
		{
			name: "400 plug-in error", path: accounts, status: 400,
			body: `{"error":{"code":"0x80040265","message":"Example Error Message.","@Microsoft.PowerApps.CDS.ErrorDetails.OperationStatus":"1"}}`,
			want: fault.DataFormat, code: "0x80040265", remediation: "plug-in",
		},
		{
			name: "403 missing privilege", path: accounts, status: 403,
			body: `{"error":{"code":"0x80040220","message":"Principal user is missing prvCreateAccount privilege"}}`,
			want: fault.Permission, code: "0x80040220",
		},
		{
			name: "429 service protection", path: accounts, status: 429, header: http.Header{"Retry-After": {"30"}},
			body: `{"error":{"code":"0x80072322","message":"Number of requests exceeded the limit of 6000 over time window of 300 seconds."}}`,
			want: fault.RateLimit, code: "0x80072322", remediation: "Retry-After",
		},
		{
			name: "412 concurrency mismatch by status", path: accounts, method: http.MethodPatch, status: 412,
			body: `{"error":{"code":"0x80060882","message":"The version of the existing record doesn't match the RowVersion property provided."}}`,
			want: fault.Conflict, code: "0x80060882",
		},
		{
			name: "500 other code is server", path: accounts, status: 500,
			body: `{"error":{"code":"0x80040216","message":"An unexpected error occurred."}}`,
			want: fault.Server, code: "0x80040216",
		},
		{
			name: "401 no body", path: accounts, status: 401,
			want: fault.Auth,
		},
		{
			name: "truncated error sniffed", path: accounts, status: 500, truncated: true,
			body: `{"error":{"code":"0x80040333","message":"A record was not created or upd`,
			want: fault.Conflict, code: "0x80040333",
		},
		{
			name: "$batch with one failed part", path: "/api/data/v9.2/$batch", status: 200, body: batchBody,
			want: fault.DataFormat, code: "0x80048d19", partial: true,
		},
		{
			name: "$batch all parts succeeded", path: "/api/data/v9.2/$batch", status: 200, body: okBatch,
			want: fault.OK,
		},
		{
			name: "plain 200 is ok", path: accounts, method: http.MethodGet, status: 200,
			body: `{"error":"this is a field value"}`,
			want: fault.OK,
		},
	})
}

func TestDynamics_Inspect(t *testing.T) {
	runInspect(t, Dynamics{}, []inspectCase{
		{"GET 200", http.MethodGet, "/api/data/v9.2/accounts", 200, nil, false},
		{"create 204", http.MethodPost, "/api/data/v9.2/accounts", 204, nil, false},
		{"$batch 200", http.MethodPost, "/api/data/v9.2/$batch", 200, nil, true},
		{"500", http.MethodPost, "/api/data/v9.2/accounts", 500, nil, true},
	})
}

func TestDynamics_Version(t *testing.T) {
	runVersion(t, Dynamics{}, []versionCase{
		{"/api/data/v9.2/accounts", "v9.2"},
		{"/api/data/v9.0/WhoAmI", "v9.0"},
		{"/api/data/$metadata", ""},
	})
}
