package acceptance

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/app"
	"github.com/crmguard/crmguard/internal/call"
	"github.com/crmguard/crmguard/internal/config"
	"github.com/crmguard/crmguard/internal/store"
)

// TestShutdown_WritesQueuedCalls stops crmguard right after a burst of
// calls, with a flush interval far longer than the test, and checks that
// every call answered before the stop is in the store afterwards.
func TestShutdown_WritesQueuedCalls(t *testing.T) {
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"ok":true}`)
	}))
	defer crm.Close()
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "crmguard.db")
	cfg := config.New(config.Upstream{Name: "crm", URL: crm.URL, Dialect: "generic"})
	cfg.Listen, cfg.Admin.Listen, cfg.Store = "127.0.0.1:0", "127.0.0.1:0", dsn
	cfg.Recording.FlushInterval = config.Duration(time.Hour)
	cfg.Recording.RollupInterval = config.Duration(time.Hour)
	a, err := app.New(context.Background(), cfg, app.Options{AdminToken: token})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()

	const n = 200
	for range n {
		resp, err := http.Get("http://" + a.GatewayAddr() + "/crm/x")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}

	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	calls, _, err := db.ListCalls(context.Background(), call.Query{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != n {
		t.Errorf("%d calls stored after shutdown; want all %d", len(calls), n)
	}
	rows, err := db.Rollups(context.Background(), time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var rolled int64
	for _, r := range rows {
		rolled += r.Calls
	}
	if rolled != n {
		t.Errorf("rollups count %d calls after shutdown; want %d", rolled, n)
	}
}
