package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"net/url"
	"slices"
	"strconv"
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

// adminUpstream is an upstream of GET /api/v1/upstreams.
type adminUpstream struct {
	Name      string `json:"name"`
	Endpoints []struct {
		URL     string    `json:"url"`
		Breaker string    `json:"breaker"`
		Since   time.Time `json:"since"`
	} `json:"endpoints"`
}

func listUpstreams(ctx context.Context, c *adminClient) ([]adminUpstream, error) {
	var out struct {
		Upstreams []adminUpstream `json:"upstreams"`
	}
	if err := c.call(ctx, "GET", "/api/v1/upstreams", nil, &out); err != nil {
		return nil, fmt.Errorf("listing upstreams: %w", err)
	}
	return out.Upstreams, nil
}

// selectUpstreams picks --upstream from the names, or all of them sorted. An
// upstream crmguard neither has configured nor has data of is most likely
// a typo, and a check of it would be OK forever, so it is an error.
func selectUpstreams(names []string, upstream string) ([]string, error) {
	slices.Sort(names)
	names = slices.Compact(names)
	switch {
	case upstream != "" && slices.Contains(names, upstream):
		return []string{upstream}, nil
	case upstream != "" && len(names) == 0:
		return nil, fmt.Errorf("no upstream %q: crmguard reports no upstreams", upstream)
	case upstream != "":
		return nil, fmt.Errorf("no upstream %q: crmguard has %s", upstream, strings.Join(names, ", "))
	case len(names) == 0:
		return nil, errors.New("crmguard reports no upstreams")
	}
	return names, nil
}

// statsUpstream is an upstream of GET /api/v1/stats.
type statsUpstream struct {
	Upstream  string             `json:"upstream"`
	Calls     int64              `json:"calls"`
	Failed    int64              `json:"failed"`
	ErrorRate float64            `json:"error_rate"`
	Classes   map[string]int64   `json:"classes"`
	LatencyMS map[string]float64 `json:"latency_ms"`
}

// checkStats checks error-rate, calls and latency.
func checkStats(ctx context.Context, c *adminClient, o checkOptions) nagios.Result {
	ups, err := listUpstreams(ctx, c)
	if err != nil {
		return unknownf("%v", err)
	}
	var stats struct {
		Upstreams []statsUpstream `json:"upstreams"`
	}
	if err := c.call(ctx, "GET", "/api/v1/stats?since="+url.QueryEscape(o.over.String()), nil, &stats); err != nil {
		return unknownf("reading call statistics: %v", err)
	}
	by := map[string]statsUpstream{}
	var names []string
	for _, u := range ups {
		names = append(names, u.Name)
	}
	for _, s := range stats.Upstreams {
		by[s.Upstream] = s
		names = append(names, s.Upstream)
	}
	names, err = selectUpstreams(names, o.upstream)
	if err != nil {
		return unknownf("%v", err)
	}
	items := make([]checkItem, len(names))
	for i, name := range names {
		s := by[name]
		s.Upstream = name
		switch o.metric {
		case "error-rate":
			items[i] = errorRateItem(s, o)
		case "calls":
			items[i] = callsItem(s, o)
		default:
			items[i] = latencyItem(s, o)
		}
	}
	return combineItems(items)
}

func errorRateItem(s statsUpstream, o checkOptions) checkItem {
	over := fmtWindow(o.over)
	label, what := s.Upstream+"_error_rate", "error rate"
	if o.hasClass {
		label, what = s.Upstream+"_"+o.class.String()+"_rate", o.class.String()+" rate"
	}
	it := checkItem{perf: nagios.Perf{Label: label, Warn: o.warn, Crit: o.crit, Min: floatPtr(0), Max: floatPtr(1)}}
	if s.Calls == 0 {
		it.status = o.noCalls
		it.text = fmt.Sprintf("%s no calls over %s", s.Upstream, over)
		it.detail = fmt.Sprintf("%s: no calls over %s, so the %s is taken as 0 and judged %s (--no-calls)", s.Upstream, over, what, o.noCalls)
		return it
	}
	rate := s.ErrorRate
	if o.hasClass {
		n := s.Classes[o.class.String()]
		rate = float64(n) / float64(s.Calls)
		it.detail = fmt.Sprintf("%s: %d of %d calls over %s were %s", s.Upstream, n, s.Calls, over, o.class)
	} else {
		it.detail = fmt.Sprintf("%s: %d of %d calls over %s failed%s", s.Upstream, s.Failed, s.Calls, over, classList(s.Classes, false))
	}
	it.perf.Value = rate
	it.status = nagios.Evaluate(rate, o.warn, o.crit)
	it.text = fmt.Sprintf("%s %s %s over %s", s.Upstream, what, fmtPercent(rate), over)
	return it
}

