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

	// Queue configures the durable write queue shared by the upstreams;
	// each upstream's queue key says which of its writes go to it.
	Queue Queue `yaml:"queue"`

	// Upstreams are the CRM APIs crmguard stands in front of. At least one
	// is required.
	Upstreams []Upstream `yaml:"upstreams"`

	// Alerts are the alert rules evaluated on the call rollups and live
	// state, and the maintenance windows that silence them. See
	// docs/alerting.md.
	Alerts Alerts `yaml:"alerts"`

	// Notifiers are where alert notifications go: webhook, slack, email
	// or alertmanager.
	Notifiers []Notifier `yaml:"notifiers,omitempty"`

	// Integrations push crmguard's figures and events to monitoring
	// tools: a Zabbix server, and an ECS log file for the ELK stack.
	Integrations Integrations `yaml:"integrations"`

	// Reports are written on a schedule into a directory, and optionally
	// mailed. See docs/reports.md.
	Reports Reports `yaml:"reports"`
}

// Reports configures scheduled reports; empty dir turns them off.
type Reports struct {
	// Dir is where reports are written, as
	// crmguard-<kind>-<first day>.<format>; created if missing.
	Dir string `yaml:"dir"`

	// Schedule lists the reports written: daily, weekly (Monday to
	// Sunday) and monthly, each for the period that just ended. Required
	// with dir.
	Schedule []string `yaml:"schedule,omitempty"`

	// Formats lists the formats written for each report: html, md, csv,
	// json. Empty, the default, writes html and md.
	Formats []string `yaml:"formats,omitempty"`

	// Timezone is the IANA zone whose days the reports cover. Default
	// UTC.
	Timezone string `yaml:"timezone"`

	// Email names a notifier of type email that each report is mailed
	// through, with the files attached. Empty mails nothing.
	Email string `yaml:"email"`
}

// Alerts configures alert evaluation.
type Alerts struct {
	// EvaluateEvery is how often the rules are evaluated, by one replica
	// at a time. Default 15s.
	EvaluateEvery Duration `yaml:"evaluate_every"`

	// RepeatInterval is how often a firing, unacknowledged alert group
	// is notified again, for rules that set none. Default 4h.
	RepeatInterval Duration `yaml:"repeat_interval"`

	// KeepResolved is how long resolved alerts stay listed in the admin
	// API; the history keeps them as long as the store does. Default 24h.
	KeepResolved Duration `yaml:"keep_resolved"`

	// Rules are the alert rules.
	Rules []AlertRule `yaml:"rules,omitempty"`

	// Maintenance lists windows during which matching alerts are
	// evaluated and recorded but not notified.
	Maintenance []Maintenance `yaml:"maintenance,omitempty"`
}

// AlertRule is one alert rule.
type AlertRule struct {
	// Name identifies the rule and is the alerts' alertname label: 1 to
	// 63 letters, digits, '.', '-' or '_'; unique. Required.
	Name string `yaml:"name"`

	// When is the condition. Required.
	When AlertCondition `yaml:"when"`

	// For is how long the condition must hold before the alert fires;
	// until then it is pending. Zero, the default, fires at once.
	For Duration `yaml:"for"`

	// Severity is critical, warning or info. Default warning.
	Severity string `yaml:"severity"`

	// Labels are added to the rule's alerts, for routing in Alertmanager
	// and for silences (for example team: crm).
	Labels map[string]string `yaml:"labels,omitempty"`

	// Summary replaces the one-line summary crmguard writes for the
	// rule's alerts: a Go template over .Rule, .Labels and .Value, such
	// as "{{.Labels.upstream}} refuses our credentials".
	Summary string `yaml:"summary"`

	// GroupBy lists labels (upstream, class…) whose values split the
	// rule's alerts into separate notifications; empty sends all the
	// rule's alerts together.
	GroupBy []string `yaml:"group_by,omitempty"`

	// RepeatInterval overrides alerts.repeat_interval for this rule.
	RepeatInterval Duration `yaml:"repeat_interval"`

	// Notify names the notifiers of this rule; empty means every
	// notifier.
	Notify []string `yaml:"notify,omitempty"`

	// SendResolved sends a notification when the rule's alerts resolve.
	// Default true.
	SendResolved *bool `yaml:"send_resolved"`
}

