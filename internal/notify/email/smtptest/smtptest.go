// Package smtptest runs an SMTP relay on loopback for tests: STARTTLS
// with a self-signed certificate, AUTH PLAIN, refused recipients, and a
// record of every message it accepted. crmguard's e-mail notifier tests
// and the acceptance tests deliver to it.
package smtptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Credentials the relay accepts.
const (
	User     = "crmguard"
	Password = "s3cret-relay-pass"
)

// Options say how the test relay behaves.
type Options struct {
	// TLS offers STARTTLS with a self-signed certificate.
	TLS bool
	// Auth offers AUTH PLAIN and requires it before MAIL FROM.
	Auth bool
	// InsecureAuth offers AUTH before TLS too, as a badly configured
	// relay would.
	InsecureAuth bool
	// Refuse lists recipients the relay answers 550 to.
	Refuse []string
}

// Delivery is one message the relay accepted.
type Delivery struct {
	From     string
	To       []string
	Data     []byte
	User     string
	Password string
	TLS      bool
}

// Relay is an SMTP server on loopback that records what it was sent.
type Relay struct {
	Addr  string
	Roots *x509.CertPool // trusts the relay's certificate
	pem   []byte
	opts  Options

	mu         sync.Mutex
	deliveries []Delivery
	authTries  []string // username of every AUTH attempt, good or bad
}

// Start runs a relay until the test ends.
func Start(t testing.TB, o Options) *Relay {
	t.Helper()
	r := &Relay{opts: o}
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{relay: r, conn: c}, nil
	}))
	s.Domain = "relay.crmguard.test"
	s.ReadTimeout = 10 * time.Second
	s.WriteTimeout = 10 * time.Second
	s.AllowInsecureAuth = o.InsecureAuth
	s.ErrorLog = log.New(io.Discard, "", 0)
	if o.TLS {
		cert, roots := selfSigned(t)
		s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		r.Roots = roots
		r.pem = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]})
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.Addr = l.Addr().String()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Serve(l)
	}()
	t.Cleanup(func() {
		_ = s.Close()
		<-done
	})
	return r
}

// CertPEM is the relay's certificate in PEM, for a CA file; nil without
// TLS.
func (r *Relay) CertPEM() []byte { return r.pem }

// Got returns the messages accepted so far and the username of every
// AUTH attempt, good or bad.
func (r *Relay) Got() ([]Delivery, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.deliveries), slices.Clone(r.authTries)
}

// session is one client connection to the relay.
type session struct {
	relay    *Relay
	conn     *smtp.Conn
	user     string
	password string
	from     string
	to       []string
}

var _ smtp.AuthSession = (*session)(nil)

func (s *session) AuthMechanisms() []string {
	if !s.relay.opts.Auth {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		s.relay.mu.Lock()
		s.relay.authTries = append(s.relay.authTries, username)
		s.relay.mu.Unlock()
		if username != User || password != Password {
			return smtp.ErrAuthFailed
		}
		s.user, s.password = username, password
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.relay.opts.Auth && s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if slices.Contains(s.relay.opts.Refuse, to) {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, isTLS := s.conn.TLSConnectionState()
	s.relay.mu.Lock()
	defer s.relay.mu.Unlock()
	s.relay.deliveries = append(s.relay.deliveries, Delivery{
		From: s.from, To: slices.Clone(s.to), Data: b, User: s.user, Password: s.password, TLS: isTLS,
	})
	return nil
}

func (s *session) Reset() { s.from, s.to = "", nil }

func (s *session) Logout() error { return nil }

// selfSigned returns a certificate for 127.0.0.1 and localhost, valid
// for an hour, and a pool that trusts it.
func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "crmguard test relay"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, roots
}

// SilentListener accepts connections and never says anything, like a
// relay that hangs before its greeting.
func SilentListener(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if err == nil {
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}
