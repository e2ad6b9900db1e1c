package democrm

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	crmdialect "github.com/crmguard/crmguard/internal/dialect"
)

// Seeded ids the tests name: suiteID is a pure function of module and
// sequence, so these are golden values.
const (
	scContact1 = "c18d869d-da09-440d-a366-d2786c285684" // Contacts #1, Kofi Knuth with seed 0
	scAccount1 = "17e34749-5fdb-4853-b9b2-482c1a724529" // Accounts #1
	scMissing  = "0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"
	scBase     = "/suitecrm/Api/V8/module"
)

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// suiteResource is a JSON:API resource object as SuiteCRM sends it.
type suiteResource struct {
	Type          string         `json:"type"`
	ID            string         `json:"id"`
	Attributes    map[string]any `json:"attributes"`
	Relationships map[string]struct {
		Links struct{ Related string } `json:"links"`
	} `json:"relationships"`
	Links struct{ Self string } `json:"links"`
}

// suiteListDoc is a list document.
type suiteListDoc struct {
	Meta struct {
		TotalPages int    `json:"total-pages"`
		OnPage     int    `json:"records-on-this-page"`
		Message    string `json:"message"`
	} `json:"meta"`
	Data  []suiteResource
	Links map[string]*string
}

// suiteOneDoc is a one-record document.
type suiteOneDoc struct{ Data suiteResource }

// suiteV8Err is the V8 error object.
type suiteV8Err struct {
	Errors struct {
		Status int     `json:"status"`
		Title  *string `json:"title"`
		Detail string  `json:"detail"`
	} `json:"errors"`
}

// suiteOAuthBody is an OAuth server answer, error or token.
type suiteOAuthBody struct {
	Error, Message, Hint string
	TokenType            string `json:"token_type"`
	ExpiresIn            int    `json:"expires_in"`
	AccessToken          string `json:"access_token"`
	RefreshToken         string `json:"refresh_token"`
}

// dialectClass is the class crmguard's SuiteCRM dialect gives an answer,
// as the gateway sees it: the path below the upstream's /suitecrm base.
func dialectClass(method, path string, r reply) string {
	path, _, _ = strings.Cut(strings.TrimPrefix(path, "/suitecrm"), "?")
	return crmdialect.SuiteCRM{}.Classify(&crmdialect.Response{
		Method: method, Path: path, Status: r.status, Header: r.header, Body: r.body,
	}).Class.String()
}

// scDetail returns a V8 error's detail, failing unless the body is one.
func scDetail(t *testing.T, r reply) string {
	t.Helper()
	var e suiteV8Err
	r.json(t, &e)
	if e.Errors.Status != http.StatusBadRequest || e.Errors.Title != nil || e.Errors.Detail == "" {
		t.Fatalf("body %s; want a V8 error object with status 400, title null and a detail", r.body)
	}
	return e.Errors.Detail
}

