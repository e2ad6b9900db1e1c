package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/nagios"
)

const checkUsage = `Usage: crmguard check --metric M [-w RANGE] [-c RANGE] [OPTIONS]

A monitoring plugin for Nagios, Icinga, Naemon and others that follow the
Monitoring Plugins Development Guidelines: it asks a running crmguard's
admin API for one metric, judges it by the thresholds and prints

  CRMGUARD <METRIC> <STATUS> - <summary> | <performance data>
  <one line per upstream, alert or incident>

Metrics (--metric M):
  error-rate    share of calls that failed over --over, from 0 to 1, per
                upstream (-w 0.05 warns above 5%). With --class C, the share
                of all calls that were of class C, such as auth.
  calls         number of calls over --over per upstream; with --class C,
                of class C only. -c 1: is critical when an upstream got none.
  latency       a latency quantile (--quantile) over --over per upstream, in
                seconds (-w 0.5 warns above 500ms).
  breaker       number of an upstream's endpoints whose circuit breaker is
                open. Without -c, -c 0 applies: any open breaker is critical.
  queue-depth   writes in the durable write queue not yet finished (pending
                and inflight).
  queue-age     age in seconds of the oldest unfinished queued write.
  dead-letters  number of dead entries in the write queue.
  alerts        firing alerts: CRITICAL if a critical one is neither
                acknowledged nor silenced, else WARNING if a warning one is
                (or one of a severity crmguard does not know), else OK. With
                -w or -c, those judge the number of such unhandled alerts
                instead.
  incidents     number of open incidents, of --upstream and --class if given.

Without --upstream, error-rate, calls, latency and breaker judge every
upstream on its own and the worst status wins (CRITICAL, then WARNING, then
UNKNOWN, then OK); each upstream has its own performance data. Without
thresholds a metric is OK whatever its value (except breaker and alerts).

Options:
  --metric M            the metric to check (required)
  -w, --warning RANGE   WARNING when the value alerts in RANGE
  -c, --critical RANGE  CRITICAL when the value alerts in RANGE (judged first)
  --upstream U          only upstream U (error-rate, calls, latency, breaker,
                        incidents)
  --class C             a failure class (error-rate, calls, incidents): ok,
                        network, timeout, auth, permission, rate_limit,
                        parameter, data_format, version, not_found, conflict,
                        server, unavailable, canceled, unknown
  --over D              the window of error-rate, calls and latency, such as
                        15m or 1h (default 5m); whole minutes, since crmguard
                        keeps per-minute rollups
  --quantile Q          latency: p50, p95 (default), p99, max or mean
  --no-calls S          error-rate, latency: the status of an upstream without
                        calls in the window: ok (default), warning, critical
                        or unknown
  --admin URL           the admin API (default $CRMGUARD_ADMIN_URL, else
                        http://127.0.0.1:8081)
  --token-env NAME      the environment variable holding the admin token
                        (default CRMGUARD_ADMIN_TOKEN)
  --timeout D           give up on the admin API after D (default 10s, below
                        the 60s after which Nagios kills a check)

Ranges (Monitoring Plugins Development Guidelines):
  10      alert below 0 or above 10
  10:     alert below 10
  ~:10    alert above 10
  10:20   alert below 10 or above 20
  @10:20  alert from 10 to 20, bounds included

Exit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. UNKNOWN, with the reason
on the first line, also means the options are wrong, the admin API cannot be
reached or refused the token, or it lacks what the metric needs (such as a
write queue); --help prints this and exits 3 too.

Example (Icinga 2 or Nagios command line):
  crmguard check --metric error-rate --upstream sf --over 15m -w 0.05 -c 0.1
`

// checkTimeout is the default of --timeout. Nagios kills a check after
// service_check_timeout (60s by default) and reports it as CRITICAL with
// no reason, so the plugin gives up well before that to say why itself.
const checkTimeout = 10 * time.Second

// maxLongLines bounds the alerts or incidents listed in the long output: a
// monitoring system shows it in notifications and keeps it with every
// state change.
const maxLongLines = 20

// checkOptions are the options of one check.
type checkOptions struct {
	metric     string
	warn, crit *nagios.Range
	upstream   string
	class      fault.Class
	hasClass   bool
	over       time.Duration
	quantile   string
	noCalls    nagios.Status
}

// checkMetric is one --metric: the options beyond the common ones it
// takes, and how it is checked.
type checkMetric struct {
	name    string
	options []string
	run     func(ctx context.Context, c *adminClient, o checkOptions) nagios.Result
}

