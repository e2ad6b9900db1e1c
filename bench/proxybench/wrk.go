package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// wrkResult is what one wrk run reported, plus wrk's own CPU use.
type wrkResult struct {
	Requests int64         // "N requests in …"
	Elapsed  time.Duration // the "in …" of that line
	RPS      float64       // "Requests/sec:"
	// Latency holds the --latency distribution by percentile: 50, 75, 90, 99.
	Latency map[int]time.Duration
	Non2xx  int64 // "Non-2xx or 3xx responses:"; 0 when wrk printed no such line
	// Socket errors by kind: connect, read, write, timeout.
	Connect, Read, Write, Timeout int64
	CPU                           time.Duration // wrk's user+system time
	Wall                          time.Duration // wrk's wall-clock time
}

// errorCount returns every failure wrk reported.
func (w wrkResult) errorCount() int64 {
	return w.Non2xx + w.Connect + w.Read + w.Write + w.Timeout
}

// wrkOptions are the wrk parameters shared by every target.
type wrkOptions struct {
	bin         string
	threads     int
	connections int
	timeout     time.Duration
}

// runWrk runs wrk against url for d and parses its report. wrk runs in a
// process group of its own so that cancelling ctx (Ctrl-C) stops it.
func runWrk(ctx context.Context, o wrkOptions, url string, d time.Duration) (wrkResult, error) {
	args := []string{
		"-t", strconv.Itoa(o.threads), "-c", strconv.Itoa(o.connections),
		"-d", wrkSeconds(d), "--timeout", wrkSeconds(o.timeout), "--latency", url,
	}
	cmd := exec.CommandContext(ctx, o.bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if ctx.Err() != nil {
		return wrkResult{}, ctx.Err()
	}
	if err != nil {
		return wrkResult{}, fmt.Errorf("running wrk %s: %w\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	r, err := parseWrk(stdout.String())
	if err != nil {
		return wrkResult{}, fmt.Errorf("reading the output of wrk %s: %w\n%s", strings.Join(args, " "), err, stdout.String())
	}
	r.CPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	r.Wall = wall
	return r, nil
}

// wrkSeconds formats d for wrk's -d and --timeout, which take whole
// seconds with an "s" suffix (at least 1s).
func wrkSeconds(d time.Duration) string {
	s := int64((d + time.Second - 1) / time.Second)
	return strconv.FormatInt(max(s, 1), 10) + "s"
}

var (
	wrkRequestsRE = regexp.MustCompile(`(?m)^\s*(\d+) requests in ([0-9.]+[a-z]+)`)
	wrkRPSRE      = regexp.MustCompile(`(?m)^Requests/sec:\s*([0-9.]+)`)
	wrkPctRE      = regexp.MustCompile(`(?m)^\s+(50|75|90|99)%\s+([0-9.]+[a-z]+)\s*$`)
	wrkNon2xxRE   = regexp.MustCompile(`(?m)^\s*Non-2xx or 3xx responses:\s*(\d+)`)
	wrkSocketRE   = regexp.MustCompile(`(?m)^\s*Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

// parseWrk reads the report wrk 4 prints with --latency.
func parseWrk(out string) (wrkResult, error) {
	var r wrkResult
	m := wrkRequestsRE.FindStringSubmatch(out)
	if m == nil {
		return r, errors.New(`no "N requests in T" line`)
	}
	r.Requests, _ = strconv.ParseInt(m[1], 10, 64)
	el, err := parseWrkDuration(m[2])
	if err != nil {
		return r, fmt.Errorf("elapsed time: %w", err)
	}
	r.Elapsed = el
	m = wrkRPSRE.FindStringSubmatch(out)
	if m == nil {
		return r, errors.New(`no "Requests/sec:" line`)
	}
	if r.RPS, err = strconv.ParseFloat(m[1], 64); err != nil {
		return r, fmt.Errorf("requests/sec %q: %w", m[1], err)
	}
	r.Latency = map[int]time.Duration{}
	for _, m := range wrkPctRE.FindAllStringSubmatch(out, -1) {
		p, _ := strconv.Atoi(m[1])
		d, err := parseWrkDuration(m[2])
		if err != nil {
			return r, fmt.Errorf("latency p%d: %w", p, err)
		}
		r.Latency[p] = d
	}
	for _, p := range []int{50, 75, 90, 99} {
		if _, ok := r.Latency[p]; !ok {
			return r, fmt.Errorf("no %d%% line in the latency distribution (was --latency given?)", p)
		}
	}
	if m := wrkNon2xxRE.FindStringSubmatch(out); m != nil {
		r.Non2xx, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if m := wrkSocketRE.FindStringSubmatch(out); m != nil {
		r.Connect, _ = strconv.ParseInt(m[1], 10, 64)
		r.Read, _ = strconv.ParseInt(m[2], 10, 64)
		r.Write, _ = strconv.ParseInt(m[3], 10, 64)
		r.Timeout, _ = strconv.ParseInt(m[4], 10, 64)
	}
	return r, nil
}

// parseWrkDuration reads a time as wrk prints it: a number followed by us,
// ms, s, m or h ("250.00us", "1.02ms", "10.01s", "1.00m").
func parseWrkDuration(s string) (time.Duration, error) {
	i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i <= 0 {
		return 0, fmt.Errorf("bad time %q", s)
	}
	v, err := strconv.ParseFloat(s[:i], 64)
	if err != nil {
		return 0, fmt.Errorf("bad time %q: %w", s, err)
	}
	unit := map[string]time.Duration{
		"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second,
		"m": time.Minute, "h": time.Hour,
	}[s[i:]]
	if unit == 0 {
		return 0, fmt.Errorf("bad time %q: unknown unit %q", s, s[i:])
	}
	return time.Duration(v * float64(unit)), nil
}
