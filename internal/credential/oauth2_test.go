package credential

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/config"
	"github.com/crmguard/crmguard/internal/fault"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// tokenEndpoint is a fake OAuth 2 token endpoint that counts requests and
// answers with handle.
type tokenEndpoint struct {
	*httptest.Server
	hits atomic.Int32
}

func newTokenEndpoint(t *testing.T, handle func(w http.ResponseWriter, r *http.Request, n int)) *tokenEndpoint {
	t.Helper()
	e := &tokenEndpoint{}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(e.hits.Add(1))
		if err := r.ParseForm(); err != nil {
			t.Errorf("token request: %v", err)
		}
		handle(w, r, n)
	}))
	t.Cleanup(e.Close)
	return e
}

// answer writes a JSON token response.
func answer(w http.ResponseWriter, status int, fields map[string]any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(fields)
}

// clientAuth returns the client id and secret a token request carried, in
// a Basic header or in the form body (RFC 6749 §2.3.1).
func clientAuth(r *http.Request) (id, secret string) {
	if id, secret, ok := r.BasicAuth(); ok {
		return id, secret
	}
	return r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
}

// newSource returns an OAuth 2 source for the token endpoint at tokenURL,
// on clk when it is not nil.
func newSource(t *testing.T, grant, tokenURL string, clk *clock) *oauth2Source {
	t.Helper()
	src, err := New(config.Credentials{
		Kind: "oauth2", Grant: grant, TokenURL: tokenURL, ClientID: "crmguard-client",
		ClientSecretEnv: "CLIENT_SECRET", RefreshTokenEnv: "REFRESH_TOKEN", Scopes: []string{"api", "refresh_token"},
	}, env(map[string]string{"CLIENT_SECRET": clientSecret, "REFRESH_TOKEN": refreshToken}), nil)
	if err != nil {
		t.Fatal(err)
	}
	s := src.(*oauth2Source)
	if clk != nil {
		s.now = clk.now
	}
	return s
}

// apply calls s.Apply and fails the test on an error.
func apply(t *testing.T, s Source) string {
	t.Helper()
	h := http.Header{}
	v, err := s.Apply(context.Background(), h)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if got := h.Get(s.Header()); got != v {
		t.Fatalf("Apply returned %q but set %s: %q", v, s.Header(), got)
	}
	return v
}

func TestOAuth2_ClientCredentials(t *testing.T) {
	tests := []struct {
		name string
		// basic reports whether the endpoint accepts the client in a
		// Basic header; otherwise only in the form body, as HubSpot's.
		basic     bool
		wantFirst int // requests for the first token: 2 when x/oauth2 must find the body style
	}{
		{"client in a Basic header", true, 1},
		{"client in the form body", false, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newTokenEndpoint(t, func(w http.ResponseWriter, r *http.Request, n int) {
				_, _, inHeader := r.BasicAuth()
				id, secret := clientAuth(r)
				switch {
				case inHeader && !tc.basic, id != "crmguard-client" || secret != clientSecret:
					answer(w, 401, map[string]any{"error": "invalid_client"})
				case r.PostForm.Get("grant_type") != "client_credentials" || r.PostForm.Get("scope") != "api refresh_token":
					answer(w, 400, map[string]any{"error": "invalid_request", "error_description": "form: " + r.PostForm.Encode()})
				default:
					answer(w, 200, map[string]any{"access_token": fmt.Sprintf("tok-%d", n), "token_type": "bearer", "expires_in": 3600})
				}
			})
			s := newSource(t, "client_credentials", e.URL, nil)
			first := apply(t, s)
			if !strings.HasPrefix(first, "Bearer tok-") || int(e.hits.Load()) != tc.wantFirst {
				t.Fatalf("first Apply = %q after %d requests; want a Bearer token after %d", first, e.hits.Load(), tc.wantFirst)
			}
			if again := apply(t, s); again != first || int(e.hits.Load()) != tc.wantFirst {
				t.Errorf("second Apply = %q after %d requests; want %q held, no new request", again, e.hits.Load(), first)
			}
			s.Invalidate(first)
			if next := apply(t, s); next == first || int(e.hits.Load()) != tc.wantFirst+1 {
				t.Errorf("after Invalidate, Apply = %q after %d requests; want a new token from one more request, the client style remembered",
					next, e.hits.Load())
			}
		})
	}
}

