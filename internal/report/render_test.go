package report_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/crmguard/crmguard/internal/report"
)

func TestWriteJSON_RoundTrip(t *testing.T) {
	r := buildDay(t)
	var buf bytes.Buffer
	if err := report.WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	var back report.Report
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatalf("decoding: %v", err)
	}
	if back.Total.Calls != 256 || len(back.Upstreams) != 2 || back.Upstreams[1].Operations[1].Classes[0].Trend != report.Down {
		t.Errorf("decoded report = %+v; want the built one", back.Total)
	}
	if !strings.Contains(buf.String(), `"latency_ms"`) || !strings.Contains(buf.String(), `"success_ratio"`) {
		t.Errorf("JSON lacks latency_ms or success_ratio:\n%s", buf.String())
	}
}

func TestWriteCSV(t *testing.T) {
	r := buildDay(t)
	var buf bytes.Buffer
	if err := report.WriteCSV(&buf, r); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("reading CSV: %v", err)
	}
	if strings.Join(recs[0], ",") != strings.Join(report.CSVHeader, ",") {
		t.Fatalf("header = %v; want %v", recs[0], report.CSVHeader)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	var calls, prev int64
	rows := map[string][]string{}
	for _, rec := range recs[1:] {
		n, _ := strconv.ParseInt(rec[col["calls"]], 10, 64)
		p, _ := strconv.ParseInt(rec[col["previous_calls"]], 10, 64)
		calls, prev = calls+n, prev+p
		rows[rec[col["upstream"]]+" "+rec[col["operation"]]+" "+rec[col["class"]]] = rec
		if rec[col["from"]] != "2026-11-22T00:00:00Z" || rec[col["to"]] != "2026-11-23T00:00:00Z" {
			t.Errorf("row %v: period %s – %s; want the day", rec, rec[col["from"]], rec[col["to"]])
		}
	}
	if calls != 256 || prev != 95 {
		t.Errorf("calls add up to %d, previous to %d; want 256 and 95", calls, prev)
	}
	auth := rows["sf /query auth"]
	if auth == nil || auth[col["calls"]] != "10" || auth[col["previous_calls"]] != "20" || auth[col["change"]] != "-10" ||
		auth[col["failed"]] != "true" || auth[col["operation_calls"]] != "200" || auth[col["operation_success_ratio"]] != "0.950000" {
		t.Errorf("sf /query auth row = %v; want 10 calls, 20 before, change -10, of 200 at 0.95", auth)
	}
	if ok := rows["sf /query ok"]; ok == nil || ok[col["calls"]] != "190" || ok[col["failed"]] != "false" {
		t.Errorf("sf /query ok row = %v; want 190 calls, not failed", ok)
	}
	if len(recs)-1 != 6 {
		t.Errorf("%d rows; want 6 (hubspot ok, timeout; sf /contact rate_limit; sf /query ok, auth, server)", len(recs)-1)
	}
}

func TestWriteMarkdown(t *testing.T) {
	r := buildDay(t)
	var buf bytes.Buffer
	if err := report.WriteMarkdown(&buf, r); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	for _, want := range []string{
		"# crmguard report 2026-11-22 00:00 UTC – 2026-11-23 00:00 UTC",
		"- Calls: 256 ↑ from 95",
		"- Success ratio: 93.75% (previous 73.68%)",
		"- Availability: 50.00% of 4 active minutes",
		"- Failures by class: auth 10 ↓ from 20, rate_limit 5 ↑ from 0, timeout 1 ↓ from 3, server 0 ↓ from 2",
		"| sf | 205 ↑ from 62 | 92.68% | 33.33% |",
		"| /contact | 5 ↑ from 0 | 0.00% | 0.00% |",
		"## Alerts",
		"| firing | sf-auth | upstream=sf | auth calls were 10% |",
		"## Write queue",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
	if strings.Index(md, "| 30 |") > strings.Index(md, "| 7 |") {
		t.Errorf("incident of 30 calls listed after one of 7:\n%s", md)
	}
}

// TestWriteHTML_SelfContained parses the page and checks it loads nothing,
// runs nothing, escapes what it shows, and draws a bar per bucket and per
// failure class.
func TestWriteHTML_SelfContained(t *testing.T) {
	r := buildDay(t)
	var buf bytes.Buffer
	if err := report.WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("parsing HTML: %v", err)
	}
	var (
		buckets, okBars, failedBars, classBars int
		classWidths                            []string
		text                                   strings.Builder
	)
	var walk func(n *html.Node, inCalls bool)
	walk = func(n *html.Node, inCalls bool) {
		if n.Type == html.TextNode {
			text.WriteString(n.Data)
		}
		if n.Type == html.ElementNode {
			switch n.Data {
			case "script", "link", "img", "iframe", "object", "embed", "image", "use", "foreignObject", "foreignobject":
				t.Errorf("page has a <%s> element", n.Data)
			case "style":
				if css := n.FirstChild; css != nil && (strings.Contains(css.Data, "url(") || strings.Contains(css.Data, "@import")) {
					t.Errorf("inline CSS loads something: %s", css.Data)
				}
			}
			for _, a := range n.Attr {
				v := strings.ToLower(strings.TrimSpace(a.Val))
				switch {
				case a.Key == "src" || a.Key == "href" || a.Key == "xlink:href" || a.Key == "action":
					t.Errorf("<%s %s=%q>: a page that loads or links", n.Data, a.Key, a.Val)
				case strings.HasPrefix(a.Key, "on"):
					t.Errorf("<%s %s=…>: an event handler", n.Data, a.Key)
				case a.Key == "style" && strings.Contains(v, "url("):
					t.Errorf("<%s style=%q> loads something", n.Data, a.Val)
				}
			}
			if attr(n, "id") == "calls-chart" {
				inCalls = true
			}
			switch class := attr(n, "class"); {
			case n.Data == "g" && class == "bucket" && inCalls:
				buckets++
			case n.Data == "rect" && class == "ok" && inCalls:
				okBars++
			case n.Data == "rect" && class == "failed" && inCalls:
				failedBars++
			case n.Data == "rect" && class == "class-bar":
				classBars++
				classWidths = append(classWidths, attr(n, "width"))
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inCalls)
		}
	}
	walk(doc, false)
	if buckets != 24 || okBars != 24 || failedBars != 24 {
		t.Errorf("calls chart: %d buckets, %d ok bars, %d failed bars; want 24 each", buckets, okBars, failedBars)
	}
	// auth 10, rate_limit 5, timeout 1, server 0: scaled to the largest.
	if want := []string{"560", "280", "56", "0"}; strings.Join(classWidths, " ") != strings.Join(want, " ") {
		t.Errorf("class bars %d, widths %v; want %v", classBars, classWidths, want)
	}
	page := text.String()
	for _, want := range []string{`<script>alert("x")</script>`, "auth 10 ↓ from 20", "256", "93.75%"} {
		if !strings.Contains(page, want) {
			t.Errorf("page text lacks %q", want)
		}
	}
	if strings.Contains(buf.String(), `<script>alert`) {
		t.Errorf("an incident message reached the page unescaped")
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func TestWriteHTML_NoTraffic(t *testing.T) {
	db := openStore(t)
	r, err := report.Build(t.Context(), db, day, dayEnd)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := report.WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"No call failed in this period.", "No calls in this period or the previous one.", "No incident was seen"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("empty report lacks %q", want)
		}
	}
}
