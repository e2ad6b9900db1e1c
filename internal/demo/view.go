package demo

import (
	"cmp"
	"context"
	"maps"

	"github.com/crmguard/crmguard/internal/alert"

	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/crmguard/crmguard/internal/call"
	"github.com/crmguard/crmguard/internal/democrm"
	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/incident"
	"github.com/crmguard/crmguard/internal/outbox"
	"github.com/crmguard/crmguard/internal/quantile"
	"github.com/crmguard/crmguard/internal/recorder"
	"github.com/crmguard/crmguard/internal/rollup"
)

// records is what the view reads from the store.
type records interface {
	Rollups(ctx context.Context, since, until time.Time) ([]rollup.Row, error)
	ListIncidents(ctx context.Context, q incident.Query) ([]incident.Incident, error)
	GetCall(ctx context.Context, id call.ID) (*call.Call, error)
	QueueStats(ctx context.Context, now time.Time) (outbox.Stats, error)
	ListAlerts(ctx context.Context, state alert.State) ([]alert.Alert, error)
}

// view renders what crmguard recorded: on a terminal it redraws once a
// second; otherwise (a pipe, a CI log) it prints a line every five seconds.
type view struct {
	out   io.Writer
	tty   bool
	db    records
	crm   *democrm.Server
	start time.Time
	// where is the banner's address line, repeated on every redraw.
	where string
}

func newView(out io.Writer, db records, crm *democrm.Server, start time.Time) *view {
	tty := false
	if f, ok := out.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return &view{out: out, tty: tty, db: db, crm: crm, start: start}
}

func (v *view) banner(gateway, admin, token string, d time.Duration) {
	length := "until Ctrl-C"
	if d > 0 {
		length = "for " + d.String()
	}
	v.where = fmt.Sprintf("gateway %s   admin API %s   token %s", gateway, admin, token)
	fmt.Fprintf(v.out, `crmguard demo — running %s
  gateway   %s   (upstreams /sf, /hubspot, /odoo → the sample CRM)
  admin API %s   token %s
  try:      curl -H 'Authorization: Bearer %s' '%s/api/v1/incidents?state=open'

`, length, gateway, admin, token, token, admin)
}

// snapshot is what one redraw shows, read from the store.
type snapshot struct {
	calls     int64
	byClass   map[fault.Class]int64
	latency   quantile.Sketch
	incidents []incident.Incident
	queue     outbox.Stats
	// drift counts the calls in contract drift incidents, and those.
	drift struct{ calls, incidents int64 }
}

func (v *view) read(ctx context.Context) (snapshot, error) {
	s := snapshot{byClass: map[fault.Class]int64{}}
	rows, err := v.db.Rollups(ctx, v.start.Truncate(time.Minute), time.Now().Add(time.Minute))
	if err != nil {
		return s, err
	}
	for _, r := range rows {
		s.calls += r.Calls
		s.byClass[r.Class] += r.Calls
		s.latency.Merge(r.Latency)
	}
	if s.queue, err = v.db.QueueStats(ctx, time.Now()); err != nil {
		return s, err
	}
	s.incidents, err = v.db.ListIncidents(ctx, incident.Query{State: incident.Open, Limit: 200})
	for _, in := range s.incidents {
		if in.VendorCode == recorder.CodeContractDrift {
			s.drift.calls += in.Count
			s.drift.incidents++
		}
	}
	// The top incidents are the ones that hit the most calls.
	slices.SortStableFunc(s.incidents, func(a, b incident.Incident) int { return cmp.Compare(b.Count, a.Count) })
	s.incidents = s.incidents[:min(len(s.incidents), 5)]
	// An incident's message is its grouping key, with names and numbers
	// taken out; the latest call in it shows the actual (redacted) words.
	for i := range s.incidents {
		in := &s.incidents[i]
		if n := len(in.SampleCalls); n > 0 {
			if c, err := v.db.GetCall(ctx, call.ID(in.SampleCalls[n-1])); err == nil && c.Message != "" {
				in.Message = c.Message
			}
		}
	}
	return s, err
}

