package email

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/notify/email/smtptest"

	"github.com/crmguard/crmguard/internal/notify"
)

var start = time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)

func message() notify.Message {
	return notify.Message{
		Notifier: "ops-mail", Kind: notify.Fire, Status: notify.Firing,
		Group:       "sf-auth-failures{upstream=sf}",
		GroupLabels: map[string]string{"alertname": "sf-auth-failures", "upstream": "sf"},
		Summary:     "sf-auth-failures firing: upstream=sf",
		Alerts: []notify.Alert{{
			ID: "a1", Rule: "sf-auth-failures", Status: notify.Firing, Severity: "critical",
			Labels: map[string]string{"alertname": "sf-auth-failures", "severity": "critical", "upstream": "sf", "class": "auth"},
			Annotations: map[string]string{
				"summary":     "Salesforce refused 42% of calls",
				"description": "Tokens expire.\nReconnect the integration user.",
			},
			Value: 0.42, StartsAt: start, URL: "http://127.0.0.1:8080/admin/alerts/a1",
		}},
		SentAt: start.Add(30 * time.Second),
	}
}

const wantBody = `sf-auth-failures firing: upstream=sf

FIRING sf-auth-failures (critical)
  labels:       alertname=sf-auth-failures, class=auth, severity=critical, upstream=sf
  value:        0.42
  started:      2025-03-04 10:00:00 UTC
  summary:      Salesforce refused 42% of calls
  description:  Tokens expire.
                Reconnect the integration user.
  link:         http://127.0.0.1:8080/admin/alerts/a1

-- 
Sent by crmguard at 2025-03-04 10:00:30 UTC for group sf-auth-failures{upstream=sf}.
`

// options returns options that deliver to r with STARTTLS and AUTH.
func options(r *smtptest.Relay) Options {
	return Options{
		Addr:      r.Addr,
		From:      "crmguard alerts <alerts@crmguard.test>",
		To:        []string{"ops@crmguard.test", "Zoë <zoe@crmguard.test>"},
		Username:  smtptest.User,
		Password:  smtptest.Password,
		TLSConfig: &tls.Config{RootCAs: r.Roots},
		Hello:     "crmguard.test",
		Timeout:   10 * time.Second,
	}
}

func newNotifier(t *testing.T, o Options) *Notifier {
	t.Helper()
	n, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return n
}

// parse decodes an accepted message: its headers, its subject decoded and
// its body decoded from quoted-printable, with LF line ends.
func parse(t *testing.T, data []byte) (mail.Header, string, string) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("reading the message: %v\n%s", err, data)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("decoding subject %q: %v", msg.Header.Get("Subject"), err)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatalf("decoding the body: %v", err)
	}
	return msg.Header, subject, strings.ReplaceAll(string(body), "\r\n", "\n")
}

func TestNotify_Delivers(t *testing.T) {
	r := smtptest.Start(t, smtptest.Options{TLS: true, Auth: true})
	n := newNotifier(t, options(r))
	if err := n.Notify(context.Background(), message()); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	deliveries, tries := r.Got()
	if len(deliveries) != 1 {
		t.Fatalf("got %d deliveries; want 1", len(deliveries))
	}
	d := deliveries[0]
	if d.From != "alerts@crmguard.test" {
		t.Errorf("got MAIL FROM %q; want alerts@crmguard.test", d.From)
	}
	if want := []string{"ops@crmguard.test", "zoe@crmguard.test"}; !slices.Equal(d.To, want) {
		t.Errorf("got RCPT TO %q; want %q", d.To, want)
	}
	if d.User != smtptest.User || d.Password != smtptest.Password || !slices.Equal(tries, []string{smtptest.User}) {
		t.Errorf("got AUTH %q/%q after tries %q; want one AUTH PLAIN as %q with the password", d.User, d.Password, tries, smtptest.User)
	}
	if !d.TLS {
		t.Error("message was sent in clear text; want it inside STARTTLS")
	}

	h, subject, body := parse(t, d.Data)
	if want := "[crmguard] FIRING critical: sf-auth-failures (upstream=sf)"; subject != want {
		t.Errorf("got subject %q; want %q", subject, want)
	}
	if body != wantBody {
		t.Errorf("got body\n%s\nwant\n%s", body, wantBody)
	}
	for name, want := range map[string]string{
		"From":                      `"crmguard alerts" <alerts@crmguard.test>`,
		"To":                        "<ops@crmguard.test>, =?utf-8?q?Zo=C3=AB?= <zoe@crmguard.test>",
		"MIME-Version":              "1.0",
		"Content-Type":              "text/plain; charset=utf-8",
		"Content-Transfer-Encoding": "quoted-printable",
		"Auto-Submitted":            "auto-generated",
	} {
		if got := h.Get(name); got != want {
			t.Errorf("got %s %q; want %q", name, got, want)
		}
	}
	if date, err := h.Date(); err != nil || time.Since(date).Abs() > time.Minute {
		t.Errorf("got Date %q (%v); want the time of sending", h.Get("Date"), err)
	}
	id := regexp.MustCompile(`^<[A-Z2-7]{26}@crmguard\.test>$`)
	if !id.MatchString(h.Get("Message-ID")) {
		t.Errorf("got Message-ID %q; want <random@crmguard.test>", h.Get("Message-ID"))
	}
	if !regexp.MustCompile(`^<group-[0-9a-f]{24}@crmguard\.test>$`).MatchString(h.Get("References")) {
		t.Errorf("got References %q; want <group-hash@crmguard.test>", h.Get("References"))
	}
	if strings.Contains(string(d.Data), smtptest.Password) {
		t.Error("the message contains the password")
	}
}

