package normalize

import (
	"errors"
	"strings"
	"testing"

	"github.com/crmguard/crmguard/internal/fault"
)

// TestApply_values runs each rule set on the body {"v": in}. An empty
// want means in must come back untouched; a non-empty finding names the
// Finding.Rule expected instead of a rewrite.
func TestApply_values(t *testing.T) {
	date := []Rule{{Field: "v", As: "date"}}
	dmy := []Rule{{Field: "v", As: "date", Order: "dmy"}}
	mdy := []Rule{{Field: "v", As: "date", Order: "mdy"}}
	datetime := []Rule{{Field: "v", As: "datetime"}}
	berlin := []Rule{{Field: "v", As: "datetime", Zone: "Europe/Berlin"}}
	berlinLocal := []Rule{{Field: "v", As: "datetime", Zone: "Europe/Berlin", Format: "2006-01-02 15:04"}}
	phone := func(region string) []Rule { return []Rule{{Field: "v", As: "phone", Region: region}} }
	email := []Rule{{Field: "v", As: "email"}}
	trim := []Rule{{Field: "v", As: "trim"}}
	text := func(n int, overflow string) []Rule {
		return []Rule{{Field: "v", As: "text", MaxLength: n, OnOverflow: overflow}}
	}

	tests := []struct {
		name    string
		rules   []Rule
		in      string // the JSON value sent
		want    string // the JSON value forwarded; empty when in is forwarded untouched
		finding string // the finding's rule; empty when none
	}{
		{name: "date already normal", rules: date, in: `"2025-04-03"`},
		{name: "date ISO with slashes", rules: date, in: `"2025/04/03"`, want: `"2025-04-03"`},
		{name: "date ISO unpadded", rules: date, in: `"2025-4-3"`, want: `"2025-04-03"`},
		{name: "date compact", rules: date, in: `"20250403"`, want: `"2025-04-03"`},
		{name: "date dotted day first", rules: date, in: `"03.04.2025"`, want: `"2025-04-03"`},
		{name: "date dotted unpadded", rules: date, in: `"3.4.2025"`, want: `"2025-04-03"`},
		{name: "date dotted ignores order mdy", rules: mdy, in: `"03.04.2025"`, want: `"2025-04-03"`},
		{name: "date day month-name year", rules: date, in: `"3 Apr 2025"`, want: `"2025-04-03"`},
		{name: "date month name in lower case", rules: date, in: `"3 apr 2025"`, want: `"2025-04-03"`},
		{name: "date month-name day, year", rules: date, in: `"Apr 3, 2025"`, want: `"2025-04-03"`},
		{name: "date long month-name day, year", rules: date, in: `"April 3, 2025"`, want: `"2025-04-03"`},
		{name: "date day long month-name year", rules: date, in: `"3 April 2025"`, want: `"2025-04-03"`},
		{name: "date dashed month name", rules: date, in: `"03-Apr-2025"`, want: `"2025-04-03"`},
		{name: "date RFC 3339 keeps its own offset's date", rules: date, in: `"2025-04-03T23:30:00-05:00"`, want: `"2025-04-03"`},
		{name: "date RFC 3339 east of UTC", rules: date, in: `"2025-04-03T01:30:00+02:00"`, want: `"2025-04-03"`},
		{name: "date with time and no offset", rules: date, in: `"2025-04-03 15:04:05"`, want: `"2025-04-03"`},
		{name: "date Salesforce datetime", rules: date, in: `"2025-04-03T12:30:00.000+0000"`, want: `"2025-04-03"`},
		{name: "date surrounding space", rules: date, in: `" 2025-04-03 "`, want: `"2025-04-03"`},
		{name: "date ambiguous day and month rejected", rules: date, in: `"03/04/2025"`, finding: "date"},
		{name: "date ambiguous dashed rejected", rules: date, in: `"3-4-2025"`, finding: "date"},
		{name: "date ambiguous with order dmy", rules: dmy, in: `"03/04/2025"`, want: `"2025-04-03"`},
		{name: "date ambiguous with order mdy", rules: mdy, in: `"03/04/2025"`, want: `"2025-03-04"`},
		{name: "date day over 12 is the day", rules: date, in: `"25/04/2025"`, want: `"2025-04-25"`},
		{name: "date month first when second part over 12", rules: date, in: `"04/25/2025"`, want: `"2025-04-25"`},
		{name: "date dashed day first", rules: date, in: `"13-4-2025"`, want: `"2025-04-13"`},
		{name: "date equal day and month", rules: date, in: `"04/04/2025"`, want: `"2025-04-04"`},
		{name: "date order mdy refuses a thirteenth month", rules: mdy, in: `"25/04/2025"`, finding: "date"},
		{name: "date day zero", rules: date, in: `"00/05/2025"`, finding: "date"},
		{name: "date leap day", rules: date, in: `"2024-02-29"`, want: ""},
		{name: "date invalid calendar date", rules: date, in: `"2025-02-30"`, finding: "date"},
		{name: "date invalid calendar date by name", rules: date, in: `"30 Feb 2025"`, finding: "date"},
		{name: "date month 13", rules: date, in: `"2025-13-01"`, finding: "date"},
		{name: "date year 0", rules: date, in: `"0000-01-01"`, finding: "date"},
		{name: "date two-digit year", rules: date, in: `"03/04/25"`, finding: "date"},
		{name: "date two-digit year dotted", rules: dmy, in: `"3.4.25"`, finding: "date"},
		{name: "date epoch seconds string", rules: date, in: `"1743638400"`, want: `"2025-04-03"`},
		{name: "date epoch milliseconds string", rules: date, in: `"1743638400000"`, want: `"2025-04-03"`},
		{name: "date epoch seconds number", rules: date, in: `1743638400`, want: `"2025-04-03"`},
		{name: "date epoch milliseconds number", rules: date, in: `1743690600000`, want: `"2025-04-03"`},
		{name: "date nine digits", rules: date, in: `"174363840"`, finding: "date"},
		{name: "date number that is no Unix time", rules: date, in: `20250403`, finding: "date"},
		{name: "date fractional number", rules: date, in: `1743638400.5`, finding: "date"},
		{name: "date unreadable", rules: date, in: `"soon"`, finding: "date"},
		{name: "date object", rules: date, in: `{"y":2025}`, finding: "type"},
		{name: "date boolean", rules: date, in: `true`, finding: "type"},
		{name: "date empty string left alone", rules: date, in: `""`},
		{name: "date blank string emptied", rules: date, in: `"  "`, want: `""`},
		{name: "date custom format", rules: []Rule{{Field: "v", As: "date", Format: "02.01.2006"}}, in: `"2025-04-03"`, want: `"03.04.2025"`},
		{name: "date custom format already normal", rules: []Rule{{Field: "v", As: "date", Format: "02.01.2006"}}, in: `"03.04.2025"`},

		{name: "datetime already normal", rules: datetime, in: `"2025-04-03T12:30:00Z"`},
		{name: "datetime offset written in UTC", rules: datetime, in: `"2025-04-03T14:30:00+02:00"`, want: `"2025-04-03T12:30:00Z"`},
		{name: "datetime without offset read in zone", rules: berlin, in: `"2025-04-03 14:30"`, want: `"2025-04-03T12:30:00Z"`},
		{name: "datetime date alone is midnight in zone", rules: berlin, in: `"2025-04-03"`, want: `"2025-04-02T22:00:00Z"`},
		{name: "datetime layout without zone written in zone", rules: berlinLocal, in: `"2025-04-03T12:30:00Z"`, want: `"2025-04-03 14:30"`},
		{name: "datetime epoch number", rules: datetime, in: `1743690600`, want: `"2025-04-03T14:30:00Z"`},
		{name: "datetime epoch milliseconds string", rules: datetime, in: `"1743690600000"`, want: `"2025-04-03T14:30:00Z"`},
		{name: "datetime ambiguous", rules: datetime, in: `"03/04/2025"`, finding: "datetime"},
		{name: "datetime invalid calendar date", rules: datetime, in: `"2025-02-30T10:00:00Z"`, finding: "datetime"},
		{name: "datetime unreadable", rules: datetime, in: `"tomorrow noon"`, finding: "datetime"},
		{name: "datetime moved into year 0", rules: datetime, in: `"0001-01-01T00:30:00+01:00"`, finding: "datetime"},
		{name: "datetime moved into year 10000", rules: datetime, in: `"9999-12-31T23:30:00-01:00"`, finding: "datetime"},
		{name: "datetime last minute of year 9999", rules: datetime, in: `"9999-12-31T23:59:00Z"`},

		{name: "phone CN mobile", rules: phone("CN"), in: `"138 0013 8000"`, want: `"+8613800138000"`},
		{name: "phone DE landline", rules: phone("DE"), in: `"030 123456"`, want: `"+4930123456"`},
		{name: "phone US", rules: phone("US"), in: `"(415) 555-2671"`, want: `"+14155552671"`},
		{name: "phone explicit country code wins", rules: phone("US"), in: `"+44 20 7946 0958"`, want: `"+442079460958"`},
		{name: "phone region in lower case", rules: phone("de"), in: `"030 123456"`, want: `"+4930123456"`},
		{name: "phone already E.164", rules: phone("DE"), in: `"+4930123456"`},
		{name: "phone too short", rules: phone("US"), in: `"12345"`, finding: "phone"},
		{name: "phone not a number", rules: phone("US"), in: `"call me"`, finding: "phone"},
		{name: "phone with extension", rules: phone("US"), in: `"+1 415 555 2671 ext. 12"`, finding: "phone"},
		{name: "phone as JSON number", rules: phone("DE"), in: `4930123456`, finding: "type"},

		{name: "email already normal", rules: email, in: `"jane@example.com"`},
		{name: "email trimmed and domain lower-cased", rules: email, in: `" Jane.Doe@Example.COM "`, want: `"Jane.Doe@example.com"`},
		{name: "email display name", rules: email, in: `"Jane Doe <jane@example.com>"`, finding: "email"},
		{name: "email angle brackets", rules: email, in: `"<jane@example.com>"`, finding: "email"},
		{name: "email two @", rules: email, in: `"jane@doe@example.com"`, finding: "email"},
		{name: "email no @", rules: email, in: `"jane.example.com"`, finding: "email"},
		{name: "email domain without dot", rules: email, in: `"jane@localhost"`, finding: "email"},
		{name: "email empty label", rules: email, in: `"jane@example..com"`, finding: "email"},
		{name: "email trailing dot", rules: email, in: `"jane@example.com."`, finding: "email"},
		{name: "email address literal", rules: email, in: `"jane@[192.0.2.1]"`, finding: "email"},
		{name: "email number", rules: email, in: `42`, finding: "type"},

		{name: "trim", rules: trim, in: `"  Jane \t"`, want: `"Jane"`},
		{name: "trim nothing to trim", rules: trim, in: `"Jane"`},
		{name: "trim leaves numbers", rules: trim, in: `42`},
		{name: "trim leaves objects", rules: trim, in: `{"a":" b "}`},

		{name: "text at the limit", rules: text(5, ""), in: `"hello"`},
		{name: "text over the limit rejected", rules: text(5, "reject"), in: `"hello!"`, finding: "maxLength"},
		{name: "text over the limit truncated", rules: text(5, "truncate"), in: `"hello!"`, want: `"hello"`},
		{name: "text multibyte at the limit", rules: text(3, ""), in: `"日本語"`},
		{name: "text multibyte rejected", rules: text(3, ""), in: `"日本語テキスト"`, finding: "maxLength"},
		{name: "text multibyte truncated", rules: text(3, "truncate"), in: `"日本語テキスト"`, want: `"日本語"`},
		{name: "text two-byte runes truncated", rules: text(5, "truncate"), in: `"héllo wörld"`, want: `"héllo"`},
		{name: "text four-byte runes truncated", rules: text(2, "truncate"), in: `"😀😀😀"`, want: `"😀😀"`},
		{name: "text escapes count as what they decode to", rules: text(3, ""), in: `"\u00e9\u00e9\u00e9"`},
		{name: "text number", rules: text(3, ""), in: `1234`, finding: "type"},

		{name: "rules in order: trim then text", rules: []Rule{{Field: "v", As: "trim"}, {Field: "v", As: "text", MaxLength: 3}}, in: `"  abc  "`, want: `"abc"`},
		{name: "rules in order: text before trim rejects", rules: []Rule{{Field: "v", As: "text", MaxLength: 3}, {Field: "v", As: "trim"}}, in: `"  abc  "`, finding: "maxLength"},
		{name: "rules in order: date then text", rules: []Rule{{Field: "v", As: "date"}, {Field: "v", As: "text", MaxLength: 10}}, in: `1743638400`, want: `"2025-04-03"`},
		{name: "null left alone", rules: date, in: `null`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := Compile(tc.rules)
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			in := []byte(`{"v":` + tc.in + `}`)
			res, err := n.Apply(in)
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if tc.finding != "" {
				if len(res.Findings) != 1 {
					t.Fatalf("findings = %+v; want one with rule %s", res.Findings, tc.finding)
				}
				f := res.Findings[0]
				if f.Rule != tc.finding || f.Class != fault.DataFormat || f.In != "body" || f.Pointer != "/v" {
					t.Errorf("finding = %+v; want rule %s, class data_format, in body, pointer /v", f, tc.finding)
				}
				if f.Expected == "" || !strings.HasPrefix(f.Message, "The value at /v ") || !strings.HasSuffix(f.Message, ".") {
					t.Errorf("finding expected %q, message %q; want both, the message a sentence naming /v", f.Expected, f.Message)
				}
				return
			}
			if len(res.Findings) > 0 {
				t.Fatalf("findings = %+v; want none", res.Findings)
			}
			want := tc.want
			if want == "" {
				want = tc.in
			}
			if got := string(res.Body); got != `{"v":`+want+`}` {
				t.Errorf("body = %s; want {\"v\":%s}", got, want)
			}
			if changed := want != tc.in; changed != (len(res.Changes) > 0) {
				t.Errorf("changes = %+v; want changes: %v", res.Changes, changed)
			}
		})
	}
}

