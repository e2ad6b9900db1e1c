// Package config is crmguard's configuration: the YAML schema with a doc
// comment per key, its defaults, and strict loading that names the file,
// line and key of every mistake. It is plain data: components are built
// from it elsewhere.
package config

// Config is the whole configuration file. Load and LoadFile read one from
// YAML; New builds one in code. Both apply the defaults documented on each
// field.
type Config struct {
	// Listen is the gateway's address as host:port: clients send their CRM
	// calls here. An empty host (":8080") listens on every interface.
	// Default 127.0.0.1:8080.
	Listen string `yaml:"listen"`

	// Admin configures the admin listener: JSON API, /metrics, /healthz,
	// /readyz.
	Admin Admin `yaml:"admin"`

	// Store is where call records, incidents and rollups are kept:
	// sqlite:///absolute/path.db, sqlite://relative/path.db, or a
	// postgres:// (or postgresql://) URL such as
	// postgres://user:pass@host:5432/db. Default sqlite://crmguard.db (in
	// the working directory).
	Store string `yaml:"store"`

	// ClientHeader names the request header that identifies the calling
	// integration (for example X-Client-Id). Without it, or when a request
	// lacks it, the client is identified by its remote address. It must be
	// a valid HTTP header name.
	ClientHeader string `yaml:"client_header"`

	// Recording tunes how calls are recorded.
	Recording Recording `yaml:"recording"`

	// Retention says how long stored data is kept.
	Retention Retention `yaml:"retention"`

	// Incidents tunes how failures are grouped.
	Incidents Incidents `yaml:"incidents"`

	// Log configures crmguard's own log on standard error.
	Log Log `yaml:"log"`

	// Upstreams are the CRM APIs crmguard stands in front of. At least one
	// is required.
	Upstreams []Upstream `yaml:"upstreams"`
}

// Admin configures the admin listener.
type Admin struct {
	// Listen is the admin address as host:port; it must differ from the
	// gateway's. Default 127.0.0.1:8081. Keep it off public interfaces.
	Listen string `yaml:"listen"`

	// TokenEnv names the environment variable that holds the bearer token
	// the admin API requires. Default CRMGUARD_ADMIN_TOKEN. The variable
	// must be set to at least 16 characters when crmguard starts; the token
	// itself is never written to a file or log.
	TokenEnv string `yaml:"token_env"`
}

// Upstream is one CRM API.
type Upstream struct {
	// Name identifies the upstream: requests to /NAME/... go to it with
	// /NAME stripped. 1 to 63 letters, digits, '-' and '_', starting with a
	// letter or digit; unique among the upstreams. Required.
	Name string `yaml:"name"`

	// URL is the CRM API's base URL, http or https, without a query or
	// fragment. A base path in it is kept: with url
	// https://crm.example.com/api, a request to /NAME/v1/x goes to
	// https://crm.example.com/api/v1/x. Required.
	URL string `yaml:"url"`

	// Dialect says how this CRM reports errors: salesforce, hubspot,
	// dynamics, zoho, suitecrm, odoo, pipedrive, fxiaoke or generic.
	// Default generic.
	Dialect string `yaml:"dialect"`

	// Timeout is the deadline for the whole call, from the request's
	// arrival to the last byte of the response; at most 24h. Default 30s.
	Timeout Duration `yaml:"timeout"`

	// ClientHeader overrides the top-level client_header for this upstream.
	ClientHeader string `yaml:"client_header"`

	// Failover lists further base URLs of the same CRM API, tried in order
	// when the endpoints before them have an open circuit breaker. Each
	// has its own breaker; a base path in them is kept as in url.
	Failover []string `yaml:"failover,omitempty"`

	// Retry says when a failed call is sent again.
	Retry Retry `yaml:"retry"`

	// Breaker configures the circuit breaker of each endpoint.
	Breaker Breaker `yaml:"breaker"`

	// Quota says how crmguard treats the CRM's API limits.
	Quota Quota `yaml:"quota"`
}

// Quota says how crmguard treats a CRM's API limits. The remaining calls
// each CRM reports are exported as crmguard_quota_remaining. After the CRM
// refuses a call for its quota, calls are held back (answered 429 with
// Retry-After, class rate_limit, without reaching the CRM) until the reset
// time the CRM named, so they do not spend calls it would refuse.
type Quota struct {
	// Pause is how long calls are held back after a quota error that
	// names no reset time (Salesforce's rolling daily quota does not).
	// Default 1m.
	Pause Duration `yaml:"pause"`
}

