package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/call"
	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/incident"
	"github.com/crmguard/crmguard/internal/recorder"
	"github.com/crmguard/crmguard/internal/rollup"
	"github.com/crmguard/crmguard/internal/store"
)

func testCallRoundTrip(t *testing.T, db *store.DB) {
	g := call.NewGenerator()
	berlin := time.FixedZone("CET", 3600)
	tests := []struct {
		name string
		in   call.Call
		fp   string
		// want is what must come back: in, with times in UTC and
		// truncated to the microsecond.
		want call.Call
	}{
		{
			name: "every field",
			in: call.Call{
				ID: g.New(base), Start: base.Add(123456 * time.Microsecond), Upstream: "salesforce",
				Method: "PATCH", Operation: "/services/data/v59.0/sobjects/Contact/{id}", APIVersion: "v59.0",
				Client: "10.0.0.7:5123", Status: 400, Class: fault.DataFormat, VendorCode: "STRING_TOO_LONG",
				Message: "Name: data value too large", Retryable: false, Partial: true,
				Remediation: "shorten the field", Latency: 1500 * time.Millisecond, BytesIn: 1 << 40,
				BytesOut: 9_000_000_000, Attempts: 3,
				Tries: []call.Attempt{
					{Endpoint: "https://a.example.com", Status: 503, Class: fault.Unavailable, Latency: 20 * time.Millisecond},
					{Endpoint: "https://b.example.com/api", Status: 0, Class: fault.Network, Latency: 3 * time.Millisecond},
					{Endpoint: "https://b.example.com/api", Status: 400, Class: fault.DataFormat, Latency: 40 * time.Millisecond},
				},
				RequestSample:  "PATCH /x HTTP/1.1\r\nContent-Type: application/json\r\n\r\n{\"Name\":\"…\"}",
				ResponseSample: "HTTP/1.1 400 Bad Request\r\n\r\n[{\"errorCode\":\"STRING_TOO_LONG\"}]",
				Guard: call.Guard{
					VersionState: "deprecated",
					Changes:      []call.Change{{Pointer: "/Birthdate", Rule: "date", From: "3 Apr 1990", To: "1990-04-03"}},
					Findings: []call.Finding{{
						Class: fault.DataFormat, In: "body", Pointer: "/Name", Rule: "maxLength",
						Sent: "Adelaide", Expected: "at most 5", Message: "/Name: maxLength: got 8, want 5.",
					}},
				},
			},
			fp: "0123456789abcdef",
		},
		{
			name: "unicode",
			in: call.Call{
				ID: g.New(base.Add(time.Millisecond)), Start: base.Add(time.Millisecond), Upstream: "dynamics-ü",
				Method: "POST", Operation: "/api/data/v9.2/Kontakte(„{id}“)", Client: "客户端 ✓",
				Status: 409, Class: fault.Conflict, VendorCode: "0x80040237",
				Message: "Doppelter Datensatz: „Müller“ existiert bereits 🚫", Retryable: true,
				Remediation: "Duplikat prüfen", Latency: time.Microsecond, Attempts: 1,
				RequestSample: "tab\there, quote ' and \" and backslash \\", ResponseSample: "日本語のエラー",
			},
		},
		{
			name: "empty strings and zero values",
			in:   call.Call{ID: g.New(base.Add(2 * time.Millisecond))},
		},
		{
			name: "time in another zone, sub-microsecond parts",
			in: call.Call{
				ID: g.New(base.Add(3 * time.Millisecond)), Start: base.Add(3*time.Millisecond + 999).In(berlin),
				Upstream: "hubspot", Class: fault.Timeout, Latency: 2*time.Second + 999, Attempts: 2,
			},
			fp: "fedcba9876543210",
		},
	}
	var b recorder.Batch
	for i := range tests {
		tc := &tests[i]
		tc.want = tc.in
		tc.want.Start = tc.in.Start.UTC().Truncate(time.Microsecond)
		tc.want.Latency = tc.in.Latency.Truncate(time.Microsecond)
		in := tc.in
		b.Calls = append(b.Calls, &in)
		b.Fingerprints = append(b.Fingerprints, tc.fp)
	}
	write(t, db, b)

	listed, next, err := db.ListCalls(t.Context(), call.Query{})
	if err != nil {
		t.Fatalf("ListCalls: %v", err)
	}
	if next != "" || len(listed) != len(tests) {
		t.Fatalf("ListCalls = %d calls, next %q; want %d, \"\"", len(listed), next, len(tests))
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := db.GetCall(t.Context(), tc.in.ID)
			if err != nil {
				t.Fatalf("GetCall: %v", err)
			}
			if !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("GetCall:\n got %+v\nwant %+v", *got, tc.want)
			}
			if l := listed[len(tests)-1-i]; !reflect.DeepEqual(*l, tc.want) {
				t.Errorf("ListCalls:\n got %+v\nwant %+v", *l, tc.want)
			}
			fp, err := db.CallIncident(t.Context(), tc.in.ID)
			if err != nil || fp != tc.fp {
				t.Errorf("CallIncident = %q, %v; want %q", fp, err, tc.fp)
			}
		})
	}
}