// live redraws until ctx is canceled.
func (v *view) live(ctx context.Context, t *traffic) {
	every := 5 * time.Second
	if v.tty {
		every = time.Second
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		s, err := v.read(ctx)
		if err != nil {
			continue // the store is busy or closing; next tick
		}
		if v.tty {
			fmt.Fprint(v.out, "\x1b[H\x1b[2J")
			v.board(s, t)
			continue
		}
		fmt.Fprintf(v.out, "%5.0fs  calls %d  failed %.1f%%  p95 %s  open incidents %d\n",
			time.Since(v.start).Seconds(), s.calls, failedShare(s)*100, round(s.latency.Quantile(0.95)), len(s.incidents))
	}
}

// board draws the full-screen view.
func (v *view) board(s snapshot, t *traffic) {
	el := time.Since(v.start)
	fmt.Fprintln(v.out, v.where)
	fmt.Fprintf(v.out, "crmguard demo — %s elapsed   sent %d   recorded %d (%.1f/s)   failed %.1f%%   recovered by retry %d\n",
		el.Round(time.Second), t.sent.Load(), s.calls, float64(s.calls)/max(el.Seconds(), 1), failedShare(s)*100, t.recovered.Load())
	fmt.Fprintf(v.out, "latency p50 %s   p95 %s   p99 %s\n\n", round(s.latency.Quantile(0.5)), round(s.latency.Quantile(0.95)), round(s.latency.Quantile(0.99)))
	v.classTable(s, nil)
	fmt.Fprintln(v.out)
	v.queueLine(s, t)
	fmt.Fprintln(v.out)
	v.incidentList(s.incidents)
}

// queueLine tells what the write queue did with writes that failed.
func (v *view) queueLine(s snapshot, t *traffic) {
	q := s.queue
	fmt.Fprintf(v.out, "write queue: %d failed writes kept (202)   waiting %d   delivered %d   dead letters %d   not queued (resend unsafe) %d\n",
		t.queued.Load(), q.Depth, q.Delivered, q.Dead, t.refused.Load())
}

func (v *view) classTable(s snapshot, injected map[string]int) {
	if injected == nil {
		fmt.Fprintf(v.out, "%-12s %8s %7s\n", "class", "calls", "share")
	} else {
		fmt.Fprintf(v.out, "%-12s %8s %7s %9s\n", "class", "recorded", "share", "injected")
	}
	for _, c := range fault.Classes() {
		n := s.byClass[c]
		if n == 0 && injected[c.String()] == 0 {
			continue
		}
		share := 0.0
		if s.calls > 0 {
			share = float64(n) / float64(s.calls)
		}
		bar := strings.Repeat("█", int(share*40+0.5))
		if injected == nil {
			fmt.Fprintf(v.out, "%-12s %8d %6.1f%% %s\n", c, n, share*100, bar)
		} else {
			fmt.Fprintf(v.out, "%-12s %8d %6.1f%% %9d %s\n", c, n, share*100, injected[c.String()], bar)
		}
	}
}

func (v *view) incidentList(list []incident.Incident) { v.incidents(list, false) }

// incidents lists incidents; full prints each remediation whole, wrapped,
// instead of clipped to one line.
func (v *view) incidents(list []incident.Incident, full bool) {
	if len(list) == 0 {
		fmt.Fprintln(v.out, "no open incidents")
		return
	}
	fmt.Fprintln(v.out, "top open incidents (by calls):")
	for _, in := range list {
		code := in.VendorCode
		if code == "" {
			code = "-"
		}
		fmt.Fprintf(v.out, "  %-8s %-12s %-22s ×%-5d %s\n", in.Upstream, in.Class, clip(code, 22), in.Count, clip(in.Operation, 56))
		if in.Message != "" {
			fmt.Fprintf(v.out, "           %s\n", clip(in.Message, 100))
		}
		if full {
			fmt.Fprintf(v.out, "           → %s\n", wrap(in.Remediation, 100, "             "))
		} else {
			fmt.Fprintf(v.out, "           → %s\n", clip(in.Remediation, 100))
		}
	}
}

