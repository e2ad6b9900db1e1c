package config

import (
	"fmt"
	"strings"
)

// expandEnv replaces ${VAR} and ${VAR:-default} in s with values from
// lookup, and $$ with a literal $. ${VAR} is an error when VAR is unset;
// ${VAR:-default} gives default when VAR is unset or empty, as in the
// shell. The default is taken literally up to the first '}'. Any other $
// is an error, so that a mistyped $VAR is not silently kept.
func expandEnv(s string, lookup func(string) (string, bool)) (string, error) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '$')
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		b.WriteString(s[:i])
		s = s[i+1:]
		switch {
		case strings.HasPrefix(s, "$"):
			b.WriteByte('$')
			s = s[1:]
		case strings.HasPrefix(s, "{"):
			end := strings.IndexByte(s, '}')
			if end < 0 {
				return "", fmt.Errorf("unterminated ${ in %q; write ${VAR} or ${VAR:-default}, and $$ for a literal $", s[1:])
			}
			expr := s[1:end]
			s = s[end+1:]
			name, def, hasDef := strings.Cut(expr, ":-")
			if !isEnvName(name) {
				return "", fmt.Errorf("invalid variable name %q in ${%s}; names are letters, digits and _, not starting with a digit", name, expr)
			}
			v, ok := lookup(name)
			switch {
			case hasDef && v == "":
				v = def
			case !ok:
				return "", fmt.Errorf("environment variable %s is not set; set it, or give a default: ${%s:-value}", name, name)
			}
			b.WriteString(v)
		default:
			return "", fmt.Errorf("a lone $ is not expanded; write ${VAR} for a variable or $$ for a literal $")
		}
	}
}

// isEnvName reports whether s is a portable environment variable name,
// ^[A-Za-z_][A-Za-z0-9_]*$.
func isEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
