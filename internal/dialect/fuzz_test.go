package dialect

import (
	"net/http"
	"testing"

	"github.com/crmguard/crmguard/internal/fault"
)

// FuzzClassify runs every dialect's Inspect, Classify and Version on
// arbitrary answers and checks that none panics and every verdict is
// consistent. The seed corpus in testdata/fuzz/FuzzClassify holds real
// error bodies of each CRM.
func FuzzClassify(f *testing.F) {
	f.Add(200, "/jsonrpc", []byte(`{"jsonrpc":"2.0","id":1,"result":true}`))
	f.Add(400, "/services/data/v59.0/sobjects/Account", []byte(`[{"message":"x","errorCode":"MALFORMED_ID"}]`))
	f.Add(503, "/", []byte(`<html>maintenance</html>`))
	f.Add(0, "", []byte(nil))
	f.Fuzz(func(t *testing.T, status int, path string, body []byte) {
		headers := []http.Header{nil, {"Content-Type": {"application/json"}, "Sforce-Limit-Info": {string(body)}}}
		for _, d := range all() {
			for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodHead} {
				for _, h := range headers {
					d.Inspect(method, path, status, h)
				}
			}
			_ = d.Version(path)
			for _, truncated := range []bool{false, true} {
				for _, h := range headers {
					v := d.Classify(&Response{Method: http.MethodPost, Path: path, Status: status, Header: h, Body: body, Truncated: truncated})
					if _, err := fault.Parse(v.Class.String()); err != nil {
						t.Fatalf("%s: Classify gave invalid class %v", d.Name(), v.Class)
					}
					if (v.Partial || v.Transient) && !v.Class.Failed() {
						t.Fatalf("%s: verdict %+v is partial or transient but ok", d.Name(), v)
					}
				}
			}
		}
	})
}
