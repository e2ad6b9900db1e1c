package alert

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"text/template"
	"time"

	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/incident"
	"github.com/crmguard/crmguard/internal/quantile"
	"github.com/crmguard/crmguard/internal/rollup"
)

// Source is what rules read: the stored rollups and incidents every
// replica writes, and this replica's live state. One *app value
// implements it over the store and the upstream transports.
type Source interface {
	Rollups(ctx context.Context, since, until time.Time) ([]rollup.Row, error)
	OpenIncidents(ctx context.Context) ([]incident.Incident, error)
	// QueueStats returns the write queue's state; ok is false when no
	// queue is configured.
	QueueStats(ctx context.Context, now time.Time) (st QueueStats, ok bool, err error)
	// Upstreams returns every configured upstream's live state.
	Upstreams() []Upstream
}

// QueueStats is the write queue's state as rules see it.
type QueueStats struct {
	Depth, Dead int64
	OldestAge   time.Duration
}

// Upstream is an upstream's live state.
type Upstream struct {
	Name string
	// OpenEndpoints counts the endpoints whose breaker is open, of
	// Endpoints.
	Endpoints, OpenEndpoints int
	// QuotaLeft is the lowest share left of the upstream's quota windows
	// with a known limit, in QuotaWindow; QuotaKnown is false when the
	// CRM reported none.
	QuotaLeft   float64
	QuotaWindow string
	QuotaKnown  bool
}

// ScoreSource is the hook for anomaly scores: a detector that scores the
// series crmguard keeps answers the latest score of each upstream's
// series. Rules with an anomaly condition read it.
type ScoreSource interface {
	Scores(ctx context.Context, series string) ([]Score, error)
}

// Score is a series' latest anomaly score, from 0 (normal) to 1.
type Score struct {
	Upstream string
	Score    float64
	// Explanation says what departed from normal, such as "expected
	// 120–180 calls a minute, saw 0".
	Explanation string
}

// sample is one thing a condition measured: an upstream's value, an
// incident…
type sample struct {
	labels      map[string]string
	value       float64
	active      bool
	annotations map[string]string
}

// condition is a compiled Condition.
type condition interface {
	// eval measures the condition on the snapshot; samples that are
	// absent count as inactive.
	eval(ctx context.Context, s *snapshot) ([]sample, error)
	// window is how far back into the rollups eval reads; 0 for none.
	window() time.Duration
	kind() valueKind
	// describe is the default summary of an active sample.
	describe(s sample) string
}

// snapshot is the state one evaluation reads, each part fetched once
// and only when a rule needs it.
type snapshot struct {
	now    time.Time
	src    Source
	scores ScoreSource

	rows       []rollup.Row
	rowsSince  time.Time
	incidents  []incident.Incident
	incLoaded  bool
	upstreams  []Upstream
	queue      *QueueStats
	queueFound bool
}

// rollups returns the rollup rows of the minutes that overlap the
// window ending now. The evaluation loads the widest window once.
func (s *snapshot) rollups(window time.Duration) []rollup.Row {
	from := s.now.Add(-window).Truncate(time.Minute)
	i := sort.Search(len(s.rows), func(i int) bool { return !s.rows[i].Minute.Before(from) })
	return s.rows[i:]
}

func (s *snapshot) openIncidents(ctx context.Context) ([]incident.Incident, error) {
	if !s.incLoaded {
		inc, err := s.src.OpenIncidents(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading open incidents: %w", err)
		}
		s.incidents, s.incLoaded = inc, true
	}
	return s.incidents, nil
}

func (s *snapshot) queueStats(ctx context.Context) (QueueStats, bool, error) {
	if s.queue == nil {
		st, ok, err := s.src.QueueStats(ctx, s.now)
		if err != nil {
			return st, false, fmt.Errorf("reading the write queue: %w", err)
		}
		s.queue, s.queueFound = &st, ok
	}
	return *s.queue, s.queueFound, nil
}

func (s *snapshot) liveUpstreams() []Upstream {
	if s.upstreams == nil {
		s.upstreams = s.src.Upstreams()
	}
	return s.upstreams
}

// upstreamMatches says whether a condition's upstream selector picks name.
func upstreamMatches(sel, name string) bool { return sel == "*" || sel == name }

// classCond is a class's share or count of calls over a window.
type classCond struct {
	upstream string
	class    *fault.Class // nil: every failed class
	span     time.Duration
	share    bool
	minCalls int64
	t        bound
}

func (c *classCond) window() time.Duration { return c.span }
func (c *classCond) kind() valueKind {
	if c.share {
		return shareValue
	}
	return countValue
}

func (c *classCond) className() string {
	if c.class == nil {
		return "failed"
	}
	return c.class.String()
}

