package ecslog

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/call"
	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/incident"
	"github.com/crmguard/crmguard/internal/notify"
)

// fields marshals d and returns each flattened field as compact JSON,
// so that expectations read like the log line: `"success"`, `["web"]`, `2`.
func fields(t *testing.T, d Doc) map[string]string {
	t.Helper()
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	flat, err := flatten(b)
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	out := make(map[string]string, len(flat))
	for k, v := range flat {
		j, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out[k] = string(j)
	}
	return out
}

// check compares the fields of d with want, where "" means the field
// must be absent.
func check(t *testing.T, d Doc, want map[string]string) {
	t.Helper()
	got := fields(t, d)
	for k, w := range want {
		g, ok := got[k]
		switch {
		case w == "" && ok:
			t.Errorf("%s = %s; want it absent", k, g)
		case w != "" && !ok:
			t.Errorf("%s absent; want %s", k, w)
		case w != "" && g != w:
			t.Errorf("%s = %s; want %s", k, g, w)
		}
	}
}

func TestCall(t *testing.T) {
	start := time.Date(2025, 3, 4, 11, 0, 0, 5, time.FixedZone("CET", 3600))
	base := func() *call.Call {
		return &call.Call{
			ID: "c1", Start: start, Upstream: "sf", Method: "GET", Operation: "/x/{id}",
			Client: "sync", Status: 200, Class: fault.OK, Latency: 1500 * time.Microsecond, Attempts: 1,
		}
	}
	tests := []struct {
		name   string
		modify func(*call.Call)
		doc    func(Doc) Doc
		want   map[string]string
	}{
		{
			name: "success",
			want: map[string]string{
				"@timestamp":                    `"2025-03-04T10:00:00.000000005Z"`,
				"ecs.version":                   `"8.11.0"`,
				"event.kind":                    `"event"`,
				"event.category":                `["web"]`,
				"event.type":                    `["access"]`,
				"event.action":                  `"crm-call"`,
				"event.dataset":                 `"crmguard.calls"`,
				"event.module":                  `"crmguard"`,
				"event.outcome":                 `"success"`,
				"event.id":                      `"c1"`,
				"event.duration":                `1500000`,
				"log.level":                     `"info"`,
				"service.name":                  `"crmguard"`,
				"message":                       `"GET /x/{id} on sf: 200 in 2ms"`,
				"http.request.method":           `"GET"`,
				"http.response.status_code":     `200`,
				"http.request.body.bytes":       "",
				"crmguard.client":               `"sync"`,
				"crmguard.class":                `"ok"`,
				"crmguard.attempts":             `1`,
				"crmguard.retryable":            "",
				"crmguard.partial":              "",
				"crmguard.incident.fingerprint": "",
				"client.address":                "",
				"client.ip":                     "",
				"error.type":                    "",
				"error.code":                    "",
				"error.message":                 "",
			},
		},
		{
			name: "failure with vendor code",
			modify: func(c *call.Call) {
				c.Method, c.Status, c.Class = "POST", 400, fault.DataFormat
				c.VendorCode, c.Message, c.Remediation = "REQUIRED_FIELD_MISSING", "LastName missing", "Send LastName."
			},
			want: map[string]string{
				"event.type":           `["access","error"]`,
				"event.outcome":        `"failure"`,
				"log.level":            `"error"`,
				"error.type":           `"data_format"`,
				"error.code":           `"REQUIRED_FIELD_MISSING"`,
				"error.message":        `"LastName missing"`,
				"crmguard.class":       `"data_format"`,
				"crmguard.retryable":   `false`,
				"crmguard.remediation": `"Send LastName."`,
				"message":              `"POST /x/{id} on sf failed: data_format (400 REQUIRED_FIELD_MISSING): LastName missing"`,
			},
		},
		{
			name: "failure without status or code",
			modify: func(c *call.Call) {
				c.Status, c.Class, c.Message, c.Retryable, c.Attempts = 0, fault.Network, "connection refused", true, 0
			},
			want: map[string]string{
				"http.response.status_code": "",
				"error.code":                "",
				"crmguard.retryable":        `true`,
				"crmguard.attempts":         `0`,
				"message":                   `"GET /x/{id} on sf failed: network: connection refused"`,
			},
		},
		{
			name:   "remote IPv4 address as client",
			modify: func(c *call.Call) { c.Client = "198.51.100.4" },
			want: map[string]string{
				"client.address":  `"198.51.100.4"`,
				"client.ip":       `"198.51.100.4"`,
				"crmguard.client": `"198.51.100.4"`,
			},
		},
		{
			name:   "IPv6 address with a zone",
			modify: func(c *call.Call) { c.Client = "fe80::1%eth0" },
			want: map[string]string{
				"client.address": `"fe80::1%eth0"`,
				"client.ip":      `"fe80::1"`,
			},
		},
		{
			name: "guard findings make it a warning",
			modify: func(c *call.Call) {
				c.Guard.VersionState = "retired"
				c.Guard.Findings = []call.Finding{{Class: fault.Parameter}, {Class: fault.Version}}
			},
			want: map[string]string{
				"log.level":                    `"warn"`,
				"event.outcome":                `"success"`,
				"crmguard.guard.version_state": `"retired"`,
				"crmguard.guard.findings":      `2`,
				"crmguard.guard.changes":       "",
			},
		},
		{
			name: "incident added by the caller",
			doc:  func(d Doc) Doc { return d.WithIncident("abc123") },
			want: map[string]string{"crmguard.incident.fingerprint": `"abc123"`},
		},
		{
			name: "empty incident leaves the doc alone",
			doc:  func(d Doc) Doc { return d.WithIncident("") },
			want: map[string]string{"crmguard.incident.fingerprint": ""},
		},
		{
			name:   "bytes both ways",
			modify: func(c *call.Call) { c.BytesIn, c.BytesOut = 10, 20 },
			want: map[string]string{
				"http.request.body.bytes":  `10`,
				"http.response.body.bytes": `20`,
			},
		},
		{
			name:   "partial batch",
			modify: func(c *call.Call) { c.Partial, c.Class = true, fault.DataFormat },
			want:   map[string]string{"crmguard.partial": `true`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := base()
			if tc.modify != nil {
				tc.modify(c)
			}
			d := Call(c)
			if tc.doc != nil {
				d = tc.doc(d)
			}
			check(t, d, tc.want)
		})
	}
}

