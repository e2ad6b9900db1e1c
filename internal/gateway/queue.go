package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/outbox"
	"github.com/crmguard/crmguard/internal/retry"
	"github.com/crmguard/crmguard/internal/seal"
	"github.com/crmguard/crmguard/internal/upstream"
)

// Headers of the write queue.
const (
	// HeaderQueue is, on a request, the client's choice for this write:
	// "allow" (queue it if it fails for a transient reason) or "deny"
	// (never). On a response it says what became of the write: "queued",
	// or "refused" when it failed and was not queued, with
	// HeaderQueueReason saying why.
	HeaderQueue       = "Crmguard-Queue"
	HeaderQueueID     = "Crmguard-Queue-Id"
	HeaderQueueReason = "Crmguard-Queue-Reason"
	// HeaderRecordKey is, on a request, the key of the record the write
	// changes; writes with the same key are delivered in order. Without
	// it, the upstream and the path (without query) are the key.
	HeaderRecordKey = "Crmguard-Record-Key"
)

// QueueMode says when an upstream's writes are queued.
type QueueMode string

// The queue modes, as in the configuration's upstreams[].queue.writes.
const (
	QueueNever     QueueMode = "never"
	QueueOnFailure QueueMode = "on_failure"
	QueueAlways    QueueMode = "always"
)

// Queue is the durable write queue as the gateway uses it; *store.DB
// implements it.
type Queue interface {
	// Enqueue stores the entry durably before returning.
	Enqueue(ctx context.Context, e outbox.Entry) error
	// Unfinished reports whether a queued write of recordKey is still
	// pending or inflight; a new write of that record must then wait
	// behind it.
	Unfinished(ctx context.Context, recordKey string) (bool, error)
}

// enqueueTimeout bounds the store's work to accept a write: a client is
// answered 202 only after it, so it must not hang on a stuck store.
const enqueueTimeout = 5 * time.Second

// maxQueuedBody is the largest request body a write may have to be queued
// without being tried first ("always" mode), the same limit the outbound
// path keeps bodies to for retries.
const maxQueuedBody = 1 << 20

// mode returns the queue mode for this call: the client's header
// overrides the upstream's configuration.
func (g *Gateway) mode(x *exchange) QueueMode {
	if g.queue == nil || retry.SafeMethod(x.req.Method) {
		return QueueNever
	}
	m := x.target.QueueWrites
	switch x.req.Header.Get(HeaderQueue) {
	case "deny":
		return QueueNever
	case "allow":
		if m != QueueAlways {
			m = QueueOnFailure
		}
	}
	if m == "" {
		m = QueueNever
	}
	return m
}

// recordKey returns the key that orders the call's write among queued
// writes: the client's Crmguard-Record-Key, else the upstream and path.
func recordKey(x *exchange) string {
	if k := x.req.Header.Get(HeaderRecordKey); k != "" {
		return x.target.Name + " " + headerSafe(k)
	}
	return x.target.Name + " " + x.rest
}

// queueFirst decides, before a write is sent, whether it goes to the queue
// without being tried: in "always" mode, or because earlier writes of the
// same record are still queued and it must not overtake them. It answers
// the client and reports true when it queued the write.
func (g *Gateway) queueFirst(x *exchange) bool {
	m := g.mode(x)
	if m == QueueNever {
		return false
	}
	key := recordKey(x)
	if m != QueueAlways {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(x.req.Context()), enqueueTimeout)
		behind, err := g.queue.Unfinished(ctx, key)
		cancel()
		if err != nil {
			g.log.Error("write queue lookup failed; sending the write at once", "call", x.call.ID, "err", err)
			return false
		}
		if !behind {
			return false
		}
	}
	body, ok := readBody(x, maxQueuedBody)
	if !ok {
		return false // streamed on to the CRM by the live path
	}
	x.outcome.Request, x.outcome.Replayable, x.outcome.Verdict.Class = body, true, fault.OK
	// The dialects' idempotent writes are judged by the outbound path
	// when the write is sent; before that, the request alone tells.
	x.outcome.Idempotent = upstream.IdempotentRequest(x.req)
	reason := "queued as the upstream's configuration asks (queue.writes: always)"
	if m != QueueAlways {
		reason = "queued behind earlier writes of the same record that are still waiting for delivery"
	}
	e, refusal := g.entry(x, key, time.Now())
	if refusal != "" {
		x.outcome.Verdict.Class, x.outcome.Verdict.Message = fault.Parameter, "not queued: "+refusal
		g.refuseFirst(x, refusal)
		return true
	}
	if err := g.enqueue(x, e); err != nil {
		x.outcome.Verdict.Class, x.outcome.Verdict.Message = fault.Unavailable, "the write queue failed: "+err.Error()
		writeProblem(x.w, problem{
			Status: http.StatusServiceUnavailable, Class: fault.Unavailable,
			Title:  "Write not accepted",
			Detail: "crmguard could not store the write in its queue, so it was neither queued nor sent; send it again. " + g.redactor.Text(err.Error(), nil),
			CallID: x.call.ID, Upstream: x.target.Name, Header: http.Header{HeaderQueue: {"failed"}},
		})
		return true
	}
	x.outcome.Verdict.Message = reason
	writeQueued(x.w, x, e)
	return true
}

