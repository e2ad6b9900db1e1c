package admin

import (
	"time"

	"github.com/crmguard/crmguard/internal/call"
	"github.com/crmguard/crmguard/internal/incident"
	"github.com/crmguard/crmguard/internal/rollup"
)

// The admin API's JSON shapes: snake_case keys, times in RFC 3339,
// durations in milliseconds. They are documented in docs/admin-api.md.

type callJSON struct {
	ID             string    `json:"id"`
	Start          time.Time `json:"start"`
	Upstream       string    `json:"upstream"`
	Method         string    `json:"method"`
	Operation      string    `json:"operation"`
	APIVersion     string    `json:"api_version,omitempty"`
	Client         string    `json:"client"`
	Status         int       `json:"status"`
	Class          string    `json:"class"`
	VendorCode     string    `json:"vendor_code,omitempty"`
	Message        string    `json:"message,omitempty"`
	Retryable      bool      `json:"retryable"`
	Partial        bool      `json:"partial,omitempty"`
	Remediation    string    `json:"remediation,omitempty"`
	LatencyMS      float64   `json:"latency_ms"`
	BytesIn        int64     `json:"bytes_in"`
	BytesOut       int64     `json:"bytes_out"`
	Attempts       int       `json:"attempts"`
	Tries          []tryJSON `json:"tries,omitempty"`
	RequestSample  string    `json:"request_sample,omitempty"`
	ResponseSample string    `json:"response_sample,omitempty"`
	// Guard is what the guard found: version_state, changes, findings.
	Guard *call.Guard `json:"guard,omitempty"`
}

// tryJSON is one attempt of a call that needed more than one.
type tryJSON struct {
	Endpoint  string  `json:"endpoint"`
	Status    int     `json:"status"`
	Class     string  `json:"class"`
	LatencyMS float64 `json:"latency_ms"`
}

func toCallJSON(c *call.Call, samples bool) callJSON {
	j := callJSON{
		ID: string(c.ID), Start: c.Start.UTC(), Upstream: c.Upstream, Method: c.Method,
		Operation: c.Operation, APIVersion: c.APIVersion, Client: c.Client, Status: c.Status,
		Class: c.Class.String(), VendorCode: c.VendorCode, Message: c.Message, Retryable: c.Retryable,
		Partial: c.Partial, Remediation: c.Remediation, LatencyMS: ms(c.Latency),
		BytesIn: c.BytesIn, BytesOut: c.BytesOut, Attempts: c.Attempts,
	}
	if !c.Guard.Empty() {
		g := c.Guard
		j.Guard = &g
	}
	if samples {
		j.RequestSample, j.ResponseSample = c.RequestSample, c.ResponseSample
		for _, t := range c.Tries {
			j.Tries = append(j.Tries, tryJSON{Endpoint: t.Endpoint, Status: t.Status, Class: t.Class.String(), LatencyMS: ms(t.Latency)})
		}
	}
	return j
}

type incidentJSON struct {
	Fingerprint string `json:"fingerprint"`
	State       string `json:"state"`
	Upstream    string `json:"upstream"`
	Operation   string `json:"operation"`
	Class       string `json:"class"`
	VendorCode  string `json:"vendor_code,omitempty"`
	Message     string `json:"message"`
	// LatestMessage is the message of the incident's latest sample call,
	// with the names and numbers the grouping message leaves out.
	LatestMessage string     `json:"latest_message,omitempty"`
	Count         int64      `json:"count"`
	FirstSeen     time.Time  `json:"first_seen"`
	LastSeen      time.Time  `json:"last_seen"`
	SampleCalls   []string   `json:"sample_calls"`
	Remediation   string     `json:"remediation"`
	Reopened      int        `json:"reopened"`
	ResolvedAt    *time.Time `json:"resolved_at,omitempty"`
}

func toIncidentJSON(in incident.Incident) incidentJSON {
	j := incidentJSON{
		Fingerprint: in.Fingerprint, State: string(in.State), Upstream: in.Upstream, Operation: in.Operation,
		Class: in.Class.String(), VendorCode: in.VendorCode, Message: in.Message, Count: in.Count,
		FirstSeen: in.FirstSeen.UTC(), LastSeen: in.LastSeen.UTC(), SampleCalls: in.SampleCalls,
		Remediation: in.Remediation, Reopened: in.Reopened,
	}
	if j.SampleCalls == nil {
		j.SampleCalls = []string{}
	}
	if !in.ResolvedAt.IsZero() {
		t := in.ResolvedAt.UTC()
		j.ResolvedAt = &t
	}
	return j
}

type statsJSON struct {
	Since     time.Time      `json:"since"`
	Until     time.Time      `json:"until"`
	Upstreams []upstreamJSON `json:"upstreams"`
}

type upstreamJSON struct {
	Upstream  string           `json:"upstream"`
	Calls     int64            `json:"calls"`
	Failed    int64            `json:"failed"`
	ErrorRate float64          `json:"error_rate"`
	Classes   map[string]int64 `json:"classes"`
	LatencyMS latencyJSON      `json:"latency_ms"`
}

type latencyJSON struct {
	P50  float64 `json:"p50"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

func toStatsJSON(s rollup.Stats) statsJSON {
	out := statsJSON{Since: s.Since.UTC(), Until: s.Until.UTC(), Upstreams: []upstreamJSON{}}
	for _, u := range s.Upstreams {
		j := upstreamJSON{Upstream: u.Upstream, Calls: u.Calls, Classes: map[string]int64{},
			LatencyMS: latencyJSON{P50: ms(u.P50), P95: ms(u.P95), P99: ms(u.P99), Max: ms(u.Max), Mean: ms(u.Mean)}}
		for c, n := range u.Classes {
			j.Classes[c.String()] = n
		}
		j.Failed, j.ErrorRate = u.Failed(), u.ErrorRate()
		out.Upstreams = append(out.Upstreams, j)
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
