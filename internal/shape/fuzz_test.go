package shape

import (
	"encoding/json"
	"net/url"
	"testing"

	"github.com/pb33f/libopenapi"
)

// FuzzObserve feeds arbitrary bytes as request and response bodies and an
// arbitrary query, and checks that nothing panics, that the rendered
// contract always parses as OpenAPI, and that a shape survives storing:
// merging its JSON form into an empty shape gives it back.
func FuzzObserve(f *testing.F) {
	f.Add([]byte(`{"a":1,"b":[true,null,"2026-01-31"],"c":{"d":"x@example.com"}}`), "limit=10&ids=1&ids=2")
	f.Add([]byte(`[{"$ref":"#/x"},{"<<":1}]`), "%zz=1&=&a=b=c")
	f.Fuzz(func(t *testing.T, body []byte, rawQuery string) {
		query, _ := url.ParseQuery(rawQuery)
		var b Book
		for _, x := range []Exchange{
			{
				Method: "POST", Path: "/fuzz/{id}", Query: query,
				RequestType: "application/json", RequestBody: body,
				Status: 200, ResponseType: "application/vnd.api+json", ResponseBody: body,
			},
			{
				Method: "GET", Path: "/fuzz", Query: query,
				Status: 404, ResponseType: "application/json; charset=utf-8", ResponseBody: body,
			},
		} {
			b.Observe(x)
			b.Observe(x)
		}
		ops := b.Snapshot()

		stored, err := json.Marshal(ops)
		if err != nil {
			t.Fatalf("encoding shape: %v", err)
		}
		var back []*Operation
		if err := json.Unmarshal(stored, &back); err != nil {
			t.Fatalf("decoding stored shape: %v", err)
		}
		again, _ := json.Marshal(mergeOps(back))
		if string(again) != string(stored) {
			t.Fatalf("stored shape changed on merge:\n%s\nwant:\n%s", again, stored)
		}

		for _, opts := range []RenderOptions{{}, {Strict: true, MinSamples: 1}} {
			out, err := Render(ops, opts)
			if err != nil {
				t.Fatalf("rendering: %v", err)
			}
			doc, err := libopenapi.NewDocument(out)
			if err != nil {
				t.Fatalf("parsing rendered contract: %v\n%s", err, out)
			}
			if _, err := doc.BuildV3Model(); err != nil {
				t.Fatalf("building model: %v\n%s", err, out)
			}
		}
	})
}

// FuzzRenderAccepts checks that the strictest contract Render drafts from
// two JSON bodies accepts both: a contract that rejects the traffic it was
// learned from is wrong. Bodies the validator cannot decode (numbers
// beyond float64) are skipped; that limit is the validator's.
func FuzzRenderAccepts(f *testing.F) {
	f.Add([]byte(`{"a":1,"b":[true,null,"2026-01-31"],"c":{"d":"x@example.com"}}`), []byte(`{"a":2.5,"c":{}}`))
	f.Add([]byte(`{"byId":{"12345":[1]}}`), []byte(`{"byId":{"jane@example.com":[null]}}`))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		var v any
		if json.Unmarshal(a, &v) != nil || json.Unmarshal(b, &v) != nil {
			return
		}
		accepts(t, []Exchange{jsonCall(string(a)), jsonCall(string(b))})
	})
}
