package faultproxy_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"syscall"

	"github.com/crmguard/crmguard/internal/faultproxy"
)

// ExampleProxy makes a CRM stand-in flap: up, refusing connections, up
// again on the same address.
func ExampleProxy() {
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "hello")
	}))
	defer crm.Close()

	p, err := faultproxy.New(crm.Listener.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

	for _, f := range []faultproxy.Fault{faultproxy.Pass{}, faultproxy.Refuse{}, faultproxy.Pass{}} {
		if err := p.Set(f); err != nil {
			fmt.Println(err)
			return
		}
		resp, err := client.Get(p.URL())
		if err != nil {
			fmt.Printf("%s: refused %t\n", f, errors.Is(err, syscall.ECONNREFUSED))
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Printf("%s: %d %s\n", f, resp.StatusCode, body)
	}
	// Output:
	// pass: 200 hello
	// refuse: refused true
	// pass: 200 hello
}