func TestNotify_ThreadsByGroup(t *testing.T) {
	r := smtptest.Start(t, smtptest.Options{TLS: true, Auth: true})
	n := newNotifier(t, options(r))
	m := message()
	resolved := message()
	resolved.Kind, resolved.Status = notify.Resolve, notify.Resolved
	resolved.Alerts[0].Status, resolved.Alerts[0].EndsAt = notify.Resolved, start.Add(time.Hour)
	other := message()
	other.Group = "sf-auth-failures{upstream=hs}"
	for _, msg := range []notify.Message{m, resolved, other} {
		if err := n.Notify(context.Background(), msg); err != nil {
			t.Fatalf("Notify: %v", err)
		}
	}
	deliveries, _ := r.Got()
	if len(deliveries) != 3 {
		t.Fatalf("got %d deliveries; want 3", len(deliveries))
	}
	var ids, refs []string
	for _, d := range deliveries {
		h, _, _ := parse(t, d.Data)
		ids = append(ids, h.Get("Message-ID"))
		refs = append(refs, h.Get("References"))
	}
	if ids[0] == ids[1] || ids[1] == ids[2] || ids[0] == ids[2] {
		t.Errorf("got Message-IDs %q; want each unique", ids)
	}
	if refs[0] != refs[1] || refs[0] == refs[2] {
		t.Errorf("got References %q; want the same for one group and another for the other", refs)
	}
	_, subject, body := parse(t, deliveries[1].Data)
	if want := "[crmguard] RESOLVED critical: sf-auth-failures (upstream=sf)"; subject != want {
		t.Errorf("got subject %q; want %q", subject, want)
	}
	if !strings.Contains(body, "RESOLVED sf-auth-failures (critical)\n") || !strings.Contains(body, "  ended:        2025-03-04 11:00:00 UTC\n") {
		t.Errorf("resolved body lacks its status or end:\n%s", body)
	}
}

func TestNotify_NonASCIISubject(t *testing.T) {
	r := smtptest.Start(t, smtptest.Options{TLS: true, Auth: true})
	n := newNotifier(t, options(r))
	m := message()
	m.GroupLabels["upstream"] = "société-générale"
	m.GroupLabels["region"] = strings.Repeat("é", 60)
	if err := n.Notify(context.Background(), m); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	deliveries, _ := r.Got()
	if len(deliveries) != 1 {
		t.Fatalf("got %d deliveries; want 1", len(deliveries))
	}
	h, subject, _ := parse(t, deliveries[0].Data)
	want := "[crmguard] FIRING critical: sf-auth-failures (region=" + strings.Repeat("é", 60) + ", upstream=société-générale)"
	if subject != want {
		t.Errorf("got subject %q; want %q", subject, want)
	}
	if raw := h.Get("Subject"); !strings.HasPrefix(raw, "=?utf-8?q?") {
		t.Errorf("got raw Subject %q; want RFC 2047 encoded words", raw)
	}
	for _, line := range strings.Split(string(deliveries[0].Data), "\r\n") {
		if len(line) > 998 {
			t.Errorf("a header or body line is %d bytes; RFC 5322 allows 998", len(line))
		}
		if strings.ContainsRune(line, '\n') {
			t.Errorf("line %q has a bare LF", line)
		}
	}
}

