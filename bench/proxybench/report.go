package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// best returns the round with the highest wrk throughput, whose wrk
// figures the main table shows.
func best(rs []round) round {
	b := rs[0]
	for _, r := range rs[1:] {
		if r.wrk.RPS > b.wrk.RPS {
			b = r
		}
	}
	return b
}

// bestLoop returns the moderate-load run with the lowest p99.
func bestLoop(rs []round) openLoopResult {
	b := rs[0].loop
	for _, r := range rs[1:] {
		if r.loop.pct(99) < b.pct(99) {
			b = r.loop
		}
	}
	return b
}

// otherCPU returns the CPU time the machine spent during the measured wrk
// run on anything but wrk, the upstream and the proxy.
func (r round) otherCPU() time.Duration {
	all := time.Duration(r.busy * float64(runtime.NumCPU()) * float64(r.wrk.Wall))
	return max(all-r.wrk.CPU-r.upCPU-r.proxyCPU, 0)
}

// report renders the results as markdown.
func (b *bench) report(ctx context.Context) string {
	o := b.opts
	var sb strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&sb, format, args...) }

	p("### Results\n\n")
	p("Best of %d round(s) per target: wrk columns from the round with the highest req/s, "+
		"moderate-load columns from the run with the lowest p99. ", o.rounds)
	p("wrk: `-t %d -c %d -d %s --latency` after a %s warm-up. Moderate load: %g req/s open loop over %d keep-alive connections for %s, "+
		"latency from the moment each request was due.\n\n", o.threads, o.connections, wrkSeconds(o.duration), o.warmup, o.rate, o.rateConns, o.rateDur)

	rps := func(name string) float64 {
		if rs := b.results[name]; len(rs) > 0 {
			return best(rs).wrk.RPS
		}
		return 0
	}
	ratio := func(v, base float64) string {
		if base == 0 {
			return "—"
		}
		return fmt.Sprintf("%.2f", v/base)
	}
	directP99 := time.Duration(0)
	if rs := b.results[nameDirect]; len(rs) > 0 {
		directP99 = bestLoop(rs).pct(99)
	}
	p("| target | req/s | p50 | p99 (wrk) | ratio to caddy | ratio to nginx | moderate-load p50 | p99 | added p99 vs direct |\n")
	p("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, t := range b.targets {
		rs := b.results[t.name]
		if len(rs) == 0 {
			continue
		}
		w, l := best(rs).wrk, bestLoop(rs)
		added := "— (baseline)"
		if t.name != nameDirect {
			added = signedDur(l.pct(99) - directP99)
		}
		p("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", label(t.name),
			thousands(w.RPS), fmtDur(w.Latency[50]), fmtDur(w.Latency[99]),
			ratio(w.RPS, rps(nameCaddy)), ratio(w.RPS, rps(nameNginx)),
			fmtDur(l.pct(50)), fmtDur(l.pct(99)), added)
	}

	p("\n#### Every round\n\n")
	p("`other CPU`: CPU used during the run by anything but the harness, wrk, the upstream and the proxy (other programs, kernel work not charged to a process), " +
		"in per cent of one core; a high value means the figures of that run are skewed.\n\n")
	p("| target | round | req/s | wrk p50 | p75 | p90 | p99 | other CPU | moderate p50 | p90 | p99 | max | other CPU |\n")
	p("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, t := range b.targets {
		for i, r := range b.results[t.name] {
			l := r.loop
			p("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", t.name, i+1, thousands(r.wrk.RPS),
				fmtDur(r.wrk.Latency[50]), fmtDur(r.wrk.Latency[75]), fmtDur(r.wrk.Latency[90]), fmtDur(r.wrk.Latency[99]),
				cpuPct(r.otherCPU(), r.wrk.Wall), fmtDur(l.pct(50)), fmtDur(l.pct(90)), fmtDur(l.pct(99)), fmtDur(l.pct(100)),
				cpuPct(r.loopOther, r.loopWall))
		}
	}

	p("\n#### CPU during the measured wrk run (best round)\n\n")
	p("Per cent of one core (this machine has %d); `machine busy` is the share of all cores in use.\n\n", runtime.NumCPU())
	p("`other` is what the machine used beyond wrk, the upstream and the proxy: other programs on the machine, or the kernel's softirq work.\n\n")
	p("| target | wrk | upstream nginx | proxy | other | machine busy |\n|---|---:|---:|---:|---:|---:|\n")
	for _, t := range b.targets {
		rs := b.results[t.name]
		if len(rs) == 0 {
			continue
		}
		r := best(rs)
		wall := r.wrk.Wall
		proxy := "—"
		if t.name != nameDirect {
			proxy = cpuPct(r.proxyCPU, wall)
		}
		p("| %s | %s | %s | %s | %s | %.0f%% |\n", t.name, cpuPct(r.wrk.CPU, wall), cpuPct(r.upCPU, wall), proxy,
			cpuPct(r.otherCPU(), wall), r.busy*100)
	}

	p("\n#### Errors (all rounds, warm-ups included)\n\n")
	p("| target | wrk non-2xx/3xx | wrk socket errors (connect/read/write/timeout) | moderate-load non-200 | no answer | reconnects | sent late (connection busy) |\n")
	p("|---|---:|---:|---:|---:|---:|---:|\n")
	for _, t := range b.targets {
		var non2xx, c, rd, wr, to int64
		var non200, errs, reconn, behind int
		for _, r := range b.results[t.name] {
			for _, w := range []wrkResult{r.warm, r.wrk} {
				non2xx += w.Non2xx
				c, rd, wr, to = c+w.Connect, rd+w.Read, wr+w.Write, to+w.Timeout
			}
			for _, l := range []openLoopResult{r.warmLoop, r.loop} {
				non200, errs, reconn, behind = non200+l.Non200, errs+l.Errors, reconn+l.Reconnects, behind+l.Behind
			}
		}
		p("| %s | %d | %d/%d/%d/%d | %d | %d | %d | %d |\n", t.name, non2xx, c, rd, wr, to, non200, errs, reconn, behind)
	}
	if len(b.nginxErrs) > 0 {
		p("\nnginx logged %d error line(s); first: `%s`\n", len(b.nginxErrs), b.nginxErrs[0])
	}

	if b.crmguard != nil {
		rec := b.recording
		p("\n#### crmguard recording\n\n")
		if rec.statsErr != nil {
			p("Could not read what crmguard recorded: %v\n", rec.statsErr)
		} else {
			p("crmguard recorded %s calls to upstream `crm` (admin API `GET /api/v1/stats?since=1h`, read %.1fs after the last request) "+
				"out of about %s the harness sent (wrk counts only completed requests); recorder: %s written, %s dropped "+
				"(`crmguard_recorder_written_total`, `crmguard_recorder_dropped_total`).\n",
				thousands(float64(rec.calls)), rec.flushAfterLoad.Seconds(), thousands(float64(rec.sent)),
				thousands(rec.written), thousands(rec.dropped))
			var drains []string
			for i, r := range b.results[nameCrmguard] {
				drains = append(drains, fmt.Sprintf("round %d: %.1fs", i+1, r.drainWrk.Seconds()))
			}
			p("Time for the recorder queue to empty after each measured wrk run: %s.\n", strings.Join(drains, ", "))
		}
		if b.profile != "" {
			p("\n%s\n", b.profile)
		}
	}

	p("\n### Machine and command\n\n")
	for _, l := range machineInfo(ctx, o) {
		p("- %s\n", l)
	}
	p("- background load in the %s before the servers started: %.0f%% of all cores busy\n", quietSample, b.background*100)
	p("- date: %s\n", b.started.UTC().Format("2006-01-02 15:04 MST"))
	p("- command (from the module root): `%s`\n", b.cmdline)
	return sb.String()
}

