package redact

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestRedactor_TextRemovesSecrets(t *testing.T) {
	h := http.Header{}
	h.Set("Authorization", "Bearer 00Dxx0000001gPL!AR8AQJXg5oj8jXSgxJfA0lBog.39AsX.LVpxezPwuX5VAIrrbbHMuol7GQxnMeYMN7cj8EoWr78nh5xbEyDz2Ak7xTm7g")
	h.Set("Cookie", "sid=abcdef123456; theme=dark")
	h.Set("X-Api-Key", "key-9f8e7d6c5b4a")
	q := url.Values{"access_token": {"tok-1234567890"}}
	sec := FromRequest(h, q)
	r := Redactor{}
	tests := []struct {
		name, in string
		gone     []string
		kept     []string
	}{
		{"echoed bearer", `[{"message":"Session 00Dxx0000001gPL!AR8AQJXg5oj8jXSgxJfA0lBog.39AsX.LVpxezPwuX5VAIrrbbHMuol7GQxnMeYMN7cj8EoWr78nh5xbEyDz2Ak7xTm7g expired","errorCode":"INVALID_SESSION_ID"}]`,
			[]string{"AR8AQJXg5oj8"}, []string{"INVALID_SESSION_ID", "expired"}},
		{"echoed api key", "invalid key key-9f8e7d6c5b4a for account", []string{"key-9f8e7d6c5b4a"}, []string{"invalid key", "for account"}},
		{"echoed cookie value", "session abcdef123456 unknown", []string{"abcdef123456"}, []string{"unknown"}},
		{"query token", "GET /x?access_token=tok-1234567890&limit=5", []string{"tok-1234567890"}, []string{"limit=5"}},
		{"json password field", `{"username":"u","password":"hunter2","Token__c":"abc"}`, []string{"hunter2", `"abc"`}, []string{`"username":"u"`}},
		{"cut-off json secret", `{"client_secret":"s3cr3tvaluethatisc`, []string{"s3cr3tvalue"}, nil},
		{"form password", "grant_type=password&username=u&password=hunter22&client_id=x", []string{"hunter22"}, []string{"client_id=x"}},
		{"xml session", "<soapenv:Header><sessionId>00Dabc!xyz</sessionId></soapenv:Header>", []string{"00Dabc!xyz"}, []string{"soapenv:Header"}},
		{"unrelated bearer", "use Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig here", []string{"eyJhbGci"}, []string{"here"}},
		{"plain text untouched", "Required fields are missing: [LastName]", nil, []string{"Required fields are missing: [LastName]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := r.Text(tc.in, sec)
			for _, g := range tc.gone {
				if strings.Contains(got, g) {
					t.Errorf("Text(%q) = %q; still contains %q", tc.in, got, g)
				}
			}
			for _, k := range tc.kept {
				if !strings.Contains(got, k) {
					t.Errorf("Text(%q) = %q; lost %q", tc.in, got, k)
				}
			}
		})
	}
}

func TestRedactor_MasksPersonalData(t *testing.T) {
	tests := []struct{ in, want string }{
		{"duplicate: jane.doe@example.com exists", "duplicate: j***@example.com exists"},
		{`{"Phone":"4155552671"}`, `{"Phone":"********71"}`},
		{"call +1 415 555 2671 now", "call +* *** *** **71 now"},
		{"call (415) 555-2671", "call (***) ***-**71"},
		{"Existing ID: 37765128953", "Existing ID: 37765128953"},
		{"at 2026-11-23 10:00", "at 2026-11-23 10:00"},
		{"/services/data/v59.0/sobjects", "/services/data/v59.0/sobjects"},
	}
	for _, tc := range tests {
		if got := (Redactor{MaskPersonal: true}).Text(tc.in, nil); got != tc.want {
			t.Errorf("Text(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
	if got := (Redactor{}).Text("jane@example.com", nil); got != "jane@example.com" {
		t.Errorf("with masking off, Text = %q; want the address kept", got)
	}
}

func TestRedactor_Header(t *testing.T) {
	h := http.Header{}
	h.Set("Authorization", "Bearer abcdefghijk")
	h.Set("Set-Cookie", "sid=1")
	h.Set("Content-Type", "application/json")
	got := (Redactor{}).Header(h, nil)
	want := "Authorization: [redacted]\nContent-Type: application/json\nSet-Cookie: [redacted]\n"
	if got != want {
		t.Errorf("Header() = %q; want %q", got, want)
	}
}
