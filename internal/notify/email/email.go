// Package email delivers alert notifications as plain-text e-mail through
// an SMTP relay, with STARTTLS and AUTH PLAIN. It refuses to send a
// password over a connection that is not encrypted.
package email

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crmguard/crmguard/internal/notify"
)

// DefaultTimeout bounds one delivery when Options.Timeout is zero:
// relays can be slow to greet (RFC 5321 §4.5.3.2 lets clients wait five
// minutes), but an alert that waits that long is late anyway.
const DefaultTimeout = 30 * time.Second

// The values of Options.StartTLS.
const (
	// StartTLSRequired upgrades every connection with STARTTLS and fails
	// when the server does not offer it.
	StartTLSRequired = "required"
	// StartTLSOpportunistic upgrades when the server offers STARTTLS and
	// sends in clear text when it does not. A failed upgrade is still an
	// error: falling back would let anyone on the path force clear text.
	StartTLSOpportunistic = "opportunistic"
	// StartTLSNone never upgrades; only for relays on a trusted network.
	StartTLSNone = "none"
)

// Options configure an e-mail notifier.
type Options struct {
	// Addr is the relay as host:port, such as smtp.example.com:587.
	Addr string
	// From is the sender, an address or "Name <address>"; it is both
	// the envelope sender and the From header.
	From string
	// To are the recipients, each an address or "Name <address>".
	To []string
	// Username, when set, authenticates with AUTH PLAIN. It requires an
	// encrypted connection.
	Username string
	// Password goes with Username. It is sent only inside TLS and never
	// appears in an error.
	Password string
	// StartTLS is one of StartTLSRequired (the default when empty),
	// StartTLSOpportunistic or StartTLSNone.
	StartTLS string
	// TLSConfig verifies the relay's certificate; nil means the system's
	// roots. Its ServerName defaults to Addr's host.
	TLSConfig *tls.Config
	// Hello is the name sent in EHLO. Empty means this machine's host
	// name; some relays refuse "localhost".
	Hello string
	// Timeout bounds one delivery, from dialing to the relay's answer to
	// the message. Zero means DefaultTimeout.
	Timeout time.Duration
}

// Notifier sends messages through one relay. It is safe for concurrent
// use: each delivery uses its own connection.
type Notifier struct {
	addr     string
	host     string
	from     *mail.Address
	to       []*mail.Address
	username string
	password string
	startTLS string
	tls      *tls.Config
	hello    string
	timeout  time.Duration
}

var _ notify.Notifier = (*Notifier)(nil)

// New checks o and returns a notifier for it.
func New(o Options) (*Notifier, error) {
	host, port, err := net.SplitHostPort(o.Addr)
	if err != nil || host == "" {
		return nil, fmt.Errorf("email: smtp server %q is not host:port; write it as smtp.example.com:587", o.Addr)
	}
	if p, err := strconv.ParseUint(port, 10, 16); err != nil || p == 0 {
		return nil, fmt.Errorf("email: smtp server %q: port %q is not a number from 1 to 65535", o.Addr, port)
	}
	n := &Notifier{
		addr:     o.Addr,
		host:     host,
		username: o.Username,
		password: o.Password,
		startTLS: cmp.Or(o.StartTLS, StartTLSRequired),
		hello:    o.Hello,
		timeout:  cmp.Or(o.Timeout, DefaultTimeout),
	}
	if n.from, err = mail.ParseAddress(o.From); err != nil {
		return nil, fmt.Errorf("email: from %q is not an e-mail address: %w", o.From, err)
	}
	if len(o.To) == 0 {
		return nil, errors.New("email: to is empty; list at least one recipient")
	}
	for _, s := range o.To {
		a, err := mail.ParseAddress(s)
		if err != nil {
			return nil, fmt.Errorf("email: to %q is not an e-mail address: %w", s, err)
		}
		n.to = append(n.to, a)
	}
	if !slices.Contains([]string{StartTLSRequired, StartTLSOpportunistic, StartTLSNone}, n.startTLS) {
		return nil, fmt.Errorf("email: starttls %q is not one of required, opportunistic, none", o.StartTLS)
	}
	if n.username == "" && n.password != "" {
		return nil, errors.New("email: a password is set without a username; set both, or neither when the relay needs no authentication")
	}
	if n.username != "" && n.startTLS == StartTLSNone {
		return nil, errors.New("email: refusing to send the password without TLS: starttls is none while a username is set; use required (or opportunistic) with a relay that offers STARTTLS")
	}
	if o.Timeout < 0 {
		return nil, fmt.Errorf("email: timeout %s is negative; leave it zero for the default %s", o.Timeout, DefaultTimeout)
	}
	if n.hello == "" {
		n.hello = "localhost"
		if h, err := os.Hostname(); err == nil && h != "" {
			n.hello = h
		}
	}
	if strings.ContainsAny(n.hello, " \t\r\n") {
		return nil, fmt.Errorf("email: hello %q has white space; give a host name such as crmguard.example.com", n.hello)
	}
	n.tls = &tls.Config{}
	if o.TLSConfig != nil {
		n.tls = o.TLSConfig.Clone()
	}
	if n.tls.ServerName == "" {
		n.tls.ServerName = host
	}
	return n, nil
}

