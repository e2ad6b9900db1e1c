package main

// The metrics crmguard check judges, each read from the admin API.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
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