// AlertCondition says when a rule's alerts are active: one of a class's
// share (rate_over) or count (count_over) of calls, a latency statistic
// (latency with over), breaker open, queue depth|oldest_age|dead, quota
// remaining, or incident new|regressed|open. Thresholds are written as
// the condition measures: a share (0.05 or "5%"), a duration (3s) or a
// number.
type AlertCondition struct {
	// Upstream is the upstream's name, or "*" for each upstream
	// separately. Default * (each upstream).
	Upstream string `yaml:"upstream"`

	// Class is a failure class, or failed for every failed class; with
	// rate_over, count_over or incident.
	Class string `yaml:"class"`

	// RateOver is the window of a share condition: the class's share of
	// the upstream's calls over it.
	RateOver Duration `yaml:"rate_over"`

	// CountOver is the window of a count condition: the number of the
	// class's calls over it.
	CountOver Duration `yaml:"count_over"`

	// MinCalls is the fewest calls in a rate_over window for the share
	// to count, so that one failed call of two does not alert. Default 1.
	MinCalls int `yaml:"min_calls"`

	// Latency is the statistic of a latency condition: p50, p90, p95,
	// p99, max or mean.
	Latency string `yaml:"latency"`

	// Over is the window of a latency condition.
	Over Duration `yaml:"over"`

	// Breaker is open: active while an endpoint's circuit breaker is
	// open.
	Breaker string `yaml:"breaker"`

	// Queue is depth (writes waiting), oldest_age (the oldest one's
	// wait) or dead (dead letters) of the write queue.
	Queue string `yaml:"queue"`

	// Quota is remaining: the lowest share left of the upstream's API
	// quota windows, used with below.
	Quota string `yaml:"quota"`

	// Incident is new (an open incident that never reopened), regressed
	// (one that reopened after it was resolved) or open: one alert per
	// matching open incident, resolved with it.
	Incident string `yaml:"incident"`

	// Above is the threshold the value must exceed.
	Above string `yaml:"above"`

	// Below is the threshold the value must fall under (for quota).
	Below string `yaml:"below"`
}

// Maintenance is a window during which matching alerts are not notified:
// once (start and end) or every week (days, from, to).
type Maintenance struct {
	// Name shows on the alerts the window silences. Required.
	Name string `yaml:"name"`

	// Match selects alerts by label (a value may hold * wildcards);
	// empty selects every alert.
	Match map[string]string `yaml:"match,omitempty"`

	// Start of a one-off window, RFC 3339 (2026-12-24T18:00:00+01:00).
	Start string `yaml:"start"`

	// End of a one-off window, RFC 3339.
	End string `yaml:"end"`

	// Days of a weekly window: mon, tue, wed, thu, fri, sat, sun.
	Days []string `yaml:"days,omitempty"`

	// From is the time of day a weekly window opens, such as 22:00.
	From string `yaml:"from"`

	// To is the time of day it closes; earlier than from crosses
	// midnight.
	To string `yaml:"to"`

	// Timezone of a weekly window, an IANA name. Default UTC.
	Timezone string `yaml:"timezone"`
}

// Notifier is one destination of alert notifications. Secrets (webhook
// URLs with tokens, passwords) are read from environment variables
// named here, never written in the file.
type Notifier struct {
	// Name identifies the notifier in rules' notify lists and in the
	// notification log; unique. Required.
	Name string `yaml:"name"`

	// Type is webhook (JSON, optionally templated), slack (a
	// Slack-compatible incoming webhook), email (SMTP) or alertmanager
	// (Alertmanager's API v2). Required.
	Type string `yaml:"type"`

	// URL is the webhook's or Slack webhook's URL, or the Alertmanager's
	// base URL (http://127.0.0.1:9093).
	URL string `yaml:"url"`

	// URLEnv names an environment variable holding the URL instead, for
	// URLs that carry a secret (Slack's do).
	URLEnv string `yaml:"url_env"`

	// Headers are sent with every webhook request.
	Headers map[string]string `yaml:"headers,omitempty"`

	// Template is a Go text/template for the webhook's body over the
	// notification (.Kind, .Status, .Summary, .Alerts…); empty sends the
	// notification as JSON.
	Template string `yaml:"template"`

	// Channel overrides the Slack webhook's channel.
	Channel string `yaml:"channel"`

	// SMTP is the mail server as host:port, for type email.
	SMTP string `yaml:"smtp"`

	// From is the sender's address, for type email.
	From string `yaml:"from"`

	// To are the recipients, for type email.
	To []string `yaml:"to,omitempty"`

	// Username authenticates to the mail server (AUTH PLAIN, only over
	// TLS); empty sends without authentication.
	Username string `yaml:"username"`

	// PasswordEnv names the environment variable holding the mail
	// password.
	PasswordEnv string `yaml:"password_env"`

	// StartTLS is required, opportunistic or none. Default required.
	StartTLS string `yaml:"starttls"`

	// CAFile is a PEM file of certificate authorities to trust for the
	// mail server, besides the system's.
	CAFile string `yaml:"ca_file"`

	// Resend is how often firing alerts are sent again to Alertmanager
	// to keep them active there. Default 1m.
	Resend Duration `yaml:"resend"`

	// Timeout bounds one delivery attempt. Default 10s.
	Timeout Duration `yaml:"timeout"`
}

