package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"
)

// CSVHeader is the header row WriteCSV writes.
var CSVHeader = []string{
	"from", "to", "previous_from", "previous_to", "upstream", "operation", "class", "failed",
	"calls", "previous_calls", "change",
	"operation_calls", "operation_success_ratio", "operation_availability",
	"operation_p50_ms", "operation_p95_ms", "operation_p99_ms",
}

// WriteCSV writes r as one table for spreadsheets and pivot tables: a row
// per upstream, operation and class (ok included), so that the calls
// column adds up to the period's calls. failed is true for every class but
// ok; change is calls − previous_calls. The operation_* columns repeat the
// operation's figures on each of its rows (average or pick them, do not
// add them up); a ratio is empty when its operation had no calls or no
// active minute. Times are RFC 3339 in UTC, ratios are fractions (0.9875).
// The incidents, alerts and queue sections are in the other formats.
func WriteCSV(w io.Writer, r Report) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(CSVHeader) // errors surface at Flush
	period := []string{rfc(r.From), rfc(r.To), rfc(r.PreviousFrom), rfc(r.PreviousTo)}
	for _, u := range r.Upstreams {
		for _, op := range u.Operations {
			opCols := []string{
				strconv.FormatInt(op.Calls, 10), fraction(op.SuccessRatio, op.Calls), fraction(op.Availability, op.ActiveMinutes),
				decimal(op.Latency.P50), decimal(op.Latency.P95), decimal(op.Latency.P99),
			}
			row := func(class string, failed bool, calls, prev int64) {
				rec := append(append([]string{}, period...), u.Upstream, op.Operation, class, strconv.FormatBool(failed),
					strconv.FormatInt(calls, 10), strconv.FormatInt(prev, 10), strconv.FormatInt(calls-prev, 10))
				_ = cw.Write(append(rec, opCols...))
			}
			if prevOK := op.Previous.Calls - op.Previous.Failed; op.OK != 0 || prevOK != 0 {
				row("ok", false, op.OK, prevOK)
			}
			for _, c := range op.Classes {
				row(c.Class, true, c.Calls, c.Previous)
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("writing CSV report: %w", err)
	}
	return nil
}

func rfc(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func fraction(v float64, of int64) string {
	if of == 0 {
		return ""
	}
	return strconv.FormatFloat(v, 'f', 6, 64)
}

func decimal(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }
