package retry_test

import (
	"fmt"

	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/retry"
)

func ExampleDecide() {
	// A create whose connection broke after it was sent: the CRM may have
	// created the record, so it is neither retried nor queued.
	d := retry.Decide(retry.Input{Class: fault.Network, Method: "POST", Reached: true})
	fmt.Println(d.Retry, d.Queue, d.Reason)

	// The same create refused by the rate limit was not processed.
	d = retry.Decide(retry.Input{Class: fault.RateLimit, Method: "POST", Reached: true})
	fmt.Println(d.Retry, d.Queue)

	// A Salesforce upsert by external ID is idempotent.
	d = retry.Decide(retry.Input{Class: fault.Unavailable, Method: "PATCH", Reached: true, Idempotent: true})
	fmt.Println(d.Retry, d.Queue)
	// Output:
	// false false The write may have reached the CRM and cannot be made idempotent; sending it again could duplicate it.
	// true true
	// true true
}
