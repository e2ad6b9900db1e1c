package acceptance

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/faultproxy"
)

// TestOutage_WritesQueuedReadsFailFastDrainPaced closes the sample CRM's
// listener for a minute under a steady write load. Every write must be
// answered 202 and queued, reads must fail fast once the breaker opens,
// and after the CRM is back every write must be delivered once, no faster
// than the upstream's replay rate.
func TestOutage_WritesQueuedReadsFailFastDrainPaced(t *testing.T) {
	t.Parallel()
	const (
		outage    = 60 * time.Second
		writeRate = 5  // writes a second during the outage
		drainRate = 20 // the upstream's queue.rate
	)
	p := proxiedCRM(t)
	in := start(t, fmt.Sprintf(`
listen: 127.0.0.1:0
admin: {listen: 127.0.0.1:0}
store: sqlite://${DIR}/crmguard.db
queue: {poll: 100ms, backoff: 200ms, max_backoff: 2s}
upstreams:
  - name: sf
    url: "%s/salesforce"
    dialect: salesforce
    timeout: 2s
    retry: {attempts: 2, backoff: 10ms, max_backoff: 50ms}
    breaker: {failure_ratio: 0.5, min_calls: 10, window: 10s, cooldown: 2s}
    queue: {writes: on_failure, rate: %d}
`, p.URL(), drainRate))
	const api = "/sf/services/data/v59.0"
	client := &http.Client{Timeout: 10 * time.Second}
	contacts := func() int {
		resp, err := client.Get(in.gateway + api + "/query?q=SELECT+COUNT()+FROM+Contact")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct{ TotalSize int }
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
			t.Fatalf("counting contacts: %d %v", resp.StatusCode, err)
		}
		return out.TotalSize
	}
	before := contacts()

	if err := p.Set(faultproxy.Refuse{}); err != nil {
		t.Fatal(err)
	}
	p.CloseConnections()
	down := time.Now()

	// Writes: a steady load for the whole outage, each must be queued.
	var sent, queued atomic.Int64
	var bad sync.Map
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(time.Second / writeRate)
		defer tick.Stop()
		for n := 0; time.Since(down) < outage; n++ {
			<-tick.C
			body := fmt.Sprintf(`{"LastName":"Outage-%d","Email":"outage%d@example.com"}`, n, n)
			resp, err := client.Post(in.gateway+api+"/sobjects/Contact", "application/json", strings.NewReader(body))
			sent.Add(1)
			if err != nil {
				bad.Store(n, err.Error())
				continue
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted || resp.Header.Get("Crmguard-Queue-Id") == "" {
				bad.Store(n, fmt.Sprintf("%d %s", resp.StatusCode, b))
				continue
			}
			queued.Add(1)
		}
	})

	// Reads: once the breaker is open they are refused at once, without
	// waiting on the CRM.
	var fastFails, reads int
	var slowest time.Duration
	for time.Since(down) < outage-5*time.Second {
		start := time.Now()
		resp, err := client.Get(in.gateway + api + "/sobjects/Contact/describe")
		took := time.Since(start)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		reads++
		if resp.StatusCode == 503 && resp.Header.Get("Crmguard-Breaker") == "open" && resp.Header.Get("Crmguard-Class") == "unavailable" {
			fastFails++
			slowest = max(slowest, took)
		} else if resp.StatusCode < 500 {
			t.Fatalf("a read succeeded while the CRM was down: %d", resp.StatusCode)
		}
		time.Sleep(200 * time.Millisecond)
	}
	wg.Wait()
	bad.Range(func(k, v any) bool {
		t.Errorf("write %v during the outage was not queued: %v", k, v)
		return true
	})
	// Failing fast means not trying: most reads were answered by the open
	// breaker without an attempt. (A read whose retry found the breaker
	// just opened made one, and so did the half-open probes.)
	in.sync(t)
	var refused struct {
		Calls []struct {
			Method   string `json:"method"`
			Status   int    `json:"status"`
			Attempts int    `json:"attempts"`
		} `json:"calls"`
	}
	in.api(t, "GET", "/api/v1/calls?upstream=sf&class=unavailable&limit=1000", &refused)
	var untried int
	for _, c := range refused.Calls {
		if c.Method == "GET" && c.Status == 503 && c.Attempts == 0 {
			untried++
		}
	}
	if fastFails < reads/2 || untried < reads/2 {
		t.Errorf("%d of %d reads were refused by the open breaker, %d of them without an attempt; want most reads refused at once", fastFails, reads, untried)
	}

	// Recovery: the queue drains, paced.
	if err := p.Set(faultproxy.Pass{}); err != nil {
		t.Fatal(err)
	}
	up := time.Now()
	var st struct {
		Depth     int64 `json:"depth"`
		Dead      int64 `json:"dead"`
		Delivered int64 `json:"delivered"`
	}
	for {
		if code := in.api(t, "GET", "/api/v1/queue/stats", &st); code != 200 {
			t.Fatalf("queue stats: %d", code)
		}
		if st.Depth == 0 {
			break
		}
		if time.Since(up) > 2*time.Minute {
			t.Fatalf("the queue did not drain in 2 minutes: %+v", st)
		}
		time.Sleep(100 * time.Millisecond)
	}
	drained := time.Since(up)
	n := queued.Load()
	if st.Dead != 0 || st.Delivered != n {
		t.Errorf("queue: %d delivered, %d dead; want all %d delivered", st.Delivered, st.Dead, n)
	}
	if got := contacts() - before; int64(got) != n {
		t.Errorf("the CRM has %d new contacts; want the %d queued writes, each once", got, n)
	}
	// The rate allows a burst of one second's worth, then drainRate a second.
	floor := time.Duration(float64(n-drainRate) / drainRate * float64(time.Second))
	rate := float64(n) / drained.Seconds()
	t.Logf("outage: %d writes sent, %d queued; %d/%d reads refused by the open breaker, %d without an attempt (slowest %v); drained in %v (%.1f writes/s, paced at %d/s)",
		sent.Load(), n, fastFails, reads, untried, slowest, drained.Round(time.Millisecond), rate, drainRate)
	if n < outage.Milliseconds()/1000*writeRate*9/10 {
		t.Errorf("only %d writes were sent during the outage", n)
	}
	if drained < floor {
		t.Errorf("drained %d writes in %v; the replay rate of %d/s allows no less than %v", n, drained, drainRate, floor)
	}
	if drained > 3*floor+10*time.Second {
		t.Errorf("drained %d writes in %v; paced at %d/s that should take about %v", n, drained, drainRate, floor)
	}
}
