package normalize

import (
	"net/mail"
	"strings"
)

const emailExpected = "one e-mail address such as jane@example.com, without a display name"

// email trims an e-mail address and lower-cases its domain, which is case
// insensitive (RFC 5321 §2.4); the local part is left as sent, since its
// case may matter to the receiving server.
func (r *rule) email(s string) (string, *reject) {
	t := strings.TrimSpace(s)
	at := strings.IndexByte(t, '@')
	if at < 0 || strings.IndexByte(t[at+1:], '@') >= 0 {
		return s, &reject{rule: r.as, expected: r.expected, why: "does not have exactly one @; send a single address such as jane@example.com"}
	}
	domain := strings.ToLower(t[at+1:])
	addr := t
	if domain != t[at+1:] {
		addr = t[:at] + "@" + domain
	}
	// An address that parses to something other than itself had a
	// display name, angle brackets, comments or quoting, which CRMs
	// refuse in an e-mail field.
	a, err := mail.ParseAddress(addr)
	if err != nil || a.Name != "" || a.Address != addr {
		return s, &reject{rule: r.as, expected: r.expected, why: "is not a bare e-mail address; send the address alone, such as jane@example.com, without a display name, angle brackets or comments"}
	}
	if !fullDomain(domain) {
		return s, &reject{rule: r.as, expected: r.expected, why: "has a domain that is not a full domain name; send one with a dot and no empty parts, such as example.com"}
	}
	return addr, nil
}

// fullDomain reports whether domain is a name of two or more non-empty
// labels. net/mail accepts single-label domains (jane@localhost) and
// address literals (jane@[192.0.2.1]); CRMs do not.
func fullDomain(domain string) bool {
	if !strings.Contains(domain, ".") || strings.ContainsAny(domain, "[]") {
		return false
	}
	for label := range strings.SplitSeq(domain, ".") {
		if label == "" {
			return false
		}
	}
	return true
}
