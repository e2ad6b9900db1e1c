package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxExcerpt is the most of a receiver's answer quoted in an error: enough
// for the reason most services give ("invalid_payload", a JSON error
// object), short enough for one log line.
const maxExcerpt = 200

// maxDrain is the most of an answer read and discarded after the excerpt,
// so the connection can be reused; a longer answer closes it instead.
const maxDrain = 64 << 10

// StatusError is the error Post returns when the receiver answered with a
// status other than 2xx. Callers can tell a refusal that a retry will not
// fix (4xx) from a receiver that is failing (5xx) by StatusCode.
type StatusError struct {
	// Dest is the destination as scheme and host only: webhook URLs often
	// carry their secret in the path or query (Slack's and Mattermost's
	// do), and errors end up in logs.
	Dest       string
	StatusCode int
	// Status is the status line's text, such as "400 Bad Request".
	Status string
	// Answer is the start of the response body, made printable and at
	// most about 200 bytes.
	Answer string
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("POST %s: answered %s", e.Dest, e.Status)
	if e.Answer != "" {
		msg += ": " + e.Answer
	}
	if hint := statusHint(e.StatusCode); hint != "" {
		msg += " (" + hint + ")"
	}
	return msg
}

// statusHint says what to check for the statuses whose cause is usually in
// crmguard's own configuration.
func statusHint(code int) string {
	switch code {
	case http.StatusUnauthorized, http.StatusForbidden:
		return "the receiver refused the credentials: check the token in the URL or the Authorization header"
	case http.StatusNotFound, http.StatusGone:
		return "check the URL: the receiver has no hook there, or it was removed"
	case http.StatusMethodNotAllowed:
		return "check the URL: it does not accept POST"
	case http.StatusRequestEntityTooLarge:
		return "the message is too large for the receiver"
	}
	return ""
}

// Post sends body to rawURL in a POST request with header h and returns
// nil when the answer's status is 2xx. Any other status is a *StatusError
// quoting the start of the answer. A transport error is returned with the
// destination reduced to scheme and host, since the URL itself may be the
// secret. ctx bounds the whole exchange, including reading the answer.
func Post(ctx context.Context, c *http.Client, rawURL string, h http.Header, body []byte) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return errors.New("parsing the URL: " + urlErrorText(err))
	}
	d := dest(u)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("POST %s: building the request: %s", d, urlErrorText(err))
	}
	for name, values := range h {
		if name == "Host" {
			// net/http sends req.Host, not a Host entry in req.Header.
			req.Host = values[0]
			continue
		}
		req.Header[name] = values
	}
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		// *url.Error quotes the whole URL; keep only its cause.
		return fmt.Errorf("POST %s: %w", d, unwrapURLError(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
		return nil
	}
	head, _ := io.ReadAll(io.LimitReader(resp.Body, maxExcerpt+utf8.UTFMax))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
	return &StatusError{Dest: d, StatusCode: resp.StatusCode, Status: resp.Status, Answer: excerpt(head, maxExcerpt)}
}

// dest returns u as scheme and host only, the way errors name a webhook
// destination without revealing a secret in its path, query or user info.
func dest(u *url.URL) string {
	if u.Host == "" {
		return "(no host)"
	}
	d := u.Scheme + "://" + u.Host
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		d += "/…"
	}
	return d
}

// excerpt returns at most about n bytes of b as one printable line:
// invalid UTF-8 and control characters (newlines included) become spaces,
// runs of spaces collapse, and a cut is marked with "…".
func excerpt(b []byte, n int) string {
	var sb strings.Builder
	space := false
	for i, r := range strings.ToValidUTF8(string(b), " ") {
		if i >= n {
			sb.WriteString("…")
			break
		}
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			space = true
			continue
		}
		if space && sb.Len() > 0 {
			sb.WriteByte(' ')
		}
		space = false
		sb.WriteRune(r)
	}
	return sb.String()
}

// unwrapURLError returns the cause inside a *url.Error, whose own message
// repeats the full URL.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// urlErrorText is the text of a URL parsing error without the URL.
func urlErrorText(err error) string {
	return unwrapURLError(err).Error()
}