// checkMetrics lists the metrics in the order of the usage text.
var checkMetrics = []checkMetric{
	{"error-rate", []string{"upstream", "class", "over", "no-calls"}, checkStats},
	{"calls", []string{"upstream", "class", "over"}, checkStats},
	{"latency", []string{"upstream", "over", "quantile", "no-calls"}, checkStats},
	{"breaker", []string{"upstream"}, checkBreakers},
	{"queue-depth", nil, checkQueue},
	{"queue-age", nil, checkQueue},
	{"dead-letters", nil, checkQueue},
	{"alerts", nil, checkAlerts},
	{"incidents", []string{"upstream", "class"}, checkIncidents},
}

// metricSpecific lists the options only some metrics take.
var metricSpecific = []string{"upstream", "class", "over", "quantile", "no-calls"}

var latencyQuantiles = []string{"p50", "p95", "p99", "max", "mean"}

// checkCmd runs `crmguard check` and returns the plugin's exit code: 0
// OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. These differ from crmguard's own
// exit codes, so main returns them as they are. Everything goes to stdout,
// the only output a monitoring system reads; stderr gets nothing but a
// copy of a failure to write stdout.
func checkCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	// The admin client reports its usage errors (no token, bad --admin)
	// on stderr; they are caught here to become the status line.
	var diag strings.Builder
	q := adminRun{group: "check", getenv: getenv, stdout: stdout, stderr: &diag}
	o, conn, err := parseCheck(q, args)
	service := "CRMGUARD CHECK"
	if m := findMetric(o.metric); m != nil {
		service = "CRMGUARD " + strings.ToUpper(strings.ReplaceAll(m.name, "-", "_"))
	}
	var res nagios.Result
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, checkUsage)
		return int(nagios.Unknown) // the guidelines' answer to --help
	case err != nil:
		res = unknownf("%v; see crmguard check --help", err)
	default:
		res = runCheck(ctx, q, &diag, o, conn)
	}
	res.Service = service
	if err := res.Write(stdout); err != nil {
		fmt.Fprintf(stdout, "%s UNKNOWN - %s\n", service, err)
		fmt.Fprintf(stderr, "crmguard check: %v\n", err)
		return int(nagios.Unknown)
	}
	return int(res.Status)
}

// parseCheck parses and checks the options. Its errors are usage errors,
// or flag.ErrHelp.
func parseCheck(q adminRun, args []string) (checkOptions, *connection, error) {
	o := checkOptions{over: 5 * time.Minute, quantile: "p95", noCalls: nagios.OK}
	fs, conn := q.flagSet("", "--metric M [-w RANGE] [-c RANGE]")
	fs.SetOutput(io.Discard) // errors go to the status line, help to stdout
	fs.Usage = func() {}
	conn.timeout = checkTimeout
	fs.Lookup("timeout").DefValue = checkTimeout.String()

	fs.StringVar(&o.metric, "metric", "", "the `metric` to check")
	rangeVar := func(dst **nagios.Range) func(string) error {
		return func(s string) error {
			r, err := nagios.ParseRange(s)
			if err != nil {
				return err
			}
			*dst = &r
			return nil
		}
	}
	for _, name := range []string{"w", "warning"} {
		fs.Func(name, "WARNING when the value alerts in this `range`", rangeVar(&o.warn))
	}
	for _, name := range []string{"c", "critical"} {
		fs.Func(name, "CRITICAL when the value alerts in this `range`", rangeVar(&o.crit))
	}
	fs.StringVar(&o.upstream, "upstream", "", "only this `upstream`")
	fs.Func("class", "a failure `class`", func(s string) error {
		c, err := fault.Parse(s)
		o.class, o.hasClass = c, err == nil
		return err
	})
	fs.DurationVar(&o.over, "over", o.over, "the `window` of error-rate, calls and latency")
	fs.Func("quantile", "latency `quantile`: p50, p95, p99, max or mean", func(s string) error {
		if !slices.Contains(latencyQuantiles, s) {
			return fmt.Errorf("want one of %s", strings.Join(latencyQuantiles, ", "))
		}
		o.quantile = s
		return nil
	})
	fs.Func("no-calls", "`status` of an upstream without calls", func(s string) error {
		st, err := nagios.ParseStatus(s)
		o.noCalls = st
		return err
	})

	if err := fs.Parse(args); err != nil {
		return o, conn, err
	}
	if fs.NArg() > 0 {
		return o, conn, fmt.Errorf("unexpected argument %q; options start with - or --", fs.Arg(0))
	}
	m := findMetric(o.metric)
	switch {
	case o.metric == "":
		return o, conn, fmt.Errorf("--metric is required: one of %s", metricNames())
	case m == nil:
		return o, conn, fmt.Errorf("unknown --metric %q: want one of %s", o.metric, metricNames())
	}
	var misplaced error
	fs.Visit(func(f *flag.Flag) {
		if misplaced == nil && slices.Contains(metricSpecific, f.Name) && !slices.Contains(m.options, f.Name) {
			misplaced = fmt.Errorf("--%s does not apply to --metric %s; it applies to %s", f.Name, m.name, metricsWith(f.Name))
		}
	})
	switch {
	case misplaced != nil:
		return o, conn, misplaced
	case o.over <= 0:
		return o, conn, fmt.Errorf("--over must be positive, such as 5m")
	}
	if m.name == "breaker" && o.crit == nil {
		o.crit = &nagios.Range{} // "0": any open breaker is critical
	}
	return o, conn, nil
}

