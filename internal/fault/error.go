package fault

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"syscall"
)

// Error is a failure crmguard itself observed (not one the CRM reported),
// with the class it was given. It wraps the underlying error, so callers use
// errors.As to find the class and errors.Is to test the cause.
type Error struct {
	Class Class
	Op    string // the step that failed, such as "dial" or "read response"
	Err   error
}

func (e *Error) Error() string {
	if e.Op == "" {
		return e.Class.String() + ": " + e.Err.Error()
	}
	return e.Op + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Wrap returns err as an *Error of the class FromError gives it, with op
// naming the step. A nil err stays nil.
func Wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Class: FromError(err), Op: op, Err: err}
}

// FromError classifies a transport-level error: the request did not get a
// complete answer. An *Error keeps its class. Deadlines are Timeout, a
// client cancellation is Canceled, and everything that breaks the
// connection (DNS, refused, reset, TLS, unexpected EOF) is Network. A nil
// error is OK.
func FromError(err error) Class {
	if err == nil {
		return OK
	}
	var fe *Error
	if errors.As(err, &fe) {
		return fe.Class
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return Timeout
	case errors.Is(err, context.Canceled):
		return Canceled
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return Timeout
	}
	var (
		dnsErr    *net.DNSError
		opErr     *net.OpError
		addrErr   *net.AddrError
		recErr    tls.RecordHeaderError
		alertErr  tls.AlertError
		verifyErr *tls.CertificateVerificationError
		unknownCA x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		invalid   x509.CertificateInvalidError
	)
	switch {
	case errors.As(err, &dnsErr), errors.As(err, &opErr), errors.As(err, &addrErr),
		errors.As(err, &recErr), errors.As(err, &alertErr), errors.As(err, &verifyErr),
		errors.As(err, &unknownCA), errors.As(err, &hostErr), errors.As(err, &invalid):
		return Network
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
		return Network
	}
	return Unknown
}
