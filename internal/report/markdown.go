package report

import (
	"fmt"
	"io"
	"strings"
)

// WriteMarkdown writes r as a Markdown document: a summary, then a section
// each for upstreams, operations, top incidents, alerts and the write queue.
func WriteMarkdown(w io.Writer, r Report) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	t := r.Total
	p("# %s\n\n", r.Title())
	p("Compared with the previous period, %s – %s. Generated %s.\n\n", r.when(r.PreviousFrom), r.when(r.PreviousTo), r.when(r.GeneratedAt))

	p("## Summary\n\n")
	p("- Calls: %s\n", change(t.Calls, t.Previous.Calls))
	p("- Failed: %s\n", change(t.Failed, t.Previous.Failed))
	p("- Success ratio: %s (previous %s)\n", pct(t.SuccessRatio, t.Calls), pct(t.Previous.SuccessRatio, t.Previous.Calls))
	p("- Availability: %s of %s active minutes (previous %s)\n", pct(t.Availability, t.ActiveMinutes), num(t.ActiveMinutes),
		pct(t.Previous.Availability, t.Previous.Calls))
	p("- Latency: p50 %s, p95 %s, p99 %s\n", millis(t.Latency.P50), millis(t.Latency.P95), millis(t.Latency.P99))
	p("- Failures by class: %s\n", classesLine(t.Classes))
	p("- Alerts fired: %d\n\n", r.FiredAlerts())

	p("## Upstreams\n\n")
	if len(r.Upstreams) == 0 {
		p("No calls in this period or the previous one.\n\n")
	} else {
		p("| upstream | calls | success | availability | p50 | p95 | p99 | failures by class |\n")
		p("|---|--:|--:|--:|--:|--:|--:|---|\n")
		for _, u := range r.Upstreams {
			p("| %s | %s | %s | %s | %s | %s | %s | %s |\n", cell(u.Upstream), change(u.Calls, u.Previous.Calls),
				pct(u.SuccessRatio, u.Calls), pct(u.Availability, u.ActiveMinutes),
				millis(u.Latency.P50), millis(u.Latency.P95), millis(u.Latency.P99), cell(classesLine(u.Classes)))
		}
		p("\n## Operations\n\n")
		for _, u := range r.Upstreams {
			p("### %s\n\n", cell(u.Upstream))
			p("| operation | calls | success | availability | p50 | p95 | p99 | failures by class |\n")
			p("|---|--:|--:|--:|--:|--:|--:|---|\n")
			for _, op := range u.Operations {
				p("| %s | %s | %s | %s | %s | %s | %s | %s |\n", cell(op.Operation), change(op.Calls, op.Previous.Calls),
					pct(op.SuccessRatio, op.Calls), pct(op.Availability, op.ActiveMinutes),
					millis(op.Latency.P50), millis(op.Latency.P95), millis(op.Latency.P99), cell(classesLine(op.Classes)))
			}
			p("\n")
		}
	}

	p("## Top incidents\n\n")
	if len(r.Incidents) == 0 {
		p("No incident was seen in this period.\n\n")
	} else {
		p("| calls | upstream | operation | class | vendor code | message | state | last seen |\n")
		p("|--:|---|---|---|---|---|---|---|\n")
		for _, in := range r.Incidents {
			p("| %s | %s | %s | %s | %s | %s | %s | %s |\n", num(in.Count), cell(in.Upstream), cell(in.Operation), in.Class,
				cell(in.VendorCode), cell(in.Message), in.State, r.when(in.LastSeen))
		}
		p("\nCalls count every call of the incident since it was first seen.\n\n")
	}

	p("## Alerts\n\n")
	if len(r.Alerts) == 0 {
		p("No alert fired or resolved in this period.\n\n")
	} else {
		p("| at | event | rule | labels | detail |\n|---|---|---|---|---|\n")
		for _, a := range r.Alerts {
			p("| %s | %s | %s | %s | %s |\n", r.when(a.At), a.Kind, cell(a.Rule), cell(labelsLine(a.Labels)), cell(a.Detail))
		}
		p("\n")
	}

	q := r.Queue
	p("## Write queue\n\n")
	p("As of %s (the report's time, not over the period): %s pending, %s in flight, %s dead, %s delivered and still stored",
		r.when(q.AsOf), num(q.Pending), num(q.Inflight), num(q.Dead), num(q.Delivered))
	if q.Depth > 0 {
		p("; the oldest unfinished write is %.0f s old", q.OldestAgeSeconds)
	}
	p(".\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("writing Markdown report: %w", err)
	}
	return nil
}

// cell makes s safe inside a Markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}
