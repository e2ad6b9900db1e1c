package gateway

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/call"
	"github.com/crmguard/crmguard/internal/contract"
	"github.com/crmguard/crmguard/internal/dialect"
	"github.com/crmguard/crmguard/internal/normalize"
	"github.com/crmguard/crmguard/internal/upstream"
)

// BenchmarkGateway_ServeHTTP measures one proxied, classified call end to
// end over loopback (client → gateway → CRM), with a recorder that only
// counts: the gateway's own cost per call, allocations included.
func BenchmarkGateway_ServeHTTP(b *testing.B) {
	body := []byte(`{"attributes":{"type":"Contact","url":"/services/data/v59.0/sobjects/Contact/003XX000004TmiQQAS"},"Id":"003XX000004TmiQQAS","Name":"Ann Example"}`)
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	defer crm.Close()
	u, _ := url.Parse(crm.URL)
	d, _ := dialect.Lookup("salesforce")
	n := 0
	g := New(Options{
		Upstreams: []Upstream{{Name: "sf", URL: u, Dialect: d, Timeout: 30 * time.Second,
			Transport: upstream.New(d, upstream.Options{})}},
		Recorder: RecorderFunc(func(*call.Call) { n++ }),
	})
	gw := httptest.NewServer(g)
	defer gw.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	target := gw.URL + "/sf/services/data/v59.0/sobjects/Contact/003XX000004TmiQQAS"
	b.ReportAllocs()
	for b.Loop() {
		resp, err := client.Get(target)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// BenchmarkGateway_Guard measures what the guard adds to a proxied write
// end to end over loopback: the same POST with no guard, with the
// contract checking the request and the response, and with normalisation
// rules as well. Compare ns/op across the sub-benchmarks for the ratio.
func BenchmarkGateway_Guard(b *testing.B) {
	spec, err := contract.Load("testdata/contacts.yaml", contract.Options{})
	if err != nil {
		b.Fatal(err)
	}
	norm, err := normalize.Compile([]normalize.Rule{
		{Field: "email", As: "email"}, {Field: "name", As: "trim"}, {Field: "name", As: "text", MaxLength: 5},
	})
	if err != nil {
		b.Fatal(err)
	}
	body := `{"name":"Ada","email":"ada@example.com","age":36,"status":"lead","code":"ABC","tags":["vip","emea"]}`
	for _, bc := range []struct {
		name  string
		guard Guard
	}{
		{"off", Guard{}},
		{"contract", Guard{Contract: spec, Requests: ContractEnforce, Responses: true, MaxBody: 1 << 20}},
		{"contract+normalize", Guard{Contract: spec, Requests: ContractEnforce, Responses: true, Normalize: norm, MaxBody: 1 << 20}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusCreated)
				w.Write([]byte(`{"id":1}`))
			}))
			defer crm.Close()
			u, _ := url.Parse(crm.URL + "/api")
			g := New(Options{
				Upstreams: []Upstream{{Name: "crm", URL: u, Dialect: statusDialect{}, Timeout: 30 * time.Second,
					Transport: upstream.New(statusDialect{}, upstream.Options{}), Guard: bc.guard}},
				Recorder: RecorderFunc(func(*call.Call) {}),
			})
			gw := httptest.NewServer(g)
			defer gw.Close()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
			b.ReportAllocs()
			for b.Loop() {
				resp, err := client.Post(gw.URL+"/crm/contacts", "application/json", strings.NewReader(body))
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
		})
	}
}
