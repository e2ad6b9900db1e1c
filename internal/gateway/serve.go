package gateway

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/crmguard/crmguard/internal/call"
	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/retry"
	"github.com/crmguard/crmguard/internal/route"
	"github.com/crmguard/crmguard/internal/upstream"
)

// exchange is the gateway's state for one call while it is in flight.
type exchange struct {
	call     call.Call
	outcome  upstream.Outcome
	target   *target
	req      *http.Request
	reqBody  *tap
	respBody *tap
	resp     *http.Response
	w        *responseWriter
	// rest is the request's escaped path below /NAME.
	rest string
	// queued is the queue entry's ID once the write is queued; refused
	// says why a failed write was not queued, when it was a candidate.
	queued, refused string
	// guardBody is the request body as the guard read (and maybe
	// rewrote) it; nil when it read none.
	guardBody []byte
	// respSeen is the response body as the guard read it, decoded.
	respSeen []byte
}

type exchangeKey struct{}

func exchangeFrom(ctx context.Context) *exchange {
	x, _ := ctx.Value(exchangeKey{}).(*exchange)
	return x
}

// ServeHTTP forwards one call. The steps, in order: route by the first path
// segment (no upstream → 404 problem), start the call's deadline, forward
// through the upstream's transport (which classifies the answer), add the
// Crmguard-* headers, stream the body back, and hand the finished call to
// the recorder — also when the response breaks off midway, which
// ReverseProxy signals by panicking with http.ErrAbortHandler.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := g.ids.New(start)
	i, rest, ok := g.table.Match(r.URL.EscapedPath())
	if !ok {
		g.metrics.unrouted.Inc()
		g.unrouted(w, r, id)
		return
	}
	t := g.targets[i]
	x := &exchange{target: t, req: r, rest: rest, w: &responseWriter{ResponseWriter: w}}
	x.call = call.Call{
		ID:         id,
		Start:      start,
		Upstream:   t.Name,
		Method:     r.Method,
		Operation:  route.Operation(rest),
		APIVersion: t.Dialect.Version(rest),
		Client:     clientOf(r, t.ClientHeader),
	}
	ctx := context.WithValue(r.Context(), exchangeKey{}, x)
	ctx = upstream.WithOutcome(ctx, &x.outcome)
	ctx, cancel := context.WithTimeout(ctx, t.Timeout)
	defer cancel()
	out := r.WithContext(ctx)
	if r.Body != nil && r.Body != http.NoBody {
		x.reqBody = newTap(r.Body, g.sampleBytes)
		out.Body = x.reqBody
	}
	g.metrics.inFlight.Inc()
	defer func() {
		g.metrics.inFlight.Dec()
		p := recover()
		g.finish(x, p != nil)
		if p != nil {
			panic(p) // abort the client connection, as ReverseProxy meant to
		}
	}()
	if g.guardRequest(x, out) {
		return
	}
	if g.queue != nil && g.queueFirst(x) {
		return
	}
	t.proxy.ServeHTTP(x.w, out)
}

// modifyResponse runs once the CRM's response headers are in and the
// transport has classified the answer: it adds crmguard's headers and taps
// the body to count it and notice if it breaks off.
func (g *Gateway) modifyResponse(resp *http.Response) error {
	x := exchangeFrom(resp.Request.Context())
	if x == nil {
		return nil
	}
	x.resp = resp
	v := x.outcome.Verdict
	if v.Class.Failed() && g.queue != nil {
		wait, _ := retry.Wait(resp.Header, time.Now())
		e, ok, why := g.queueFailed(x, resp.StatusCode, wait)
		if ok {
			replaceWithQueued(resp, x, e)
			return nil
		}
		g.noteRefusal(x, resp.Header, why)
	}
	h := resp.Header
	h.Set(HeaderCallID, string(x.call.ID))
	h.Set(HeaderClass, v.Class.String())
	if v.Code != "" {
		h.Set(HeaderVendorCode, headerSafe(v.Code))
	} else {
		h.Del(HeaderVendorCode)
	}
	if v.Partial {
		h.Set(HeaderPartial, "true")
	} else {
		h.Del(HeaderPartial)
	}
	if n := x.outcome.Attempts; n > 1 {
		h.Set(HeaderAttempts, strconv.Itoa(n))
	} else {
		h.Del(HeaderAttempts)
	}
	// A 101 Switching Protocols body is the raw connection, which
	// ReverseProxy needs as an io.ReadWriteCloser to splice both ways: it is
	// left untouched and the call ends when the upgrade is answered.
	if resp.StatusCode == http.StatusSwitchingProtocols {
		x.w.status = resp.StatusCode // written on the hijacked connection, not through x.w
	}
	if resp.Body != nil && resp.Body != http.NoBody && resp.StatusCode != http.StatusSwitchingProtocols {
		x.respBody = newTap(resp.Body, x.target.Guard.responseCapture(resp))
		resp.Body = x.respBody
	}
	return nil
}

