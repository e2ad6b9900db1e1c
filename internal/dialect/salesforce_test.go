package dialect

import (
	"net/http"
	"testing"

	"github.com/crmguard/crmguard/internal/fault"
)

func TestSalesforce_Classify(t *testing.T) {
	const (
		sobj      = "/services/data/v59.0/sobjects/Account"
		coll      = "/services/data/v59.0/composite/sobjects"
		composite = "/services/data/v59.0/composite"
		batch     = "/services/data/v59.0/composite/batch"
		graph     = "/services/data/v59.0/composite/graph"
		tree      = "/services/data/v59.0/composite/tree/Account"
	)
	runClassify(t, Salesforce{}, []classifyCase{
		{
			name: "400 malformed query", path: "/services/data/v59.0/query", status: 400,
			body: `[{"message":"unexpected token: FORM","errorCode":"MALFORMED_QUERY"}]`,
			want: fault.Parameter, code: "MALFORMED_QUERY",
		},
		{
			name: "400 string too long", path: sobj, status: 400,
			body: `[{"message":"Name: data value too large","errorCode":"STRING_TOO_LONG","fields":["Name"]}]`,
			want: fault.DataFormat, code: "STRING_TOO_LONG",
		},
		{
			name: "400 query timeout", path: "/services/data/v59.0/query", status: 400,
			body: `[{"message":"Your query request was running for too long.","errorCode":"QUERY_TIMEOUT"}]`,
			want: fault.Timeout, code: "QUERY_TIMEOUT",
		},
		{
			name: "401 session expired", path: sobj, status: 401,
			body: `[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]`,
			want: fault.Auth, code: "INVALID_SESSION_ID", remediation: "refresh the token",
		},
		{
			name: "401 session not valid for REST: refresh will not help", path: sobj, status: 401,
			body: `[{"message":"This session is not valid for use with the REST API","errorCode":"INVALID_SESSION_ID"}]`,
			want: fault.Auth, code: "INVALID_SESSION_ID", remediation: "refreshing the token will not help",
		},
		{
			name: "403 daily quota", path: sobj, status: 403,
			body: `[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]`,
			want: fault.RateLimit, code: "REQUEST_LIMIT_EXCEEDED", remediation: "/limits",
		},
		{
			name: "403 insufficient access", path: sobj, status: 403,
			body: `[{"message":"insufficient access rights on object id","errorCode":"INSUFFICIENT_ACCESS_OR_READONLY"}]`,
			want: fault.Permission, code: "INSUFFICIENT_ACCESS_OR_READONLY",
		},
		{
			// Status alone cannot tell the quota from a permission; the
			// documented meaning of 403 wins.
			name: "403 without body or quota header", path: sobj, status: 403,
			want: fault.Permission,
		},
		{
			name: "403 without body, Sforce-Limit-Info at its limit", path: sobj, status: 403,
			header: http.Header{"Sforce-Limit-Info": {"api-usage=15000/15000"}},
			want:   fault.RateLimit, remediation: "rolling 24-hour window",
		},
		{
			name: "403 without body, Sforce-Limit-Info below its limit", path: sobj, status: 403,
			header: http.Header{"Sforce-Limit-Info": {"api-usage=18/5000; per-app-api-usage=17/250(appName=x)"}},
			want:   fault.Permission,
		},
		{
			name: "300 upsert matched several records", path: sobj + "/Ext_Id__c/42", method: http.MethodPatch, status: 300,
			body: `["/services/data/v59.0/sobjects/Account/001D000000Kv3g5IAB","/services/data/v59.0/sobjects/Account/001D000000Kv3g6IAB"]`,
			want: fault.Conflict, remediation: "external ID",
		},
		{
			name: "404 not found", path: sobj + "/001", status: 404, method: http.MethodGet,
			body: `[{"message":"The requested resource does not exist","errorCode":"NOT_FOUND"}]`,
			want: fault.NotFound, code: "NOT_FOUND",
		},
		{
			name: "409 API version incompatible", path: sobj, status: 409,
			body: `[{"message":"Check that the API version is compatible with the resource you're requesting.","errorCode":"CONFLICT"}]`,
			want: fault.Version, code: "CONFLICT",
		},
		{
			name: "410 retired version", path: "/services/data/v20.0/sobjects", status: 410,
			want: fault.Version, remediation: "retired",
		},
		{
			name: "500 UNSUPPORTED_API_VERSION", path: "/services/Soap/u/20.0", status: 500,
			body: `{"errorCode":"UNSUPPORTED_API_VERSION","message":"UNSUPPORTED_API_VERSION"}`,
			want: fault.Version, code: "UNSUPPORTED_API_VERSION",
		},
		{
			name: "bulk 400 InvalidVersion", path: "/services/async/20.0/job", status: 400,
			body: `{"exceptionCode":"InvalidVersion","exceptionMessage":"API version 20.0 is retired"}`,
			want: fault.Version, code: "InvalidVersion",
		},
		{
			name: "bulk 400 InvalidSessionId is auth", path: "/services/async/59.0/job", status: 400,
			body: `{"exceptionCode":"InvalidSessionId","exceptionMessage":"Invalid session id"}`,
			want: fault.Auth, code: "InvalidSessionId",
		},
		{
			name: "oauth 400 invalid_grant", path: "/services/oauth2/token", status: 400,
			body: `{"error":"invalid_grant","error_description":"expired access/refresh token"}`,
			want: fault.Auth, code: "invalid_grant", remediation: "re-authorize",
		},
		{
			name: "400 lock", path: sobj + "/001", method: http.MethodPatch, status: 400,
			body: `[{"message":"unable to obtain exclusive access to this record","errorCode":"UNABLE_TO_LOCK_ROW","fields":[]}]`,
			want: fault.Conflict, code: "UNABLE_TO_LOCK_ROW", transient: true,
		},
		{
			name: "lock wrapped in a flow trigger error", path: sobj, status: 400,
			body: `[{"message":"We can't save this record because the process failed. UNABLE_TO_LOCK_ROW: unable to obtain exclusive access to this record.","errorCode":"CANNOT_EXECUTE_FLOW_TRIGGER","fields":[]}]`,
			want: fault.Conflict, code: "CANNOT_EXECUTE_FLOW_TRIGGER", transient: true, remediation: "lock",
		},
		{
			name: "unlisted code by its words", path: sobj, status: 400,
			body: `[{"message":"x","errorCode":"DUPLICATE_COMM_NICKNAME"}]`,
			want: fault.Conflict, code: "DUPLICATE_COMM_NICKNAME",
		},
		{
			name: "unlisted code without known words keeps the status", path: sobj, status: 400,
			body: `[{"message":"x","errorCode":"CANNOT_EXECUTE_FLOW_TRIGGER"}]`,
			want: fault.Parameter, code: "CANNOT_EXECUTE_FLOW_TRIGGER",
		},
		{
			name: "503 maintenance page", path: sobj, status: 503,
			body: `<!DOCTYPE html><html><head><title>Maintenance</title></head><body>down for maintenance</body></html>`,
			want: fault.Unavailable,
		},
		{
			name: "500 empty body", path: sobj, status: 500,
			want: fault.Server,
		},
		{
			name: "400 not JSON", path: sobj, status: 400, body: "Bad Request",
			want: fault.Parameter,
		},
		{
			name: "errorCode of the wrong type", path: sobj, status: 400,
			body: `[{"message":"x","errorCode":12345}]`,
			want: fault.Parameter,
		},
		{
			name: "truncated error body sniffed", path: sobj, status: 400, truncated: true,
			body: `[{"message":"Name: data value too large","errorCode":"STRING_TOO_LONG","fields":["Na`,
			want: fault.DataFormat, code: "STRING_TOO_LONG",
		},
		{
			name: "collections: one of two failed", path: coll, status: 200,
			body: `[{"id":"001RM000003oLnnYAE","success":true,"errors":[]},{"success":false,"errors":[{"statusCode":"DUPLICATE_VALUE","message":"duplicate value found: Ext_Id__c","fields":["Ext_Id__c"]}]}]`,
			want: fault.Conflict, code: "DUPLICATE_VALUE", partial: true,
		},
		{
			name: "collections: all failed", path: coll, status: 200,
			body: `[{"success":false,"errors":[{"statusCode":"REQUIRED_FIELD_MISSING","message":"Required fields are missing: [Name]","fields":["Name"]}]},{"success":false,"errors":[{"statusCode":"REQUIRED_FIELD_MISSING","message":"Required fields are missing: [Name]","fields":["Name"]}]}]`,
			want: fault.DataFormat, code: "REQUIRED_FIELD_MISSING",
		},
		{
			name: "collections: allOrNone rollback followers", path: coll, status: 200,
			body: `[{"success":false,"errors":[{"statusCode":"ALL_OR_NONE_OPERATION_ROLLED_BACK","message":"Record rolled back because not all records were valid and the request was using AllOrNone header","fields":[]}]},{"success":false,"errors":[{"statusCode":"INVALID_EMAIL_ADDRESS","message":"Email: invalid email address: x","fields":["Email"]}]}]`,
			want: fault.DataFormat, code: "INVALID_EMAIL_ADDRESS",
		},
		{
			name: "collections: lock inside 200", path: coll, status: 200,
			body: `[{"id":"001","success":true,"errors":[]},{"success":false,"errors":[{"statusCode":"UNABLE_TO_LOCK_ROW","message":"unable to obtain exclusive access to this record","fields":[]}]}]`,
			want: fault.Conflict, code: "UNABLE_TO_LOCK_ROW", partial: true, transient: true,
		},
		{
			name: "collections: most frequent class wins, code from first failure", path: coll, status: 200,
			body: `[{"success":false,"errors":[{"statusCode":"STRING_TOO_LONG","message":"a"}]},{"success":false,"errors":[{"statusCode":"DUPLICATE_VALUE","message":"b"}]},{"success":false,"errors":[{"statusCode":"DUPLICATE_VALUE","message":"c"}]},{"id":"001","success":true,"errors":[]}]`,
			want: fault.Conflict, code: "STRING_TOO_LONG", partial: true,
		},
		{
			name: "collections: all succeeded", path: coll, status: 200,
			body: `[{"id":"001","success":true,"errors":[]},{"id":"002","success":true,"errors":[]}]`,
			want: fault.OK,
		},
		{
			name: "collections: retrieve returns records", path: coll + "/Account", method: http.MethodGet, status: 200,
			body: `[{"attributes":{"type":"Account","url":"/x"},"Id":"001","Name":"Acme"},null]`,
			want: fault.OK,
		},
		{
			name: "collections: cut short with a failure after a success", path: coll, status: 200, truncated: true,
			body: `[{"id":"001","success":true,"errors":[]},{"success":false,"errors":[{"statusCode":"DUPLICATE_VALUE","message":"dup"}]},{"id":"0`,
			want: fault.Conflict, code: "DUPLICATE_VALUE", partial: true,
		},
		{
			name: "composite: one subrequest failed", path: composite, status: 200,
			body: `{"compositeResponse":[{"body":{"id":"001","success":true,"errors":[]},"httpHeaders":{},"httpStatusCode":201,"referenceId":"a"},{"body":[{"errorCode":"MALFORMED_ID","message":"bad id"}],"httpHeaders":{},"httpStatusCode":400,"referenceId":"b"}]}`,
			want: fault.Parameter, code: "MALFORMED_ID", partial: true,
		},
		{
			name: "composite: allOrNone halted the rest", path: composite, status: 200,
			body: `{"compositeResponse":[{"body":[{"errorCode":"PROCESSING_HALTED","message":"The transaction was rolled back since another operation in the same transaction failed."}],"httpHeaders":{},"httpStatusCode":400,"referenceId":"a"},{"body":[{"errorCode":"INVALID_FIELD","message":"No such column 'Foo__c'"}],"httpHeaders":{},"httpStatusCode":400,"referenceId":"b"}]}`,
			want: fault.Parameter, code: "INVALID_FIELD",
		},
		{
			name: "composite: all succeeded", path: composite, status: 200,
			body: `{"compositeResponse":[{"body":{"id":"001","success":true,"errors":[]},"httpHeaders":{},"httpStatusCode":201,"referenceId":"a"},{"body":null,"httpHeaders":{},"httpStatusCode":204,"referenceId":"b"}]}`,
			want: fault.OK,
		},
		{
			name: "composite: upsert 300 inside", path: composite, status: 200,
			body: `{"compositeResponse":[{"body":["/a","/b"],"httpHeaders":{},"httpStatusCode":300,"referenceId":"a"},{"body":null,"httpHeaders":{},"httpStatusCode":204,"referenceId":"b"}]}`,
			want: fault.Conflict, partial: true,
		},
		{
			name: "composite batch: one not found", path: batch, status: 200,
			body: `{"hasErrors":true,"results":[{"statusCode":200,"result":{"Id":"001"}},{"statusCode":404,"result":[{"errorCode":"NOT_FOUND","message":"The requested resource does not exist"}]}]}`,
			want: fault.NotFound, code: "NOT_FOUND", partial: true,
		},
		{
			name: "composite batch: no errors", path: batch, status: 200,
			body: `{"hasErrors":false,"results":[{"statusCode":204,"result":null},{"statusCode":200,"result":{"Id":"001"}}]}`,
			want: fault.OK,
		},
		{
			name: "composite graph: one graph failed on a lock", path: graph, status: 200,
			body: `{"graphs":[{"graphId":"1","graphResponse":{"compositeResponse":[{"body":{"id":"001","success":true,"errors":[]},"httpHeaders":{},"httpStatusCode":201,"referenceId":"a"}]},"isSuccessful":true},{"graphId":"2","graphResponse":{"compositeResponse":[{"body":[{"errorCode":"UNABLE_TO_LOCK_ROW","message":"unable to obtain exclusive access to this record"}],"httpHeaders":{},"httpStatusCode":400,"referenceId":"b"},{"body":[{"errorCode":"PROCESSING_HALTED","message":"halted"}],"httpHeaders":{},"httpStatusCode":400,"referenceId":"c"}]},"isSuccessful":false}]}`,
			want: fault.Conflict, code: "UNABLE_TO_LOCK_ROW", partial: true, transient: true,
		},
		{
			name: "sObject tree: validation failed", path: tree, status: 400,
			body: `{"hasErrors":true,"results":[{"referenceId":"ref1","errors":[{"statusCode":"INVALID_EMAIL_ADDRESS","message":"Email: invalid email address: x","fields":["Email"]}]}]}`,
			want: fault.DataFormat, code: "INVALID_EMAIL_ADDRESS",
		},
		{
			name: "sObject tree: created", path: tree, status: 201,
			body: `{"hasErrors":false,"results":[{"referenceId":"ref1","id":"001"},{"referenceId":"ref2","id":"002"}]}`,
			want: fault.OK,
		},
	})
}

