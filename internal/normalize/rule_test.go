package normalize

import (
	"strings"
	"testing"
	"time"
)

func TestCompile_errors(t *testing.T) {
	good := Rule{Field: "email", As: "email"}
	tests := []struct {
		name  string
		rules []Rule
		want  []string // parts of the error, each expected
	}{
		{
			name:  "unknown as",
			rules: []Rule{{Field: "x", As: "zip"}},
			want:  []string{`normalize[0] (field "x"): as "zip" is not a kind of value normalize knows; use date, datetime, phone, email, trim or text`},
		},
		{
			name:  "missing as",
			rules: []Rule{{Field: "x"}},
			want:  []string{`normalize[0] (field "x"): as is missing`},
		},
		{
			name:  "bad region names its index",
			rules: []Rule{good, good, {Field: "phone", As: "phone", Region: "XX"}},
			want:  []string{`normalize[2] (field "phone"): region "XX" is not a region phonenumbers knows; use an ISO 3166-1 alpha-2 code such as CN, DE or US`},
		},
		{
			name:  "UK is not ISO 3166-1",
			rules: []Rule{{Field: "phone", As: "phone", Region: "UK"}},
			want:  []string{`region "UK" is not a region phonenumbers knows`},
		},
		{
			name:  "missing region",
			rules: []Rule{{Field: "phone", As: "phone"}},
			want:  []string{`normalize[0] (field "phone"): region is missing`},
		},
		{
			name:  "date format without a year",
			rules: []Rule{{Field: "d", As: "date", Format: "02.01."}},
			want:  []string{`normalize[0] (field "d"): format "02.01." does not write a date that reads back as the same date (23 November 2025 comes out as "23.11.")`},
		},
		{
			name:  "date format that is no layout",
			rules: []Rule{{Field: "d", As: "date", Format: "YYYY-MM-DD"}},
			want:  []string{`format "YYYY-MM-DD" does not write a date`},
		},
		{
			name:  "datetime format without the time",
			rules: []Rule{{Field: "d", As: "datetime", Format: "2006-01-02"}},
			want:  []string{`format "2006-01-02" does not write a date and time that reads back as the same minute`, "or as: date for dates alone"},
		},
		{
			name:  "datetime format with hours alone",
			rules: []Rule{{Field: "d", As: "datetime", Format: "2006-01-02T15Z07:00"}},
			want:  []string{`format "2006-01-02T15Z07:00" does not write a date and time`},
		},
		{
			name:  "bad order",
			rules: []Rule{{Field: "d", As: "date", Order: "ymd"}},
			want:  []string{`normalize[0] (field "d"): order "ymd" is neither dmy nor mdy`},
		},
		{
			name:  "unknown zone",
			rules: []Rule{{Field: "d", As: "datetime", Zone: "Mars/Olympus"}},
			want:  []string{`normalize[0] (field "d"): zone "Mars/Olympus" is not an IANA time zone`},
		},
		{
			name:  "local zone",
			rules: []Rule{{Field: "d", As: "datetime", Zone: "Local"}},
			want:  []string{`zone "Local" depends on the machine`},
		},
		{
			name:  "zero max_length",
			rules: []Rule{{Field: "n", As: "text"}},
			want:  []string{`normalize[0] (field "n"): max_length is 0; text rules need`},
		},
		{
			name:  "negative max_length",
			rules: []Rule{{Field: "n", As: "text", MaxLength: -1}},
			want:  []string{`max_length is -1`},
		},
		{
			name:  "unknown on_overflow",
			rules: []Rule{{Field: "n", As: "text", MaxLength: 5, OnOverflow: "drop"}},
			want:  []string{`normalize[0] (field "n"): on_overflow "drop" is neither reject nor truncate`},
		},
		{
			name:  "empty field",
			rules: []Rule{{As: "trim"}},
			want:  []string{`normalize[0] (field ""): field is empty`},
		},
		{
			name:  "doubled dot",
			rules: []Rule{{Field: "a..b", As: "trim"}},
			want:  []string{`normalize[0] (field "a..b"): field has an empty step`},
		},
		{
			name:  "leading dot",
			rules: []Rule{{Field: ".a", As: "trim"}},
			want:  []string{`field has an empty step`},
		},
		{
			name:  "trailing dot",
			rules: []Rule{{Field: "a.", As: "trim"}},
			want:  []string{`field has an empty step`},
		},
		{
			name:  "partial wildcard",
			rules: []Rule{{Field: "data.attr*", As: "trim"}},
			want:  []string{`field step "attr*" mixes * with other characters`},
		},
		{
			name:  "step with spaces",
			rules: []Rule{{Field: "data. name", As: "trim"}},
			want:  []string{`field step " name" has surrounding white space`},
		},
		{
			name:  "option of another kind",
			rules: []Rule{{Field: "d", As: "date", Region: "DE", MaxLength: 3}},
			want:  []string{`region applies only to phone rules, not to date`, `max_length applies only to text rules, not to date`},
		},
		{
			name:  "zone on a date",
			rules: []Rule{{Field: "d", As: "date", Zone: "UTC"}},
			want:  []string{`zone applies only to datetime rules, not to date`},
		},
		{
			name:  "every problem reported",
			rules: []Rule{{Field: "", As: "phone", Region: "XX"}, good, {Field: "n", As: "text"}},
			want:  []string{`normalize[0] (field ""): field is empty`, `normalize[0] (field ""): region "XX"`, `normalize[2] (field "n"): max_length is 0`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := Compile(tc.rules)
			if err == nil {
				t.Fatalf("Compile = %v, nil; want an error", n)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error =\n%v\nwant it to contain\n%s", err, w)
				}
			}
		})
	}
}

func TestCompile_valid(t *testing.T) {
	rules := []Rule{
		{Field: "birthdate", As: "date"},
		{Field: "d", As: "date", Format: "02.01.2006", Order: "dmy"},
		{Field: "d", As: "date", Format: time.RFC3339},
		{Field: "t", As: "datetime", Zone: "America/New_York", Order: "mdy"},
		{Field: "t", As: "datetime", Format: "2006-01-02 15:04"},
		{Field: "t", As: "datetime", Format: "2006-01-02T15:04:05.000Z0700"},
		{Field: "*.phone", As: "phone", Region: "CN"},
		{Field: "data.attributes.email", As: "email"},
		{Field: "*", As: "trim"},
		{Field: "a/b.c~d", As: "text", MaxLength: 1, OnOverflow: "truncate"},
		{Field: "n", As: "text", MaxLength: 255, OnOverflow: "reject"},
	}
	if _, err := Compile(rules); err != nil {
		t.Fatalf("Compile: %v", err)
	}
	if _, err := Compile(nil); err != nil {
		t.Fatalf("Compile(nil): %v", err)
	}
}