func jsonHeader(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

func TestSuiteCRM_Requests(t *testing.T) {
	form := jsonHeader("Content-Type", "application/x-www-form-urlencoded")
	tests := []struct {
		name, method, path, body string
		header                   http.Header
		status                   int
		detail                   string // the V8 error detail, for a 400
		class                    string // the class the server counts; "" for ok
		// dialect is the class crmguard's dialect reads instead, where
		// SuiteCRM's answer misleads it; "" when it agrees.
		dialect string
		check   func(t *testing.T, r reply, base string)
	}{
		{name: "list with paging and fields", method: "GET", path: scBase + "/Contacts?fields[Contacts]=first_name,last_name&page[size]=10&page[number]=2", status: 200,
			check: func(t *testing.T, r reply, _ string) {
				var l suiteListDoc
				r.json(t, &l)
				if l.Meta.TotalPages != 30 || l.Meta.OnPage != 10 || len(l.Data) != 10 {
					t.Fatalf("meta %+v with %d records; want 30 pages and 10 records", l.Meta, len(l.Data))
				}
				for _, d := range l.Data {
					if d.Type != "Contact" || !uuidV4.MatchString(d.ID) || len(d.Attributes) != 2 || d.Attributes["last_name"] == "" {
						t.Errorf("record %+v; want a Contact with a v4 id and only first_name and last_name", d)
					}
				}
				if !slices.IsSortedFunc(l.Data, func(a, b suiteResource) int { return strings.Compare(a.ID, b.ID) }) {
					t.Error("records are not in id order")
				}
				want := map[string]string{"first": "1", "prev": "1", "next": "3", "last": "30"}
				for k, n := range want {
					link := "/V8/module/Contacts?fields[Contacts]=first_name,last_name&page[size]=10&page[number]=" + n
					if l.Links[k] == nil || *l.Links[k] != link {
						t.Errorf("links.%s = %v; want %s", k, l.Links[k], link)
					}
				}
				if !strings.HasPrefix(string(r.body), "{\n    \"meta\": {") {
					t.Errorf("body starts %.40q; want pretty-printed JSON with meta first", r.body)
				}
			}},
		{name: "list last page", method: "GET", path: scBase + "/Contacts?page[size]=100&page[number]=3", status: 200,
			check: func(t *testing.T, r reply, _ string) {
				var l suiteListDoc
				r.json(t, &l)
				if len(l.Data) != 100 || l.Links["next"] != nil || l.Links["last"] != nil || l.Links["prev"] == nil {
					t.Errorf("%d records, links %v; want 100, a prev link and no next", len(l.Data), l.Links)
				}
			}},
		{name: "list without paging returns everything", method: "GET", path: scBase + "/Accounts", status: 200,
			check: func(t *testing.T, r reply, _ string) {
				var l suiteListDoc
				r.json(t, &l)
				if len(l.Data) != seedCompanies || l.Meta.TotalPages != 0 || l.Links != nil {
					t.Errorf("%d records, meta %+v; want %d and no pagination", len(l.Data), l.Meta, seedCompanies)
				}
			}},
		{name: "list sorted descending", method: "GET", path: scBase + "/Accounts?sort=-name&page[size]=60", status: 200,
			check: func(t *testing.T, r reply, _ string) {
				var l suiteListDoc
				r.json(t, &l)
				names := make([]string, len(l.Data))
				for i, d := range l.Data {
					names[i] = strings.ToLower(d.Attributes["name"].(string))
				}
				if len(names) != seedCompanies || !slices.IsSortedFunc(names, func(a, b string) int { return strings.Compare(b, a) }) {
					t.Errorf("names %v; want all accounts by name, descending", names)
				}
			}},
		{name: "list filtered by equality", method: "GET", path: scBase + "/Contacts?filter[last_name][eq]=knuth&fields[Contacts]=last_name", status: 200,
			check: func(t *testing.T, r reply, _ string) {
				var l suiteListDoc
				r.json(t, &l)
				if len(l.Data) == 0 {
					t.Fatal("no Knuth found; the first seeded contact is one")
				}
				for _, d := range l.Data {
					if d.Attributes["last_name"] != "Knuth" {
						t.Errorf("record %+v does not match the filter", d)
					}
				}
			}},
		{name: "list past the last page", method: "GET", path: scBase + "/Contacts?page[size]=10&page[number]=31", status: 200,
			check: func(t *testing.T, r reply, _ string) {
				var l suiteListDoc
				r.json(t, &l)
				if len(l.Data) != 0 || l.Meta.Message != "Request was successful, but there is no result" {
					t.Errorf("body %s; want no data and the no-result message", r.body)
				}
			}},
		{name: "get", method: "GET", path: scBase + "/Contacts/" + scContact1, status: 200,
			check: func(t *testing.T, r reply, _ string) {
				var one suiteOneDoc
				r.json(t, &one)
				a := one.Data.Attributes
				if one.Data.Type != "Contact" || one.Data.ID != scContact1 || a["id"] != nil {
					t.Errorf("data %s %s; want Contact %s without an id attribute", one.Data.Type, one.Data.ID, scContact1)
				}
				for k, re := range map[string]string{
					"first_name": `^Kofi$`, "last_name": `^Knuth$`, "email1": `@.*\.example$`, "phone_work": `^\+`, "phone_mobile": `^\+`,
					"birthdate": `^\d{4}-\d\d-\d\d$`, "description": `^$`, "account_id": `^[0-9a-f-]{36}$`, "deleted": `^0$`,
					"date_entered": `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$`, "date_modified": `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$`,
					"account_name": `\w`, "full_name": `^Kofi Knuth$`,
				} {
					if s, ok := a[k].(string); !ok || !regexp.MustCompile(re).MatchString(s) {
						t.Errorf("attribute %s = %#v; want a string matching %s", k, a[k], re)
					}
				}
				rel := one.Data.Relationships["Accounts"].Links.Related
				if rel != "/V8/module/Contacts/"+scContact1+"/relationships/accounts" {
					t.Errorf("Accounts related link %q", rel)
				}
				if r.header.Get("Content-Type") != "application/vnd.api+json" || r.header.Get("Access-Control-Allow-Origin") != "*" {
					t.Errorf("headers %v; want the JSON:API media type and SuiteCRM's CORS headers", r.header)
				}
			}},
		{name: "get named fields", method: "GET", path: scBase + "/Contacts/" + scContact1 + "?fields[Contacts]=email1,id", status: 200,
			check: func(t *testing.T, r reply, _ string) {
				var one suiteOneDoc
				r.json(t, &one)
				if len(one.Data.Attributes) != 1 || one.Data.Attributes["email1"] == nil {
					t.Errorf("attributes %v; want email1 alone", one.Data.Attributes)
				}
			}},
		{name: "get by the module's alias and an id in capitals", method: "GET", path: "/suitecrm/legacy/Api/V8/module/Contact/" + strings.ToUpper(scContact1), status: 200},
		{name: "get missing record", method: "GET", path: scBase + "/Contacts/" + scMissing, status: 400, class: "not_found",
			detail: "Contacts module with id " + scMissing + " is not found"},
		{name: "get from unknown module", method: "GET", path: scBase + "/Widgets/" + scMissing, status: 400, class: "parameter", dialect: "not_found",
			detail: "Module with name Widgets is not found"},
		{name: "get with a malformed id", method: "GET", path: scBase + "/Contacts/abc", status: 400, class: "parameter",
			detail: `The option "id" with value "abc" is invalid.`},
		{name: "get unknown field", method: "GET", path: scBase + "/Contacts/" + scContact1 + "?fields[Contacts]=email1,shoe_size", status: 400, class: "parameter",
			detail: "The following field in Contact module is not found: shoe_size"},
		{name: "list unknown module", method: "GET", path: scBase + "/Widgets", status: 400, class: "parameter",
			detail: "Module Widgets does not exist"},
		{name: "list unknown parameter", method: "GET", path: scBase + "/Contacts?limit=5", status: 400, class: "parameter",
			detail: `The option "limit" does not exist. Defined options are: "fields", "filter", "moduleName", "page", "sort".`},
		{name: "list page size zero", method: "GET", path: scBase + "/Contacts?page[size]=0", status: 400, class: "parameter",
			detail: `The option "size" with value "0" is invalid.`},
		{name: "list unknown sort field", method: "GET", path: scBase + "/Contacts?sort=-shoe_size", status: 400, class: "parameter",
			detail: "Sort field shoe_size in Contact module is not found"},
		{name: "list unknown filter field", method: "GET", path: scBase + "/Contacts?filter[shoe_size][eq]=44", status: 400, class: "parameter",
			detail: "Filter field shoe_size in Contact module is not found"},
		{name: "list filter joined by a comparison", method: "GET", path: scBase + "/Contacts?filter[operator]=eq&filter[last_name][eq]=Knuth", status: 400, class: "server",
			detail: "Database failure. Please refer to suitecrm.log for details."},
		{name: "create then get it back", method: "POST", path: scBase, status: 201,
			header: jsonHeader("Content-Type", "application/vnd.api+json"),
			body:   `{"data":{"type":"Contacts","attributes":{"first_name":"Grace","last_name":"Hopper","birthdate":"1906-12-09","email1":"grace@navy.example"}}}`,
			check: func(t *testing.T, r reply, base string) {
				var one suiteOneDoc
				r.json(t, &one)
				if !uuidV4.MatchString(one.Data.ID) || one.Data.Attributes["last_name"] != "Hopper" || one.Data.Attributes["created_by"] != "1" {
					t.Fatalf("created %s", r.body)
				}
				if rel := one.Data.Relationships["Accounts"].Links.Related; rel != "/V8/module/"+one.Data.ID+"/relationships/accounts" {
					t.Errorf("related link %q; want SuiteCRM's, built on the create path", rel)
				}
				got := send(t, base, "GET", scBase+"/Contacts/"+one.Data.ID, "", nil)
				var back suiteOneDoc
				got.json(t, &back)
				if got.status != 200 || back.Data.Attributes["birthdate"] != "1906-12-09" || back.Data.Attributes["email1"] != "grace@navy.example" {
					t.Errorf("read back %d %s", got.status, got.body)
				}
			}},
		{name: "create with a client id, twice", method: "POST", path: scBase, status: 201,
			body: `{"data":{"type":"Contacts","id":"` + scMissing + `","attributes":{"last_name":"Twice"}}}`,
			check: func(t *testing.T, r reply, base string) {
				body := `{"data":{"type":"Contacts","id":"` + scMissing + `","attributes":{"last_name":"Twice"}}}`
				again := send(t, base, "POST", scBase, body, nil)
				if d := scDetail(t, again); d != "Bean Contacts with id "+scMissing+" is already exist" || dialectClass("POST", scBase, again) != "conflict" {
					t.Errorf("second create: %q read as %s; want the already-exist conflict", d, dialectClass("POST", scBase, again))
				}
			}},
		{name: "create with malformed JSON", method: "POST", path: scBase, body: `{"data":{"type":"Contacts"`, status: 400, class: "parameter",
			detail: `The required option "data" is missing.`},
		{name: "create of unknown type", method: "POST", path: scBase, body: `{"data":{"type":"Widgets","attributes":{"name":"x"}}}`, status: 400, class: "parameter",
			detail: "Module Widgets does not exist"},
		{name: "create with the type in lower case", method: "POST", path: scBase, body: `{"data":{"type":"contacts","attributes":{"last_name":"x"}}}`, status: 400, class: "parameter",
			detail: "Module contacts does not exist"},
		{name: "create with a number as type", method: "POST", path: scBase, body: `{"data":{"type":5,"attributes":{"last_name":"x"}}}`, status: 400, class: "parameter",
			detail: `The option "type" with value 5 is expected to be of type "string", but is of type "int".`},
		{name: "create with unknown attribute", method: "POST", path: scBase, body: `{"data":{"type":"Contacts","attributes":{"last_name":"x","shoe_size":"44"}}}`, status: 400, class: "parameter",
			detail: "Property shoe_size in Contact module is invalid"},
		{name: "create with a blank attribute", method: "POST", path: scBase, body: `{"data":{"type":"Contacts","attributes":{"last_name":"x","description":""}}}`, status: 400, class: "parameter",
			detail: `The option "attributes" with value array is invalid.`},
		{name: "create with a malformed id", method: "POST", path: scBase, body: `{"data":{"type":"Contacts","id":"42x","attributes":{"last_name":"x"}}}`, status: 400, class: "parameter",
			detail: `The option "id" with value "42x" is invalid.`},
		{name: "create with JSON:API relationships", method: "POST", path: scBase, body: `{"data":{"type":"Contacts","attributes":{"last_name":"x"},"relationships":{"accounts":{"data":[]}}}}`, status: 400, class: "parameter",
			detail: `The option "relationships" does not exist. Defined options are: "attributes", "id", "type".`},
		{name: "create with a scalar body", method: "POST", path: scBase, body: `"data"`, header: jsonHeader("Accept", "application/vnd.api+json"), status: 500, class: "server",
			check: func(t *testing.T, r reply, _ string) {
				if !strings.Contains(string(r.body), `"message": "Slim Application Error"`) {
					t.Errorf("body %s; want Slim's error in JSON", r.body)
				}
			}},
		{name: "patch", method: "PATCH", path: scBase, status: 200,
			body: `{"data":{"type":"Contacts","id":"` + scContact1 + `","attributes":{"title":"VP Sales","do_not_call":1}}}`,
			check: func(t *testing.T, r reply, _ string) {
				var one suiteOneDoc
				r.json(t, &one)
				if one.Data.Attributes["title"] != "VP Sales" || one.Data.Attributes["do_not_call"] != "1" || one.Data.Attributes["last_name"] != "Knuth" {
					t.Errorf("updated %v", one.Data.Attributes)
				}
			}},
		{name: "patch without id", method: "PATCH", path: scBase, body: `{"data":{"type":"Contacts","attributes":{"title":"x"}}}`, status: 400, class: "parameter",
			detail: `The required option "id" is missing.`},
		{name: "patch missing record", method: "PATCH", path: scBase, body: `{"data":{"type":"Accounts","id":"` + scContact1 + `","attributes":{"name":"x"}}}`, status: 400, class: "not_found",
			detail: "Accounts module with id " + scContact1 + " is not found"},
		{name: "delete then get", method: "DELETE", path: scBase + "/Contacts/" + scContact1, status: 200,
			check: func(t *testing.T, r reply, base string) {
				var l suiteListDoc
				r.json(t, &l)
				if l.Meta.Message != "Record with id "+scContact1+" is deleted" {
					t.Errorf("body %s", r.body)
				}
				got := send(t, base, "GET", scBase+"/Contacts/"+scContact1, "", nil)
				if d := scDetail(t, got); d != "Contacts module with id "+scContact1+" is not found" || dialectClass("GET", scBase, got) != "not_found" {
					t.Errorf("read after delete: %q", d)
				}
			}},
		{name: "delete missing record", method: "DELETE", path: scBase + "/Accounts/" + scMissing, status: 400, class: "not_found",
			detail: "Accounts module with id " + scMissing + " is not found"},
		{name: "contact's account", method: "GET", path: scBase + "/Contacts/" + scContact1 + "/relationships/accounts", status: 200,
			check: func(t *testing.T, r reply, _ string) {
				var l suiteListDoc
				r.json(t, &l)
				if len(l.Data) != 1 || l.Data[0].Type != "Account" || l.Data[0].Links.Self != "/V8/module/Account/"+l.Data[0].ID {
					t.Errorf("body %s; want one Account with a self link", r.body)
				}
			}},
		{name: "account's contacts", method: "GET", path: scBase + "/Accounts/" + scAccount1 + "/relationships/contacts", status: 200,
			check: func(t *testing.T, r reply, base string) {
				var l suiteListDoc
				r.json(t, &l)
				for _, d := range l.Data {
					got := send(t, base, "GET", scBase+"/Contacts/"+d.ID+"?fields[Contacts]=account_id", "", nil)
					var one suiteOneDoc
					got.json(t, &one)
					if one.Data.Attributes["account_id"] != scAccount1 {
						t.Errorf("contact %s has account %v", d.ID, one.Data.Attributes["account_id"])
					}
				}
			}},
		{name: "empty link", method: "GET", path: scBase + "/Contacts/" + scContact1 + "/relationships/notes", status: 200,
			check: func(t *testing.T, r reply, _ string) {
				var l suiteListDoc
				r.json(t, &l)
				if l.Meta.Message != "There is no relationship set in Contact module with notes link field" {
					t.Errorf("body %s", r.body)
				}
			}},
		{name: "unknown link", method: "GET", path: scBase + "/Contacts/" + scContact1 + "/relationships/shoes", status: 400, class: "parameter",
			detail: "Cannot load relationship shoes for Contact module"},
		{name: "relate then read the link", method: "POST", path: scBase + "/Contacts/" + scContact1 + "/relationships", status: 201,
			body: `{"data":{"type":"Accounts","id":"` + scAccount1 + `"}}`,
			check: func(t *testing.T, r reply, base string) {
				var l suiteListDoc
				r.json(t, &l)
				if l.Meta.Message != "Account with id "+scAccount1+" has been added to Contact with id "+scContact1 {
					t.Errorf("body %s", r.body)
				}
				got := send(t, base, "GET", scBase+"/Contacts/"+scContact1+"/relationships/accounts", "", nil)
				got.json(t, &l)
				if len(l.Data) != 1 || l.Data[0].ID != scAccount1 {
					t.Errorf("link after relate: %s", got.body)
				}
			}},
		{name: "relate two contacts", method: "POST", path: scBase + "/Contacts/" + scContact1 + "/relationships", status: 400, class: "parameter",
			body:   `{"data":{"type":"Contacts","id":"` + scContact1 + `"}}`,
			detail: "Link field has not found in Contact to determine relationship for Contact"},
		{name: "relate to a missing account", method: "POST", path: scBase + "/Contacts/" + scContact1 + "/relationships", status: 400, class: "not_found",
			body: `{"data":{"type":"Accounts","id":"` + scMissing + `"}}`, detail: "Accounts module with id " + scMissing + " is not found"},
		{name: "unrelate an account not linked", method: "DELETE", path: scBase + "/Contacts/" + scContact1 + "/relationships/accounts/" + suiteID("Accounts", 9), status: 400, class: "parameter",
			detail: "Module with " + suiteID("Accounts", 9) + " id is not related to Contact"},
		{name: "unrelate the contact's account", method: "GET", path: scBase + "/Contacts/" + scContact1 + "/relationships/accounts", status: 200,
			check: func(t *testing.T, r reply, base string) {
				var l suiteListDoc
				r.json(t, &l)
				acc := l.Data[0].ID
				del := send(t, base, "DELETE", scBase+"/Contacts/"+scContact1+"/relationships/accounts/"+acc, "", nil)
				del.json(t, &l)
				if del.status != 200 || l.Meta.Message != "Relationship has been deleted between Contact with id "+scContact1+" and Account with id "+acc {
					t.Errorf("unrelate: %d %s", del.status, del.body)
				}
				got := send(t, base, "GET", scBase+"/Contacts/"+scContact1+"/relationships/accounts", "", nil)
				if l = (suiteListDoc{}); json.Unmarshal(got.body, &l) != nil || len(l.Data) != 0 {
					t.Errorf("link after unrelate: %s", got.body)
				}
			}},
		{name: "unknown path under /Api", method: "GET", path: "/suitecrm/Api/V8/modules", status: 404, class: "parameter", dialect: "not_found",
			header: jsonHeader("Accept", "application/vnd.api+json"),
			check: func(t *testing.T, r reply, _ string) {
				if string(r.body) != `{"message":"Not found"}` {
					t.Errorf("body %s; want Slim's JSON 404", r.body)
				}
			}},
		{name: "path outside /Api", method: "GET", path: "/suitecrm/index.php", status: 404, class: "parameter", dialect: "not_found"},
		{name: "method the route does not take", method: "PUT", path: scBase + "/Contacts/" + scContact1, status: 405, class: "parameter",
			check: func(t *testing.T, r reply, _ string) {
				if r.header.Get("Allow") != "GET, DELETE" {
					t.Errorf("Allow %q", r.header.Get("Allow"))
				}
			}},
		{name: "token by client credentials", method: "POST", path: "/suitecrm/Api/access_token", header: form, status: 200,
			body: "grant_type=client_credentials&client_id=9f2c1d4e-6b8a-4c3e-a1d5-7e0f2b4c6d8a&client_secret=s3cret",
			check: func(t *testing.T, r reply, _ string) {
				var tok suiteOAuthBody
				r.json(t, &tok)
				if tok.TokenType != "Bearer" || tok.ExpiresIn != 3600 || strings.Count(tok.AccessToken, ".") != 2 || tok.RefreshToken != "" {
					t.Errorf("token %s; want a Bearer JWT for an hour, no refresh token", r.body)
				}
				if r.header.Get("Cache-Control") != "no-store" {
					t.Errorf("Cache-Control %q", r.header.Get("Cache-Control"))
				}
			}},
		{name: "token by password in JSON", method: "POST", path: "/suitecrm/Api/access_token", status: 200,
			body: `{"grant_type":"password","client_id":"c","client_secret":"s","username":"admin","password":"admin"}`,
			check: func(t *testing.T, r reply, _ string) {
				var tok suiteOAuthBody
				r.json(t, &tok)
				if !strings.HasPrefix(tok.RefreshToken, "def50200") {
					t.Errorf("token %s; want a refresh token", r.body)
				}
			}},
		{name: "token with an unsupported grant", method: "POST", path: "/suitecrm/Api/access_token", header: form, body: "grant_type=authorization_code", status: 400, class: "parameter"},
		{name: "token without client id", method: "POST", path: "/suitecrm/Api/access_token", header: form, body: "grant_type=client_credentials", status: 400, class: "parameter",
			check: func(t *testing.T, r reply, _ string) {
				var e suiteOAuthBody
				r.json(t, &e)
				if e.Error != "invalid_request" || e.Hint != "Check the `client_id` parameter" {
					t.Errorf("body %s", r.body)
				}
			}},
		{name: "token without client secret", method: "POST", path: "/suitecrm/Api/access_token", header: form, body: "grant_type=client_credentials&client_id=c", status: 401, class: "auth",
			check: func(t *testing.T, r reply, _ string) {
				if r.header.Get("WWW-Authenticate") != `Basic realm="OAuth"` {
					t.Errorf("WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
				}
			}},
		{name: "logout without a token", method: "POST", path: "/suitecrm/Api/V8/logout", status: 400, class: "auth", dialect: "parameter",
			detail: "The resource owner or authorization server denied the request."},
		{name: "logout with a token never issued", method: "POST", path: "/suitecrm/Api/V8/logout", status: 400, class: "auth", dialect: "not_found",
			header: jsonHeader("Authorization", "Bearer "+suiteSampleToken()), detail: "Access token is not found for this client"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, base := startTest(t, Options{})
			r := send(t, base, tc.method, tc.path, tc.body, tc.header)
			if r.status != tc.status {
				t.Fatalf("status %d; want %d (body %s)", r.status, tc.status, r.body)
			}
			class := tc.class
			if class == "" {
				class = "ok"
			}
			if got := s.Answered(); got[class] != 1 {
				t.Errorf("Answered() = %v; want one %s", got, class)
			}
			want := class
			if tc.dialect != "" {
				want = tc.dialect
			}
			if got := dialectClass(tc.method, tc.path, r); got != want {
				t.Errorf("crmguard's SuiteCRM dialect reads %s; want %s", got, want)
			}
			if tc.detail != "" {
				if got := scDetail(t, r); got != tc.detail {
					t.Errorf("detail %q; want %q", got, tc.detail)
				}
			}
			if tc.check != nil {
				tc.check(t, r, base)
			}
		})
	}
}

// TestSuiteCRM_MediaTypes checks who answers in which media type:
// controllers in JSON:API, ParamsMiddleware in Slim's JSON.
func TestSuiteCRM_MediaTypes(t *testing.T) {
	_, base := startTest(t, Options{})
	tests := []struct{ path, want string }{
		{scBase + "/Contacts/" + scContact1, "application/vnd.api+json"},
		{scBase + "/Contacts/" + scMissing, "application/vnd.api+json"},
		{scBase + "/Contacts?page[size]=0", "application/json;charset=utf-8"},
	}
	for _, tc := range tests {
		if got := send(t, base, "GET", tc.path, "", nil).header.Get("Content-Type"); got != tc.want {
			t.Errorf("GET %s: Content-Type %q; want %q", tc.path, got, tc.want)
		}
	}
}

func TestSuiteCRM_RequireAuth(t *testing.T) {
	clock := newFakeClock()
	_, base := startTest(t, Options{RequireAuth: true, Now: clock.Now})
	record := scBase + "/Contacts/" + scContact1
	bearer := func(tok string) http.Header { return jsonHeader("Authorization", "Bearer "+tok) }
	denied := func(t *testing.T, r reply, hint string) {
		t.Helper()
		var e suiteOAuthBody
		r.json(t, &e)
		if r.status != 401 || e.Error != "access_denied" || e.Hint != hint || dialectClass("GET", record, r) != "auth" {
			t.Errorf("got %d %s; want 401 access_denied with hint %q", r.status, r.body, hint)
		}
	}
	denied(t, send(t, base, "GET", record, "", nil), `Missing "Authorization" header`)
	denied(t, send(t, base, "GET", record, "", bearer("opaque-token")), "The JWT string must have two dots")
	if r := send(t, base, "GET", record, "", bearer(suiteSampleToken())); r.status != 200 {
		t.Errorf("sample token: status %d; want 200", r.status)
	}
	// The token endpoint itself needs no token.
	r := send(t, base, "POST", "/suitecrm/Api/access_token", "grant_type=client_credentials&client_id=c&client_secret=s",
		jsonHeader("Content-Type", "application/x-www-form-urlencoded"))
	var tok suiteOAuthBody
	r.json(t, &tok)
	if r := send(t, base, "GET", record, "", bearer(tok.AccessToken)); r.status != 200 {
		t.Fatalf("issued token: status %d; want 200", r.status)
	}
	clock.Advance(time.Hour)
	denied(t, send(t, base, "GET", record, "", bearer(tok.AccessToken)), "Access token is invalid")

	r = send(t, base, "POST", "/suitecrm/Api/access_token", "grant_type=client_credentials&client_id=c&client_secret=s",
		jsonHeader("Content-Type", "application/x-www-form-urlencoded"))
	r.json(t, &tok)
	out := send(t, base, "POST", "/suitecrm/Api/V8/logout", "", bearer(tok.AccessToken))
	var l suiteListDoc
	out.json(t, &l)
	if out.status != 200 || l.Meta.Message != "You have been successfully logged out" {
		t.Fatalf("logout: %d %s", out.status, out.body)
	}
	denied(t, send(t, base, "GET", record, "", bearer(tok.AccessToken)), "Access token has been revoked")
}

// TestSuiteCRM_Drift forces drift on two reads and checks that the
// answers look healthy but changed shape, and that the server counts
// them.
func TestSuiteCRM_Drift(t *testing.T) {
	// OnFault runs after the answer is sent, so the test waits for it.
	faults := make(chan Fault, 4)
	s, base := startTest(t, Options{OnFault: func(f Fault) { faults <- f }})
	if err := s.Inject(FaultSpec{Kind: Drift}, 2); err != nil {
		t.Fatal(err)
	}
	// Neither a write nor a read of a missing record has records to
	// drift, so the injections wait for the reads.
	send(t, base, "PATCH", scBase, `{"data":{"type":"Contacts","id":"`+scContact1+`","attributes":{"title":"CTO"}}}`, nil)
	send(t, base, "GET", scBase+"/Contacts/"+scMissing, "", nil)
	if s.Pending() != 2 {
		t.Fatalf("Pending() = %d after a write and a failed read; want 2", s.Pending())
	}
	drifted := func(t *testing.T, res suiteResource) {
		t.Helper()
		a := res.Attributes
		if _, ok := a["last_name"]; ok {
			t.Errorf("last_name present in a drifted record: %v", a)
		}
		if a["deleted"] != float64(0) {
			t.Errorf("deleted = %#v; want the number 0", a["deleted"])
		}
		if _, ok := a["date_entered"].(float64); !ok {
			t.Errorf("date_entered = %#v; want a number", a["date_entered"])
		}
		if a["first_name"] == nil || a["email1"] == nil {
			t.Errorf("attributes %v; want the others as before", a)
		}
	}
	r := send(t, base, "GET", scBase+"/Contacts/"+scContact1, "", nil)
	if r.status != 200 || dialectClass("GET", scBase, r) != "ok" {
		t.Fatalf("drifted read: status %d read as %s; want 200 that looks ok", r.status, dialectClass("GET", scBase, r))
	}
	var one suiteOneDoc
	r.json(t, &one)
	drifted(t, one.Data)

	r = send(t, base, "GET", scBase+"/Contacts?page[size]=3", "", nil)
	var l suiteListDoc
	r.json(t, &l)
	if len(l.Data) != 3 {
		t.Fatalf("drifted list: %s", r.body)
	}
	for _, res := range l.Data {
		drifted(t, res)
	}

	r = send(t, base, "GET", scBase+"/Contacts/"+scContact1, "", nil)
	one = suiteOneDoc{}
	r.json(t, &one)
	if one.Data.Attributes["last_name"] != "Knuth" || one.Data.Attributes["deleted"] != "0" {
		t.Errorf("third read drifted too: %v", one.Data.Attributes)
	}
	if got := s.InjectedByKind(); got[Drift] != 2 || len(got) != 1 {
		t.Errorf("InjectedByKind() = %v; want drift: 2", got)
	}
	if got := s.Injected(); got["version"] != 2 {
		t.Errorf("Injected() = %v; want version: 2", got)
	}
	if got := s.Answered(); got["version"] != 2 {
		t.Errorf("Answered() = %v; want version: 2", got)
	}
	for i, path := range []string{"/Api/V8/module/Contacts/" + scContact1, "/Api/V8/module/Contacts"} {
		select {
		case f := <-faults:
			if f.Kind != Drift || f.Status != 200 || f.Class != "version" || f.Dialect != SuiteCRM || f.Path != path {
				t.Errorf("OnFault saw %+v; want a drift of %s answered 200", f, path)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("OnFault saw %d drifts; want 2", i)
		}
	}
}

// TestServer_Seen checks the request log: every dialect, the requests
// that got a fault (a reset too) and those naming no dialect.
func TestServer_Seen(t *testing.T) {
	s, base := startTest(t, Options{})
	if err := s.Inject(FaultSpec{Kind: Reset, Dialect: SuiteCRM}, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := trySend(base, "GET", scBase+"/Contacts?page[size]=1", "", nil); err == nil {
		t.Error("the reset request got an answer")
	}
	send(t, base, "POST", scBase, `{"data":{"type":"Contacts","attributes":{"last_name":"Seen"}}}`, nil)
	send(t, base, "GET", "/hubspot/crm/v3/objects/contacts/1001", "", nil)
	send(t, base, "GET", "/zoho/crm/v8/Leads", "", nil)
	want := []SeenRequest{
		{Dialect: SuiteCRM, Method: "GET", Path: "/Api/V8/module/Contacts", Query: "page[size]=1"},
		{Dialect: SuiteCRM, Method: "POST", Path: "/Api/V8/module"},
		{Dialect: HubSpot, Method: "GET", Path: "/crm/v3/objects/contacts/1001"},
		{Dialect: "", Method: "GET", Path: "/zoho/crm/v8/Leads"},
	}
	got := s.Seen()
	for i := range got {
		if got[i].At.IsZero() {
			t.Errorf("entry %d has no time", i)
		}
		got[i].At = time.Time{}
	}
	if !slices.Equal(got, want) {
		t.Errorf("Seen() = %+v; want %+v", got, want)
	}
	s.ResetCounters()
	if n := len(s.Seen()); n != 0 {
		t.Errorf("Seen() has %d entries after ResetCounters; want 0", n)
	}
	for i := range SeenLimit + 5 {
		req, _ := http.NewRequest("GET", "/odoo/web/"+string(rune('a'+i%26)), nil)
		s.ServeHTTP(newRecorder(), req)
	}
	if got := s.Seen(); len(got) != SeenLimit || got[0].Path != "/web/f" {
		t.Errorf("Seen() holds %d entries from %s; want %d, the oldest dropped", len(got), got[0].Path, SeenLimit)
	}
}

func TestSuiteCRM_Seed(t *testing.T) {
	st := seed(9)
	contacts, accounts := st.all("suitecrm/Contacts"), st.all("suitecrm/Accounts")
	if len(contacts) != seedPeople || len(accounts) != seedCompanies {
		t.Fatalf("%d contacts and %d accounts; want %d and %d", len(contacts), len(accounts), seedPeople, seedCompanies)
	}
	for i, c := range contacts {
		if c.id != suiteID("Contacts", i+1) || !uuidV4.MatchString(c.id) {
			t.Errorf("contact %d has id %s", i+1, c.id)
		}
		if _, ok := st.get("suitecrm/Accounts", c.fields["account_id"].(string)); !ok {
			t.Errorf("contact %s names a missing account", c.id)
		}
	}
	if contacts[0].id != scContact1 || accounts[0].id != scAccount1 {
		t.Errorf("first ids %s, %s; want the golden %s, %s", contacts[0].id, accounts[0].id, scContact1, scAccount1)
	}
}