func callsItem(s statsUpstream, o checkOptions) checkItem {
	over := fmtWindow(o.over)
	n, label, what := s.Calls, s.Upstream+"_calls", "calls"
	if o.hasClass {
		n, label, what = s.Classes[o.class.String()], s.Upstream+"_"+o.class.String()+"_calls", o.class.String()+" calls"
	}
	v := float64(n)
	return checkItem{
		status: nagios.Evaluate(v, o.warn, o.crit),
		text:   fmt.Sprintf("%s %d %s over %s", s.Upstream, n, what, over),
		detail: fmt.Sprintf("%s: %d calls over %s%s", s.Upstream, s.Calls, over, classList(s.Classes, true)),
		perf:   nagios.Perf{Label: label, Value: v, Warn: o.warn, Crit: o.crit, Min: floatPtr(0)},
	}
}

func latencyItem(s statsUpstream, o checkOptions) checkItem {
	over := fmtWindow(o.over)
	it := checkItem{perf: nagios.Perf{Label: s.Upstream + "_latency_" + o.quantile, UOM: "s", Warn: o.warn, Crit: o.crit, Min: floatPtr(0)}}
	if s.Calls == 0 {
		// No calls, no latency: "U" in the performance data, not a 0
		// that a graph would show as fast.
		it.perf.Value = math.NaN()
		it.status = o.noCalls
		it.text = fmt.Sprintf("%s no calls over %s", s.Upstream, over)
		it.detail = fmt.Sprintf("%s: no calls over %s, so no latency; judged %s (--no-calls)", s.Upstream, over, o.noCalls)
		return it
	}
	ms, ok := s.LatencyMS[o.quantile]
	if !ok {
		it.perf.Value = math.NaN()
		it.status = nagios.Unknown
		it.text = fmt.Sprintf("the admin API reports no %s latency for %s", o.quantile, s.Upstream)
		it.detail = it.text
		return it
	}
	v := ms / 1000
	it.perf.Value = v
	it.status = nagios.Evaluate(v, o.warn, o.crit)
	it.text = fmt.Sprintf("%s %s latency %s over %s", s.Upstream, o.quantile, fmtMillis(ms), over)
	var parts []string
	for _, q := range latencyQuantiles {
		if v, ok := s.LatencyMS[q]; ok {
			parts = append(parts, q+" "+fmtMillis(v))
		}
	}
	it.detail = fmt.Sprintf("%s: %s over %d calls in %s", s.Upstream, strings.Join(parts, ", "), s.Calls, over)
	return it
}

// checkBreakers checks the number of open circuit breakers per upstream.
func checkBreakers(ctx context.Context, c *adminClient, o checkOptions) nagios.Result {
	ups, err := listUpstreams(ctx, c)
	if err != nil {
		return unknownf("%v", err)
	}
	by := map[string]adminUpstream{}
	var names []string
	for _, u := range ups {
		by[u.Name] = u
		names = append(names, u.Name)
	}
	names, err = selectUpstreams(names, o.upstream)
	if err != nil {
		return unknownf("%v", err)
	}
	items := make([]checkItem, len(names))
	for i, name := range names {
		u := by[name]
		var open, half int
		var eps []string
		for _, e := range u.Endpoints {
			switch e.Breaker {
			case "open":
				open++
			case "half-open":
				half++
			}
			ep := e.URL + " " + e.Breaker
			if !e.Since.IsZero() {
				ep += " since " + e.Since.UTC().Format(time.RFC3339)
			}
			eps = append(eps, ep)
		}
		text := fmt.Sprintf("%s %d of %d endpoints open", name, open, len(u.Endpoints))
		if half > 0 {
			text += fmt.Sprintf(", %d half-open", half)
		}
		v := float64(open)
		items[i] = checkItem{
			status: nagios.Evaluate(v, o.warn, o.crit),
			text:   text,
			detail: name + ": " + cmp.Or(strings.Join(eps, ", "), "no endpoints"),
			perf:   nagios.Perf{Label: name + "_open_endpoints", Value: v, Warn: o.warn, Crit: o.crit, Min: floatPtr(0), Max: floatPtr(float64(len(u.Endpoints)))},
		}
	}
	return combineItems(items)
}

