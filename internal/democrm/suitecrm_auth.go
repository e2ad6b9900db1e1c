package democrm

import (
	"cmp"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// SuiteCRM's OAuth2 server is league/oauth2-server with two grants,
// client_credentials and password, issuing RS256 JWTs that last an hour.
// The sample takes any non-empty credentials, as its Odoo takes any
// password, and accepts any bearer token shaped like a JWT, so that the
// samples and the tests can use a fixed one; the tokens it issued itself
// also expire and can be revoked by logging out.

// suiteTokenTTL is the access token lifetime SuiteCRM configures (PT1H).
const suiteTokenTTL = time.Hour

// suiteToken is an access token the token endpoint issued.
type suiteToken struct {
	expires time.Time
	revoked bool
}

// bearerPrefix is BearerTokenValidator's '/^(?:\s+)?Bearer\s/': only this
// exact scheme name is stripped, so "bearer x" is read as the token.
var bearerPrefix = regexp.MustCompile(`^\s*Bearer\s`)

// bearer returns the JWT of the Authorization header, or the resource
// server's objection to its shape.
func bearer(h http.Header) (string, *oauthErr) {
	vals := h.Values("Authorization")
	if len(vals) == 0 {
		return "", oauthDenied(`Missing "Authorization" header`)
	}
	jwt := strings.TrimSpace(bearerPrefix.ReplaceAllString(vals[0], ""))
	if strings.Count(jwt, ".") != 2 {
		return "", oauthDenied("The JWT string must have two dots")
	}
	return jwt, nil
}

// checkBearer is the resource server's check of a V8 request, in its
// order: the token's shape, then its expiry, then its revocation.
func (d *suitecrm) checkBearer(h http.Header) *oauthErr {
	jwt, e := bearer(h)
	if e != nil {
		return e
	}
	d.mu.Lock()
	t, issued := d.tokens[jwt]
	d.mu.Unlock()
	switch {
	case !issued:
		return nil
	case !d.s.opts.Now().Before(t.expires):
		return oauthDenied("Access token is invalid")
	case t.revoked:
		return oauthDenied("Access token has been revoked")
	}
	return nil
}

// accessToken answers POST /Api/access_token. Parameters come from the
// parsed body, form or JSON, and the client's from HTTP Basic auth when
// the body has none.
func (d *suitecrm) accessToken(o *op) answer {
	q := o.suite
	if q.broken {
		return slimError(q.accept)
	}
	param := func(k string) string { return phpString(q.body[k]) }
	user, pass, _ := (&http.Request{Header: o.header}).BasicAuth()
	grant := param("grant_type")
	if grant != "client_credentials" && grant != "password" {
		return (&oauthErr{status: http.StatusBadRequest, class: "parameter", label: "unsupported_grant_type",
			msg:  "The authorization grant type is not supported by the authorization server.",
			hint: "Check the `grant_type` parameter"}).answer()
	}
	client := cmp.Or(param("client_id"), user)
	if client == "" {
		return oauthInvalidRequest("client_id").answer()
	}
	if cmp.Or(param("client_secret"), pass) == "" {
		// SuiteCRM's client repository finds no client without its secret.
		scheme := "Basic"
		if strings.HasPrefix(o.header.Get("Authorization"), "Bearer") {
			scheme = "Bearer"
		}
		return (&oauthErr{status: http.StatusUnauthorized, class: "auth", label: "invalid_client",
			msg: "Client authentication failed", www: scheme + ` realm="OAuth"`}).answer()
	}
	sub := ""
	if grant == "password" {
		for _, k := range []string{"username", "password"} {
			if param(k) == "" {
				return oauthInvalidRequest(k).answer()
			}
		}
		sub = "1" // the administrator, the demo instance's only user
	}
	now := d.s.opts.Now()
	token := d.issue(client, sub, now)
	body := obj{{"token_type", "Bearer"}, {"expires_in", int(suiteTokenTTL / time.Second)}, {"access_token", token}}
	if grant == "password" {
		// The password grant also hands out a refresh token, encrypted by
		// defuse/php-encryption, whose output starts with def50200.
		body = append(body, kv{"refresh_token", "def50200" + hex.EncodeToString(d.s.randBytes(300))})
	}
	a := jsonAnswer(http.StatusOK, "ok", body)
	a.header.Set("Content-Type", "application/json; charset=UTF-8")
	a.header.Set("Pragma", "no-cache")
	a.header.Set("Cache-Control", "no-store")
	return a
}

// issue makes and records an access token shaped as SuiteCRM's: a JWT
// whose header repeats the jti, signed with RS256 (a random 2048-bit
// signature here).
func (d *suitecrm) issue(client, sub string, now time.Time) string {
	jti := hex.EncodeToString(d.s.randBytes(40))
	head, _ := json.Marshal(obj{{"typ", "JWT"}, {"alg", "RS256"}, {"jti", jti}})
	claims, _ := json.Marshal(obj{{"aud", client}, {"jti", jti}, {"iat", now.Unix()}, {"nbf", now.Unix()},
		{"exp", now.Add(suiteTokenTTL).Unix()}, {"sub", sub}, {"scopes", []string{}}})
	enc := base64.RawURLEncoding
	token := enc.EncodeToString(head) + "." + enc.EncodeToString(claims) + "." + enc.EncodeToString(d.s.randBytes(256))
	d.mu.Lock()
	defer d.mu.Unlock()
	d.tokens[token] = suiteToken{expires: now.Add(suiteTokenTTL)}
	return token
}

// logout answers POST /V8/logout by revoking the request's token.
// LogoutController asks the resource server itself, so logout needs a
// token even where the middleware is off, and it answers a refused one
// with 400 like any exception. The class is auth although the 400 and the
// "not found" text of an unknown token read otherwise.
func (d *suitecrm) logout(o *op) answer {
	if e := d.checkBearer(o.header); e != nil {
		return controllerErr("auth", e.msg).answer()
	}
	jwt, _ := bearer(o.header)
	d.mu.Lock()
	t, issued := d.tokens[jwt]
	if issued {
		t.revoked = true
		d.tokens[jwt] = t
	}
	d.mu.Unlock()
	if !issued {
		return controllerErr("auth", "Access token is not found for this client").answer()
	}
	return suiteMeta(http.StatusOK, "You have been successfully logged out")
}

// randBytes returns n bytes from the server's seeded source.
func (s *Server) randBytes(n int) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(s.rnd.Uint32())
	}
	return b
}
