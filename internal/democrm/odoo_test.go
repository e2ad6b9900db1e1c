package democrm

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestOdoo_JSONRPC(t *testing.T) {
	tests := []struct {
		name, path, body string
		status           int    // HTTP status; 200 unless set
		errName          string // data.name of a JSON-RPC error
		errCode          int
		check            func(t *testing.T, res json.RawMessage)
	}{
		{name: "version", body: `{"jsonrpc":"2.0","method":"call","params":{"service":"common","method":"version","args":[]},"id":1}`,
			check: func(t *testing.T, res json.RawMessage) {
				if !strings.Contains(string(res), `"server_version":"17.0"`) {
					t.Errorf("result %s", res)
				}
			}},
		{name: "login", body: `{"jsonrpc":"2.0","method":"call","params":{"service":"common","method":"login","args":["demo","admin","admin"]},"id":1}`,
			check: func(t *testing.T, res json.RawMessage) {
				if string(res) != "2" {
					t.Errorf("uid %s; want 2", res)
				}
			}},
		{name: "search_read with domain", body: rpc("search_read", `[[["is_company","=",true],["city","!=",false]]]`, `{"fields":["name","is_company"],"limit":3}`),
			check: func(t *testing.T, res json.RawMessage) {
				var rows []map[string]any
				mustJSON(t, res, &rows)
				if len(rows) != 3 || rows[0]["is_company"] != true || len(rows[0]) != 3 {
					t.Errorf("rows %s", res)
				}
			}},
		{name: "search_read with or", body: rpc("search_read", `[["|",["id","=",7],["id","=",70]]]`, `{"fields":["name"]}`),
			check: func(t *testing.T, res json.RawMessage) {
				var rows []map[string]any
				mustJSON(t, res, &rows)
				if len(rows) != 2 {
					t.Errorf("rows %s; want ids 7 and 70", res)
				}
			}},
		{name: "search_count", body: rpc("search_count", `[[["is_company","=",false]]]`, `{}`),
			check: func(t *testing.T, res json.RawMessage) {
				if string(res) != "300" {
					t.Errorf("count %s; want 300", res)
				}
			}},
		{name: "read", body: rpc("read", `[[70]]`, `{"fields":["name","parent_id","mobile"]}`),
			check: func(t *testing.T, res json.RawMessage) {
				var rows []struct {
					ID       int
					Name     string
					ParentID []any `json:"parent_id"`
					Mobile   any
				}
				mustJSON(t, res, &rows)
				if len(rows) != 1 || rows[0].ID != 70 || len(rows[0].ParentID) != 2 || rows[0].Mobile != false {
					t.Errorf("rows %s; want parent_id [id, name] and mobile false", res)
				}
			}},
		{name: "read missing", body: rpc("read", `[[99999]]`, `{}`), errName: "odoo.exceptions.MissingError", errCode: 200},
		{name: "create", body: rpc("create", `[{"name":"New Partner","email":"n@example.com"}]`, `{}`),
			check: func(t *testing.T, res json.RawMessage) {
				if string(res) != "367" {
					t.Errorf("id %s; want 367", res)
				}
			}},
		{name: "create many", body: rpc("create", `[[{"name":"A"},{"name":"B"}]]`, `{}`),
			check: func(t *testing.T, res json.RawMessage) {
				if string(res) != "[367,368]" {
					t.Errorf("ids %s; want [367,368]", res)
				}
			}},
		{name: "create without name", body: rpc("create", `[{"email":"n@example.com"}]`, `{}`), errName: "odoo.exceptions.ValidationError", errCode: 200},
		{name: "write", body: rpc("write", `[[70],{"phone":"+1 555 0100"}]`, `{}`),
			check: func(t *testing.T, res json.RawMessage) {
				if string(res) != "true" {
					t.Errorf("result %s", res)
				}
			}},
		{name: "write unknown field", body: rpc("write", `[[70],{"x_foo":1}]`, `{}`), errName: "builtins.ValueError", errCode: 200},
		{name: "unlink", body: rpc("unlink", `[[70]]`, `{}`)},
		{name: "unknown model", body: strings.Replace(rpc("read", `[[1]]`, `{}`), "res.partner", "res.foo", 1), errName: "odoo.exceptions.UserError", errCode: 200},
		{name: "unknown method", body: rpc("frobnicate", `[]`, `{}`), errName: "builtins.AttributeError", errCode: 200},
		{name: "empty password", body: strings.Replace(rpc("read", `[[70]]`, `{}`), `"admin"`, `""`, 1), errName: "odoo.exceptions.AccessDenied", errCode: 200},
		{name: "call_kw without session", path: "/odoo/web/dataset/call_kw/res.partner/read",
			body:    `{"jsonrpc":"2.0","method":"call","params":{"model":"res.partner","method":"read","args":[[70]],"kwargs":{}},"id":3}`,
			errName: "odoo.http.SessionExpiredException", errCode: 100},
		{name: "invalid json", body: `{"jsonrpc":`, status: http.StatusBadRequest},
		{name: "unknown path", path: "/odoo/xmlrpc/2/object", body: `{}`, status: http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, base := startTest(t, Options{})
			path := tc.path
			if path == "" {
				path = "/odoo/jsonrpc"
			}
			r := send(t, base, "POST", path, tc.body, nil)
			want := tc.status
			if want == 0 {
				want = http.StatusOK
			}
			if r.status != want {
				t.Fatalf("status %d; want %d (body %s)", r.status, want, r.body)
			}
			if want != http.StatusOK {
				return
			}
			var res odooReply
			r.json(t, &res)
			if res.JSONRPC != "2.0" || string(res.ID) == "" {
				t.Errorf("envelope %s", r.body)
			}
			if tc.errName != "" {
				if res.Error == nil || res.Error.Data.Name != tc.errName || res.Error.Code != tc.errCode {
					t.Fatalf("error %s; want %s with code %d", r.body, tc.errName, tc.errCode)
				}
				if !strings.HasPrefix(res.Error.Data.Debug, "Traceback") {
					t.Errorf("debug %q; want a traceback", res.Error.Data.Debug)
				}
				return
			}
			if res.Error != nil {
				t.Fatalf("unexpected error %s", r.body)
			}
			if tc.check != nil {
				tc.check(t, res.Result)
			}
		})
	}
}