// checkQueue checks queue-depth, queue-age and dead-letters.
func checkQueue(ctx context.Context, c *adminClient, o checkOptions) nagios.Result {
	var st struct {
		Pending          int64   `json:"pending"`
		Inflight         int64   `json:"inflight"`
		Depth            int64   `json:"depth"`
		Dead             int64   `json:"dead"`
		Delivered        int64   `json:"delivered"`
		OldestAgeSeconds float64 `json:"oldest_age_seconds"`
	}
	if err := c.call(ctx, "GET", "/api/v1/queue/stats", nil, &st); err != nil {
		// A crmguard without a queue answers 404 "no queue: …".
		return unknownf("reading the write queue's counts: %v", err)
	}
	var (
		v    float64
		p    = nagios.Perf{Warn: o.warn, Crit: o.crit, Min: floatPtr(0)}
		text string
	)
	switch o.metric {
	case "queue-depth":
		v, p.Label = float64(st.Depth), "queue_depth"
		text = fmt.Sprintf("%d queued %s unfinished (%d pending, %d inflight)", st.Depth, plural(int(st.Depth), "write", "writes"), st.Pending, st.Inflight)
	case "queue-age":
		v, p.Label, p.UOM = st.OldestAgeSeconds, "queue_oldest_age", "s"
		text = "no unfinished queued writes"
		if st.Depth > 0 {
			text = fmt.Sprintf("oldest unfinished queued write is %s old", fmtSeconds(st.OldestAgeSeconds))
		}
	default:
		v, p.Label = float64(st.Dead), "dead_letters"
		text = fmt.Sprintf("%d dead %s in the write queue", st.Dead, plural(int(st.Dead), "letter", "letters"))
	}
	p.Value = v
	return nagios.Result{
		Status: nagios.Evaluate(v, o.warn, o.crit),
		Text:   text,
		Perf:   []nagios.Perf{p},
		Long: []string{fmt.Sprintf("pending %d, inflight %d, dead %d, delivered %d, oldest unfinished %s",
			st.Pending, st.Inflight, st.Dead, st.Delivered, fmtSeconds(st.OldestAgeSeconds))},
	}
}

// firingAlert is the part of an alert of GET /api/v1/alerts this check
// reads. Labels may hold any JSON value, so they are printed as given.
type firingAlert struct {
	ID           string         `json:"id"`
	Rule         string         `json:"rule"`
	State        string         `json:"state"`
	Severity     string         `json:"severity"`
	Labels       map[string]any `json:"labels"`
	Annotations  map[string]any `json:"annotations"`
	Acknowledged *struct {
		By      string `json:"by"`
		Comment string `json:"comment"`
	} `json:"acknowledged"`
	Silenced bool `json:"silenced"`
}

