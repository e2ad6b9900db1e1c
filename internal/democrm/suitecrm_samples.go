package democrm

import (
	"encoding/base64"
	"net/http"
)

// suiteSampleToken is the bearer token of the SuiteCRM samples: shaped
// like the JWTs SuiteCRM issues, which the sample's resource server
// accepts without having issued it.
func suiteSampleToken() string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(`{"typ":"JWT","alg":"RS256"}`)) + "." +
		enc.EncodeToString([]byte(`{"aud":"9f2c1d4e-6b8a-4c3e-a1d5-7e0f2b4c6d8a","sub":"1","scopes":[]}`)) + "." +
		enc.EncodeToString([]byte("democrm sample signature"))
}

func suitecrmSamples() []SampleRequest {
	auth := "Bearer " + suiteSampleToken()
	base := "/suitecrm/Api/V8/module"
	contact, account := suiteID("Contacts", 42), suiteID("Accounts", 7)
	s := func(name, method, path, body string) SampleRequest {
		r := sample(name, method, path, auth, body)
		// JSON:API clients must send and accept its media type.
		r.Header.Set("Accept", suiteMediaType)
		if body != "" {
			r.Header.Set("Content-Type", suiteMediaType)
		}
		return r
	}
	token := sample("request an access token", http.MethodPost, "/suitecrm/Api/access_token", "",
		`{"grant_type":"client_credentials","client_id":"9f2c1d4e-6b8a-4c3e-a1d5-7e0f2b4c6d8a","client_secret":"democrm-client-secret"}`)
	return []SampleRequest{
		token,
		s("list contacts", http.MethodGet, base+"/Contacts?fields[Contacts]=first_name,last_name,email1,phone_work&page[size]=10&page[number]=1", ""),
		s("list contacts, next page", http.MethodGet, base+"/Contacts?fields[Contacts]=first_name,last_name,email1,phone_work&page[size]=10&page[number]=2", ""),
		s("list accounts by name", http.MethodGet, base+"/Accounts?sort=name&page[size]=5", ""),
		s("filter accounts by type", http.MethodGet, base+"/Accounts?filter[account_type][eq]=Partner&page[size]=20", ""),
		s("get contact", http.MethodGet, base+"/Contacts/"+contact, ""),
		s("get account", http.MethodGet, base+"/Accounts/"+account+"?fields[Accounts]=name,industry,phone_office,website", ""),
		s("get the contact's account", http.MethodGet, base+"/Contacts/"+contact+"/relationships/accounts", ""),
		s("create contact", http.MethodPost, base,
			`{"data":{"type":"Contacts","attributes":{"first_name":"Jordan","last_name":"Rivera","email1":"jordan.rivera@northwind-traders.example","phone_work":"+1 415 555 0142","account_id":"`+account+`"}}}`),
		s("update contact", http.MethodPatch, base,
			`{"data":{"type":"Contacts","id":"`+contact+`","attributes":{"title":"VP Sales","phone_mobile":"+1 310 555 0199"}}}`),
		s("link contact to account", http.MethodPost, base+"/Contacts/"+contact+"/relationships",
			`{"data":{"type":"Accounts","id":"`+account+`"}}`),
		s("create contact with unknown attribute", http.MethodPost, base,
			`{"data":{"type":"Contacts","attributes":{"last_name":"Nguyen","loyalty_tier_c":"gold"}}}`),
	}
}