// runCheck connects to the admin API and checks the metric. Every failure
// is an UNKNOWN result that says why.
func runCheck(ctx context.Context, q adminRun, diag *strings.Builder, o checkOptions, conn *connection) nagios.Result {
	c, err := q.client(o.metric, conn)
	if err != nil {
		// client wrote "crmguard check METRIC: reason" to diag.
		_, reason, _ := strings.Cut(strings.TrimSpace(diag.String()), ": ")
		if reason == "" {
			reason = err.Error()
		}
		return unknownf("%s", reason)
	}
	ctx, cancel := context.WithTimeout(ctx, conn.timeout)
	defer cancel()
	return findMetric(o.metric).run(ctx, c, o)
}

func findMetric(name string) *checkMetric {
	for i := range checkMetrics {
		if checkMetrics[i].name == name {
			return &checkMetrics[i]
		}
	}
	return nil
}

func metricNames() string {
	names := make([]string, len(checkMetrics))
	for i, m := range checkMetrics {
		names[i] = m.name
	}
	return strings.Join(names, ", ")
}

func metricsWith(option string) string {
	var names []string
	for _, m := range checkMetrics {
		if slices.Contains(m.options, option) {
			names = append(names, m.name)
		}
	}
	return strings.Join(names, ", ")
}

func unknownf(format string, args ...any) nagios.Result {
	return nagios.Result{Status: nagios.Unknown, Text: fmt.Sprintf(format, args...)}
}

// checkItem is what a check found about one upstream.
type checkItem struct {
	status nagios.Status
	text   string // for the summary line
	detail string // for the long output
	perf   nagios.Perf
}

// combineItems makes one result of the items, one per upstream: the worst
// status wins, and the summary names the items that are not OK, worst
// first.
func combineItems(items []checkItem) nagios.Result {
	var r nagios.Result
	if len(items) == 1 {
		it := items[0]
		r = nagios.Result{Status: it.status, Text: it.text, Perf: []nagios.Perf{it.perf}}
		if it.detail != "" {
			r.Long = []string{it.detail}
		}
		return r
	}
	var bad, good []string
	for _, it := range items {
		r.Status = nagios.Worst(r.Status, it.status)
		r.Perf = append(r.Perf, it.perf)
		r.Long = append(r.Long, "["+it.status.String()+"] "+it.detail)
	}
	sorted := slices.Clone(items)
	slices.SortStableFunc(sorted, func(a, b checkItem) int { return worseFirst(a.status, b.status) })
	for _, it := range sorted {
		if it.status == nagios.OK {
			good = append(good, it.text)
		} else {
			bad = append(bad, it.text+" ("+it.status.String()+")")
		}
	}
	switch {
	case len(bad) == 0 && len(good) <= 3:
		r.Text = strings.Join(good, "; ")
	case len(bad) == 0:
		r.Text = fmt.Sprintf("all %d upstreams OK", len(good))
	case len(good) == 0:
		r.Text = strings.Join(bad, "; ")
	default:
		r.Text = fmt.Sprintf("%s; %d other%s OK", strings.Join(bad, "; "), len(good), plural(len(good), "", "s"))
	}
	return r
}

// worseFirst orders statuses for sorting, the worst (as nagios.Worst
// judges) first.
func worseFirst(a, b nagios.Status) int {
	switch {
	case a == b:
		return 0
	case nagios.Worst(a, b) == a:
		return -1
	}
	return 1
}