// Notify sends m as one e-mail to every recipient. Either all recipients
// are accepted and the message is sent once, or none is sent: a refused
// recipient fails the delivery before the message is transferred, so a
// retry does not send it twice to the others.
func (n *Notifier) Notify(ctx context.Context, m notify.Message) error {
	msg := n.compose(m, time.Now())
	ctx, cancel := context.WithTimeout(ctx, n.timeout)
	defer cancel()
	if err := n.send(ctx, msg); err != nil {
		return fmt.Errorf("email: %w", err)
	}
	return nil
}

// send runs one SMTP session on a new connection.
func (n *Notifier) send(ctx context.Context, msg []byte) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", n.addr)
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", n.addr, err)
	}
	// net/smtp takes no context: a deadline on the connection bounds every
	// read and write, and cancelling ctx moves it to now.
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()

	c, err := smtp.NewClient(conn, n.host)
	if err != nil {
		conn.Close()
		return n.fail(ctx, "reading the greeting", err, "")
	}
	defer c.Close()
	if err := c.Hello(n.hello); err != nil {
		return n.fail(ctx, "EHLO "+n.hello, err, "")
	}
	if err := n.upgrade(ctx, c); err != nil {
		return err
	}
	if err := n.auth(ctx, c); err != nil {
		return err
	}
	if err := c.Mail(n.from.Address); err != nil {
		return n.fail(ctx, "MAIL FROM:<"+n.from.Address+">", err, "the relay refused the sender; check from")
	}
	for _, to := range n.to {
		if err := c.Rcpt(to.Address); err != nil {
			return n.fail(ctx, "RCPT TO:<"+to.Address+">", err, "the relay refused this recipient, so nothing was sent to any; check to")
		}
	}
	w, err := c.Data()
	if err != nil {
		return n.fail(ctx, "DATA", err, "")
	}
	if _, err := w.Write(msg); err != nil {
		return n.fail(ctx, "sending the message", err, "")
	}
	if err := w.Close(); err != nil {
		return n.fail(ctx, "sending the message", err, "the relay refused it")
	}
	// The relay has taken the message: a failed QUIT must not make the
	// caller send it again.
	_ = c.Quit()
	return nil
}

// upgrade starts TLS as n.startTLS says.
func (n *Notifier) upgrade(ctx context.Context, c *smtp.Client) error {
	if n.startTLS == StartTLSNone {
		return nil
	}
	if ok, _ := c.Extension("STARTTLS"); !ok {
		if n.startTLS == StartTLSRequired {
			return fmt.Errorf("%s does not offer STARTTLS and starttls is required: use a port or relay that supports it (often 587), or set starttls to opportunistic to send in clear text", n.addr)
		}
		return nil
	}
	if err := c.StartTLS(n.tls); err != nil {
		return n.fail(ctx, "STARTTLS", err, "check that the relay's certificate is trusted and names the smtp server's host")
	}
	return nil
}

// auth authenticates with AUTH PLAIN when a username is set, and only
// inside TLS. net/smtp.PlainAuth would also send the password in clear
// text to a relay on localhost; crmguard does not, whatever the host.
func (n *Notifier) auth(ctx context.Context, c *smtp.Client) error {
	if n.username == "" {
		return nil
	}
	if _, ok := c.TLSConnectionState(); !ok {
		return fmt.Errorf("refusing to send the password without TLS: %s does not offer STARTTLS; use a relay that does, or remove username and password if it needs no authentication", n.addr)
	}
	ok, mechs := c.Extension("AUTH")
	if !ok {
		return fmt.Errorf("%s does not offer AUTH, but a username is set: remove username and password if the relay needs no authentication", n.addr)
	}
	if !slices.Contains(strings.Fields(strings.ToUpper(mechs)), "PLAIN") {
		return fmt.Errorf("%s offers AUTH %s but not PLAIN, the only mechanism crmguard uses", n.addr, mechs)
	}
	if err := c.Auth(smtp.PlainAuth("", n.username, n.password, n.host)); err != nil {
		return n.fail(ctx, fmt.Sprintf("authentication as %q", n.username), err, "check username and password")
	}
	return nil
}

// fail wraps err from step, with hint (if any) saying what to check. It
// names the deadline or the cancellation when that was the cause: the
// connection then reports only an I/O timeout.
func (n *Notifier) fail(ctx context.Context, step string, err error, hint string) error {
	ctxErr := ctx.Err()
	if dl, ok := ctx.Deadline(); ok && ctxErr == nil && !time.Now().Before(dl) {
		// The connection's deadline is the context's, and can be noticed
		// before the context's own timer has marked it done.
		ctxErr = context.DeadlineExceeded
	}
	if hint != "" {
		hint = " (" + hint + ")"
	}
	if ctxErr != nil {
		return fmt.Errorf("%s at %s: %w: %w%s", step, n.addr, ctxErr, err, hint)
	}
	return fmt.Errorf("%s at %s: %w%s", step, n.addr, err, hint)
}
