package dialect

import (
	"encoding/json"
	"net/http"

	"github.com/crmguard/crmguard/internal/fault"
)

// Generic reads any HTTP API by its status, refined by the common JSON
// error shapes: {"error": "…" | {code, message}}, {"errors": [{…}] | {…}},
// {"message", "code", "errorCode", "error_code", "error_description"},
// RFC 9457 problem details {title, detail} and a top-level array of such
// objects. It never reads a 2xx answer: without a dialect, an "error" key
// in a success cannot be told from data.
type Generic struct{}

var _ Dialect = Generic{}

// Name returns "generic".
func (Generic) Name() string { return "generic" }

// Inspect reads every error status and nothing else.
func (Generic) Inspect(method, _ string, status int, _ http.Header) bool {
	return hasErrorBody(method, status)
}

// Version returns PathVersion(path).
func (Generic) Version(path string) string { return PathVersion(path) }

type genericErr struct {
	Error            json.RawMessage `json:"error"`
	Errors           json.RawMessage `json:"errors"`
	Message          json.RawMessage `json:"message"`
	Code             json.RawMessage `json:"code"`
	ErrorCode        json.RawMessage `json:"errorCode"`
	ErrorCodeSnake   json.RawMessage `json:"error_code"`
	ErrorDescription json.RawMessage `json:"error_description"`
	ErrorMessage     json.RawMessage `json:"errorMessage"`
	Detail           json.RawMessage `json:"detail"`
	Title            json.RawMessage `json:"title"`
}

// codeAndMessage extracts the vendor code and message, looking one level
// into "error" and "errors" when they are objects or arrays.
func (g *genericErr) codeAndMessage(depth int) (code, msg string) {
	code = firstScalar(g.ErrorCode, g.ErrorCodeSnake, g.Code)
	msg = firstScalar(g.Message, g.ErrorMessage, g.ErrorDescription, g.Detail, g.Title)
	if s := scalar(g.Error); s != "" {
		// OAuth style: {"error":"invalid_grant","error_description":"…"}.
		if code == "" {
			code = s
		} else if msg == "" {
			msg = s
		}
	}
	if depth > 0 && (code == "" || msg == "") {
		for _, raw := range []json.RawMessage{g.Error, g.Errors} {
			inner, ok := firstObject(raw)
			if !ok {
				continue
			}
			c, m := inner.codeAndMessage(depth - 1)
			if code == "" {
				code = c
			}
			if msg == "" {
				msg = m
			}
		}
	}
	return code, msg
}

func firstScalar(raws ...json.RawMessage) string {
	for _, r := range raws {
		if s := scalar(r); s != "" {
			return s
		}
	}
	return ""
}

// firstObject decodes raw when it is an object, or the first element of
// raw when it is an array.
func firstObject(raw json.RawMessage) (*genericErr, bool) {
	raw = trimSpace(raw)
	if len(raw) == 0 {
		return nil, false
	}
	var g genericErr
	switch raw[0] {
	case '{':
		if decode(raw, &g) {
			return &g, true
		}
	case '[':
		var list []genericErr
		if decode(raw, &list) && len(list) > 0 {
			return &list[0], true
		}
	}
	return nil, false
}

// Classify gives the class of the status, refined by the body's code and
// message where the status is ambiguous: 400 and other generic 4xx (the
// code may say auth, data format or conflict), 403 (quota or permission),
// 409 (conflict or version) and 500 (some APIs report validation errors
// with it). Unambiguous statuses (401, 404, 429, 503 …) keep their class.
func (Generic) Classify(r *Response) Verdict {
	if r == nil {
		return Verdict{Class: fault.Unknown}
	}
	v := statusVerdict(r.Status)
	if r.Status < 300 {
		return v
	}
	b := trimSpace(r.Body)
	if len(b) == 0 {
		return v
	}
	switch b[0] {
	case '{', '[':
		if g, ok := firstObject(b); ok {
			v.Code, v.Message = g.codeAndMessage(2)
		} else if !json.Valid(b) {
			v.Code = firstNonEmpty(sniffValue(b, "errorCode"), sniffValue(b, "error_code"), sniffValue(b, "code"))
			v.Message = firstNonEmpty(sniffValue(b, "message"), sniffValue(b, "error_description"), sniffValue(b, "detail"))
		}
	case '<':
		if pv, ok := pageVerdict(b); ok {
			return pv
		}
		return v
	}
	if ambiguous(r.Status) {
		if c, ok := codeKeywords(v.Code); ok {
			v.Class = c
		} else if c, ok := messageKeywords(v.Message); ok {
			v.Class = c
		}
	}
	return v
}

// ambiguous reports whether status leaves the cause open enough for the
// body's words to decide.
func ambiguous(status int) bool {
	switch status {
	case http.StatusForbidden, http.StatusConflict, http.StatusInternalServerError:
		return true
	}
	return ByStatus(status) == fault.Parameter
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