func (c *classCond) eval(_ context.Context, s *snapshot) ([]sample, error) {
	type count struct{ all, class int64 }
	by := map[string]*count{}
	for _, r := range s.rollups(c.span) {
		if !upstreamMatches(c.upstream, r.Upstream) {
			continue
		}
		n := by[r.Upstream]
		if n == nil {
			n = &count{}
			by[r.Upstream] = n
		}
		n.all += r.Calls
		if c.class == nil && r.Class.Failed() || c.class != nil && r.Class == *c.class {
			n.class += r.Calls
		}
	}
	var out []sample
	for up, n := range by {
		v := float64(n.class)
		if c.share {
			v /= float64(n.all)
		}
		active := c.t.active(v)
		if c.share && n.all < max(c.minCalls, 1) {
			active = false
		}
		out = append(out, sample{labels: map[string]string{"upstream": up, "class": c.className()}, value: v, active: active})
	}
	return out, nil
}

func (c *classCond) describe(s sample) string {
	if c.share {
		return fmt.Sprintf("%s calls were %s of %s's calls over the last %s (%s)",
			c.className(), formatValue(s.value, shareValue), s.labels["upstream"], shortDur(c.span), c.t)
	}
	return fmt.Sprintf("%s had %s %s calls over the last %s (%s)",
		s.labels["upstream"], formatValue(s.value, countValue), c.className(), shortDur(c.span), c.t)
}

// latencyCond is a latency statistic over a window.
type latencyCond struct {
	upstream string
	stat     string
	q        float64
	span     time.Duration
	t        bound
}

func (c *latencyCond) window() time.Duration { return c.span }
func (c *latencyCond) kind() valueKind       { return durationValue }

func (c *latencyCond) eval(_ context.Context, s *snapshot) ([]sample, error) {
	type acc struct {
		sketch quantile.Sketch
		calls  int64
		sum    time.Duration
		max    time.Duration
	}
	by := map[string]*acc{}
	for _, r := range s.rollups(c.span) {
		if !upstreamMatches(c.upstream, r.Upstream) {
			continue
		}
		a := by[r.Upstream]
		if a == nil {
			a = &acc{}
			by[r.Upstream] = a
		}
		a.sketch.Merge(r.Latency)
		a.calls += r.Calls
		a.sum += r.LatencySum
		a.max = max(a.max, r.LatencyMax)
	}
	var out []sample
	for up, a := range by {
		if a.calls == 0 {
			continue
		}
		var d time.Duration
		switch c.stat {
		case "max":
			d = a.max
		case "mean":
			d = a.sum / time.Duration(a.calls)
		default:
			d = a.sketch.Quantile(c.q)
		}
		v := d.Seconds()
		out = append(out, sample{labels: map[string]string{"upstream": up}, value: v, active: c.t.active(v)})
	}
	return out, nil
}

func (c *latencyCond) describe(s sample) string {
	return fmt.Sprintf("%s latency %s was %s over the last %s (%s)",
		s.labels["upstream"], c.stat, formatValue(s.value, durationValue), shortDur(c.span), c.t)
}

// breakerCond is active while an endpoint of the upstream has an open
// breaker.
type breakerCond struct{ upstream string }

func (c *breakerCond) window() time.Duration { return 0 }
func (c *breakerCond) kind() valueKind       { return countValue }

func (c *breakerCond) eval(_ context.Context, s *snapshot) ([]sample, error) {
	var out []sample
	for _, u := range s.liveUpstreams() {
		if upstreamMatches(c.upstream, u.Name) {
			out = append(out, sample{labels: map[string]string{"upstream": u.Name}, value: float64(u.OpenEndpoints), active: u.OpenEndpoints > 0})
		}
	}
	return out, nil
}

func (c *breakerCond) describe(s sample) string {
	return fmt.Sprintf("%s: %s endpoint(s) have an open circuit breaker; calls fail fast or go to a failover", s.labels["upstream"], formatValue(s.value, countValue))
}

// queueCond is the write queue's depth, oldest age or dead letters.
type queueCond struct {
	what string
	t    bound
}

func (c *queueCond) window() time.Duration { return 0 }
func (c *queueCond) kind() valueKind       { return c.t.kind }

func (c *queueCond) eval(ctx context.Context, s *snapshot) ([]sample, error) {
	st, ok, err := s.queueStats(ctx)
	if err != nil || !ok {
		return nil, err
	}
	var v float64
	switch c.what {
	case "depth":
		v = float64(st.Depth)
	case "dead":
		v = float64(st.Dead)
	case "oldest_age":
		v = st.OldestAge.Seconds()
	}
	return []sample{{labels: map[string]string{"queue": c.what}, value: v, active: c.t.active(v)}}, nil
}

func (c *queueCond) describe(s sample) string {
	switch c.what {
	case "depth":
		return fmt.Sprintf("%s writes wait in the queue (%s)", formatValue(s.value, countValue), c.t)
	case "dead":
		return fmt.Sprintf("%s dead letters in the write queue (%s); see crmguard queue list --state dead", formatValue(s.value, countValue), c.t)
	}
	return fmt.Sprintf("the oldest queued write has waited %s (%s)", formatValue(s.value, durationValue), c.t)
}

