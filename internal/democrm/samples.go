package democrm

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// SampleRequest is one realistic request a traffic generator can send to
// the server. The records it names exist in every freshly seeded server,
// whatever the seed.
type SampleRequest struct {
	Name   string      // a short label, such as "query contacts"
	Method string      // HTTP method
	Path   string      // path and query, dialect prefix included
	Header http.Header // Content-Type and a demo Authorization token
	Body   string      // JSON body, "" for none
}

// SampleRequests returns example requests for dialect, covering reads,
// writes, batch calls and queries plus two the CRM rejects by itself: a
// call to a retired API version (or, where none exists, an old path) and a
// write naming an unknown field. It returns nil for an unknown dialect.
func SampleRequests(dialect string) []SampleRequest {
	switch dialect {
	case Salesforce:
		return salesforceSamples()
	case HubSpot:
		return hubspotSamples()
	case Odoo:
		return odooSamples()
	case SuiteCRM:
		return suitecrmSamples()
	}
	return nil
}

func sample(name, method, path, auth, body string) SampleRequest {
	h := http.Header{}
	if body != "" {
		h.Set("Content-Type", "application/json")
	}
	if auth != "" {
		h.Set("Authorization", auth)
	}
	return SampleRequest{Name: name, Method: method, Path: path, Header: h, Body: body}
}

func salesforceSamples() []SampleRequest {
	const auth = "Bearer 00D5g000004DEMO!AQ0AQDemoSessionTokenForTheSampleCRM"
	base := "/salesforce/services/data/v62.0"
	contact, account := sfID("003", 42), sfID("001", 7)
	q := func(soql string) string { return base + "/query?q=" + url.QueryEscape(soql) }
	return []SampleRequest{
		sample("list API versions", http.MethodGet, "/salesforce/services/data/", auth, ""),
		sample("query contacts", http.MethodGet, q("SELECT Id, Name, Email, Phone FROM Contact LIMIT 20"), auth, ""),
		sample("query accounts", http.MethodGet, q("SELECT Id, Name, Industry FROM Account WHERE Industry != null LIMIT 10"), auth, ""),
		sample("get contact", http.MethodGet, base+"/sobjects/Contact/"+contact, auth, ""),
		sample("get account", http.MethodGet, base+"/sobjects/Account/"+account+"?fields=Name,Phone,Website", auth, ""),
		sample("create contact", http.MethodPost, base+"/sobjects/Contact", auth,
			`{"FirstName":"Jordan","LastName":"Rivera","Email":"jordan.rivera@northwind-traders.example","Phone":"+1 415 555 0142","AccountId":"`+account+`"}`),
		sample("update contact", http.MethodPatch, base+"/sobjects/Contact/"+contact, auth, `{"Title":"VP Sales","Phone":"+1 415 555 0199"}`),
		sample("upsert contact by external id", http.MethodPatch, base+"/sobjects/Contact/External_Id__c/EXT-00042", auth,
			`{"FirstName":"Ada","LastName":"Lovelace","Email":"ada.lovelace@northwind-traders.example"}`),
		sample("create contacts in a collection", http.MethodPost, base+"/composite/sobjects", auth,
			`{"allOrNone":false,"records":[{"attributes":{"type":"Contact"},"FirstName":"Mia","LastName":"Okafor"},{"attributes":{"type":"Contact"},"FirstName":"Liam","LastName":"Walsh","Email":"liam.walsh@contoso-labs.example"}]}`),
		sample("read org limits", http.MethodGet, base+"/limits", auth, ""),
		sample("get contact on retired v30.0", http.MethodGet, "/salesforce/services/data/v30.0/sobjects/Contact/"+contact, auth, ""),
		sample("create contact with unknown field", http.MethodPost, base+"/sobjects/Contact", auth,
			`{"LastName":"Nguyen","Loyalty_Tier__c":"Gold"}`),
	}
}