func TestOAuth2_RefreshTokenRotation(t *testing.T) {
	// The endpoint accepts only the newest refresh token and rotates it on
	// the first two refreshes; the third answer carries none, so the one
	// held must be kept.
	var mu sync.Mutex
	current := refreshToken
	e := newTokenEndpoint(t, func(w http.ResponseWriter, r *http.Request, n int) {
		mu.Lock()
		defer mu.Unlock()
		if r.PostForm.Get("grant_type") != "refresh_token" || r.PostForm.Get("refresh_token") != current {
			answer(w, 400, map[string]any{"error": "invalid_grant", "error_description": "expired access/refresh token"})
			return
		}
		fields := map[string]any{"access_token": fmt.Sprintf("tok-%d", n), "token_type": "Bearer"} // no expires_in: Salesforce
		if n <= 2 {
			current = fmt.Sprintf("r3fr3sh-token-value-%d", n+1)
			fields["refresh_token"] = current
		}
		answer(w, 200, fields)
	})
	s := newSource(t, "refresh_token", e.URL, nil)
	for i := 1; i <= 4; i++ {
		v := apply(t, s)
		if want := fmt.Sprintf("Bearer tok-%d", i); v != want {
			t.Fatalf("token %d = %q; want %q: the rotated refresh token must be used", i, v, want)
		}
		s.Invalidate(v)
	}
	if s.refresh != "r3fr3sh-token-value-3" {
		t.Errorf("refresh token held = %q; want the last one rotated in", s.refresh)
	}
}

func TestOAuth2_RefreshesBeforeExpiry(t *testing.T) {
	tests := []struct {
		name      string
		expiresIn any           // nil: none in the answer
		still     time.Duration // after this long the first token is still sent
		renewed   time.Duration // after this long a new one is fetched
	}{
		{"an hour: renewed a minute early", 3600, 58 * time.Minute, 59*time.Minute + time.Second},
		{"a minute: renewed halfway", 60, 29 * time.Second, 31 * time.Second},
		{"as a string (PayPal)", "600", 8 * time.Minute, 9*time.Minute + time.Second},
		{"no expiry (Salesforce): kept until refused", nil, 1000 * time.Hour, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newTokenEndpoint(t, func(w http.ResponseWriter, r *http.Request, n int) {
				fields := map[string]any{"access_token": fmt.Sprintf("tok-%d", n), "token_type": "Bearer"}
				if tc.expiresIn != nil {
					fields["expires_in"] = tc.expiresIn
				}
				answer(w, 200, fields)
			})
			clk := newClock()
			s := newSource(t, "client_credentials", e.URL, clk)
			start := clk.now()
			first := apply(t, s)
			clk.advance(tc.still)
			if v := apply(t, s); v != first || e.hits.Load() != 1 {
				t.Errorf("after %v: Apply = %q, %d fetches; want %q still", tc.still, v, e.hits.Load(), first)
			}
			if tc.renewed < 0 {
				return
			}
			clk.advance(start.Add(tc.renewed).Sub(clk.now()))
			if v := apply(t, s); v == first || e.hits.Load() != 2 {
				t.Errorf("after %v: Apply = %q, %d fetches; want a new token", tc.renewed, v, e.hits.Load())
			}
		})
	}
}

func TestOAuth2_ExpiringTokenServesWhileEndpointFails(t *testing.T) {
	e := newTokenEndpoint(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n > 1 {
			answer(w, 503, map[string]any{"error": "temporarily_unavailable"})
			return
		}
		answer(w, 200, map[string]any{"access_token": "tok-1", "token_type": "Bearer", "expires_in": 3600})
	})
	clk := newClock()
	s := newSource(t, "client_credentials", e.URL, clk)
	first := apply(t, s)
	clk.advance(59*time.Minute + 30*time.Second) // due for renewal, not expired
	if v := apply(t, s); v != first {
		t.Fatalf("Apply = %q; want the old token while it lasts, the renewal having failed", v)
	}
	clk.advance(time.Minute) // expired now
	_, err := s.Apply(context.Background(), http.Header{})
	var fe *fault.Error
	if !errors.As(err, &fe) || fe.Class != fault.Unavailable {
		t.Errorf("Apply after expiry: err = %v; want an unavailable *fault.Error", err)
	}
}

