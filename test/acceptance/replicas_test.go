package acceptance

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/pgtest"
)

// TestReplicas_ShareOneQueueOnPostgres runs two crmguard replicas on one
// PostgreSQL database. Writes queued through one of them while the CRM is
// down are drained by both once it is back, and each reaches the CRM
// exactly once.
func TestReplicas_ShareOneQueueOnPostgres(t *testing.T) {
	t.Parallel()
	const writes = 600
	pg := pgtest.Start(t)
	dsn := pg.NewDatabase(t)

	var up atomic.Bool
	var mu sync.Mutex
	got := make(map[string]int) // path → deliveries
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if !up.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		time.Sleep(time.Millisecond) // a CRM takes its time
		mu.Lock()
		got[r.URL.Path]++
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer crm.Close()

	cfg := fmt.Sprintf(`
listen: 127.0.0.1:0
admin: {listen: 127.0.0.1:0}
store: %s
queue: {workers: 2, poll: 50ms, backoff: 100ms, max_backoff: 500ms}
upstreams:
  - name: crm
    url: %s
    retry: {attempts: 1}
    breaker: {min_calls: 100000}
    queue: {rate: 100000}
`, dsn, crm.URL)
	a, b := start(t, cfg), start(t, cfg)

	client := &http.Client{}
	for i := range writes {
		req, _ := http.NewRequest(http.MethodPut, fmt.Sprintf("%s/crm/contacts/%d", a.gateway, i), strings.NewReader(`{"n":1}`))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("write %d: %d; want it queued while the CRM is down", i, resp.StatusCode)
		}
	}
	up.Store(true)

	deadline := time.Now().Add(time.Minute)
	for {
		st, err := a.app.Store.QueueStats(t.Context(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if st.Depth == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the queue did not drain: %+v", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != writes {
		t.Errorf("the CRM received %d distinct writes; want %d", len(got), writes)
	}
	for path, n := range got {
		if n != 1 {
			t.Errorf("%s delivered %d times; want once", path, n)
		}
	}
	// Both replicas took part.
	per := deliveredBy(t, a, b)
	t.Logf("replicas: %d writes delivered, %d by the first replica, %d by the second", len(got), per[0], per[1])
	if per[0] == 0 || per[1] == 0 || per[0]+per[1] != writes {
		t.Errorf("deliveries per replica %v; want both replicas to share the %d", per, writes)
	}
}

// deliveredBy returns how many queued writes each instance delivered,
// from its crmguard_queue_delivered_total.
func deliveredBy(t *testing.T, ins ...*instance) []int {
	t.Helper()
	out := make([]int, len(ins))
	for i, in := range ins {
		for _, line := range strings.Split(get(t, in.admin+"/metrics"), "\n") {
			if rest, ok := strings.CutPrefix(line, `crmguard_queue_delivered_total{upstream="crm"} `); ok {
				fmt.Sscan(rest, &out[i])
			}
		}
	}
	return out
}
