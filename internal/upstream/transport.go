// Package upstream is crmguard's outbound path to a CRM: an
// http.RoundTripper that sends a request, reads as much of the answer as the
// CRM's dialect needs to classify it, and leaves the verdict in an Outcome
// for whoever sent the request (the gateway for live calls). Every caller
// of a CRM goes through it, so classification behaves the same everywhere.
package upstream

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"time"

	"github.com/crmguard/crmguard/internal/breaker"
	"github.com/crmguard/crmguard/internal/call"
	"github.com/crmguard/crmguard/internal/credential"
	"github.com/crmguard/crmguard/internal/dialect"
	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/quota"
	"github.com/crmguard/crmguard/internal/retry"
)

// Outcome is what the outbound path learned about one call. The sender puts
// an empty Outcome into the request's context with WithOutcome; the
// Transport fills it in.
type Outcome struct {
	Attempts int
	Status   int // status of the last response; 0 if none arrived
	Verdict  dialect.Verdict
	// Body is the decompressed start of the response body when it was read
	// for classification, for the failure sample; nil otherwise.
	Body []byte
	// Err is the transport failure of the last attempt, if any.
	Err error
	// Tries lists every attempt, in order.
	Tries []call.Attempt
	// Reached reports whether the last attempt may have reached the CRM:
	// anything after its request headers were written.
	Reached bool
	// Idempotent reports whether the request can be sent again without
	// applying twice (see Transport.idempotent), its body being kept.
	Idempotent bool
	// Request is the request body as it was sent, when it was kept to be
	// sent again (at most ReplayBytes); Replayable reports whether the
	// request can be sent again in full: it had no body, or the body was
	// kept. Together they let a write be queued after it failed.
	Request    []byte
	Replayable bool
}

type outcomeKey struct{}

// WithOutcome returns a copy of ctx carrying o for the Transport to fill.
func WithOutcome(ctx context.Context, o *Outcome) context.Context {
	return context.WithValue(ctx, outcomeKey{}, o)
}

// OutcomeFrom returns the Outcome carried by ctx, or nil.
func OutcomeFrom(ctx context.Context) *Outcome {
	o, _ := ctx.Value(outcomeKey{}).(*Outcome)
	return o
}

// Transport sends requests to one CRM — its primary endpoint, or a
// failover endpoint while the primary's circuit breaker is open — retries
// them when that is safe and worth it, and classifies the answers in the
// CRM's dialect.
type Transport struct {
	name      string
	base      http.RoundTripper
	dialect   dialect.Dialect
	inspect   int64
	basePath  string
	endpoints []*endpoint
	retry     retry.Policy
	budget    *retry.Budget
	gate      *quota.Gate
	replay    int64
	creds     credential.Source // nil: requests go with their own headers
	now       func() time.Time
	rand      func() float64
	log       *slog.Logger
	m         *Metrics
}

// Options tune a Transport. Zero fields take the defaults in brackets.
type Options struct {
	// Name is the upstream's name, for metrics and logs.
	Name string
	// Base sends the requests [a new transport from NewBase].
	Base http.RoundTripper
	// InspectBytes is the most of a body read to classify it [1 MiB].
	InspectBytes int64
	// URL is the primary endpoint: the upstream's configured url. Requests
	// arrive aimed at it. Its path is removed from the request path the
	// dialect sees, so an Odoo behind https://host/erp is still
	// recognised by its /jsonrpc endpoint.
	URL *url.URL
	// Failover lists further endpoints, tried in order while the ones
	// before have an open breaker.
	Failover []*url.URL
	// Retry is the retry policy [retry.Default()].
	Retry retry.Policy
	// Budget is the share of calls that may be retries [0.2].
	Budget float64
	// Breaker configures each endpoint's breaker; OnChange is set here.
	Breaker breaker.Options
	// QuotaPause is how long calls are held back after a quota error with
	// no reset time [quota.DefaultPause], and how long background calls
	// wait once the quota is below QuotaReserve.
	QuotaPause time.Duration
	// QuotaReserve is the share of each quota window kept for interactive
	// calls: background calls (WithBackground) are held back once less is
	// left [0: none].
	QuotaReserve float64
	// ReplayBytes is the largest request body kept to send again [1 MiB].
	// A call with a larger body is retried only if it never reached the CRM.
	ReplayBytes int64
	// Credentials are the CRM credentials crmguard holds for this
	// upstream [none]. A request with no value in Credentials.Header()
	// gets them on every attempt; one that carries its own is sent as it
	// is. After the CRM refuses them (class auth), they are fetched anew
	// and the call sent again at once, once.
	Credentials credential.Source
	Now         func() time.Time
	Rand        func() float64 // uniform in [0, 1), for backoff jitter [math/rand/v2]
	Logger      *slog.Logger
	// Metrics are shared by the transports of every upstream [none kept].
	Metrics *Metrics
}

