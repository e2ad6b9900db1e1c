package shape

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"sync"
	"testing"
)

const contactPath = "/services/data/v59.0/sobjects/Contact/{id}"

// traffic is a varied, deterministic stream of calls.
func traffic(n int) []Exchange {
	xs := make([]Exchange, 0, n)
	for i := range n {
		switch i % 4 {
		case 0, 1:
			body := fmt.Sprintf(`{"Id":"003XX00000%05dAAA","LastName":"Name%d","Email":"p%d@example.com","Age":%d}`, i, i, i, i)
			if i%8 == 1 {
				body = fmt.Sprintf(`{"Id":"003XX00000%05dAAA","LastName":"Name%d","Email":null,"Score":%d.5}`, i, i, i)
			}
			xs = append(xs, Exchange{
				Method: "GET", Path: contactPath,
				Query:  url.Values{"fields": {"Id,LastName"}, "limit": {strconv.Itoa(i)}},
				Status: 200, ResponseType: "application/json;charset=UTF-8", ResponseBody: []byte(body),
			})
		case 2:
			xs = append(xs, Exchange{
				Method: "patch", Path: contactPath,
				RequestType: "application/json", RequestBody: []byte(fmt.Sprintf(`{"LastName":"N%d","Tags":["a","b"]}`, i)),
				Status: 204,
			})
		case 3:
			xs = append(xs, Exchange{
				Method: "GET", Path: "/services/data/v59.0/query",
				Query:  url.Values{"q": {"SELECT Id FROM Contact"}, "debug": {"true"}, "id": {"1", "2"}},
				Status: 400, ResponseType: "application/json",
				ResponseBody: []byte(`[{"errorCode":"MALFORMED_QUERY","message":"unexpected token"}]`),
			})
		}
	}
	return xs
}

