package acceptance

import (
	"bytes"
	"fmt"
	"net/mail"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/notify/email/smtptest"
)

// TestReports_ScheduledWrittenAndMailed starts crmguard with a daily
// report and an e-mail notifier for it: yesterday's report is due at
// once, so it is written in both formats and mailed once, with the files
// attached.
func TestReports_ScheduledWrittenAndMailed(t *testing.T) {
	if time.Now().UTC().Hour() == 0 && time.Now().UTC().Minute() < 6 {
		t.Skip("yesterday's report is not due until 00:05 UTC")
	}
	relay := smtptest.Start(t, smtptest.Options{TLS: true, Auth: true})
	caFile := filepath.Join(t.TempDir(), "relay-ca.pem")
	if err := os.WriteFile(caFile, relay.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	startEnv(t, fmt.Sprintf(`
listen: 127.0.0.1:0
admin: {listen: 127.0.0.1:0}
store: sqlite://${DIR}/crmguard.db
upstreams:
  - {name: sf, url: "http://127.0.0.1:9/salesforce", dialect: salesforce}
notifiers:
  - {name: mail, type: email, smtp: "%s", from: crmguard@crmguard.test, to: [ops@crmguard.test],
     username: %s, password_env: SMTP_PASSWORD, ca_file: "%s"}
reports:
  dir: "%s"
  schedule: [daily]
  formats: [html, md]
  email: mail
`, relay.Addr, smtptest.User, caFile, dir), map[string]string{"SMTP_PASSWORD": smtptest.Password})

	day := time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	want := []string{"crmguard-daily-" + day + ".html", "crmguard-daily-" + day + ".md"}
	waitFor(t, "the daily report files and its mail", func() bool {
		for _, f := range want {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				return false
			}
		}
		d, _ := relay.Got()
		return len(d) == 1
	})
	d, _ := relay.Got()
	m, err := mail.ReadMessage(bytes.NewReader(d[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range want {
		if !bytes.Contains(d[0].Data, []byte(`filename=`+f)) && !bytes.Contains(d[0].Data, []byte(`filename="`+f+`"`)) {
			t.Errorf("the mail (subject %q) does not attach %s", m.Header.Get("Subject"), f)
		}
	}
	time.Sleep(500 * time.Millisecond)
	if d, _ := relay.Got(); len(d) != 1 {
		t.Errorf("%d mails; want the report mailed once", len(d))
	}
}