// New returns a Transport for a CRM speaking d.
func New(d dialect.Dialect, o Options) *Transport {
	if o.Base == nil {
		o.Base = NewBase()
	}
	if o.InspectBytes <= 0 {
		o.InspectBytes = 1 << 20
	}
	if o.ReplayBytes <= 0 {
		o.ReplayBytes = 1 << 20
	}
	if o.URL == nil {
		o.URL = &url.URL{}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics(nil)
	}
	if o.Budget <= 0 {
		o.Budget = 0.2
	}
	if o.Breaker.Now == nil {
		o.Breaker.Now = o.Now
	}
	t := &Transport{
		name: o.Name, base: o.Base, dialect: d, inspect: o.InspectBytes,
		basePath: strings.TrimSuffix(o.URL.Path, "/"),
		retry:    o.Retry, budget: retry.NewBudget(o.Budget, 10, o.Now), replay: o.ReplayBytes,
		gate: newGate(o), creds: o.Credentials,
		now: o.Now, rand: o.Rand, log: o.Logger, m: o.Metrics,
	}
	for _, u := range append([]*url.URL{o.URL}, o.Failover...) {
		t.endpoints = append(t.endpoints, newEndpoint(u, o.Breaker, t.breakerChanged))
	}
	for _, e := range t.endpoints {
		t.m.breakerState.WithLabelValues(t.name, e.label).Set(0)
	}
	return t
}

func (t *Transport) breakerChanged(e *endpoint, from, to breaker.State) {
	t.m.breakerState.WithLabelValues(t.name, e.label).Set(float64(to))
	t.m.breakerChanges.WithLabelValues(t.name, e.label, to.String()).Inc()
	t.log.Warn("circuit breaker changed state", "upstream", t.name, "endpoint", e.label, "from", from.String(), "to", to.String())
}

// NewBase returns the http.Transport crmguard uses towards CRMs: proxies
// from the environment, bounded dial and TLS handshake, and a large idle
// pool, because every integration's calls funnel into few CRM hosts and the
// default of two idle connections per host would make the gateway open and
// close connections under load. Compression is left to the client: the
// client's Accept-Encoding is forwarded and the CRM's encoding returned
// unchanged.
func NewBase() *http.Transport {
	return &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   10 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          4096,
		MaxIdleConnsPerHost:   1024,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
	}
}

