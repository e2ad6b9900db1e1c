package democrm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// SuiteCRM reads its parameters as PHP arrays: the query as PHP parses it,
// the body as Slim decodes it (json_decode into arrays), merged with the
// route placeholders and checked by Symfony's OptionsResolver, whose
// messages become the error details. The helpers here reproduce that
// much. Values are Go's JSON values with numbers kept as json.Number, so
// that an integer and a float are told apart as PHP tells them apart.

// suitePair is one query parameter as sent, decoded.
type suitePair struct{ key, value string }

// phpQuery parses a raw query the way PHP fills $_GET: "page[size]=5"
// becomes {"page": {"size": "5"}} and a later key wins. It also returns
// the decoded pairs in their order.
func phpQuery(raw string) (map[string]any, []suitePair) {
	out := map[string]any{}
	var pairs []suitePair
	for part := range strings.SplitSeq(raw, "&") {
		k, v, _ := strings.Cut(part, "=")
		k, errK := url.QueryUnescape(k)
		v, errV := url.QueryUnescape(v)
		keys := phpKeys(k)
		if errK != nil || errV != nil || keys == nil {
			continue
		}
		pairs = append(pairs, suitePair{k, v})
		m := out
		for i, key := range keys {
			if key == "" {
				key = strconv.Itoa(len(m)) // "a[]" appends
			}
			if i == len(keys)-1 {
				m[key] = v
				break
			}
			next, ok := m[key].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[key] = next
			}
			m = next
		}
	}
	return out, pairs
}

// phpKeys splits "filter[first_name][eq]" into its keys; nil for a
// parameter without a name. PHP turns dots and spaces in the top-level
// name into underscores.
func phpKeys(k string) []string {
	name, rest, nested := strings.Cut(k, "[")
	if name == "" {
		return nil
	}
	keys := []string{strings.NewReplacer(".", "_", " ", "_").Replace(name)}
	for rest = "[" + rest; nested && strings.HasPrefix(rest, "["); {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			break
		}
		keys = append(keys, rest[1:end])
		rest = rest[end+1:]
	}
	return keys
}

// slimBody returns the body as Slim 3's getParsedBody gives it: JSON
// (application/json and any +json type) decoded into arrays, form data
// parsed like a query, nil for other media types and for JSON that does
// not decode (json_decode returns null). broken reports JSON that decodes
// to a scalar, which makes Slim throw.
func slimBody(h http.Header, body []byte) (m map[string]any, broken bool) {
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	switch {
	case mt == "application/x-www-form-urlencoded":
		m, _ := phpQuery(string(body))
		return m, false
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) != nil {
			return nil, false
		}
		if _, err := dec.Token(); err != io.EOF {
			return nil, false // trailing text: json_decode fails as a whole
		}
		if v == nil {
			return nil, false
		}
		m, ok := phpArray(v)
		return m, !ok
	}
	return nil, false
}

// phpArray returns v as a PHP array: JSON objects and lists both are one,
// a list keyed by its indexes. ok is false for scalars and null.
func phpArray(v any) (map[string]any, bool) {
	switch v := v.(type) {
	case map[string]any:
		return v, true
	case []any:
		m := make(map[string]any, len(v))
		for i, x := range v {
			m[strconv.Itoa(i)] = x
		}
		return m, true
	}
	return nil, false
}

// phpType names v's type as Symfony 5 does in its messages (get_debug_type).
func phpType(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case string:
		return "string"
	case json.Number:
		if _, err := v.Int64(); err == nil {
			return "int"
		}
		return "float"
	}
	return "array"
}

// phpValue quotes v as Symfony's OptionsResolver does in its messages.
func phpValue(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(v)
	case string:
		return `"` + v + `"`
	case json.Number:
		return v.String()
	}
	return "array"
}

// phpString returns v as SuiteCRM stores a scalar and reads it back from
// the database: numbers as written, true as "1".
func phpString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		if v {
			return "1"
		}
	}
	return ""
}

// blank reports whether Symfony's NotBlank constraint rejects v: null,
// false, "" and the empty array.
func blank(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case bool:
		return !v
	case string:
		return v == ""
	case map[string]any:
		return len(v) == 0
	case []any:
		return len(v) == 0
	}
	return false
}

// isArray reports whether v is a PHP array.
func isArray(v any) bool {
	_, ok := phpArray(v)
	return ok
}

