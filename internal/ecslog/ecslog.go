// Package ecslog writes crmguard's calls, incidents and alerts as an
// NDJSON log in the Elastic Common Schema (ECS 8.x), one document a line,
// for Filebeat's ndjson parser to ship; the file rotates by size, by
// renaming, so a shipper that follows the file keeps every line.
package ecslog

import (
	"bytes"
	"encoding/json"
	"time"
)

// ECSVersion is the ECS release the documents conform to, written to
// ecs.version in every document.
const ECSVersion = "8.11.0"

// The datasets of the documents, written to event.dataset: one document
// per call in crmguard.calls, incident and alert changes in
// crmguard.events.
const (
	DatasetCalls  = "crmguard.calls"
	DatasetEvents = "crmguard.events"
)

// The event.action values crmguard writes. Incident and Alert take the
// action as an argument and write it as given, so these are the values
// their callers pass.
const (
	ActionCall = "crm-call"

	ActionIncidentOpened   = "incident-opened"
	ActionIncidentReopened = "incident-reopened"
	ActionIncidentResolved = "incident-resolved"

	ActionAlertFiring       = "alert-firing"
	ActionAlertResolved     = "alert-resolved"
	ActionAlertAcknowledged = "alert-acknowledged"
	ActionAlertSilenced     = "alert-silenced"
)

// The log.level values. ECS leaves the vocabulary to the source; these
// three are the common spelling.
const (
	levelInfo  = "info"
	levelWarn  = "warn"
	levelError = "error"
)

// Doc is one ECS document: a call, an incident change or an alert
// change. It is built by Call, Incident or Alert and marshals to one JSON
// object with nested field sets (event.*, http.*, crmguard.*…); the
// fields it can hold and their types are listed in
// testdata/ecs_fields.yml. A Doc whose @timestamp is unset (incident and
// alert documents) is stamped by Writer.Write with the time of writing.
type Doc struct {
	d doc
}

// MarshalJSON implements json.Marshaler. HTML characters are not
// escaped, as in the lines Writer writes.
func (d Doc) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d.d); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}

// WithIncident returns d with crmguard.incident.fingerprint set: the
// incident the call was grouped into. A call does not carry its
// fingerprint, since the recorder derives it (for successful calls too,
// when their responses drifted from the contract), so the code that has
// the recorder's fingerprints adds it. An empty fingerprint leaves d as
// it is.
func (d Doc) WithIncident(fingerprint string) Doc {
	if fingerprint != "" {
		d.d.CRMGuard.Incident.Fingerprint = fingerprint
	}
	return d
}

// doc is the wire form of a Doc. Nested structs rather than a map, so
// that each field's JSON type is fixed by its Go type; ecs_test checks
// the types against the ECS definitions.
type doc struct {
	Timestamp time.Time         `json:"@timestamp,omitzero"`
	ECS       ecsFields         `json:"ecs"`
	Message   string            `json:"message"`
	Log       logFields         `json:"log"`
	Service   serviceFields     `json:"service"`
	Event     eventFields       `json:"event"`
	HTTP      httpFields        `json:"http,omitzero"`
	Client    clientFields      `json:"client,omitzero"`
	Error     errorFields       `json:"error,omitzero"`
	Rule      ruleFields        `json:"rule,omitzero"`
	Labels    map[string]string `json:"labels,omitempty"`
	CRMGuard  crmguardFields    `json:"crmguard,omitzero"`
}

type ecsFields struct {
	Version string `json:"version"`
}

type logFields struct {
	Level string `json:"level"`
}

type serviceFields struct {
	Name string `json:"name"`
}

type eventFields struct {
	Kind     string    `json:"kind"`
	Category []string  `json:"category"`
	Type     []string  `json:"type"`
	Action   string    `json:"action"`
	Dataset  string    `json:"dataset"`
	Module   string    `json:"module"`
	Outcome  string    `json:"outcome,omitempty"`
	ID       string    `json:"id,omitempty"`
	Duration int64     `json:"duration,omitempty"` // nanoseconds
	Severity int       `json:"severity,omitempty"`
	Start    time.Time `json:"start,omitzero"`
	End      time.Time `json:"end,omitzero"`
	URL      string    `json:"url,omitempty"`
}

type httpFields struct {
	Request  httpRequest  `json:"request,omitzero"`
	Response httpResponse `json:"response,omitzero"`
}

type httpRequest struct {
	Method string     `json:"method,omitempty"`
	Body   bodyFields `json:"body,omitzero"`
}

type httpResponse struct {
	StatusCode int        `json:"status_code,omitempty"`
	Body       bodyFields `json:"body,omitzero"`
}

type bodyFields struct {
	Bytes int64 `json:"bytes,omitempty"`
}

type clientFields struct {
	Address string `json:"address,omitempty"`
	IP      string `json:"ip,omitempty"`
}

type errorFields struct {
	Type    string `json:"type,omitempty"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

type ruleFields struct {
	Name string `json:"name,omitempty"`
}

// crmguardFields is the custom field set. Its fields are documented in
// the crmguard section of testdata/ecs_fields.yml, which ecs_test keeps
// in step with what is emitted.
type crmguardFields struct {
	Upstream    string         `json:"upstream,omitempty"`
	Operation   string         `json:"operation,omitempty"`
	APIVersion  string         `json:"api_version,omitempty"`
	Client      string         `json:"client,omitempty"`
	Class       string         `json:"class,omitempty"`
	Attempts    *int           `json:"attempts,omitempty"`  // calls only; 0 is a value
	Retryable   *bool          `json:"retryable,omitempty"` // failed calls only
	Partial     bool           `json:"partial,omitempty"`
	Remediation string         `json:"remediation,omitempty"`
	Incident    incidentFields `json:"incident,omitzero"`
	Guard       guardFields    `json:"guard,omitzero"`
	Alert       alertFields    `json:"alert,omitzero"`
}

type incidentFields struct {
	Fingerprint string   `json:"fingerprint,omitempty"`
	State       string   `json:"state,omitempty"`
	Count       int64    `json:"count,omitempty"`
	Reopened    int      `json:"reopened,omitempty"`
	SampleCalls []string `json:"sample_calls,omitempty"`
}

type guardFields struct {
	VersionState string `json:"version_state,omitempty"`
	Findings     int    `json:"findings,omitempty"`
	Changes      int    `json:"changes,omitempty"`
}

type alertFields struct {
	ID          string   `json:"id,omitempty"`
	Status      string   `json:"status,omitempty"`
	Value       *float64 `json:"value,omitempty"` // 0 is a value
	Description string   `json:"description,omitempty"`
}

// newDoc returns a document with the fields every document carries.
func newDoc(dataset, kind, action string) doc {
	return doc{
		ECS:     ecsFields{Version: ECSVersion},
		Service: serviceFields{Name: "crmguard"},
		Event: eventFields{
			Kind:     kind,
			Category: []string{"web"},
			Action:   action,
			Dataset:  dataset,
			Module:   "crmguard",
		},
	}
}