// Retry says how a failed call is retried. Only retryable classes are
// retried, and only when it is safe: always if the request never reached
// the CRM, afterwards only idempotent methods and writes the dialect or an
// Idempotency-Key make idempotent. Waits are exponential with full jitter,
// or what the CRM asks for (Retry-After, rate-limit reset headers), and
// never outlast the call's timeout.
type Retry struct {
	// Attempts is the most attempts per call, the first included; 1 turns
	// retries off. Default 3.
	Attempts int `yaml:"attempts"`

	// Backoff is the base wait before the first retry; each retry may wait
	// up to twice as long as the one before. Default 200ms.
	Backoff Duration `yaml:"backoff"`

	// MaxBackoff caps a single wait. Default 5s.
	MaxBackoff Duration `yaml:"max_backoff"`

	// Budget caps retries at this share of the upstream's calls over the
	// last ten seconds (plus ten retries a second), so a failing CRM is not
	// hammered; 0 turns retries off but for calls that never reached the
	// CRM. Write 0.2 or "20%". Default 0.2.
	Budget Ratio `yaml:"budget"`
}

// Breaker configures an endpoint's circuit breaker: when the share of
// failed calls (network, timeout, server, unavailable) over the window
// reaches FailureRatio with at least MinCalls calls, the breaker opens and
// calls fail fast with class unavailable for the cooldown; then a few
// probe calls decide whether it closes again.
type Breaker struct {
	// FailureRatio is the share of failed calls that opens the breaker,
	// above 0 and at most 1 (0.5 or "50%"). Default 0.5.
	FailureRatio Ratio `yaml:"failure_ratio"`

	// MinCalls is the fewest calls in the window before the breaker may
	// open. Default 20.
	MinCalls int `yaml:"min_calls"`

	// Window is the span over which calls are counted. Default 30s.
	Window Duration `yaml:"window"`

	// Cooldown is how long the breaker stays open before it lets probe
	// calls through. Default 15s.
	Cooldown Duration `yaml:"cooldown"`
}

// Recording tunes call recording.
type Recording struct {
	// Buffer is how many finished calls may wait to be written; at least 1.
	// When it is full, further calls are not recorded and the loss is
	// counted in crmguard_recorder_dropped_total and logged; the calls
	// themselves are never slowed or failed. Default 65536.
	Buffer int `yaml:"buffer"`

	// Batch is the most calls written in one transaction, 1 to 100000.
	// Default 1000.
	Batch int `yaml:"batch"`

	// FlushInterval is the longest a finished call waits before it is
	// written. Default 1s.
	FlushInterval Duration `yaml:"flush_interval"`

	// RollupInterval is how often per-minute rollups are written.
	// Default 10s.
	RollupInterval Duration `yaml:"rollup_interval"`

	// SampleBytes caps each stored request and response sample of a failed
	// call, at most 1MiB. Default 4KiB; 0 keeps no samples.
	SampleBytes ByteSize `yaml:"sample_bytes"`

	// InspectBytes is the most of a response body read to classify it
	// (errors inside HTTP 200, batch results), 4KiB to 64MiB. Larger
	// bodies are classified by what fits. Default 1MiB.
	InspectBytes ByteSize `yaml:"inspect_bytes"`

	// MaskPersonalData masks e-mail addresses and phone numbers in stored
	// samples and messages. Only true and false are accepted. Default true.
	MaskPersonalData *bool `yaml:"mask_personal_data"`
}

// Retention says how long stored data is kept.
type Retention struct {
	// Calls is how long raw call records are kept. Default 168h (7 days).
	Calls Duration `yaml:"calls"`

	// Rollups is how long per-minute rollups are kept. Default 9600h
	// (400 days).
	Rollups Duration `yaml:"rollups"`
}

// Incidents tunes incident grouping.
type Incidents struct {
	// ResolveAfter resolves an open incident that has not recurred for this
	// long. Default 30m.
	ResolveAfter Duration `yaml:"resolve_after"`
}

// Log configures crmguard's own log.
type Log struct {
	// Level is debug, info, warn or error. Default info.
	Level string `yaml:"level"`

	// Format is text or json. Default text.
	Format string `yaml:"format"`
}

// MaskPersonal reports whether personal data is masked: true unless
// MaskPersonalData is set to false.
func (r Recording) MaskPersonal() bool { return r.MaskPersonalData == nil || *r.MaskPersonalData }

// DialectNames returns the dialect names an upstream may use, in the order
// the documentation lists them. The slice is new on every call.
func DialectNames() []string {
	return []string{"salesforce", "hubspot", "dynamics", "zoho", "suitecrm", "odoo", "pipedrive", "fxiaoke", "generic"}
}

// New returns a configuration with every default applied and the given
// upstreams (also defaulted), for programs that build their configuration
// in code. Call Validate before using it.
func New(upstreams ...Upstream) *Config {
	c := &Config{Upstreams: append([]Upstream(nil), upstreams...)}
	c.ApplyDefaults()
	return c
}
