package rollup

import (
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/fault"
)

func TestSummarize_FailedAndErrorRate(t *testing.T) {
	m := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	row := func(up string, c fault.Class, n int) Row {
		r := Row{Minute: m, Upstream: up, Class: c}
		for range n {
			r.Add(10 * time.Millisecond)
		}
		return r
	}
	st := Summarize(m, m.Add(time.Minute), []Row{
		row("sf", fault.OK, 90), row("sf", fault.Auth, 6), row("sf", fault.Timeout, 4), row("hs", fault.OK, 5),
	})
	sf, hs := st.Upstreams[1], st.Upstreams[0]
	if sf.Upstream != "sf" || sf.Calls != 100 || sf.Failed() != 10 || sf.ErrorRate() != 0.1 {
		t.Errorf("sf: calls %d failed %d rate %v; want 100, 10, 0.1", sf.Calls, sf.Failed(), sf.ErrorRate())
	}
	if hs.Failed() != 0 || hs.ErrorRate() != 0 {
		t.Errorf("hs: failed %d rate %v; want 0, 0", hs.Failed(), hs.ErrorRate())
	}
	if (UpstreamStats{}).ErrorRate() != 0 {
		t.Error("no calls: error rate is not 0")
	}
}
