// Package notify carries alert notifications from crmguard's alert engine
// to the tools operators read: it defines the Message every notifier
// receives and the Notifier interface each kind (webhook, Slack, e-mail,
// Alertmanager) implements in its own subpackage, and the Dispatcher that
// delivers messages in order per notifier, with retries and a persisted
// log of every delivery.
package notify

import (
	"context"
	"time"
)

// Status is where an alert stands when a message is sent.
type Status string

// The alert statuses a message carries.
const (
	Firing   Status = "firing"
	Resolved Status = "resolved"
)

// Kind says why a message is sent.
type Kind string

// The message kinds. A group's first message is Fire; while it keeps
// firing and nobody acknowledged it, Repeat every repeat interval; Resolve
// once every alert of the group has resolved.
const (
	Fire    Kind = "firing"
	Repeat  Kind = "repeat"
	Resolve Kind = "resolved"
)

// Alert is one alert instance: a rule and the labels of what it fired on
// (an upstream, a class, an incident…).
type Alert struct {
	// ID identifies the instance: the same rule and labels give the same
	// ID across evaluations and restarts.
	ID     string `json:"id"`
	Rule   string `json:"rule"`
	Status Status `json:"status"`
	// Severity is the rule's severity: critical, warning or info.
	Severity string `json:"severity"`
	// Labels include alertname (the rule), severity, the rule's own
	// labels, and what the condition fired on (upstream, class…).
	Labels map[string]string `json:"labels"`
	// Annotations are free text: summary (one line), description, and
	// remediation when the alert is about an incident.
	Annotations map[string]string `json:"annotations"`
	// Value is the condition's value at the last evaluation: a share, a
	// number of calls or entries, or seconds.
	Value float64 `json:"value"`
	// StartsAt is when the alert fired; EndsAt when it resolved, zero
	// while it fires.
	StartsAt time.Time `json:"starts_at"`
	EndsAt   time.Time `json:"ends_at,omitzero"`
	// URL is where the alert is shown in crmguard's admin API.
	URL string `json:"url,omitempty"`
}

// Message is one notification to one notifier: the alerts of one group
// (a rule and the values of its group_by labels).
type Message struct {
	// Notifier names the notifier the message is for.
	Notifier string `json:"notifier"`
	Kind     Kind   `json:"kind"`
	// Status is firing while any alert of the group fires.
	Status Status `json:"status"`
	// Group identifies the group; GroupLabels are its labels (alertname
	// and the group_by labels).
	Group       string            `json:"group"`
	GroupLabels map[string]string `json:"group_labels"`
	// Summary is one line for subjects and chat: the rule, the status and
	// what fired.
	Summary string  `json:"summary"`
	Alerts  []Alert `json:"alerts"`
	// SentAt is when the engine produced the message.
	SentAt time.Time `json:"sent_at"`
}

// Notifier delivers messages to one destination. Notify is called by
// one goroutine at a time per notifier, in the order messages were
// produced; an error makes the Dispatcher try again later.
type Notifier interface {
	Notify(ctx context.Context, m Message) error
}

// Resender is implemented by notifiers whose receiver needs the firing
// alerts sent again on a fixed interval to keep them active, whatever the
// rule's repeat interval (Alertmanager resolves alerts whose endsAt
// passed without a re-send). The engine sends such a notifier a Repeat
// message every Resend() while the group fires, even when acknowledged.
type Resender interface {
	Resend() time.Duration
}
