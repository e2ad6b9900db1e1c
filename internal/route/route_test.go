package route

import "testing"

func TestTable_Match(t *testing.T) {
	tab := NewTable([]string{"sf", "hubspot"})
	tests := []struct {
		name, path string
		index      int
		rest       string
		ok         bool
	}{
		{"nested", "/sf/services/data/v59.0/sobjects", 0, "/services/data/v59.0/sobjects", true},
		{"second", "/hubspot/crm/v3/objects/contacts", 1, "/crm/v3/objects/contacts", true},
		{"bare name", "/sf", 0, "/", true},
		{"trailing slash", "/sf/", 0, "/", true},
		{"unknown", "/zoho/crm/v8/Leads", 0, "", false},
		{"prefix is not a name", "/sfx/a", 0, "", false},
		{"root", "/", 0, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			i, rest, ok := tab.Match(tc.path)
			if ok != tc.ok || (ok && (i != tc.index || rest != tc.rest)) {
				t.Errorf("Match(%q) = %d, %q, %v; want %d, %q, %v", tc.path, i, rest, ok, tc.index, tc.rest, tc.ok)
			}
		})
	}
}

func TestOperation(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/services/data/v59.0/sobjects/Contact/003XX000004TmiQQAS", "/services/data/v59.0/sobjects/Contact/{id}"},
		{"/services/data/v59.0/sobjects/Contact/003XX000004TmiQ", "/services/data/v59.0/sobjects/Contact/{id}"},
		{"/services/data/v59.0/query?q=SELECT+Id+FROM+Contact", "/services/data/v59.0/query"},
		{"/services/data/v59.0/sobjects/Account/Ext_Id__c/ABC-12345", "/services/data/v59.0/sobjects/Account/Ext_Id__c/{id}"},
		{"/services/data/v59.0/sobjects/Field1__c/describe", "/services/data/v59.0/sobjects/Field1__c/describe"},
		{"/crm/v3/objects/contacts/37765128953", "/crm/v3/objects/contacts/{id}"},
		{"/crm/objects/2026-03/contacts/51", "/crm/objects/2026-03/contacts/{id}"},
		{"/api/data/v9.2/contacts(00000000-0000-0000-0000-000000000001)", "/api/data/v9.2/contacts({id})"},
		{"/Api/V8/module/Accounts/b13a39f8-1c24-c5d0-ba0d-5ab123d6e899", "/Api/V8/module/Accounts/{id}"},
		{"/api/data/v9.2/accounts(accountnumber='A-1')/contact_customer_accounts", "/api/data/v9.2/accounts({id})/contact_customer_accounts"},
		{"/api/data/v9.2/accounts(name='x')", "/api/data/v9.2/accounts({id})"},
		{"/service/v4_1/rest.php", "/service/v4_1/rest.php"},
		{"/crm/v8/Leads/search", "/crm/v8/Leads/search"},
		{"/v1/persons/find/jane@example.com", "/v1/persons/find/{id}"},
		{"/api/v2/deals/42", "/api/v2/deals/{id}"},
		{"/oauth2/token", "/oauth2/token"},
		{"/jsonrpc", "/jsonrpc"},
		{"/", "/"},
	}
	for _, tc := range tests {
		if got := Operation(tc.in); got != tc.want {
			t.Errorf("Operation(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

func BenchmarkOperation(b *testing.B) {
	for b.Loop() {
		Operation("/services/data/v59.0/sobjects/Contact/003XX000004TmiQQAS")
	}
}