func hubspotSamples() []SampleRequest {
	const auth = "Bearer pat-na1-00000000-demo-0000-0000-000000000000"
	base := "/hubspot/crm/v3/objects"
	contact := strconv.Itoa(1000 + 42)
	return []SampleRequest{
		sample("list contacts", http.MethodGet, base+"/contacts?limit=10&properties=email,firstname,lastname,phone", auth, ""),
		sample("list contacts, next page", http.MethodGet, base+"/contacts?limit=10&after=1011", auth, ""),
		sample("get contact", http.MethodGet, base+"/contacts/"+contact, auth, ""),
		sample("get company", http.MethodGet, base+"/companies/20007?properties=name,domain,industry", auth, ""),
		sample("list deals", http.MethodGet, base+"/deals?limit=5", auth, ""),
		sample("create contact", http.MethodPost, base+"/contacts", auth,
			`{"properties":{"firstname":"Jordan","lastname":"Rivera","phone":"+1 415 555 0142","company":"Northwind Traders"}}`),
		sample("update contact", http.MethodPatch, base+"/contacts/"+contact, auth, `{"properties":{"jobtitle":"VP Sales","lifecyclestage":"customer"}}`),
		sample("batch create companies", http.MethodPost, base+"/companies/batch/create", auth,
			`{"inputs":[{"properties":{"name":"Tailspin Energy","domain":"tailspin-energy.example"}},{"properties":{"name":"Coho Foods","domain":"coho-foods.example"}}]}`),
		sample("batch upsert contacts by email", http.MethodPost, base+"/contacts/batch/upsert", auth,
			`{"inputs":[{"idProperty":"email","id":"jordan.rivera@northwind-traders.example","properties":{"firstname":"Jordan","lastname":"Rivera"}},{"idProperty":"email","id":"mia.okafor@contoso-labs.example","properties":{"firstname":"Mia","lastname":"Okafor"}}]}`),
		sample("batch read contacts", http.MethodPost, base+"/contacts/batch/read", auth,
			`{"properties":["email","lastname"],"inputs":[{"id":"1001"},{"id":"1002"},{"id":"1003"}]}`),
		sample("get contact on legacy v1 path", http.MethodGet, "/hubspot/contacts/v1/contact/vid/"+contact+"/profile", auth, ""),
		sample("create contact with unknown property", http.MethodPost, base+"/contacts", auth,
			`{"properties":{"lastname":"Nguyen","loyalty_tier":"gold"}}`),
	}
}

func odooSamples() []SampleRequest {
	const auth = "bearer 7c4a8d09ca3762af61e59520943dc26494f8941b"
	kw := func(method, args, kwargs string) string {
		return fmt.Sprintf(`{"jsonrpc":"2.0","method":"call","params":{"service":"object","method":"execute_kw","args":["demo",2,"admin","res.partner",%q,%s,%s]},"id":%d}`,
			method, args, kwargs, len(method))
	}
	p := func(name, body string) SampleRequest { return sample(name, http.MethodPost, "/odoo/jsonrpc", "", body) }
	j2 := func(name, method, body string) SampleRequest {
		s := sample(name, http.MethodPost, "/odoo/json/2/res.partner/"+method, auth, body)
		s.Header.Set("X-Odoo-Database", "demo")
		return s
	}
	return []SampleRequest{
		p("server version", `{"jsonrpc":"2.0","method":"call","params":{"service":"common","method":"version","args":[]},"id":1}`),
		p("search companies", kw("search_read", `[[["is_company","=",true]]]`, `{"fields":["name","email","phone","city"],"limit":10}`)),
		p("search contacts by email", kw("search_read", `[[["email","ilike","northwind"]]]`, `{"fields":["name","email","parent_id"],"limit":20}`)),
		p("read partners", kw("read", `[[70,71,72]]`, `{"fields":["name","email","phone","country_id"]}`)),
		p("count partners", kw("search_count", `[[["active","=",true]]]`, `{}`)),
		p("create partner", kw("create", `[{"name":"Jordan Rivera","email":"jordan.rivera@northwind-traders.example","phone":"+1 415 555 0142","parent_id":7}]`, `{}`)),
		p("update partner", kw("write", `[[100],{"function":"VP Sales","phone":"+1 415 555 0199"}]`, `{}`)),
		j2("JSON-2 search", "search_read", `{"domain":[["is_company","=",false]],"fields":["name","email"],"limit":5}`),
		j2("JSON-2 read", "read", `{"ids":[100,101],"fields":["name","email","parent_id"]}`),
		p("update partner with unknown field", kw("write", `[[100],{"x_loyalty_tier":"gold"}]`, `{}`)),
	}
}
