package acceptance

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/pgtest"
	"github.com/crmguard/crmguard/internal/store"
)

// TestKill9 runs writes through a real crmguard process while the CRM
// flaps, kills the process with SIGKILL at random moments and starts it
// again on the same store, repeatedly. At the end every write that was
// acknowledged (2xx, or 202 from the queue) must have reached the CRM
// exactly once, in order per record.
//
// The writes carry an Idempotency-Key, as a client that wants exactly-once
// delivery sends: a process killed between the CRM's answer and storing
// it cannot know whether the write was applied, so crmguard sends it
// again with the same key and the CRM applies it once. Writes arriving
// without the key would be applied again, which the journal counts as
// duplicates: the test fails if crmguard ever loses the key.
func TestKill9(t *testing.T) {
	bin := buildCrmguard(t)
	t.Run("sqlite", func(t *testing.T) {
		kill9(t, bin, "sqlite", "sqlite://"+filepath.Join(t.TempDir(), "crmguard.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		pg := pgtest.Start(t)
		kill9(t, bin, "postgres", pg.NewDatabase(t))
	})
}

// buildCrmguard builds the crmguard binary into a temporary directory.
func buildCrmguard(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "crmguard")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/crmguard/crmguard/cmd/crmguard")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building crmguard: %v\n%s", err, out)
	}
	return bin
}

