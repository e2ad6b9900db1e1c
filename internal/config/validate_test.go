package config

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func TestNew(t *testing.T) {
	c := New(Upstream{Name: "sf", URL: "https://example.my.salesforce.com"})
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate() = %v; want nil", err)
	}
	if got, want := c.Upstreams[0].Dialect, "generic"; got != want {
		t.Errorf("dialect = %q; want %q", got, want)
	}
	if got, want := c.Upstreams[0].Timeout, Duration(30*time.Second); got != want {
		t.Errorf("timeout = %v; want %v", got, want)
	}
	if !c.Recording.MaskPersonal() {
		t.Errorf("MaskPersonal() = false; want true")
	}
}

func TestNew_copiesUpstreams(t *testing.T) {
	ups := []Upstream{{Name: "sf", URL: "https://example.my.salesforce.com"}}
	New(ups...)
	if ups[0].Dialect != "" {
		t.Errorf("New changed its argument: dialect = %q", ups[0].Dialect)
	}
}

func TestApplyDefaults_keepsValues(t *testing.T) {
	c := &Config{
		Listen:    ":9000",
		Recording: Recording{Batch: 7, MaskPersonalData: new(false)},
		Upstreams: []Upstream{{Name: "hs", URL: "https://api.hubapi.com", Dialect: "hubspot", Timeout: Duration(time.Minute)}},
	}
	c.ApplyDefaults()
	if c.Listen != ":9000" || c.Recording.Batch != 7 || c.Recording.MaskPersonal() ||
		c.Upstreams[0].Dialect != "hubspot" || c.Upstreams[0].Timeout != Duration(time.Minute) {
		t.Errorf("ApplyDefaults overwrote a set value: %+v", c)
	}
	if c.Recording.Buffer != 65536 || c.Store != "sqlite://crmguard.db" {
		t.Errorf("ApplyDefaults left a zero value: %+v", c)
	}
	var nilConfig *Config
	nilConfig.ApplyDefaults() // must not panic
	if err := nilConfig.Validate(); err == nil {
		t.Errorf("nil Config: Validate() = nil; want an error")
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(c *Config)
		want []string // every line of the error, in order
	}{
		{"valid", func(c *Config) {}, nil},
		{"no samples", func(c *Config) { c.Recording.SampleBytes = 0 }, nil},
		{"postgresql scheme", func(c *Config) { c.Store = "postgresql://u:p@h/db" }, nil},
		{"unix socket postgres", func(c *Config) { c.Store = "postgres:///crmguard?host=/run/postgresql" }, nil},
		{"all interfaces", func(c *Config) { c.Listen = ":8080"; c.Admin.Listen = "[::1]:8081" }, nil},
		{"port 0 twice", func(c *Config) { c.Listen = "127.0.0.1:0"; c.Admin.Listen = "127.0.0.1:0" }, nil},
		{"max timeout", func(c *Config) { c.Upstreams[0].Timeout = Duration(24 * time.Hour) }, nil},
		{"empty", func(c *Config) { *c = Config{} }, []string{
			"listen: required; write host:port, e.g. 127.0.0.1:8080",
			"admin.listen: required;",
			"admin.token_env: required;",
			"store: required;",
			"recording.buffer: must be at least 1",
			"recording.batch: must be from 1 to 100000",
			"recording.flush_interval: must be greater than 0",
			"recording.rollup_interval: must be greater than 0",
			"recording.inspect_bytes: must be from 4KiB to 64MiB, got 0",
			"retention.calls: must be greater than 0",
			"retention.rollups: must be greater than 0",
			"incidents.resolve_after: must be greater than 0",
			`log.level: unknown level ""`,
			`log.format: unknown format ""`,
			"queue.key_env: required;",
			"queue.workers: must be from 1 to 64, got 0",
			"queue.lease: must be greater than 0",
			"queue.poll: must be greater than 0",
			"queue.backoff: must be greater than 0",
			"queue.max_backoff: must be greater than 0",
			"queue.keep: must be greater than 0",
			"upstreams: no upstreams configured",
			"alerts.evaluate_every: must be greater than 0",
			"alerts.repeat_interval: must be greater than 0",
			"alerts.keep_resolved: must be greater than 0",
		}},
		{"alert problems", func(c *Config) {
			c.Notifiers = []Notifier{
				{Name: "ops", Type: "webhook", Timeout: Duration(time.Second)},
				{Name: "ops", Type: "pager", Timeout: Duration(time.Second)},
				{Name: "mail", Type: "email", SMTP: "smtp.example.com", StartTLS: "always", Username: "u", Timeout: Duration(time.Second)},
				{Name: "hook", Type: "webhook", URL: "https://hooks.example.com/x", Template: `{"text": "{{.Summary}}"}`, Timeout: Duration(time.Second)},
				{Name: "chat", Type: "slack", URL: "https://hooks.example.com/y", Template: `{}`, Timeout: Duration(time.Second)},
			}
			c.Alerts.Rules = []AlertRule{
				{Name: "a", When: AlertCondition{Upstream: "sf", Class: "auth", RateOver: Duration(time.Minute), Above: "5"}, Severity: "warning"},
				{Name: "b", When: AlertCondition{Upstream: "hs", Latency: "p95", Over: Duration(time.Minute), Above: "3s"}, Severity: "page", Notify: []string{"pager"}},
				{Name: "a", When: AlertCondition{Upstream: "*", Queue: "depth", Breaker: "open", Above: "10"}, Severity: "info"},
			}
			c.Alerts.Maintenance = []Maintenance{{Name: "w", Days: []string{"someday"}, From: "22:00", To: "23:00"}}
			c.Integrations.Zabbix.Server = "zabbix"
			c.Reports = Reports{Dir: "/tmp/r", Schedule: []string{"hourly"}, Formats: []string{"pdf"}, Timezone: "Mars/Olympus", Email: "hook"}
		}, []string{
			`notifiers[0].url: required for type webhook`,
			`notifiers[1].type: unknown notifier type "pager"`,
			`notifiers[1].name: duplicate name "ops" (also notifiers[0])`,
			`notifiers[2].smtp: "smtp.example.com": write the mail server as host:port`,
			`notifiers[2].from: required for type email`,
			`notifiers[2].to: required for type email`,
			`notifiers[2].starttls: unknown starttls mode "always"`,
			`notifiers[2].password_env: required;`,
			`notifiers[3].template: the template does not render JSON for a sample message`,
			`notifiers[4].template: only a webhook's body is templated`,
			`alerts.rules[0]: when: threshold "5": a share is from 0 to 1`,
			`alerts.rules[1]: severity "page": want one of critical, warning, info`,
			`alerts.rules[1].when.upstream: no upstream is named "hs"`,
			`alerts.rules[1].notify: no notifier is named "pager"`,
			`alerts.rules[2]: when: breaker and queue are separate conditions`,
			`alerts.rules[2].name: duplicate rule name "a" (also alerts.rules[0])`,
			`alerts.maintenance[0]: days: "someday" is not mon`,
			`reports.schedule[0]: unknown report "hourly"`,
			`reports.formats[0]: unknown format "pdf"`,
			`reports.timezone: "Mars/Olympus": want an IANA zone`,
			`reports.email: notifier "hook" is of type webhook`,
			`integrations.zabbix.server: invalid address "zabbix"`,
			`integrations.zabbix.host: required with server`,
		}},
		{"upstream problems", func(c *Config) {
			c.Upstreams = append(c.Upstreams,
				withDefaults(Upstream{Name: "sf", URL: "https://x.example.com", Dialect: "generic", Timeout: Duration(-time.Second)}),
				withDefaults(Upstream{Name: strings.Repeat("a", 64), URL: "//x.example.com", Dialect: "hubspot", Timeout: Duration(time.Second), ClientHeader: "Bad Header"}),
			)
		}, []string{
			"upstreams[1].timeout: must be greater than 0, got -1s",
			`upstreams[1].name: duplicate name "sf" (also upstreams[0])`,
			`upstreams[2].name: invalid name "aaaa`,
			`upstreams[2].url: "//x.example.com" is not an absolute URL`,
			`upstreams[2].client_header: invalid header name "Bad Header"`,
		}},
		{"retry and breaker", func(c *Config) {
			u := &c.Upstreams[0]
			u.Failover = []string{"ftp://backup.example.com"}
			u.Retry = Retry{Attempts: 11, Backoff: Duration(time.Second), MaxBackoff: Duration(time.Millisecond), Budget: 2}
			u.Breaker = Breaker{FailureRatio: 0, MinCalls: 0, Window: 0, Cooldown: Duration(time.Second)}
		}, []string{
			`upstreams[0].failover[0]:`,
			"upstreams[0].retry.attempts: must be from 1 (no retries) to 10, got 11",
			"upstreams[0].retry.max_backoff: 1ms is shorter than retry.backoff 1s",
			"upstreams[0].retry.budget: must be a share from 0 to 1",
			"upstreams[0].breaker.failure_ratio: must be above 0 and at most 1",
			"upstreams[0].breaker.min_calls: must be at least 1, got 0",
			"upstreams[0].breaker.window: must be greater than 0",
		}},
		{"quota and queue", func(c *Config) {
			u := &c.Upstreams[0]
			u.Quota.Reserve = 0.95
			u.Queue = UpstreamQueue{Writes: "on-failure", MaxAttempts: 0, MaxAge: 0, Rate: math.NaN()}
			c.Queue.Backoff, c.Queue.MaxBackoff = Duration(time.Minute), Duration(time.Second)
		}, []string{
			"queue.max_backoff: 1s is shorter than queue.backoff 1m;",
			"upstreams[0].quota.reserve: must be a share from 0 to 0.9",
			`upstreams[0].queue.writes: unknown mode "on-failure" (did you mean "on_failure"?)`,
			"upstreams[0].queue.max_attempts: must be from 1 to 10000, got 0",
			"upstreams[0].queue.max_age: must be greater than 0",
			"upstreams[0].queue.rate: must be above 0",
		}},
		{"oauth2 credentials", func(c *Config) {
			c.Upstreams[0].Credentials = Credentials{Kind: "oauth2", Grant: "refresh_token", TokenURL: "login.example.com", ClientSecretEnv: "s3cr3t-value!", KeyEnv: "KEY", Header: "Authorization"}
		}, []string{
			`upstreams[0].credentials.token_url: "login.example.com" is not an absolute URL`,
			"upstreams[0].credentials.client_id: required for kind oauth2",
			"upstreams[0].credentials.client_secret_env: not a valid environment variable name (value not shown",
			"upstreams[0].credentials.refresh_token_env: required;",
			"upstreams[0].credentials.key_env: is for kind api_key",
		}},
		{"api key credentials", func(c *Config) {
			c.Upstreams[0].Credentials = Credentials{Kind: "api_key", ClientID: "x", Header: "Bad Header"}
		}, []string{
			"upstreams[0].credentials.key_env: required;",
			"upstreams[0].credentials.client_id: is for kind oauth2",
			`upstreams[0].credentials.header: invalid header name "Bad Header"`,
		}},
		{"credentials without kind", func(c *Config) { c.Upstreams[0].Credentials = Credentials{KeyEnv: "KEY"} }, []string{
			"upstreams[0].credentials.kind: required when other credentials keys are set",
		}},
		{"guard", func(c *Config) {
			u := &c.Upstreams[0]
			u.Contract = Contract{Spec: "testdata/contracts/missing.yaml", Base: "Api/V8/", Requests: "enforced", Responses: "enforce", MaxBody: 10}
			u.Normalize = []NormalizeRule{{Field: "phone", As: "phone", Region: "XX"}, {Field: "d", As: "when"}}
			u.Versions = Versions{Policy: "strict", Lifecycle: []VersionLifecycle{{Versions: "v30.0-v21.0"}, {Path: "/x", Retires: "June 2028"}}}
		}, []string{
			`upstreams[0].contract.requests: unknown mode "enforced" (did you mean "enforce"?)`,
			`upstreams[0].contract.responses: unknown mode "enforce"`,
			"upstreams[0].contract.max_body: must be from 1KiB to 64MiB, got 10 (default 1MiB)",
			`upstreams[0].contract.base: "Api/V8/" must start with / and not end with one`,
			"upstreams[0].contract.spec: reading contract: open testdata/contracts/missing.yaml: no such file or directory",
			`upstreams[0].normalize[0]: region "XX"`,
			`upstreams[0].normalize[1]:`,
			`upstreams[0].versions.policy: unknown policy "strict"`,
			"upstreams[0].versions.lifecycle[0]: versions v30.0-v21.0 run backwards",
			`upstreams[0].versions.lifecycle[1]: retires "June 2028" is not a day; write YYYY-MM-DD`,
		}},
		{"stores", func(c *Config) { c.Store = "sqlite://" }, []string{`store: missing database file in "sqlite://"`}},
		{"store without scheme", func(c *Config) { c.Store = "user:pw@host/db" }, []string{"store: not a URL (value not shown"}},
		{"same listen", func(c *Config) { c.Admin.Listen = c.Listen }, []string{`admin.listen: "127.0.0.1:8080" is also the gateway's listen address`}},
		{"bad port", func(c *Config) { c.Listen = "127.0.0.1:+80" }, []string{`listen: invalid port "+80"`}},
		{"sample too big", func(c *Config) { c.Recording.SampleBytes = 2 * MiB }, []string{"recording.sample_bytes: must be from 0 to 1MiB, got 2MiB"}},
		{"level typo", func(c *Config) { c.Log.Level = "Info" }, []string{`log.level: unknown level "Info" (did you mean "info"?)`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := New(Upstream{Name: "sf", URL: "https://example.my.salesforce.com"})
			tc.edit(c)
			err := c.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v; want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil; want %q", tc.want)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tc.want) {
				t.Fatalf("Validate() gave %d errors:\n%v\nwant %d", len(lines), err, len(tc.want))
			}
			for i, want := range tc.want {
				if !strings.HasPrefix(lines[i], want) {
					t.Errorf("line %d:\ngot  %q\nwant %q...", i+1, lines[i], want)
				}
			}
			var ce *Error
			if !errors.As(err, &ce) || ce.Path == "" {
				t.Errorf("errors.As(err, *Error) = %v, %+v; want an *Error with a path", ce != nil, ce)
			}
		})
	}
}

func TestDialectNames_fresh(t *testing.T) {
	a := DialectNames()
	a[0] = "changed"
	if got := DialectNames()[0]; got != "salesforce" {
		t.Errorf("DialectNames()[0] = %q after changing an earlier result; want salesforce", got)
	}
}
