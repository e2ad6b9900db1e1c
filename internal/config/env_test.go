package config

import (
	"strings"
	"testing"
)

func TestExpandEnv(t *testing.T) {
	env := map[string]string{"HOST": "db.internal", "EMPTY": "", "PASS": "p$ss"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	tests := []struct {
		name, in, want, wantErr string
	}{
		{name: "no variables", in: "plain text", want: "plain text"},
		{name: "variable", in: "postgres://${HOST}:5432/db", want: "postgres://db.internal:5432/db"},
		{name: "twice", in: "${HOST}/${HOST}", want: "db.internal/db.internal"},
		{name: "value is not expanded again", in: "${PASS}", want: "p$ss"},
		{name: "set and empty", in: "[${EMPTY}]", want: "[]"},
		{name: "default when unset", in: "${NOPE:-fallback}", want: "fallback"},
		{name: "default when empty", in: "${EMPTY:-fallback}", want: "fallback"},
		{name: "default unused", in: "${HOST:-fallback}", want: "db.internal"},
		{name: "empty default", in: "${NOPE:-}", want: ""},
		{name: "default kept literally", in: "${NOPE:-a$b:-c}", want: "a$b:-c"},
		{name: "escaped dollar", in: "pa$$word", want: "pa$word"},
		{name: "escaped brace", in: "$${HOST}", want: "${HOST}"},
		{name: "unset", in: "${NOPE}", wantErr: "environment variable NOPE is not set; set it, or give a default: ${NOPE:-value}"},
		{name: "lone dollar", in: "pa$word", wantErr: "a lone $ is not expanded"},
		{name: "trailing dollar", in: "cost$", wantErr: "a lone $ is not expanded"},
		{name: "unterminated", in: "${HOST", wantErr: "unterminated ${"},
		{name: "bad name", in: "${1HOST}", wantErr: `invalid variable name "1HOST"`},
		{name: "empty name", in: "${}", wantErr: `invalid variable name ""`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := expandEnv(tc.in, lookup)
			checkParse(t, got, err, tc.want, tc.wantErr)
		})
	}
}

func TestExpandEnv_typed(t *testing.T) {
	env := map[string]string{"N": "12", "YES": "yes", "T": "true"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	tests := []struct {
		name, yaml, wantErr string
	}{
		{name: "plain number", yaml: "recording:\n  buffer: ${N}"},
		{name: "plain bool", yaml: "recording:\n  mask_personal_data: ${T}"},
		{name: "quoted number stays a string", yaml: "recording:\n  buffer: \"${N}\"", wantErr: `x.yaml:2:11: recording.buffer: expected a whole number such as 1000, found "12"`},
		{name: "yes is not a bool", yaml: "recording:\n  mask_personal_data: ${YES}", wantErr: `x.yaml:2:23: recording.mask_personal_data: expected true or false, found "yes"`},
		{name: "keys are not expanded", yaml: "${N}: x", wantErr: `x.yaml:1:1: unknown key "${N}"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := tc.yaml + "\nupstreams: [{name: a, url: \"https://a.example.com\"}]\n"
			_, err := load("x.yaml", []byte(data), lookup)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("got error %v; want none", err)
			case tc.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.wantErr)):
				t.Errorf("got error %v; want one starting %q", err, tc.wantErr)
			}
		})
	}
}
