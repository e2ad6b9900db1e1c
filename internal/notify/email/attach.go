package email

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/textproto"
	"strings"
	"time"
)

// File is an attachment of a mail Send writes.
type File struct {
	Name        string
	ContentType string
	Data        []byte
}

// Send mails subject and a plain-text body with files attached to the
// notifier's recipients, over the same connection rules as Notify:
// crmguard's scheduled reports go out this way.
func (n *Notifier) Send(ctx context.Context, subject, body string, files ...File) error {
	msg, err := n.composeMixed(subject, body, files, time.Now())
	if err != nil {
		return fmt.Errorf("email: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, n.timeout)
	defer cancel()
	if err := n.send(ctx, msg); err != nil {
		return fmt.Errorf("email: %w", err)
	}
	return nil
}

// composeMixed returns a multipart/mixed message: the body as
// quoted-printable text, each file base64-encoded.
func (n *Notifier) composeMixed(subject, body string, files []File, now time.Time) ([]byte, error) {
	domain := n.from.Address[strings.LastIndexByte(n.from.Address, '@')+1:]
	to := make([]string, len(n.to))
	for i, a := range n.to {
		to[i] = a.String()
	}
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	var head bytes.Buffer
	header := func(name, value string) { head.WriteString(name + ": " + value + "\r\n") }
	header("From", n.from.String())
	header("To", strings.Join(to, ",\r\n "))
	header("Subject", encodeHeader(oneLine(subject, maxSubject)))
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", "<"+rand.Text()+"@"+domain+">")
	header("Auto-Submitted", "auto-generated")
	header("MIME-Version", "1.0")
	header("Content-Type", "multipart/mixed; boundary="+mw.Boundary())
	head.WriteString("\r\n")

	text, err := mw.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {"text/plain; charset=utf-8"},
		"Content-Transfer-Encoding": {"quoted-printable"},
	})
	if err != nil {
		return nil, err
	}
	qp := quotedprintable.NewWriter(text)
	if _, err := qp.Write([]byte(strings.ReplaceAll(body, "\n", "\r\n"))); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	for _, f := range files {
		ct := f.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		part, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {ct},
			"Content-Transfer-Encoding": {"base64"},
			"Content-Disposition":       {mime.FormatMediaType("attachment", map[string]string{"filename": f.Name})},
		})
		if err != nil {
			return nil, err
		}
		enc := base64.StdEncoding.EncodeToString(f.Data)
		for len(enc) > 76 { // RFC 2045 line length
			if _, err := part.Write([]byte(enc[:76] + "\r\n")); err != nil {
				return nil, err
			}
			enc = enc[76:]
		}
		if _, err := part.Write([]byte(enc + "\r\n")); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return append(head.Bytes(), b.Bytes()...), nil
}
