package report

import (
	"strconv"
	"time"
)

// The charts are inline SVG drawn from this geometry, so that a report is
// one file that needs no script and no network.

// barChart is the calls-over-time chart: one stacked bar per bucket.
type barChart struct {
	Width, Height int
	Left, Bottom  int // plot area's left edge and baseline
	MaxLabel      string
	Bars          []bar
	Ticks         []tick
}

type bar struct {
	X, Width      float64
	OKY, OKHeight float64
	FailY, FailH  float64
	Title         string
}

type tick struct {
	X     float64
	Label string
}

const (
	chartWidth  = 960
	chartHeight = 240
	chartLeft   = 56
	chartTop    = 12
	chartBottom = 24
)

func (r *Report) callsChart() barChart {
	c := barChart{Width: chartWidth, Height: chartHeight, Left: chartLeft, Bottom: chartHeight - chartBottom}
	peak := int64(1)
	for _, b := range r.Buckets {
		peak = max(peak, b.Calls)
	}
	c.MaxLabel = num(peak)
	plotH := float64(c.Bottom - chartTop)
	if len(r.Buckets) == 0 {
		return c
	}
	slot := float64(chartWidth-chartLeft-8) / float64(len(r.Buckets))
	width := max(slot*0.8, 1)
	size := time.Duration(r.BucketSeconds) * time.Second
	every := max(len(r.Buckets)/6, 1)
	for i, b := range r.Buckets {
		x := float64(chartLeft) + float64(i)*slot + (slot-width)/2
		okH := plotH * float64(b.OK) / float64(peak)
		failH := plotH * float64(b.Failed) / float64(peak)
		c.Bars = append(c.Bars, bar{
			X: round(x), Width: round(width),
			OKY: round(float64(c.Bottom) - okH), OKHeight: round(okH),
			FailY: round(float64(c.Bottom) - okH - failH), FailH: round(failH),
			Title: r.when(b.Start) + " – " + r.when(b.Start.Add(size)) + ": " + num(b.Calls) + " calls, " +
				num(b.OK) + " ok, " + num(b.Failed) + " failed",
		})
		if i%every == 0 {
			c.Ticks = append(c.Ticks, tick{X: round(x), Label: b.Start.In(r.location()).Format(tickLayout(size))})
		}
	}
	return c
}

func tickLayout(size time.Duration) string {
	if size >= 24*time.Hour {
		return "Jan 2"
	}
	return "Jan 2 15:04"
}

// classChart is the failures-by-class chart: one horizontal bar per class.
type classChart struct {
	Width, Height int
	Rows          []classRow
}

type classRow struct {
	Y, BarWidth float64
	TextY       float64
	Class       string
	Label       string
}

const (
	classRowHeight = 26
	classLabelW    = 120
	classBarMax    = 560
)

func (r *Report) classChart() classChart {
	c := classChart{Width: chartWidth, Height: max(len(r.Total.Classes), 1)*classRowHeight + 8}
	peak := int64(1)
	for _, cl := range r.Total.Classes {
		peak = max(peak, cl.Calls)
	}
	for i, cl := range r.Total.Classes {
		y := float64(4 + i*classRowHeight)
		c.Rows = append(c.Rows, classRow{
			Y: y, TextY: y + 15, Class: cl.Class,
			BarWidth: barWidth(cl.Calls, peak),
			Label:    change(cl.Calls, cl.Previous),
		})
	}
	return c
}

func round(v float64) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', 1, 64), 64)
	return f
}

// barWidth scales n to classBarMax, at least 1 so that a small count stays
// visible, and 0 only for none.
func barWidth(n, peak int64) float64 {
	if n == 0 {
		return 0
	}
	return round(max(float64(classBarMax)*float64(n)/float64(peak), 1))
}
