package normalize

import (
	"encoding/json"
	"errors"
	"testing"
)

// FuzzApply checks that Apply never panics, that it refuses exactly the
// bodies that are not JSON, that what it forwards is JSON, that a body
// without changes comes back as sent, and that its output is already
// normal: applying the rules again changes and finds nothing.
func FuzzApply(f *testing.F) {
	n, err := Compile(fuzzRules())
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(`{"d":"03.04.2025","p":"030 123456","e":" Jane@Example.COM ","x":"abcdef"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		checkApply(t, n, body)
	})
}

// FuzzValue sends one string to every kind of rule, to explore the
// readers of dates, phone numbers and e-mail addresses faster than
// mutating whole bodies does.
func FuzzValue(f *testing.F) {
	n, err := Compile(fuzzRules())
	if err != nil {
		f.Fatal(err)
	}
	for _, v := range []string{"03/04/2025", "2025-04-03T14:30:00+02:00", "3 Apr 2025", "1743638400000", "+44 20 7946 0958", "030 123456", "Jane@Example.COM", " x ", "日本語テキスト"} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		q := string(quote(v))
		checkApply(t, n, []byte(`{"s":`+q+`,"d":`+q+`,"t":`+q+`,"p":`+q+`,"e":`+q+`,"x":`+q+`,"a":{"d":`+q+`,"t":`+q+`,"p":`+q+`}}`))
	})
}

// fuzzRules reach every kind through plain, wildcard and array paths; the
// seeds in testdata/fuzz use their field names.
func fuzzRules() []Rule {
	return []Rule{
		{Field: "s", As: "trim"},
		{Field: "*.s", As: "trim"},
		{Field: "d", As: "date"},
		{Field: "*.d", As: "date", Order: "dmy"},
		{Field: "t", As: "datetime", Zone: "Europe/Berlin"},
		{Field: "*.t", As: "datetime", Format: "2006-01-02 15:04"},
		{Field: "p", As: "phone", Region: "DE"},
		{Field: "*.p", As: "phone", Region: "US"},
		{Field: "e", As: "email"},
		{Field: "*.*.e", As: "email"},
		{Field: "x", As: "text", MaxLength: 3, OnOverflow: "truncate"},
		{Field: "*.x", As: "text", MaxLength: 3},
	}
}

// checkApply checks Apply's promises for one body.
func checkApply(t *testing.T, n *Normalizer, body []byte) {
	t.Helper()
	res, err := n.Apply(body)
	if !json.Valid(body) {
		if !errors.Is(err, ErrNotJSON) {
			t.Fatalf("Apply(%q) error = %v; want ErrNotJSON", body, err)
		}
		return
	}
	if err != nil {
		t.Fatalf("Apply(%q): %v", body, err)
	}
	if !json.Valid(res.Body) {
		t.Fatalf("Apply(%q) = %q, not JSON", body, res.Body)
	}
	if len(res.Changes) == 0 && (len(res.Body) != len(body) || len(body) > 0 && &res.Body[0] != &body[0]) {
		t.Fatalf("Apply(%q) = %q without changes; want the body as sent, the same slice", body, res.Body)
	}
	if len(res.Findings) > 0 {
		return
	}
	again, err := n.Apply(res.Body)
	if err != nil || len(again.Changes) > 0 || len(again.Findings) > 0 {
		t.Fatalf("Apply(%q) = %q, which Apply changes again: %+v, findings %+v, %v", body, res.Body, again.Changes, again.Findings, err)
	}
}
