package nagios_test

import (
	"os"

	"github.com/crmguard/crmguard/internal/nagios"
)

func ExampleResult_Write() {
	warn, _ := nagios.ParseRange("0.05")
	crit, _ := nagios.ParseRange("0.1")
	rate := 0.125
	zero, one := 0.0, 1.0
	r := nagios.Result{
		Service: "CRMGUARD ERROR_RATE",
		Status:  nagios.Evaluate(rate, &warn, &crit),
		Text:    "sf error rate 12.5% over 5m",
		Perf:    []nagios.Perf{{Label: "sf_error_rate", Value: rate, Warn: &warn, Crit: &crit, Min: &zero, Max: &one}},
		Long:    []string{"sf: 25 of 200 calls failed (auth 5, timeout 20)"},
	}
	if err := r.Write(os.Stdout); err != nil {
		return // a plugin would report UNKNOWN and exit 3
	}
	// A plugin then exits with int(r.Status): 2 here.
	// Output:
	// CRMGUARD ERROR_RATE CRITICAL - sf error rate 12.5% over 5m | 'sf_error_rate'=0.125;0.05;0.1;0;1
	// sf: 25 of 200 calls failed (auth 5, timeout 20)
}
