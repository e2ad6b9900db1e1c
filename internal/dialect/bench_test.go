package dialect

import (
	"net/http"
	"testing"
)

func BenchmarkClassify(b *testing.B) {
	d := Salesforce{}
	h := http.Header{"Content-Type": {"application/json;charset=UTF-8"}, "Sforce-Limit-Info": {"api-usage=18/5000"}}
	b.Run("salesforce-400", func(b *testing.B) {
		r := &Response{
			Method: http.MethodPatch,
			Path:   "/services/data/v59.0/sobjects/Account/001900K0001pPuOAAU",
			Status: http.StatusBadRequest,
			Header: h,
			Body:   []byte(`[{"fields":["Id"],"message":"Account ID: id value of incorrect type: 001900K0001pPuOAAU","errorCode":"MALFORMED_ID"}]`),
		}
		b.ReportAllocs()
		for b.Loop() {
			if v := d.Classify(r); v.Code != "MALFORMED_ID" {
				b.Fatalf("Code = %q; want MALFORMED_ID", v.Code)
			}
		}
	})
	b.Run("salesforce-collections-200", func(b *testing.B) {
		r := &Response{
			Method: http.MethodPost,
			Path:   "/services/data/v59.0/composite/sobjects",
			Status: http.StatusOK,
			Header: h,
			Body:   []byte(`[{"id":"001RM000003oLnnYAE","success":true,"errors":[]},{"success":false,"errors":[{"statusCode":"DUPLICATE_VALUE","message":"duplicate value found","fields":["Ext_Id__c"]}]}]`),
		}
		b.ReportAllocs()
		for b.Loop() {
			d.Classify(r)
		}
	})
	b.Run("inspect-200", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if d.Inspect(http.MethodGet, "/services/data/v59.0/sobjects/Account/001900K0001pPuOAAU", http.StatusOK, h) {
				b.Fatal("Inspect(GET 200) = true; want false")
			}
		}
	})
	b.Run("classify-200-unread", func(b *testing.B) {
		r := &Response{Method: http.MethodGet, Path: "/services/data/v59.0/sobjects/Account/001", Status: http.StatusOK, Header: h}
		b.ReportAllocs()
		for b.Loop() {
			d.Classify(r)
		}
	})
}