// RoundTrip sends req, again when the answer says that is safe and worth
// it, and returns the last answer. A transport failure is returned as a
// *fault.Error; a call refused because every endpoint's breaker is open
// gets one wrapping an *OpenError.
//
// With Credentials, a request that carries none of its own in their header
// is sent with them, and req is not changed: each attempt sends a copy of
// its header. If the credentials cannot be had, the call fails unsent with
// that error. If the CRM refuses them (class auth), it did not apply the
// call, so the call is sent again at once with credentials fetched anew,
// outside the retry policy and budget; a second refusal is final, so a
// CRM that refuses every token meets two attempts, not a loop.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	o := OutcomeFrom(req.Context())
	if o == nil {
		o = &Outcome{}
	}
	body, err := t.replayable(req)
	if err != nil {
		return nil, t.failed(o, fault.Canceled, "read request body", err)
	}
	idempotent := t.idempotent(req)
	o.Idempotent = idempotent && body.again
	o.Request, o.Replayable = body.bytes, body.again
	t.budget.Request()
	inject := t.creds != nil && req.Header.Get(t.creds.Header()) == ""
	var (
		header    http.Header // the header to send instead of req's; nil: req's
		applied   string      // the credential in header
		refreshed bool        // whether the credentials were fetched anew for this call
	)
	for attempt := 1; ; attempt++ {
		if inject && header == nil {
			if header, applied, err = t.credential(req); err != nil {
				return nil, t.failed(o, fault.FromError(err), "credentials", err)
			}
		}
		resp, reached, err := t.attempt(req, header, o, body)
		header = nil // the next attempt takes the credential anew: it may have expired meanwhile
		o.Reached = reached
		v := o.Verdict
		if inject && resp != nil && v.Class == fault.Auth && !v.Partial && !refreshed && body.again {
			refreshed = true
			t.creds.Invalidate(applied)
			next, value, aerr := t.credential(req)
			if aerr == nil && value == applied {
				// Nothing new to send (a fixed API key, or an endpoint
				// that hands out the same token): the CRM would refuse
				// it again.
				return resp, err
			}
			drain(resp)
			if aerr != nil {
				// The CRM refused the call without applying it, so
				// it can be queued like a call never sent.
				o.Reached = false
				return nil, t.failed(o, fault.FromError(aerr), "credentials", aerr)
			}
			header, applied = next, value
			t.m.retries.WithLabelValues(t.name, v.Class.String()).Inc()
			attempt-- // not an attempt of the retry policy's
			continue
		}
		d := retry.Decide(retry.Input{
			Class: v.Class, Method: req.Method, Reached: reached,
			Idempotent: idempotent && body.again, Transient: v.Transient, Partial: v.Partial,
		})
		if !d.Retry || !t.retry.Allows(attempt+1) || (reached && !body.again) || errors.Is(err, ErrBreakerOpen) || errors.Is(err, ErrQuotaExhausted) {
			return resp, err
		}
		wait := t.retry.Delay(attempt, t.rand)
		told := false
		if resp != nil {
			var w time.Duration
			if w, told = retry.Wait(resp.Header, t.now()); told && w > wait {
				wait = w
			}
		}
		if v.Class == fault.RateLimit {
			// Hold the next calls back until the window resets, rather
			// than spend calls the CRM will refuse.
			w, _ := retry.Wait(respHeader(resp), t.now())
			t.gate.Exhausted(w, told)
		}
		if v.Class == fault.RateLimit && !told {
			// A quota the CRM gave no reset time for (Salesforce's daily
			// REQUEST_LIMIT_EXCEEDED) will not be back in a backoff's
			// time: another attempt would only burn a call.
			return resp, err
		}
		if dl, ok := req.Context().Deadline(); ok && t.now().Add(wait).After(dl) {
			return resp, err // the wait would outlast the call
		}
		if !t.budget.Allow() {
			t.m.budgetExhausted.WithLabelValues(t.name).Inc()
			return resp, err
		}
		if resp != nil {
			drain(resp)
		}
		t.m.retries.WithLabelValues(t.name, v.Class.String()).Inc()
		if !sleep(req.Context(), wait) {
			return nil, t.failed(o, fault.FromError(req.Context().Err()), "wait to retry", req.Context().Err())
		}
	}
}

// credential returns a copy of req's header with the upstream's
// credential set in it, and the credential's value.
func (t *Transport) credential(req *http.Request) (http.Header, string, error) {
	h := req.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	v, err := t.creds.Apply(req.Context(), h)
	return h, v, err
}

// respHeader returns resp's header, or nil for no response.
func respHeader(resp *http.Response) http.Header {
	if resp == nil {
		return nil
	}
	return resp.Header
}

// attempt sends req once, with header instead of its own if header is not
// nil, to the first endpoint whose breaker allows it and classifies the
// answer into o. reached reports whether the request may have reached the
// CRM: anything after its headers were written.
func (t *Transport) attempt(req *http.Request, header http.Header, o *Outcome, body *requestBody) (resp *http.Response, reached bool, err error) {
	if isBackground(req.Context()) {
		if wait, window := t.gate.WaitBackground(); wait > 0 {
			return nil, false, t.failed(o, fault.RateLimit, "quota", &QuotaError{RetryIn: wait, Reserve: window})
		}
	} else if wait := t.gate.Wait(); wait > 0 {
		return nil, false, t.failed(o, fault.RateLimit, "quota", &QuotaError{RetryIn: wait})
	}
	e, done, err := t.pick()
	if err != nil {
		return nil, false, t.failed(o, fault.Unavailable, "circuit breaker", err)
	}
	o.Attempts++
	sent := t.now()
	defer func() {
		o.Tries = append(o.Tries, call.Attempt{Endpoint: e.label, Status: o.Status, Class: o.Verdict.Class, Latency: t.now().Sub(sent)})
	}()
	o.Status = 0
	// A shallow copy: the transport reads the headers but does not change
	// them, so they need no copying on the hot path. Credentials go in a
	// copy the caller made (see RoundTrip), never in req's own map.
	out := req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		WroteHeaders: func() { reached = true },
	}))
	if header != nil {
		out.Header = header
	}
	out.URL = t.onEndpoint(req.URL, e)
	out.Host = ""
	if body.bytes != nil {
		out.Body, out.GetBody = body.reader(), body.getBody
	} else {
		out.Body = req.Body
	}
	resp, err = t.base.RoundTrip(out)
	if err != nil {
		class := fault.FromError(err)
		if class == fault.Unknown {
			// The transport failed in a way without a typed cause
			// ("malformed HTTP response", "server closed idle
			// connection"): the request did not get an answer.
			class = fault.Network
		}
		done(countsAgainst(class))
		return nil, reached, t.failed(o, class, "round trip", err)
	}
	reached = true
	o.Status, o.Body, o.Err = resp.StatusCode, nil, nil
	path := t.apiPath(req.URL.Path)
	r := dialect.Response{Method: req.Method, Path: path, Status: resp.StatusCode, Header: resp.Header}
	if t.dialect.Inspect(req.Method, path, resp.StatusCode, resp.Header) {
		b, truncated, err := t.read(resp)
		if err != nil {
			resp.Body.Close()
			class := fault.FromError(err)
			if class == fault.Unknown || class == fault.OK {
				class = fault.Network
			}
			done(countsAgainst(class))
			return nil, true, t.failed(o, class, "read response", err)
		}
		r.Body, r.Truncated = Decoded(resp.Header.Get("Content-Encoding"), b, t.inspect), truncated
		o.Body = r.Body
	}
	o.Verdict = t.dialect.Classify(&r)
	done(countsAgainst(o.Verdict.Class))
	readings := quota.Read(resp.Header)
	for _, q := range readings {
		t.m.quota.WithLabelValues(t.name, q.Window).Set(q.Remaining)
		if q.Limit > 0 {
			t.m.quotaLimit.WithLabelValues(t.name, q.Window).Set(q.Limit)
		}
	}
	t.gate.Observe(readings)
	return resp, true, nil
}

