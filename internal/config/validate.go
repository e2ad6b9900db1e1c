package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crmguard/crmguard/internal/contract"
	"github.com/crmguard/crmguard/internal/normalize"
)

// Limits that Validate enforces.
const (
	maxTimeout       = Duration(24 * time.Hour)
	maxBatch         = 100000
	maxSampleBytes   = 1 * MiB
	minInspectBytes  = 4 * KiB
	maxInspectBytes  = 64 * MiB
	maxReserve       = 0.9
	maxQueueAttempts = 10000
	maxQueueRate     = 100000
	maxQueueWorkers  = 64
	minContractBody  = 1 * KiB
	maxContractBody  = 64 * MiB
)

// Validate checks c and returns every problem it finds, each an *Error
// naming the key path (such as upstreams[0].url), joined with errors.Join;
// or nil. It does not apply defaults: call ApplyDefaults first, or build c
// with New. Load calls it and adds file positions to its errors.
func (c *Config) Validate() error {
	if c == nil {
		return &Error{Err: errors.New("no configuration")}
	}
	errs := c.problems()
	if len(errs) == 0 {
		return nil
	}
	joined := make([]error, len(errs))
	for i, e := range errs {
		joined[i] = e
	}
	return errors.Join(joined...)
}

// problems returns c's problems in the order of the keys in the schema.
func (c *Config) problems() []*Error {
	var v validator
	v.address("listen", c.Listen, "127.0.0.1:8080")
	v.address("admin.listen", c.Admin.Listen, "127.0.0.1:8081")
	if c.Listen != "" && c.Listen == c.Admin.Listen && !strings.HasSuffix(c.Listen, ":0") {
		v.add("admin.listen", "%q is also the gateway's listen address; give the admin API its own port, e.g. 127.0.0.1:8081", c.Admin.Listen)
	}
	switch {
	case c.Admin.TokenEnv == "":
		v.add("admin.token_env", "required; name the environment variable holding the admin token, e.g. CRMGUARD_ADMIN_TOKEN")
	case !isEnvName(c.Admin.TokenEnv):
		// The value is not repeated: it may be the token itself, pasted
		// where its variable's name belongs.
		v.add("admin.token_env", "not a valid environment variable name (value not shown, in case it is the token itself); write the variable's name, letters, digits and _ not starting with a digit, e.g. CRMGUARD_ADMIN_TOKEN")
	}
	v.store(c.Store)
	v.header("client_header", c.ClientHeader)

	r := c.Recording
	if r.Buffer < 1 {
		v.add("recording.buffer", "must be at least 1, got %d (default %d)", r.Buffer, defaultBuffer)
	}
	if r.Batch < 1 || r.Batch > maxBatch {
		v.add("recording.batch", "must be from 1 to %d, got %d (default %d)", maxBatch, r.Batch, defaultBatch)
	}
	v.positive("recording.flush_interval", r.FlushInterval, defaultFlushInterval)
	v.positive("recording.rollup_interval", r.RollupInterval, defaultRollupInterval)
	if r.SampleBytes < 0 || r.SampleBytes > maxSampleBytes {
		v.add("recording.sample_bytes", "must be from 0 to %s, got %s (default %s; 0 keeps no samples)", maxSampleBytes, r.SampleBytes, defaultSampleBytes)
	}
	if r.InspectBytes < minInspectBytes || r.InspectBytes > maxInspectBytes {
		v.add("recording.inspect_bytes", "must be from %s to %s, got %s (default %s)", minInspectBytes, maxInspectBytes, r.InspectBytes, defaultInspectBytes)
	}
	v.positive("retention.calls", c.Retention.Calls, defaultRetainCalls)
	v.positive("retention.rollups", c.Retention.Rollups, defaultRetainRollups)
	v.positive("incidents.resolve_after", c.Incidents.ResolveAfter, defaultResolveAfter)
	v.oneOf("log.level", "level", c.Log.Level, []string{"debug", "info", "warn", "error"})
	v.oneOf("log.format", "format", c.Log.Format, []string{"text", "json"})
	v.envName("queue.key_env", c.Queue.KeyEnv, defaultQueueKeyEnv)
	if c.Queue.Workers < 1 || c.Queue.Workers > maxQueueWorkers {
		v.add("queue.workers", "must be from 1 to %d, got %d; the default is %d", maxQueueWorkers, c.Queue.Workers, defaultQueueWorkers)
	}
	v.positive("queue.lease", c.Queue.Lease, defaultQueueLease)
	v.positive("queue.poll", c.Queue.Poll, defaultQueuePoll)
	v.positive("queue.backoff", c.Queue.Backoff, defaultQueueBackoff)
	v.positive("queue.max_backoff", c.Queue.MaxBackoff, defaultQueueMaxWait)
	if c.Queue.Backoff > 0 && c.Queue.MaxBackoff > 0 && c.Queue.Backoff > c.Queue.MaxBackoff {
		v.add("queue.max_backoff", "%s is shorter than queue.backoff %s; the first wait could never happen", c.Queue.MaxBackoff, c.Queue.Backoff)
	}
	v.positive("queue.keep", c.Queue.Keep, defaultQueueKeep)

	if len(c.Upstreams) == 0 {
		v.add("upstreams", "no upstreams configured; add at least one with a name and a url, e.g. upstreams: [{name: sf, url: \"https://example.my.salesforce.com\", dialect: salesforce}]")
	}
	names := make(map[string]int)
	for i, u := range c.Upstreams {
		p := fmt.Sprintf("upstreams[%d]", i)
		v.upstream(p, u)
		if u.Name == "" {
			continue
		}
		if j, dup := names[u.Name]; dup {
			v.add(p+".name", "duplicate name %q (also upstreams[%d]); each upstream needs its own name, the prefix of its requests' paths", u.Name, j)
		} else {
			names[u.Name] = i
		}
	}
	v.alerts(c)
	return v.errs
}

