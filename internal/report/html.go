package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"time"
)

//go:embed report.html.tmpl
var htmlText string

// WriteHTML writes r as one self-contained HTML page: inline CSS and
// inline SVG charts (calls over time, stacked ok and failed; failures by
// class), no script and nothing loaded from elsewhere, so that it can be
// mailed or archived as is. Every value is escaped.
func WriteHTML(w io.Writer, r Report) error {
	t, err := template.New("report").Funcs(template.FuncMap{
		"when":   r.when,
		"num":    num,
		"pct":    pct,
		"millis": millis,
		"change": change,
		"labels": labelsLine,
		"bucket": bucketName,
		"sub":    func(a, b int) int { return a - b },
		"add":    func(a int, b float64) float64 { return float64(a) + b },
	}).Parse(htmlText)
	if err != nil {
		return fmt.Errorf("writing HTML report: %w", err) // a bug in the template; tests parse it
	}
	data := struct {
		R       *Report
		Calls   barChart
		Classes classChart
	}{&r, r.callsChart(), r.classChart()}
	if err := t.Execute(w, data); err != nil {
		return fmt.Errorf("writing HTML report: %w", err)
	}
	return nil
}

// bucketName says how wide a bucket is: "1 hour", "30 minutes", "1 day".
func bucketName(seconds int64) string {
	d := time.Duration(seconds) * time.Second
	n, unit := int64(d/time.Minute), "minute"
	switch {
	case d%(24*time.Hour) == 0:
		n, unit = int64(d/(24*time.Hour)), "day"
	case d%time.Hour == 0:
		n, unit = int64(d/time.Hour), "hour"
	}
	if n != 1 {
		unit += "s"
	}
	return strconv.FormatInt(n, 10) + " " + unit
}
