package alert

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"maps"
	"slices"
	"strings"
	"time"
)

// State is where an alert stands.
type State string

// An alert is pending while its condition holds for less than the rule's
// for, firing after that, and resolved once the condition no longer
// holds.
const (
	Pending  State = "pending"
	Firing   State = "firing"
	Resolved State = "resolved"
)

// ErrNotFound is returned for an alert or silence that does not exist.
var ErrNotFound = errors.New("not found")

// ErrNotActive is returned when acknowledging an alert that is resolved.
var ErrNotActive = errors.New("the alert is not pending or firing")

// Alert is one alert instance: a rule and the labels of what it fired on.
type Alert struct {
	ID       string
	Rule     string
	Severity string
	Group    string // the notification group
	// Labels hold alertname, severity, the rule's labels and the
	// condition's (upstream, class…).
	Labels      map[string]string
	Annotations map[string]string // summary, description, remediation
	State       State
	Value       float64
	ActiveSince time.Time // when the condition started to hold
	FiredAt     time.Time
	ResolvedAt  time.Time
	UpdatedAt   time.Time
	// Ack is set once someone acknowledged the alert: its group is no
	// longer repeated. A new episode of the alert clears it.
	Ack *Ack
	// SilencedBy lists the silences and maintenance windows that hold
	// back its notifications now; it is computed on each evaluation.
	SilencedBy []string
}

// Ack is an acknowledgement.
type Ack struct {
	By      string
	Comment string
	At      time.Time
}

// Event is an entry of the alert history.
type Event struct {
	ID      int64
	At      time.Time
	AlertID string
	Rule    string
	Labels  map[string]string
	// Kind is firing, resolved, acknowledged, silenced or unsilenced.
	Kind   string
	By     string // who acknowledged
	Detail string // the summary, the comment, the silences
}

// The history's event kinds.
const (
	EventFiring       = "firing"
	EventResolved     = "resolved"
	EventAcknowledged = "acknowledged"
	EventSilenced     = "silenced"
	EventUnsilenced   = "unsilenced"
)

// EventQuery selects alert history.
type EventQuery struct {
	Since   time.Time // zero for the beginning
	AlertID string    // empty for every alert
	Rule    string    // empty for every rule
	Limit   int       // 0 for 100, at most 1000
}

// GroupState is what was last sent to one notifier for one group.
type GroupState struct {
	Group    string
	Notifier string
	LastSent time.Time
	// Notified are the alerts sent as firing and not yet as resolved.
	Notified []string
}

// Snapshot is the persisted state the engine works on.
type Snapshot struct {
	Alerts []Alert
	Groups []GroupState
}

// Change is what one evaluation writes back, in one transaction.
type Change struct {
	// Upsert writes the alerts' evaluated fields; acknowledgements are
	// kept unless the alert's ID is in ClearAck (a new episode).
	Upsert   []Alert
	ClearAck []string
	Delete   []string
	// Groups replaces the stored notification state of the groups in
	// it; DeleteGroups removes some.
	Groups       []GroupState
	DeleteGroups []GroupState
	Events       []Event
}

// Store keeps the engine's state, so that a restart or another replica
// taking over does not forget what fired and what was sent.
type Store interface {
	LoadAlerts(ctx context.Context) (Snapshot, error)
	SaveAlerts(ctx context.Context, c Change) error
	Silences(ctx context.Context, activeAt time.Time) ([]Silence, error)
	// TryLease takes or renews the lease name for holder until now+ttl,
	// and reports whether holder holds it: only one replica evaluates.
	TryLease(ctx context.Context, name, holder string, ttl time.Duration, now time.Time) (bool, error)
}

// alertID identifies an alert by its rule and labels.
func alertID(rule string, labels map[string]string) string {
	h := sha256.New()
	h.Write([]byte(rule))
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		h.Write([]byte{0})
		h.Write([]byte(k))
		h.Write([]byte{'='})
		h.Write([]byte(labels[k]))
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// groupKey names the group of an alert: the rule and the values of its
// group_by labels.
func groupKey(rule string, groupBy []string, labels map[string]string) string {
	if len(groupBy) == 0 {
		return rule
	}
	parts := make([]string, 0, len(groupBy))
	for _, k := range groupBy {
		parts = append(parts, k+"="+labels[k])
	}
	return rule + "{" + strings.Join(parts, ",") + "}"
}