// validator collects problems.
type validator struct{ errs []*Error }

// add records a problem with the value at path.
func (v *validator) add(path, format string, args ...any) {
	v.errs = append(v.errs, &Error{Path: path, Err: fmt.Errorf(format, args...)})
}

// address checks a host:port listen address.
func (v *validator) address(path, addr, example string) {
	if addr == "" {
		v.add(path, "required; write host:port, e.g. %s", example)
		return
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		var ae *net.AddrError
		if errors.As(err, &ae) {
			err = errors.New(ae.Err)
		}
		v.add(path, "invalid address %q: %v; write host:port, e.g. %s, or :%s for every interface", addr, err, example, example[strings.LastIndexByte(example, ':')+1:])
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 || strings.HasPrefix(port, "+") {
		v.add(path, "invalid port %q in %q: write a number from 0 to 65535, e.g. %s", port, addr, example)
	}
}

// positive checks that a duration is greater than 0.
func (v *validator) positive(path string, d, def Duration) {
	if d <= 0 {
		v.add(path, "must be greater than 0, got %s; write a duration such as %s (the default)", d, def)
	}
}

// oneOf checks that s is one of the allowed values.
func (v *validator) oneOf(path, what, s string, allowed []string) {
	if slices.Contains(allowed, s) {
		return
	}
	hint := ""
	if m := suggest(s, allowed); m != "" {
		hint = fmt.Sprintf(" (did you mean %q?)", m)
	}
	v.add(path, "unknown %s %q%s; use %s", what, s, hint, orList(allowed))
}

// store checks the store DSN without repeating any password in it.
func (v *validator) store(s string) {
	const forms = "use sqlite:///absolute/path.db, sqlite://relative/path.db or postgres://user:pass@host:5432/db"
	scheme, rest, ok := strings.Cut(s, "://")
	switch {
	case s == "":
		v.add("store", "required; %s", forms)
	case !ok:
		v.add("store", "not a URL (value not shown, in case it holds a password); %s", forms)
	case scheme == "sqlite":
		if rest == "" || rest == "/" {
			v.add("store", "missing database file in %q; %s", s, forms)
		}
	case scheme == "postgres" || scheme == "postgresql":
		if _, err := url.Parse(s); err != nil {
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err // url.Error repeats the URL, password included
			}
			v.add("store", "invalid PostgreSQL URL (value not shown, in case it holds a password): %v; write postgres://user:pass@host:5432/db, escaping special characters in the password with %%XX", err)
		}
	default:
		v.add("store", "unsupported scheme %q; %s", scheme, forms)
	}
}