func TestOdoo_WebSession(t *testing.T) {
	_, base := startTest(t, Options{})
	r := send(t, base, "POST", "/odoo/web/session/authenticate",
		`{"jsonrpc":"2.0","method":"call","params":{"db":"demo","login":"admin","password":"admin"},"id":1}`, nil)
	var cookie string
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "session_id" {
			cookie = c.Value
		}
	}
	if r.status != http.StatusOK || cookie == "" {
		t.Fatalf("authenticate: %d %v %s; want 200 with a session_id cookie", r.status, r.header, r.body)
	}
	r = send(t, base, "POST", "/odoo/web/dataset/call_kw",
		`{"jsonrpc":"2.0","method":"call","params":{"model":"res.partner","method":"read","args":[[70],["name"]],"kwargs":{}},"id":2}`,
		http.Header{"Cookie": {"session_id=" + cookie}})
	var res odooReply
	r.json(t, &res)
	if res.Error != nil || !strings.Contains(string(res.Result), `"id":70`) {
		t.Errorf("call_kw with session: %s", r.body)
	}
}

func TestOdoo_JSON2(t *testing.T) {
	tests := []struct {
		name, path, body string
		header           http.Header
		status           int
		errName          string
		check            func(t *testing.T, body []byte)
	}{
		{name: "search_read", path: "/res.partner/search_read", body: `{"domain":[["id","in",[7,8]]],"fields":["name"]}`, status: 200,
			check: func(t *testing.T, body []byte) {
				var rows []map[string]any
				mustJSON(t, body, &rows)
				if len(rows) != 2 {
					t.Errorf("rows %s", body)
				}
			}},
		{name: "read", path: "/res.partner/read", body: `{"ids":[70],"fields":["email"]}`, status: 200},
		{name: "read missing", path: "/res.partner/read", body: `{"ids":[99999]}`, status: 404, errName: "odoo.exceptions.MissingError"},
		{name: "create", path: "/res.partner/create", body: `{"vals_list":[{"name":"X"}]}`, status: 200,
			check: func(t *testing.T, body []byte) {
				if string(body) != "[367]" {
					t.Errorf("ids %s; want [367]", body)
				}
			}},
		{name: "write without name", path: "/res.partner/write", body: `{"ids":[70],"vals":{"name":false}}`, status: 422, errName: "odoo.exceptions.ValidationError"},
		{name: "unknown model", path: "/res.foo/read", body: `{"ids":[1]}`, status: 422, errName: "odoo.exceptions.UserError"},
		{name: "bad json", path: "/res.partner/read", body: `{`, status: 400, errName: "werkzeug.exceptions.BadRequest"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, base := startTest(t, Options{})
			r := send(t, base, "POST", "/odoo/json/2"+tc.path, tc.body, http.Header{"Authorization": {"bearer key"}})
			if r.status != tc.status {
				t.Fatalf("status %d; want %d (body %s)", r.status, tc.status, r.body)
			}
			if tc.errName != "" {
				var e struct{ Name, Message string }
				r.json(t, &e)
				if e.Name != tc.errName {
					t.Errorf("name %s; want %s", e.Name, tc.errName)
				}
			}
			if tc.check != nil {
				tc.check(t, r.body)
			}
		})
	}
}

func TestOdoo_JSON2RequireAuth(t *testing.T) {
	_, base := startTest(t, Options{RequireAuth: true})
	r := send(t, base, "POST", "/odoo/json/2/res.partner/read", `{"ids":[70]}`, nil)
	var e struct{ Name, Message string }
	r.json(t, &e)
	if r.status != http.StatusUnauthorized || e.Name != "werkzeug.exceptions.Unauthorized" || e.Message != "Invalid apikey" {
		t.Errorf("got %d %s; want 401 Invalid apikey", r.status, r.body)
	}
}

func mustJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
}
