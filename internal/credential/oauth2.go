package credential

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/crmguard/crmguard/internal/config"
)

const (
	// refreshEarly is how long before a token expires it is replaced, so
	// that a call does not set off with a token that expires on the way.
	// A token that lives less than twice this is replaced halfway.
	refreshEarly = time.Minute

	// fetchTimeout bounds one token fetch. The fetch is shared by every
	// call waiting for it, so it does not end when the call that started
	// it gives up.
	fetchTimeout = 30 * time.Second

	// failureHold is how long a failed fetch is not tried again: calls in
	// the meantime get its error at once. Without it, every call would
	// ask again a token endpoint that has just refused the grant, and
	// Salesforce refuses a user's logins once they pass an hourly limit
	// (LOGIN_RATE_EXCEEDED), which would outlast the fix of the grant.
	failureHold = 5 * time.Second
)

// oauth2Source is an OAuth 2 access token, fetched by the client
// credentials or the refresh token grant and sent as "Bearer TOKEN".
type oauth2Source struct {
	header   string
	grant    string // client_credentials or refresh_token
	tokenURL string
	endpoint string // the token endpoint's host, for messages
	client   *http.Client
	now      func() time.Time
	cc       *clientcredentials.Config // for grant client_credentials
	rc       *oauth2.Config            // for grant refresh_token

	mu      sync.Mutex
	held    token     // the token in use; zero when none
	flight  *flight   // the fetch under way, if any
	failure error     // the last fetch's error, if it failed
	retryAt time.Time // when a fetch may be tried again after failure
	refresh string    // the refresh token, as last rotated (grant refresh_token)

	// secrets are the client secret and the refresh token from the
	// environment, to scrub from error text along with refresh.
	secrets []string
}

var _ Source = (*oauth2Source)(nil)

// token is an access token and when to replace it.
type token struct {
	value     string    // as sent: "Bearer " and the token
	refreshAt time.Time // when to fetch the next one; zero: only once refused
	expiresAt time.Time // when it stops working; zero: not known
}

// fresh reports whether t can be sent without fetching first.
func (t token) fresh(now time.Time) bool {
	return t.value != "" && (t.refreshAt.IsZero() || now.Before(t.refreshAt))
}

// usable reports whether t has not expired yet, if due for replacement.
func (t token) usable(now time.Time) bool {
	return t.value != "" && (t.expiresAt.IsZero() || now.Before(t.expiresAt))
}

// flight is one token fetch that any number of calls wait for.
type flight struct {
	done  chan struct{} // closed when the fetch has ended
	value string        // the new token as sent, if the fetch succeeded
	err   error
}

func newOAuth2(c config.Credentials, header string, getenv func(string) string, client *http.Client) (*oauth2Source, error) {
	u, err := url.Parse(c.TokenURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("credentials: token_url: %q is not an absolute URL; required for kind oauth2", c.TokenURL)
	}
	if c.ClientID == "" {
		return nil, fmt.Errorf("credentials: client_id: required for kind oauth2")
	}
	clientSecret, err := secret(getenv, "client_secret_env", c.ClientSecretEnv)
	if err != nil {
		return nil, err
	}
	if client == nil {
		client = &http.Client{}
	}
	s := &oauth2Source{header: header, grant: c.Grant, tokenURL: c.TokenURL, endpoint: u.Host, client: client, now: time.Now}
	s.secrets = append(s.secrets, clientSecret)
	switch c.Grant {
	case "", "client_credentials":
		s.grant = "client_credentials"
		s.cc = &clientcredentials.Config{
			ClientID: c.ClientID, ClientSecret: clientSecret, TokenURL: c.TokenURL, Scopes: c.Scopes,
			AuthStyle: oauth2.AuthStyleAutoDetect,
		}
	case "refresh_token":
		if s.refresh, err = secret(getenv, "refresh_token_env", c.RefreshTokenEnv); err != nil {
			return nil, err
		}
		s.secrets = append(s.secrets, s.refresh)
		s.rc = &oauth2.Config{
			ClientID: c.ClientID, ClientSecret: clientSecret, Scopes: c.Scopes,
			Endpoint: oauth2.Endpoint{TokenURL: c.TokenURL, AuthStyle: oauth2.AuthStyleAutoDetect},
		}
	default:
		return nil, fmt.Errorf("credentials: grant: unknown grant %q (known: client_credentials, refresh_token)", c.Grant)
	}
	return s, nil
}

