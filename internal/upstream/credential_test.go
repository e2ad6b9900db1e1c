package upstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/config"
	"github.com/crmguard/crmguard/internal/credential"
	"github.com/crmguard/crmguard/internal/dialect"
	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/retry"
)

const sfAccount = "/services/data/v60.0/sobjects/Account"

// tokenIssuer is a fake OAuth 2 token endpoint that hands out tok-1,
// tok-2, ... in turn, with no expires_in, as Salesforce's does.
func tokenIssuer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": fmt.Sprintf("tok-%d", n.Add(1)), "token_type": "Bearer"})
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// salesforce is a fake Salesforce REST API that accepts only one access
// token and refuses any other as Salesforce refuses an expired session.
type salesforce struct {
	*httptest.Server
	mu     sync.Mutex
	accept string   // the token accepted; "" for none
	seen   []string // the Authorization of each request
	bodies []string // the body of each request
}

func newSalesforce(t *testing.T) *salesforce {
	t.Helper()
	s := &salesforce{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		defer s.mu.Unlock()
		s.seen = append(s.seen, r.Header.Get("Authorization"))
		s.bodies = append(s.bodies, string(b))
		w.Header().Set("Content-Type", "application/json")
		if s.accept == "" || r.Header.Get("Authorization") != "Bearer "+s.accept {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `[{"message":"This session is not valid for use with the REST API","errorCode":"INVALID_SESSION_ID"}]`)
			return
		}
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusCreated)
		}
		io.WriteString(w, `{"id":"001000000000001AAA","success":true,"errors":[]}`)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *salesforce) setAccept(token string) {
	s.mu.Lock()
	s.accept = token
	s.mu.Unlock()
}

func (s *salesforce) requests() (seen, bodies []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.seen...), append([]string(nil), s.bodies...)
}