// Integrations push figures and events to monitoring tools.
type Integrations struct {
	// Zabbix pushes key figures to a Zabbix server or proxy with the
	// sender protocol.
	Zabbix Zabbix `yaml:"zabbix"`

	// ECSLog writes every call and event as ECS JSON lines for Filebeat.
	ECSLog ECSLog `yaml:"ecs_log"`
}

// Zabbix configures the Zabbix sender; empty server turns it off.
type Zabbix struct {
	// Server is the Zabbix server or proxy's trapper address, host:port
	// (port 10051).
	Server string `yaml:"server"`

	// Host is the host name the items belong to in Zabbix, as
	// configured there. Required with server.
	Host string `yaml:"host"`

	// Every is how often the figures are pushed. Default 1m.
	Every Duration `yaml:"every"`
}

// ECSLog configures the ECS NDJSON log; empty path turns it off.
type ECSLog struct {
	// Path is the log file; rotated files are path.1, path.2…
	Path string `yaml:"path"`

	// MaxSize rotates the file before it would grow past this size.
	// Default 100MiB.
	MaxSize ByteSize `yaml:"max_size"`

	// MaxFiles is how many rotated files are kept. Default 5.
	MaxFiles int `yaml:"max_files"`
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

	// Queue says which writes to this CRM are kept in the durable write
	// queue and how long they are tried.
	Queue UpstreamQueue `yaml:"queue"`

	// Credentials are the CRM credentials crmguard holds itself, if any:
	// it sends them on calls that carry none of their own (and on every
	// queued write it replays), refreshes them before they expire, and
	// once after the CRM refuses them.
	Credentials Credentials `yaml:"credentials"`

	// Contract is the upstream's API contract (OpenAPI 3.0 or 3.1) that
	// requests are checked against before they reach the CRM and
	// responses after they come back.
	Contract Contract `yaml:"contract"`

	// Normalize lists rules that rewrite values of JSON request bodies
	// into the form the CRM accepts (dates, phone numbers, e-mail
	// addresses, whitespace, length) before the contract check and before
	// forwarding; each change is recorded on the call. A value a rule
	// cannot normalise is refused with 422, class data_format.
	Normalize []NormalizeRule `yaml:"normalize,omitempty"`

	// Versions says how calls on deprecated and retired API versions are
	// treated.
	Versions Versions `yaml:"versions"`
}

// Contract is an upstream's API contract and how strictly it is applied.
type Contract struct {
	// Spec is the contract's file, OpenAPI 3.0 or 3.1 as JSON or YAML; a
	// relative path is read from the configuration file's directory.
	// References to other local files are resolved, remote ones are not
	// followed. Empty means no contract.
	Spec string `yaml:"spec"`

	// Base is a path prefix of the requests below the upstream that the
	// contract's paths leave out: with url https://crm.example.com and
	// base /Api/V8, a request to /NAME/Api/V8/module/Contacts is checked
	// as /module/Contacts. Empty means the contract's paths start right
	// below the upstream's url (its own servers' path is also accepted).
	Base string `yaml:"base"`

	// Requests is enforce (a request that breaks the contract is refused
	// with 400, class parameter, or 422, class data_format, listing every
	// violation, and never reaches the CRM), report (it is forwarded and
	// the violations are recorded on the call) or off. Default report.
	Requests string `yaml:"requests"`

	// Responses is report (a successful response that no longer matches
	// the contract is passed on unchanged and recorded as contract drift,
	// class version, grouped into an incident per operation) or off.
	// Default report.
	Responses string `yaml:"responses"`

	// Strict also reports body properties and query parameters the
	// contract does not declare, even where it allows undeclared ones.
	// Only true and false are accepted; false when unset.
	Strict *bool `yaml:"strict"`

	// Learn records the shape of this upstream's traffic (types and
	// formats, never values) so that crmguard contract learn can draft a
	// contract for a CRM that publishes none. Works with or without spec.
	// Only true and false are accepted; false when unset.
	Learn *bool `yaml:"learn"`

	// MaxBody is the largest request or response body read to normalise
	// and check, 1KiB to 64MiB. A larger body is forwarded unchecked and
	// counted in crmguard_guard_unchecked_total. Default 1MiB.
	MaxBody ByteSize `yaml:"max_body"`
}

