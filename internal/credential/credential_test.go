package credential

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/crmguard/crmguard/internal/config"
)

const (
	clientSecret = "s3cr3t-client-value"
	refreshToken = "r3fr3sh-token-value-1"
	apiKeyValue  = "k3y-0123456789abcdef"
)

// env is a fixed environment.
func env(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

func TestNew(t *testing.T) {
	oauth := config.Credentials{Kind: "oauth2", TokenURL: "https://login.example.com/token", ClientID: "id", ClientSecretEnv: "CLIENT_SECRET"}
	refresh := oauth
	refresh.Grant, refresh.RefreshTokenEnv = "refresh_token", "REFRESH_TOKEN"
	tests := []struct {
		name    string
		c       config.Credentials
		env     map[string]string
		wantErr string // "" for none
		nilSrc  bool
	}{
		{name: "no credentials", c: config.Credentials{}, nilSrc: true},
		{name: "api key", c: config.Credentials{Kind: "api_key", KeyEnv: "KEY"}, env: map[string]string{"KEY": apiKeyValue}},
		{name: "api key variable unset", c: config.Credentials{Kind: "api_key", KeyEnv: "PIPEDRIVE_TOKEN"},
			wantErr: "credentials: key_env: environment variable PIPEDRIVE_TOKEN is not set or is empty"},
		{name: "api key variable blank", c: config.Credentials{Kind: "api_key", KeyEnv: "KEY"}, env: map[string]string{"KEY": " \n"},
			wantErr: "environment variable KEY is not set or is empty"},
		{name: "api key without variable name", c: config.Credentials{Kind: "api_key"},
			wantErr: "credentials: key_env: required"},
		{name: "client credentials", c: oauth, env: map[string]string{"CLIENT_SECRET": clientSecret}},
		{name: "client secret unset", c: oauth,
			wantErr: "credentials: client_secret_env: environment variable CLIENT_SECRET is not set or is empty"},
		{name: "refresh token", c: refresh, env: map[string]string{"CLIENT_SECRET": clientSecret, "REFRESH_TOKEN": refreshToken}},
		{name: "refresh token unset", c: refresh, env: map[string]string{"CLIENT_SECRET": clientSecret},
			wantErr: "credentials: refresh_token_env: environment variable REFRESH_TOKEN is not set or is empty"},
		{name: "unknown grant", c: config.Credentials{Kind: "oauth2", Grant: "password", TokenURL: oauth.TokenURL, ClientID: "id", ClientSecretEnv: "CLIENT_SECRET"},
			env: map[string]string{"CLIENT_SECRET": clientSecret}, wantErr: `credentials: grant: unknown grant "password"`},
		{name: "relative token url", c: config.Credentials{Kind: "oauth2", TokenURL: "/token", ClientID: "id", ClientSecretEnv: "CLIENT_SECRET"},
			env: map[string]string{"CLIENT_SECRET": clientSecret}, wantErr: `credentials: token_url: "/token" is not an absolute URL`},
		{name: "unknown kind", c: config.Credentials{Kind: "basic"}, wantErr: `credentials: unknown kind "basic"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src, err := New(tc.c, env(tc.env), nil)
			switch {
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v; want one containing %q", err, tc.wantErr)
				}
				if src != nil {
					t.Errorf("source = %v; want nil with the error", src)
				}
			case err != nil:
				t.Fatalf("err = %v; want none", err)
			case tc.nilSrc != (src == nil):
				t.Errorf("source = %v; want nil: %v", src, tc.nilSrc)
			}
		})
	}
}

func TestAPIKey(t *testing.T) {
	src, err := New(config.Credentials{Kind: "api_key", KeyEnv: "KEY", Header: "x-api-token", Prefix: "Token "},
		env(map[string]string{"KEY": apiKeyValue + "\n"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := src.Header(); got != "X-Api-Token" {
		t.Errorf("Header() = %q; want the canonical X-Api-Token", got)
	}
	h := http.Header{}
	v, err := src.Apply(context.Background(), h)
	if want := "Token " + apiKeyValue; err != nil || v != want || h.Get("X-Api-Token") != want {
		t.Fatalf("Apply = %q, %v, header %q; want %q in X-Api-Token", v, err, h.Get("X-Api-Token"), want)
	}
	src.Invalidate(v)
	if again, _ := src.Apply(context.Background(), http.Header{}); again != v {
		t.Errorf("after Invalidate, Apply = %q; want the same key %q: a key is not fetched anew", again, v)
	}
}

// TestSource_FormattingHidesSecrets checks that printing or logging a
// Source, as a careless log line might, never shows a secret.
func TestSource_FormattingHidesSecrets(t *testing.T) {
	key, err := New(config.Credentials{Kind: "api_key", KeyEnv: "KEY"}, env(map[string]string{"KEY": apiKeyValue}), nil)
	if err != nil {
		t.Fatal(err)
	}
	oauth, err := New(config.Credentials{Kind: "oauth2", Grant: "refresh_token", TokenURL: "https://login.example.com/token",
		ClientID: "id", ClientSecretEnv: "S", RefreshTokenEnv: "R"},
		env(map[string]string{"S": clientSecret, "R": refreshToken}), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range []Source{key, oauth} {
		var logged bytes.Buffer
		slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "source", src)
		slog.New(slog.NewJSONHandler(&logged, nil)).Info("x", "source", src)
		out := fmt.Sprintf("%v %+v %#v %s", src, src, src, src) + logged.String()
		for _, s := range []string{apiKeyValue, clientSecret, refreshToken} {
			if strings.Contains(out, s) {
				t.Errorf("formatted source shows a secret: %s", out)
			}
		}
	}
}
