// Package gateway is crmguard's inbound side: an http.Handler that routes a
// client's CRM call to its upstream, forwards it transparently, tells the
// client what happened in Crmguard-* headers, answers failures crmguard
// itself observed as RFC 9457 problems, and hands every finished call to
// the recorder.
package gateway

import (
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/crmguard/crmguard/internal/call"
	"github.com/crmguard/crmguard/internal/dialect"
	"github.com/crmguard/crmguard/internal/redact"
	"github.com/crmguard/crmguard/internal/route"
	"github.com/crmguard/crmguard/internal/seal"
)

// Response headers crmguard adds to every answer.
const (
	HeaderCallID     = "Crmguard-Call-Id"
	HeaderClass      = "Crmguard-Class"
	HeaderVendorCode = "Crmguard-Vendor-Code"
	HeaderPartial    = "Crmguard-Partial"
	// HeaderAttempts is how many times crmguard sent the call, on answers
	// that needed more than one attempt.
	HeaderAttempts = "Crmguard-Attempts"
	// HeaderBreaker is "open" on calls refused without being sent because
	// every endpoint's circuit breaker is open.
	HeaderBreaker = "Crmguard-Breaker"
)

// Recorder takes finished calls. Record must not block: recording never
// slows a call down.
type Recorder interface {
	Record(c *call.Call)
}

// RecorderFunc adapts a function to Recorder.
type RecorderFunc func(c *call.Call)

// Record calls f(c).
func (f RecorderFunc) Record(c *call.Call) { f(c) }

// Upstream is one CRM API the gateway forwards to.
type Upstream struct {
	Name    string
	URL     *url.URL
	Dialect dialect.Dialect
	// Timeout bounds the whole call, from arrival to the last response byte.
	Timeout time.Duration
	// ClientHeader names the header identifying the calling integration;
	// empty means the remote address identifies it.
	ClientHeader string
	// Transport sends requests to the CRM; normally an *upstream.Transport.
	Transport http.RoundTripper
	// QueueWrites says when writes are queued ("" is QueueNever).
	QueueWrites QueueMode
	// QueueDelay is the least wait before a write queued after a failure
	// is sent again.
	QueueDelay time.Duration
	// CredentialHeader names the header crmguard fills in with its own
	// credentials for this upstream, "" if it holds none. A queued write
	// does not keep the client's value of it.
	CredentialHeader string
	// Guard is what calls are held to: version policy, normalisation, the
	// contract, and learning their shape.
	Guard Guard
}

// Options configure a Gateway.
type Options struct {
	Upstreams []Upstream
	Recorder  Recorder
	Redactor  redact.Redactor
	// SampleBytes caps the body part of each stored sample; 0 keeps none.
	SampleBytes int
	Logger      *slog.Logger
	Registerer  prometheus.Registerer
	// Queue keeps writes for later delivery; nil turns queueing off.
	Queue Queue
	// Sealer encrypts the credentials a queued write needs for its
	// replay; nil means writes that need them are not queued.
	Sealer *seal.Sealer
}

// Gateway is the inbound handler.
type Gateway struct {
	table       *route.Table
	targets     []*target
	recorder    Recorder
	redactor    redact.Redactor
	sampleBytes int
	ids         *call.Generator
	log         *slog.Logger
	metrics     *metrics
	queue       Queue
	sealer      *seal.Sealer
}

// target is one upstream with its proxy.
type target struct {
	Upstream
	index int
	proxy *httputil.ReverseProxy
}

// New returns a Gateway for the given upstreams.
func New(opts Options) *Gateway {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Recorder == nil {
		opts.Recorder = RecorderFunc(func(*call.Call) {})
	}
	names := make([]string, len(opts.Upstreams))
	for i, u := range opts.Upstreams {
		names[i] = u.Name
	}
	g := &Gateway{
		table:       route.NewTable(names),
		recorder:    opts.Recorder,
		redactor:    opts.Redactor,
		sampleBytes: opts.SampleBytes,
		ids:         call.NewGenerator(),
		log:         opts.Logger,
		metrics:     newMetrics(opts.Registerer, names),
		queue:       opts.Queue,
		sealer:      opts.Sealer,
	}
	errLog := slog.NewLogLogger(opts.Logger.Handler(), slog.LevelDebug)
	for i, u := range opts.Upstreams {
		t := &target{Upstream: u, index: i}
		t.proxy = &httputil.ReverseProxy{
			Rewrite:        t.rewrite,
			Transport:      u.Transport,
			ModifyResponse: g.modifyResponse,
			ErrorHandler:   g.proxyError,
			BufferPool:     bufferPool{},
			ErrorLog:       errLog,
		}
		g.targets = append(g.targets, t)
	}
	return g
}

// bufferPool lends the 32 KiB copy buffers ReverseProxy would otherwise
// allocate for every response.
type bufferPool struct{}

var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func (bufferPool) Get() []byte  { return *copyBuffers.Get().(*[]byte) }
func (bufferPool) Put(b []byte) { copyBuffers.Put(&b) }

// rewrite points the outbound request at the upstream: its scheme and host,
// its base path joined with the path below /NAME (escaping kept as the
// client sent it), and X-Forwarded-For, -Host and -Proto set. Other headers,
// Authorization included, pass through; ReverseProxy has already removed
// the hop-by-hop ones (RFC 9110 §7.6.1).
func (t *target) rewrite(pr *httputil.ProxyRequest) {
	in, out := pr.In.URL, pr.Out.URL
	rest := stripName(in.EscapedPath(), t.Name)
	base := t.URL.EscapedPath()
	if rest == "/" && base != "" {
		rest = ""
	}
	joined := joinEscaped(base, rest)
	out.Scheme, out.Host = t.URL.Scheme, t.URL.Host
	if p, err := url.PathUnescape(joined); err == nil {
		out.Path = p
		out.RawPath = ""
		if out.EscapedPath() != joined {
			out.RawPath = joined
		}
	} else {
		out.Path, out.RawPath = joined, ""
	}
	out.RawQuery = in.RawQuery
	pr.Out.Host = ""
	pr.SetXForwarded()
	// crmguard's own request headers are for crmguard, not the CRM.
	pr.Out.Header.Del(HeaderQueue)
	pr.Out.Header.Del(HeaderRecordKey)
}

// stripName removes the leading /NAME from an escaped path.
func stripName(escaped, name string) string {
	rest := escaped[min(len(escaped), 1+len(name)):]
	if rest == "" {
		return "/"
	}
	return rest
}

func joinEscaped(base, rest string) string {
	switch {
	case base == "" || base == "/":
		if rest == "" {
			return "/"
		}
		return rest
	case rest == "":
		return base
	case base[len(base)-1] == '/':
		return base + rest[1:]
	}
	return base + rest
}