func testWriteBatchAtomic(t *testing.T, db *store.DB) {
	g := call.NewGenerator()
	first := newCall(g, base, "sf", "/a", fault.OK)
	write(t, db, recorder.Batch{Calls: []*call.Call{first}})

	// The second batch repeats first's ID after a new call, so it fails
	// after writing some of its rows; none of them may remain.
	fresh := newCall(g, base.Add(time.Second), "sf", "/a", fault.Server)
	err := db.WriteBatch(t.Context(), recorder.Batch{
		Calls:     []*call.Call{fresh, first},
		Rollups:   []rollup.Row{{Minute: base, Upstream: "sf", Operation: "/a", Calls: 2}},
		Incidents: []incident.Occurrence{{Fingerprint: "fp", Upstream: "sf", LastSeen: base, Count: 1}},
	})
	if err == nil {
		t.Fatal("WriteBatch with a duplicate call ID succeeded; want an error")
	}
	if _, err := db.GetCall(t.Context(), fresh.ID); !errors.Is(err, call.ErrNotFound) {
		t.Errorf("call of the failed batch: GetCall err = %v; want call.ErrNotFound", err)
	}
	if rows, err := db.Rollups(t.Context(), base.Add(-time.Hour), base.Add(time.Hour)); err != nil || len(rows) != 0 {
		t.Errorf("rollups of the failed batch: %d rows, err %v; want none", len(rows), err)
	}
	if _, err := db.GetIncident(t.Context(), "fp"); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("incident of the failed batch: GetIncident err = %v; want incident.ErrNotFound", err)
	}
}

