package dialect

import (
	"net/http"
	"testing"

	"github.com/crmguard/crmguard/internal/fault"
)

func TestFxiaoke_Classify(t *testing.T) {
	const query = "/cgi/crm/v2/data/query"
	runClassify(t, Fxiaoke{}, []classifyCase{
		{
			name: "errorCode 0 is success", path: query, status: 200,
			body: `{"errorCode":0,"errorMessage":"success","data":{"dataList":[]}}`,
			want: fault.OK,
		},
		{
			name: "20016 corpAccessToken expired", path: query, status: 200,
			body: `{"errorCode":20016,"errorMessage":"corpAccessToken不存在或者已经过期"}`,
			want: fault.Auth, code: "20016", remediation: "corpAccessToken",
		},
		{
			name: "20005 appAccessToken expired", path: "/cgi/corpAccessToken/get/V2", status: 200,
			body: `{"errorCode":20005,"errorMessage":"appAccessToken不存在或者已经过期"}`,
			want: fault.Auth, code: "20005",
		},
		{
			name: "errorCode as a string", path: query, status: 200,
			body: `{"errorCode":"20016","errorMessage":"x"}`,
			want: fault.Auth, code: "20016",
		},
		{
			name: "unlisted code with a parameter message", path: query, status: 200,
			body: `{"errorCode":30001,"errorMessage":"参数不合法"}`,
			want: fault.Parameter, code: "30001",
		},
		{
			name: "unlisted code with a permission message", path: query, status: 200,
			body: `{"errorCode":30002,"errorMessage":"没有权限"}`,
			want: fault.Permission, code: "30002",
		},
		{
			name: "unlisted code without key words", path: query, status: 200,
			body: `{"errorCode":12345,"errorMessage":"未知"}`,
			want: fault.Unknown, code: "12345",
		},
		{
			name: "huge errorCode", path: query, status: 200,
			body: `{"errorCode":1e400,"errorMessage":""}`,
			want: fault.Unknown, code: "1e400",
		},
		{
			name: "cut short", path: query, status: 200, truncated: true,
			body: `{"errorCode":20016,"errorMessage":"corpAccessToken不存在或`,
			want: fault.Auth, code: "20016",
		},
		{
			name: "no errorCode at all", path: query, status: 200, body: `{"data":1}`,
			want: fault.OK,
		},
		{
			name: "500 HTML", path: query, status: 500, body: `<html><body>error</body></html>`,
			want: fault.Server,
		},
	})
}

func TestFxiaoke_Inspect(t *testing.T) {
	json := http.Header{"Content-Type": {"application/json;charset=UTF-8"}}
	runInspect(t, Fxiaoke{}, []inspectCase{
		{"JSON 200", http.MethodPost, "/cgi/crm/v2/data/query", 200, json, true},
		{"untyped 200", http.MethodPost, "/cgi/crm/v2/data/query", 200, nil, true},
		{"file download 200", http.MethodGet, "/cgi/media/download", 200, http.Header{"Content-Type": {"application/octet-stream"}}, false},
		{"500", http.MethodPost, "/cgi/crm/v2/data/query", 500, nil, true},
	})
}

func TestFxiaoke_Version(t *testing.T) {
	runVersion(t, Fxiaoke{}, []versionCase{
		{"/cgi/crm/v2/data/query", "v2"},
		{"/cgi/corpAccessToken/get/V2", "V2"},
		{"/cgi/user/getByMobile", ""},
	})
}
