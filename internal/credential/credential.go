// Package credential holds the CRM credentials crmguard sends for an
// upstream itself: an OAuth 2 access token it fetches, refreshes before it
// expires and fetches anew once the CRM refuses it, or a fixed API key.
// Secrets come from environment variables and never appear in an error,
// a log line or a formatted value.
//
// Token requests go through golang.org/x/oauth2, which knows how token
// endpoints differ on the wire: client authentication in a Basic header or
// in the form body (RFC 6749 §2.3.1; it tries the header, falls back to the
// body and remembers which worked), JSON or form-encoded answers, expires_in
// as a number or a string, and a refresh token kept when an answer carries
// none. Its caching token sources are not used: they renew a token only
// when it expires, while a CRM may refuse one long before (a revoked
// Salesforce session answers 401 INVALID_SESSION_ID, and Salesforce sends no
// expires_in at all), and they cannot tell the token a call was refused
// with from one another call has fetched since. So this package keeps the
// token itself and asks x/oauth2 only to fetch one.
package credential

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/crmguard/crmguard/internal/config"
)

// Source is a credential crmguard holds for one upstream. Its methods are
// safe for concurrent use.
type Source interface {
	// Header returns the canonical name of the header the credential is
	// sent in, such as Authorization.
	Header() string

	// Apply sets the credential in h and returns the value it set. An
	// OAuth 2 token is fetched first when none is held or the one held
	// is about to expire; concurrent calls wait for the same fetch. On
	// failure h is unchanged and the error is a *fault.Error naming no
	// secret, of class auth when the token endpoint refused the grant,
	// network, timeout, rate_limit or unavailable when it could not be
	// reached or failed, and canceled or timeout when ctx ended first.
	Apply(ctx context.Context, h http.Header) (value string, err error)

	// Invalidate reports that the CRM refused value, as Apply returned
	// it. If value is still the one held it is forgotten, so that the
	// next Apply fetches a new one; otherwise nothing happens. Many calls
	// refused with the same token therefore cause one fetch, not one
	// each. An API key is never forgotten: a refused key stays refused.
	Invalidate(value string)
}

// New returns the credential c describes, reading its secrets through
// getenv (os.Getenv when nil) and fetching tokens with client (a client
// without a timeout of its own when nil; each fetch is bounded anyway).
// For an empty Kind it returns nil and no error: crmguard then holds no
// credentials and forwards the client's. It returns the interface rather
// than a concrete type so that "none" is a plain nil, never a nil pointer
// inside a non-nil interface.
//
// A secret variable that is unset or empty is an error naming the
// variable, never its value. Surrounding white space is trimmed from
// secrets, so a value read from a file with its final newline works.
func New(c config.Credentials, getenv func(string) string, client *http.Client) (Source, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	header := http.CanonicalHeaderKey(cmp.Or(c.Header, "Authorization"))
	switch c.Kind {
	case "":
		return nil, nil
	case "api_key":
		key, err := secret(getenv, "key_env", c.KeyEnv)
		if err != nil {
			return nil, err
		}
		return &apiKey{header: header, value: c.Prefix + key}, nil
	case "oauth2":
		s, err := newOAuth2(c, header, getenv, client)
		if err != nil {
			return nil, err // not s: a nil *oauth2Source would make a non-nil Source
		}
		return s, nil
	}
	return nil, fmt.Errorf("credentials: unknown kind %q (known: oauth2, api_key)", c.Kind)
}

// secret reads the secret in the environment variable name, which the key
// called key names.
func secret(getenv func(string) string, key, name string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("credentials: %s: required: name the environment variable that holds the secret", key)
	}
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return "", fmt.Errorf("credentials: %s: environment variable %s is not set or is empty", key, name)
	}
	return v, nil
}

// apiKey is a fixed key sent in a header.
type apiKey struct {
	header string
	value  string // prefix and key, as sent
}

var _ Source = (*apiKey)(nil)

func (k *apiKey) Header() string { return k.header }

func (k *apiKey) Apply(_ context.Context, h http.Header) (string, error) {
	h.Set(k.header, k.value)
	return k.value, nil
}

// Invalidate does nothing: the same key would be sent again.
func (k *apiKey) Invalidate(string) {}

// String describes the key without its value, so that printing or logging
// a Source never shows the secret.
func (k *apiKey) String() string { return "api_key credential in " + k.header }

// GoString is String, for %#v.
func (k *apiKey) GoString() string { return k.String() }
