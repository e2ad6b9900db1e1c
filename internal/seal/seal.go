// Package seal encrypts the credentials a queued write needs for its
// replay (Authorization, cookies, API keys), so they are stored only as
// ciphertext and only as long as the entry waits. It uses AES-256-GCM with
// a key crmguard reads from the environment, and binds each sealed value
// to the entry it belongs to.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/crmguard/crmguard/internal/redact"
)

// version prefixes every sealed value, so the format can change later
// without misreading what is already stored.
const version = 1

// KeySize is the length of a key: 32 bytes, for AES-256.
const KeySize = 32

// ErrOpen is returned when a sealed value cannot be opened: a wrong key,
// the value of another entry, or a damaged value.
var ErrOpen = errors.New("sealed credentials cannot be opened: wrong key, or not this entry's")

// Sealer seals and opens header sets.
type Sealer struct {
	aead cipher.AEAD
}

// New returns a Sealer for a 32-byte key.
func New(key []byte) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("sealing key has %d bytes; it must have %d (generate one with: openssl rand -hex 32)", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("sealing key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("sealing key: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// ParseKey reads a key written as 64 hex digits or as base64 of 32 bytes,
// the forms `openssl rand -hex 32` and `openssl rand -base64 32` print.
// The error never contains the value.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if k, err := hex.DecodeString(s); err == nil && len(k) == KeySize {
		return k, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil && len(k) == KeySize {
			return k, nil
		}
	}
	return nil, fmt.Errorf("sealing key is not 32 bytes in hex (64 digits) or base64; generate one with: openssl rand -hex 32")
}

// Seal encrypts h for the entry named by bound (its id): the result opens
// only with the same key and the same bound value.
func (s *Sealer) Seal(h http.Header, bound string) ([]byte, error) {
	plain, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("sealing headers: %w", err)
	}
	out := make([]byte, 1, 1+s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	out[0] = version
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("sealing headers: %w", err)
	}
	out = append(out, nonce...)
	return s.aead.Seal(out, nonce, plain, []byte(bound)), nil
}

// Open decrypts a value Seal made for bound.
func (s *Sealer) Open(sealed []byte, bound string) (http.Header, error) {
	n := s.aead.NonceSize()
	if len(sealed) < 1+n+s.aead.Overhead() || sealed[0] != version {
		return nil, ErrOpen
	}
	plain, err := s.aead.Open(nil, sealed[1:1+n], sealed[1+n:], []byte(bound))
	if err != nil {
		return nil, ErrOpen
	}
	var h http.Header
	if err := json.Unmarshal(plain, &h); err != nil {
		return nil, ErrOpen
	}
	return h, nil
}

// Split separates the headers that are secrets (by name: Authorization,
// Cookie, API keys, tokens; see redact.IsSecretName) from the rest, so
// only the secrets need sealing. Neither result shares slices with h.
func Split(h http.Header) (secret, rest http.Header) {
	secret, rest = http.Header{}, http.Header{}
	for k, vs := range h {
		vs = append([]string(nil), vs...)
		if redact.IsSecretName(k) {
			secret[k] = vs
		} else {
			rest[k] = vs
		}
	}
	return secret, rest
}
