package gateway

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/crmguard/crmguard/internal/call"
	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/redact"
)

// finish completes the call record once the response is done (or broke
// off, when aborted is set) and hands it to the recorder.
func (g *Gateway) finish(x *exchange, aborted bool) {
	c := &x.call
	c.Latency = time.Since(c.Start)
	c.Status = x.w.status
	c.Attempts = x.outcome.Attempts
	if len(x.outcome.Tries) > 1 {
		c.Tries = x.outcome.Tries
	}
	if x.reqBody != nil {
		c.BytesIn = x.reqBody.n
	}
	c.BytesOut = x.w.n
	v := x.outcome.Verdict
	c.Class, c.VendorCode, c.Partial = v.Class, v.Code, v.Partial
	msg := v.Message
	if x.respBody != nil && x.respBody.err != nil {
		// The response broke off after the headers went out: the class
		// the client saw in the header was premature.
		c.Class = fault.FromError(x.respBody.err)
		if c.Class == fault.Unknown || c.Class == fault.OK {
			c.Class = fault.Network
		}
		msg = "response body: " + x.respBody.err.Error()
	} else if aborted {
		c.Class = fault.Canceled
		msg = "client went away while the response was being sent"
	}
	if c.Status == 0 {
		c.Status = statusClientClosed
	}
	switch {
	case x.queued != "" && c.Class.Failed():
		msg = "Queued for delivery as " + x.queued + " after the CRM call failed: " + msg
	case x.queued != "":
		msg = "Queued for delivery as " + x.queued + ": " + msg
	case x.refused != "":
		msg += " Not queued: " + x.refused
	}
	c.Retryable = c.Class.Retryable() || v.Transient
	g.metrics.calls[x.target.index][c.Class].Inc()
	g.metrics.latency[x.target.index].Observe(c.Latency.Seconds())
	if !aborted && x.respBody != nil && x.respBody.cap > 0 {
		// Before the handler returns, so that a call is recorded by the
		// time its client has the complete answer, as for every call.
		g.guardResponse(x)
	}
	var secrets *redact.Secrets
	if c.Failed() || !c.Guard.Empty() {
		secrets = redact.FromRequest(x.req.Header, x.req.URL.Query())
		g.redactGuard(&c.Guard, secrets)
	}
	if c.Failed() {
		c.Message = g.redactor.Text(msg, secrets)
		c.Remediation = v.Remediation
		if c.Remediation == "" {
			c.Remediation = c.Class.Remediation()
		}
	}
	if g.sampleBytes > 0 && (c.Failed() || len(c.Guard.Findings) > 0) {
		c.RequestSample = g.requestSample(x, secrets)
		c.ResponseSample = g.responseSample(x, secrets)
	}
	g.recorder.Record(c)
}

// redactGuard masks the values the guard quotes, which are customer data
// (the e-mail address that did not validate, the phone number rewritten),
// as the samples are masked.
func (g *Gateway) redactGuard(gd *call.Guard, s *redact.Secrets) {
	for i := range gd.Findings {
		gd.Findings[i].Sent = g.redactor.Text(gd.Findings[i].Sent, s)
		gd.Findings[i].Message = g.redactor.Text(gd.Findings[i].Message, s)
	}
	for i := range gd.Changes {
		gd.Changes[i].From = g.redactor.Text(gd.Changes[i].From, s)
		gd.Changes[i].To = g.redactor.Text(gd.Changes[i].To, s)
	}
}

func (g *Gateway) requestSample(x *exchange, s *redact.Secrets) string {
	var b strings.Builder
	r := x.req
	b.WriteString(r.Method + " " + r.URL.RequestURI() + " " + r.Proto + "\n")
	b.WriteString(g.redactor.Header(r.Header, s))
	if x.reqBody != nil && len(x.reqBody.sample) > 0 {
		b.WriteByte('\n')
		b.Write(x.reqBody.sample)
	}
	return g.redactor.Text(capString(b.String(), g.sampleBytes+4096), s)
}

func (g *Gateway) responseSample(x *exchange, s *redact.Secrets) string {
	if x.resp == nil && x.outcome.Body == nil {
		return ""
	}
	var b strings.Builder
	if x.resp != nil {
		b.WriteString(x.resp.Proto + " " + strconv.Itoa(x.resp.StatusCode) + " " + http.StatusText(x.resp.StatusCode) + "\n")
		h := x.resp.Header.Clone()
		for _, k := range []string{HeaderCallID, HeaderClass, HeaderVendorCode, HeaderPartial, HeaderAttempts} {
			h.Del(k)
		}
		b.WriteString(g.redactor.Header(h, s))
	}
	switch {
	case len(x.outcome.Body) > 0:
		b.WriteByte('\n')
		b.Write(x.outcome.Body[:min(len(x.outcome.Body), g.sampleBytes)])
	case len(x.respSeen) > 0:
		// A response that drifted from the contract: its example.
		b.WriteByte('\n')
		b.Write(x.respSeen[:min(len(x.respSeen), g.sampleBytes)])
	}
	return g.redactor.Text(capString(b.String(), g.sampleBytes+4096), s)
}

func capString(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// tap passes a body through, counting its bytes, keeping the first
// sampleCap of them, and remembering a read error other than EOF.
type tap struct {
	rc     io.ReadCloser
	n      int64
	cap    int
	sample []byte
	err    error
}

func newTap(rc io.ReadCloser, sampleCap int) *tap { return &tap{rc: rc, cap: sampleCap} }

func (t *tap) Read(p []byte) (int, error) {
	n, err := t.rc.Read(p)
	t.n += int64(n)
	if room := t.cap - len(t.sample); room > 0 && n > 0 {
		t.sample = append(t.sample, p[:min(n, room)]...)
	}
	if err != nil && !errors.Is(err, io.EOF) && t.err == nil {
		t.err = err
		if errors.Is(err, context.Canceled) {
			// The context was canceled because the client went away;
			// that is not the CRM's failure.
			t.err = nil
		}
	}
	return n, err
}

func (t *tap) Close() error { return t.rc.Close() }

// responseWriter records the status and body bytes sent to the client,
// and adds the headers the guard gives every answer to the call.
type responseWriter struct {
	http.ResponseWriter
	status int
	n      int64
	// extra are headers set on the answer whatever it is: the CRM's, a
	// problem or a queued write's 202.
	extra http.Header
}

func (w *responseWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
		for k, v := range w.extra {
			w.Header()[k] = append(w.Header()[k], v...)
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.ResponseWriter.Write(p)
	w.n += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach Flush and the deadlines of the
// underlying writer; ReverseProxy flushes streamed responses through it.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
