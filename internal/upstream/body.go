package upstream

import (
	"bytes"
	"io"
	"net/http"

	"github.com/crmguard/crmguard/internal/dialect"
	"github.com/crmguard/crmguard/internal/retry"
)

// requestBody is a request body kept so the request can be sent again.
type requestBody struct {
	bytes []byte // the whole body, when it fits; nil for no body or a streamed one
	// again reports whether the request can be sent again in full: it has
	// no body, or the body was kept.
	again bool
}

func (b *requestBody) reader() io.ReadCloser { return io.NopCloser(bytes.NewReader(b.bytes)) }

func (b *requestBody) getBody() (io.ReadCloser, error) { return b.reader(), nil }

// replayable reads a request body of up to ReplayBytes so the request can
// be sent again. A larger body is streamed on: the call is then sent again
// only if it never reached the CRM, before any of the body was sent.
func (t *Transport) replayable(req *http.Request) (*requestBody, error) {
	if req.Body == nil || req.Body == http.NoBody || req.ContentLength == 0 {
		return &requestBody{again: true}, nil
	}
	if req.ContentLength > t.replay {
		return &requestBody{}, nil
	}
	buf := bytes.NewBuffer(make([]byte, 0, min(max(req.ContentLength, 512), t.replay+1)))
	if _, err := io.CopyN(buf, req.Body, t.replay+1); err != nil && err != io.EOF {
		return nil, err
	}
	if int64(buf.Len()) > t.replay {
		// Longer than announced (chunked): stream the rest after what was read.
		req.Body = &prefixed{Reader: io.MultiReader(bytes.NewReader(buf.Bytes()), req.Body), Closer: req.Body}
		return &requestBody{}, nil
	}
	req.Body.Close()
	return &requestBody{bytes: buf.Bytes(), again: true}, nil
}

// idempotent reports whether sending req twice has the effect of sending it
// once: an idempotent method (RFC 9110 §9.2.2), a conditional write
// (If-Match, If-None-Match: a repeat fails its precondition instead of
// applying twice), an Idempotency-Key the client sent, or a write the
// CRM's dialect knows to be idempotent (Salesforce upserts and updates,
// HubSpot batch upserts).
func (t *Transport) idempotent(req *http.Request) bool {
	if IdempotentRequest(req) {
		return true
	}
	if w, ok := t.dialect.(dialect.IdempotentWriter); ok {
		return w.IdempotentWrite(req.Method, t.apiPath(req.URL.Path))
	}
	return false
}

// IdempotentRequest reports whether req can apply only once as far as the
// request alone tells, without its CRM's dialect: an idempotent method, a
// conditional write (If-Match, If-None-Match) or an Idempotency-Key the
// client sent.
func IdempotentRequest(req *http.Request) bool {
	return retry.IdempotentMethod(req.Method) || req.Header.Get("If-Match") != "" ||
		req.Header.Get("If-None-Match") != "" || req.Header.Get("Idempotency-Key") != ""
}
