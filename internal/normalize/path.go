package normalize

import (
	"errors"
	"fmt"
	"strings"
)

// wildcard is the path step that matches any one object key.
const wildcard = "*"

// parsePath splits a rule's field into its steps.
func parsePath(field string) ([]string, error) {
	if field == "" {
		return nil, errors.New("field is empty; name the values to normalise with a dotted path such as data.attributes.birthdate")
	}
	steps := strings.Split(field, ".")
	for _, s := range steps {
		switch {
		case s == "":
			return nil, errors.New("field has an empty step; write dot-separated keys such as data.attributes.birthdate, without leading, trailing or doubled dots")
		case s != wildcard && strings.Contains(s, wildcard):
			return nil, fmt.Errorf("field step %q mixes * with other characters; * stands alone for any one key", s)
		case strings.TrimSpace(s) != s:
			return nil, fmt.Errorf("field step %q has surrounding white space; remove it", s)
		}
	}
	return steps, nil
}

// matches reports whether step selects the object key.
func matches(step string, key []byte) bool {
	return step == wildcard || step == string(key)
}

// appendToken appends key to an RFC 6901 pointer as one reference token,
// with ~ written ~0 and / written ~1 (RFC 6901 §3).
func appendToken(ptr, key []byte) []byte {
	ptr = append(ptr, '/')
	for _, c := range key {
		switch c {
		case '~':
			ptr = append(ptr, '~', '0')
		case '/':
			ptr = append(ptr, '~', '1')
		default:
			ptr = append(ptr, c)
		}
	}
	return ptr
}
