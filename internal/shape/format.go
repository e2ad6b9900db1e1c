package shape

import (
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// format is a string format a value was recognised as; at most one per
// value.
type format int

const (
	noFormat format = iota
	formatDate
	formatDateTime
	formatEmail
	formatUUID
	formatURI
)

// formatOf recognises s as one of the formats JSON Schema names. The checks
// are deliberately narrower than the formats' grammars: a learned format
// ends up asserted by the contract validator, so recognising a value it
// would reject would make the draft contract reject real traffic. Cheap
// length and byte tests come first because formatOf runs on every string
// of every observed body.
func formatOf(s string) format {
	switch {
	case len(s) == 10 && s[4] == '-' && s[7] == '-':
		if _, err := time.Parse(time.DateOnly, s); err == nil {
			return formatDate
		}
	case len(s) >= 20 && s[4] == '-' && s[10] == 'T':
		if _, err := time.Parse(time.RFC3339, s); err == nil {
			return formatDateTime
		}
	case len(s) == 36 && isUUID(s):
		return formatUUID
	case strings.Contains(s, "://"):
		// Before the e-mail test: a URL may carry user@ in its authority.
		if isURI(s) {
			return formatURI
		}
	case strings.IndexByte(s, '@') > 0:
		if isEmail(s) {
			return formatEmail
		}
	}
	return noFormat
}

// isUUID reports whether s is 8-4-4-4-12 hexadecimal digits.
func isUUID(s string) bool {
	for i := range len(s) {
		c := s[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return false
			}
			continue
		}
		if !isHex(c) {
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// isEmail accepts the common shape of an address, local@label.label, with
// a plain ASCII local part: a subset of RFC 5321 that every validator's
// "email" accepts, unlike quoted local parts or address literals.
func isEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	local, domain := s[:at], s[at+1:]
	if local == "" || len(local) > 64 || local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return false
	}
	for i := range len(local) {
		c := local[i]
		if !isAlnum(c) && !strings.ContainsRune("!#$%&'*+-/=?^_`{|}~.", rune(c)) {
			return false
		}
	}
	return isHostname(domain)
}

// isHostname accepts dot-separated labels of letters, digits and inner
// hyphens, at least two of them, ending in a label of letters.
func isHostname(s string) bool {
	if len(s) > 253 {
		return false
	}
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := range len(l) {
			if !isAlnum(l[i]) && l[i] != '-' {
				return false
			}
		}
	}
	for _, c := range labels[len(labels)-1] {
		if !unicode.IsLetter(c) {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// isURI accepts absolute http and https URLs with a host and no spaces or
// control characters, the URIs CRM APIs return (record links, next-page
// URLs). Other schemes are left unrecognised rather than risk values a
// validator's RFC 3986 parser refuses.
func isURI(s string) bool {
	for i := range len(s) {
		if s[i] <= ' ' || s[i] == 0x7f || s[i] == '\\' {
			return false
		}
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return false
	}
	return u.Scheme == "http" || u.Scheme == "https"
}

// Property and query parameter names are kept in shapes; values never
// are. keyKind sorts a name into one of three: a name an API designer
// chose, a value used as a key (a map keyed by record id, e-mail or date,
// which would both leak data and explode the shape), or something not to
// keep at all.
type keyKind int

const (
	keyName keyKind = iota
	keyValue
	keyDrop
)

// maxNameLen is the longest name kept; longer keys are not names an API
// designer chose. Dataverse annotation names reach about 90 bytes.
const maxNameLen = 128

// kindOf classifies a property or parameter name. The id test follows
// route.Operation's test for path segments, tightened for names, which
// carry digits more often than path segments do (address_line2, Field1__c).
func kindOf(k string) keyKind {
	// An empty name is legal JSON but no designer's choice, and
	// libopenapi's schema rendering loses it.
	if k == "" || len(k) > maxNameLen || !utf8.ValidString(k) {
		return keyDrop
	}
	var digits, letters int
	for _, c := range k {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case unicode.IsLetter(c):
			letters++
		case c == '%':
			return keyValue // percent-encoded: a value, not a name
		case unicode.IsControl(c) || c == utf8.RuneError:
			return keyDrop
		}
	}
	switch {
	case digits > 0 && letters == 0:
		return keyValue // 12345, 2026-11-23, +1 415 555 2671
	case formatOf(k) != noFormat && !isAnnotation(k):
		return keyValue // e-mail, uuid, URL
	case strings.HasSuffix(k, "__c") || strings.HasSuffix(k, "__r"):
		return keyName // Salesforce custom field: Field1__c
	case digits >= 4 && len(k) >= 8:
		return keyValue // 003XX000004TmiQ, hashes
	}
	return keyName
}

// isAnnotation reports whether k is an OData or Microsoft Graph instance
// annotation such as parentcustomerid_account@odata.bind, which has the
// shape of an e-mail address but is a name (Dataverse, Dynamics 365).
func isAnnotation(k string) bool {
	at := strings.LastIndexByte(k, '@')
	if at < 0 {
		return false
	}
	d := strings.ToLower(k[at+1:])
	return strings.HasPrefix(d, "odata.") || strings.HasPrefix(d, "microsoft.")
}

// isIntegerText reports whether s is a JSON integer literal: an optional
// minus and digits without a leading zero. A JSON number decoded with
// UseNumber keeps its text, so 1.0 and 1e3 count as numbers, as written.
func isIntegerText(s string) bool {
	if strings.HasPrefix(s, "-") {
		s = s[1:]
	}
	if s == "" || len(s) > 1 && s[0] == '0' {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isNumberText reports whether s is a JSON number literal. Query values
// are typed with the JSON grammar, not strconv.ParseFloat, which also
// accepts Inf, NaN, hex floats and underscores.
func isNumberText(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i == len(s) || s[i] < '0' || s[i] > '9' {
			return false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i == len(s) || s[i] < '0' || s[i] > '9' {
			return false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	return i == len(s)
}