func TestIncident(t *testing.T) {
	first := time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)
	i := incident.Incident{
		Fingerprint: "fp1", Upstream: "hs", Operation: "/contacts", Class: fault.RateLimit,
		Message: "Too many requests", FirstSeen: first, LastSeen: first.Add(time.Minute),
		Count: 1, State: incident.Open,
	}
	tests := []struct {
		action string
		level  string
		msg    string
	}{
		{ActionIncidentOpened, `"warn"`, `"Incident opened: hs /contacts failed with rate_limit 1 time: Too many requests"`},
		{ActionIncidentReopened, `"warn"`, `"Incident reopened: hs /contacts failed with rate_limit 1 time: Too many requests"`},
		{ActionIncidentResolved, `"info"`, `"Incident resolved: hs /contacts failed with rate_limit 1 time: Too many requests"`},
	}
	for _, tc := range tests {
		t.Run(tc.action, func(t *testing.T) {
			check(t, Incident(i, tc.action), map[string]string{
				"@timestamp":                    "", // stamped by the writer
				"event.kind":                    `"event"`,
				"event.category":                `["web"]`,
				"event.type":                    `["info"]`,
				"event.action":                  `"` + tc.action + `"`,
				"event.dataset":                 `"crmguard.events"`,
				"event.outcome":                 "",
				"event.start":                   `"2025-03-04T09:00:00Z"`,
				"event.end":                     `"2025-03-04T09:01:00Z"`,
				"log.level":                     tc.level,
				"message":                       tc.msg,
				"error.type":                    `"rate_limit"`,
				"error.code":                    "",
				"crmguard.incident.fingerprint": `"fp1"`,
				"crmguard.incident.state":       `"open"`,
				"crmguard.incident.count":       `1`,
				"crmguard.incident.reopened":    "",
			})
		})
	}
}

func TestAlert(t *testing.T) {
	a := notify.Alert{
		ID: "a1", Rule: "slow", Status: notify.Firing,
		Labels:      map[string]string{"alertname": "slow", "service.env": "prod"},
		Annotations: map[string]string{"summary": "sf is slow"},
		Value:       0, StartsAt: time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC),
	}
	tests := []struct {
		name     string
		severity string
		action   string
		want     map[string]string
	}{
		{"critical firing", "critical", ActionAlertFiring, map[string]string{"event.severity": `2`, "log.level": `"error"`}},
		{"warning firing", "warning", ActionAlertFiring, map[string]string{"event.severity": `4`, "log.level": `"warn"`}},
		{"info firing", "info", ActionAlertFiring, map[string]string{"event.severity": `6`, "log.level": `"info"`}},
		{"unknown severity", "page-me", ActionAlertFiring, map[string]string{"event.severity": "", "log.level": `"info"`}},
		{"critical resolved", "critical", ActionAlertResolved, map[string]string{"event.severity": `2`, "log.level": `"info"`}},
		{"critical acknowledged", "critical", ActionAlertAcknowledged, map[string]string{"log.level": `"info"`, "event.action": `"alert-acknowledged"`}},
		{"critical silenced", "critical", ActionAlertSilenced, map[string]string{"log.level": `"info"`, "event.action": `"alert-silenced"`}},
	}
	common := map[string]string{
		"event.kind":            `"alert"`,
		"event.dataset":         `"crmguard.events"`,
		"event.type":            `["info"]`,
		"event.start":           `"2025-03-04T09:00:00Z"`,
		"event.end":             "",
		"event.url":             "",
		"rule.name":             `"slow"`,
		"message":               `"sf is slow"`,
		"labels.alertname":      `"slow"`,
		"labels.service_env":    `"prod"`,
		"crmguard.alert.id":     `"a1"`,
		"crmguard.alert.status": `"firing"`,
		"crmguard.alert.value":  `0`, // a value of 0 is kept
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := a
			a.Severity = tc.severity
			d := Alert(a, tc.action)
			check(t, d, common)
			check(t, d, tc.want)
		})
	}

	t.Run("summary missing", func(t *testing.T) {
		a := a
		a.Annotations = nil
		check(t, Alert(a, ActionAlertFiring), map[string]string{"message": `"Alert slow: firing"`})
	})
}

func TestLabels_DotsReplaced(t *testing.T) {
	got := labels(map[string]string{"a.b": "dotted", "a_b": "underscored", "c": "plain"})
	// "a.b" sorts before "a_b", so the underscored key's value wins.
	want := map[string]string{"a_b": "underscored", "c": "plain"}
	if len(got) != len(want) {
		t.Fatalf("got %v; want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("labels[%q] = %q; want %q", k, got[k], v)
		}
	}
	if labels(nil) != nil {
		t.Errorf("labels(nil) = %v; want nil", labels(nil))
	}
}
