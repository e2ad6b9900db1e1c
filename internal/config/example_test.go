package config_test

import (
	"fmt"

	"github.com/crmguard/crmguard/internal/config"
)

func ExampleLoad() {
	_, err := config.Load("crmguard.yaml", []byte(`listen: 127.0.0.1:8080
upstreams:
  - name: sf
    url: https://example.my.salesforce.com
    dialet: salesforce
    timeout: 30
`))
	fmt.Println(err)
	// Output:
	// crmguard.yaml:5:5: upstreams[0]: unknown key "dialet" (did you mean "dialect"?; known keys: name, url, dialect, timeout, client_header, failover, retry, breaker, quota, queue, credentials, contract, normalize, versions)
	// crmguard.yaml:6:14: upstreams[0].timeout: invalid duration "30": the number has no unit; write e.g. "30s" (units: ms, s, m, h)
}

func ExampleNew() {
	c := config.New(config.Upstream{Name: "sf", URL: "https://example.my.salesforce.com", Dialect: "salesforce"})
	c.Recording.SampleBytes = 0 // keep no samples
	if err := c.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Listen, c.Store, c.Upstreams[0].Timeout, c.Recording.SampleBytes)
	// Output: 127.0.0.1:8080 sqlite://crmguard.db 30s 0
}
