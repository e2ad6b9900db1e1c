package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// testEnv is the environment the fixtures are loaded with; the real
// environment is never read.
func testEnv(name string) (string, bool) {
	v, ok := map[string]string{
		"CRM_URL":     "https://example.my.salesforce.com/services/data",
		"CRM_TIMEOUT": "45s",
		"CRM_BUFFER":  "2048",
		"EMPTY":       "",
	}[name]
	return v, ok
}

// loadFixture loads testdata/name.yaml, naming it by its base name in
// messages.
func loadFixture(t *testing.T, name string) (*Config, error) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return load(name+".yaml", data, testEnv)
}

// defaultsWith returns New's configuration changed by edit.
func defaultsWith(edit func(c *Config), upstreams ...Upstream) *Config {
	c := New(upstreams...)
	edit(c)
	return c
}

func ptr[T any](v T) *T { return &v }

var validFixtures = []struct {
	name string
	want *Config
}{
	{"example", defaultsWith(func(c *Config) {
		c.Store = "sqlite:///var/lib/crmguard/crmguard.db"
	}, Upstream{Name: "sf", URL: "https://example.my.salesforce.com", Dialect: "salesforce", Timeout: Duration(30 * time.Second)})},
	{"minimal", New(Upstream{Name: "crm", URL: "https://crm.example.com/api"})},
	{"nulls", New(Upstream{Name: "sf", URL: "https://example.my.salesforce.com"})},
	{"full", &Config{
		Listen:       "0.0.0.0:9080",
		Admin:        Admin{Listen: "127.0.0.1:9081", TokenEnv: "MY_ADMIN_TOKEN"},
		Store:        "postgres://crmguard:secret@db.internal:5432/crmguard?sslmode=require",
		ClientHeader: "X-Client-Id",
		Recording: Recording{
			Buffer:           1024,
			Batch:            500,
			FlushInterval:    Duration(500 * time.Millisecond),
			RollupInterval:   Duration(time.Minute),
			SampleBytes:      0,
			InspectBytes:     2 * MiB,
			MaskPersonalData: ptr(false),
		},
		Retention: Retention{Calls: Duration(72 * time.Hour), Rollups: Duration(8760 * time.Hour)},
		Incidents: Incidents{ResolveAfter: Duration(90 * time.Minute)},
		Log:       Log{Level: "debug", Format: "json"},
		Queue: Queue{
			KeyEnv: "MY_QUEUE_KEY", Workers: 4, Lease: Duration(time.Minute), Poll: Duration(250 * time.Millisecond),
			Backoff: Duration(2 * time.Second), MaxBackoff: Duration(5 * time.Minute), Keep: Duration(48 * time.Hour),
		},
		Upstreams: []Upstream{
			{
				Name: "sf", URL: "https://example.my.salesforce.com", Dialect: "salesforce", Timeout: Duration(20 * time.Second), ClientHeader: "X-Integration",
				Failover: []string{"https://example-backup.my.salesforce.com"},
				Retry:    Retry{Attempts: 5, Backoff: Duration(100 * time.Millisecond), MaxBackoff: Duration(2 * time.Second), Budget: 0.1},
				Breaker:  Breaker{FailureRatio: 0.25, MinCalls: 50, Window: Duration(time.Minute), Cooldown: Duration(30 * time.Second)},
				Quota:    Quota{Pause: Duration(5 * time.Minute), Reserve: 0.25},
				Queue:    UpstreamQueue{Writes: "always", MaxAttempts: 10, MaxAge: Duration(24 * time.Hour), Rate: 2.5},
				Credentials: Credentials{
					Kind: "oauth2", Grant: "refresh_token", TokenURL: "https://login.salesforce.com/services/oauth2/token",
					ClientID: "crmguard-app", ClientSecretEnv: "SF_CLIENT_SECRET", RefreshTokenEnv: "SF_REFRESH_TOKEN",
					Scopes: []string{"api", "refresh_token"}, Header: "X-Auth",
				},
				Contract: Contract{
					Spec: "testdata/contracts/contacts.yaml", Base: "/services/data", Requests: "enforce", Responses: "off",
					Strict: ptr(true), Learn: ptr(true), MaxBody: 256 * KiB,
				},
				Normalize: []NormalizeRule{
					{Field: "Birthdate", As: "date", Format: "02.01.2006", Order: "dmy"},
					{Field: "*.Phone", As: "phone", Region: "DE"},
					{Field: "Description", As: "text", MaxLength: 255, OnOverflow: "truncate"},
					{Field: "LastModified", As: "datetime", Zone: "Europe/Berlin"},
				},
				Versions: Versions{Policy: "enforce", Lifecycle: []VersionLifecycle{
					{Versions: "v41.0-v44.0", Deprecated: "2028-06-01", Retires: "2029-06-01", Note: "move to v62.0"},
					{Path: "/services/apexrest/legacy", Retires: "2027-01-01"},
				}},
			},
			withDefaults(Upstream{
				Name: "hubspot-eu", URL: "http://hubspot.internal:8443/base/path", Dialect: "hubspot", Timeout: Duration(2 * time.Minute),
				Credentials: Credentials{Kind: "api_key", KeyEnv: "HUBSPOT_KEY", Header: "Authorization", Prefix: "Bearer "},
			}),
		},
		Alerts: Alerts{
			EvaluateEvery: Duration(30 * time.Second), RepeatInterval: Duration(2 * time.Hour), KeepResolved: Duration(12 * time.Hour),
			Rules: []AlertRule{
				{
					Name: "sf-auth-failures", When: AlertCondition{Upstream: "sf", Class: "auth", RateOver: Duration(5 * time.Minute), MinCalls: 10, Above: "0.05"},
					For: Duration(2 * time.Minute), Severity: "critical", Labels: map[string]string{"team": "crm"},
					Summary: "{{.Labels.upstream}} refuses our credentials", GroupBy: []string{"upstream"},
					RepeatInterval: Duration(time.Hour), Notify: []string{"ops", "chat"}, SendResolved: ptr(false),
				},
				{Name: "crm-slow", When: AlertCondition{Upstream: "*", Latency: "p95", Over: Duration(5 * time.Minute), Above: "3s", MinCalls: 1}, Severity: "warning", SendResolved: ptr(true)},
				{Name: "queue-backlog", When: AlertCondition{Upstream: "*", Queue: "oldest_age", Above: "10m", MinCalls: 1}, Severity: "warning", SendResolved: ptr(true)},
				{Name: "breaker", When: AlertCondition{Upstream: "hubspot-eu", Breaker: "open", MinCalls: 1}, Severity: "warning", SendResolved: ptr(true)},
				{Name: "quota-low", When: AlertCondition{Upstream: "*", Quota: "remaining", Below: "10%", MinCalls: 1}, Severity: "warning", SendResolved: ptr(true)},
				{Name: "new-incident", When: AlertCondition{Upstream: "*", Incident: "new", Class: "failed", MinCalls: 1}, Severity: "warning", SendResolved: ptr(true)},
				{Name: "many-timeouts", When: AlertCondition{Upstream: "*", Class: "timeout", CountOver: Duration(10 * time.Minute), Above: "100", MinCalls: 1}, Severity: "warning", SendResolved: ptr(true)},
			},
			Maintenance: []Maintenance{
				{Name: "sf-release", Match: map[string]string{"upstream": "sf"}, Start: "2026-12-12T20:00:00Z", End: "2026-12-13T04:00:00Z", Timezone: "UTC"},
				{Name: "weekend-batch", Match: map[string]string{"alertname": "crm-slow"}, Days: []string{"sat", "sun"}, From: "22:00", To: "02:00", Timezone: "Europe/Berlin"},
			},
		},
		Notifiers: []Notifier{
			{Name: "ops", Type: "webhook", URL: "https://hooks.example.com/crmguard", Headers: map[string]string{"X-Team": "crm"},
				Template: `{"text": {{json .Summary}}}`, Timeout: Duration(5 * time.Second), StartTLS: "required", Resend: Duration(time.Minute)},
			{Name: "chat", Type: "slack", URLEnv: "SLACK_WEBHOOK_URL", Channel: "#crm-alerts", StartTLS: "required", Resend: Duration(time.Minute), Timeout: Duration(10 * time.Second)},
			{Name: "mail", Type: "email", SMTP: "smtp.example.com:587", From: "crmguard@example.com", To: []string{"oncall@example.com"},
				Username: "crmguard", PasswordEnv: "SMTP_PASSWORD", StartTLS: "opportunistic", CAFile: "/etc/crmguard/smtp-ca.pem",
				Resend: Duration(time.Minute), Timeout: Duration(10 * time.Second)},
			{Name: "am", Type: "alertmanager", URL: "http://127.0.0.1:9093", Resend: Duration(30 * time.Second), StartTLS: "required", Timeout: Duration(10 * time.Second)},
		},
		Integrations: Integrations{
			Zabbix: Zabbix{Server: "127.0.0.1:10051", Host: "crmguard-prod", Every: Duration(30 * time.Second)},
			ECSLog: ECSLog{Path: "/var/log/crmguard/ecs.ndjson", MaxSize: 50 * MiB, MaxFiles: 3},
		},
		Reports: Reports{Dir: "/var/lib/crmguard/reports", Schedule: []string{"daily", "weekly", "monthly"},
			Formats: []string{"html", "md", "csv", "json"}, Timezone: "Europe/Berlin", Email: "mail"},
	}},
	{"env", defaultsWith(func(c *Config) {
		c.Listen = "127.0.0.1:9090"
		c.Store = "sqlite:///var/lib/crmguard/crmguard.db"
		c.ClientHeader = "X-Client-Id"
		c.Recording.Buffer = 2048
		c.Recording.MaskPersonalData = ptr(false)
	}, Upstream{Name: "sf", URL: "https://example.my.salesforce.com/services/data", Timeout: Duration(45 * time.Second), ClientHeader: "X-Cost-$-Center"})},
	{"anchors", New(
		Upstream{Name: "sf", URL: "https://example.my.salesforce.com", Dialect: "salesforce", Timeout: Duration(45 * time.Second)},
		Upstream{Name: "sf-sandbox", URL: "https://example--dev.sandbox.my.salesforce.com", Dialect: "salesforce", Timeout: Duration(45 * time.Second)},
		Upstream{Name: "hubspot", URL: "https://api.hubapi.com", Dialect: "hubspot", Timeout: Duration(45 * time.Second)},
	)},
}

