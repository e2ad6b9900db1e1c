package seal

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"
)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

func TestSealer_RoundTripAndBinding(t *testing.T) {
	s, err := New(testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{"Authorization": {"Bearer 00Dxx!secret-token"}, "Cookie": {"sid=abc"}}
	sealed, err := s.Seal(h, "entry-1")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("secret-token")) || bytes.Contains(sealed, []byte("sid=abc")) {
		t.Fatal("sealed value contains the secret in clear")
	}
	got, err := s.Open(sealed, "entry-1")
	if err != nil || got.Get("Authorization") != "Bearer 00Dxx!secret-token" || got.Get("Cookie") != "sid=abc" {
		t.Fatalf("Open = %v, %v", got, err)
	}
	again, _ := s.Seal(h, "entry-1")
	if bytes.Equal(again, sealed) {
		t.Error("two seals of the same headers are equal: the nonce is not fresh")
	}
	other, _ := New(testKey(2))
	damaged := append([]byte(nil), sealed...)
	damaged[len(damaged)-1] ^= 1
	for name, try := range map[string]func() (http.Header, error){
		"another entry": func() (http.Header, error) { return s.Open(sealed, "entry-2") },
		"another key":   func() (http.Header, error) { return other.Open(sealed, "entry-1") },
		"damaged":       func() (http.Header, error) { return s.Open(damaged, "entry-1") },
		"too short":     func() (http.Header, error) { return s.Open(sealed[:10], "entry-1") },
		"empty":         func() (http.Header, error) { return s.Open(nil, "entry-1") },
	} {
		if _, err := try(); !errors.Is(err, ErrOpen) {
			t.Errorf("%s: Open error = %v; want ErrOpen", name, err)
		}
	}
}

func TestParseKey(t *testing.T) {
	hexKey := strings.Repeat("ab", 32)
	for _, in := range []string{hexKey, " " + hexKey + "\n", "q83vq83vq83vq83vq83vq83vq83vq83vq83vq83vq80=", "q83vq83vq83vq83vq83vq83vq83vq83vq83vq83vq80"} {
		if k, err := ParseKey(in); err != nil || len(k) != KeySize {
			t.Errorf("ParseKey(%q) = %d bytes, %v", in, len(k), err)
		}
	}
	for _, in := range []string{"", "short", strings.Repeat("ab", 16), "not hex or base64 !!"} {
		_, err := ParseKey(in)
		if err == nil {
			t.Errorf("ParseKey(%q) gave no error", in)
		} else if in != "" && strings.Contains(err.Error(), in) {
			t.Errorf("the error repeats the key: %v", err)
		}
	}
	if _, err := New(testKey(1)[:16]); err == nil {
		t.Error("New accepted a 16-byte key")
	}
}

func TestSplit(t *testing.T) {
	h := http.Header{"Authorization": {"Bearer x"}, "X-Api-Key": {"k"}, "Content-Type": {"application/json"}, "If-Match": {`"1"`}}
	secret, rest := Split(h)
	if len(secret) != 2 || secret.Get("Authorization") == "" || secret.Get("X-Api-Key") == "" {
		t.Errorf("secret = %v", secret)
	}
	if len(rest) != 2 || rest.Get("Content-Type") == "" || rest.Get("If-Match") == "" {
		t.Errorf("rest = %v", rest)
	}
	secret["Authorization"][0] = "changed"
	if h.Get("Authorization") != "Bearer x" {
		t.Error("Split shares slices with its input")
	}
}