func TestNotify_StartTLSRequiredButNotOffered(t *testing.T) {
	r := smtptest.Start(t, smtptest.Options{}) // no TLS, no AUTH
	o := options(r)
	o.Username, o.Password = "", ""
	n := newNotifier(t, o) // StartTLS left empty: required
	err := n.Notify(context.Background(), message())
	if err == nil {
		t.Fatal("Notify succeeded without TLS; want an error")
	}
	for _, want := range []string{"does not offer STARTTLS", "starttls is required", "opportunistic"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if d, _ := r.Got(); len(d) != 0 {
		t.Errorf("got %d deliveries; want none", len(d))
	}
}

func TestNotify_OpportunisticWithoutTLS(t *testing.T) {
	r := smtptest.Start(t, smtptest.Options{})
	o := options(r)
	o.Username, o.Password, o.StartTLS = "", "", StartTLSOpportunistic
	if err := newNotifier(t, o).Notify(context.Background(), message()); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	d, _ := r.Got()
	if len(d) != 1 || d[0].TLS {
		t.Fatalf("got %d deliveries (%+v); want one in clear text", len(d), d)
	}
}

func TestNotify_OpportunisticUpgradesWhenOffered(t *testing.T) {
	r := smtptest.Start(t, smtptest.Options{TLS: true})
	o := options(r)
	o.Username, o.Password, o.StartTLS = "", "", StartTLSOpportunistic
	if err := newNotifier(t, o).Notify(context.Background(), message()); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	d, _ := r.Got()
	if len(d) != 1 || !d[0].TLS {
		t.Fatalf("got %d deliveries (%+v); want one inside TLS", len(d), d)
	}
}

func TestNotify_RefusesCredentialsWithoutTLS(t *testing.T) {
	// The relay offers AUTH in clear text; crmguard must not use it.
	r := smtptest.Start(t, smtptest.Options{Auth: true, InsecureAuth: true})
	o := options(r)
	o.StartTLS = StartTLSOpportunistic
	err := newNotifier(t, o).Notify(context.Background(), message())
	if err == nil || !strings.Contains(err.Error(), "refusing to send the password without TLS") {
		t.Fatalf("got %v; want a refusal to send the password without TLS", err)
	}
	if d, tries := r.Got(); len(d) != 0 || len(tries) != 0 {
		t.Errorf("got %d deliveries and AUTH attempts %q; want none", len(d), tries)
	}
}

func TestNotify_WrongPassword(t *testing.T) {
	r := smtptest.Start(t, smtptest.Options{TLS: true, Auth: true})
	o := options(r)
	o.Password = "not-the-password"
	err := newNotifier(t, o).Notify(context.Background(), message())
	if err == nil {
		t.Fatal("Notify succeeded with a wrong password; want an error")
	}
	for _, want := range []string{"authentication", smtptest.User, "check username and password", "535"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), o.Password) {
		t.Errorf("error %q reveals the password", err)
	}
	if d, tries := r.Got(); len(d) != 0 || len(tries) != 1 {
		t.Errorf("got %d deliveries and AUTH attempts %q; want none and one", len(d), tries)
	}
}

func TestNotify_UntrustedCertificate(t *testing.T) {
	r := smtptest.Start(t, smtptest.Options{TLS: true, Auth: true})
	o := options(r)
	o.TLSConfig = nil // the system's roots do not know the test certificate
	err := newNotifier(t, o).Notify(context.Background(), message())
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("got %v; want a STARTTLS error about the certificate", err)
	}
	if d, tries := r.Got(); len(d) != 0 || len(tries) != 0 {
		t.Errorf("got %d deliveries and AUTH attempts %q; want none", len(d), tries)
	}
}

func TestNotify_RefusedRecipientSendsNothing(t *testing.T) {
	r := smtptest.Start(t, smtptest.Options{TLS: true, Auth: true, Refuse: []string{"zoe@crmguard.test"}})
	err := newNotifier(t, options(r)).Notify(context.Background(), message())
	if err == nil || !strings.Contains(err.Error(), "RCPT TO:<zoe@crmguard.test>") || !strings.Contains(err.Error(), "550") {
		t.Fatalf("got %v; want an error naming the refused recipient", err)
	}
	if d, _ := r.Got(); len(d) != 0 {
		t.Errorf("got %d deliveries; want none, so a retry does not send twice", len(d))
	}
}

func TestNotify_Deadline(t *testing.T) {
	addr := smtptest.SilentListener(t)
	n := newNotifier(t, Options{Addr: addr, From: "alerts@crmguard.test", To: []string{"ops@crmguard.test"}, Timeout: 200 * time.Millisecond})
	begin := time.Now()
	err := n.Notify(context.Background(), message())
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "greeting") {
		t.Errorf("got %v; want a deadline error while reading the greeting", err)
	}
	if d := time.Since(begin); d > 5*time.Second {
		t.Errorf("Notify took %s; want about the 200ms timeout", d)
	}

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	n = newNotifier(t, Options{Addr: addr, From: "alerts@crmguard.test", To: []string{"ops@crmguard.test"}, Timeout: time.Minute})
	begin = time.Now()
	err = n.Notify(ctx, message())
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v; want context.Canceled", err)
	}
	if d := time.Since(begin); d > 5*time.Second {
		t.Errorf("Notify took %s after its context was canceled; want it to stop at once", d)
	}
}