// invalidFixtures lists, per fixture, the start of every line of the error
// Load returns, in order.
var invalidFixtures = []struct {
	name string
	want []string
}{
	{"unknown_key", []string{
		`unknown_key.yaml:1:1: unknown key "lisen" (did you mean "listen"?; known keys: listen, admin, store, client_header, recording, retention, incidents, log, queue, upstreams, alerts, notifiers, integrations, reports)`,
	}},
	{"unknown_nested_key", []string{
		`unknown_nested_key.yaml:7:5: upstreams[0]: unknown key "dialet" (did you mean "dialect"?; known keys: name, url, dialect, timeout, client_header, failover, retry, breaker, quota, queue, credentials, contract, normalize, versions)`,
		`unknown_nested_key.yaml:9:3: recording: unknown key "bufer" (did you mean "buffer"?; known keys: buffer, batch, flush_interval, rollup_interval, sample_bytes, inspect_bytes, mask_personal_data)`,
		`unknown_nested_key.yaml:10:3: recording: unknown key "sample-bytes" (did you mean "sample_bytes"?;`,
	}},
	{"misplaced_key", []string{
		`misplaced_key.yaml:1:1: unknown key "timeout" (timeout is valid only as upstreams[].timeout or notifiers[].timeout; known keys: listen,`,
		`misplaced_key.yaml:5:5: upstreams[0]: unknown key "listen" (listen is valid only as listen or admin.listen; known keys: name,`,
	}},
	{"bad_duration", []string{
		`bad_duration.yaml:2:19: recording.flush_interval: invalid duration "1 second": write a number with a unit, e.g. "30s", "5m" or "1h30m"`,
		`bad_duration.yaml:4:10: retention.calls: invalid duration "7d": days are not a unit; write hours, e.g. "168h" for 7 days`,
		`bad_duration.yaml:5:12: retention.rollups: negative duration "-1h": durations must be positive, e.g. "30s"`,
		`bad_duration.yaml:9:14: upstreams[0].timeout: invalid duration "30": the number has no unit; write e.g. "30s"`,
	}},
	{"bad_bytesize", []string{
		`bad_bytesize.yaml:2:17: recording.sample_bytes: negative size "-4KiB": sizes must be 0 or more`,
		`bad_bytesize.yaml:3:18: recording.inspect_bytes: invalid size "1.5MiB": expected a whole number of bytes with an optional unit`,
	}},
	{"bad_scalar", []string{
		`bad_scalar.yaml:2:11: recording.buffer: expected a whole number such as 1000, found "1.5"`,
		`bad_scalar.yaml:3:10: recording.batch: expected a whole number such as 1000, found "100"`,
		`bad_scalar.yaml:4:23: recording.mask_personal_data: expected true or false, found "yes"`,
	}},
	{"bad_url", []string{
		`bad_url.yaml:3:10: upstreams[0].url: "example.my.salesforce.com" is not an absolute URL; start it with https:// or http://`,
		`bad_url.yaml:5:10: upstreams[1].url: unsupported scheme "ftp" in "ftp://crm.example.com"; use https:// or http://`,
		`bad_url.yaml:7:10: upstreams[2].url: "https://crm.example.com/api?..." has a query (?...; not shown, in case it holds a key); remove it`,
		`bad_url.yaml:9:10: upstreams[3].url: "https://crm.example.com/#top" has a fragment (#...); remove it`,
		`bad_url.yaml:11:10: upstreams[4].url: "https://" has no host; write scheme://host[/base/path]`,
		`bad_url.yaml:13:10: upstreams[5].url: invalid port "99999" in "https://user:xxxxx@crm.example.com:99999": write a number from 1 to 65535`,
		`bad_url.yaml:14:5: upstreams[6].url: required; the CRM API's base URL, e.g. https://example.my.salesforce.com`,
	}},
	{"bad_listen", []string{
		`bad_listen.yaml:1:9: listen: invalid address "8080": missing port in address; write host:port, e.g. 127.0.0.1:8080, or :8080 for every interface`,
		`bad_listen.yaml:3:11: admin.listen: invalid port "http" in "localhost:http": write a number from 0 to 65535, e.g. 127.0.0.1:8081`,
	}},
	{"same_listen", []string{
		`same_listen.yaml:3:11: admin.listen: "127.0.0.1:8080" is also the gateway's listen address; give the admin API its own port`,
	}},
	{"bad_store", []string{
		`bad_store.yaml:1:8: store: unsupported scheme "mysql"; use sqlite:///absolute/path.db, sqlite://relative/path.db or postgres://user:pass@host:5432/db`,
	}},
	{"store_password_hidden", []string{
		`store_password_hidden.yaml:1:8: store: invalid PostgreSQL URL (value not shown, in case it holds a password): invalid port ":port" after host;`,
	}},
	{"duplicate_upstream", []string{
		`duplicate_upstream.yaml:7:11: upstreams[2].name: duplicate name "sf" (also upstreams[0]); each upstream needs its own name`,
	}},
	{"duplicate_key", []string{
		`duplicate_key.yaml:5:5: upstreams[0]: duplicate key "name" (first at line 3); remove one`,
		`duplicate_key.yaml:6:1: duplicate key "listen" (first at line 1); remove one`,
	}},
	{"no_upstreams", []string{
		`no_upstreams.yaml: upstreams: no upstreams configured; add at least one with a name and a url, e.g. upstreams: [{name: sf,`,
	}},
	{"empty_upstreams", []string{
		`empty_upstreams.yaml:2:12: upstreams: no upstreams configured; add at least one`,
	}},
	{"empty", []string{
		`empty.yaml: the file is empty: no upstreams configured; add at least one, e.g. "upstreams: [{name: sf,`,
	}},
	{"bad_dialect", []string{
		`bad_dialect.yaml:4:14: upstreams[0].dialect: unknown dialect "SalesForce" (did you mean "salesforce"?); use salesforce, hubspot, dynamics, zoho, suitecrm, odoo, pipedrive, fxiaoke or generic`,
		`bad_dialect.yaml:7:14: upstreams[1].dialect: unknown dialect "sugarcrm"; use salesforce, hubspot,`,
	}},
	{"bad_name", []string{
		`bad_name.yaml:2:11: upstreams[0].name: invalid name "my crm": use 1 to 63 letters, digits, - or _, starting with a letter or digit, e.g. sf or hubspot-eu`,
		`bad_name.yaml:4:11: upstreams[1].name: invalid name "-sf": use 1 to 63 letters,`,
		`bad_name.yaml:6:5: upstreams[2].name: required; a short name such as sf: requests to /sf/... go to this upstream`,
	}},
	{"wrong_kind", []string{
		`wrong_kind.yaml:1:8: admin: expected a mapping with keys such as listen or token_env, found "127.0.0.1:8081"`,
		`wrong_kind.yaml:3:3: log: expected a mapping with keys such as level or format, found a list`,
		`wrong_kind.yaml:5:3: upstreams: expected a list (one "- " item per line), found a mapping`,
	}},
	{"wrong_kind_scalar", []string{
		`wrong_kind_scalar.yaml:2:3: listen: expected a single value, found a mapping`,
		`wrong_kind_scalar.yaml:5:11: upstreams[0].name: expected a single value, found a list`,
		`wrong_kind_scalar.yaml:7:14: upstreams[0].timeout: expected a duration such as "30s", found a mapping`,
	}},
	{"not_a_mapping", []string{
		`not_a_mapping.yaml:1:1: expected a mapping with keys such as listen, admin,`,
	}},
	{"syntax_error", []string{
		`syntax_error.yaml:4: syntax error: did not find expected key`,
	}},
	{"syntax_tab", []string{
		`syntax_tab.yaml:2: syntax error: found character that cannot start any token`,
	}},
	{"two_documents", []string{
		`two_documents.yaml:4:1: a second YAML document starts here; put the whole configuration in one document`,
	}},
	{"unset_env", []string{
		`unset_env.yaml:3:10: upstreams[0].url: environment variable SF_URL is not set; set it, or give a default: ${SF_URL:-value}`,
	}},
	{"bad_env", []string{
		`bad_env.yaml:1:8: store: a lone $ is not expanded; write ${VAR} for a variable or $$ for a literal $`,
		`bad_env.yaml:4:10: upstreams[0].url: invalid variable name "SF-URL" in ${SF-URL};`,
		`bad_env.yaml:5:20: upstreams[0].client_header: unterminated ${ in "HEADER";`,
	}},
	{"range_errors", []string{
		`range_errors.yaml:2:11: recording.buffer: must be at least 1, got 0 (default 65536)`,
		`range_errors.yaml:3:10: recording.batch: must be from 1 to 100000, got 200000 (default 1000)`,
		`range_errors.yaml:4:19: recording.flush_interval: must be greater than 0, got 0s; write a duration such as 1s (the default)`,
		`range_errors.yaml:5:20: recording.rollup_interval: must be greater than 0, got 0s; write a duration such as 10s (the default)`,
		`range_errors.yaml:6:17: recording.sample_bytes: must be from 0 to 1MiB, got 2MiB (default 4KiB; 0 keeps no samples)`,
		`range_errors.yaml:7:18: recording.inspect_bytes: must be from 4KiB to 64MiB, got 100MiB (default 1MiB)`,
		`range_errors.yaml:9:10: retention.calls: must be greater than 0, got 0s; write a duration such as 168h (the default)`,
		`range_errors.yaml:10:12: retention.rollups: must be greater than 0, got 0s; write a duration such as 9600h (the default)`,
		`range_errors.yaml:12:18: incidents.resolve_after: must be greater than 0, got 0s; write a duration such as 30m (the default)`,
		`range_errors.yaml:16:14: upstreams[0].timeout: must be greater than 0, got 0s; write a duration such as 30s (the default)`,
		`range_errors.yaml:19:14: upstreams[1].timeout: 25h is longer than the 24h maximum;`,
	}},
	{"bad_log", []string{
		`bad_log.yaml:2:10: log.level: unknown level "warning"; use debug, info, warn or error`,
		`bad_log.yaml:3:11: log.format: unknown format "logfmt"; use text or json`,
	}},
	{"bad_token_env", []string{
		`bad_token_env.yaml:2:14: admin.token_env: not a valid environment variable name (value not shown, in case it is the token itself); write the variable's name`,
	}},
	{"bad_header", []string{
		`bad_header.yaml:1:16: client_header: invalid header name "X Client Id": use letters, digits and -`,
		`bad_header.yaml:5:20: upstreams[0].client_header: invalid header name "X-Client:Id":`,
	}},
	{"alias_cycle", []string{
		`alias_cycle.yaml:4:5: upstreams[1]: expected a mapping with keys such as name, url, dialect, timeout, client_header, failover, retry, breaker, quota, queue, credentials, contract, normalize or versions, found a list`,
	}},
	{"merge_cycle", []string{
		`merge_cycle.yaml:3:9: upstreams[0]: anchor "u" merges itself`,
	}},
	{"several_errors", []string{
		`several_errors.yaml:1:9: listen: invalid port "80800" in "127.0.0.1:80800": write a number from 0 to 65535`,
		`several_errors.yaml:4:3: admin: unknown key "tokenenv" (did you mean "token_env"?; known keys: listen, token_env)`,
		`several_errors.yaml:7:23: recording.mask_personal_data: expected true or false, found "no"`,
		`several_errors.yaml:9:10: log.level: unknown level "verbose"; use debug, info, warn or error`,
		`several_errors.yaml:14:14: upstreams[0].timeout: invalid duration "30": the number has no unit; write e.g. "30s"`,
		`several_errors.yaml:15:11: upstreams[1].name: duplicate name "sf" (also upstreams[0])`,
		`several_errors.yaml:16:10: upstreams[1].url: environment variable HUBSPOT_URL is not set;`,
	}},
}