// checkAlerts judges the firing alerts by severity, or by number with -w
// or -c.
func checkAlerts(ctx context.Context, c *adminClient, o checkOptions) nagios.Result {
	var out struct {
		Alerts []firingAlert `json:"alerts"`
	}
	if err := c.call(ctx, "GET", "/api/v1/alerts?state=firing", nil, &out); err != nil {
		return unknownf("listing firing alerts: %v", err)
	}
	var firing, unhandled []firingAlert
	for _, a := range out.Alerts {
		if a.State != "" && a.State != "firing" {
			continue // the filter is applied here too, in case it was not
		}
		firing = append(firing, a)
		if a.Acknowledged == nil && !a.Silenced {
			unhandled = append(unhandled, a)
		}
	}
	// Unhandled alerts first, critical first, so that the long output
	// starts with what needs doing.
	slices.SortStableFunc(firing, func(a, b firingAlert) int {
		return cmp.Or(cmp.Compare(isHandled(a), isHandled(b)), worseFirst(alertStatus(a), alertStatus(b)))
	})
	r := nagios.Result{Perf: []nagios.Perf{
		{Label: "alerts_unhandled", Value: float64(len(unhandled)), Warn: o.warn, Crit: o.crit, Min: floatPtr(0)},
		{Label: "alerts_firing", Value: float64(len(firing)), Min: floatPtr(0)},
	}}
	if o.warn != nil || o.crit != nil {
		r.Status = nagios.Evaluate(float64(len(unhandled)), o.warn, o.crit)
	} else {
		for _, a := range unhandled {
			r.Status = nagios.Worst(r.Status, alertStatus(a))
		}
	}
	switch handledN := len(firing) - len(unhandled); {
	case len(firing) == 0:
		r.Text = "no firing alerts"
	case len(unhandled) == 0:
		r.Text = fmt.Sprintf("%d firing %s, all acknowledged or silenced", len(firing), plural(len(firing), "alert", "alerts"))
	default:
		var names []string
		for _, a := range unhandled[:min(3, len(unhandled))] {
			names = append(names, a.Rule+" ("+cmp.Or(a.Severity, "no severity")+")")
		}
		if n := len(unhandled) - len(names); n > 0 {
			names = append(names, fmt.Sprintf("%d more", n))
		}
		r.Text = fmt.Sprintf("%d firing %s unhandled: %s", len(unhandled), plural(len(unhandled), "alert", "alerts"), strings.Join(names, ", "))
		if handledN > 0 {
			r.Text += fmt.Sprintf("; %d acknowledged or silenced", handledN)
		}
	}
	for i, a := range firing {
		if i == maxLongLines {
			r.Long = append(r.Long, fmt.Sprintf("… and %d more", len(firing)-maxLongLines))
			break
		}
		r.Long = append(r.Long, alertLine(a))
	}
	return r
}

// alertStatus is the status an unhandled alert calls for. A severity
// crmguard does not know warns rather than passing unseen.
func alertStatus(a firingAlert) nagios.Status {
	switch a.Severity {
	case "critical":
		return nagios.Critical
	case "info":
		return nagios.OK
	}
	return nagios.Warning
}

func isHandled(a firingAlert) int {
	if a.Acknowledged != nil || a.Silenced {
		return 1
	}
	return 0
}

func alertLine(a firingAlert) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[%s] %s", cmp.Or(a.Severity, "no severity"), a.Rule)
	if len(a.Labels) > 0 {
		keys := make([]string, 0, len(a.Labels))
		for k := range a.Labels {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			keys[i] = fmt.Sprintf("%s=%v", k, a.Labels[k])
		}
		b.WriteString(" {" + strings.Join(keys, ", ") + "}")
	}
	if s, ok := a.Annotations["summary"].(string); ok && s != "" {
		b.WriteString(": " + s)
	}
	switch {
	case a.Acknowledged != nil:
		fmt.Fprintf(&b, " (acknowledged by %s", cmp.Or(a.Acknowledged.By, "someone"))
		if a.Acknowledged.Comment != "" {
			b.WriteString(": " + a.Acknowledged.Comment)
		}
		b.WriteString(")")
	case a.Silenced:
		b.WriteString(" (silenced)")
	}
	return b.String()
}

// openIncident is the part of an incident of GET /api/v1/incidents this
// check reads.
type openIncident struct {
	Fingerprint string    `json:"fingerprint"`
	State       string    `json:"state"`
	Upstream    string    `json:"upstream"`
	Operation   string    `json:"operation"`
	Class       string    `json:"class"`
	Message     string    `json:"message"`
	Latest      string    `json:"latest_message"`
	Count       int64     `json:"count"`
	LastSeen    time.Time `json:"last_seen"`
}

// incidentPage is the most incidents the admin API lists at once.
const incidentPage = 1000