// header checks an optional HTTP header name.
func (v *validator) header(path, name string) {
	if name != "" && !isToken(name) {
		v.add(path, "invalid header name %q: use letters, digits and - (any RFC 9110 token character), e.g. X-Client-Id", name)
	}
}

// upstream checks one upstream's own fields.
func (v *validator) upstream(p string, u Upstream) {
	switch {
	case u.Name == "":
		v.add(p+".name", "required; a short name such as sf: requests to /sf/... go to this upstream")
	case !isUpstreamName(u.Name):
		v.add(p+".name", "invalid name %q: use 1 to 63 letters, digits, - or _, starting with a letter or digit, e.g. sf or hubspot-eu", u.Name)
	}
	v.upstreamURL(p+".url", u.URL)
	if !slices.Contains(DialectNames(), u.Dialect) {
		v.oneOf(p+".dialect", "dialect", u.Dialect, DialectNames())
	}
	switch {
	case u.Timeout <= 0:
		v.add(p+".timeout", "must be greater than 0, got %s; write a duration such as %s (the default)", u.Timeout, defaultTimeout)
	case u.Timeout > maxTimeout:
		v.add(p+".timeout", "%s is longer than the %s maximum; write a duration such as %s (the default)", u.Timeout, maxTimeout, defaultTimeout)
	}
	v.header(p+".client_header", u.ClientHeader)
	for i, f := range u.Failover {
		v.upstreamURL(fmt.Sprintf("%s.failover[%d]", p, i), f)
	}
	r := u.Retry
	if r.Attempts < 1 || r.Attempts > 10 {
		v.add(p+".retry.attempts", "must be from 1 (no retries) to 10, got %d; the default is %d", r.Attempts, defaultAttempts)
	}
	v.positive(p+".retry.backoff", r.Backoff, defaultBackoff)
	v.positive(p+".retry.max_backoff", r.MaxBackoff, defaultMaxBackoff)
	if r.MaxBackoff > 0 && r.Backoff > r.MaxBackoff {
		v.add(p+".retry.max_backoff", "%s is shorter than retry.backoff %s; the first wait could never happen", r.MaxBackoff, r.Backoff)
	}
	if r.Budget < 0 || r.Budget > 1 {
		v.add(p+".retry.budget", "must be a share from 0 to 1, such as %s (retries at most a fifth of calls), got %s", Ratio(defaultBudget), r.Budget)
	}
	b := u.Breaker
	if b.FailureRatio <= 0 || b.FailureRatio > 1 {
		v.add(p+".breaker.failure_ratio", "must be above 0 and at most 1, such as %s, got %s", Ratio(defaultFailureRatio), b.FailureRatio)
	}
	if b.MinCalls < 1 {
		v.add(p+".breaker.min_calls", "must be at least 1, got %d; the default is %d", b.MinCalls, defaultMinCalls)
	}
	v.positive(p+".breaker.window", b.Window, defaultWindow)
	v.positive(p+".breaker.cooldown", b.Cooldown, defaultCooldown)
	v.positive(p+".quota.pause", u.Quota.Pause, defaultQuotaPause)
	if u.Quota.Reserve < 0 || u.Quota.Reserve > maxReserve {
		v.add(p+".quota.reserve", "must be a share from 0 to %s, such as %s (a tenth of each window kept for interactive calls), got %s", Ratio(maxReserve), Ratio(defaultQuotaReserve), u.Quota.Reserve)
	}
	q := u.Queue
	v.oneOf(p+".queue.writes", "mode", q.Writes, []string{"on_failure", "always", "never"})
	if q.MaxAttempts < 1 || q.MaxAttempts > maxQueueAttempts {
		v.add(p+".queue.max_attempts", "must be from 1 to %d, got %d; the default is %d", maxQueueAttempts, q.MaxAttempts, defaultQueueAttempts)
	}
	v.positive(p+".queue.max_age", q.MaxAge, defaultQueueMaxAge)
	if !(q.Rate > 0 && q.Rate <= maxQueueRate) { // also rejects NaN
		v.add(p+".queue.rate", "must be above 0 and at most %g writes per second, got %g; the default is %g", float64(maxQueueRate), q.Rate, defaultQueueRate)
	}
	v.credentials(p+".credentials", u.Credentials)
	v.contract(p+".contract", u.Contract)
	if _, err := normalize.Compile(u.NormalizeRules()); err != nil {
		v.normalize(p+".normalize", err)
	}
	v.oneOf(p+".versions.policy", "policy", u.Versions.Policy, []string{"warn", "enforce", "off"})
	for i, l := range u.Versions.Lifecycle {
		if _, err := l.entry(); err != nil {
			v.add(fmt.Sprintf("%s.versions.lifecycle[%d]", p, i), "%v", err)
		}
	}
}

