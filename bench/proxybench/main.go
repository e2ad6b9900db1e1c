// Command proxybench measures crmguard's gateway against nginx and Caddy
// reverse-proxying the same upstream on the same machine in the same run,
// and prints a markdown table: throughput and latency under wrk, and the
// latency each proxy adds at a moderate constant rate. Everything runs on
// 127.0.0.1 and stops when the run ends. See bench/README.md.
//
// Usage, from the module root:
//
//	go run ./bench/proxybench [-duration 10s] [-rounds 2] [-out FILE]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// options are the command-line flags.
type options struct {
	duration    time.Duration
	warmup      time.Duration
	threads     int
	connections int
	rounds      int
	rate        float64
	rateConns   int
	rateDur     time.Duration
	out         string
	profile     string
	keep        bool
	targets     string
	nginx       string
	caddy       string
	wrk         string
	perf        string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run parses the flags, runs the benchmark and returns the exit code: 0 on
// success, 1 when the run failed, 2 for bad usage.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "proxybench:", err)
		return 2
	}
	b := &bench{opts: o, log: stderr, cmdline: commandLine(args)}
	defer b.cleanup()
	rep, err := b.run(ctx)
	if err != nil {
		if ctx.Err() != nil {
			fmt.Fprintln(stderr, "proxybench: interrupted; servers stopped")
		} else {
			fmt.Fprintln(stderr, "proxybench:", err)
		}
		return 1
	}
	fmt.Fprint(stdout, rep)
	if o.out != "" {
		if err := os.WriteFile(o.out, []byte(rep), 0o644); err != nil {
			fmt.Fprintln(stderr, "proxybench: writing the report:", err)
			return 1
		}
		fmt.Fprintln(stderr, "proxybench: report written to", o.out)
	}
	return 0
}

// parseFlags reads the command line into options and checks them.
func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("proxybench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: go run ./bench/proxybench [flags]\n\n"+
			"Measures the upstream directly, nginx, Caddy and crmguard proxying it, on 127.0.0.1.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "length of each measured wrk run")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "length of the wrk warm-up before each measured run")
	fs.IntVar(&o.threads, "threads", 2, "wrk threads (-t)")
	fs.IntVar(&o.connections, "connections", 64, "wrk connections (-c)")
	fs.IntVar(&o.rounds, "rounds", 2, "times the whole set of targets is measured; the best round per target is reported")
	fs.Float64Var(&o.rate, "rate", 1000, "requests per second of the moderate-load run, all connections together")
	fs.IntVar(&o.rateConns, "rate-connections", 4, "keep-alive connections of the moderate-load run")
	fs.DurationVar(&o.rateDur, "rate-duration", 10*time.Second, "length of each moderate-load run")
	fs.StringVar(&o.out, "out", "", "also write the report to this `file`")
	fs.StringVar(&o.profile, "profile", "", "record a perf CPU profile of crmguard during its first measured wrk run into this `directory`")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory (configurations, logs, crmguard's database)")
	fs.StringVar(&o.targets, "targets", "direct,nginx,caddy,crmguard", "comma-separated targets to measure (direct is always included)")
	fs.StringVar(&o.nginx, "nginx", "/usr/sbin/nginx", "nginx `binary`")
	fs.StringVar(&o.caddy, "caddy", "/usr/bin/caddy", "caddy `binary`")
	fs.StringVar(&o.wrk, "wrk", "/usr/bin/wrk", "wrk `binary`")
	fs.StringVar(&o.perf, "perf", "/usr/bin/perf", "perf `binary`, for -profile")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, err
		}
		return o, errors.New("bad flags; see -help")
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	switch {
	case o.duration < time.Second:
		return o, fmt.Errorf("-duration %s: at least 1s", o.duration)
	case o.warmup < 0:
		return o, fmt.Errorf("-warmup %s: must not be negative", o.warmup)
	case o.threads < 1 || o.connections < o.threads:
		return o, fmt.Errorf("-threads %d -connections %d: need 1 ≤ threads ≤ connections", o.threads, o.connections)
	case o.rounds < 1:
		return o, fmt.Errorf("-rounds %d: at least 1", o.rounds)
	case o.rate <= 0 || o.rateConns < 1:
		return o, fmt.Errorf("-rate %g -rate-connections %d: both must be positive", o.rate, o.rateConns)
	case o.rateDur < time.Second:
		return o, fmt.Errorf("-rate-duration %s: at least 1s", o.rateDur)
	}
	for _, t := range strings.Split(o.targets, ",") {
		if !isTargetName(t) {
			return o, fmt.Errorf("-targets: unknown target %q; want some of direct, nginx, caddy, crmguard", t)
		}
	}
	return o, nil
}

// commandLine is how the run was started, as the report shows it.
func commandLine(args []string) string {
	parts := []string{"go", "run", "./bench/proxybench"}
	for _, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\"'$\\") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

// requireBinaries checks that the external programs the run needs exist.
func requireBinaries(o options) error {
	var missing []string
	for _, p := range []string{o.nginx, o.caddy, o.wrk} {
		if _, err := exec.LookPath(p); err != nil {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing %s; install them with: apt-get install -y wrk nginx-light caddy", strings.Join(missing, ", "))
	}
	if _, err := exec.LookPath("go"); err != nil {
		return errors.New("the go command is not on PATH; it is needed to build crmguard")
	}
	if o.profile != "" {
		if _, err := exec.LookPath(o.perf); err != nil {
			return fmt.Errorf("-profile needs %s; install it with: apt-get install -y linux-perf", o.perf)
		}
	}
	return nil
}