// checkIncidents checks the number of open incidents.
func checkIncidents(ctx context.Context, c *adminClient, o checkOptions) nagios.Result {
	v := url.Values{"state": {"open"}, "limit": {strconv.Itoa(incidentPage)}}
	if o.upstream != "" {
		v.Set("upstream", o.upstream)
	}
	var out struct {
		Incidents []openIncident `json:"incidents"`
	}
	if err := c.call(ctx, "GET", "/api/v1/incidents?"+v.Encode(), nil, &out); err != nil {
		return unknownf("listing open incidents: %v", err)
	}
	full := len(out.Incidents) == incidentPage
	var open []openIncident
	for _, in := range out.Incidents {
		if in.State == "open" && (!o.hasClass || in.Class == o.class.String()) {
			open = append(open, in)
		}
	}
	if o.upstream != "" && len(out.Incidents) == 0 {
		ups, err := listUpstreams(ctx, c)
		if err != nil {
			return unknownf("%v", err)
		}
		names := make([]string, len(ups))
		for i, u := range ups {
			names[i] = u.Name
		}
		if _, err := selectUpstreams(names, o.upstream); err != nil {
			return unknownf("%v", err)
		}
	}

	n := float64(len(open))
	what := "open"
	if o.hasClass {
		what += " " + o.class.String()
	}
	count := strconv.Itoa(len(open))
	if full {
		count = "at least " + count // the page was full: there may be more
	}
	text := fmt.Sprintf("%s %s %s", count, what, plural(len(open), "incident", "incidents"))
	switch {
	case len(open) == 0:
		text = "no " + what + " incidents"
	case o.upstream == "":
		perUpstream := map[string]int{}
		for _, in := range open {
			perUpstream[in.Upstream]++
		}
		var parts []string
		for _, u := range slices.Sorted(maps.Keys(perUpstream)) {
			parts = append(parts, fmt.Sprintf("%s %d", u, perUpstream[u]))
		}
		text += " (" + strings.Join(parts, ", ") + ")"
	}
	if o.upstream != "" {
		text = o.upstream + ": " + text
	}
	r := nagios.Result{
		Status: nagios.Evaluate(n, o.warn, o.crit),
		Text:   text,
		Perf:   []nagios.Perf{{Label: "open_incidents", Value: n, Warn: o.warn, Crit: o.crit, Min: floatPtr(0)}},
	}
	for i, in := range open {
		if i == maxLongLines {
			r.Long = append(r.Long, fmt.Sprintf("… and %d more", len(open)-maxLongLines))
			break
		}
		msg := cmp.Or(in.Latest, in.Message)
		r.Long = append(r.Long, fmt.Sprintf("%s %s on %s: %s (%d %s, last %s, incident %s)",
			in.Upstream, in.Class, in.Operation, shorten(clean(msg), 120), in.Count, plural(int(in.Count), "call", "calls"),
			in.LastSeen.UTC().Format(time.RFC3339), in.Fingerprint))
	}
	return r
}

// classList prints the counts of classes, most first, as
// " (timeout 20, auth 5)"; withOK includes successful calls.
func classList(classes map[string]int64, withOK bool) string {
	type kv struct {
		class string
		n     int64
	}
	var list []kv
	for c, n := range classes {
		if n > 0 && (withOK || c != fault.OK.String()) {
			list = append(list, kv{c, n})
		}
	}
	if len(list) == 0 {
		return ""
	}
	slices.SortFunc(list, func(a, b kv) int { return cmp.Or(-cmp.Compare(a.n, b.n), cmp.Compare(a.class, b.class)) })
	parts := make([]string, len(list))
	for i, e := range list {
		parts[i] = fmt.Sprintf("%s %d", e.class, e.n)
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// fmtPercent prints a share as a percentage with at most two decimals.
func fmtPercent(share float64) string {
	p := math.Round(share*10000) / 100
	if p == 0 && share > 0 {
		return "<0.01%"
	}
	return strconv.FormatFloat(p, 'f', -1, 64) + "%"
}

// fmtMillis prints milliseconds as a duration: 310.5ms, 1.29s.
func fmtMillis(ms float64) string {
	return time.Duration(ms * float64(time.Millisecond)).Round(100 * time.Microsecond).String()
}

// fmtSeconds prints seconds as a duration: 1m35.2s.
func fmtSeconds(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(100 * time.Millisecond).String()
}

// fmtWindow prints --over as written: 5m rather than 5m0s.
func fmtWindow(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func floatPtr(f float64) *float64 { return &f }