func testWriteBatchBadInput(t *testing.T, db *store.DB) {
	g := call.NewGenerator()
	c := newCall(g, base, "sf", "/a", fault.OK)
	tests := []struct {
		name string
		b    recorder.Batch
	}{
		{"fingerprints not parallel to calls", recorder.Batch{Calls: []*call.Call{c}, Fingerprints: []string{"a", "b"}}},
		{"nil call", recorder.Batch{Calls: []*call.Call{c, nil}}},
		{"occurrence without fingerprint", recorder.Batch{Incidents: []incident.Occurrence{{Upstream: "sf", Count: 1}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := db.WriteBatch(t.Context(), tc.b); err == nil {
				t.Error("WriteBatch succeeded; want an error")
			}
		})
	}
	if _, err := db.GetCall(t.Context(), c.ID); !errors.Is(err, call.ErrNotFound) {
		t.Errorf("call of a rejected batch was stored (GetCall err = %v)", err)
	}
}

// seedCalls stores n calls a millisecond apart, some in the same
// millisecond, and returns them oldest first.
func seedCalls(t *testing.T, db *store.DB, n int) []*call.Call {
	t.Helper()
	g := call.NewGenerator()
	upstreams := []string{"salesforce", "hubspot", "dynamics"}
	ops := []string{"/query", "/sobjects/Contact/{id}"}
	classes := []fault.Class{fault.OK, fault.OK, fault.RateLimit, fault.Server, fault.OK}
	calls := make([]*call.Call, n)
	for i := range calls {
		at := base.Add(time.Duration(i/2) * time.Millisecond) // pairs share a millisecond
		calls[i] = newCall(g, at, upstreams[i%3], ops[i%2], classes[i%5])
	}
	// Write in several batches, not in ID order, as concurrent recorders
	// would.
	for _, chunk := range slices.Collect(slices.Chunk(calls, 64)) {
		write(t, db, recorder.Batch{Calls: chunk})
	}
	slices.SortFunc(calls, func(a, b *call.Call) int {
		return compareIDs(a.ID, b.ID)
	})
	return calls
}

func compareIDs(a, b call.ID) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// ids returns the IDs of calls.
func ids(calls []*call.Call) []call.ID {
	out := make([]call.ID, len(calls))
	for i, c := range calls {
		out[i] = c.ID
	}
	return out
}

// newestFirst returns the IDs of the calls that keep selects, newest first.
func newestFirst(calls []*call.Call, keep func(*call.Call) bool) []call.ID {
	var out []call.ID
	for i := len(calls) - 1; i >= 0; i-- {
		if keep(calls[i]) {
			out = append(out, calls[i].ID)
		}
	}
	return out
}

// listAll pages through q with page size limit and returns every ID.
func listAll(t *testing.T, db *store.DB, q call.Query) (all []call.ID, pages []int) {
	t.Helper()
	for range 1000 {
		calls, next, err := db.ListCalls(t.Context(), q)
		if err != nil {
			t.Fatalf("ListCalls(%+v): %v", q, err)
		}
		all = append(all, ids(calls)...)
		pages = append(pages, len(calls))
		if next == "" {
			return all, pages
		}
		if len(calls) == 0 || next != calls[len(calls)-1].ID {
			t.Fatalf("ListCalls gave cursor %q after %d calls; want the last call's ID", next, len(calls))
		}
		q.Before = next
	}
	t.Fatal("ListCalls cursor never ended")
	return nil, nil
}

func testListCallsPaging(t *testing.T, db *store.DB) {
	calls := seedCalls(t, db, 250)
	want := newestFirst(calls, func(*call.Call) bool { return true })
	tests := []struct {
		limit int
		pages []int
	}{
		{100, []int{100, 100, 50}},
		{50, []int{50, 50, 50, 50, 50}}, // the last full page has no cursor
		{0, []int{100, 100, 50}},        // the default page size
		{-5, []int{100, 100, 50}},
		{249, []int{249, 1}},
		{1000, []int{250}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("limit %d", tc.limit), func(t *testing.T) {
			got, pages := listAll(t, db, call.Query{Limit: tc.limit})
			if !slices.Equal(got, want) {
				t.Errorf("paged IDs differ from all calls newest first (got %d, want %d; dupes or gaps)", len(got), len(want))
			}
			if !slices.Equal(pages, tc.pages) {
				t.Errorf("page sizes = %v; want %v", pages, tc.pages)
			}
		})
	}
}

func testListCallsLimit(t *testing.T, db *store.DB) {
	seedCalls(t, db, 1100)
	calls, next, err := db.ListCalls(t.Context(), call.Query{Limit: 5000})
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 1000 || next == "" {
		t.Errorf("ListCalls(Limit 5000) = %d calls, next %q; want 1000 and a cursor", len(calls), next)
	}
}

func testListCallsFilters(t *testing.T, db *store.DB) {
	calls := seedCalls(t, db, 120)
	rateLimit, ok := fault.RateLimit, fault.OK
	mid := base.Add(30 * time.Millisecond)
	late := base.Add(45 * time.Millisecond)
	cursor := calls[80].ID
	tests := []struct {
		name string
		q    call.Query
		keep func(*call.Call) bool
	}{
		{"upstream", call.Query{Upstream: "hubspot"}, func(c *call.Call) bool { return c.Upstream == "hubspot" }},
		{"class", call.Query{Class: &rateLimit}, func(c *call.Call) bool { return c.Class == fault.RateLimit }},
		{"class ok", call.Query{Class: &ok}, func(c *call.Call) bool { return c.Class == fault.OK }},
		{"operation", call.Query{Operation: "/query"}, func(c *call.Call) bool { return c.Operation == "/query" }},
		{"since", call.Query{Since: mid}, func(c *call.Call) bool { return !c.Start.Before(mid) }},
		{"until", call.Query{Until: mid}, func(c *call.Call) bool { return c.Start.Before(mid) }},
		{"since and until", call.Query{Since: mid, Until: late}, func(c *call.Call) bool {
			return !c.Start.Before(mid) && c.Start.Before(late)
		}},
		{"before", call.Query{Before: cursor}, func(c *call.Call) bool { return c.ID < cursor }},
		{"all filters", call.Query{Upstream: "salesforce", Operation: "/query", Class: &ok, Since: base.Add(5 * time.Millisecond), Until: late},
			func(c *call.Call) bool {
				return c.Upstream == "salesforce" && c.Operation == "/query" && c.Class == fault.OK &&
					!c.Start.Before(base.Add(5*time.Millisecond)) && c.Start.Before(late)
			}},
		{"no match", call.Query{Upstream: "nobody"}, func(*call.Call) bool { return false }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := newestFirst(calls, tc.keep)
			if tc.name != "no match" && len(want) == 0 {
				t.Fatal("bad test: the filter keeps no seeded call")
			}
			q := tc.q
			q.Limit = 7 // page through, so the filter and the cursor combine
			got, _ := listAll(t, db, q)
			if !slices.Equal(got, want) {
				t.Errorf("ListCalls(%+v) = %d calls %v\nwant %d calls %v", tc.q, len(got), got, len(want), want)
			}
		})
	}
}

func testNotFound(t *testing.T, db *store.DB) {
	ctx := t.Context()
	g := call.NewGenerator()
	missing := g.New(base)
	write(t, db, recorder.Batch{Calls: []*call.Call{newCall(g, base, "sf", "/a", fault.OK)}})
	tests := []struct {
		name string
		err  func() error
		want error
	}{
		{"GetCall", func() error { _, err := db.GetCall(ctx, missing); return err }, call.ErrNotFound},
		{"CallIncident", func() error { _, err := db.CallIncident(ctx, missing); return err }, call.ErrNotFound},
		{"GetIncident", func() error { _, err := db.GetIncident(ctx, "nope"); return err }, incident.ErrNotFound},
		{"ResolveIncident", func() error { return db.ResolveIncident(ctx, "nope", base) }, incident.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.err(); !errors.Is(err, tc.want) {
				t.Errorf("err = %v; want errors.Is %v", err, tc.want)
			}
		})
	}
}
