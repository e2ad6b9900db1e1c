package democrm

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/crmguard/crmguard/internal/fault"
)

// Requests the fault tests send, one per shape of request.
const (
	reqSFCreate  = "POST /salesforce/services/data/v62.0/sobjects/Contact"
	reqSFRead    = "GET /salesforce/services/data/v62.0/sobjects/Contact/0035g00000e023jAAA"
	reqSFQuery   = "GET /salesforce/services/data/v62.0/query?q=SELECT+Id+FROM+Account"
	reqSFBatch   = "POST /salesforce/services/data/v62.0/composite/sobjects"
	reqHSCreate  = "POST /hubspot/crm/v3/objects/contacts"
	reqHSRead    = "GET /hubspot/crm/v3/objects/contacts/1001"
	reqHSBatch   = "POST /hubspot/crm/v3/objects/contacts/batch/create"
	reqOdooRPC   = "POST /odoo/jsonrpc"
	reqOdooJSON2 = "POST /odoo/json/2/res.partner/write"
	reqSCRead    = "GET /suitecrm/Api/V8/module/Contacts/" + scContact1
	reqSCList    = "GET /suitecrm/Api/V8/module/Contacts?page[size]=5"
	reqSCCreate  = "POST /suitecrm/Api/V8/module"
)

// bodyFor returns a valid body for one of the requests above.
func bodyFor(req string) string {
	switch req {
	case reqSFCreate:
		return `{"LastName":"Fault","FirstName":"Test"}`
	case reqSFBatch:
		return `{"allOrNone":false,"records":[{"attributes":{"type":"Contact"},"LastName":"A"},{"attributes":{"type":"Contact"},"LastName":"B"},{"attributes":{"type":"Contact"},"LastName":"C"}]}`
	case reqHSCreate:
		return `{"properties":{"lastname":"Fault"}}`
	case reqHSBatch:
		return `{"inputs":[{"properties":{"lastname":"A"}},{"properties":{"lastname":"B"}},{"properties":{"lastname":"C"}}]}`
	case reqOdooRPC:
		return rpc("write", `[[70],{"phone":"+1 555 0100"}]`, `{}`)
	case reqOdooJSON2:
		return `{"ids":[70],"vals":{"phone":"+1 555 0100"}}`
	case reqSCCreate:
		return `{"data":{"type":"Contacts","attributes":{"last_name":"Fault"}}}`
	}
	return ""
}

// Checks on a fault's answer.
func sfCode(code string) func(*testing.T, reply) {
	return func(t *testing.T, r reply) {
		t.Helper()
		if got := sfErrors(t, r)[0].ErrorCode; got != code {
			t.Errorf("errorCode %s; want %s", got, code)
		}
	}
}

func hsCategory(category string) func(*testing.T, reply) {
	return func(t *testing.T, r reply) {
		t.Helper()
		var e hsError
		r.json(t, &e)
		if e.Status != "error" || e.Category != category || e.CorrelationID == "" {
			t.Errorf("body %s; want status error, category %q and a correlationId", r.body, category)
		}
	}
}

func odooRPCError(name string, code int) func(*testing.T, reply) {
	return func(t *testing.T, r reply) {
		t.Helper()
		var res odooReply
		r.json(t, &res)
		if res.Error == nil || res.Error.Data.Name != name || res.Error.Code != code || string(res.ID) != "7" {
			t.Errorf("body %s; want error %s with code %d and id 7", r.body, name, code)
		}
	}
}

func odooJSON2Error(name string) func(*testing.T, reply) {
	return func(t *testing.T, r reply) {
		t.Helper()
		var e struct{ Name, Message string }
		r.json(t, &e)
		if e.Name != name || e.Message == "" {
			t.Errorf("body %s; want %s", r.body, name)
		}
	}
}

func page(contentType, text string) func(*testing.T, reply) {
	return func(t *testing.T, r reply) {
		t.Helper()
		if !strings.HasPrefix(r.header.Get("Content-Type"), contentType) || !strings.Contains(string(r.body), text) {
			t.Errorf("%s body %q; want %s containing %q", r.header.Get("Content-Type"), r.body, contentType, text)
		}
	}
}

func header(name, want string) func(*testing.T, reply) {
	return func(t *testing.T, r reply) {
		t.Helper()
		if got := r.header.Get(name); !strings.HasPrefix(got, want) {
			t.Errorf("%s %q; want prefix %q", name, got, want)
		}
	}
}

func contains(text string) func(*testing.T, reply) {
	return func(t *testing.T, r reply) {
		t.Helper()
		if !strings.Contains(string(r.body), text) {
			t.Errorf("body %s; want it to contain %s", r.body, text)
		}
	}
}