// refuseFirst answers a write that had to be queued first but cannot be.
func (g *Gateway) refuseFirst(x *exchange, why string) {
	writeProblem(x.w, problem{
		Status: http.StatusConflict, Class: fault.Parameter,
		Title:       "Write not accepted",
		Detail:      "The write could not be queued (" + why + ") and is not sent at once either, because it must not overtake the queued writes of the same record.",
		Remediation: "Fix what the detail names, or send the write with the header Crmguard-Queue: deny to send it at once.",
		CallID:      x.call.ID, Upstream: x.target.Name,
		Header: http.Header{HeaderQueue: {"refused"}, HeaderQueueReason: {headerSafe(why)}},
	})
}

// readBody reads the client's body, up to limit, for a write queued
// before it is sent. When the body is longer, or breaks off, what was read
// is put back in front of the rest so the live path sends (or fails on)
// the same bytes, and ok is false.
func readBody(x *exchange, limit int64) (body []byte, ok bool) {
	t := x.reqBody
	if t == nil {
		return nil, true
	}
	if x.req.ContentLength > limit {
		return nil, false
	}
	var buf bytes.Buffer
	_, err := io.CopyN(&buf, t, limit+1)
	if errors.Is(err, io.EOF) {
		err = nil
	}
	if err == nil && int64(buf.Len()) <= limit {
		return buf.Bytes(), true
	}
	rest := io.Reader(t.rc)
	if err != nil {
		rest = errReader{err}
	}
	t.rc = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(buf.Bytes()), rest), t.rc}
	t.n, t.sample, t.err = 0, t.sample[:0], nil
	return nil, false
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// queueFailed decides what becomes of a write that failed: it is queued
// when the mode allows, the failure is transient and sending it again is
// safe (retry.Decide). It returns the entry when the write was queued, and
// otherwise why not when the write was worth queueing but could not be
// ("" when it was not a candidate at all).
func (g *Gateway) queueFailed(x *exchange, status int, retryIn time.Duration) (e outbox.Entry, queued bool, refusal string) {
	if g.mode(x) == QueueNever {
		return outbox.Entry{}, false, ""
	}
	o := &x.outcome
	v := o.Verdict
	in := retry.Input{Class: v.Class, Method: x.req.Method, Reached: o.Reached, Idempotent: o.Idempotent, Transient: v.Transient, Partial: v.Partial}
	worth := in
	worth.Reached, worth.Partial = false, false
	if !retry.Decide(worth).Queue {
		return outbox.Entry{}, false, "" // not a transient failure: the client must fix something
	}
	if d := retry.Decide(in); !d.Queue {
		return outbox.Entry{}, false, d.Reason
	}
	if !o.Replayable {
		return outbox.Entry{}, false, fmt.Sprintf("Its body is larger than %d KiB and was streamed to the CRM without being kept.", maxQueuedBody>>10)
	}
	now := time.Now()
	e, why := g.entry(x, recordKey(x), now)
	if why != "" {
		return outbox.Entry{}, false, why
	}
	e.Attempts = o.Attempts
	e.LastClass, e.LastStatus, e.LastError = v.Class, status, g.redactor.Text(v.Message, nil)
	e.NextAt = now.Add(max(retryIn, x.target.QueueDelay))
	if err := g.enqueue(x, e); err != nil {
		return outbox.Entry{}, false, "The write queue failed to store it: " + g.redactor.Text(err.Error(), nil)
	}
	return e, true, ""
}

