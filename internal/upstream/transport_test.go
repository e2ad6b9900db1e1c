package upstream

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/crmguard/crmguard/internal/dialect"
	"github.com/crmguard/crmguard/internal/fault"
)

// seeing is a dialect that reads every body and reports what it saw.
type seeing struct{ got *dialect.Response }

func (seeing) Name() string                                  { return "seeing" }
func (seeing) Inspect(string, string, int, http.Header) bool { return true }
func (s seeing) Classify(r *dialect.Response) dialect.Verdict {
	*s.got = *r
	return dialect.Verdict{Class: fault.OK}
}
func (seeing) Version(string) string { return "" }

func TestTransport_InspectsAndHandsTheBodyOn(t *testing.T) {
	big := bytes.Repeat([]byte("abcdefgh"), 100000) // 800 kB
	tests := []struct {
		name      string
		body      []byte
		gzip      bool
		limit     int64
		seen      []byte
		truncated bool
	}{
		{"small", []byte(`{"ok":true}`), false, 1 << 20, []byte(`{"ok":true}`), false},
		{"over the limit", big, false, 4096, big[:4096], true},
		{"gzip decoded for the dialect", []byte(`{"error":"x"}`), true, 1 << 20, []byte(`{"error":"x"}`), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wire := tc.body
			if tc.gzip {
				var b bytes.Buffer
				zw := gzip.NewWriter(&b)
				zw.Write(tc.body)
				zw.Close()
				wire = b.Bytes()
			}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.gzip {
					w.Header().Set("Content-Encoding", "gzip")
				}
				w.Write(wire)
			}))
			defer srv.Close()
			var got dialect.Response
			tr := New(seeing{&got}, Options{InspectBytes: tc.limit, URL: &url.URL{Scheme: "http", Path: "/base"}})
			o := &Outcome{}
			req, _ := http.NewRequestWithContext(WithOutcome(context.Background(), o), http.MethodGet, srv.URL+"/base/x/y", nil)
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			all, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || !bytes.Equal(all, wire) {
				t.Errorf("client got %d bytes (err %v); want the %d the CRM sent", len(all), err, len(wire))
			}
			if !bytes.Equal(got.Body, tc.seen) || got.Truncated != tc.truncated {
				t.Errorf("dialect saw %d bytes truncated=%v; want %d truncated=%v", len(got.Body), got.Truncated, len(tc.seen), tc.truncated)
			}
			if got.Path != "/x/y" {
				t.Errorf("dialect saw path %q; want the base path removed: /x/y", got.Path)
			}
			if o.Attempts != 1 || o.Status != 200 {
				t.Errorf("outcome = %+v", o)
			}
		})
	}
}

func TestTransport_FailureIsFaultError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens any more
	o := &Outcome{}
	req, _ := http.NewRequestWithContext(WithOutcome(context.Background(), o), http.MethodGet, url, nil)
	_, err := New(dialect.Generic{}, Options{}).RoundTrip(req)
	var fe *fault.Error
	if !errors.As(err, &fe) || fe.Class != fault.Network {
		t.Fatalf("err = %v; want a network *fault.Error", err)
	}
	if o.Verdict.Class != fault.Network || o.Err == nil || o.Attempts != 3 { // a dial failure is retried (default 3 attempts)
		t.Errorf("outcome = %+v", o)
	}
}
