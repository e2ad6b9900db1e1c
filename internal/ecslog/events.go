package ecslog

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/crmguard/crmguard/internal/incident"
	"github.com/crmguard/crmguard/internal/notify"
)

// Incident returns the document of a change to incident i, in dataset
// crmguard.events: an event of kind event, category web, type info, with
// action as event.action (one of the ActionIncident constants). Its
// event.start and event.end are the incident's first and last failure, and
// its error fields the failure the incident groups. @timestamp is left
// for Writer.Write to set, since the incident does not record when it
// changed. An opened or reopened incident is logged at warn, anything
// else at info.
func Incident(i incident.Incident, action string) Doc {
	d := newDoc(DatasetEvents, "event", action)
	d.Event.Type = []string{"info"}
	d.Event.Start = i.FirstSeen.UTC()
	d.Event.End = i.LastSeen.UTC()
	d.Log.Level = levelInfo
	if action == ActionIncidentOpened || action == ActionIncidentReopened {
		d.Log.Level = levelWarn
	}
	d.Message = incidentMessage(i, action)
	d.Error = errorFields{Type: i.Class.String(), Code: i.VendorCode, Message: i.Message}
	d.CRMGuard = crmguardFields{
		Upstream:    i.Upstream,
		Operation:   i.Operation,
		Class:       i.Class.String(),
		Remediation: i.Remediation,
		Incident: incidentFields{
			Fingerprint: i.Fingerprint,
			State:       string(i.State),
			Count:       i.Count,
			Reopened:    i.Reopened,
			SampleCalls: i.SampleCalls,
		},
	}
	return Doc{d}
}

// incidentMessage summarises an incident change, such as "Incident
// opened: salesforce POST /sobjects/Contact failed with data_format
// (REQUIRED_FIELD_MISSING) 3 times: Required fields are missing".
func incidentMessage(i incident.Incident, action string) string {
	verb, ok := strings.CutPrefix(action, "incident-")
	if !ok {
		verb = action
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Incident %s: %s %s failed with %s", verb, i.Upstream, i.Operation, i.Class)
	if i.VendorCode != "" {
		fmt.Fprintf(&b, " (%s)", i.VendorCode)
	}
	times := "times"
	if i.Count == 1 {
		times = "time"
	}
	fmt.Fprintf(&b, " %d %s", i.Count, times)
	if i.Message != "" {
		b.WriteString(": " + i.Message)
	}
	return b.String()
}

// Syslog severity codes (RFC 5424 §6.2.1) for the alert severities, so
// that event.severity sorts the way operators expect: lower is worse.
var severityCodes = map[string]int{
	"critical": 2,
	"warning":  4,
	"info":     6,
}

// Alert returns the document of a change to alert a, in dataset
// crmguard.events: an event of kind alert, category web, type info, with
// action as event.action (one of the ActionAlert constants). The rule is
// rule.name, the alert's labels are labels, its summary annotation is
// message. event.severity is the syslog code of the rule's severity
// (critical 2, warning 4, info 6; absent for any other), and log.level is
// error, warn or info by severity while the alert fires and info for
// every other action. @timestamp is left for Writer.Write to set: the
// alert records when it started and ended (event.start, event.end), not
// when it was acknowledged or silenced.
func Alert(a notify.Alert, action string) Doc {
	d := newDoc(DatasetEvents, "alert", action)
	d.Event.Type = []string{"info"}
	d.Event.Severity = severityCodes[a.Severity]
	d.Event.Start = a.StartsAt.UTC()
	d.Event.End = a.EndsAt.UTC()
	d.Event.URL = a.URL
	d.Log.Level = levelInfo
	if action == ActionAlertFiring {
		switch a.Severity {
		case "critical":
			d.Log.Level = levelError
		case "warning":
			d.Log.Level = levelWarn
		}
	}
	d.Message = a.Annotations["summary"]
	if d.Message == "" {
		d.Message = fmt.Sprintf("Alert %s: %s", a.Rule, a.Status)
	}
	d.Rule.Name = a.Rule
	d.Labels = labels(a.Labels)
	value := a.Value
	d.CRMGuard = crmguardFields{
		Remediation: a.Annotations["remediation"],
		Alert: alertFields{
			ID:          a.ID,
			Status:      string(a.Status),
			Value:       &value,
			Description: a.Annotations["description"],
		},
	}
	return Doc{d}
}

// labels copies alert labels for the ECS labels field, with dots in keys
// replaced by underscores: Filebeat's expand_keys, and Elasticsearch
// itself, would turn "a.b" into an object under labels, which ECS maps as
// keyword values only.
func labels(in map[string]string) map[string]string {
	if len(in) == 0 {
		return nil
	}
	out := make(map[string]string, len(in))
	// In key order, so that of two keys that differ only by a dot and an
	// underscore the same one wins every time.
	for _, k := range slices.Sorted(maps.Keys(in)) {
		out[strings.ReplaceAll(k, ".", "_")] = in[k]
	}
	return out
}
