package storetest

import (
	"context"
	"net/url"
	"sync"
	"testing"

	"github.com/crmguard/crmguard/internal/shape"
	"github.com/crmguard/crmguard/internal/store"
)

// testShapes checks that shapes stored in increments, also from several
// writers at once, merge to the shape one book that saw all the traffic
// gives.
func testShapes(t *testing.T, db *store.DB) {
	ctx := context.Background()
	observe := func(b *shape.Book, body string, n int) {
		for range n {
			b.Observe(shape.Exchange{
				Method: "POST", Path: "/contacts", Query: url.Values{"limit": {"5"}},
				RequestType: "application/json", RequestBody: []byte(body),
				Status: 201, ResponseType: "application/json", ResponseBody: []byte(`{"id":1}`),
			})
		}
	}
	var all shape.Book
	observe(&all, `{"name":"a"}`, 40)
	observe(&all, `{"name":"a","age":3}`, 40)

	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var b shape.Book
			body := `{"name":"a"}`
			if i%2 == 1 {
				body = `{"name":"a","age":3}`
			}
			for range 2 {
				observe(&b, body, 5)
				errs <- db.MergeShapes(ctx, "crm", b.Take())
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.Shapes(ctx, "crm")
	if err != nil {
		t.Fatal(err)
	}
	want := all.Snapshot()
	if len(got) != 1 || len(want) != 1 {
		t.Fatalf("stored %d operations, want 1 (book has %d)", len(got), len(want))
	}
	gotDoc, err := shape.Render(got, shape.RenderOptions{Title: "t"})
	if err != nil {
		t.Fatal(err)
	}
	wantDoc, err := shape.Render(want, shape.RenderOptions{Title: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if string(gotDoc) != string(wantDoc) {
		t.Errorf("merged shapes render\n%s\nwant\n%s", gotDoc, wantDoc)
	}
	if got[0].Calls != 80 {
		t.Errorf("merged %d calls, want 80", got[0].Calls)
	}
	if other, err := db.Shapes(ctx, "other"); err != nil || len(other) != 0 {
		t.Errorf("shapes of another upstream: %v, %v; want none", other, err)
	}
}
