package route

import "strings"

// Operation returns path with every segment that looks like a record id
// replaced by {id}, so /services/data/v59.0/sobjects/Contact/003XX000004TmiQ
// becomes /services/data/v59.0/sobjects/Contact/{id}. The query is not part
// of the operation. Version segments (v59.0, 2026-03) and names (Contact,
// Custom__c, batch) are kept. The result is capped at 200 bytes so a
// client cannot blow up the number of distinct operations with long paths.
func Operation(path string) string { return capLen(collapse(path)) }

// collapse is Operation without the length cap.
func collapse(path string) string {
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if !needsCollapse(path) {
		return path
	}
	var b strings.Builder
	b.Grow(len(path))
	for i, seg := range strings.Split(path, "/") {
		if i > 0 {
			b.WriteByte('/')
		}
		writeSegment(&b, seg)
	}
	return b.String()
}

// writeSegment writes seg, collapsed to {id} if it is one. An OData key in
// parentheses (Dataverse contacts(00000000-…), accounts(name='x')) keeps
// the entity set name: contacts({id}).
func writeSegment(b *strings.Builder, seg string) {
	if open := strings.IndexByte(seg, '('); open > 0 && strings.HasSuffix(seg, ")") {
		b.WriteString(seg[:open])
		b.WriteString("({id})")
		return
	}
	if isID(seg) {
		b.WriteString("{id}")
		return
	}
	b.WriteString(seg)
}

const maxOperation = 200

// capLen cuts s to at most maxOperation bytes at a segment boundary, so a
// cut never leaves half an {id} behind.
func capLen(s string) string {
	if len(s) <= maxOperation {
		return s
	}
	cut := strings.LastIndexByte(s[:maxOperation], '/')
	if cut <= 0 {
		cut = maxOperation
	}
	return s[:cut]
}

// needsCollapse is a quick check that lets paths without any digit, '@',
// '%' or '(' through without splitting: most list and query endpoints.
func needsCollapse(path string) bool {
	for i := range len(path) {
		c := path[i]
		if c >= '0' && c <= '9' || c == '@' || c == '%' || c == '(' {
			return true
		}
	}
	return false
}

// isID reports whether a path segment is a record id rather than a name:
// numbers, UUIDs, long hex strings, Salesforce-style 15/18-character ids,
// e-mail addresses (lookups by e-mail), and other tokens that mix letters
// and digits and are long enough not to be names like "v2" or "oauth2".
func isID(seg string) bool {
	if seg == "" || isVersion(seg) {
		return false
	}
	var digits, letters, other int
	for i := range len(seg) {
		c := seg[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			letters++
		case c == '@' || c == '%':
			return true // e-mail or percent-encoded value
		default:
			other++
		}
	}
	switch {
	case digits == 0:
		return false // a name: Contact, sobjects, batch, Custom__c
	case letters == 0:
		return true // 12345, 2026-11-23, 123-456
	case strings.HasSuffix(seg, "__c") || strings.HasSuffix(seg, "__r"):
		return false // a custom field or object name with digits: Field1__c
	}
	return len(seg) >= 8 // 003XX000004TmiQ, uuids, hashes; not v2, oauth2, s3
}

// isVersion reports whether seg names an API version: v59.0, V8, v4_1,
// v2.0, or a date version such as 2026-03.
func isVersion(seg string) bool {
	if len(seg) >= 2 && (seg[0] == 'v' || seg[0] == 'V') && seg[1] >= '0' && seg[1] <= '9' {
		for i := 2; i < len(seg); i++ {
			c := seg[i]
			if !(c >= '0' && c <= '9' || c == '.' || c == '_') {
				return false
			}
		}
		return true
	}
	// yyyy-mm
	if len(seg) == 7 && seg[4] == '-' {
		for i, c := range []byte(seg) {
			if i != 4 && (c < '0' || c > '9') {
				return false
			}
		}
		return true
	}
	return false
}
