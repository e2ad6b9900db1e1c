package recorder

import (
	"context"
	"fmt"
	"time"

	"github.com/crmguard/crmguard/internal/call"
	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/incident"
	"github.com/crmguard/crmguard/internal/rollup"
)

// flush writes the pending calls, and the rollups gathered so far when
// withRollups is set. A failed write is retried twice; after that the
// batch is dropped, counted and logged, because holding it would stall
// every later call.
func (r *Recorder) flush(ctx context.Context, withRollups bool) error {
	r.logDrops()
	if len(r.pending) == 0 && !(withRollups && len(r.rollups) > 0) {
		return nil
	}
	b := r.batch(withRollups)
	start := time.Now()
	var err error
	for attempt := range 3 {
		if err = r.w.WriteBatch(ctx, b); err == nil || ctx.Err() != nil {
			break
		}
		time.Sleep(time.Duration(attempt+1) * 100 * time.Millisecond)
	}
	r.m.batchSeconds.Observe(time.Since(start).Seconds())
	if err != nil {
		r.m.droppedWrite.Add(float64(len(b.Calls)))
		r.log.Error("writing call records failed; batch dropped",
			"calls", len(b.Calls), "rollups", len(b.Rollups), "err", err)
		err = fmt.Errorf("writing %d call records: %w", len(b.Calls), err)
	} else {
		r.m.written.Add(float64(len(b.Calls)))
	}
	r.pending = r.pending[:0]
	return err
}

// batch builds a Batch from the pending calls: it fingerprints the
// failures, groups them into incident occurrences, and folds every call
// into the rollup of its minute.
func (r *Recorder) batch(withRollups bool) Batch {
	b := Batch{
		Calls:        make([]*call.Call, len(r.pending)),
		Fingerprints: make([]string, len(r.pending)),
	}
	copy(b.Calls, r.pending)
	occ := map[string]*incident.Occurrence{}
	var order []string
	for i, c := range b.Calls {
		r.addRollup(c)
		cause, ok := causeOf(c)
		if !ok {
			continue
		}
		fp := incident.Fingerprint(c.Upstream, c.Operation, cause.class, cause.code, cause.message)
		b.Fingerprints[i] = fp
		o := occ[fp]
		if o == nil {
			o = &incident.Occurrence{
				Fingerprint: fp, Upstream: c.Upstream, Operation: c.Operation, Class: cause.class,
				VendorCode: cause.code, Message: cause.message, FirstSeen: c.Start,
			}
			occ[fp] = o
			order = append(order, fp)
		}
		o.Count++
		o.Remediation = cause.remediation
		o.FirstSeen = minTime(o.FirstSeen, c.Start)
		o.LastSeen = maxTime(o.LastSeen, c.Start)
		o.SampleCalls = append(o.SampleCalls, string(c.ID))
		if len(o.SampleCalls) > maxSamples {
			o.SampleCalls = o.SampleCalls[1:]
		}
	}
	for _, fp := range order {
		b.Incidents = append(b.Incidents, *occ[fp])
	}
	if withRollups {
		for _, row := range r.rollups {
			b.Rollups = append(b.Rollups, *row)
		}
		clear(r.rollups)
		r.lastRollup = time.Now()
	}
	return b
}

// cause is what groups a call into an incident.
type cause struct {
	class                      fault.Class
	code, message, remediation string
}

// Vendor codes of the incidents a successful call can open: the CRM's
// responses drifted from the contract, or requests that break it were
// forwarded under contract.requests: report.
const (
	CodeContractDrift     = "CONTRACT_DRIFT"
	CodeContractViolation = "CONTRACT_VIOLATION"
)

// causeOf returns the incident cause of a call: its failure, or for a
// successful call what the guard found wrong with it. One incident per
// operation gathers a contract's drift, whichever fields drifted, so a
// CRM release that changes a response opens one incident, not one per
// field.
func causeOf(c *call.Call) (cause, bool) {
	if c.Failed() {
		return cause{c.Class, c.VendorCode, incident.Normalize(c.Message), c.Remediation}, true
	}
	if len(c.Guard.Findings) == 0 {
		return cause{}, false
	}
	if drift := c.Guard.Drift(); len(drift) > 0 {
		return cause{
			class: fault.Version, code: CodeContractDrift,
			message: "Contract drift: the CRM's responses no longer match the contract",
			remediation: "The CRM's answers to " + c.Method + " " + c.Operation + " changed (" + drift[0].Message + ") " +
				"Check the CRM's release notes, compare versions of its contract with crmguard contract diff, and update the contract and the integrations that read these fields.",
		}, true
	}
	f := c.Guard.Findings[0]
	return cause{
		class: f.Class, code: CodeContractViolation,
		message: "Requests break the contract and were forwarded (contract.requests: report)",
		remediation: "Integrations send " + c.Method + " " + c.Operation + " requests the contract does not allow (" + f.Message + ") " +
			"Fix the integration, or correct the contract; set contract.requests to enforce to refuse such requests.",
	}, true
}

// maxSamples is how many call ids an incident keeps as examples.
const maxSamples = 5

func (r *Recorder) addRollup(c *call.Call) {
	k := rollup.Key{Minute: c.Start.UTC().Truncate(time.Minute), Upstream: c.Upstream, Operation: c.Operation, Class: c.Class}
	row := r.rollups[k]
	if row == nil {
		row = &rollup.Row{Minute: k.Minute, Upstream: k.Upstream, Operation: k.Operation, Class: k.Class}
		r.rollups[k] = row
	}
	row.Add(c.Latency)
}

// logDrops logs calls dropped for a full buffer, at most every ten
// seconds, so a sustained overload is visible without flooding the log.
func (r *Recorder) logDrops() {
	n := r.full.Load()
	if n == r.dropSince || time.Since(r.dropLogged) < 10*time.Second {
		return
	}
	r.log.Warn("call records dropped: recording buffer full; raise recording.buffer or check the store's write speed",
		"dropped", n-r.dropSince, "buffer", r.opts.Buffer)
	r.dropSince, r.dropLogged = n, time.Now()
}

func minTime(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
