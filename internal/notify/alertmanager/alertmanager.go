// Package alertmanager pushes crmguard's alerts to Prometheus
// Alertmanager through its API v2 (POST /api/v2/alerts), the way
// Prometheus does: a firing alert is sent with an end a few re-send
// intervals ahead, so Alertmanager resolves it by itself if crmguard stops
// sending, and a resolved alert with its end.
package alertmanager

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/crmguard/crmguard/internal/notify"
	"github.com/crmguard/crmguard/internal/notify/webhook"
)

// Defaults for zero Options fields.
const (
	// DefaultResend is Prometheus's default resend delay.
	DefaultResend = time.Minute
	// DefaultTimeout bounds one push to one Alertmanager.
	DefaultTimeout = 10 * time.Second
)

// endsAfter is how many re-send intervals a firing alert stays active in
// Alertmanager without news, as in Prometheus (rules.Manager uses
// 4 × resend-delay), so that one or two lost pushes do not resolve it.
const endsAfter = 4

// Options configure an Alertmanager notifier.
type Options struct {
	// URLs are the Alertmanagers, each its base URL such as
	// http://127.0.0.1:9093 (with a path prefix if it serves under one,
	// as with --web.route-prefix). Every message goes to each of them,
	// as Prometheus does with the members of a cluster.
	URLs []string
	// Resend is how often the engine re-sends firing alerts (see
	// notify.Resender). Firing alerts are pushed with an end 4 × Resend
	// ahead. Zero means DefaultResend.
	Resend time.Duration
	// Timeout bounds the push to one Alertmanager. Zero means
	// DefaultTimeout.
	Timeout time.Duration
	// Client sends the requests. Nil means http.DefaultClient.
	Client *http.Client
	// Now returns the current time; nil means time.Now. Tests fix it.
	Now func() time.Time
	// Username and Password, when Username is set, are sent with HTTP
	// basic authentication, for an Alertmanager behind a proxy or with
	// its web config's basic_auth_users.
	Username string
	Password string
	// BearerToken, when set, is sent as "Authorization: Bearer …". It
	// cannot be combined with Username.
	BearerToken string
}

// Notifier pushes messages to one or more Alertmanagers. It is safe for
// concurrent use.
type Notifier struct {
	urls    []string // each ending in /api/v2/alerts
	header  http.Header
	resend  time.Duration
	timeout time.Duration
	client  *http.Client
	now     func() time.Time
}

var (
	_ notify.Notifier = (*Notifier)(nil)
	_ notify.Resender = (*Notifier)(nil)
)

// New checks o and returns a notifier for it.
func New(o Options) (*Notifier, error) {
	if len(o.URLs) == 0 {
		return nil, errors.New("alertmanager: no url; give at least one Alertmanager's base URL, such as http://127.0.0.1:9093")
	}
	n := &Notifier{
		header:  http.Header{"Content-Type": {"application/json"}},
		resend:  cmp.Or(o.Resend, DefaultResend),
		timeout: cmp.Or(o.Timeout, DefaultTimeout),
		client:  o.Client,
		now:     o.Now,
	}
	for i, raw := range o.URLs {
		which := "url"
		if len(o.URLs) > 1 {
			which = fmt.Sprintf("url %d of %d", i+1, len(o.URLs))
		}
		u, err := webhook.CheckURL(raw)
		if err != nil {
			return nil, fmt.Errorf("alertmanager: %s: %w", which, err)
		}
		if strings.HasSuffix(strings.TrimSuffix(u.Path, "/"), "/api/v2/alerts") {
			return nil, fmt.Errorf("alertmanager: %s: give the Alertmanager's base URL, without /api/v2/alerts (crmguard adds it)", which)
		}
		n.urls = append(n.urls, strings.TrimSuffix(raw, "/")+"/api/v2/alerts")
	}
	if o.Resend < 0 || o.Timeout < 0 {
		return nil, errors.New("alertmanager: resend and timeout must not be negative; leave them zero for the defaults")
	}
	switch {
	case o.Username != "" && o.BearerToken != "":
		return nil, errors.New("alertmanager: both a username and a bearer token are set; use one way to authenticate")
	case o.Username != "":
		n.header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(o.Username+":"+o.Password)))
	case o.Password != "":
		return nil, errors.New("alertmanager: a password is set without a username; set both for basic authentication")
	case o.BearerToken != "":
		n.header.Set("Authorization", "Bearer "+o.BearerToken)
	}
	if n.now == nil {
		n.now = time.Now
	}
	return n, nil
}

// Resend returns how often the engine must re-send firing alerts to keep
// them active in Alertmanager.
func (n *Notifier) Resend() time.Duration { return n.resend }

// Notify pushes m's alerts to every Alertmanager at once (nothing when m
// has no alerts). It returns nil
// only when each accepted them; otherwise an error joining the failures,
// each naming its Alertmanager. The engine's retry then pushes to all of
// them again, which Alertmanager handles like any re-send: it merges an
// alert with the one it holds.
func (n *Notifier) Notify(ctx context.Context, m notify.Message) error {
	if len(m.Alerts) == 0 {
		return nil
	}
	body, err := json.Marshal(postable(m.Alerts, n.now(), n.resend))
	if err != nil {
		return fmt.Errorf("alertmanager: encoding the alerts: %w", err)
	}
	errs := make([]error, len(n.urls))
	var wg sync.WaitGroup
	for i, u := range n.urls {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, n.timeout)
			defer cancel()
			if err := webhook.Post(ctx, n.client, u, n.header, body); err != nil {
				unquoteAnswer(err)
				errs[i] = fmt.Errorf("alertmanager: %w", err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// unquoteAnswer makes the answer quoted in a *webhook.StatusError
// readable when it is a JSON string, as Alertmanager's validation errors
// are ("invalid label set: invalid name \"bad-name\"").
func unquoteAnswer(err error) {
	var se *webhook.StatusError
	if !errors.As(err, &se) {
		return
	}
	var s string
	if json.Unmarshal([]byte(se.Answer), &s) == nil {
		se.Answer = s
	}
}
