package alert

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCheckSilence(t *testing.T) {
	start := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		matchers map[string]string
		ends     time.Time
		want     string // "" for a valid silence
	}{
		{"valid", map[string]string{"alertname": "sf-auth-failures", "upstream": "sf*"}, start.Add(time.Hour), ""},
		{"no matchers", nil, start.Add(time.Hour), "no matchers"},
		{"bad label name", map[string]string{"up-stream": "sf"}, start.Add(time.Hour), `matcher "up-stream" is not a label name`},
		{"wildcard only", map[string]string{"upstream": "*"}, start.Add(time.Hour), `matcher upstream="*" matches every value`},
		{"wildcards only", map[string]string{"upstream": "**"}, start.Add(time.Hour), `matches every value`},
		{"ends at start", map[string]string{"upstream": "sf"}, start, "ends_at 2026-03-02T10:00:00Z is not after starts_at 2026-03-02T10:00:00Z"},
		{"ends before start", map[string]string{"upstream": "sf"}, start.Add(-time.Second), "is not after starts_at"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckSilence(Silence{ID: "s", Matchers: tc.matchers, StartsAt: start, EndsAt: tc.ends})
			if tc.want == "" {
				if err != nil {
					t.Fatalf("CheckSilence = %v; want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrSilence) {
				t.Fatalf("CheckSilence = %v; want an error wrapping ErrSilence", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("CheckSilence = %q; want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestSilence_Matches(t *testing.T) {
	labels := map[string]string{"alertname": "sf-auth-failures", "severity": "critical", "upstream": "sf-eu", "class": "auth"}
	tests := []struct {
		name     string
		matchers map[string]string
		labels   map[string]string
		want     bool
	}{
		{"exact", map[string]string{"upstream": "sf-eu"}, labels, true},
		{"exact differs", map[string]string{"upstream": "sf"}, labels, false},
		{"every matcher must match", map[string]string{"upstream": "sf-eu", "class": "server"}, labels, false},
		{"all of several", map[string]string{"upstream": "sf-eu", "class": "auth", "severity": "critical"}, labels, true},
		{"prefix wildcard", map[string]string{"upstream": "sf*"}, labels, true},
		{"suffix wildcard", map[string]string{"alertname": "*-failures"}, labels, true},
		{"inner wildcards", map[string]string{"alertname": "sf*auth*es"}, labels, true},
		{"wildcard is anchored", map[string]string{"upstream": "f*"}, labels, false},
		{"wildcard matches empty text", map[string]string{"upstream": "sf-eu*"}, labels, true},
		{"absent label", map[string]string{"team": "crm"}, labels, false},
		{"absent label with wildcard", map[string]string{"team": "c*"}, labels, false},
		{"dot is literal", map[string]string{"upstream": "sf.eu"}, labels, false},
		{"dot is literal with a wildcard", map[string]string{"upstream": "sf.*"}, labels, false},
		{"dot matches a dot", map[string]string{"upstream": "sf.*"}, map[string]string{"upstream": "sf.eu"}, true},
		{"alternation is literal", map[string]string{"upstream": "(a|b)*"}, map[string]string{"upstream": "a"}, false},
		{"parentheses match themselves", map[string]string{"upstream": "(a|b)*"}, map[string]string{"upstream": "(a|b)-x"}, true},
		{"plus is literal", map[string]string{"upstream": "a+*"}, map[string]string{"upstream": "aa"}, false},
		{"brackets are literal", map[string]string{"upstream": "[ab]*"}, map[string]string{"upstream": "a"}, false},
		{"brackets match themselves", map[string]string{"upstream": "[ab]*"}, map[string]string{"upstream": "[ab]1"}, true},
		{"anchors are literal", map[string]string{"upstream": "^sf*$"}, map[string]string{"upstream": "sf"}, false},
		{"question mark is literal", map[string]string{"upstream": "s?*"}, map[string]string{"upstream": "sf"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := Silence{Matchers: tc.matchers}
			if got := s.Matches(tc.labels); got != tc.want {
				t.Errorf("%v.Matches(%v) = %v; want %v", tc.matchers, tc.labels, got, tc.want)
			}
		})
	}
}

func TestCompileWindow_Errors(t *testing.T) {
	tests := []struct {
		name string
		spec WindowSpec
		want string
	}{
		{"no name", WindowSpec{Days: []string{"sat"}, From: "22:00", To: "02:00"}, "name is required"},
		{"bad matcher", WindowSpec{Name: "w", Matchers: map[string]string{"a b": "x"}, Days: []string{"sat"}, From: "22:00", To: "02:00"},
			`match: "a b" is not a label name`},
		{"no time", WindowSpec{Name: "w"}, "no time: give start and end, or days with from and to"},
		{"once and weekly", WindowSpec{Name: "w", Start: "2026-12-24T18:00:00+01:00", End: "2026-12-27T08:00:00+01:00", Days: []string{"sat"}},
			"separate kinds of window"},
		{"bad start", WindowSpec{Name: "w", Start: "2026-12-24 18:00", End: "2026-12-27T08:00:00+01:00"}, `start "2026-12-24 18:00": want an RFC 3339 time`},
		{"no end", WindowSpec{Name: "w", Start: "2026-12-24T18:00:00+01:00"}, `end "": want an RFC 3339 time`},
		{"end before start", WindowSpec{Name: "w", Start: "2026-12-24T18:00:00+01:00", End: "2026-12-24T16:00:00Z"}, "end is not after start"},
		{"end at start in another zone", WindowSpec{Name: "w", Start: "2026-12-24T18:00:00+01:00", End: "2026-12-24T17:00:00Z"}, "end is not after start"},
		{"bad day", WindowSpec{Name: "w", Days: []string{"saturday"}, From: "22:00", To: "02:00"}, `days: "saturday" is not mon, tue`},
		{"no days", WindowSpec{Name: "w", From: "22:00", To: "02:00"}, "days: name the days"},
		{"bad from", WindowSpec{Name: "w", Days: []string{"sat"}, From: "25:00", To: "02:00"}, `from: "25:00": want a time of day`},
		{"no to", WindowSpec{Name: "w", Days: []string{"sat"}, From: "22:00"}, `to: "": want a time of day`},
		{"empty window", WindowSpec{Name: "w", Days: []string{"sat"}, From: "22:00", To: "22:00"}, "from and to are the same time"},
		{"bad timezone", WindowSpec{Name: "w", Days: []string{"sat"}, From: "22:00", To: "02:00", Timezone: "Mars/Olympus"},
			`timezone "Mars/Olympus": want an IANA zone`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CompileWindow(tc.spec)
			if err == nil {
				t.Fatalf("CompileWindow = nil error; want one mentioning %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("CompileWindow = %q; want it to mention %q", err, tc.want)
			}
		})
	}
}

// mustWindow compiles s or fails t.
func mustWindow(t *testing.T, s WindowSpec) Window {
	t.Helper()
	w, err := CompileWindow(s)
	if err != nil {
		t.Fatalf("CompileWindow(%+v): %v", s, err)
	}
	return w
}

// at parses an RFC 3339 time or fails t.
func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestWindow_Active(t *testing.T) {
	// 2026-01-09 is a Friday and 2026-07-11 a Saturday; Europe/Berlin is
	// UTC+1 on the first and UTC+2 on the second, and changes neither
	// near any of these instants (it does on 2026-03-29 and 2026-10-25).
	tests := []struct {
		name string
		spec WindowSpec
		at   string
		want bool
	}{
		{"once: before", WindowSpec{Start: "2026-12-24T18:00:00+01:00", End: "2026-12-27T08:00:00+01:00"}, "2026-12-24T16:59:59Z", false},
		{"once: at start", WindowSpec{Start: "2026-12-24T18:00:00+01:00", End: "2026-12-27T08:00:00+01:00"}, "2026-12-24T17:00:00Z", true},
		{"once: inside", WindowSpec{Start: "2026-12-24T18:00:00+01:00", End: "2026-12-27T08:00:00+01:00"}, "2026-12-26T12:00:00+01:00", true},
		{"once: at end", WindowSpec{Start: "2026-12-24T18:00:00+01:00", End: "2026-12-27T08:00:00+01:00"}, "2026-12-27T07:00:00Z", false},

		{"weekly: inside", WindowSpec{Days: []string{"mon", "wed"}, From: "09:00", To: "17:00"}, "2026-01-07T12:00:00Z", true},
		{"weekly: at from", WindowSpec{Days: []string{"mon", "wed"}, From: "09:00", To: "17:00"}, "2026-01-07T09:00:00Z", true},
		{"weekly: at to", WindowSpec{Days: []string{"mon", "wed"}, From: "09:00", To: "17:00"}, "2026-01-07T17:00:00Z", false},
		{"weekly: before from", WindowSpec{Days: []string{"mon", "wed"}, From: "09:00", To: "17:00"}, "2026-01-07T08:59:00Z", false},
		{"weekly: other day", WindowSpec{Days: []string{"mon", "wed"}, From: "09:00", To: "17:00"}, "2026-01-08T12:00:00Z", false},
		{"weekly: day names ignore case", WindowSpec{Days: []string{"Thu"}, From: "09:00", To: "17:00"}, "2026-01-08T12:00:00Z", true},

		{"across midnight: Saturday evening", WindowSpec{Days: []string{"sat"}, From: "22:00", To: "02:00"}, "2026-01-10T23:00:00Z", true},
		{"across midnight: Sunday morning", WindowSpec{Days: []string{"sat"}, From: "22:00", To: "02:00"}, "2026-01-11T01:00:00Z", true},
		{"across midnight: Saturday before", WindowSpec{Days: []string{"sat"}, From: "22:00", To: "02:00"}, "2026-01-10T21:00:00Z", false},
		{"across midnight: Sunday after", WindowSpec{Days: []string{"sat"}, From: "22:00", To: "02:00"}, "2026-01-11T03:00:00Z", false},
		{"across midnight: Friday evening", WindowSpec{Days: []string{"sat"}, From: "22:00", To: "02:00"}, "2026-01-09T23:00:00Z", false},
		{"across midnight: Saturday morning", WindowSpec{Days: []string{"sat"}, From: "22:00", To: "02:00"}, "2026-01-10T01:00:00Z", false},
		{"across midnight: Sunday at to", WindowSpec{Days: []string{"sat"}, From: "22:00", To: "02:00"}, "2026-01-11T02:00:00Z", false},
		{"across midnight: Saturday night into Sunday", WindowSpec{Days: []string{"sat", "sun"}, From: "22:00", To: "02:00"}, "2026-01-12T01:00:00Z", true},

		// Berlin is UTC+1 in January: 21:30Z is 22:30 there, 20:30Z 21:30.
		{"Berlin winter: Saturday 22:30 local", WindowSpec{Days: []string{"sat"}, From: "22:00", To: "02:00", Timezone: "Europe/Berlin"},
			"2026-01-10T21:30:00Z", true},
		{"Berlin winter: Saturday 21:30 local", WindowSpec{Days: []string{"sat"}, From: "22:00", To: "02:00", Timezone: "Europe/Berlin"},
			"2026-01-10T20:30:00Z", false},
		// 23:30Z on Saturday is already 00:30 on Sunday in Berlin.
		{"Berlin winter: Sunday 00:30 local", WindowSpec{Days: []string{"sat"}, From: "22:00", To: "02:00", Timezone: "Europe/Berlin"},
			"2026-01-10T23:30:00Z", true},
		{"Berlin winter: Sunday 02:30 local", WindowSpec{Days: []string{"sat"}, From: "22:00", To: "02:00", Timezone: "Europe/Berlin"},
			"2026-01-11T01:30:00Z", false},
		// In July Berlin is UTC+2: 20:30Z is 22:30 there.
		{"Berlin summer: Saturday 22:30 local", WindowSpec{Days: []string{"sat"}, From: "22:00", To: "02:00", Timezone: "Europe/Berlin"},
			"2026-07-11T20:30:00Z", true},
		{"Berlin summer: Saturday 21:30 local", WindowSpec{Days: []string{"sat"}, From: "22:00", To: "02:00", Timezone: "Europe/Berlin"},
			"2026-07-11T19:30:00Z", false},
		{"Berlin summer: Sunday 01:30 local", WindowSpec{Days: []string{"sat"}, From: "22:00", To: "02:00", Timezone: "Europe/Berlin"},
			"2026-07-11T23:30:00Z", true},
		{"Berlin summer: Sunday 02:30 local", WindowSpec{Days: []string{"sat"}, From: "22:00", To: "02:00", Timezone: "Europe/Berlin"},
			"2026-07-12T00:30:00Z", false},
		{"Berlin office hours in UTC terms", WindowSpec{Days: []string{"fri"}, From: "08:00", To: "09:00", Timezone: "Europe/Berlin"},
			"2026-01-09T07:30:00Z", true},
		{"UTC office hours are not Berlin's", WindowSpec{Days: []string{"fri"}, From: "08:00", To: "09:00", Timezone: "Europe/Berlin"},
			"2026-01-09T08:30:00Z", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.spec.Name = "w"
			w := mustWindow(t, tc.spec)
			if got := w.Active(at(t, tc.at)); got != tc.want {
				t.Errorf("Active(%s) = %v; want %v", tc.at, got, tc.want)
			}
		})
	}
}

func TestSilencedBy(t *testing.T) {
	now := time.Date(2026, 1, 10, 23, 0, 0, 0, time.UTC) // a Saturday
	labels := map[string]string{"alertname": "r", "upstream": "sf-eu"}
	silences := []Silence{
		{ID: "active", Matchers: map[string]string{"upstream": "sf*"}, StartsAt: now.Add(-time.Hour), EndsAt: now.Add(time.Hour)},
		{ID: "other-upstream", Matchers: map[string]string{"upstream": "hs"}, StartsAt: now.Add(-time.Hour), EndsAt: now.Add(time.Hour)},
		{ID: "to-come", Matchers: map[string]string{"upstream": "sf-eu"}, StartsAt: now.Add(time.Second), EndsAt: now.Add(time.Hour)},
		{ID: "ended-now", Matchers: map[string]string{"upstream": "sf-eu"}, StartsAt: now.Add(-time.Hour), EndsAt: now},
		{ID: "starts-now", Matchers: map[string]string{"alertname": "r"}, StartsAt: now, EndsAt: now.Add(time.Minute)},
	}
	windows := []Window{
		mustWindow(t, WindowSpec{Name: "weekend", Matchers: map[string]string{"upstream": "sf-eu"}, Days: []string{"sat"}, From: "22:00", To: "02:00"}),
		mustWindow(t, WindowSpec{Name: "weekdays", Days: []string{"mon"}, From: "22:00", To: "02:00"}),
		mustWindow(t, WindowSpec{Name: "hubspot", Matchers: map[string]string{"upstream": "hs"}, Days: []string{"sat"}, From: "22:00", To: "02:00"}),
	}
	got := silencedBy(labels, silences, windows, now)
	want := []string{"silence active", "silence starts-now", "maintenance weekend"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("silencedBy = %q; want %q", got, want)
	}
}