// contract checks an upstream's contract settings and loads its spec, so
// that a broken contract is found by crmguard validate, not at the first
// call.
func (v *validator) contract(p string, c Contract) {
	v.oneOf(p+".requests", "mode", c.Requests, []string{"enforce", "report", "off"})
	v.oneOf(p+".responses", "mode", c.Responses, []string{"report", "off"})
	if c.MaxBody < minContractBody || c.MaxBody > maxContractBody {
		v.add(p+".max_body", "must be from %s to %s, got %s (default %s)", minContractBody, maxContractBody, c.MaxBody, defaultContractBody)
	}
	if c.Base != "" && (!strings.HasPrefix(c.Base, "/") || strings.HasSuffix(c.Base, "/")) {
		v.add(p+".base", "%q must start with / and not end with one, e.g. /Api/V8", c.Base)
	}
	if c.Spec == "" {
		if c.Base != "" || c.Strict != nil && *c.Strict {
			v.add(p+".spec", "required when base or strict is set; name the contract's OpenAPI file")
		}
		return
	}
	if _, err := contract.Load(c.Spec, contract.Options{}); err != nil {
		v.add(p+".spec", "%v", err)
	}
}

// normalize reports a rule compile error at the rule it names.
func (v *validator) normalize(p string, err error) {
	var many interface{ Unwrap() []error }
	if errors.As(err, &many) {
		for _, e := range many.Unwrap() {
			var re *normalize.RuleError
			if errors.As(e, &re) {
				v.add(fmt.Sprintf("%s[%d]", p, re.Index), "%v", re.Err)
			} else {
				v.add(p, "%v", e)
			}
		}
		return
	}
	v.add(p, "%v", err)
}

