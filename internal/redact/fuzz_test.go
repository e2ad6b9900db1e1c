package redact

import (
	"net/http"
	"strings"
	"testing"
)

// FuzzText checks that a secret sent in the Authorization header never
// survives redaction of any text that contains it, and that redaction
// never panics.
func FuzzText(f *testing.F) {
	f.Add(`{"message":"Session SECRET expired"}`, "tok-0123456789")
	f.Add("password=hunter22&x=1", "Basic dXNlcjpwYXNz")
	f.Add("<sessionId>abc</sessionId> jane@example.com +1 415 555 2671", "00Dxx!AQabcdefgh")
	f.Fuzz(func(t *testing.T, text, secret string) {
		h := http.Header{}
		h.Set("Authorization", "Bearer "+secret)
		s := FromRequest(h, nil)
		in := strings.ReplaceAll(text, "SECRET", secret)
		out := (Redactor{MaskPersonal: true}).Text(in, s)
		v := strings.TrimSpace(secret)
		if len(v) >= minSecret && !strings.ContainsAny(v, "\r\n") && strings.Contains(out, v) {
			t.Fatalf("secret %q survived in %q", v, out)
		}
	})
}
