package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Target names, in the order the report lists them.
const (
	nameDirect   = "direct"
	nameNginx    = "nginx"
	nameCaddy    = "caddy"
	nameCrmguard = "crmguard"
)

// numPorts is how many ports a run listens on: upstream, nginx, caddy,
// crmguard and crmguard's admin API.
const numPorts = 5

var targetNames = []string{nameDirect, nameNginx, nameCaddy, nameCrmguard}

func isTargetName(s string) bool { return slices.Contains(targetNames, s) }

// target is one thing under load: the upstream itself or a proxy in front
// of it.
type target struct {
	name string
	addr string // 127.0.0.1:port
	path string // request path, the proxy prefix included
	proc *proc  // the proxy's process; for direct, the upstream's
}

func (t *target) url() string { return "http://" + t.addr + t.path }

// round is what one round measured for one target.
type round struct {
	warm      wrkResult
	wrk       wrkResult
	warmLoop  openLoopResult
	loop      openLoopResult
	upCPU     time.Duration // upstream nginx CPU during the measured wrk run
	proxyCPU  time.Duration // the proxy's CPU during the measured wrk run
	busy      float64       // whole-machine busy share during the measured wrk run
	drainWrk  time.Duration // crmguard: recorder backlog drain time after wrk
	loopOther time.Duration // CPU used by other programs during the moderate-load run
	loopWall  time.Duration // how long the moderate-load run took
}

// bench is one run of the harness: its temporary directory, the servers it
// started and what it measured.
type bench struct {
	opts    options
	log     io.Writer
	cmdline string
	started time.Time

	dir        string
	cleanups   []func()
	upstream   *proc
	targets    []*target
	crmguard   *crmguard
	results    map[string][]round
	sanity     int // requests sent to crmguard outside wrk and the load generator
	recording  recordingReport
	profile    string  // what -profile produced, for the report
	background float64 // machine busy share before the servers started
	nginxErrs  []string
}

// recordingReport is what crmguard says it recorded.
type recordingReport struct {
	calls          int64 // admin API stats, last hour
	written        float64
	dropped        float64
	sent           int64 // requests the harness sent to crmguard
	statsErr       error
	flushAfterLoad time.Duration
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.log, "proxybench: "+format+"\n", args...)
}

// onCleanup adds f to the cleanup stack, run last-in first-out by cleanup.
func (b *bench) onCleanup(f func()) { b.cleanups = append(b.cleanups, f) }

// cleanup stops every server and removes the temporary directory unless
// -keep was given. It runs on success, on error and after Ctrl-C.
func (b *bench) cleanup() {
	for i := len(b.cleanups) - 1; i >= 0; i-- {
		b.cleanups[i]()
	}
	b.cleanups = nil
}

// run starts the servers, measures every target -rounds times and returns
// the markdown report.
func (b *bench) run(ctx context.Context) (string, error) {
	o := b.opts
	b.started = time.Now()
	if err := requireBinaries(o); err != nil {
		return "", err
	}
	root, err := moduleRoot(ctx)
	if err != nil {
		return "", err
	}
	if b.dir, err = os.MkdirTemp("", "proxybench-"); err != nil {
		return "", fmt.Errorf("creating a temporary directory: %w", err)
	}
	if err := os.Chmod(b.dir, 0o755); err != nil { // nginx workers may run as nobody
		return "", fmt.Errorf("creating a temporary directory: %w", err)
	}
	b.onCleanup(func() {
		if o.keep {
			b.logf("kept %s", b.dir)
			return
		}
		os.RemoveAll(b.dir)
	})
	if err := b.start(ctx, root); err != nil {
		return "", err
	}
	b.results = map[string][]round{}
	for r := range o.rounds {
		order := slices.Clone(b.targets)
		if r%2 == 1 { // alternate the order so no target always runs first
			slices.Reverse(order)
		}
		for _, t := range order {
			res, err := b.measure(ctx, t, r)
			if err != nil {
				return "", fmt.Errorf("round %d, %s: %w", r+1, t.name, err)
			}
			b.results[t.name] = append(b.results[t.name], res)
		}
	}
	if b.crmguard != nil {
		b.readRecording(ctx)
	}
	for _, name := range []string{"upstream", nameNginx} {
		b.nginxErrs = append(b.nginxErrs, nginxErrors(filepath.Join(b.dir, name))...)
	}
	return b.report(ctx), nil
}

