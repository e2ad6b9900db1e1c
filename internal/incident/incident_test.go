package incident

import (
	"testing"

	"github.com/crmguard/crmguard/internal/fault"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, a, b string
		same       bool
	}{
		{"ids differ", "Account ID: id value of incorrect type: 001900K0001pPuOAAU", "Account ID: id value of incorrect type: 001900K0001pPuXXXX", true},
		{"numbers differ", "Contact already exists. Existing ID: 37765128953", "Contact already exists. Existing ID: 123", true},
		{"quoted differ", `No such column 'Foo__c' on entity 'Contact'`, `No such column 'Bar__c' on entity 'Lead'`, true},
		{"emails differ", "duplicate value for a@b.com", "duplicate value for c.d@e.org", true},
		{"hex codes differ", "error 0x80040333 in plugin", "error 0x8006088a in plugin", true},
		{"words differ", "Session expired or invalid", "This session is not valid for use with the REST API", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			na, nb := Normalize(tc.a), Normalize(tc.b)
			if (na == nb) != tc.same {
				t.Errorf("Normalize(%q) = %q, Normalize(%q) = %q; same = %v, want %v", tc.a, na, tc.b, nb, na == nb, tc.same)
			}
		})
	}
}

func TestFingerprint(t *testing.T) {
	a := Fingerprint("sf", "/x", fault.Auth, "INVALID_SESSION_ID", "m")
	if a != Fingerprint("sf", "/x", fault.Auth, "INVALID_SESSION_ID", "m") {
		t.Fatal("fingerprint not stable")
	}
	for _, b := range []string{
		Fingerprint("hs", "/x", fault.Auth, "INVALID_SESSION_ID", "m"),
		Fingerprint("sf", "/y", fault.Auth, "INVALID_SESSION_ID", "m"),
		Fingerprint("sf", "/x", fault.Permission, "INVALID_SESSION_ID", "m"),
		Fingerprint("sf", "/x", fault.Auth, "OTHER", "m"),
		Fingerprint("sf", "/x", fault.Auth, "INVALID_SESSION_ID", "n"),
		Fingerprint("sf", "/x", fault.Auth, "INVALID_SESSION_IDm", ""),
	} {
		if a == b {
			t.Errorf("different inputs share fingerprint %s", a)
		}
	}
	if len(a) != 16 {
		t.Errorf("fingerprint %q has %d characters; want 16", a, len(a))
	}
}