// faultCases lists every fault kind a dialect supports with the answer it
// must produce. TestFaults_Coverage checks the list is complete.
func faultCases() []struct {
	dialect string
	kind    Kind
	req     string
	status  int
	checks  []func(*testing.T, reply)
} {
	type c = struct {
		dialect string
		kind    Kind
		req     string
		status  int
		checks  []func(*testing.T, reply)
	}
	ck := func(fs ...func(*testing.T, reply)) []func(*testing.T, reply) { return fs }
	return []c{
		{Salesforce, Slow, reqSFRead, 200, nil},
		{Salesforce, ServerError, reqSFCreate, 500, ck(sfCode("UNKNOWN_EXCEPTION"), contains("ErrorId"))},
		{Salesforce, Maintenance, reqSFRead, 503, ck(sfCode("SERVER_UNAVAILABLE"), header("Retry-After", "120"))},
		{Salesforce, Quota, reqSFRead, 403, ck(sfCode("REQUEST_LIMIT_EXCEEDED"), contains("TotalRequests Limit exceeded."), header("Sforce-Limit-Info", "api-usage=100001/100000"))},
		{Salesforce, SessionExpired, reqSFRead, 401, ck(sfCode("INVALID_SESSION_ID"), header("WWW-Authenticate", "Token"))},
		{Salesforce, Permission, reqSFCreate, 403, ck(sfCode("INSUFFICIENT_ACCESS_OR_READONLY"))},
		{Salesforce, WrongField, reqSFQuery, 400, ck(sfCode("INVALID_FIELD"), contains(`No such column 'Foo__c' on entity 'Account'`))},
		{Salesforce, WrongField, reqSFCreate, 400, ck(sfCode("INVALID_FIELD"), contains(`No such column 'Foo__c' on sobject of type Contact`))},
		{Salesforce, BadFormat, reqSFCreate, 400, ck(sfCode("STRING_TOO_LONG"), contains(`"fields":["LastName"]`))},
		{Salesforce, RetiredVersion, reqSFRead, 410, ck(sfCode("GONE"))},
		{Salesforce, NotFound, reqSFRead, 404, ck(sfCode("NOT_FOUND"))},
		{Salesforce, Duplicate, reqSFCreate, 400, ck(sfCode("DUPLICATE_VALUE"), contains("duplicate value found: External_Id__c duplicates value on record with id: 003"))},
		{Salesforce, Lock, reqSFCreate, 400, ck(sfCode("UNABLE_TO_LOCK_ROW"))},
		{Salesforce, Partial, reqSFBatch, 200, ck(contains(`{"id":"003`), contains(`{"success":false,"errors":[{"statusCode":"STRING_TOO_LONG"`))},
		{Salesforce, Weird, reqSFRead, 418, ck(page("text/plain", "teapot"))},

		{HubSpot, Slow, reqHSRead, 200, nil},
		{HubSpot, ServerError, reqHSCreate, 500, ck(contains(`"message":"internal error"`), header("X-HubSpot-Correlation-Id", ""))},
		{HubSpot, Maintenance, reqHSRead, 503, ck(page("text/html", "503 Service Temporarily Unavailable"), header("Retry-After", "60"))},
		{HubSpot, Quota, reqHSRead, 429, ck(contains(`"errorType":"RATE_LIMIT"`), contains(`"policyName":"TEN_SECONDLY_ROLLING"`), header("X-HubSpot-RateLimit-Remaining", "0"))},
		{HubSpot, SessionExpired, reqHSRead, 401, ck(hsCategory("EXPIRED_AUTHENTICATION"))},
		{HubSpot, Permission, reqHSCreate, 403, ck(hsCategory("MISSING_SCOPES"), contains("crm.objects.contacts.write"))},
		{HubSpot, WrongField, reqHSCreate, 400, ck(hsCategory("VALIDATION_ERROR"), contains("PROPERTY_DOESNT_EXIST"))},
		{HubSpot, BadFormat, reqHSCreate, 400, ck(hsCategory("VALIDATION_ERROR"), contains("INVALID_EMAIL"))},
		{HubSpot, NotFound, reqHSRead, 404, ck(hsCategory("OBJECT_NOT_FOUND"))},
		{HubSpot, Duplicate, reqHSCreate, 409, ck(hsCategory("CONFLICT"), contains("Contact already exists. Existing ID: "))},
		{HubSpot, Partial, reqHSBatch, 207, ck(contains(`"numErrors":1`), contains(`"category":"VALIDATION_ERROR"`))},
		{HubSpot, Weird, reqHSRead, 418, ck(page("text/plain", "teapot"))},

		{Odoo, Slow, reqOdooRPC, 200, nil},
		{Odoo, ServerError, reqOdooRPC, 200, ck(odooRPCError("builtins.TypeError", 200), contains(`"message":"Odoo Server Error"`))},
		{Odoo, Maintenance, reqOdooRPC, 503, ck(page("text/html", "under maintenance"), header("Retry-After", "300"))},
		{Odoo, SessionExpired, reqOdooRPC, 200, ck(odooRPCError("odoo.http.SessionExpiredException", 100), contains(`"message":"Odoo Session Expired"`))},
		{Odoo, Permission, reqOdooRPC, 200, ck(odooRPCError("odoo.exceptions.AccessError", 200), contains("You are not allowed to modify"))},
		{Odoo, WrongField, reqOdooRPC, 200, ck(odooRPCError("builtins.ValueError", 200), contains("Invalid field"))},
		{Odoo, BadFormat, reqOdooRPC, 200, ck(odooRPCError("odoo.exceptions.ValidationError", 200))},
		{Odoo, NotFound, reqOdooRPC, 200, ck(odooRPCError("odoo.exceptions.MissingError", 200), contains("res.partner(70,)"))},
		{Odoo, Weird, reqOdooRPC, 418, ck(page("text/plain", "teapot"))},
		{Odoo, ServerError, reqOdooJSON2, 500, ck(odooJSON2Error("builtins.TypeError"))},
		{Odoo, SessionExpired, reqOdooJSON2, 401, ck(odooJSON2Error("werkzeug.exceptions.Unauthorized"))},
		{Odoo, Permission, reqOdooJSON2, 403, ck(odooJSON2Error("odoo.exceptions.AccessError"))},
		{Odoo, BadFormat, reqOdooJSON2, 422, ck(odooJSON2Error("odoo.exceptions.ValidationError"))},
		{Odoo, NotFound, reqOdooJSON2, 404, ck(odooJSON2Error("odoo.exceptions.MissingError"))},

		{SuiteCRM, Slow, reqSCRead, 200, nil},
		{SuiteCRM, ServerError, reqSCCreate, 500, ck(page("text/html", "Slim Application Error"))},
		{SuiteCRM, Maintenance, reqSCRead, 503, ck(page("text/html", "503 Service Unavailable"), header("Retry-After", "300"))},
		{SuiteCRM, SessionExpired, reqSCRead, 401, ck(contains(`"error":"access_denied"`), contains(`"hint":"Access token is invalid"`))},
		{SuiteCRM, Permission, reqSCCreate, 400, ck(v8Detail("[AccessDeniedException] "))},
		{SuiteCRM, WrongField, reqSCList, 400, ck(v8Detail("Filter field customer_tier_c in Contact module is not found"))},
		{SuiteCRM, WrongField, reqSCCreate, 400, ck(v8Detail("Property customer_tier_c in Contact module is invalid"))},
		{SuiteCRM, NotFound, reqSCRead, 400, ck(v8Detail("Contacts module with id " + scContact1 + " is not found"))},
		{SuiteCRM, Duplicate, reqSCCreate, 400, ck(contains(`"detail": "Bean Contacts with id `), contains(" is already exist"))},
		{SuiteCRM, Weird, reqSCRead, 418, ck(page("text/plain", "teapot"))},
		{SuiteCRM, Drift, reqSCRead, 200, ck(contains(`"first_name": "Kofi"`), lacks(`"last_name"`), contains(`"deleted": 0,`))},
	}
}

