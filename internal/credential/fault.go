package credential

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"golang.org/x/oauth2"

	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/redact"
)

// maxDescription is the most of a token endpoint's error_description kept
// in an error message.
const maxDescription = 300

// fault returns err, from a token fetch, as a *fault.Error whose class says
// what went wrong: auth when the endpoint refused the grant (RFC 6749 §5.2:
// invalid_client, invalid_grant, ...), rate_limit, timeout or unavailable
// when it was busy or failing, network or timeout when it could not be
// reached. The message quotes the endpoint's error code and description,
// scrubbed of every secret the source holds, and never x/oauth2's own text,
// which includes the whole response body. s.mu must be held.
func (s *oauth2Source) fault(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status, class := "no status", fault.Auth
		if re.Response != nil {
			status = re.Response.Status
			switch code := re.Response.StatusCode; {
			case code == http.StatusTooManyRequests:
				class = fault.RateLimit
			case code == http.StatusRequestTimeout || code == http.StatusGatewayTimeout:
				class = fault.Timeout
			case code >= 500:
				class = fault.Unavailable
			}
		}
		msg := fmt.Sprintf("token endpoint %s answered the %s grant with %s", s.endpoint, s.grant, status)
		if re.ErrorCode != "" {
			msg += ": " + s.scrub(re.ErrorCode)
			if d := s.scrub(re.ErrorDescription); d != "" {
				if len(d) > maxDescription {
					d = d[:maxDescription] + "..."
				}
				msg += " (" + d + ")"
			}
		}
		return &fault.Error{Class: class, Op: "fetch token", Err: errors.New(msg)}
	}
	switch class := fault.FromError(err); class {
	case fault.Unknown:
		// x/oauth2's own errors: the body could not be read, or the
		// endpoint answered 2xx without a token it could parse (a
		// token_url that points at a web page, say).
		class = fault.Server
		if strings.HasPrefix(err.Error(), "oauth2: cannot fetch token") {
			class = fault.Network
		}
		return &fault.Error{Class: class, Op: "fetch token", Err: fmt.Errorf(
			"token endpoint %s answered the %s grant without a usable token: %s", s.endpoint, s.grant, s.scrub(err.Error()))}
	default:
		// A transport failure: its text names the token URL, never a
		// secret, which travels in the body or the Authorization header.
		return &fault.Error{Class: class, Op: "fetch token", Err: err}
	}
}

// scrub removes the source's secrets, and anything that looks like a
// token, from text a token endpoint sent. s.mu must be held.
func (s *oauth2Source) scrub(text string) string {
	var secrets redact.Secrets
	for _, v := range s.secrets {
		secrets.Add(v)
	}
	secrets.Add(s.refresh)
	secrets.Add(strings.TrimPrefix(s.held.value, "Bearer "))
	return redact.Redactor{}.Text(text, &secrets)
}

// waitFailed is the error of a call that gave up waiting for a token.
func waitFailed(err error) error {
	return &fault.Error{Class: fault.FromError(err), Op: "wait for token", Err: err}
}
