package normalize

import (
	"fmt"
	"unicode/utf8"
)

// compileText checks and compiles the options of a text rule.
func (r *rule) compileText(cfg Rule) []error {
	var errs []error
	if cfg.MaxLength <= 0 {
		errs = append(errs, fmt.Errorf("max_length is %d; text rules need the most characters the CRM field takes, such as 255", cfg.MaxLength))
	}
	switch cfg.OnOverflow {
	case "", "reject":
	case "truncate":
		r.truncate = true
	default:
		errs = append(errs, fmt.Errorf("on_overflow %q is neither reject nor truncate; say whether longer text is refused (reject) or cut to max_length (truncate)", cfg.OnOverflow))
	}
	if len(errs) > 0 {
		return errs
	}
	r.maxLength = cfg.MaxLength
	r.expected = fmt.Sprintf("at most %d characters", cfg.MaxLength)
	return nil
}

// text holds a string to the rule's length in characters, counted as
// Unicode code points.
func (r *rule) text(s string) (string, *reject) {
	if len(s) <= r.maxLength {
		// A string has at least as many bytes as characters.
		return s, nil
	}
	n := utf8.RuneCountInString(s)
	if n <= r.maxLength {
		return s, nil
	}
	if !r.truncate {
		return s, &reject{rule: "maxLength", expected: r.expected, why: fmt.Sprintf("is %d characters long, over the limit of %d; shorten it", n, r.maxLength)}
	}
	// Cutting at a rune boundary keeps the result valid UTF-8. The
	// decoded body strings are valid UTF-8, so every rune is one step.
	i := 0
	for range r.maxLength {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s[:i], nil
}