// moduleRoot returns the directory of the main module (where go.mod is).
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("finding the module root (go env GOMOD): %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("run proxybench from inside the crmguard module (go env GOMOD is %q)", gomod)
	}
	return filepath.Dir(gomod), nil
}

// start builds crmguard, starts the upstream and every proxy, and checks
// that each target answers the record.
func (b *bench) start(ctx context.Context, root string) error {
	o := b.opts
	want := strings.Split(o.targets, ",")
	var bin string
	if slices.Contains(want, nameCrmguard) {
		b.logf("building crmguard")
		var err error
		if bin, err = buildCrmguard(ctx, root, filepath.Join(b.dir, "bin")); err != nil {
			return err
		}
	}
	if err := b.sampleBackground(ctx); err != nil {
		return err
	}
	ports, err := freePorts(numPorts)
	if err != nil {
		return err
	}
	upPort := ports[0]
	up, err := startNginx(o.nginx, "upstream nginx", filepath.Join(b.dir, "upstream"), upstreamBlocks(upPort))
	if err != nil {
		return err
	}
	b.onCleanup(up.stop)
	b.upstream = up
	directT := &target{name: nameDirect, addr: addr(upPort), path: recordPath, proc: up}
	if err := up.waitHTTP(ctx, directT.url(), 15*time.Second); err != nil {
		return err
	}
	b.targets = append(b.targets, directT)

	proxied := func(port int) (string, string) { return addr(port), proxyPrefix + recordPath }
	if slices.Contains(want, nameNginx) {
		p, err := startNginx(o.nginx, "nginx", filepath.Join(b.dir, nameNginx), nginxProxyBlocks(ports[1], upPort))
		if err != nil {
			return err
		}
		b.onCleanup(p.stop)
		a, path := proxied(ports[1])
		b.targets = append(b.targets, &target{name: nameNginx, addr: a, path: path, proc: p})
	}
	if slices.Contains(want, nameCaddy) {
		p, err := startCaddy(o.caddy, filepath.Join(b.dir, nameCaddy), ports[2], upPort)
		if err != nil {
			return err
		}
		b.onCleanup(p.stop)
		a, path := proxied(ports[2])
		b.targets = append(b.targets, &target{name: nameCaddy, addr: a, path: path, proc: p})
	}
	if bin != "" {
		g, err := startCrmguard(ctx, bin, filepath.Join(b.dir, nameCrmguard), ports[3], ports[4], upPort)
		if err != nil {
			return err
		}
		b.onCleanup(g.stop)
		b.crmguard = g
		a, path := proxied(ports[3])
		b.targets = append(b.targets, &target{name: nameCrmguard, addr: a, path: path, proc: g.proc})
	}
	for _, t := range b.targets {
		if err := t.proc.waitHTTP(ctx, t.url(), 15*time.Second); err != nil {
			return err
		}
		if err := checkRecord(ctx, t); err != nil {
			return err
		}
		if t.name == nameCrmguard {
			b.sanity += 2 // waitHTTP's and checkRecord's requests
		}
	}
	return nil
}

func addr(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }

// checkRecord fetches the record through t once and checks status,
// content type and body, so that every target is known to serve the same
// answer before it is measured.
func checkRecord(ctx context.Context, t *target) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.url(), nil)
	if err != nil {
		return fmt.Errorf("checking %s: %w", t.name, err)
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("checking %s: %w", t.name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("checking %s: reading the body: %w", t.name, err)
	}
	switch {
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("checking %s: GET %s: status %s", t.name, t.url(), resp.Status)
	case !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json"):
		return fmt.Errorf("checking %s: GET %s: Content-Type %q, want application/json", t.name, t.url(), resp.Header.Get("Content-Type"))
	case string(body) != recordBody:
		return fmt.Errorf("checking %s: GET %s: body differs from the upstream's record: %.200q", t.name, t.url(), body)
	}
	return nil
}

