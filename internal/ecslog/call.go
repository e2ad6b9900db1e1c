package ecslog

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/crmguard/crmguard/internal/call"
)

// Call returns the document of one finished call, in dataset
// crmguard.calls: an event of kind event, category web, type access (and
// error when it failed), timed by the call's start and latency.
//
// The call's path is not written to url.path: the call record keeps only
// its operation, the path below the upstream with ids collapsed, which is
// not the request's path; it goes to crmguard.operation. The client goes
// to crmguard.client, and also to client.address and client.ip when it is
// the remote IP address rather than an identity header's value. The error
// fields are set only when the call failed; the incident fingerprint is
// not known from the call and is added with Doc.WithIncident. c must not
// be nil.
func Call(c *call.Call) Doc {
	d := newDoc(DatasetCalls, "event", ActionCall)
	d.Timestamp = c.Start.UTC()
	d.Message = callMessage(c)
	d.Event.ID = string(c.ID)
	d.Event.Duration = c.Latency.Nanoseconds()
	d.Event.Type = []string{"access"}
	d.Event.Outcome = "success"
	d.Log.Level = levelInfo
	if !c.Guard.Empty() {
		// A call the guard found fault with worked, but someone should
		// look at it before the CRM or the contract tightens.
		d.Log.Level = levelWarn
	}

	d.HTTP.Request.Method = c.Method
	d.HTTP.Request.Body.Bytes = c.BytesIn
	d.HTTP.Response.StatusCode = c.Status
	d.HTTP.Response.Body.Bytes = c.BytesOut
	if ip, err := netip.ParseAddr(c.Client); err == nil {
		d.Client.Address = c.Client
		// Elasticsearch's ip type takes no IPv6 zone.
		d.Client.IP = ip.WithZone("").String()
	}

	attempts := c.Attempts
	g := &d.CRMGuard
	g.Upstream = c.Upstream
	g.Operation = c.Operation
	g.APIVersion = c.APIVersion
	g.Client = c.Client
	g.Class = c.Class.String()
	g.Attempts = &attempts
	g.Partial = c.Partial
	g.Guard = guardFields{
		VersionState: c.Guard.VersionState,
		Findings:     len(c.Guard.Findings),
		Changes:      len(c.Guard.Changes),
	}

	if c.Failed() {
		retryable := c.Retryable
		d.Event.Type = append(d.Event.Type, "error")
		d.Event.Outcome = "failure"
		d.Log.Level = levelError
		d.Error = errorFields{Type: c.Class.String(), Code: c.VendorCode, Message: c.Message}
		g.Retryable = &retryable
		g.Remediation = c.Remediation
	}
	return Doc{d}
}

// callMessage summarises a call in one line, such as "POST
// /crm/v3/objects/contacts on hubspot failed: rate_limit (429
// RATE_LIMIT): Too many requests".
func callMessage(c *call.Call) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s on %s", c.Method, c.Operation, c.Upstream)
	if !c.Failed() {
		fmt.Fprintf(&b, ": %d in %s", c.Status, roundLatency(c.Latency))
		return b.String()
	}
	fmt.Fprintf(&b, " failed: %s", c.Class)
	var detail []string
	if c.Status != 0 {
		detail = append(detail, fmt.Sprint(c.Status))
	}
	if c.VendorCode != "" {
		detail = append(detail, c.VendorCode)
	}
	if len(detail) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(detail, " "))
	}
	if c.Message != "" {
		b.WriteString(": " + c.Message)
	}
	return b.String()
}

// roundLatency keeps a latency readable: milliseconds from 1ms up,
// microseconds below.
func roundLatency(d time.Duration) time.Duration {
	if d >= time.Millisecond {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Microsecond)
}
