package fault

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"syscall"
	"testing"
	"time"
)

func TestClass_NamesAreStable(t *testing.T) {
	// These names are stored, exported as labels and used in alert rules:
	// this list may only grow at the end.
	want := []string{"ok", "network", "timeout", "auth", "permission", "rate_limit", "parameter", "data_format",
		"version", "not_found", "conflict", "server", "unavailable", "canceled", "unknown"}
	got := Classes()
	if len(got) != len(want) {
		t.Fatalf("%d classes; want %d", len(got), len(want))
	}
	for i, c := range got {
		if c.String() != want[i] {
			t.Errorf("class %d = %q; want %q", i, c, want[i])
		}
		p, err := Parse(want[i])
		if err != nil || p != c {
			t.Errorf("Parse(%q) = %v, %v; want %v", want[i], p, err, c)
		}
		if c != OK && c.Remediation() == "" {
			t.Errorf("%s has no remediation", c)
		}
	}
	if _, err := Parse("quota"); err == nil {
		t.Error("Parse(\"quota\") gave no error")
	}
}

func TestClass_Retryable(t *testing.T) {
	retry := map[Class]bool{Network: true, Timeout: true, RateLimit: true, Server: true, Unavailable: true}
	for _, c := range Classes() {
		if c.Retryable() != retry[c] {
			t.Errorf("%s.Retryable() = %v; want %v", c, c.Retryable(), retry[c])
		}
	}
}

func TestFromError(t *testing.T) {
	refused := func() error {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := ln.Addr().String()
		ln.Close()
		_, err := net.Dial("tcp", addr)
		return err
	}()
	tlsErr := func() error {
		srv := httptest.NewTLSServer(http.NotFoundHandler())
		defer srv.Close()
		_, err := http.Get(srv.URL) // the test server's certificate is not trusted
		return err
	}()
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	tests := []struct {
		name string
		err  error
		want Class
	}{
		{"nil", nil, OK},
		{"refused", refused, Network},
		{"dns", &net.DNSError{Err: "no such host", Name: "crm.invalid", IsNotFound: true}, Network},
		{"reset", &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, Network},
		{"reset wrapped in url.Error", &url.Error{Op: "Get", URL: "x", Err: syscall.ECONNRESET}, Network},
		{"unexpected eof", fmt.Errorf("reading body: %w", io.ErrUnexpectedEOF), Network},
		{"tls", tlsErr, Network},
		{"tls record header", tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, Network},
		{"deadline", ctx.Err(), Timeout},
		{"net timeout", &net.OpError{Op: "dial", Err: timeoutErr{}}, Timeout},
		{"canceled", fmt.Errorf("round trip: %w", context.Canceled), Canceled},
		{"typed error keeps class", fmt.Errorf("x: %w", &Error{Class: RateLimit, Err: errors.New("quota")}), RateLimit},
		{"unrecognised", errors.New("something odd"), Unknown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := FromError(tc.err); got != tc.want {
				t.Errorf("FromError(%v) = %s; want %s", tc.err, got, tc.want)
			}
		})
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestError_WrapsAndUnwraps(t *testing.T) {
	base := io.ErrUnexpectedEOF
	err := Wrap("read response", base)
	var fe *Error
	if !errors.As(err, &fe) || fe.Class != Network || !errors.Is(err, base) {
		t.Fatalf("Wrap = %#v; want a Network *Error wrapping %v", err, base)
	}
	if got := err.Error(); got != "read response: unexpected EOF" {
		t.Errorf("Error() = %q", got)
	}
	if Wrap("x", nil) != nil {
		t.Error("Wrap(nil) is not nil")
	}
}