// measure runs one round on t: wrk warm-up, measured wrk run (with CPU
// accounting and, when asked, a perf profile), then the moderate-load
// run.
func (b *bench) measure(ctx context.Context, t *target, r int) (round, error) {
	o := b.opts
	var res round
	w := wrkOptions{bin: o.wrk, threads: o.threads, connections: o.connections, timeout: 5 * time.Second}
	if o.warmup > 0 {
		b.logf("round %d/%d %s: wrk warm-up %s", r+1, o.rounds, t.name, o.warmup)
		var err error
		if res.warm, err = runWrk(ctx, w, t.url(), o.warmup); err != nil {
			return res, err
		}
	}
	var perf *perfRun
	if o.profile != "" && r == 0 && t.name == nameCrmguard {
		var err error
		if perf, err = startPerf(o.perf, o.profile, t.proc.pid(), o.duration); err != nil {
			return res, err
		}
	}
	b.logf("round %d/%d %s: wrk %s -t %d -c %d", r+1, o.rounds, t.name, o.duration, o.threads, o.connections)
	up0, _ := groupCPU(b.upstream.pid())
	px0, _ := groupCPU(t.proc.pid())
	m0, _ := readMachineCPU()
	var err error
	res.wrk, err = runWrk(ctx, w, t.url(), o.duration)
	up1, _ := groupCPU(b.upstream.pid())
	px1, _ := groupCPU(t.proc.pid())
	m1, _ := readMachineCPU()
	if perf != nil {
		report, perr := perf.finish(ctx)
		if err == nil && perr != nil {
			err = perr
		}
		b.profile = report
	}
	if err != nil {
		return res, err
	}
	res.upCPU, res.proxyCPU, res.busy = up1-up0, px1-px0, busyFraction(m0, m1)
	if t.name == nameDirect {
		res.proxyCPU = 0
	}
	if res.drainWrk, err = b.settle(ctx, t); err != nil {
		return res, err
	}

	b.logf("round %d/%d %s: %g req/s over %d connections for %s", r+1, o.rounds, t.name, o.rate, o.rateConns, o.rateDur)
	loop := openLoop{addr: t.addr, path: t.path, rate: o.rate, conns: o.rateConns, dur: time.Second}
	if res.warmLoop, err = loop.run(ctx); err != nil { // fresh connections, warm caches
		return res, err
	}
	loop.dur = o.rateDur
	before, err := b.sampleCPU(t)
	if err != nil {
		return res, err
	}
	start := time.Now()
	if res.loop, err = loop.run(ctx); err != nil {
		return res, err
	}
	after, err := b.sampleCPU(t)
	if err != nil {
		return res, err
	}
	res.loopOther, res.loopWall = after.other(before), time.Since(start)
	if _, err = b.settle(ctx, t); err != nil {
		return res, err
	}
	return res, nil
}

// settle lets the machine calm down between runs. For crmguard it first
// waits for the recorder to write its backlog, which would otherwise run
// during the next measurement, and returns how long that took.
func (b *bench) settle(ctx context.Context, t *target) (time.Duration, error) {
	var drained time.Duration
	if t.name == nameCrmguard {
		var err error
		if drained, err = b.crmguard.drain(ctx, 60*time.Second); err != nil {
			return drained, err
		}
	}
	select {
	case <-ctx.Done():
		return drained, ctx.Err()
	case <-time.After(time.Second):
	}
	return drained, nil
}

// readRecording waits for crmguard to write its records and rollups, then
// reads what it recorded.
func (b *bench) readRecording(ctx context.Context) {
	rec := &b.recording
	rec.sent = int64(b.sanity)
	for _, r := range b.results[nameCrmguard] {
		rec.sent += r.warm.Requests + r.wrk.Requests + int64(r.warmLoop.Sent+r.loop.Sent)
	}
	start := time.Now()
	if _, err := b.crmguard.drain(ctx, 60*time.Second); err != nil {
		rec.statsErr = err
		return
	}
	// Rollups are written every second (rollup_interval: 1s); give the
	// last one time to land.
	select {
	case <-ctx.Done():
		rec.statsErr = ctx.Err()
		return
	case <-time.After(2500 * time.Millisecond):
	}
	rec.flushAfterLoad = time.Since(start)
	rec.calls, rec.statsErr = b.crmguard.recordedCalls(ctx)
	m, err := b.crmguard.metrics(ctx, "crmguard_recorder_")
	if err != nil && rec.statsErr == nil {
		rec.statsErr = err
	}
	rec.written = m["crmguard_recorder_written_total"]
	rec.dropped = m["crmguard_recorder_dropped_total"]
}
