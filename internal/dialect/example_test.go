package dialect_test

import (
	"fmt"
	"net/http"

	"github.com/crmguard/crmguard/internal/dialect"
)

// A Salesforce 403 is not always a permission problem: with
// REQUEST_LIMIT_EXCEEDED it is the org's daily API quota.
func ExampleLookup() {
	d, err := dialect.Lookup("salesforce")
	if err != nil {
		fmt.Println(err)
		return
	}
	path := "/services/data/v59.0/sobjects/Account"
	status := http.StatusForbidden
	if !d.Inspect(http.MethodPost, path, status, nil) {
		return
	}
	v := d.Classify(&dialect.Response{
		Method: http.MethodPost,
		Path:   path,
		Status: status,
		Body:   []byte(`[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]`),
	})
	fmt.Println(v.Class, v.Code, v.Class.Retryable(), d.Version(path))

	_, err = dialect.Lookup("sugar")
	fmt.Println(err)
	// Output:
	// rate_limit REQUEST_LIMIT_EXCEEDED true v59.0
	// unknown dialect "sugar" (known: salesforce, hubspot, dynamics, zoho, suitecrm, odoo, pipedrive, fxiaoke, generic)
}

// Odoo's JSON-RPC answers HTTP 200 even when the call failed; the
// exception class in error.data.name tells the cause.
func ExampleDialect_Classify() {
	d, _ := dialect.Lookup("odoo")
	v := d.Classify(&dialect.Response{
		Method: http.MethodPost,
		Path:   "/jsonrpc",
		Status: http.StatusOK,
		Body:   []byte(`{"jsonrpc":"2.0","id":1,"error":{"code":200,"message":"Odoo Server Error","data":{"name":"odoo.exceptions.MissingError","message":"Record does not exist or has been deleted."}}}`),
	})
	fmt.Println(v.Class, v.Code)
	// Output:
	// not_found odoo.exceptions.MissingError
}
