package outbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/crmguard/crmguard/internal/dialect"
	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/retry"
	"github.com/crmguard/crmguard/internal/upstream"
)

// HTTPSender sends entries to one upstream over HTTP through a
// RoundTripper, normally that upstream's *upstream.Transport, so replayed
// writes are authorized, retried and classified like live calls.
type HTTPSender struct {
	base   *url.URL
	rt     http.RoundTripper
	unseal func(sealed []byte, id string) (http.Header, error)
	// Now is the clock for Retry-After dates [time.Now].
	Now func() time.Time
}

var _ Sender = (*HTTPSender)(nil)

// hopHeaders are the hop-by-hop headers (RFC 9110 §7.6.1) that belong to
// the client's connection to the gateway, not to the replayed request.
var hopHeaders = []string{
	"Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
	"Content-Length", "Host",
}

// NewHTTPSender returns a sender that sends an entry as e.Method to base
// joined with e.Path, with the headers in e.Header (JSON of an
// http.Header), the secret headers unseal opens from e.Sealed, an
// Idempotency-Key header carrying e.IdempotencyKey when the headers have
// none, and e.Body, through rt.
//
// unseal gets the entry's ID along with the sealed bytes because sealed
// headers are bound to their entry (seal.Sealer.Open fits). It may be nil
// when entries carry no secrets; an entry with Sealed bytes then fails as
// an auth fault without being sent.
func NewHTTPSender(base *url.URL, rt http.RoundTripper, unseal func(sealed []byte, id string) (http.Header, error)) *HTTPSender {
	return &HTTPSender{base: base, rt: rt, unseal: unseal, Now: time.Now}
}

// Send sends e once through the sender's RoundTripper and closes the
// response. The class comes from the upstream.Outcome the transport fills
// in; a RoundTripper that fills in none is classified by status alone.
func (s *HTTPSender) Send(ctx context.Context, e Entry) (Result, error) {
	o := &upstream.Outcome{}
	// A replay is background traffic: it leaves the quota's reserve to
	// the integrations' live calls.
	req, err := s.request(upstream.WithOutcome(upstream.WithBackground(ctx), o), e)
	if err != nil {
		return Result{}, fmt.Errorf("building request for outbox entry %s: %w", e.ID, err)
	}
	resp, err := s.rt.RoundTrip(req)
	if err != nil {
		var (
			open  *upstream.OpenError
			quota *upstream.QuotaError
		)
		if errors.As(err, &open) || errors.As(err, &quota) {
			return Result{}, fmt.Errorf("sending outbox entry %s: %w", e.ID, err)
		}
		class := o.Verdict.Class
		if !class.Failed() {
			class = fault.FromError(err)
		}
		if class == fault.Unknown || class == fault.OK {
			class = fault.Network // no answer arrived, as the transport counts it
		}
		return Result{Class: class, Message: err.Error(), Reached: o.Reached, Idempotent: s.idempotent(o, e)}, nil
	}
	defer func() {
		// Drain a little so the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
	}()
	r := Result{Status: resp.StatusCode, Reached: true, Idempotent: s.idempotent(o, e)}
	if o.Attempts > 0 {
		r.Class, r.Transient, r.Message = o.Verdict.Class, o.Verdict.Transient, o.Verdict.Message
	} else {
		r.Class = dialect.ByStatus(resp.StatusCode)
	}
	if r.Class.Failed() {
		if r.Message == "" {
			r.Message = fmt.Sprintf("HTTP %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
		}
		if w, ok := retry.Wait(resp.Header, s.now()); ok {
			r.RetryAfter = w
		}
	}
	return r, nil
}

// request builds the HTTP request for e.
func (s *HTTPSender) request(ctx context.Context, e Entry) (*http.Request, error) {
	ref, err := url.Parse(e.Path)
	if err != nil {
		return nil, &fault.Error{Class: fault.Parameter, Op: "parse path", Err: err}
	}
	if ref.Scheme != "" || ref.Host != "" {
		return nil, &fault.Error{Class: fault.Parameter, Op: "parse path", Err: fmt.Errorf("path %q is not relative to the upstream", e.Path)}
	}
	u := s.base.JoinPath(ref.EscapedPath())
	u.RawQuery = ref.RawQuery
	h := http.Header{}
	if len(e.Header) > 0 {
		if err := json.Unmarshal(e.Header, &h); err != nil {
			return nil, &fault.Error{Class: fault.Parameter, Op: "decode headers", Err: err}
		}
	}
	for _, k := range hopHeaders {
		h.Del(k)
	}
	if len(e.Sealed) > 0 {
		if s.unseal == nil {
			return nil, &fault.Error{Class: fault.Auth, Op: "unseal headers", Err: errors.New("the entry has sealed credentials and the sender has no key to open them")}
		}
		secret, err := s.unseal(e.Sealed, e.ID)
		if err != nil {
			return nil, &fault.Error{Class: fault.Auth, Op: "unseal headers", Err: err}
		}
		for k, vs := range secret {
			h[http.CanonicalHeaderKey(k)] = vs
		}
	}
	if e.IdempotencyKey != "" && h.Get("Idempotency-Key") == "" {
		h.Set("Idempotency-Key", e.IdempotencyKey)
	}
	req, err := http.NewRequestWithContext(ctx, e.Method, u.String(), bytes.NewReader(e.Body))
	if err != nil {
		return nil, &fault.Error{Class: fault.Parameter, Op: "build request", Err: err}
	}
	req.Header = h
	return req, nil
}

func (s *HTTPSender) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// idempotent says whether e can be sent again without applying twice: as
// the upstream transport judged it, or — for a RoundTripper that judges
// nothing — by its method and idempotency key alone.
func (s *HTTPSender) idempotent(o *upstream.Outcome, e Entry) bool {
	if o.Attempts > 0 {
		return o.Idempotent
	}
	return retry.IdempotentMethod(e.Method) || e.IdempotencyKey != ""
}