func snapshotJSON(t *testing.T, ops []*Operation) string {
	t.Helper()
	b, err := json.MarshalIndent(ops, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// mergeOps merges operations with the same method and path, the way the
// gateway merges stored shapes.
func mergeOps(lists ...[]*Operation) []*Operation {
	m := make(map[opKey]*Operation)
	for _, ops := range lists {
		for _, op := range ops {
			k := opKey{op.Method, op.Path}
			if m[k] == nil {
				m[k] = &Operation{}
			}
			m[k].Merge(op)
		}
	}
	return sorted(m)
}

func TestBook_takesMergeToOneBook(t *testing.T) {
	xs := traffic(203)
	var one Book
	for _, x := range xs {
		one.Observe(x)
	}

	// Three replicas see every third call each and take increments at
	// different moments; the takes also travel through JSON, as stored.
	var replicas [3]Book
	var takes [][]*Operation
	for i, x := range xs {
		r := &replicas[i%3]
		r.Observe(x)
		if i%(17+i%3) == 0 {
			takes = append(takes, roundTrip(t, r.Take()))
		}
	}
	for i := range replicas {
		takes = append(takes, roundTrip(t, replicas[i].Take()))
	}

	want := snapshotJSON(t, one.Snapshot())
	if got := snapshotJSON(t, mergeOps(takes...)); got != want {
		t.Errorf("merged takes:\n%s\nwant one book:\n%s", got, want)
	}
	// A replica's Snapshot is the merge of its own takes.
	var r0 []*Operation
	for i := range replicas {
		r0 = mergeOps(r0, replicas[i].Snapshot())
	}
	if got := snapshotJSON(t, r0); got != want {
		t.Errorf("merged snapshots:\n%s\nwant one book:\n%s", got, want)
	}
	if got := replicas[0].Take(); len(got) != 0 {
		t.Errorf("take after take = %d operations; want none", len(got))
	}
}

func roundTrip(t *testing.T, ops []*Operation) []*Operation {
	t.Helper()
	b, err := json.Marshal(ops)
	if err != nil {
		t.Fatal(err)
	}
	var back []*Operation
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	return back
}

func TestBook_Observe(t *testing.T) {
	var b Book
	for _, x := range traffic(40) {
		b.Observe(x)
	}
	more := []Exchange{
		{Method: "GET", Path: "/q", RequestType: "application/json", RequestBody: []byte(`{"a":`), Status: 200, ResponseType: "application/json", ResponseBody: []byte(`{"a":1} {"b":2}`)},
		{Method: "GET", Path: "/q", Status: 200, ResponseType: "application/vnd.api+json", ResponseBody: []byte(`{"data":`), ResponseTruncated: true},
		{Method: "GET", Path: "/q", Status: 200, ResponseType: "text/html", ResponseBody: []byte(`<p>`)},
		{Method: "GET", Path: "/q", Status: 200, ResponseBody: []byte(`{"a":1}`)},
		{Method: "GET", Path: "/q", Status: 999, ResponseType: "application/json", ResponseBody: []byte(`{}`)},
		{Method: "GET", Path: "/q", Status: 0},
		{Method: "GET", Path: "/q", Status: 201, ResponseType: "application/problem+json", ResponseBody: []byte(`{"title":"x"}`)},
		{Method: "GET", Path: "/q", Query: url.Values{"jane@example.com": {""}, "003XX000004TmiQAAS": {"1"}, "zip": {"01234"}, "page": {"2"}}, Status: 204},
	}
	for _, x := range more {
		b.Observe(x)
	}
	ops := b.Snapshot()
	byKey := map[string]*Operation{}
	for _, op := range ops {
		byKey[op.Method+" "+op.Path] = op
	}
	get, patch, query, q := byKey["GET "+contactPath], byKey["PATCH "+contactPath], byKey["GET /services/data/v59.0/query"], byKey["GET /q"]
	if get == nil || patch == nil || query == nil || q == nil {
		t.Fatalf("operations = %v; want GET and PATCH contact, GET query, GET /q", keys(byKey))
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"get calls", get.Calls, int64(20)},
		{"get response media", get.Responses["200"].Media["application/json"], int64(20)},
		{"get Email formats", get.Responses["200"].Schema.Properties["Email"].Formats.Email, int64(15)},
		{"get Email types", get.Responses["200"].Schema.Properties["Email"].Types, Types{String: 15, Null: 5}},
		{"get Age objects", get.Responses["200"].Schema.Properties["Age"].Types, Types{Integer: 15}},
		{"get limit typed", get.Query["limit"].Types, Types{Integer: 20}},
		{"patch request bodies", patch.Request.Bodies(), int64(10)},
		{"patch method upper", patch.Method, "PATCH"},
		{"patch 204 without body", patch.Responses["204"].Bodies(), int64(0)},
		{"patch 204 count", patch.Responses["204"].Count, int64(10)},
		{"query repeated id", query.Query["id"].Types, Types{Array: 10}},
		{"query id items", query.Query["id"].Items.Types, Types{Integer: 20}},
		{"query debug", query.Query["debug"].Types, Types{Boolean: 10}},
		{"query q string", query.Query["q"].Types, Types{String: 10}},
		{"query response array", query.Responses["400"].Schema.Types, Types{Array: 10}},
		{"q invalid request", q.Request.Invalid, int64(1)},
		{"q trailing data invalid", q.Responses["200"].Invalid, int64(1)},
		{"q truncated", q.Responses["200"].Truncated, int64(1)},
		{"q html counted", q.Responses["200"].Media["text/html"], int64(1)},
		{"q no content type", q.Responses["200"].Media[octetStream], int64(1)},
		{"q no schema from non-JSON", q.Responses["200"].Schema == nil, true},
		{"q problem+json decoded", q.Responses["201"].Schema.Types, Types{Object: 1}},
		{"q bad status", q.ResponsesUntracked, int64(1)},
		{"q calls", q.Calls, int64(8)},
		{"q value-like names", q.QueryUntracked, int64(2)},
		{"q zip stays string", q.Query["zip"].Types, Types{String: 1}},
		{"q page integer", q.Query["page"].Types, Types{Integer: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if fmt.Sprint(tc.got) != fmt.Sprint(tc.want) {
				t.Errorf("got %v; want %v", tc.got, tc.want)
			}
		})
	}
}

func keys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func TestBook_operationCap(t *testing.T) {
	var b Book
	for i := range maxOperations + 10 {
		b.Observe(Exchange{Method: "GET", Path: "/x/" + strconv.Itoa(i)})
		if i == maxOperations/2 {
			b.Take()
		}
	}
	// Known operations still count after the cap is reached, in both sets.
	b.Observe(Exchange{Method: "GET", Path: "/x/0"})
	b.Observe(Exchange{Method: "GET", Path: "/x/1999"})
	if got := len(b.Snapshot()); got != maxOperations {
		t.Errorf("operations = %d; want %d", got, maxOperations)
	}
	if got := b.Dropped(); got != 10 {
		t.Errorf("dropped = %d; want 10", got)
	}
	var calls int64
	for _, op := range b.Snapshot() {
		calls += op.Calls
	}
	if calls != maxOperations+2 {
		t.Errorf("calls = %d; want %d", calls, maxOperations+2)
	}
}

func TestBook_queryCap(t *testing.T) {
	var b Book
	q := url.Values{}
	for i := range 1000 {
		q.Set(fmt.Sprintf("p_%c%c", 'a'+i%26, 'a'+i/26%26), "1")
	}
	b.Observe(Exchange{Method: "GET", Path: "/x", Query: q})
	op := b.Snapshot()[0]
	if len(op.Query) != maxQueryParams {
		t.Errorf("query params = %d; want %d", len(op.Query), maxQueryParams)
	}
	if want := int64(len(q) - maxQueryParams); op.QueryUntracked != want {
		t.Errorf("untracked = %d; want %d", op.QueryUntracked, want)
	}
}

func TestBook_concurrent(t *testing.T) {
	var b Book
	xs := traffic(64)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		taken [][]*Operation
	)
	for w := range 8 {
		wg.Go(func() {
			for i, x := range xs {
				b.Observe(x)
				if (i+w)%16 == 0 {
					ops := b.Take()
					mu.Lock()
					taken = append(taken, ops)
					mu.Unlock()
				}
				if i%32 == 0 {
					b.Snapshot()
				}
			}
		})
	}
	wg.Wait()
	taken = append(taken, b.Take())
	var calls int64
	for _, op := range mergeOps(taken...) {
		calls += op.Calls
	}
	if want := int64(8 * len(xs)); calls != want {
		t.Errorf("calls in takes = %d; want %d", calls, want)
	}
}