// The patterns of SuiteCRM's parameter classes (Api/V8/Param/Options).
var (
	// ModuleName::REGEX_MODULE_NAME_PATTERN must not match: names are
	// word characters and do not start with a digit.
	suiteNameRE = regexp.MustCompile(`^[A-Za-z_]\w*$`)
	// Id accepts a number or a hyphenated UUID in any case.
	suiteIDRE = regexp.MustCompile(`(?i)^(\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$`)
	// Sort::REGEX_SORT_PATTERN must not match.
	suiteSortRE = regexp.MustCompile(`[^\w\-]`)
	// Page::REGEX_PAGE_PATTERN must not match.
	suitePageRE = regexp.MustCompile(`[^\d]`)
	// Fields::REGEX_FIELD_PATTERN must not match: PCRE reads it as a
	// character outside a long class followed by "]", so it rarely does.
	suiteFieldRE = regexp.MustCompile("[^\\w !#$%&'*+-=?^_`{|}~@.\\[]\\]")
	hexRE        = regexp.MustCompile(`^[0-9a-fA-F]{32}$`)
)

// looseUUID reports whether Symfony's Uuid constraint in its non-strict
// mode accepts s: braces, a urn:uuid: prefix, upper case and missing
// hyphens pass.
func looseUUID(s string) bool {
	s = strings.TrimPrefix(strings.ToLower(s), "urn:uuid:")
	s = strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	return hexRE.MatchString(strings.ReplaceAll(s, "-", ""))
}

// optUndefined is OptionsResolver's complaint about options it was not
// told of, or nil; like Symfony it sorts both lists.
func optUndefined(given map[string]any, defined ...string) *suiteErr {
	var extra []string
	for k := range given {
		if !slices.Contains(defined, k) {
			extra = append(extra, k)
		}
	}
	if len(extra) == 0 {
		return nil
	}
	slices.Sort(extra)
	defined = slices.Sorted(slices.Values(defined))
	msg := fmt.Sprintf(`The option "%s" does not exist.`, extra[0])
	if len(extra) > 1 {
		msg = fmt.Sprintf(`The options "%s" do not exist.`, strings.Join(extra, `", "`))
	}
	return paramErr(msg + fmt.Sprintf(` Defined options are: "%s".`, strings.Join(defined, `", "`)))
}

// optMissing is OptionsResolver's complaint about a required option.
func optMissing(name string) *suiteErr {
	return paramErr(fmt.Sprintf(`The required option "%s" is missing.`, name))
}

// optInvalid is OptionsResolver's complaint about a value its allowed
// values refuse.
func optInvalid(name string, v any) *suiteErr {
	return paramErr(fmt.Sprintf(`The option "%s" with value %s is invalid.`, name, phpValue(v)))
}

// optType checks v against the allowed type, "string" or "array".
func optType(name string, v any, want string) *suiteErr {
	if (want == "array") == isArray(v) && (want != "string" || phpType(v) == "string") {
		return nil
	}
	return paramErr(fmt.Sprintf(`The option "%s" with value %s is expected to be of type "%s", but is of type "%s".`,
		name, phpValue(v), want, phpType(v)))
}

// optString checks a string option against a pattern it must match,
// NotBlank included.
func optString(name string, v any, re *regexp.Regexp) *suiteErr {
	if e := optType(name, v, "string"); e != nil {
		return e
	}
	if s := v.(string); s == "" || !re.MatchString(s) {
		return optInvalid(name, v)
	}
	return nil
}

// optItems checks every item of an array option against NotBlank and a
// Regex constraint, as createClosureForIterator does; reject is the
// pattern an item must not match (nil for none). Symfony's Regex
// validator throws on an array item rather than reporting it.
func optItems(name string, v any, reject *regexp.Regexp) *suiteErr {
	if e := optType(name, v, "array"); e != nil {
		return e
	}
	m, _ := phpArray(v)
	for _, k := range slices.Sorted(maps.Keys(m)) {
		item := m[k]
		if isArray(item) && reject != nil {
			return paramErr(fmt.Sprintf(`Expected argument of type "string", "%s" given`, phpType(item)))
		}
		if blank(item) || reject != nil && reject.MatchString(phpString(item)) {
			return optInvalid(name, v)
		}
	}
	return nil
}
