// Package webhook delivers alert notifications as an HTTP POST to any URL:
// the notify.Message as JSON, or a body rendered from it by a Go
// text/template. It also holds Post, the POST-and-check-the-status step
// the Slack and Alertmanager notifiers share.
package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"text/template"
	"time"

	"github.com/crmguard/crmguard/internal/notify"
)

// DefaultTimeout bounds one delivery when Options.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// Options configure a webhook notifier.
type Options struct {
	// URL receives the POST requests; http or https. It may carry a
	// secret in its path or query: errors show only its scheme and host.
	URL string
	// Headers are set on every request, such as Authorization. A
	// Content-Type here replaces the default application/json; a Host
	// here replaces the URL's host in the request.
	Headers map[string]string
	// Template, when set, is a Go text/template that renders the body
	// from the notify.Message (its fields: .Status, .Summary, .Alerts,
	// .GroupLabels…). Besides text/template's own functions it may call
	// json (a value as JSON, strings quoted), upper, lower, join (join
	// SEP LIST) and pairs (a label map as sorted "name=value" strings).
	// An absent map key renders as "". Empty sends the message itself as
	// JSON.
	Template string
	// Timeout bounds one delivery, answer included. Zero means
	// DefaultTimeout.
	Timeout time.Duration
	// Client sends the requests. Nil means http.DefaultClient.
	Client *http.Client
}

// Notifier posts messages to one URL. It is safe for concurrent use.
type Notifier struct {
	url     string
	header  http.Header
	tmpl    *template.Template // nil: the message as JSON
	timeout time.Duration
	client  *http.Client
}

var _ notify.Notifier = (*Notifier)(nil)

// New checks o and returns a notifier for it. The template, if any, is
// parsed and tried on a sample message; when the content type is JSON
// the sample's body must be JSON too, so a template that would break on
// the first summary containing a quote is refused now.
func New(o Options) (*Notifier, error) {
	if _, err := CheckURL(o.URL); err != nil {
		return nil, fmt.Errorf("webhook: url: %w", err)
	}
	header := http.Header{}
	for name, value := range o.Headers {
		if err := checkHeader(name, value); err != nil {
			return nil, fmt.Errorf("webhook: headers: %w", err)
		}
		header.Set(name, value)
	}
	if header.Get("Content-Type") == "" {
		header.Set("Content-Type", "application/json")
	}
	if o.Timeout < 0 {
		return nil, fmt.Errorf("webhook: timeout %s is negative; leave it zero for the default %s", o.Timeout, DefaultTimeout)
	}
	n := &Notifier{url: o.URL, header: header, timeout: o.Timeout, client: o.Client}
	if n.timeout == 0 {
		n.timeout = DefaultTimeout
	}
	if o.Template != "" {
		t, err := parseTemplate(o.Template, isJSON(header.Get("Content-Type")))
		if err != nil {
			return nil, fmt.Errorf("webhook: template: %w", err)
		}
		n.tmpl = t
	}
	return n, nil
}

// Notify renders m and posts it. An answer other than 2xx is a
// *StatusError quoting the start of the answer.
func (n *Notifier) Notify(ctx context.Context, m notify.Message) error {
	body, err := n.body(m)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, n.timeout)
	defer cancel()
	if err := Post(ctx, n.client, n.url, n.header, body); err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	return nil
}

func (n *Notifier) body(m notify.Message) ([]byte, error) {
	if n.tmpl == nil {
		b, err := json.Marshal(m)
		if err != nil {
			return nil, fmt.Errorf("encoding the message: %w", err)
		}
		return b, nil
	}
	b, err := execute(n.tmpl, m)
	if err != nil {
		return nil, fmt.Errorf("rendering the template: %w", err)
	}
	// The template passed the check at New on a sample; a real message
	// can still break JSON (a label inserted unquoted), and a receiver
	// would only answer 400 to it.
	if isJSON(n.header.Get("Content-Type")) && !json.Valid(b) {
		return nil, fmt.Errorf("the template rendered a body that is not JSON for group %q (insert strings with {{json …}}): %s", m.Group, excerpt(b, maxExcerpt))
	}
	return b, nil
}

// CheckURL parses raw as the URL of an HTTP receiver: absolute, http or
// https, with a host. Its errors do not repeat the URL, which may hold a
// secret.
func CheckURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("is empty; set the receiver's http or https URL")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("is not a valid URL (%s); write it as http(s)://host[:port]/path", urlErrorText(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("scheme %q is not supported; use http or https", u.Scheme)
	}
	if u.Host == "" {
		return nil, errors.New("has no host; write it as http(s)://host[:port]/path")
	}
	return u, nil
}

// checkHeader refuses a header net/http would refuse only when sending:
// a name that is not an RFC 9110 token, or a value with a line break or
// NUL (which could also smuggle a second header).
func checkHeader(name, value string) error {
	if name == "" {
		return errors.New("a header has an empty name")
	}
	for _, r := range name {
		if r > '~' || r <= ' ' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return fmt.Errorf("header name %q has the character %q, which header names cannot contain", name, r)
		}
	}
	if strings.ContainsAny(value, "\r\n\x00") {
		return fmt.Errorf("header %s: the value has a line break or NUL, which header values cannot contain", name)
	}
	return nil
}

// isJSON reports whether a Content-Type is JSON: application/json or a
// +json type such as application/vnd.api+json.
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}
