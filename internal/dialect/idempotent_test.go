package dialect

import (
	"net/http"
	"testing"
)

func TestIdempotentWrite(t *testing.T) {
	tests := []struct {
		d            IdempotentWriter
		method, path string
		want         bool
	}{
		{Salesforce{}, http.MethodPatch, "/services/data/v59.0/sobjects/Contact/003XX000004TmiQ", true},
		{Salesforce{}, http.MethodPatch, "/services/data/v59.0/sobjects/Account/Ext_Id__c/A-1", true},
		{Salesforce{}, http.MethodPatch, "/services/data/v59.0/composite/sobjects", true},
		{Salesforce{}, http.MethodPost, "/services/data/v59.0/sobjects/Contact", false},
		{Salesforce{}, http.MethodPost, "/services/data/v59.0/composite/sobjects", false},
		{HubSpot{}, http.MethodPost, "/crm/v3/objects/contacts/batch/upsert", true},
		{HubSpot{}, http.MethodPost, "/crm/v3/objects/contacts/batch/update", true},
		{HubSpot{}, http.MethodPatch, "/crm/v3/objects/contacts/51", true},
		{HubSpot{}, http.MethodPost, "/crm/v3/objects/contacts", false},
		{HubSpot{}, http.MethodPost, "/crm/v3/objects/contacts/batch/create", false},
	}
	for _, tc := range tests {
		if got := tc.d.IdempotentWrite(tc.method, tc.path); got != tc.want {
			t.Errorf("%T.IdempotentWrite(%s %s) = %v; want %v", tc.d, tc.method, tc.path, got, tc.want)
		}
	}
}
