package gateway_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"time"

	"github.com/crmguard/crmguard/internal/call"
	"github.com/crmguard/crmguard/internal/dialect"
	"github.com/crmguard/crmguard/internal/gateway"
	"github.com/crmguard/crmguard/internal/upstream"
)

// A Salesforce org answers a call with an expired session; the client sees
// the CRM's answer unchanged plus crmguard's verdict in headers, and the
// recorder gets the classified call.
func ExampleGateway() {
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]`)
	}))
	defer crm.Close()

	sf, _ := dialect.Lookup("salesforce")
	target, _ := url.Parse(crm.URL)
	recorded := make(chan *call.Call, 1)
	gw := httptest.NewServer(gateway.New(gateway.Options{
		Upstreams: []gateway.Upstream{{
			Name: "sf", URL: target, Dialect: sf, Timeout: 30 * time.Second,
			Transport: upstream.New(sf, upstream.Options{}),
		}},
		Recorder: gateway.RecorderFunc(func(c *call.Call) { recorded <- c }),
	}))
	defer gw.Close()

	resp, err := http.Get(gw.URL + "/sf/services/data/v59.0/sobjects/Contact/003XX000004TmiQQAS")
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("Crmguard-Class"), resp.Header.Get("Crmguard-Vendor-Code"))
	c := <-recorded
	fmt.Println(c.Operation, c.APIVersion, c.Class, c.Retryable)
	// Output:
	// 401 auth INVALID_SESSION_ID
	// /services/data/v59.0/sobjects/Contact/{id} v59.0 auth false
}