// entry builds the queue entry for the call's write, or says why it
// cannot be kept: its secret headers need sealing and there is no key.
func (g *Gateway) entry(x *exchange, key string, now time.Time) (outbox.Entry, string) {
	// Hop-by-hop headers are kept as they came: the replay's sender drops
	// them, as it must for any stored entry.
	h := x.req.Header.Clone()
	h.Del(HeaderQueue)
	h.Del(HeaderRecordKey)
	if c := x.target.CredentialHeader; c != "" {
		// crmguard sends its own credentials on the replay.
		h.Del(c)
	}
	secret, rest := seal.Split(h)
	e := outbox.Entry{
		ID: string(x.call.ID), CallID: string(x.call.ID),
		Upstream: x.target.Name, Method: x.req.Method, Path: x.rest,
		Body: x.outcome.Request, RecordKey: key,
		IdempotencyKey: x.req.Header.Get("Idempotency-Key"),
		Idempotent:     x.outcome.Idempotent,
		CreatedAt:      now, NextAt: now,
	}
	if x.req.URL.RawQuery != "" {
		e.Path += "?" + x.req.URL.RawQuery
	}
	var err error
	if e.Header, err = json.Marshal(rest); err != nil {
		return outbox.Entry{}, "its headers could not be encoded: " + err.Error()
	}
	if len(secret) > 0 {
		if g.sealer == nil {
			return outbox.Entry{}, "Its credentials (" + names(secret) + ") would have to be kept for the replay, and crmguard has no queue key to encrypt them: set the variable queue.key_env names, or give the upstream its own credentials."
		}
		if e.Sealed, err = g.sealer.Seal(secret, e.ID); err != nil {
			return outbox.Entry{}, "its credentials could not be encrypted: " + err.Error()
		}
	}
	return e, ""
}

// names lists h's header names, sorted.
func names(h http.Header) string { return strings.Join(slices.Sorted(maps.Keys(h)), ", ") }

// enqueue stores e, whether or not the client is still waiting: a write
// the client may have seen accepted must not be half-stored.
func (g *Gateway) enqueue(x *exchange, e outbox.Entry) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(x.req.Context()), enqueueTimeout)
	defer cancel()
	if err := g.queue.Enqueue(ctx, e); err != nil {
		g.log.Error("write queue: storing a write failed", "call", x.call.ID, "upstream", x.target.Name, "err", err)
		g.metrics.queued.WithLabelValues(x.target.Name, "failed").Inc()
		return err
	}
	x.queued = e.ID
	g.metrics.queued.WithLabelValues(x.target.Name, "queued").Inc()
	return nil
}

// queuedBody is the JSON answer to a queued write.
type queuedBody struct {
	Queued  bool   `json:"queued"`
	QueueID string `json:"queue_id"`
	CallID  string `json:"call_id"`
	Class   string `json:"class,omitempty"`
	Detail  string `json:"detail"`
}

// queuedResponse returns the 202 Accepted that tells the client its write
// is stored and will be delivered.
func queuedResponse(x *exchange, e outbox.Entry) (http.Header, []byte) {
	b := queuedBody{Queued: true, QueueID: e.ID, CallID: string(x.call.ID), Detail: x.outcome.Verdict.Message}
	if c := x.outcome.Verdict.Class; c.Failed() {
		b.Class = c.String()
		b.Detail = "The CRM call failed (" + c.String() + "); crmguard stored the write and will deliver it. " + capString(x.outcome.Verdict.Message, 300)
	}
	body, _ := json.Marshal(b) // plain strings: cannot fail
	body = append(body, '\n')
	h := http.Header{
		"Content-Type":   {"application/json"},
		"Cache-Control":  {"no-store"},
		"Content-Length": {strconv.Itoa(len(body))},
		HeaderCallID:     {string(x.call.ID)},
		HeaderClass:      {x.outcome.Verdict.Class.String()},
		HeaderQueue:      {"queued"},
		HeaderQueueID:    {e.ID},
	}
	if n := x.outcome.Attempts; n > 1 {
		h.Set(HeaderAttempts, strconv.Itoa(n))
	}
	return h, body
}

// writeQueued answers 202 Accepted on w.
func writeQueued(w http.ResponseWriter, x *exchange, e outbox.Entry) {
	h, body := queuedResponse(x, e)
	dst := w.Header()
	for k := range dst {
		delete(dst, k)
	}
	for k, v := range h {
		dst[k] = v
	}
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write(body)
}

// replaceWithQueued turns the CRM's failed response into the 202 Accepted
// for the queued write, discarding the CRM's body.
func replaceWithQueued(resp *http.Response, x *exchange, e outbox.Entry) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	h, body := queuedResponse(x, e)
	resp.StatusCode, resp.Status = http.StatusAccepted, "202 Accepted"
	resp.Header = h
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.TransferEncoding = nil
	resp.Uncompressed = false
	resp.Trailer = nil
}
