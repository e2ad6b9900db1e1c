package democrm

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// hsError is a HubSpot error body.
type hsError struct {
	Status        string `json:"status"`
	Message       string `json:"message"`
	CorrelationID string `json:"correlationId"`
	Category      string `json:"category"`
	ErrorType     string `json:"errorType"`
	PolicyName    string `json:"policyName"`
}

// hsBatchReply is a batch answer.
type hsBatchReply struct {
	Status    string
	Results   []map[string]any
	NumErrors int
	Errors    []struct{ Status, Category, Message string }
}

func TestHubSpot_Requests(t *testing.T) {
	const base = "/hubspot/crm/v3/objects"
	tests := []struct {
		name, method, path, body string
		status                   int
		category                 string // category of an error answer
		check                    func(t *testing.T, r reply)
	}{
		{name: "list first page", method: "GET", path: base + "/contacts?limit=3", status: 200, check: func(t *testing.T, r reply) {
			var res struct {
				Results []struct {
					ID         string
					Properties map[string]*string
				}
				Paging struct{ Next struct{ After, Link string } }
			}
			r.json(t, &res)
			if len(res.Results) != 3 || res.Results[0].ID != "1001" || res.Paging.Next.After != "1004" {
				t.Fatalf("page %s", r.body)
			}
			if p := res.Results[0].Properties; p["email"] == nil || *p["hs_object_id"] != "1001" {
				t.Errorf("properties %v", p)
			}
		}},
		{name: "list last page", method: "GET", path: base + "/companies?limit=100&after=20051", status: 200, check: func(t *testing.T, r reply) {
			var res struct {
				Results []any
				Paging  *struct{}
			}
			r.json(t, &res)
			if len(res.Results) != 10 || res.Paging != nil {
				t.Errorf("got %d results, paging %v; want 10 and none", len(res.Results), res.Paging)
			}
		}},
		{name: "get", method: "GET", path: base + "/contacts/1042?properties=phone", status: 200, check: func(t *testing.T, r reply) {
			var res struct{ Properties map[string]any }
			r.json(t, &res)
			if res.Properties["phone"] == nil || len(res.Properties) != 4 {
				t.Errorf("properties %v; want phone, createdate, hs_object_id, lastmodifieddate", res.Properties)
			}
		}},
		{name: "get by email", method: "GET", path: base + "/contacts/x@y.example?idProperty=email", status: 404, category: "OBJECT_NOT_FOUND"},
		{name: "get missing", method: "GET", path: base + "/deals/99999", status: 404, category: "OBJECT_NOT_FOUND"},
		{name: "unknown type", method: "GET", path: base + "/widgets", status: 400, category: "VALIDATION_ERROR"},
		{name: "create", method: "POST", path: base + "/contacts", body: `{"properties":{"email":"new.person@example.com","lastname":"Person"}}`, status: 201, check: func(t *testing.T, r reply) {
			var res struct {
				ID         string
				Properties map[string]any
			}
			r.json(t, &res)
			if res.ID != "1301" || res.Properties["email"] != "new.person@example.com" {
				t.Errorf("created %s", r.body)
			}
		}},
		{name: "create duplicate email", method: "POST", path: base + "/contacts", body: `{"properties":{"email":"` + hsEmail(t, 5) + `"}}`, status: 409, category: "CONFLICT", check: func(t *testing.T, r reply) {
			var e hsError
			r.json(t, &e)
			if e.Message != "Contact already exists. Existing ID: 1005" {
				t.Errorf("message %q", e.Message)
			}
		}},
		{name: "create unknown property", method: "POST", path: base + "/contacts", body: `{"properties":{"shoe_size":"44"}}`, status: 400, category: "VALIDATION_ERROR", check: func(t *testing.T, r reply) {
			if !strings.Contains(string(r.body), `PROPERTY_DOESNT_EXIST`) {
				t.Errorf("body %s", r.body)
			}
		}},
		{name: "create invalid email", method: "POST", path: base + "/contacts", body: `{"properties":{"email":"nope"}}`, status: 400, category: "VALIDATION_ERROR", check: func(t *testing.T, r reply) {
			if !strings.Contains(string(r.body), `INVALID_EMAIL`) {
				t.Errorf("body %s", r.body)
			}
		}},
		{name: "update", method: "PATCH", path: base + "/deals/30001", body: `{"properties":{"dealstage":"closedwon"}}`, status: 200},
		{name: "update missing", method: "PATCH", path: base + "/deals/1", body: `{"properties":{"dealstage":"closedwon"}}`, status: 404, category: "OBJECT_NOT_FOUND"},
		{name: "archive", method: "DELETE", path: base + "/contacts/1001", status: 204},
		{name: "batch create", method: "POST", path: base + "/companies/batch/create", status: 201,
			body: `{"inputs":[{"properties":{"name":"A"}},{"properties":{"name":"B"}}]}`, check: func(t *testing.T, r reply) {
				var res hsBatchReply
				r.json(t, &res)
				if res.Status != "COMPLETE" || len(res.Results) != 2 || res.NumErrors != 0 {
					t.Errorf("batch %s", r.body)
				}
			}},
		{name: "batch create partly invalid", method: "POST", path: base + "/contacts/batch/create", status: 207,
			body: `{"inputs":[{"properties":{"lastname":"A"}},{"properties":{"email":"bad"}}]}`, check: func(t *testing.T, r reply) {
				var res hsBatchReply
				r.json(t, &res)
				if len(res.Results) != 1 || res.NumErrors != 1 || res.Errors[0].Category != "VALIDATION_ERROR" {
					t.Errorf("batch %s", r.body)
				}
			}},
		{name: "batch create all invalid", method: "POST", path: base + "/contacts/batch/create", status: 400, category: "VALIDATION_ERROR",
			body: `{"inputs":[{"properties":{"email":"bad"}}]}`},
		{name: "batch upsert", method: "POST", path: base + "/contacts/batch/upsert", status: 200,
			body: `{"inputs":[{"idProperty":"email","id":"` + hsEmail(t, 1) + `","properties":{"jobtitle":"CEO"}},{"idProperty":"email","id":"fresh@example.com","properties":{}}]}`,
			check: func(t *testing.T, r reply) {
				var res hsBatchReply
				r.json(t, &res)
				if len(res.Results) != 2 || res.Results[0]["new"] != false || res.Results[1]["new"] != true {
					t.Errorf("batch %s", r.body)
				}
			}},
		{name: "batch read with missing", method: "POST", path: base + "/contacts/batch/read", status: 207,
			body: `{"properties":["email"],"inputs":[{"id":"1001"},{"id":"999"}]}`, check: func(t *testing.T, r reply) {
				var res hsBatchReply
				r.json(t, &res)
				if len(res.Results) != 1 || res.Errors[0].Category != "OBJECT_NOT_FOUND" {
					t.Errorf("batch %s", r.body)
				}
			}},
		{name: "sunset path", method: "GET", path: "/hubspot/contacts/v1/lists", status: 404},
		{name: "unknown path", method: "GET", path: "/hubspot/nope", status: 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, base := startTest(t, Options{})
			r := send(t, base, tc.method, tc.path, tc.body, nil)
			if r.status != tc.status {
				t.Fatalf("status %d; want %d (body %s)", r.status, tc.status, r.body)
			}
			if tc.category != "" {
				var e hsError
				r.json(t, &e)
				if e.Category != tc.category || e.Status != "error" || e.CorrelationID != r.header.Get("X-HubSpot-Correlation-Id") {
					t.Errorf("error %+v, header id %s; want category %s and the header's correlation id", e, r.header.Get("X-HubSpot-Correlation-Id"), tc.category)
				}
			}
			if strings.HasPrefix(tc.path, "/hubspot/crm/") && r.header.Get("X-HubSpot-RateLimit-Max") != "190" {
				t.Errorf("rate-limit headers missing: %v", r.header)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

// hsEmail returns the seeded email of contact n (1-based).
func hsEmail(t *testing.T, n int) string {
	t.Helper()
	rec, ok := seed(0).get("hubspot/contacts", strconv.Itoa(1000+n))
	if !ok {
		t.Fatalf("no seeded contact %d", n)
	}
	return rec.fields["email"].(string)
}

func TestHubSpot_RateLimitHeaders(t *testing.T) {
	clock := newFakeClock()
	_, base := startTest(t, Options{Now: clock.Now})
	var r reply
	for range 3 {
		r = send(t, base, "GET", "/hubspot/crm/v3/objects/contacts/1001", "", nil)
	}
	if got := r.header.Get("X-HubSpot-RateLimit-Remaining"); got != "187" {
		t.Errorf("remaining %s after 3 calls; want 187", got)
	}
	clock.Advance(hsInterval)
	r = send(t, base, "GET", "/hubspot/crm/v3/objects/contacts/1001", "", nil)
	if got := r.header.Get("X-HubSpot-RateLimit-Remaining"); got != "189" {
		t.Errorf("remaining %s in a new window; want 189", got)
	}
	if got := r.header.Get("X-HubSpot-RateLimit-Daily-Remaining"); got != "624996" {
		t.Errorf("daily remaining %s; want 624996", got)
	}
}

func TestHubSpot_RequireAuth(t *testing.T) {
	_, base := startTest(t, Options{RequireAuth: true})
	r := send(t, base, "GET", "/hubspot/crm/v3/objects/contacts", "", nil)
	var e hsError
	r.json(t, &e)
	if r.status != http.StatusUnauthorized || e.Category != "INVALID_AUTHENTICATION" {
		t.Errorf("got %d %s; want 401 INVALID_AUTHENTICATION", r.status, r.body)
	}
}