// NormalizeRule rewrites one field of JSON request bodies.
type NormalizeRule struct {
	// Field is the field's path: object keys joined with dots, * for any
	// key (as in *.name); a step that meets an array applies to each
	// element. Required.
	Field string `yaml:"field"`

	// As is the kind of value: date, datetime, phone (E.164), email,
	// trim or text (a length limit). Required.
	As string `yaml:"as"`

	// Format is the Go time layout a date or datetime is written in, such
	// as 2006-01-02 (the default for date) or 2006-01-02T15:04:05Z07:00
	// (the default for datetime).
	Format string `yaml:"format"`

	// Order says how all-numeric dates such as 03/04/2025 are read: dmy
	// or mdy. Without it such a date is refused when it is ambiguous.
	Order string `yaml:"order"`

	// Zone is the IANA time zone of datetimes sent without an offset, for
	// as datetime; UTC when empty.
	Zone string `yaml:"zone"`

	// Region is the ISO 3166-1 alpha-2 region (such as CN, DE or US) of
	// phone numbers sent without a country code. Required for as phone.
	Region string `yaml:"region"`

	// MaxLength is the most characters a text value may have. Required
	// for as text.
	MaxLength int `yaml:"max_length"`

	// OnOverflow is what happens to a longer text value: reject (refused
	// with 422) or truncate (cut to max_length, recorded on the call);
	// reject when empty.
	OnOverflow string `yaml:"on_overflow"`
}

// Versions is the API version policy of an upstream. crmguard knows the
// lifecycles its dialects' vendors announced (see docs/guard.md); calls
// on a deprecated or retired version get Warning, Deprecation and Sunset
// response headers and are counted in
// crmguard_deprecated_calls_total{upstream,client,version,state}.
type Versions struct {
	// Policy is warn (headers and metrics), enforce (as warn, and calls on
	// a retired version are refused with 410, class version, without
	// reaching the CRM) or off. Default warn.
	Policy string `yaml:"policy"`

	// Lifecycle adds versions or endpoints to the built-in lifecycles,
	// and takes precedence over them.
	Lifecycle []VersionLifecycle `yaml:"lifecycle,omitempty"`
}

// VersionLifecycle is the lifecycle of a range of versions or of an
// endpoint.
type VersionLifecycle struct {
	// Versions is a range of path versions, both ends included, such as
	// v41.0-v44.0 or 2025-03..2025-09 (either end may be left open, as in
	// ..v30.0), or one version such as v2. Either this or path.
	Versions string `yaml:"versions"`

	// Path matches requests below the upstream whose path starts with it,
	// such as /api/legacy, for endpoints that retire without a version
	// number. Either this or versions.
	Path string `yaml:"path"`

	// Deprecated is the day (YYYY-MM-DD) the version is or will be
	// deprecated, sent in the Deprecation header; may be empty.
	Deprecated string `yaml:"deprecated"`

	// Retires is the day (YYYY-MM-DD) calls on it stop working; from that
	// day they count as retired. Empty means no date is known yet.
	Retires string `yaml:"retires"`

	// Note tells developers what ends and what to move to; it is part of
	// the Warning header.
	Note string `yaml:"note"`
}

// UpstreamQueue says which writes to an upstream are queued. A write
// (POST, PUT, PATCH, DELETE and any method that is not read-only) is
// queued only when sending it again is safe: it never reached the CRM, or
// it is idempotent (see retry). The client overrides Writes per request
// with the header Crmguard-Queue: allow (queue on failure) or deny (never
// queue).
type UpstreamQueue struct {
	// Writes is on_failure (send at once; queue the write when it fails
	// for a transient reason: network, timeout, unavailable, rate_limit,
	// server, or an open breaker), always (queue every write and answer
	// 202 at once; the queue sends it) or never. Default on_failure.
	Writes string `yaml:"writes"`

	// MaxAttempts is the most delivery attempts a queued write gets before
	// it becomes a dead letter, from 1 to 10000. Default 50.
	MaxAttempts int `yaml:"max_attempts"`

	// MaxAge is how long after it was accepted a queued write may still be
	// sent; after that it becomes a dead letter. Default 72h.
	MaxAge Duration `yaml:"max_age"`

	// Rate is the most queued writes sent to this CRM per second, so a
	// backlog drained after an outage does not flood a CRM that has just
	// recovered; above 0. Default 20.
	Rate float64 `yaml:"rate"`
}

