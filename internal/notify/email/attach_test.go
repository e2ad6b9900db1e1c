package email

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"

	"github.com/crmguard/crmguard/internal/notify/email/smtptest"
)

func TestSend_Attachments(t *testing.T) {
	r := smtptest.Start(t, smtptest.Options{TLS: true, Auth: true})
	n := newNotifier(t, options(r))
	html := []byte("<html><body>report € 42</body></html>" + strings.Repeat("x", 200))
	if err := n.Send(t.Context(), "[crmguard] daily report 2026-11-22", "calls 256\nfailed 16\n",
		File{Name: "crmguard-daily-2026-11-22.html", ContentType: "text/html; charset=utf-8", Data: html},
		File{Name: "crmguard-daily-2026-11-22.md", Data: []byte("# report\n")}); err != nil {
		t.Fatal(err)
	}
	deliveries, _ := r.Got()
	if len(deliveries) != 1 || !deliveries[0].TLS {
		t.Fatalf("%d deliveries; want one, over TLS", len(deliveries))
	}
	m, err := mail.ReadMessage(bytes.NewReader(deliveries[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Header.Get("Subject"); got != "[crmguard] daily report 2026-11-22" {
		t.Errorf("subject %q", got)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" {
		t.Fatalf("content type %q (%v); want multipart/mixed", m.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	var parts []*multipart.Part
	var bodies [][]byte
	for {
		p, err := mr.NextPart() // decodes quoted-printable itself
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		parts = append(parts, p)
		bodies = append(bodies, b)
	}
	if len(parts) != 3 {
		t.Fatalf("%d parts; want the text and two files", len(parts))
	}
	if string(bodies[0]) != "calls 256\r\nfailed 16\r\n" {
		t.Errorf("text part %q", bodies[0])
	}
	if parts[1].FileName() != "crmguard-daily-2026-11-22.html" || parts[2].FileName() != "crmguard-daily-2026-11-22.md" {
		t.Errorf("attachments named %q and %q", parts[1].FileName(), parts[2].FileName())
	}
	for i, want := range [][]byte{html, []byte("# report\n")} {
		got, err := decodeBase64Part(bodies[i+1])
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("attachment %d decodes to %q (%v); want %q", i+1, got, err, want)
		}
	}
	for _, line := range strings.Split(string(deliveries[0].Data), "\r\n") {
		if len(line) > 998 {
			t.Errorf("a line of %d bytes; SMTP allows 998", len(line))
		}
	}
}

func decodeBase64Part(b []byte) ([]byte, error) {
	return base64.StdEncoding.DecodeString(strings.ReplaceAll(string(b), "\r\n", ""))
}