func (s *oauth2Source) Header() string { return s.header }

// Apply sets the token held, or fetches one first: when none is held, or
// the one held is due for replacement. A token due for replacement but not
// yet expired is still sent if the fetch fails.
func (s *oauth2Source) Apply(ctx context.Context, h http.Header) (string, error) {
	s.mu.Lock()
	now := s.now()
	if s.held.fresh(now) {
		v := s.held.value
		s.mu.Unlock()
		h.Set(s.header, v)
		return v, nil
	}
	f := s.flight
	if f == nil && s.failure != nil && now.Before(s.retryAt) {
		v, err := s.held.value, s.failure
		ok := s.held.usable(now)
		s.mu.Unlock()
		if !ok {
			return "", err
		}
		h.Set(s.header, v)
		return v, nil
	}
	if f == nil {
		f = &flight{done: make(chan struct{})}
		s.flight = f
		go s.fetch(ctx, f)
	}
	s.mu.Unlock()

	select {
	case <-f.done:
	case <-ctx.Done():
		return "", waitFailed(ctx.Err())
	}
	v, err := f.value, f.err
	if err != nil {
		s.mu.Lock()
		if s.held.usable(s.now()) {
			v, err = s.held.value, nil
		}
		s.mu.Unlock()
		if err != nil {
			return "", err
		}
	}
	h.Set(s.header, v)
	return v, nil
}

// Invalidate forgets value if it is the token held.
func (s *oauth2Source) Invalidate(value string) {
	s.mu.Lock()
	if value != "" && s.held.value == value {
		s.held = token{}
	}
	s.mu.Unlock()
}

// fetch asks the token endpoint for a token, keeps it, and ends f. It runs
// on its own goroutine with a context that outlives the call that started
// it (keeping its values), because other calls may be waiting for it.
func (s *oauth2Source) fetch(ctx context.Context, f *flight) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fetchTimeout)
	defer cancel()
	ctx = context.WithValue(ctx, oauth2.HTTPClient, s.client)
	s.mu.Lock()
	refresh := s.refresh
	s.mu.Unlock()

	start := s.now()
	var (
		tok *oauth2.Token
		err error
	)
	if s.cc != nil {
		tok, err = s.cc.Token(ctx)
	} else {
		// A token source made for one fetch: given a token with no
		// access token, it refreshes at once.
		tok, err = s.rc.TokenSource(ctx, &oauth2.Token{RefreshToken: refresh}).Token()
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	defer close(f.done)
	s.flight = nil
	if err != nil {
		f.err = s.fault(err)
		s.failure, s.retryAt = f.err, s.now().Add(failureHold)
		return
	}
	if tok.RefreshToken != "" && tok.RefreshToken != s.refresh {
		// The endpoint rotated the refresh token (RFC 6749 §6): the old
		// one may no longer work. It is kept in memory only, so after a
		// restart the one in the environment must still be valid.
		s.refresh = tok.RefreshToken
	}
	s.failure = nil
	s.held = token{value: "Bearer " + tok.AccessToken}
	// x/oauth2 turned expires_in into a time on the wall clock just now;
	// the lifetime is taken back from it and counted on s.now from the
	// moment the request went out. No expires_in (Salesforce) means no
	// known expiry: the token is replaced only once the CRM refuses it.
	if !tok.Expiry.IsZero() {
		if life := time.Until(tok.Expiry); life > 0 {
			s.held.expiresAt = start.Add(life)
			s.held.refreshAt = s.held.expiresAt.Add(-min(refreshEarly, life/2))
		}
	}
	f.value = s.held.value
}

// String describes the credential without its secrets, so that printing
// or logging a Source never shows them.
func (s *oauth2Source) String() string {
	return fmt.Sprintf("oauth2 %s credential from %s in %s", s.grant, s.tokenURL, s.header)
}

// GoString is String, for %#v.
func (s *oauth2Source) GoString() string { return s.String() }