func kill9(t *testing.T, bin, backend, dsn string) {
	const (
		records = 6
		kills   = 6
	)
	journal := newJournalCRM()
	crm := httptest.NewServer(journal)
	defer crm.Close()
	stopFlap := journal.flap(250 * time.Millisecond)

	gw, admin := freeAddr(t), freeAddr(t)
	cfgPath := filepath.Join(t.TempDir(), "crmguard.yaml")
	cfg := fmt.Sprintf(`listen: %s
admin: {listen: %s}
store: %s
log: {level: warn}
queue: {lease: 2s, poll: 100ms, backoff: 100ms, max_backoff: 1s}
upstreams:
  - name: crm
    url: %s
    dialect: generic
    timeout: 2s
    retry: {attempts: 2, backoff: 50ms, max_backoff: 200ms}
    breaker: {min_calls: 10, window: 5s, cooldown: 1s}
    queue: {writes: on_failure, rate: 500}
`, gw, admin, dsn, crm.URL)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	p := &process{t: t, bin: bin, cfg: cfgPath, admin: admin}
	p.start()
	defer p.stop()

	// Each record's writes go one after another, each sent again until it
	// is acknowledged, as an integration does, until the kills are over.
	var acked atomic.Int64
	sent := make([]int, records) // writes acknowledged per record
	client := &http.Client{Timeout: 5 * time.Second}
	var wg sync.WaitGroup
	killsDone := make(chan struct{})
	for r := range records {
		wg.Go(func() {
			for seq := 1; ; seq++ {
				select {
				case <-killsDone:
					return
				default:
				}
				for !sendWrite(client, gw, r, seq) {
					time.Sleep(50 * time.Millisecond)
				}
				acked.Add(1)
				sent[r] = seq
				// Spread the writes over the kills and the CRM's flaps.
				time.Sleep(time.Duration(rand.IntN(80)) * time.Millisecond)
			}
		})
	}
	for range kills {
		time.Sleep(time.Duration(300+rand.IntN(1200)) * time.Millisecond)
		p.kill()
		p.start()
	}
	time.Sleep(500 * time.Millisecond) // writes after the last restart too
	close(killsDone)
	wg.Wait()
	stopFlap()

	// The CRM is healthy now: wait for the queue to drain.
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(60 * time.Second)
	for {
		st, err := db.QueueStats(context.Background(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if st.Depth == 0 {
			if st.Dead > 0 {
				t.Errorf("%d queued writes became dead letters", st.Dead)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the queue did not drain: %+v", st)
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.stop()

	delivered, duplicates, lost, disorder := journal.check(sent)
	line := fmt.Sprintf("kill9 store=%s acknowledged=%d delivered=%d duplicates=%d lost=%d", backend, acked.Load(), delivered, duplicates, lost)
	fmt.Println(line)
	t.Log(line)
	t.Logf("kill9 store=%s restarts=%d resent_with_same_key=%d crm_failures_injected=%d", backend, p.starts-1, journal.resent.Load(), journal.injected.Load())
	if int64(delivered) != acked.Load() || duplicates != 0 || lost != 0 {
		t.Errorf("want delivered=acknowledged, duplicates=0, lost=0")
	}
	for _, d := range disorder {
		t.Error(d)
	}
}

// sendWrite sends write seq of record r and reports whether crmguard
// acknowledged it: the CRM's 2xx, or 202 from the queue.
func sendWrite(c *http.Client, gw string, r, seq int) bool {
	body := fmt.Sprintf(`{"Seq":%d}`, seq)
	req, _ := http.NewRequest(http.MethodPatch, fmt.Sprintf("http://%s/crm/contacts/r%d", gw, r), strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", fmt.Sprintf("r%d-w%d", r, seq))
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode >= 200 && resp.StatusCode < 300
}

// process is a crmguard serve process that the test kills and restarts.
type process struct {
	t      *testing.T
	bin    string
	cfg    string
	admin  string
	cmd    *exec.Cmd
	starts int
}

func (p *process) start() {
	p.t.Helper()
	cmd := exec.Command(p.bin, "serve", "--config", p.cfg)
	cmd.Env = append(os.Environ(),
		"CRMGUARD_ADMIN_TOKEN="+token,
		"CRMGUARD_QUEUE_KEY=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")
	cmd.Stderr = &prefixWriter{t: p.t}
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.cmd = cmd
	p.starts++
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + p.admin + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("crmguard did not become ready: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill sends SIGKILL: no shutdown, no flush, no lease released.
func (p *process) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	_ = p.cmd.Wait()
}

// stop ends the process in order, as an operator would.
func (p *process) stop() {
	if p.cmd == nil || p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
}

// prefixWriter passes a child's log lines to the test log.
type prefixWriter struct{ t *testing.T }

func (w *prefixWriter) Write(b []byte) (int, error) {
	if testing.Verbose() {
		w.t.Logf("crmguard: %s", strings.TrimRight(string(b), "\n"))
	}
	return len(b), nil
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// journalCRM is a CRM that applies PATCH /contacts/{record} writes and
// journals them per record. It honours Idempotency-Key: a write whose key
// was applied before is answered as a success and not applied again. A
// write without a key is always applied. While flapping it fails in turns
// in the ways a CRM fails: 503 without applying, a dropped connection
// without applying, and a dropped connection after applying.
type journalCRM struct {
	mu      sync.Mutex
	keys    map[string]bool  // idempotency keys applied
	applied map[string][]int // record → seqs in the order applied
	mode    atomic.Int32
	resent  atomic.Int64 // writes answered from an applied key
	// injected counts requests answered with a failure.
	injected atomic.Int64
}

// The journal CRM's modes.
const (
	healthy int32 = iota
	unavailable
	dropBefore
	dropAfter
)

func newJournalCRM() *journalCRM {
	return &journalCRM{keys: make(map[string]bool), applied: make(map[string][]int)}
}

// flap switches modes every period, healthy half the time, until stopped.
func (j *journalCRM) flap(period time.Duration) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-done:
				j.mode.Store(healthy)
				return
			case <-t.C:
				if rand.IntN(2) == 0 {
					j.mode.Store(healthy)
				} else {
					j.mode.Store(1 + rand.Int32N(3))
				}
			}
		}
	}()
	return func() { close(done); <-finished }
}

func (j *journalCRM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	record, ok := strings.CutPrefix(r.URL.Path, "/contacts/")
	if r.Method != http.MethodPatch || !ok {
		http.Error(w, `{"message":"not found"}`, http.StatusNotFound)
		return
	}
	var body struct{ Seq int }
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Seq == 0 {
		http.Error(w, `{"message":"bad body"}`, http.StatusBadRequest)
		return
	}
	switch j.mode.Load() {
	case unavailable:
		j.injected.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, `{"message":"maintenance"}`)
		return
	case dropBefore:
		j.injected.Add(1)
		drop(w)
		return
	case dropAfter:
		j.injected.Add(1)
		j.apply(record, r.Header.Get("Idempotency-Key"), body.Seq)
		drop(w)
		return
	}
	j.apply(record, r.Header.Get("Idempotency-Key"), body.Seq)
	w.WriteHeader(http.StatusNoContent)
}

func (j *journalCRM) apply(record, key string, seq int) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if key != "" && j.keys[key] {
		j.resent.Add(1)
		return
	}
	if key != "" {
		j.keys[key] = true
	}
	j.applied[record] = append(j.applied[record], seq)
}

// drop closes the connection without an answer.
func drop(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // a reset, as a crashing CRM or middlebox sends
	}
	conn.Close()
}

// check compares the journal with the writes acknowledged: record r must
// have seqs 1..sent[r] applied once each, in order. A write sent but not
// acknowledged when the test ended may have been applied too; it must be
// the next seq.
func (j *journalCRM) check(sent []int) (delivered, duplicates, lost int, disorder []string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for r, writes := range sent {
		seqs := j.applied["r"+strconv.Itoa(r)]
		seen := make(map[int]int)
		for i, s := range seqs {
			seen[s]++
			if i > 0 && s <= seqs[i-1] && len(disorder) < 10 {
				disorder = append(disorder, fmt.Sprintf("record r%d: write %d applied after write %d", r, s, seqs[i-1]))
			}
			if s > writes+1 {
				disorder = append(disorder, fmt.Sprintf("record r%d: write %d applied, but only %d were sent", r, s, writes))
			}
		}
		for seq := 1; seq <= writes; seq++ {
			switch n := seen[seq]; {
			case n == 0:
				lost++
			default:
				delivered++
				duplicates += n - 1
			}
		}
	}
	return delivered, duplicates, lost, disorder
}
