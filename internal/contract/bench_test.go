package contract

import (
	"net/http"
	"testing"
)

// BenchmarkRequest measures checking one request against a contract, as
// the gateway does before forwarding it.
func BenchmarkRequest(b *testing.B) {
	suite := load(b, "testdata/suitecrm-v8.json", Options{})
	contacts := load(b, "testdata/contacts.yaml", Options{})
	jsonHeader := http.Header{"Content-Type": {"application/json"}}
	body := []byte(`{"name":"Ada","email":"ada@example.com","age":36,"status":"lead","code":"ABC","tags":["vip","emea"]}`)
	for _, bc := range []struct {
		name string
		run  func() int
	}{
		{"suitecrm list query", func() int {
			return len(suite.Request("GET", "/module/Contacts", "page[size]=10&page[number]=2", http.Header{}, nil))
		}},
		{"suitecrm get by uuid", func() int {
			return len(suite.Request("GET", "/module/Contacts/86ee02b3-96d2-47b3-bd6d-9e1035daff3a", "", http.Header{}, nil))
		}},
		{"json body fits", func() int { return len(contacts.Request("POST", "/contacts", "", jsonHeader, body)) }},
		{"json body breaks three rules", func() int {
			return len(contacts.Request("POST", "/contacts", "", jsonHeader, []byte(`{"name":"Adelaide","age":"x","status":"gone"}`)))
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bc.run()
			}
		})
	}
}

// BenchmarkResponse measures checking one response for drift.
func BenchmarkResponse(b *testing.B) {
	s := load(b, "testdata/contacts.yaml", Options{})
	h := http.Header{"Content-Type": {"application/json"}}
	body := []byte(`{"id":7,"name":"Ada","status":"lead"}`)
	b.ReportAllocs()
	for b.Loop() {
		if len(s.Response("GET", "/contacts/7", "", 200, h, body)) != 0 {
			b.Fatal("drift on a fitting response")
		}
	}
}