// benchBody is a Salesforce-style record of about 1 KiB.
const benchBody = `{"attributes":{"type":"Contact","url":"/services/data/v59.0/sobjects/Contact/003XX000004TmiQAAS"},` +
	`"Id":"003XX000004TmiQAAS","AccountId":"001XX000003DHPhYAO","LastName":"Example","FirstName":"Jane",` +
	`"Salutation":"Ms.","Name":"Jane Example","MailingStreet":"1 Market St","MailingCity":"San Francisco",` +
	`"MailingState":"CA","MailingPostalCode":"94105","MailingCountry":"US","Phone":"+1 415 555 2671",` +
	`"MobilePhone":null,"Email":"jane@example.com","Title":"VP","Department":"Sales","Birthdate":"1980-01-31",` +
	`"OwnerId":"005XX000001SvDmYAK","HasOptedOutOfEmail":false,"DoNotCall":false,` +
	`"CreatedDate":"2026-01-31T10:00:00Z","LastModifiedDate":"2026-02-01T09:30:00.000Z","IsDeleted":false,` +
	`"LeadSource":"Web","NumberOfEmployees":120,"AnnualRevenue":1250000.50,` +
	`"Tags":["vip","newsletter","partner"],"Website":"https://example.com/jane",` +
	`"Custom_Score__c":87,"External_Id__c":"123e4567-e89b-12d3-a456-426614174000",` +
	`"Addresses":[{"kind":"home","city":"Oakland","zip":"94601"},{"kind":"work","city":"San Francisco","zip":"94105"}]}`

func BenchmarkBook_Observe(b *testing.B) {
	var book Book
	x := Exchange{
		Method: "GET", Path: contactPath,
		Query:  url.Values{"fields": {"Id,Name"}},
		Status: 200, ResponseType: "application/json;charset=UTF-8", ResponseBody: []byte(benchBody),
	}
	b.SetBytes(int64(len(benchBody)))
	b.ReportAllocs()
	for b.Loop() {
		book.Observe(x)
	}
}