// failed records a failure crmguard observed itself and returns it as a
// *fault.Error.
func (t *Transport) failed(o *Outcome, class fault.Class, op string, err error) error {
	o.Err = err
	o.Verdict = dialect.Verdict{Class: class, Message: err.Error()}
	return &fault.Error{Class: class, Op: op, Err: err}
}

// countsAgainst reports whether a class counts against the endpoint in its
// breaker: the CRM could not be reached or failed. A client that went away
// or a call the CRM rejected says nothing about the CRM's health.
func countsAgainst(c fault.Class) bool {
	switch c {
	case fault.Network, fault.Timeout, fault.Server, fault.Unavailable:
		return true
	}
	return false
}

// drain discards the rest of a response that will not be used, so its
// connection can be reused, and closes it.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

// sleep waits d or until ctx is done; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// apiPath returns the request path below the upstream's base path.
func (t *Transport) apiPath(p string) string {
	if t.basePath == "" {
		return p
	}
	rest, ok := strings.CutPrefix(p, t.basePath)
	switch {
	case !ok:
		return p
	case rest == "" || rest[0] != '/':
		return "/" + rest
	}
	return rest
}

// read reads up to the inspection limit of resp's body and replaces the
// body with one that yields the same bytes: the buffer, then the rest.
func (t *Transport) read(resp *http.Response) (body []byte, truncated bool, err error) {
	n := t.inspect
	if resp.ContentLength >= 0 && resp.ContentLength < n {
		n = resp.ContentLength
	}
	buf := bytes.NewBuffer(make([]byte, 0, min(n+1, 64<<10)))
	if _, err := io.CopyN(buf, resp.Body, t.inspect+1); err != nil && !errors.Is(err, io.EOF) {
		return nil, false, err
	}
	b := buf.Bytes()
	if int64(len(b)) <= t.inspect {
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(b))
		return b, false, nil
	}
	resp.Body = &prefixed{Reader: io.MultiReader(bytes.NewReader(b), resp.Body), Closer: resp.Body}
	return b[:t.inspect], true, nil
}

type prefixed struct {
	io.Reader
	io.Closer
}

// Decoded returns the body as the dialect should see it: gzip and deflate
// bodies are decompressed (up to limit bytes); other encodings are returned
// as they are and classified by status.
func Decoded(encoding string, body []byte, limit int64) []byte {
	var r io.ReadCloser
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "", "identity":
		return body
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil
		}
		r = zr
	case "deflate":
		// RFC 9110 deflate is zlib-wrapped; some servers send raw deflate.
		if zr, err := zlib.NewReader(bytes.NewReader(body)); err == nil {
			r = zr
		} else {
			r = flate.NewReader(bytes.NewReader(body))
		}
	default:
		return nil
	}
	defer r.Close()
	// A truncated stream yields what it can before io.ErrUnexpectedEOF.
	out, _ := io.ReadAll(io.LimitReader(r, limit))
	return out
}