// Queue configures the durable write queue.
type Queue struct {
	// KeyEnv names the environment variable holding the key that encrypts
	// the secret headers (Authorization, API keys, cookies) of queued
	// writes at rest: 32 bytes as 64 hex digits or standard base64 (for
	// example: openssl rand -hex 32). Each entry's secrets are deleted
	// when it is delivered or dies. Without the variable, writes whose
	// replay needs the client's own credentials are not queued (upstreams
	// with credentials still are). Default CRMGUARD_QUEUE_KEY.
	KeyEnv string `yaml:"key_env"`

	// Workers is how many queued writes this replica sends at once, from
	// 1 to 64. Writes of one record are never sent at once. Default 2.
	Workers int `yaml:"workers"`

	// Lease is how long a replica holds a queued write it is sending; a
	// replica that dies mid-send loses the entry to another one after
	// this long. Default 30s.
	Lease Duration `yaml:"lease"`

	// Poll is how often an idle replica looks for writes to send. Default
	// 500ms.
	Poll Duration `yaml:"poll"`

	// Backoff is the first wait before a failed queued write is sent
	// again; each further wait may double, up to MaxBackoff. The CRM's
	// Retry-After is honoured when longer. Default 1s.
	Backoff Duration `yaml:"backoff"`

	// MaxBackoff caps the wait between attempts. Default 10m.
	MaxBackoff Duration `yaml:"max_backoff"`

	// Keep is how long delivered and dropped entries are kept for audit;
	// dead letters stay until an operator replays or drops them. Default
	// 168h (7 days).
	Keep Duration `yaml:"keep"`
}

// Credentials are CRM credentials crmguard holds for an upstream. Secrets
// are read from environment variables when crmguard starts; they are
// never written to the store or the log.
type Credentials struct {
	// Kind is oauth2 (a token from TokenURL, by the client credentials or
	// refresh token grant) or api_key (a fixed key in a header). Empty
	// (the default) means crmguard holds no credentials and forwards the
	// client's.
	Kind string `yaml:"kind"`

	// Grant is the OAuth 2 grant for kind oauth2: client_credentials or
	// refresh_token; client_credentials when empty.
	Grant string `yaml:"grant"`

	// TokenURL is the OAuth 2 token endpoint, for example
	// https://login.salesforce.com/services/oauth2/token. Required for
	// kind oauth2.
	TokenURL string `yaml:"token_url"`

	// ClientID is the OAuth 2 client (consumer key). Required for kind
	// oauth2.
	ClientID string `yaml:"client_id"`

	// ClientSecretEnv names the environment variable holding the OAuth 2
	// client secret. Required for kind oauth2.
	ClientSecretEnv string `yaml:"client_secret_env"`

	// RefreshTokenEnv names the environment variable holding the refresh
	// token, for grant refresh_token.
	RefreshTokenEnv string `yaml:"refresh_token_env"`

	// Scopes are the OAuth 2 scopes requested, if the CRM wants any.
	Scopes []string `yaml:"scopes,omitempty"`

	// KeyEnv names the environment variable holding the API key, for kind
	// api_key.
	KeyEnv string `yaml:"key_env"`

	// Header is the header the credential is sent in; Authorization when
	// empty.
	Header string `yaml:"header"`

	// Prefix goes before the key or token in Header: for kind oauth2 it is
	// always "Bearer "; for api_key write what the CRM expects, such as
	// "Bearer " or "Zoho-oauthtoken ". Empty means none.
	Prefix string `yaml:"prefix"`
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

	// Reserve is the share of every quota window the CRM reports that is
	// kept for interactive traffic: once less than this share is left,
	// queued writes wait for the window to reset instead of spending it.
	// From 0 (no reserve) to 0.9; write 0.1 or "10%". Default 0.1.
	Reserve Ratio `yaml:"reserve"`
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
