package redact

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
)

// Redactor removes secrets from text and, when MaskPersonal is set, masks
// e-mail addresses and phone numbers in it.
type Redactor struct {
	MaskPersonal bool
}

var (
	// "password": "x", "access_token":"x", 'apiKey': 'x' in JSON and
	// JSON-like text, possibly cut short by the sample limit.
	jsonSecret = regexp.MustCompile(`(?i)("(?:[^"\\]*(?:authori[sz]ation|passw(?:or)?d|pwd|secret|token|api[-_]?key|apikey|session[-_]?id|sessionid|credential|private[-_]?key|signature)[^"\\]*)"\s*:\s*)("(?:[^"\\]|\\.)*"?|[^,}\]\s]+)`)
	// password=x&token=y in forms and query strings.
	formSecret = regexp.MustCompile(`(?i)((?:^|[?&;\s])[\w.-]*(?:passw(?:or)?d|pwd|secret|token|api[-_]?key|apikey|session[-_]?id|sessionid|signature)[\w.-]*=)([^&;\s"]*)`)
	// <password>x</password>, <sessionId>x</sessionId> in XML.
	xmlSecret = regexp.MustCompile(`(?i)(<([\w:]*(?:passw(?:or)?d|secret|token|session[-_]?id|sessionid|api[-_]?key))[^>]*>)([^<]*)`)
	// Bearer and Basic credentials anywhere in text.
	authScheme = regexp.MustCompile(`(?i)\b(bearer|basic|token|oauth)\s+[A-Za-z0-9._~+/=!-]{8,}`)
	// Salesforce session ids look like 00D…!AQ…; JWTs like eyJ….eyJ….x.
	sfSession = regexp.MustCompile(`\b00D[A-Za-z0-9]{12,15}![A-Za-z0-9._]{20,}`)
	jwt       = regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*`)

	email = regexp.MustCompile(`\b([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)\b`)
	// A phone number: an optional +, then digits in groups separated by
	// spaces, dots, dashes or parentheses, 7 to 15 digits in all. A bare
	// digit run is not taken for a phone (it is usually an id) unless it
	// follows "+", and dates and times are not phones.
	phone = regexp.MustCompile(`(?:\+|\b)\(?\d{1,4}\)?(?:[ .\-]?\(?\d{1,5}\)?){2,6}\b`)
	// "phone": "4155552671" — any value of a field named like a phone.
	jsonPhone = regexp.MustCompile(`(?i)("(?:[^"\\]*(?:phone|mobile|fax|tel))"\s*:\s*)"([^"\\]{3,})"`)
)

// Text removes secrets from text: values in s, credentials after an auth
// scheme, labelled secrets in JSON, forms and XML, Salesforce session ids
// and JWTs. With MaskPersonal it then masks e-mail addresses and phones.
func (r Redactor) Text(text string, s *Secrets) string {
	if text == "" {
		return text
	}
	text = s.Scrub(text)
	text = jsonSecret.ReplaceAllString(text, `${1}"`+Mark+`"`)
	text = formSecret.ReplaceAllString(text, `${1}`+Mark)
	text = xmlSecret.ReplaceAllString(text, `${1}`+Mark)
	text = authScheme.ReplaceAllString(text, `${1} `+Mark)
	text = sfSession.ReplaceAllString(text, Mark)
	text = jwt.ReplaceAllString(text, Mark)
	if r.MaskPersonal {
		text = maskPersonal(text)
	}
	return text
}

func maskPersonal(text string) string {
	text = email.ReplaceAllString(text, `${1}***@${2}`)
	text = jsonPhone.ReplaceAllStringFunc(text, func(m string) string {
		sub := jsonPhone.FindStringSubmatch(m)
		return sub[1] + `"` + maskDigits(sub[2]) + `"`
	})
	return phone.ReplaceAllStringFunc(text, func(m string) string {
		if !looksLikePhone(m) {
			return m
		}
		return maskDigits(m)
	})
}

// looksLikePhone filters phone-shaped matches that are something else.
func looksLikePhone(m string) bool {
	digits := 0
	for _, c := range m {
		if c >= '0' && c <= '9' {
			digits++
		}
	}
	if digits < 7 || digits > 15 {
		return false
	}
	if strings.HasPrefix(m, "+") {
		return true
	}
	// Without a "+", demand separators (a bare run is usually an id) and
	// rule out dates such as 2026-11-23 and versions such as 59.0.1.
	if !strings.ContainsAny(m, " -().") {
		return false
	}
	if isDate(m) || strings.Count(m, ".") > 0 && !strings.ContainsAny(m, " -()") {
		return false
	}
	return true
}

func isDate(m string) bool {
	return len(m) >= 10 && m[4] == '-' && m[7] == '-'
}

// maskDigits keeps the last two digits and the layout, so an operator can
// still tell two numbers apart: +1 415 555 2671 → +* *** *** **71.
func maskDigits(m string) string {
	b := []byte(m)
	keep := 2
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] >= '0' && b[i] <= '9' {
			if keep > 0 {
				keep--
				continue
			}
			b[i] = '*'
		}
	}
	return string(b)
}

// Header renders h as "Name: value" lines in name order, with the values of
// secret headers replaced by Mark and the rest passed through Text.
func (r Redactor) Header(h http.Header, s *Secrets) string {
	names := make([]string, 0, len(h))
	for n := range h {
		names = append(names, n)
	}
	slices.Sort(names)
	var b strings.Builder
	for _, n := range names {
		for _, v := range h[n] {
			b.WriteString(n)
			b.WriteString(": ")
			if IsSecretName(n) || strings.EqualFold(n, "Set-Cookie") {
				b.WriteString(Mark)
			} else {
				b.WriteString(r.Text(v, s))
			}
			b.WriteByte('\n')
		}
	}
	return b.String()
}