// TestApply_findingSent checks what a finding says about the value sent.
func TestApply_findingSent(t *testing.T) {
	long := strings.Repeat("é", 150) // 300 bytes
	tests := []struct {
		name     string
		rule     Rule
		body     string
		sent     string
		expected string
		message  string // a part of the message
	}{
		{
			name:     "ambiguous date",
			rule:     Rule{Field: "birthdate", As: "date"},
			body:     `{"birthdate":"03/04/2025"}`,
			sent:     "03/04/2025",
			expected: "a date such as 2025-04-03, 03.04.2025 or 3 Apr 2025, written as 2006-01-02",
			message:  "The value at /birthdate could be 3 April or 4 March; send it as year-month-day, such as 2025-04-03, or ask for order: dmy or mdy",
		},
		{
			name:     "text cut to 200 bytes on a rune boundary",
			rule:     Rule{Field: "note", As: "text", MaxLength: 10},
			body:     `{"note":"` + long + `"}`,
			sent:     strings.Repeat("é", 100) + "…",
			expected: "at most 10 characters",
			message:  "is 150 characters long, over the limit of 10",
		},
		{
			name:     "object sent as written",
			rule:     Rule{Field: "email", As: "email"},
			body:     `{"email": {"work" : "a@b.c"}}`,
			sent:     `{"work" : "a@b.c"}`,
			expected: "a string",
			message:  "is an object, not an e-mail address",
		},
		{
			name:     "phone number as JSON number",
			rule:     Rule{Field: "phone", As: "phone", Region: "DE"},
			body:     `{"phone":4930123456}`,
			sent:     "4930123456",
			expected: "a string",
			message:  "send phone numbers as strings",
		},
		{
			name:     "invalid phone names the region",
			rule:     Rule{Field: "phone", As: "phone", Region: "DE"},
			body:     `{"phone":"0"}`,
			sent:     "0",
			expected: "a phone number valid in DE, or any valid number with its +country code, written in E.164 such as +4930123456",
			message:  "is not a valid phone number in DE",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := Compile([]Rule{tc.rule})
			if err != nil {
				t.Fatal(err)
			}
			res, err := n.Apply([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Findings) != 1 {
				t.Fatalf("findings = %+v; want 1", res.Findings)
			}
			f := res.Findings[0]
			if f.Sent != tc.sent {
				t.Errorf("sent = %q; want %q", f.Sent, tc.sent)
			}
			if f.Expected != tc.expected {
				t.Errorf("expected = %q; want %q", f.Expected, tc.expected)
			}
			if !strings.Contains(f.Message, tc.message) {
				t.Errorf("message = %q; want it to contain %q", f.Message, tc.message)
			}
		})
	}
}

// TestApply_notJSON checks that a body that is not JSON is an error that
// says where.
func TestApply_notJSON(t *testing.T) {
	n, err := Compile([]Rule{{Field: "v", As: "trim"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		body string
		want string
	}{
		{name: "empty", body: ``, want: "unexpected end of JSON input"},
		{name: "bad value", body: "{\n  \"v\": x}", want: "line 2, column 8 (byte offset 9)"},
		{name: "trailing data", body: `{} {}`, want: "after top-level value"},
		{name: "unterminated", body: `{"v":"abc`, want: "unexpected end of JSON input"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := n.Apply([]byte(tc.body))
			if !errors.Is(err, ErrNotJSON) {
				t.Fatalf("err = %v; want ErrNotJSON", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v; want it to contain %q", err, tc.want)
			}
		})
	}
}