// credentials checks an upstream's optional credentials.
func (v *validator) credentials(p string, c Credentials) {
	switch c.Kind {
	case "":
		if c.Grant != "" || c.TokenURL != "" || c.ClientID != "" || c.ClientSecretEnv != "" ||
			c.RefreshTokenEnv != "" || len(c.Scopes) > 0 || c.KeyEnv != "" || c.Header != "" || c.Prefix != "" {
			v.add(p+".kind", "required when other credentials keys are set; write oauth2 or api_key")
		}
		return
	case "oauth2":
		v.oneOf(p+".grant", "grant", c.Grant, []string{"client_credentials", "refresh_token"})
		v.upstreamURL(p+".token_url", c.TokenURL)
		if c.ClientID == "" {
			v.add(p+".client_id", "required for kind oauth2; the client (consumer) id the CRM issued")
		}
		v.envName(p+".client_secret_env", c.ClientSecretEnv, "SF_CLIENT_SECRET")
		if c.Grant == "refresh_token" {
			v.envName(p+".refresh_token_env", c.RefreshTokenEnv, "SF_REFRESH_TOKEN")
		}
		if c.KeyEnv != "" {
			v.add(p+".key_env", "is for kind api_key; an oauth2 token comes from token_url")
		}
	case "api_key":
		v.envName(p+".key_env", c.KeyEnv, "CRM_API_KEY")
		for _, k := range []struct{ key, val string }{
			{"grant", c.Grant}, {"token_url", c.TokenURL}, {"client_id", c.ClientID},
			{"client_secret_env", c.ClientSecretEnv}, {"refresh_token_env", c.RefreshTokenEnv},
		} {
			if k.val != "" {
				v.add(p+"."+k.key, "is for kind oauth2; an api_key is read from key_env")
			}
		}
	default:
		v.oneOf(p+".kind", "kind", c.Kind, []string{"oauth2", "api_key"})
		return
	}
	if c.Header == "" {
		v.add(p+".header", "required; the header the credential goes in, e.g. Authorization")
	}
	v.header(p+".header", c.Header)
}

// envName checks a required environment variable name. The value is not
// repeated in the message: it may be the secret itself, pasted where its
// variable's name belongs.
func (v *validator) envName(path, name, example string) {
	switch {
	case name == "":
		v.add(path, "required; name the environment variable that holds the secret, e.g. %s", example)
	case !isEnvName(name):
		v.add(path, "not a valid environment variable name (value not shown, in case it is the secret itself); write the variable's name, letters, digits and _ not starting with a digit, e.g. %s", example)
	}
}

// upstreamURL checks an upstream's base URL.
func (v *validator) upstreamURL(path, s string) {
	const example = "https://example.my.salesforce.com or https://crm.example.com/api"
	if s == "" {
		v.add(path, "required; the CRM API's base URL, e.g. %s", example)
		return
	}
	u, err := url.Parse(s)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		v.add(path, "invalid URL: %v; write e.g. %s", err, example)
		return
	}
	shown := s
	if u.User != nil {
		shown = u.Redacted()
	}
	switch {
	case u.Scheme == "":
		v.add(path, "%q is not an absolute URL; start it with https:// or http://, e.g. %s", shown, example)
	case u.Scheme != "http" && u.Scheme != "https":
		v.add(path, "unsupported scheme %q in %q; use https:// or http://, e.g. %s", u.Scheme, shown, example)
	case u.Opaque != "" || u.Host == "":
		v.add(path, "%q has no host; write scheme://host[/base/path], e.g. %s", shown, example)
	case !validPort(u.Port()):
		v.add(path, "invalid port %q in %q: write a number from 1 to 65535, or leave it out for the scheme's default", u.Port(), shown)
	case u.RawQuery != "" || u.ForceQuery:
		// The query is not shown: some CRMs take API keys there.
		shown, _, _ = strings.Cut(shown, "?")
		v.add(path, "%q has a query (?...; not shown, in case it holds a key); remove it: the base URL is joined with each request's path and query", shown+"?...")
	case u.Fragment != "" || strings.Contains(s, "#"):
		v.add(path, "%q has a fragment (#...); remove it", shown)
	}
}

// validPort reports whether an URL's port is empty (the scheme's default)
// or a number from 1 to 65535.
func validPort(p string) bool {
	if p == "" {
		return true
	}
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535
}

// isUpstreamName reports whether s matches ^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$.
func isUpstreamName(s string) bool {
	if len(s) < 1 || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case (c == '-' || c == '_') && i > 0:
		default:
			return false
		}
	}
	return true
}

// isToken reports whether s is an HTTP token (RFC 9110, section 5.6.2),
// the form of a header name.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