func TestFaults_Answers(t *testing.T) {
	for _, tc := range faultCases() {
		method, path, _ := strings.Cut(tc.req, " ")
		t.Run(fmt.Sprintf("%s/%s/%s", tc.dialect, tc.kind, path), func(t *testing.T) {
			var got []Fault
			s, base := startTest(t, Options{SlowFor: 10e6, OnFault: func(f Fault) { got = append(got, f) }})
			if err := s.Inject(FaultSpec{Kind: tc.kind, Dialect: tc.dialect}, 1); err != nil {
				t.Fatal(err)
			}
			r := send(t, base, method, path, bodyFor(tc.req), nil)
			if r.status != tc.status {
				t.Fatalf("status %d; want %d (body %s)", r.status, tc.status, r.body)
			}
			for _, check := range tc.checks {
				check(t, r)
			}
			class := tc.kind.Class()
			if inj := s.Injected(); inj[class] != 1 || len(inj) != 1 {
				t.Errorf("Injected() = %v; want {%s: 1}", inj, class)
			}
			if n := s.InjectedByKind()[tc.kind]; n != 1 {
				t.Errorf("InjectedByKind()[%s] = %d; want 1", tc.kind, n)
			}
			if ans := s.Answered(); ans[class] != 1 {
				t.Errorf("Answered() = %v; want %s: 1", ans, class)
			}
			if len(got) != 1 || got[0].Kind != tc.kind || got[0].Status != tc.status || got[0].Dialect != tc.dialect {
				t.Errorf("OnFault saw %+v; want one %s fault with status %d", got, tc.kind, tc.status)
			}
			if s.Pending() != 0 {
				t.Errorf("Pending() = %d; want 0", s.Pending())
			}
			// The fault is gone: the same request is answered normally.
			if tc.kind != Slow && tc.kind != Partial {
				if r2 := send(t, base, method, path, bodyFor(tc.req), nil); r2.status == tc.status && string(r2.body) == string(r.body) {
					t.Errorf("second request got the fault's answer again: %d %s", r2.status, r2.body)
				}
			}
		})
	}
}