// proxyError answers a call that got no usable response from the CRM.
func (g *Gateway) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	x := exchangeFrom(r.Context())
	class := fault.FromError(err)
	if x.reqBody != nil && x.reqBody.err != nil && !errors.Is(x.reqBody.err, context.DeadlineExceeded) {
		// The client's request body broke off: the client gave up.
		class = fault.Canceled
	}
	if class == fault.Unknown {
		class = fault.Network
	}
	x.outcome.Verdict.Class = class
	if x.outcome.Verdict.Message == "" {
		x.outcome.Verdict.Message = err.Error()
	}
	status := http.StatusBadGateway
	switch class {
	case fault.Timeout:
		status = http.StatusGatewayTimeout
	case fault.Canceled:
		status = statusClientClosed
	}
	var extra http.Header
	var open *upstream.OpenError
	var held *upstream.QuotaError
	if g.queue != nil {
		var wait time.Duration
		switch {
		case errors.As(err, &held):
			wait = held.RetryIn
		case errors.As(err, &open):
			wait = open.RetryIn
		}
		if e, ok, why := g.queueFailed(x, 0, wait); ok {
			writeQueued(w, x, e)
			return
		} else if why != "" {
			extra = http.Header{}
			g.noteRefusal(x, extra, why)
		}
	}
	if errors.As(err, &held) {
		// Held back while the CRM's quota window resets: answered like
		// the CRM would, with when to come back.
		status = http.StatusTooManyRequests
		extra = addHeader(extra, "Retry-After", strconv.Itoa(int(max(held.RetryIn.Seconds(), 1))))
	}
	if errors.As(err, &open) {
		// Failing fast while the CRM is failing: say so, and when to come
		// back (RFC 9110 §10.2.3).
		status = http.StatusServiceUnavailable
		extra = addHeader(extra, HeaderBreaker, "open")
		extra = addHeader(extra, "Retry-After", strconv.Itoa(int(max(open.RetryIn.Seconds(), 1))))
	}
	detail := g.redactor.Text(err.Error(), nil)
	if x.refused != "" {
		detail += ". The write was not queued: " + x.refused
	}
	writeProblem(w, problem{
		Header:      extra,
		Status:      status,
		Class:       class,
		Detail:      detail,
		CallID:      x.call.ID,
		Upstream:    x.target.Name,
		Remediation: class.Remediation(),
	})
}

// noteRefusal tells the client, in h, that its failed write was not
// queued and why; why is "" when the write was no candidate.
func (g *Gateway) noteRefusal(x *exchange, h http.Header, why string) {
	if why == "" {
		return
	}
	x.refused = why
	h.Set(HeaderQueue, "refused")
	h.Set(HeaderQueueReason, headerSafe(why))
	g.metrics.queued.WithLabelValues(x.target.Name, "refused").Inc()
}

// addHeader sets key to value in h, making h if it is nil.
func addHeader(h http.Header, key, value string) http.Header {
	if h == nil {
		h = http.Header{}
	}
	h.Set(key, value)
	return h
}

// statusClientClosed is nginx's 499: the client closed the connection
// before the answer. Nobody reads it; it is what the call is recorded with.
const statusClientClosed = 499

func (g *Gateway) unrouted(w http.ResponseWriter, r *http.Request, id call.ID) {
	writeProblem(w, problem{
		Status: http.StatusNotFound,
		Class:  fault.Parameter,
		Title:  "No upstream for this path",
		Detail: "crmguard routes /NAME/... to the upstream called NAME; the first segment of " +
			quote(r.URL.Path) + " names no configured upstream.",
		Remediation: "Prefix the CRM path with the upstream's name from the configuration, such as /sf/services/data/v59.0/….",
		CallID:      id,
	})
}

// clientOf identifies the calling integration: the client header's value
// when configured and present, else the remote IP address.
func clientOf(r *http.Request, header string) string {
	if header != "" {
		if v := r.Header.Get(header); v != "" {
			return headerSafe(v)
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// headerSafe makes a vendor- or client-supplied string fit for a header
// value and a label: no control characters, at most 128 bytes.
func headerSafe(s string) string {
	if len(s) > 128 {
		s = s[:128]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

func quote(s string) string {
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return `"` + headerSafe(s) + `"`
}
