package upstream

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/crmguard/crmguard/internal/breaker"
)

// endpoint is one base URL of an upstream (the primary or a failover) with
// its own circuit breaker.
type endpoint struct {
	url     *url.URL
	label   string // scheme://host/base, no credentials: for metrics and logs
	breaker *breaker.Breaker
}

func newEndpoint(u *url.URL, o breaker.Options, onChange func(e *endpoint, from, to breaker.State)) *endpoint {
	e := &endpoint{url: u, label: u.Scheme + "://" + u.Host + strings.TrimSuffix(u.EscapedPath(), "/")}
	o.OnChange = func(from, to breaker.State) { onChange(e, from, to) }
	e.breaker = breaker.New(o)
	return e
}

// ErrBreakerOpen is wrapped by the error a call gets when every endpoint of
// its upstream has an open circuit breaker.
var ErrBreakerOpen = errors.New("circuit breaker open")

// OpenError is the error a call gets when every endpoint's breaker is
// open. It wraps ErrBreakerOpen.
type OpenError struct {
	// RetryIn is when the first endpoint will let a probe call through.
	RetryIn time.Duration
}

func (e *OpenError) Error() string {
	return fmt.Sprintf("every endpoint's circuit breaker is open; the CRM is failing and calls are not sent for now (next probe in %s)", e.RetryIn.Round(time.Second))
}

func (e *OpenError) Unwrap() error { return ErrBreakerOpen }

// ErrQuotaExhausted is wrapped by the error a call gets when it is held
// back because the upstream's quota is used up.
var ErrQuotaExhausted = errors.New("quota exhausted")

// QuotaError is the error a call gets when it is not sent because the CRM
// refused an earlier call for its quota and the window has not reset yet.
// It wraps ErrQuotaExhausted.
type QuotaError struct {
	// RetryIn is when calls are sent again.
	RetryIn time.Duration
	// Reserve names the quota window whose reserve for interactive calls
	// held a background call back; "" when the quota is used up.
	Reserve string
}

func (e *QuotaError) Error() string {
	if e.Reserve != "" {
		return fmt.Sprintf("the CRM's %s API quota is down to the reserve kept for interactive calls; background calls wait %s", e.Reserve, e.RetryIn.Round(time.Second))
	}
	return fmt.Sprintf("the CRM's API quota is used up; calls are held back for %s instead of spending calls it would refuse", e.RetryIn.Round(time.Second))
}

func (e *QuotaError) Unwrap() error { return ErrQuotaExhausted }

// pick returns the first endpoint whose breaker lets a call through, and
// the done function to report the call's outcome to that breaker.
func (t *Transport) pick() (*endpoint, func(failed bool), error) {
	var soonest time.Duration = -1
	for _, e := range t.endpoints {
		done, retryIn, ok := e.breaker.Allow()
		if ok {
			return e, done, nil
		}
		if soonest < 0 || retryIn < soonest {
			soonest = retryIn
		}
	}
	return nil, nil, &OpenError{RetryIn: max(soonest, 0)}
}

// EndpointStatus is one endpoint's breaker, for the admin API.
type EndpointStatus struct {
	URL     string
	Breaker string // closed, half-open or open
	Since   time.Time
}

// Endpoints reports the breaker of every endpoint, primary first.
func (t *Transport) Endpoints() []EndpointStatus {
	out := make([]EndpointStatus, len(t.endpoints))
	for i, e := range t.endpoints {
		s, since := e.breaker.State()
		out[i] = EndpointStatus{URL: e.label, Breaker: s.String(), Since: since}
	}
	return out
}

// onEndpoint rewrites a request aimed at the primary endpoint to e: same
// path below the base, e's scheme, host and base path.
func (t *Transport) onEndpoint(u *url.URL, e *endpoint) *url.URL {
	if e == t.endpoints[0] {
		return u
	}
	out := *u
	out.Scheme, out.Host, out.User = e.url.Scheme, e.url.Host, e.url.User
	rest := t.apiPath(u.Path)
	out.Path = strings.TrimSuffix(e.url.Path, "/") + rest
	out.RawPath = ""
	if u.RawPath != "" {
		out.RawPath = strings.TrimSuffix(e.url.EscapedPath(), "/") + t.apiPath(u.RawPath)
	}
	return &out
}

// QuotaLeft returns the smallest share left of the CRM's quota windows
// with a known limit, as its latest answers reported, and that window;
// ok is false when no answer reported a limit.
func (t *Transport) QuotaLeft() (share float64, window string, ok bool) { return t.gate.Lowest() }
