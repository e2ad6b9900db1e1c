package demo

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/crmguard/crmguard/internal/democrm"
)

// upstreamOf maps the sample CRM's dialects to the demo's upstream names.
var upstreamOf = map[string]string{
	democrm.Salesforce: "sf",
	democrm.HubSpot:    "hubspot",
	democrm.Odoo:       "odoo",
	democrm.SuiteCRM:   "suite",
}

// clientOf names the integration that sends each dialect's calls.
var clientOf = map[string]string{
	democrm.Salesforce: "webshop",
	democrm.HubSpot:    "marketing-sync",
	democrm.Odoo:       "erp-connector",
	democrm.SuiteCRM:   "call-centre",
}

// traffic sends the sample CRM's example requests through the gateway at a
// steady rate, the way a few integrations would, and counts the class each
// answer carried in its Crmguard-Class header.
type traffic struct {
	gateway string
	crm     *democrm.Server
	rate    int
	client  *http.Client
	reqs    []request

	sent      atomic.Int64
	recovered atomic.Int64 // answered ok after more than one attempt
	// queued counts writes answered 202 from the write queue; refused
	// those whose failure came back because a resend was not safe.
	queued, refused atomic.Int64
	mu              sync.Mutex
	observed        map[string]int // class from the Crmguard-Class header, or "canceled"
}

type request struct {
	dialect string
	democrm.SampleRequest
}

// impatientEvery is how often a simulated client gives up on a slow call,
// so the canceled class shows in the demo.
const impatientEvery = 4 * time.Second

// maxInFlight bounds concurrent calls; stalled calls hold a slot until the
// gateway's timeout.
const maxInFlight = 128

func newTraffic(gateway string, crm *democrm.Server, rate int) *traffic {
	t := &traffic{
		gateway:  gateway,
		crm:      crm,
		rate:     rate,
		observed: map[string]int{},
		client: &http.Client{Transport: &http.Transport{
			MaxIdleConnsPerHost: maxInFlight,
			DisableCompression:  true,
		}},
	}
	// Interleave the dialects so each sees traffic all the time.
	per := map[string][]democrm.SampleRequest{}
	longest := 0
	for _, d := range democrm.Dialects() {
		per[d] = democrm.SampleRequests(d)
		longest = max(longest, len(per[d]))
	}
	for i := range longest {
		for _, d := range democrm.Dialects() {
			if i < len(per[d]) {
				r := per[d][i]
				// The upstream URL already ends in the dialect's prefix.
				r.Path = strings.TrimPrefix(r.Path, "/"+d)
				t.reqs = append(t.reqs, request{dialect: d, SampleRequest: r})
			}
		}
	}
	return t
}

// run sends calls until ctx is canceled and returns once every call it
// started has finished.
func (t *traffic) run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, maxInFlight)
	tick := time.NewTicker(time.Second / time.Duration(t.rate))
	defer tick.Stop()
	impatient := time.NewTicker(impatientEvery)
	defer impatient.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-impatient.C:
			wg.Go(t.giveUp)
			continue
		case <-tick.C:
		}
		select {
		case slots <- struct{}{}:
		default:
			continue // every slot is held by a stalled call; skip this tick
		}
		r := t.reqs[i%len(t.reqs)]
		wg.Go(func() {
			defer func() { <-slots }()
			t.send(context.WithoutCancel(ctx), r, 0)
		})
	}
}

// giveUp plays a client whose own timeout is shorter than the CRM's
// answer: the sample CRM is told to slow down the next limits call, and
// the client leaves after a quarter of a second.
func (t *traffic) giveUp() {
	spec := democrm.FaultSpec{Kind: democrm.Slow, Dialect: democrm.Salesforce, PathContains: "/limits", Delay: time.Second}
	if err := t.crm.Inject(spec, 1); err != nil {
		return
	}
	r := request{dialect: democrm.Salesforce, SampleRequest: democrm.SampleRequest{Method: http.MethodGet, Path: "/services/data/v59.0/limits"}}
	t.send(context.Background(), r, 250*time.Millisecond)
}

func (t *traffic) send(ctx context.Context, r request, patience time.Duration) {
	if patience > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, patience)
		defer cancel()
	}
	var body io.Reader
	if r.Body != "" {
		body = strings.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, t.gateway+"/"+upstreamOf[r.dialect]+r.Path, body)
	if err != nil {
		return
	}
	for k, vs := range r.Header {
		req.Header[k] = vs
	}
	req.Header.Set(clientHeader, clientOf[r.dialect])
	t.sent.Add(1)
	resp, err := t.client.Do(req)
	class := ""
	switch {
	case err != nil && errors.Is(err, context.DeadlineExceeded):
		class = "canceled"
	case err != nil:
		return // the answer broke off: counted by crmguard, not seen by the client
	default:
		class = resp.Header.Get("Crmguard-Class")
		if class == "ok" && resp.Header.Get("Crmguard-Attempts") != "" {
			t.recovered.Add(1)
		}
		switch resp.Header.Get("Crmguard-Queue") {
		case "queued":
			t.queued.Add(1)
		case "refused":
			t.refused.Add(1)
		}
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			class = "network" // the body broke off after the headers
		}
		resp.Body.Close()
	}
	t.mu.Lock()
	t.observed[class]++
	t.mu.Unlock()
}

// seen returns a copy of the classes clients saw.
func (t *traffic) seen() map[string]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]int, len(t.observed))
	for k, v := range t.observed {
		out[k] = v
	}
	return out
}
