package gateway

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/call"
	"github.com/crmguard/crmguard/internal/dialect"
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
