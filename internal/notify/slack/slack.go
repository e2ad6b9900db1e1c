// Package slack delivers alert notifications to a Slack incoming webhook,
// or to any chat that accepts the same payload (Mattermost, Rocket.Chat):
// one message whose attachment is coloured by status and severity, titled
// with the message's summary, with one line per alert.
package slack

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crmguard/crmguard/internal/notify"
	"github.com/crmguard/crmguard/internal/notify/webhook"
)

// DefaultTimeout bounds one delivery when Options.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// The attachment colours: Slack's named colours, which Mattermost and
// Rocket.Chat also accept, and Slack's blue for firing alerts of any
// other severity (info).
const (
	colorCritical = "danger"
	colorWarning  = "warning"
	colorResolved = "good"
	colorInfo     = "#439FE0"
)

// Options configure a Slack notifier.
type Options struct {
	// URL is the incoming webhook's URL. It is a secret (whoever has it
	// can post to the channel): errors show only its scheme and host.
	URL string
	// Channel, when set, overrides the webhook's channel ("#ops" or a
	// user "@jane"). Webhooks of Slack apps ignore it and always post to
	// the channel they were created for; legacy webhooks and Mattermost
	// honour it.
	Channel string
	// Username, when set, overrides the name the message is posted
	// under, with the same caveat as Channel.
	Username string
	// Timeout bounds one delivery. Zero means DefaultTimeout.
	Timeout time.Duration
	// Client sends the requests. Nil means http.DefaultClient.
	Client *http.Client
}

// Notifier posts messages to one incoming webhook. It is safe for
// concurrent use.
type Notifier struct {
	url      string
	channel  string
	username string
	timeout  time.Duration
	client   *http.Client
}

var _ notify.Notifier = (*Notifier)(nil)

// New checks o and returns a notifier for it.
func New(o Options) (*Notifier, error) {
	if _, err := webhook.CheckURL(o.URL); err != nil {
		return nil, fmt.Errorf("slack: url: %w", err)
	}
	if o.Timeout < 0 {
		return nil, fmt.Errorf("slack: timeout %s is negative; leave it zero for the default %s", o.Timeout, DefaultTimeout)
	}
	return &Notifier{
		url:      o.URL,
		channel:  o.Channel,
		username: o.Username,
		timeout:  cmp.Or(o.Timeout, DefaultTimeout),
		client:   o.Client,
	}, nil
}

// Notify posts m. Slack answers "ok" with 200 on success; any status
// other than 2xx is an error quoting Slack's answer (invalid_payload,
// channel_not_found, no_service…). The answer's body is not checked
// further, since Rocket.Chat answers JSON instead.
func (n *Notifier) Notify(ctx context.Context, m notify.Message) error {
	body, err := json.Marshal(n.payload(m))
	if err != nil {
		return fmt.Errorf("slack: encoding the message: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, n.timeout)
	defer cancel()
	h := http.Header{"Content-Type": {"application/json"}}
	if err := webhook.Post(ctx, n.client, n.url, h, body); err != nil {
		return fmt.Errorf("slack: %w", err)
	}
	return nil
}

// payload is the JSON body of an incoming webhook. Attachments are
// "legacy" in Slack's documentation but remain the only way to colour a
// message, and the part of the format Mattermost and Rocket.Chat share.
type payload struct {
	Channel     string       `json:"channel,omitempty"`
	Username    string       `json:"username,omitempty"`
	Text        string       `json:"text"`
	Attachments []attachment `json:"attachments"`
}

type attachment struct {
	// Fallback is the plain text shown in notifications.
	Fallback  string   `json:"fallback"`
	Color     string   `json:"color"`
	Title     string   `json:"title"`
	TitleLink string   `json:"title_link,omitempty"`
	Text      string   `json:"text"`
	Footer    string   `json:"footer,omitempty"`
	TS        int64    `json:"ts,omitempty"`
	MrkdwnIn  []string `json:"mrkdwn_in"`
}

func (n *Notifier) payload(m notify.Message) payload {
	title := m.Summary
	if title == "" {
		title = string(m.Status) + ": " + m.Group
	}
	a := attachment{
		Fallback: title,
		Color:    color(m),
		Title:    escape(title),
		Text:     strings.Join(lines(m.Alerts), "\n"),
		Footer:   "crmguard",
		MrkdwnIn: []string{"text"},
	}
	if !m.SentAt.IsZero() {
		a.TS = m.SentAt.Unix()
	}
	if len(m.Alerts) == 1 && m.Alerts[0].URL != "" {
		a.TitleLink = m.Alerts[0].URL
	}
	return payload{
		Channel:  n.channel,
		Username: n.username,
		// text is what a client without attachments shows, and the line
		// Slack puts in push notifications.
		Text:        escape(title),
		Attachments: []attachment{a},
	}
}

// color is the attachment's colour: good once the group resolved,
// otherwise by the most severe firing alert.
func color(m notify.Message) string {
	if m.Status == notify.Resolved {
		return colorResolved
	}
	worst := colorInfo
	for _, a := range m.Alerts {
		if a.Status != notify.Firing {
			continue
		}
		switch a.Severity {
		case "critical":
			return colorCritical
		case "warning":
			worst = colorWarning
		}
	}
	return worst
}

// lines returns one line per alert: its labels other than alertname and
// severity (the title carries those), its value and its summary
// annotation, with a link to the alert when it has a URL.
func lines(alerts []notify.Alert) []string {
	out := make([]string, 0, len(alerts))
	for _, a := range alerts {
		var parts []string
		var labels []string
		for _, k := range slices.Sorted(maps.Keys(a.Labels)) {
			if k == "alertname" || k == "severity" || a.Labels[k] == "" {
				continue
			}
			labels = append(labels, k+"="+a.Labels[k])
		}
		if len(labels) > 0 {
			parts = append(parts, "*"+escape(strings.Join(labels, " "))+"*")
		} else {
			parts = append(parts, "*"+escape(cmp.Or(a.Rule, a.ID))+"*")
		}
		parts = append(parts, "value "+strconv.FormatFloat(a.Value, 'g', 4, 64))
		if s := a.Annotations["summary"]; s != "" {
			parts = append(parts, escape(s))
		}
		if a.Status == notify.Resolved {
			parts = append(parts, "_resolved_")
		}
		line := "• " + strings.Join(parts, " — ")
		if a.URL != "" {
			line += " <" + escape(a.URL) + "|details>"
		}
		out = append(out, line)
	}
	return out
}

// escape makes s literal text in Slack's format: "&", "<" and ">" must
// be written as entities, or "<!channel>" in an annotation would notify
// the whole channel and "<url|text>" would become a link. Mattermost
// treats the same sequences alike and shows the entities as characters.
func escape(s string) string { return escaper.Replace(s) }

// escaper is read-only after initialization and safe for concurrent use.
var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