// summary prints the final account: every class recorded next to what the
// sample CRM injected, and the open incidents.
func (v *view) summary(ctx context.Context, t *traffic) {
	s, err := v.read(ctx)
	if err != nil {
		fmt.Fprintf(v.out, "reading the store for the summary failed: %v\n", err)
		return
	}
	if v.tty {
		fmt.Fprint(v.out, "\x1b[H\x1b[2J")
	}
	injected := v.crm.Injected()
	// A drifted answer is a success whose structure changed: its call is
	// ok, and the drift is a finding, reported on the guard line.
	drifted := v.crm.InjectedByKind()[democrm.Drift]
	injected[fault.Version.String()] -= drifted
	injected[fault.OK.String()] += drifted
	el := time.Since(v.start).Round(time.Second)
	fmt.Fprintf(v.out, "\ncrmguard demo summary — %s, %d calls sent, %d recorded, %.1f%% failed, %d recovered by a retry\n",
		el, t.sent.Load(), s.calls, failedShare(s)*100, t.recovered.Load())
	fmt.Fprintf(v.out, "latency p50 %s   p95 %s   p99 %s\n\n", round(s.latency.Quantile(0.5)), round(s.latency.Quantile(0.95)), round(s.latency.Quantile(0.99)))
	v.classTable(s, injected)
	var missing []string
	for class, n := range injected {
		c, err := fault.Parse(class)
		if n > 0 && (err != nil || s.byClass[c] == 0) {
			missing = append(missing, class)
		}
	}
	slices.Sort(missing)
	fmt.Fprintln(v.out)
	if len(missing) == 0 {
		fmt.Fprintln(v.out, "every class the sample CRM injected was recorded")
	} else {
		fmt.Fprintf(v.out, "injected but not recorded: %s\n", strings.Join(missing, ", "))
	}
	fmt.Fprintln(v.out)
	v.queueLine(s, t)
	v.guardLine(s, drifted)
	v.alertLine(ctx)
	fmt.Fprintln(v.out)
	v.incidents(s.incidents, true)
}

// alertLine tells which alert rules fired during the demo, and on what.
func (v *view) alertLine(ctx context.Context) {
	as, err := v.db.ListAlerts(ctx, "")
	if err != nil {
		fmt.Fprintf(v.out, "reading the alerts failed: %v\n", err)
		return
	}
	on := map[string][]string{}
	fired, firing := 0, 0
	for _, a := range as {
		if a.FiredAt.IsZero() {
			continue // pending: it never fired
		}
		fired++
		if a.State == alert.Firing {
			firing++
		}
		on[a.Rule] = append(on[a.Rule], a.Labels["upstream"])
	}
	var parts []string
	for _, r := range slices.Sorted(maps.Keys(on)) {
		ups := on[r]
		slices.Sort(ups)
		parts = append(parts, r+": "+strings.Join(ups, ", "))
	}
	fmt.Fprintf(v.out, "alerts: %d fired, %d still firing", fired, firing)
	if len(parts) > 0 {
		fmt.Fprintf(v.out, " (%s) — crmguard alerts list", strings.Join(parts, "; "))
	}
	fmt.Fprintln(v.out)
}

// guardLine tells what the contract check made of the answers the sample
// CRM changed the structure of.
func (v *view) guardLine(s snapshot, drifted int) {
	fmt.Fprintf(v.out, "contract: %d answers drifted from the contract (injected)   %d found   in %d contract drift incident(s)\n",
		drifted, s.drift.calls, s.drift.incidents)
}

// wrap breaks s into lines of at most width runes at spaces, indenting the
// continuation lines.
func wrap(s string, width int, indent string) string {
	var b strings.Builder
	line := 0
	for i, w := range strings.Fields(s) {
		n := len([]rune(w))
		if i > 0 && line+1+n > width {
			b.WriteString("\n" + indent)
			line = 0
		} else if i > 0 {
			b.WriteByte(' ')
			line++
		}
		b.WriteString(w)
		line += n
	}
	return b.String()
}

func failedShare(s snapshot) float64 {
	if s.calls == 0 {
		return 0
	}
	return 1 - float64(s.byClass[fault.OK])/float64(s.calls)
}

func round(d time.Duration) string {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(100 * time.Microsecond).String()
	}
	return d.Round(time.Microsecond).String()
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
