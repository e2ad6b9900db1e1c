package democrm

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestSalesforce_Requests(t *testing.T) {
	const v = "/salesforce/services/data/v62.0"
	contact, account := sfID("003", 42), sfID("001", 7)
	q := func(s string) string { return v + "/query?q=" + url.QueryEscape(s) }
	tests := []struct {
		name, method, path, body string
		status                   int
		code                     string // errorCode of an error answer
		check                    func(t *testing.T, r reply)
	}{
		{name: "version list", method: "GET", path: "/salesforce/services/data/", status: 200, check: func(t *testing.T, r reply) {
			var list []struct{ Label, URL, Version string }
			r.json(t, &list)
			if list[0].Version != "31.0" || list[len(list)-1].URL != "/services/data/v65.0" {
				t.Errorf("versions %v..%v; want 31.0..v65.0", list[0], list[len(list)-1])
			}
			if r.header.Get("Sforce-Limit-Info") != "" {
				t.Error("version list carries Sforce-Limit-Info; the version URI is not counted")
			}
		}},
		{name: "query with limit", method: "GET", path: q("SELECT Id, Name, Email FROM Contact LIMIT 5"), status: 200, check: func(t *testing.T, r reply) {
			var res struct {
				TotalSize int
				Done      bool
				Records   []map[string]any
			}
			r.json(t, &res)
			if res.TotalSize != 5 || !res.Done || len(res.Records) != 5 {
				t.Fatalf("totalSize %d done %v records %d; want 5 true 5", res.TotalSize, res.Done, len(res.Records))
			}
			if len(res.Records[0]) != 4 || res.Records[0]["Email"] == nil {
				t.Errorf("record %v; want attributes, Id, Name, Email", res.Records[0])
			}
		}},
		{name: "count query", method: "GET", path: q("SELECT COUNT() FROM Account"), status: 200, check: func(t *testing.T, r reply) {
			var res struct{ TotalSize int }
			r.json(t, &res)
			if res.TotalSize != seedCompanies {
				t.Errorf("totalSize %d; want %d", res.TotalSize, seedCompanies)
			}
		}},
		{name: "query unknown object", method: "GET", path: q("SELECT Id FROM Foo"), status: 400, code: "INVALID_TYPE"},
		{name: "query unknown field", method: "GET", path: q("SELECT Id, Foo__c FROM Contact"), status: 400, code: "INVALID_FIELD", check: func(t *testing.T, r reply) {
			if msg := sfErrors(t, r)[0].Message; !strings.Contains(msg, "No such column 'Foo__c' on entity 'Contact'") || !strings.Contains(msg, "ERROR at Row:1:Column:12") {
				t.Errorf("message %q", msg)
			}
		}},
		{name: "query without q", method: "GET", path: v + "/query", status: 400, code: "MALFORMED_QUERY"},
		{name: "get record", method: "GET", path: v + "/sobjects/Contact/" + contact, status: 200, check: func(t *testing.T, r reply) {
			var rec map[string]any
			r.json(t, &rec)
			if rec["Id"] != contact || rec["External_Id__c"] != "EXT-00042" || rec["Birthdate"] != nil {
				t.Errorf("record %v", rec)
			}
			if !strings.HasPrefix(string(r.body), `{"attributes":{"type":"Contact"`) {
				t.Errorf("body does not start with attributes: %.60s", r.body)
			}
		}},
		{name: "get record by 15-char id", method: "GET", path: v + "/sobjects/Contact/" + contact[:15], status: 200},
		{name: "get record with fields", method: "GET", path: v + "/sobjects/Account/" + account + "?fields=Name,Phone", status: 200, check: func(t *testing.T, r reply) {
			var rec map[string]any
			r.json(t, &rec)
			if len(rec) != 3 || rec["Name"] == nil {
				t.Errorf("record %v; want attributes, Name, Phone", rec)
			}
		}},
		{name: "get missing record", method: "GET", path: v + "/sobjects/Contact/" + sfID("003", 9999), status: 404, code: "NOT_FOUND"},
		{name: "get malformed id", method: "GET", path: v + "/sobjects/Contact/bogus", status: 404, code: "NOT_FOUND"},
		{name: "unknown object", method: "GET", path: v + "/sobjects/Foo__c/" + contact, status: 404, code: "NOT_FOUND"},
		{name: "create", method: "POST", path: v + "/sobjects/Contact", body: `{"LastName":"Rivera","Email":"j.rivera@example.com"}`, status: 201, check: func(t *testing.T, r reply) {
			var res struct {
				ID      string
				Success bool
				Errors  []any
			}
			r.json(t, &res)
			if len(res.ID) != 18 || !strings.HasPrefix(res.ID, "003") || !res.Success || res.Errors == nil {
				t.Errorf("result %s", r.body)
			}
		}},
		{name: "create with unknown field", method: "POST", path: v + "/sobjects/Contact", body: `{"LastName":"X","Foo__c":1}`, status: 400, code: "INVALID_FIELD"},
		{name: "create with long last name", method: "POST", path: v + "/sobjects/Contact", body: `{"LastName":"` + strings.Repeat("x", 81) + `"}`, status: 400, code: "STRING_TOO_LONG", check: func(t *testing.T, r reply) {
			if e := sfErrors(t, r)[0]; len(e.Fields) != 1 || e.Fields[0] != "LastName" || !strings.Contains(e.Message, "(max length=80)") {
				t.Errorf("error %+v", e)
			}
		}},
		{name: "create without required field", method: "POST", path: v + "/sobjects/Contact", body: `{"FirstName":"Ada"}`, status: 400, code: "REQUIRED_FIELD_MISSING"},
		{name: "create with bad email", method: "POST", path: v + "/sobjects/Contact", body: `{"LastName":"X","Email":"nope"}`, status: 400, code: "INVALID_EMAIL_ADDRESS"},
		{name: "create with bad date", method: "POST", path: v + "/sobjects/Contact", body: `{"LastName":"X","Birthdate":"31/12/1980"}`, status: 400, code: "JSON_PARSER_ERROR"},
		{name: "create with read-only field", method: "POST", path: v + "/sobjects/Contact", body: `{"LastName":"X","Name":"Y"}`, status: 400, code: "INVALID_FIELD_FOR_INSERT_UPDATE"},
		{name: "create with duplicate external id", method: "POST", path: v + "/sobjects/Contact", body: `{"LastName":"X","External_Id__c":"EXT-00001"}`, status: 400, code: "DUPLICATE_VALUE"},
		{name: "create with malformed json", method: "POST", path: v + "/sobjects/Contact", body: `{"LastName":`, status: 400, code: "JSON_PARSER_ERROR"},
		{name: "update", method: "PATCH", path: v + "/sobjects/Contact/" + contact, body: `{"Title":"CEO"}`, status: 204},
		{name: "update missing", method: "PATCH", path: v + "/sobjects/Contact/" + sfID("003", 9999), body: `{"Title":"CEO"}`, status: 404, code: "NOT_FOUND"},
		{name: "delete", method: "DELETE", path: v + "/sobjects/Contact/" + contact, status: 204},
		{name: "method not allowed", method: "PUT", path: v + "/sobjects/Contact/" + contact, body: `{}`, status: 405, code: "METHOD_NOT_ALLOWED"},
		{name: "upsert existing", method: "PATCH", path: v + "/sobjects/Contact/External_Id__c/EXT-00042", body: `{"Title":"CTO"}`, status: 200, check: func(t *testing.T, r reply) {
			if !strings.Contains(string(r.body), `"created":false`) {
				t.Errorf("body %s; want created false", r.body)
			}
		}},
		{name: "upsert existing before v46", method: "PATCH", path: "/salesforce/services/data/v45.0/sobjects/Contact/External_Id__c/EXT-00042", body: `{"Title":"CTO"}`, status: 204},
		{name: "upsert new", method: "PATCH", path: v + "/sobjects/Contact/External_Id__c/EXT-99999", body: `{"LastName":"New"}`, status: 201, check: func(t *testing.T, r reply) {
			if !strings.Contains(string(r.body), `"created":true`) {
				t.Errorf("body %s; want created true", r.body)
			}
		}},
		{name: "upsert by non-external field", method: "PATCH", path: v + "/sobjects/Contact/Email/x@y.z", body: `{}`, status: 404, code: "NOT_FOUND"},
		{name: "collection", method: "POST", path: v + "/composite/sobjects", status: 200,
			body: `{"allOrNone":false,"records":[{"attributes":{"type":"Contact"},"LastName":"A"},{"attributes":{"type":"Contact"},"LastName":"` + strings.Repeat("b", 90) + `"}]}`,
			check: func(t *testing.T, r reply) {
				var res []struct {
					ID      string
					Success bool
					Errors  []struct{ StatusCode string }
				}
				r.json(t, &res)
				if len(res) != 2 || !res[0].Success || res[1].Success || res[1].Errors[0].StatusCode != "STRING_TOO_LONG" {
					t.Errorf("results %s", r.body)
				}
			}},
		{name: "collection all or none", method: "POST", path: v + "/composite/sobjects", status: 200,
			body: `{"allOrNone":true,"records":[{"attributes":{"type":"Contact"},"LastName":"A"},{"attributes":{"type":"Contact"},"Foo__c":"b"}]}`,
			check: func(t *testing.T, r reply) {
				if !strings.Contains(string(r.body), "ALL_OR_NONE_OPERATION_ROLLED_BACK") || strings.Contains(string(r.body), `"success":true`) {
					t.Errorf("results %s", r.body)
				}
			}},
		{name: "limits", method: "GET", path: v + "/limits", status: 200, check: func(t *testing.T, r reply) {
			var res map[string]struct{ Max, Remaining int }
			r.json(t, &res)
			if res["DailyApiRequests"].Max != sfDailyLimit {
				t.Errorf("limits %s", r.body)
			}
		}},
		{name: "describe", method: "GET", path: v + "/sobjects/Account/describe", status: 200},
		{name: "retired version", method: "GET", path: "/salesforce/services/data/v30.0/sobjects/Contact/" + contact, status: 410, code: "GONE"},
		{name: "very old version", method: "GET", path: "/salesforce/services/data/v20.0/query?q=SELECT+Id+FROM+Contact", status: 410, code: "GONE"},
		{name: "future version", method: "GET", path: "/salesforce/services/data/v99.0/limits", status: 404, code: "NOT_FOUND"},
		{name: "deprecated version warns", method: "GET", path: "/salesforce/services/data/v35.0/limits", status: 200, check: func(t *testing.T, r reply) {
			if !strings.HasPrefix(r.header.Get("Warning"), "299 - ") {
				t.Errorf("Warning %q; want a 299 warning", r.header.Get("Warning"))
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, base := startTest(t, Options{})
			r := send(t, base, tc.method, tc.path, tc.body, nil)
			if r.status != tc.status {
				t.Fatalf("status %d; want %d (body %s)", r.status, tc.status, r.body)
			}
			if tc.code != "" {
				if got := sfErrors(t, r)[0].ErrorCode; got != tc.code {
					t.Errorf("errorCode %s; want %s", got, tc.code)
				}
			}
			if strings.Contains(tc.path, "/v") && r.status != 0 && !strings.HasPrefix(r.header.Get("Sforce-Limit-Info"), "api-usage=1/") {
				t.Errorf("Sforce-Limit-Info %q; want api-usage=1/…", r.header.Get("Sforce-Limit-Info"))
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

func TestSalesforce_DeleteTwice(t *testing.T) {
	_, base := startTest(t, Options{})
	path := "/salesforce/services/data/v62.0/sobjects/Contact/" + sfID("003", 3)
	if r := send(t, base, "DELETE", path, "", nil); r.status != http.StatusNoContent {
		t.Fatalf("first delete: status %d; want 204", r.status)
	}
	r := send(t, base, "DELETE", path, "", nil)
	if r.status != http.StatusNotFound || sfErrors(t, r)[0].ErrorCode != "ENTITY_IS_DELETED" {
		t.Errorf("second delete: %d %s; want 404 ENTITY_IS_DELETED", r.status, r.body)
	}
}

func TestSalesforce_RequireAuth(t *testing.T) {
	_, base := startTest(t, Options{RequireAuth: true})
	path := "/salesforce/services/data/v62.0/limits"
	r := send(t, base, "GET", path, "", nil)
	if r.status != http.StatusUnauthorized || sfErrors(t, r)[0].ErrorCode != "INVALID_SESSION_ID" || r.header.Get("WWW-Authenticate") != "Token" {
		t.Errorf("without token: %d %v %s; want 401 INVALID_SESSION_ID", r.status, r.header, r.body)
	}
	if r := send(t, base, "GET", path, "", http.Header{"Authorization": {"Bearer 00Dx!token"}}); r.status != http.StatusOK {
		t.Errorf("with token: status %d; want 200", r.status)
	}
}

func TestSFID(t *testing.T) {
	tests := []struct{ id15, want string }{
		{"001A0000006Vm9r", "001A0000006Vm9rIAC"}, // documented example
		{"003000000000000", "003000000000000AAA"},
	}
	for _, tc := range tests {
		if got := tc.id15 + sfSuffix(tc.id15); got != tc.want {
			t.Errorf("id %s; want %s", got, tc.want)
		}
	}
	id := sfID("003", 1)
	if n, ok := sfNormID(id[:15]); !ok || n != id {
		t.Errorf("sfNormID(%s) = %s, %v; want %s", id[:15], n, ok, id)
	}
}

func TestSFRelease(t *testing.T) {
	for v, want := range map[int]string{31: "Summer '14", 59: "Winter '24", 64: "Summer '25", 65: "Winter '26"} {
		if got := sfRelease(v); got != want {
			t.Errorf("sfRelease(%d) = %s; want %s", v, got, want)
		}
	}
}
