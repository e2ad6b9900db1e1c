package normalize

import (
	"strings"
	"testing"
)

// benchBody is a JSON:API contact of about 1 KiB with the five targeted
// values filled in.
func benchBody(birthdate, phone, email, lastName string) []byte {
	return []byte(`{
  "data": {
    "type": "contacts",
    "id": "0035g00000XyZabAAB",
    "attributes": {
      "first_name": "Jane",
      "last_name": "` + lastName + `",
      "email": "` + email + `",
      "phone": "` + phone + `",
      "birthdate": "` + birthdate + `",
      "title": "Head of Procurement",
      "department": "Purchasing",
      "mailing_street": "Friedrichstraße 123",
      "mailing_city": "Berlin",
      "mailing_postal_code": "10117",
      "mailing_country": "DE",
      "lead_source": "Web",
      "do_not_call": false,
      "annual_revenue": 1250000.50,
      "number_of_employees": 240,
      "description": "Met at the spring trade fair; interested in the enterprise plan and a pilot in Q3. Prefers e-mail, German or English."
    },
    "relationships": {
      "account": {"data": {"type": "accounts", "id": "0015g00000AbCdeAAB"}},
      "owner": {"data": {"type": "users", "id": "0055g00000FgHijAAB"}}
    }
  },
  "meta": {"source": "webshop", "request_id": "8a3f6c2e-5d41-4b7a-9e0c-1f2d3c4b5a69", "tags": ["b2b", "trade-fair", "2025"]}
}`)
}

func benchApply(b *testing.B, body []byte, changes int) {
	// A typical rule set for a JSON:API contact.
	n, err := Compile([]Rule{
		{Field: "data.attributes.birthdate", As: "date"},
		{Field: "data.attributes.phone", As: "phone", Region: "DE"},
		{Field: "data.attributes.email", As: "email"},
		{Field: "data.attributes.last_name", As: "trim"},
		{Field: "data.attributes.description", As: "text", MaxLength: 500, OnOverflow: "truncate"},
	})
	if err != nil {
		b.Fatal(err)
	}
	res, err := n.Apply(body)
	if err != nil || len(res.Changes) != changes || len(res.Findings) != 0 {
		b.Fatalf("Apply: %d changes, findings %+v, %v; want %d changes", len(res.Changes), res.Findings, err, changes)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := n.Apply(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApplyNormal is the common case: every targeted value is already
// in its normal form.
func BenchmarkApplyNormal(b *testing.B) {
	benchApply(b, benchBody("1985-11-23", "+4930123456", "jane.doe@example.com", "Doe"), 0)
}

// BenchmarkApplyChanges rewrites all four values that need it.
func BenchmarkApplyChanges(b *testing.B) {
	benchApply(b, benchBody("23.11.1985", "030 123456", " Jane.Doe@Example.COM", "  Doe "), 4)
}

// BenchmarkApplyNoMatch has none of the rules' fields.
func BenchmarkApplyNoMatch(b *testing.B) {
	body := benchBody("1985-11-23", "+4930123456", "jane.doe@example.com", "Doe")
	body = []byte(strings.ReplaceAll(string(body), `"attributes"`, `"fields"`))
	benchApply(b, body, 0)
}
