// Package redact removes secrets and masks personal data in what crmguard
// stores about a call: request and response samples and error messages.
// Secrets (credentials, tokens, cookies, passwords, API keys) are always
// removed, including where a CRM echoes them back; e-mail addresses and
// phone numbers are masked unless masking is turned off.
package redact

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// Mark replaces every removed secret.
const Mark = "[redacted]"

// secretName matches header, field and parameter names whose values are
// secrets.
var secretName = regexp.MustCompile(`(?i)(authori[sz]ation|cookie|passw(or)?d|passwd|pwd|secret|token|api[-_]?key|apikey|session[-_]?id|sessionid|\bsid\b|credential|private[-_]?key|signature|client[-_]?secret|security[-_]?code|x-api-key)`)

// IsSecretName reports whether a header, field or parameter called name
// holds a secret.
func IsSecretName(name string) bool { return secretName.MatchString(name) }

// Secrets are the secret values one request carried, so that an echo of
// them in the response can be removed even where it is not labelled.
type Secrets struct {
	values []string
}

// minSecret is the shortest value treated as a secret when scrubbing free
// text: shorter ones ("1", "on") would mangle unrelated text.
const minSecret = 6

// Add records a secret value; values shorter than six characters are
// ignored.
func (s *Secrets) Add(v string) {
	v = strings.TrimSpace(v)
	if len(v) < minSecret {
		return
	}
	for _, have := range s.values {
		if have == v {
			return
		}
	}
	s.values = append(s.values, v)
}

// FromRequest collects the secrets in a request's headers and query:
// Authorization (the whole value and the credential after the scheme),
// cookie values, and every header or query parameter with a secret name.
func FromRequest(h http.Header, query url.Values) *Secrets {
	s := &Secrets{}
	for name, vs := range h {
		if !IsSecretName(name) {
			continue
		}
		for _, v := range vs {
			s.Add(v)
			switch {
			case strings.EqualFold(name, "Authorization"):
				if _, cred, ok := strings.Cut(v, " "); ok {
					s.Add(cred)
				}
			case strings.EqualFold(name, "Cookie"):
				for _, c := range strings.Split(v, ";") {
					if _, val, ok := strings.Cut(c, "="); ok {
						s.Add(val)
					}
				}
			}
		}
	}
	for name, vs := range query {
		if IsSecretName(name) {
			for _, v := range vs {
				s.Add(v)
			}
		}
	}
	return s
}

// Scrub replaces every recorded secret value in text with Mark.
func (s *Secrets) Scrub(text string) string {
	if s == nil {
		return text
	}
	for _, v := range s.values {
		if strings.Contains(text, v) {
			text = strings.ReplaceAll(text, v, Mark)
		}
	}
	return text
}