func TestSalesforce_Inspect(t *testing.T) {
	runInspect(t, Salesforce{}, []inspectCase{
		{"plain GET 200", http.MethodGet, "/services/data/v59.0/sobjects/Account/001", 200, nil, false},
		{"query GET 200", http.MethodGet, "/services/data/v59.0/query", 200, nil, false},
		{"create 201", http.MethodPost, "/services/data/v59.0/sobjects/Account", 201, nil, false},
		{"update 204", http.MethodPatch, "/services/data/v59.0/sobjects/Account/001", 204, nil, false},
		{"composite 200", http.MethodPost, "/services/data/v59.0/composite", 200, nil, true},
		{"collections 200", http.MethodPatch, "/services/data/v59.0/composite/sobjects", 200, nil, true},
		{"error 400", http.MethodGet, "/services/data/v59.0/query", 400, nil, true},
		{"upsert 300", http.MethodPatch, "/services/data/v59.0/sobjects/Account/Ext__c/1", 300, nil, true},
		{"HEAD 404 has no body", http.MethodHead, "/services/data/v59.0/sobjects/Account/001", 404, nil, false},
		{"304 has no body", http.MethodGet, "/services/data/v59.0/sobjects/Account/001", 304, nil, false},
	})
}

func TestSalesforce_Version(t *testing.T) {
	runVersion(t, Salesforce{}, []versionCase{
		{"/services/data/v59.0/sobjects/Account", "v59.0"},
		{"/services/data/v20.0", "v20.0"},
		{"/services/Soap/u/59.0", "v59.0"},
		{"/services/async/58.0/job/750", "v58.0"},
		{"/services/data/", ""},
		{"/services/oauth2/token", ""},
	})
}
