package dialect

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/crmguard/crmguard/internal/fault"
)

// trimSpace returns b without leading and trailing JSON white space and
// without a leading UTF-8 byte order mark.
func trimSpace(b []byte) []byte {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	return bytes.Trim(b, " \t\r\n")
}

// readObject reads the body shape most CRMs share. A JSON object is
// decoded into a T and handed to read; one that does not decode (cut short
// by the inspection limit, or not quite JSON) goes to sniff, if given. An
// HTML or XML page is read by pageVerdict. ok is false when nothing in the
// body said anything, and the caller falls back to the status.
func readObject[T any](b []byte, read func(*T) (Verdict, bool), sniff func([]byte) (Verdict, bool)) (Verdict, bool) {
	if len(b) == 0 {
		return Verdict{}, false
	}
	switch b[0] {
	case '{':
		var t T
		if decode(b, &t) {
			return read(&t)
		}
		if sniff != nil {
			return sniff(b)
		}
	case '<':
		return pageVerdict(b)
	}
	return Verdict{}, false
}

// decode unmarshals the JSON in b into v. It reports success also when
// some values had the wrong type: encoding/json then fills every other
// field, which is what a tolerant reader of error bodies wants. Any other
// failure (not JSON, cut short) reports false.
func decode(b []byte, v any) bool {
	err := json.Unmarshal(b, v)
	if err == nil {
		return true
	}
	var te *json.UnmarshalTypeError
	return errors.As(err, &te)
}

// scalar returns a JSON string's content, or a number's or boolean's
// literal text, and "" for anything else (null, object, array, absent).
func scalar(raw json.RawMessage) string {
	raw = trimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	switch c := raw[0]; {
	case c == '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
		return ""
	case c == '-' || (c >= '0' && c <= '9'), c == 't', c == 'f':
		return string(raw)
	}
	return ""
}

// maxSniff bounds the length of a value sniffValue returns.
const maxSniff = 4096

// sniffValue finds the first member "key" in b whose value is a string or a
// number and returns that value (a string's content, a number's literal).
// It does not parse the JSON, so it works on a body that was cut short; it
// serves as the best-effort reading of bodies that do not decode. A string
// value cut off before its closing quote does not count.
func sniffValue(b []byte, key string) string {
	return sniffWhere(b, key, func(string) bool { return true })
}

// sniffWhere is sniffValue returning the first value that keep accepts.
func sniffWhere(b []byte, key string, keep func(string) bool) string {
	pat := make([]byte, 0, len(key)+2)
	pat = append(pat, '"')
	pat = append(pat, key...)
	pat = append(pat, '"')
	for off := 0; off < len(b); {
		i := bytes.Index(b[off:], pat)
		if i < 0 {
			return ""
		}
		j := off + i + len(pat)
		off = j
		j = skipSpace(b, j)
		if j >= len(b) || b[j] != ':' {
			continue
		}
		j = skipSpace(b, j+1)
		if j >= len(b) {
			return ""
		}
		if v, ok := scalarAt(b, j); ok && keep(v) {
			return v
		}
	}
	return ""
}

// scalarAt reads the JSON string or number that starts at b[i].
func scalarAt(b []byte, i int) (string, bool) {
	switch c := b[i]; {
	case c == '"':
		for k := i + 1; k < len(b) && k-i <= maxSniff; k++ {
			switch b[k] {
			case '\\':
				k++
			case '"':
				raw := b[i : k+1]
				if s, err := strconv.Unquote(string(raw)); err == nil {
					return s, true
				}
				return string(raw[1 : len(raw)-1]), true
			}
		}
		return "", false
	case c == '-' || (c >= '0' && c <= '9'):
		k := i + 1
		for k < len(b) && k-i < 64 && bytes.IndexByte([]byte("0123456789.eE+-"), b[k]) >= 0 {
			k++
		}
		return string(b[i:k]), true
	}
	return "", false
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// containsFold reports whether s contains the ASCII substring sub, ignoring
// ASCII case. sub must be lower case.
func containsFold(s, sub string) bool {
	n := len(sub)
	if n == 0 {
		return true
	}
	for i := 0; i+n <= len(s); i++ {
		if equalFoldASCII(s[i:i+n], sub) {
			return true
		}
	}
	return false
}

func equalFoldASCII(s, lower string) bool {
	for i := 0; i < len(lower); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// head returns at most the first n bytes of b.
func head(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// isMarkup reports whether b looks like an HTML or XML document rather
// than JSON.
func isMarkup(b []byte) bool {
	b = trimSpace(b)
	return len(b) > 0 && b[0] == '<'
}

// isHTML reports whether b is an HTML page.
func isHTML(b []byte) bool {
	if !isMarkup(b) {
		return false
	}
	s := string(head(trimSpace(b), 1024))
	return containsFold(s, "<html") || containsFold(s, "<!doctype html")
}

// isMaintenancePage reports whether b is an HTML page announcing
// maintenance or an outage, as CDNs and CRMs serve while down. Only the
// first 8 KiB are looked at.
func isMaintenancePage(b []byte) bool {
	if !isHTML(b) {
		return false
	}
	s := string(head(b, 8<<10))
	for _, w := range []string{"maintenance", "temporarily unavailable", "service unavailable", "down for"} {
		if containsFold(s, w) {
			return true
		}
	}
	return false
}

// pageVerdict classifies an HTML page where the CRM's API answer was
// expected: a maintenance page is unavailable whatever the status, because
// CDNs and load balancers serve them with 200 and 500 as well as 503.
func pageVerdict(b []byte) (Verdict, bool) {
	if isMaintenancePage(b) {
		return Verdict{Class: fault.Unavailable}, true
	}
	return Verdict{}, false
}
