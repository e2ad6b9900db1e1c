package fault_test

import (
	"context"
	"fmt"

	"github.com/crmguard/crmguard/internal/fault"
)

func ExampleFromError() {
	err := fmt.Errorf("round trip: %w", context.DeadlineExceeded)
	c := fault.FromError(err)
	fmt.Println(c, c.Retryable())
	// Output: timeout true
}
