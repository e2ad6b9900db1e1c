package outbox_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/outbox"
)

// roundTripFunc adapts a function to an http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestHTTPSender_BuildsTheRequest(t *testing.T) {
	var got *http.Request
	var gotBody string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got, gotBody = r, string(b)
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	base, _ := url.Parse(srv.URL + "/api/")
	unseal := func(sealed []byte, id string) (http.Header, error) {
		if string(sealed) != "secret-of-e1" || id != "e1" {
			return nil, errors.New("wrong entry")
		}
		return http.Header{"Authorization": {"Bearer t0k"}}, nil
	}
	s := outbox.NewHTTPSender(base, http.DefaultTransport, unseal)
	res, err := s.Send(t.Context(), outbox.Entry{
		ID: "e1", Method: http.MethodPatch, Path: "/contacts/42?fields=email",
		Header:         []byte(`{"Content-Type":["application/json"],"Connection":["close"],"X-Trace":["a","b"]}`),
		Sealed:         []byte("secret-of-e1"),
		Body:           []byte(`{"email":"a@example.com"}`),
		IdempotencyKey: "idem-1",
	})
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if res.Status != http.StatusCreated || res.Class != fault.OK {
		t.Errorf("result = %+v; want 201 ok", res)
	}
	checks := []struct{ name, got, want string }{
		{"method", got.Method, http.MethodPatch},
		{"path", got.URL.Path, "/api/contacts/42"},
		{"query", got.URL.RawQuery, "fields=email"},
		{"content type", got.Header.Get("Content-Type"), "application/json"},
		{"authorization", got.Header.Get("Authorization"), "Bearer t0k"},
		{"idempotency key", got.Header.Get("Idempotency-Key"), "idem-1"},
		{"trace", got.Header.Values("X-Trace")[1], "b"},
		{"body", gotBody, `{"email":"a@example.com"}`},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q; want %q", c.name, c.got, c.want)
		}
	}
}

func TestHTTPSender_Failures(t *testing.T) {
	base, _ := url.Parse("http://crm.invalid")
	closed := &closeTracker{}
	tests := []struct {
		name      string
		rt        http.RoundTripper
		e         outbox.Entry
		wantErr   bool
		wantClass fault.Class
		wantRetry time.Duration
	}{
		{
			name: "sealed without a key is an auth error, not sent",
			rt: roundTripFunc(func(*http.Request) (*http.Response, error) {
				t.Error("sent a request that should not be")
				return nil, errors.New("unreachable")
			}),
			e:       outbox.Entry{ID: "e1", Method: "POST", Path: "/x", Sealed: []byte("s")},
			wantErr: true, wantClass: fault.Auth,
		},
		{
			name: "bad header JSON is a parameter error",
			rt: roundTripFunc(func(*http.Request) (*http.Response, error) {
				return nil, errors.New("unreachable")
			}),
			e:       outbox.Entry{ID: "e1", Method: "POST", Path: "/x", Header: []byte("{")},
			wantErr: true, wantClass: fault.Parameter,
		},
		{
			name: "transport failure is a network result",
			rt: roundTripFunc(func(*http.Request) (*http.Response, error) {
				return nil, io.ErrUnexpectedEOF
			}),
			e:         outbox.Entry{ID: "e1", Method: "POST", Path: "/x"},
			wantClass: fault.Network,
		},
		{
			name: "a plain transport is classified by status and the body closed",
			rt: roundTripFunc(func(*http.Request) (*http.Response, error) {
				h := http.Header{"Retry-After": {"30"}}
				return &http.Response{StatusCode: 429, Header: h, Body: closed}, nil
			}),
			e:         outbox.Entry{ID: "e1", Method: "POST", Path: "/x"},
			wantClass: fault.RateLimit, wantRetry: 30 * time.Second,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := outbox.NewHTTPSender(base, tc.rt, nil).Send(context.Background(), tc.e)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Send error = %v; want error %v", err, tc.wantErr)
			}
			class := res.Class
			if err != nil {
				class = fault.FromError(err)
			}
			if class != tc.wantClass || res.RetryAfter != tc.wantRetry {
				t.Errorf("class %s, retry after %s; want %s, %s", class, res.RetryAfter, tc.wantClass, tc.wantRetry)
			}
		})
	}
	if !closed.closed {
		t.Error("response body not closed")
	}
}

// closeTracker is an empty response body that records being closed.
type closeTracker struct{ closed bool }

func (c *closeTracker) Read([]byte) (int, error) { return 0, io.EOF }
func (c *closeTracker) Close() error             { c.closed = true; return nil }
