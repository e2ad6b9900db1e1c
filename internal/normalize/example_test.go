package normalize_test

import (
	"fmt"

	"github.com/crmguard/crmguard/internal/normalize"
)

func ExampleNormalizer_Apply() {
	n, err := normalize.Compile([]normalize.Rule{
		{Field: "data.attributes.birthdate", As: "date"},
		{Field: "data.attributes.phone", As: "phone", Region: "DE"},
		{Field: "data.attributes.email", As: "email"},
		{Field: "data.attributes.joined", As: "date"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	body := []byte(`{"data": {"type": "contacts", "attributes": {
  "birthdate": "23.11.1985", "phone": "030 123456",
  "email": " Jane.Doe@Example.COM", "joined": "03/04/2025"}}}`)

	res, err := n.Apply(body)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s\n", res.Body)
	for _, c := range res.Changes {
		fmt.Printf("%s %s: %q -> %q\n", c.Rule, c.Pointer, c.From, c.To)
	}
	for _, f := range res.Findings {
		fmt.Println(f.Message)
	}
	// Output:
	// {"data": {"type": "contacts", "attributes": {
	//   "birthdate": "1985-11-23", "phone": "+4930123456",
	//   "email": "Jane.Doe@example.com", "joined": "03/04/2025"}}}
	// date /data/attributes/birthdate: "23.11.1985" -> "1985-11-23"
	// phone /data/attributes/phone: "030 123456" -> "+4930123456"
	// email /data/attributes/email: " Jane.Doe@Example.COM" -> "Jane.Doe@example.com"
	// The value at /data/attributes/joined could be 3 April or 4 March; send it as year-month-day, such as 2025-04-03, or ask for order: dmy or mdy on crmguard's normalize rule.
}