// quotaCond is the lowest share left of an upstream's quota windows.
type quotaCond struct {
	upstream string
	t        bound
}

func (c *quotaCond) window() time.Duration { return 0 }
func (c *quotaCond) kind() valueKind       { return shareValue }

func (c *quotaCond) eval(_ context.Context, s *snapshot) ([]sample, error) {
	var out []sample
	for _, u := range s.liveUpstreams() {
		if upstreamMatches(c.upstream, u.Name) && u.QuotaKnown {
			out = append(out, sample{
				labels: map[string]string{"upstream": u.Name, "window": u.QuotaWindow},
				value:  u.QuotaLeft, active: c.t.active(u.QuotaLeft),
			})
		}
	}
	return out, nil
}

func (c *quotaCond) describe(s sample) string {
	return fmt.Sprintf("%s has %s of its %s API quota left (%s)", s.labels["upstream"], formatValue(s.value, shareValue), s.labels["window"], c.t)
}

// incidentCond is active for each open incident that matches.
type incidentCond struct {
	upstream   string
	class      *fault.Class
	failedOnly bool
	which      string
}

func (c *incidentCond) window() time.Duration { return 0 }
func (c *incidentCond) kind() valueKind       { return countValue }

func (c *incidentCond) eval(ctx context.Context, s *snapshot) ([]sample, error) {
	inc, err := s.openIncidents(ctx)
	if err != nil {
		return nil, err
	}
	var out []sample
	for _, in := range inc {
		switch {
		case !upstreamMatches(c.upstream, in.Upstream),
			c.class != nil && in.Class != *c.class,
			c.failedOnly && !in.Class.Failed(),
			c.which == "new" && in.Reopened > 0,
			c.which == "regressed" && in.Reopened == 0:
			continue
		}
		labels := map[string]string{"upstream": in.Upstream, "class": in.Class.String(), "incident": in.Fingerprint, "operation": in.Operation}
		if in.VendorCode != "" {
			labels["code"] = in.VendorCode
		}
		ann := map[string]string{"description": in.Message}
		if in.Remediation != "" {
			ann["remediation"] = in.Remediation
		}
		out = append(out, sample{labels: labels, value: float64(in.Count), active: true, annotations: ann})
	}
	return out, nil
}

func (c *incidentCond) describe(s sample) string {
	what := "incident"
	if c.which == "regressed" {
		what = "regressed incident"
	}
	code := ""
	if s.labels["code"] != "" {
		code = " " + s.labels["code"]
	}
	return fmt.Sprintf("%s %s on %s %s: %s%s, %s calls", what, s.labels["incident"][:min(8, len(s.labels["incident"]))],
		s.labels["upstream"], s.labels["operation"], s.labels["class"], code, formatValue(s.value, countValue))
}

// anomalyCond is active while an anomaly score is over its threshold.
type anomalyCond struct {
	series, upstream string
	t                bound
}

func (c *anomalyCond) window() time.Duration { return 0 }
func (c *anomalyCond) kind() valueKind       { return shareValue }

func (c *anomalyCond) eval(ctx context.Context, s *snapshot) ([]sample, error) {
	if s.scores == nil {
		return nil, nil
	}
	scores, err := s.scores.Scores(ctx, c.series)
	if err != nil {
		return nil, fmt.Errorf("reading anomaly scores of %s: %w", c.series, err)
	}
	var out []sample
	for _, sc := range scores {
		if upstreamMatches(c.upstream, sc.Upstream) {
			out = append(out, sample{
				labels: map[string]string{"upstream": sc.Upstream, "series": c.series},
				value:  sc.Score, active: c.t.active(sc.Score),
				annotations: map[string]string{"description": sc.Explanation},
			})
		}
	}
	return out, nil
}

func (c *anomalyCond) describe(s sample) string {
	return fmt.Sprintf("%s %s anomaly score %.2f (%s)", s.labels["upstream"], c.series, s.value, c.t)
}

// shortDur writes d without zero units: 5m, 1h30m.
func shortDur(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") || strings.HasSuffix(s, "h0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// summaryTemplate renders a rule's configured summary.
type summaryTemplate struct{ t *template.Template }

// summaryData is what a summary template sees.
type summaryData struct {
	Rule   string
	Labels map[string]string
	Value  float64
}

func parseSummary(s string) (*summaryTemplate, error) {
	if s == "" {
		return nil, nil
	}
	t, err := template.New("summary").Option("missingkey=zero").Parse(s)
	if err != nil {
		return nil, err
	}
	// Render once with empty data, so a template that cannot run is
	// refused when the configuration is loaded, not when the alert fires.
	if err := t.Execute(new(strings.Builder), summaryData{Labels: map[string]string{}}); err != nil {
		return nil, err
	}
	return &summaryTemplate{t}, nil
}

func (t *summaryTemplate) render(d summaryData) string {
	var b strings.Builder
	if err := t.t.Execute(&b, d); err != nil {
		return "summary template failed: " + err.Error()
	}
	return b.String()
}