func TestNew_Refuses(t *testing.T) {
	ok := Options{Addr: "127.0.0.1:587", From: "alerts@crmguard.test", To: []string{"ops@crmguard.test"}}
	with := func(f func(*Options)) Options { o := ok; f(&o); return o }
	tests := []struct {
		name    string
		o       Options
		wantErr string
	}{
		{name: "no addr", o: with(func(o *Options) { o.Addr = "" }), wantErr: `smtp server "" is not host:port`},
		{name: "addr without port", o: with(func(o *Options) { o.Addr = "127.0.0.1" }), wantErr: "is not host:port"},
		{name: "addr with bad port", o: with(func(o *Options) { o.Addr = "127.0.0.1:smtp" }), wantErr: `port "smtp" is not a number`},
		{name: "bad from", o: with(func(o *Options) { o.From = "alerts" }), wantErr: `from "alerts" is not an e-mail address`},
		{name: "no recipients", o: with(func(o *Options) { o.To = nil }), wantErr: "to is empty"},
		{name: "bad recipient", o: with(func(o *Options) { o.To = []string{"ops@crmguard.test", "ops at crmguard"} }), wantErr: `to "ops at crmguard"`},
		{name: "unknown start_tls", o: with(func(o *Options) { o.StartTLS = "always" }), wantErr: `starttls "always" is not one of`},
		{name: "credentials without TLS", o: with(func(o *Options) { o.StartTLS, o.Username, o.Password = "none", "u", "p" }), wantErr: "refusing to send the password without TLS"},
		{name: "password without username", o: with(func(o *Options) { o.Password = "p" }), wantErr: "password is set without a username"},
		{name: "negative timeout", o: with(func(o *Options) { o.Timeout = -time.Second }), wantErr: "is negative"},
		{name: "hello with space", o: with(func(o *Options) { o.Hello = "my host" }), wantErr: "has white space"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("got error %v; want one containing %q", err, tc.wantErr)
			}
		})
	}
	if _, err := New(ok); err != nil {
		t.Errorf("New(%+v) = %v; want no error", ok, err)
	}
}

func TestSubject(t *testing.T) {
	firing := func(sev string) notify.Alert { return notify.Alert{Rule: "r", Status: notify.Firing, Severity: sev} }
	resolved := func(sev string) notify.Alert { return notify.Alert{Rule: "r", Status: notify.Resolved, Severity: sev} }
	tests := []struct {
		name string
		m    notify.Message
		want string
	}{
		{name: "firing", m: notify.Message{Status: notify.Firing, GroupLabels: map[string]string{"alertname": "sf-auth-failures", "upstream": "sf"}, Alerts: []notify.Alert{firing("critical")}},
			want: "[crmguard] FIRING critical: sf-auth-failures (upstream=sf)"},
		{name: "most severe firing alert, count of firing", m: notify.Message{Status: notify.Firing, GroupLabels: map[string]string{"alertname": "lag"},
			Alerts: []notify.Alert{firing("warning"), resolved("critical"), firing("info"), firing("warning")}},
			want: "[crmguard] FIRING warning: lag - 3 alerts"},
		{name: "resolved", m: notify.Message{Status: notify.Resolved, GroupLabels: map[string]string{"alertname": "lag", "class": "timeout", "upstream": "hs"},
			Alerts: []notify.Alert{resolved("warning"), resolved("critical")}},
			want: "[crmguard] RESOLVED critical: lag (class=timeout, upstream=hs) - 2 alerts"},
		{name: "rule from the alert when the group has no alertname", m: notify.Message{Status: notify.Firing, Alerts: []notify.Alert{firing("")}},
			want: "[crmguard] FIRING: r"},
		{name: "line breaks cannot start a header", m: notify.Message{Status: notify.Firing, GroupLabels: map[string]string{"alertname": "x", "upstream": "a\r\nBcc: evil@crmguard.test"}},
			want: "[crmguard] FIRING: x (upstream=a  Bcc: evil@crmguard.test)"},
		{name: "long subjects are cut", m: notify.Message{Status: notify.Firing, GroupLabels: map[string]string{"alertname": strings.Repeat("x", 300)}},
			want: "[crmguard] FIRING: " + strings.Repeat("x", maxSubject-len("[crmguard] FIRING: ")-3) + "..."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := subject(tc.m); got != tc.want {
				t.Errorf("subject() = %q; want %q", got, tc.want)
			}
		})
	}
}