// oauthSource returns credentials from the token endpoint at tokenURL.
func oauthSource(t *testing.T, tokenURL string) credential.Source {
	t.Helper()
	src, err := credential.New(config.Credentials{Kind: "oauth2", TokenURL: tokenURL, ClientID: "crmguard", ClientSecretEnv: "SECRET"},
		func(string) string { return "s3cr3t-client-value" }, nil)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// credentialed returns a Salesforce transport to crm with src, retrying up
// to five attempts.
func credentialed(t *testing.T, crm string, src credential.Source) *Transport {
	t.Helper()
	u, err := url.Parse(crm)
	if err != nil {
		t.Fatal(err)
	}
	return New(dialect.Salesforce{}, Options{
		URL: u, Credentials: src,
		Retry: retry.Policy{Attempts: 5, Backoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond},
	})
}

// sendVia sends one request through tr and returns the request as the caller
// holds it afterwards, with the answer and the outcome.
func sendVia(t *testing.T, tr *Transport, method, target, body string, h http.Header) (*http.Request, *http.Response, *Outcome, error) {
	t.Helper()
	o := &Outcome{}
	ctx, cancel := context.WithTimeout(WithOutcome(context.Background(), o), 5*time.Second)
	t.Cleanup(cancel)
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := tr.RoundTrip(req)
	if resp != nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	return req, resp, o, err
}

// statuses lists the status and class of each try.
func statuses(o *Outcome) string {
	var s []string
	for _, a := range o.Tries {
		s = append(s, fmt.Sprintf("%d %s", a.Status, a.Class))
	}
	return strings.Join(s, ", ")
}

func TestTransport_CredentialsRefreshedOnceTheCRMRefusesThem(t *testing.T) {
	tokens, fetches := tokenIssuer(t)
	crm := newSalesforce(t)
	tr := credentialed(t, crm.URL, oauthSource(t, tokens.URL))

	crm.setAccept("tok-1")
	req, resp, o, err := sendVia(t, tr, http.MethodGet, crm.URL+sfAccount+"/001", "", nil)
	if err != nil || resp.StatusCode != 200 || statuses(o) != "200 ok" || fetches.Load() != 1 {
		t.Fatalf("first call: %v %v, tries [%s], %d fetches; want 200 with the first token", resp, err, statuses(o), fetches.Load())
	}
	if got := req.Header.Get("Authorization"); got != "" {
		t.Errorf("the caller's request now has Authorization %q; want its header left alone", got)
	}

	crm.setAccept("tok-2") // the CRM ends the session of tok-1
	_, resp, o, err = sendVia(t, tr, http.MethodGet, crm.URL+sfAccount+"/001", "", nil)
	if err != nil || resp.StatusCode != 200 || fetches.Load() != 2 {
		t.Fatalf("after the session ended: %v %v, %d fetches; want 200 after one new fetch", resp, err, fetches.Load())
	}
	if got := statuses(o); got != "401 auth, 200 ok" || o.Attempts != 2 {
		t.Errorf("tries = [%s], attempts %d; want [401 auth, 200 ok], 2", got, o.Attempts)
	}
	if seen, _ := crm.requests(); strings.Join(seen, ",") != "Bearer tok-1,Bearer tok-1,Bearer tok-2" {
		t.Errorf("CRM saw %q; want tok-1, tok-1 refused, then tok-2", seen)
	}
}

func TestTransport_CredentialsRefusedTwiceIsFinal(t *testing.T) {
	tokens, fetches := tokenIssuer(t)
	crm := newSalesforce(t) // accepts no token at all
	tr := credentialed(t, crm.URL, oauthSource(t, tokens.URL))
	_, resp, o, err := sendVia(t, tr, http.MethodGet, crm.URL+sfAccount+"/001", "", nil)
	if err != nil || resp.StatusCode != 401 || o.Verdict.Class != fault.Auth {
		t.Fatalf("got %v %v, class %s; want the CRM's 401, class auth", resp, err, o.Verdict.Class)
	}
	seen, _ := crm.requests()
	if o.Attempts != 2 || len(seen) != 2 || fetches.Load() != 2 || statuses(o) != "401 auth, 401 auth" {
		t.Errorf("%d attempts, %d requests, %d fetches, tries [%s]; want 2 of each: one refresh, no loop",
			o.Attempts, len(seen), fetches.Load(), statuses(o))
	}
}

func TestTransport_CallersOwnCredentialIsForwarded(t *testing.T) {
	tokens, fetches := tokenIssuer(t)
	crm := newSalesforce(t)
	tr := credentialed(t, crm.URL, oauthSource(t, tokens.URL))
	_, resp, o, err := sendVia(t, tr, http.MethodGet, crm.URL+sfAccount+"/001", "", http.Header{"Authorization": {"Bearer client-own"}})
	if err != nil || resp.StatusCode != 401 {
		t.Fatalf("got %v %v; want the CRM's 401", resp, err)
	}
	if seen, _ := crm.requests(); len(seen) != 1 || seen[0] != "Bearer client-own" || o.Attempts != 1 || fetches.Load() != 0 {
		t.Errorf("CRM saw %q in %d attempts, %d fetches; want the client's own token once, nothing fetched", seen, o.Attempts, fetches.Load())
	}
}

func TestTransport_CredentialsRefreshResendsTheBody(t *testing.T) {
	tokens, fetches := tokenIssuer(t)
	crm := newSalesforce(t)
	crm.setAccept("tok-2") // tok-1 will be refused
	tr := credentialed(t, crm.URL, oauthSource(t, tokens.URL))
	const body = `{"Name":"Ann Example","Industry":"Retail"}`
	_, resp, o, err := sendVia(t, tr, http.MethodPost, crm.URL+sfAccount, body, http.Header{"Content-Type": {"application/json"}})
	if err != nil || resp.StatusCode != 201 || statuses(o) != "401 auth, 201 ok" || fetches.Load() != 2 {
		t.Fatalf("got %v %v, tries [%s], %d fetches; want 201 after one refresh", resp, err, statuses(o), fetches.Load())
	}
	if _, bodies := crm.requests(); len(bodies) != 2 || bodies[0] != body || bodies[1] != body {
		t.Errorf("CRM got bodies %q; want the same body twice", bodies)
	}
}

func TestTransport_StreamedBodyIsNotResentAfterRefusal(t *testing.T) {
	tokens, fetches := tokenIssuer(t)
	crm := newSalesforce(t)
	crm.setAccept("tok-2")
	u, _ := url.Parse(crm.URL)
	tr := New(dialect.Salesforce{}, Options{URL: u, Credentials: oauthSource(t, tokens.URL), ReplayBytes: 16})
	_, resp, o, err := sendVia(t, tr, http.MethodPost, crm.URL+sfAccount, strings.Repeat("x", 64), nil)
	if err != nil || resp.StatusCode != 401 || o.Attempts != 1 || fetches.Load() != 1 {
		t.Errorf("got %v %v after %d attempts, %d fetches; want the 401 once: the body was not kept", resp, err, o.Attempts, fetches.Load())
	}
}

func TestTransport_CredentialsUnavailableFailsUnsent(t *testing.T) {
	tokens, _ := tokenIssuer(t)
	tokens.Close() // the token endpoint is down
	crm := newSalesforce(t)
	tr := credentialed(t, crm.URL, oauthSource(t, tokens.URL))
	_, resp, o, err := sendVia(t, tr, http.MethodGet, crm.URL+sfAccount+"/001", "", nil)
	var fe *fault.Error
	if resp != nil || !errors.As(err, &fe) || fe.Class != fault.Network || fe.Op != "credentials" {
		t.Fatalf("got %v %v; want a network *fault.Error from credentials", resp, err)
	}
	if seen, _ := crm.requests(); len(seen) != 0 || o.Attempts != 0 || o.Verdict.Class != fault.Network || o.Err == nil || o.Reached {
		t.Errorf("CRM got %d requests, outcome %+v; want nothing sent and the failure recorded", len(seen), o)
	}
}

func TestTransport_RefusedAPIKeyIsNotResent(t *testing.T) {
	var seen atomic.Value
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Store(r.Header.Get("X-Api-Token"))
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer crm.Close()
	src, err := credential.New(config.Credentials{Kind: "api_key", KeyEnv: "KEY", Header: "x-api-token"},
		func(string) string { return "k3y-0123456789" }, nil)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(crm.URL)
	tr := New(dialect.Generic{}, Options{URL: u, Credentials: src})
	_, resp, o, err := sendVia(t, tr, http.MethodGet, crm.URL+"/v1/persons", "", nil)
	if err != nil || resp.StatusCode != 401 || o.Attempts != 1 || seen.Load() != "k3y-0123456789" {
		t.Errorf("got %v %v after %d attempts, key sent %q; want the 401 after one attempt with the key: the same key would be refused again",
			resp, err, o.Attempts, seen.Load())
	}
}
