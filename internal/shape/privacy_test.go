package shape

import (
	"encoding/json"

	"net/url"
	"strings"
	"testing"
)

// personal are values that must never reach a shape or a contract.
var personal = []string{
	"zebediah.quixotely@example.org",
	"quixotely",
	"Zebediah",
	"+1 415 555 2671",
	"4155552671",
	"742 Evergreen Terrace",
	"078-05-1120",
	"1980-01-31",
	"003XX000004TmiQAAS",
	"987654321",
	"Acme Widgets",
	"Vancouver",
}

func TestPrivacy(t *testing.T) {
	record := `{
		"Id": "003XX000004TmiQAAS",
		"FirstName": "Zebediah", "LastName": "Quixotely",
		"Email": "zebediah.quixotely@example.org",
		"Phone": "+1 415 555 2671", "MobilePhone": "4155552671",
		"MailingStreet": "742 Evergreen Terrace", "MailingCity": "Vancouver",
		"SSN__c": "078-05-1120", "Birthdate": "1980-01-31",
		"AccountNumber": 987654321,
		"Account": {"Name": "Acme Widgets", "Tags": ["Zebediah", "Quixotely"]},
		"Notes": [{"Body": "Call Zebediah Quixotely at +1 415 555 2671"}],
		"byEmail": {"zebediah.quixotely@example.org": {"Name": "Zebediah"}},
		"byPhone": {"+1 415 555 2671": true},
		"byId": {"003XX000004TmiQAAS": "Quixotely"}
	}`
	query := url.Values{
		"q":                              {"SELECT Id FROM Contact WHERE Email = 'zebediah.quixotely@example.org'"},
		"email":                          {"zebediah.quixotely@example.org"},
		"phone":                          {"+1 415 555 2671", "4155552671"},
		"name":                           {"Zebediah Quixotely"},
		"zebediah.quixotely@example.org": {"1"},
		"003XX000004TmiQAAS":             {""},
	}
	var b Book
	for range 6 {
		b.Observe(Exchange{
			Method: "PATCH", Path: "/sobjects/Contact/{id}", Query: query,
			RequestType: "application/json", RequestBody: []byte(record),
			Status: 200, ResponseType: "application/json", ResponseBody: []byte(`[` + record + `]`),
		})
		b.Observe(Exchange{
			Method: "POST", Path: "/sobjects/Contact",
			RequestType: "application/x-www-form-urlencoded", RequestBody: []byte("email=zebediah.quixotely%40example.org"),
			Status: 400, ResponseType: "application/json", ResponseBody: []byte(`{"message":"Zebediah Quixotely already exists"`),
		})
	}
	snapshot, err := json.Marshal(b.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	taken, err := json.Marshal(b.Take())
	if err != nil {
		t.Fatal(err)
	}
	contract, err := Render(b.Snapshot(), RenderOptions{Strict: true, MinSamples: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []struct {
		name string
		text string
	}{
		{"snapshot", string(snapshot)},
		{"take", string(taken)},
		{"contract", string(contract)},
	} {
		t.Run(out.name, func(t *testing.T) {
			lower := strings.ToLower(out.text)
			for _, v := range personal {
				if strings.Contains(lower, strings.ToLower(v)) {
					t.Errorf("%s contains %q:\n%s", out.name, v, out.text)
				}
			}
			// The names are kept: the shape is useless without them.
			for _, name := range []string{"MailingStreet", "SSN__c", "byEmail", "email", "phone"} {
				if !strings.Contains(out.text, name) {
					t.Errorf("%s lacks the name %q", out.name, name)
				}
			}
		})
	}
}
