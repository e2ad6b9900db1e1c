package dialect

import "strings"

// PathVersion returns the API version segment of a request path, or "" if
// there is none. A version segment is a whole path segment of the form
// v59.0, v3, v9.2, V8, v2.0 or v4_1 (a "v" or "V", digits, and optionally
// one "." or "_" with more digits), returned as written. When the path has
// none, a date version such as HubSpot's 2026-03 (year 2000–2099, month
// 01–12, optionally followed by "-beta") is returned. The first match from
// the left wins; anything after a "?" is ignored.
func PathVersion(path string) string {
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	date := ""
	for rest := path; rest != ""; {
		var seg string
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			seg, rest = rest[:i], rest[i+1:]
		} else {
			seg, rest = rest, ""
		}
		if isVersionSegment(seg) {
			return seg
		}
		if date == "" && isDateVersion(seg) {
			date = seg
		}
	}
	return date
}

// isVersionSegment reports whether seg is v<digits>[(.|_)<digits>].
func isVersionSegment(seg string) bool {
	if len(seg) < 2 || len(seg) > 12 || (seg[0] != 'v' && seg[0] != 'V') {
		return false
	}
	n := digits(seg[1:])
	if n == 0 {
		return false
	}
	rest := seg[1+n:]
	if rest == "" {
		return true
	}
	if rest[0] != '.' && rest[0] != '_' {
		return false
	}
	m := digits(rest[1:])
	return m > 0 && m == len(rest)-1
}

// isDateVersion reports whether seg is YYYY-MM or YYYY-MM-beta with a
// plausible year and month.
func isDateVersion(seg string) bool {
	seg = strings.TrimSuffix(seg, "-beta")
	if len(seg) != 7 || seg[4] != '-' || digits(seg[:4]) != 4 || digits(seg[5:]) != 2 {
		return false
	}
	if seg[0] != '2' || seg[1] != '0' {
		return false
	}
	month := int(seg[5]-'0')*10 + int(seg[6]-'0')
	return month >= 1 && month <= 12
}

// digits returns how many ASCII digits s starts with.
func digits(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}