// TestFaults_Coverage checks that every kind a dialect supports has a
// case, and that every class name is one crmguard knows.
func TestFaults_Coverage(t *testing.T) {
	covered := map[string]bool{}
	for _, tc := range faultCases() {
		covered[tc.dialect+"/"+string(tc.kind)] = true
	}
	for _, d := range Dialects() {
		for _, k := range Kinds() {
			if _, err := fault.Parse(k.Class()); err != nil {
				t.Errorf("kind %s: class %q: %v", k, k.Class(), err)
			}
			transport := k == Stall || k == Reset || k == ResetMidBody // covered by conn_test.go
			if k.Supported(d) && !transport && !covered[d+"/"+string(k)] {
				t.Errorf("no answer test for %s on %s", k, d)
			}
		}
	}
}

func TestInject_Validation(t *testing.T) {
	s := New(Options{})
	tests := []struct {
		name string
		spec FaultSpec
		ok   bool
	}{
		{"known kind", FaultSpec{Kind: Quota}, true},
		{"unknown kind", FaultSpec{Kind: "meteor"}, false},
		{"empty kind", FaultSpec{}, false},
		{"kind the dialect cannot express", FaultSpec{Kind: Quota, Dialect: Odoo}, false},
		{"retired version outside Salesforce", FaultSpec{Kind: RetiredVersion, Dialect: HubSpot}, false},
		{"drift outside SuiteCRM", FaultSpec{Kind: Drift, Dialect: Odoo}, false},
		{"drift on SuiteCRM", FaultSpec{Kind: Drift, Dialect: SuiteCRM}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.Inject(tc.spec, 1); (err == nil) != tc.ok {
				t.Errorf("Inject(%+v) = %v; want ok %v", tc.spec, err, tc.ok)
			}
		})
	}
}

func TestInject_MatchesOnlyFittingRequests(t *testing.T) {
	s, base := startTest(t, Options{})
	if err := s.Inject(FaultSpec{Kind: NotFound, PathContains: "/sobjects/Contact/"}, 2); err != nil {
		t.Fatal(err)
	}
	// A query names no record and a HubSpot read is not on the path: both
	// pass untouched.
	if r := send(t, base, "GET", strings.TrimPrefix(reqSFQuery, "GET "), "", nil); r.status != http.StatusOK {
		t.Errorf("query: status %d; want 200", r.status)
	}
	if r := send(t, base, "GET", strings.TrimPrefix(reqHSRead, "GET "), "", nil); r.status != http.StatusOK {
		t.Errorf("HubSpot read: status %d; want 200", r.status)
	}
	if s.Pending() != 2 {
		t.Fatalf("Pending() = %d; want 2", s.Pending())
	}
	for range 2 {
		if r := send(t, base, "GET", strings.TrimPrefix(reqSFRead, "GET "), "", nil); r.status != http.StatusNotFound {
			t.Errorf("read: status %d; want 404", r.status)
		}
	}
	if r := send(t, base, "GET", strings.TrimPrefix(reqSFRead, "GET "), "", nil); r.status != http.StatusOK {
		t.Errorf("third read: status %d; want 200", r.status)
	}
	if got := s.InjectedByKind(); got[NotFound] != 2 {
		t.Errorf("InjectedByKind() = %v; want not_found: 2", got)
	}
	s.ResetCounters()
	if len(s.Injected()) != 0 || len(s.Answered()) != 0 {
		t.Errorf("after ResetCounters: %v %v; want empty", s.Injected(), s.Answered())
	}
}

func TestKind_Supported(t *testing.T) {
	for _, k := range Kinds() {
		var dialects []string
		for _, d := range Dialects() {
			if k.Supported(d) {
				dialects = append(dialects, d)
			}
		}
		if len(dialects) == 0 {
			t.Errorf("kind %s is supported nowhere", k)
		}
		if k.Supported("zoho") {
			t.Errorf("kind %s claims support for an unknown dialect", k)
		}
	}
	if !slices.Equal(Dialects(), []string{Salesforce, HubSpot, Odoo, SuiteCRM}) {
		t.Errorf("Dialects() = %v", Dialects())
	}
}