func TestLoad_valid(t *testing.T) {
	for _, tc := range validFixtures {
		t.Run(tc.name, func(t *testing.T) {
			got, err := loadFixture(t, tc.name)
			if err != nil {
				t.Fatalf("got error:\n%v\nwant none", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got\n%+v\nwant\n%+v", got, tc.want)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("Validate() of the loaded configuration = %v; want nil", err)
			}
		})
	}
}

func TestLoad_invalid(t *testing.T) {
	for _, tc := range invalidFixtures {
		t.Run(tc.name, func(t *testing.T) {
			got, err := loadFixture(t, tc.name)
			if err == nil {
				t.Fatalf("got config %+v and no error; want errors", got)
			}
			if got != nil {
				t.Errorf("got config %+v with the error; want nil", got)
			}
			lines := strings.Split(err.Error(), "\n")
			for i := range max(len(lines), len(tc.want)) {
				switch {
				case i >= len(lines):
					t.Errorf("missing error line %d: want %q", i+1, tc.want[i])
				case i >= len(tc.want):
					t.Errorf("unexpected error line %d: %q", i+1, lines[i])
				case !strings.HasPrefix(lines[i], tc.want[i]):
					t.Errorf("error line %d:\ngot  %q\nwant %q...", i+1, lines[i], tc.want[i])
				}
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Errorf("errors.As(err, *Error) = false; want true")
			}
		})
	}
}

// TestLoad_secretsNotShown checks that passwords in the store URL and in
// upstream URLs, API keys in URL queries, and a token pasted as token_env
// stay out of messages.
func TestLoad_secretsNotShown(t *testing.T) {
	tests := []struct{ fixture, secret string }{
		{"store_password_hidden", "s3cr3t"},
		{"bad_url", "secret"},
		{"bad_url", "key=1"},
		{"bad_token_env", "3f9a-secret-token-value"},
	}
	for _, tc := range tests {
		_, err := loadFixture(t, tc.fixture)
		if err == nil || strings.Contains(err.Error(), tc.secret) {
			t.Errorf("%s: error %v; want an error without %q", tc.fixture, err, tc.secret)
		}
	}
}

// TestFixtures_covered makes sure every fixture is in a table, so none is
// silently skipped.
func TestFixtures_covered(t *testing.T) {
	files, err := filepath.Glob("testdata/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	listed := make(map[string]bool)
	for _, tc := range validFixtures {
		listed[tc.name] = true
	}
	for _, tc := range invalidFixtures {
		if listed[tc.name] {
			t.Errorf("fixture %s is listed twice", tc.name)
		}
		listed[tc.name] = true
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		if !listed[name] {
			t.Errorf("testdata/%s.yaml is not in validFixtures or invalidFixtures", name)
		}
		delete(listed, name)
	}
	for name := range listed {
		t.Errorf("fixture %s is listed but testdata/%s.yaml does not exist", name, name)
	}
}

func TestLoadFile(t *testing.T) {
	c, err := LoadFile(filepath.Join("testdata", "example.yaml"))
	if err != nil {
		t.Fatalf("LoadFile(example.yaml) error: %v", err)
	}
	if got, want := c.Upstreams[0].Name, "sf"; got != want {
		t.Errorf("upstream name = %q; want %q", got, want)
	}

	_, err = LoadFile(filepath.Join("testdata", "unknown_key.yaml"))
	if want := "testdata/unknown_key.yaml:1:1: unknown key"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("LoadFile(unknown_key.yaml) error = %v; want it to start with %q", err, want)
	}

	_, err = LoadFile(filepath.Join(t.TempDir(), "missing.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadFile(missing) error = %v; want one wrapping os.ErrNotExist", err)
	}
}

// TestLoad_environment checks that Load reads the process environment.
func TestLoad_environment(t *testing.T) {
	t.Setenv("CRMGUARD_TEST_URL", "https://crm.example.com")
	c, err := Load("env.yaml", []byte("upstreams:\n  - {name: crm, url: \"${CRMGUARD_TEST_URL}\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Upstreams[0].URL, "https://crm.example.com"; got != want {
		t.Errorf("url = %q; want %q", got, want)
	}
}

func TestLoad_tooManyAliases(t *testing.T) {
	// Each level merges the one below ten times: about 10^6 visits
	// without the budget.
	var b strings.Builder
	b.WriteString("upstreams:\n  - &a0 {name: sf, url: \"https://x.example.com\"}\n")
	for i := 1; i <= 6; i++ {
		b.WriteString("  - &a" + string(rune('0'+i)) + "\n    <<: [")
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	_, err := load("bomb.yaml", []byte(b.String()), testEnv)
	if err == nil {
		t.Fatal("got no error; want one")
	}
	if want := "too many alias expansions"; !strings.Contains(err.Error(), want) {
		t.Errorf("error = %v; want one saying %q", err, want)
	}
}

// withDefaults returns u with its unset fields defaulted, as Load does for
// each upstream in a file.
func withDefaults(u Upstream) Upstream {
	u.applyDefaults()
	return u
}
