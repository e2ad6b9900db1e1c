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
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/crmguard/crmguard/internal/dialect"
	"github.com/crmguard/crmguard/internal/fault"
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

// Transport sends requests to one CRM and classifies the answers in its
// dialect.
type Transport struct {
	base     http.RoundTripper
	dialect  dialect.Dialect
	inspect  int64
	basePath string
}

// Options tune a Transport.
type Options struct {
	// Base sends the requests. Nil means a new transport from NewBase.
	Base http.RoundTripper
	// InspectBytes is the most of a body read to classify it; default 1 MiB.
	InspectBytes int64
	// BasePath is the path of the upstream's URL. It is removed from the
	// request path the dialect sees, so an Odoo behind https://host/erp is
	// still recognised by its /jsonrpc endpoint.
	BasePath string
}

// New returns a Transport for a CRM speaking d.
func New(d dialect.Dialect, opts Options) *Transport {
	if opts.Base == nil {
		opts.Base = NewBase()
	}
	if opts.InspectBytes <= 0 {
		opts.InspectBytes = 1 << 20
	}
	return &Transport{base: opts.Base, dialect: d, inspect: opts.InspectBytes, basePath: strings.TrimSuffix(opts.BasePath, "/")}
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

// RoundTrip sends req once and classifies the answer. A transport failure
// is returned as a *fault.Error. A response the dialect needs to read is
// read up to the inspection limit and handed on with its body intact.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	o := OutcomeFrom(req.Context())
	if o == nil {
		o = &Outcome{}
	}
	o.Attempts++
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		o.Err = err
		class := fault.FromError(err)
		if class == fault.Unknown {
			// The transport failed in a way without a typed cause
			// ("malformed HTTP response", "server closed idle
			// connection"): the request did not get an answer.
			class = fault.Network
		}
		o.Verdict = dialect.Verdict{Class: class, Message: err.Error()}
		return nil, &fault.Error{Class: class, Op: "round trip", Err: err}
	}
	o.Status = resp.StatusCode
	path := t.apiPath(req.URL.Path)
	r := dialect.Response{Method: req.Method, Path: path, Status: resp.StatusCode, Header: resp.Header}
	if t.dialect.Inspect(req.Method, path, resp.StatusCode, resp.Header) {
		body, truncated, err := t.read(resp)
		if err != nil {
			resp.Body.Close()
			class := fault.FromError(err)
			if class == fault.Unknown || class == fault.OK {
				class = fault.Network
			}
			o.Err = err
			o.Verdict = dialect.Verdict{Class: class, Message: err.Error()}
			return nil, &fault.Error{Class: class, Op: "read response", Err: err}
		}
		r.Body, r.Truncated = decoded(resp.Header.Get("Content-Encoding"), body, t.inspect), truncated
		o.Body = r.Body
	}
	o.Verdict = t.dialect.Classify(&r)
	return resp, nil
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

// decoded returns the body as the dialect should see it: gzip and deflate
// bodies are decompressed (up to limit bytes); other encodings are returned
// as they are and classified by status.
func decoded(encoding string, body []byte, limit int64) []byte {
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