func TestOAuth2_InvalidateCausesOneFetch(t *testing.T) {
	e := newTokenEndpoint(t, func(w http.ResponseWriter, r *http.Request, n int) {
		time.Sleep(20 * time.Millisecond) // long enough for every caller to be waiting
		answer(w, 200, map[string]any{"access_token": fmt.Sprintf("tok-%d", n), "token_type": "Bearer"})
	})
	s := newSource(t, "client_credentials", e.URL, nil)
	const callers = 50
	// round runs every caller at once; each first reports the token
	// refused, if refused is not empty, as calls that all saw the CRM
	// refuse it do.
	round := func(refused string) []string {
		got := make([]string, callers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range callers {
			wg.Go(func() {
				<-start
				if refused != "" {
					s.Invalidate(refused)
				}
				got[i] = apply(t, s)
			})
		}
		close(start)
		wg.Wait()
		return got
	}
	for i, v := range round("") {
		if v != "Bearer tok-1" {
			t.Fatalf("caller %d got %q; want every caller to share the one first fetch", i, v)
		}
	}
	for i, v := range round("Bearer tok-1") {
		if v != "Bearer tok-2" {
			t.Fatalf("caller %d got %q after the refusal; want tok-2 from one fetch", i, v)
		}
	}
	s.Invalidate("Bearer tok-1") // a late report of the old token
	if v := apply(t, s); v != "Bearer tok-2" || e.hits.Load() != 2 {
		t.Errorf("after a stale Invalidate: %q, %d fetches; want tok-2 kept, 2 fetches in all", v, e.hits.Load())
	}
}

func TestOAuth2_TokenEndpointFailures(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		class   fault.Class
		message string
	}{
		{"invalid client", 401, `{"error":"invalid_client","error_description":"client secret ` + clientSecret + ` is wrong"}`,
			fault.Auth, `answered the refresh_token grant with 401 Unauthorized: invalid_client (client secret [redacted] is wrong)`},
		{"invalid grant", 400, `{"error":"invalid_grant","error_description":"expired access/refresh token ` + refreshToken + `"}`,
			fault.Auth, `400 Bad Request: invalid_grant (expired access/refresh token [redacted])`},
		{"error in a 200 answer", 200, `{"error":"invalid_grant"}`, fault.Auth, "200 OK: invalid_grant"},
		{"rate limited", 429, `{"error":"rate_limited"}`, fault.RateLimit, "429 Too Many Requests"},
		{"down", 503, `<html>maintenance</html>`, fault.Unavailable, "503 Service Unavailable"},
		{"no token in the answer", 200, `{"token_type":"Bearer"}`, fault.Server, "without a usable token"},
		{"a web page, not a token endpoint", 200, `<html></html>`, fault.Server, "without a usable token"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newTokenEndpoint(t, func(w http.ResponseWriter, r *http.Request, n int) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			})
			s := newSource(t, "refresh_token", e.URL, nil)
			h := http.Header{}
			_, err := s.Apply(context.Background(), h)
			var fe *fault.Error
			if !errors.As(err, &fe) || fe.Class != tc.class {
				t.Fatalf("err = %v; want a %s *fault.Error", err, tc.class)
			}
			if !strings.Contains(err.Error(), tc.message) {
				t.Errorf("err = %q; want it to contain %q", err, tc.message)
			}
			if strings.Contains(err.Error(), clientSecret) || strings.Contains(err.Error(), refreshToken) {
				t.Errorf("err = %q shows a secret", err)
			}
			if len(h) != 0 {
				t.Errorf("header = %v; want it unchanged on failure", h)
			}
		})
	}
}

func TestOAuth2_UnreachableTokenEndpoint(t *testing.T) {
	e := newTokenEndpoint(t, func(http.ResponseWriter, *http.Request, int) {})
	e.Close() // nothing listens any more
	s := newSource(t, "client_credentials", e.URL, nil)
	_, err := s.Apply(context.Background(), http.Header{})
	var fe *fault.Error
	if !errors.As(err, &fe) || fe.Class != fault.Network || fe.Op != "fetch token" {
		t.Fatalf("err = %v; want a network *fault.Error from fetch token", err)
	}
}

func TestOAuth2_RefusalIsNotAskedAgainAtOnce(t *testing.T) {
	e := newTokenEndpoint(t, func(w http.ResponseWriter, r *http.Request, n int) {
		answer(w, 400, map[string]any{"error": "invalid_grant"})
	})
	clk := newClock()
	s := newSource(t, "refresh_token", e.URL, clk)
	_, first := s.Apply(context.Background(), http.Header{})
	asked := e.hits.Load() // 2: x/oauth2 tries the client in the header, then in the body
	clk.advance(failureHold - time.Second)
	if _, err := s.Apply(context.Background(), http.Header{}); err == nil || err.Error() != first.Error() || e.hits.Load() != asked {
		t.Errorf("within the hold: err = %v, %d requests; want %v again without asking (%d)", err, e.hits.Load(), first, asked)
	}
	clk.advance(2 * time.Second)
	if _, err := s.Apply(context.Background(), http.Header{}); err == nil || e.hits.Load() == asked {
		t.Errorf("after the hold: err = %v, %d requests; want the endpoint asked again", err, e.hits.Load())
	}
}

func TestOAuth2_CallerGivesUpWhileFetchGoesOn(t *testing.T) {
	release := make(chan struct{})
	e := newTokenEndpoint(t, func(w http.ResponseWriter, r *http.Request, n int) {
		<-release
		answer(w, 200, map[string]any{"access_token": "tok-1", "token_type": "Bearer"})
	})
	s := newSource(t, "client_credentials", e.URL, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := s.Apply(ctx, http.Header{})
	var fe *fault.Error
	if !errors.As(err, &fe) || fe.Class != fault.Timeout || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v; want a timeout *fault.Error: the caller's deadline passed", err)
	}
	close(release)
	if v := apply(t, s); v != "Bearer tok-1" || e.hits.Load() != 1 {
		t.Errorf("Apply = %q after %d fetches; want the fetch the first caller started, not a new one", v, e.hits.Load())
	}
}