// label is a target's name in the main table.
func label(name string) string {
	if name == nameDirect {
		return "direct (upstream nginx, no proxy)"
	}
	return name
}

// machineInfo returns one line per fact about the machine and the tools.
func machineInfo(ctx context.Context, o options) []string {
	first := func(argv ...string) string {
		out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
		line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
		if err != nil && line == "" {
			return "unavailable (" + err.Error() + ")"
		}
		return strings.TrimSpace(line)
	}
	return []string{
		"nproc: " + first("nproc"),
		"CPU: " + cpuModel(),
		"kernel: " + first("uname", "-sr"),
		"go: " + first("go", "version"),
		"nginx: " + first(o.nginx, "-v"),
		"caddy: " + first(o.caddy, "version"),
		"wrk: " + first(o.wrk, "-v"),
	}
}

// cpuModel returns the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// fmtDur formats a latency in µs below a millisecond and in ms above.
func fmtDur(d time.Duration) string {
	if d < time.Millisecond {
		return fmt.Sprintf("%d µs", d.Microseconds())
	}
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}

// signedDur formats a latency difference with its sign.
func signedDur(d time.Duration) string {
	if d < 0 {
		return "−" + fmtDur(-d)
	}
	return "+" + fmtDur(d)
}

// cpuPct formats CPU time used over wall time as per cent of one core.
func cpuPct(cpu, wall time.Duration) string {
	if wall <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f%%", 100*cpu.Seconds()/wall.Seconds())
}

// thousands formats v rounded to an integer with comma separators.
func thousands(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}
