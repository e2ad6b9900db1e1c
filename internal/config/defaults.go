package config

import "time"

// Defaults, as documented on each field.
const (
	defaultListen         = "127.0.0.1:8080"
	defaultAdminListen    = "127.0.0.1:8081"
	defaultTokenEnv       = "CRMGUARD_ADMIN_TOKEN"
	defaultStore          = "sqlite://crmguard.db"
	defaultBuffer         = 65536
	defaultBatch          = 1000
	defaultFlushInterval  = Duration(time.Second)
	defaultRollupInterval = Duration(10 * time.Second)
	defaultSampleBytes    = 4 * KiB
	defaultInspectBytes   = 1 * MiB
	defaultRetainCalls    = Duration(168 * time.Hour)
	defaultRetainRollups  = Duration(9600 * time.Hour)
	defaultResolveAfter   = Duration(30 * time.Minute)
	defaultLogLevel       = "info"
	defaultLogFormat      = "text"
	defaultDialect        = "generic"
	defaultTimeout        = Duration(30 * time.Second)
	defaultAttempts       = 3
	defaultBackoff        = Duration(200 * time.Millisecond)
	defaultMaxBackoff     = Duration(5 * time.Second)
	defaultBudget         = 0.2
	defaultFailureRatio   = 0.5
	defaultMinCalls       = 20
	defaultWindow         = Duration(30 * time.Second)
	defaultCooldown       = Duration(15 * time.Second)
	defaultQuotaPause     = Duration(time.Minute)
	defaultQuotaReserve   = 0.1
	defaultQueueWrites    = "on_failure"
	defaultQueueAttempts  = 50
	defaultQueueMaxAge    = Duration(72 * time.Hour)
	defaultQueueRate      = 20.0
	defaultQueueKeyEnv    = "CRMGUARD_QUEUE_KEY"
	defaultQueueWorkers   = 2
	defaultQueueLease     = Duration(30 * time.Second)
	defaultQueuePoll      = Duration(500 * time.Millisecond)
	defaultQueueBackoff   = Duration(time.Second)
	defaultQueueMaxWait   = Duration(10 * time.Minute)
	defaultQueueKeep      = Duration(168 * time.Hour)
	defaultCredGrant      = "client_credentials"
	defaultCredHeader     = "Authorization"
	defaultContractMode   = "report"
	defaultContractBody   = 1 * MiB
	defaultVersionPolicy  = "warn"
	defaultEvaluateEvery  = Duration(15 * time.Second)
	defaultRepeatInterval = Duration(4 * time.Hour)
	defaultKeepResolved   = Duration(24 * time.Hour)
	defaultStartTLS       = "required"
	defaultResend         = Duration(time.Minute)
	defaultNotifyTimeout  = Duration(10 * time.Second)
	defaultZabbixEvery    = Duration(time.Minute)
	defaultECSLogSize     = 100 * MiB
	minECSLogSize         = 64 * KiB
	defaultECSLogFiles    = 5
)

// ApplyDefaults sets every field that holds its zero value (and
// MaskPersonalData when nil) to its documented default, in c and in each
// of its upstreams. It is for configurations built in code: Load starts
// from the defaults instead, so that a value written as 0 in a file is
// kept (and rejected by Validate where 0 is not allowed). Because 0 is a
// default here, set Recording.SampleBytes to 0 after ApplyDefaults (or
// New) to keep no samples.
func (c *Config) ApplyDefaults() {
	if c == nil {
		return
	}
	setZero(&c.Listen, defaultListen)
	setZero(&c.Admin.Listen, defaultAdminListen)
	setZero(&c.Admin.TokenEnv, defaultTokenEnv)
	setZero(&c.Store, defaultStore)
	r := &c.Recording
	setZero(&r.Buffer, defaultBuffer)
	setZero(&r.Batch, defaultBatch)
	setZero(&r.FlushInterval, defaultFlushInterval)
	setZero(&r.RollupInterval, defaultRollupInterval)
	setZero(&r.SampleBytes, defaultSampleBytes)
	setZero(&r.InspectBytes, defaultInspectBytes)
	if r.MaskPersonalData == nil {
		r.MaskPersonalData = new(true)
	}
	setZero(&c.Retention.Calls, defaultRetainCalls)
	setZero(&c.Retention.Rollups, defaultRetainRollups)
	setZero(&c.Incidents.ResolveAfter, defaultResolveAfter)
	setZero(&c.Log.Level, defaultLogLevel)
	setZero(&c.Log.Format, defaultLogFormat)
	q := &c.Queue
	setZero(&q.KeyEnv, defaultQueueKeyEnv)
	setZero(&q.Workers, defaultQueueWorkers)
	setZero(&q.Lease, defaultQueueLease)
	setZero(&q.Poll, defaultQueuePoll)
	setZero(&q.Backoff, defaultQueueBackoff)
	setZero(&q.MaxBackoff, defaultQueueMaxWait)
	setZero(&q.Keep, defaultQueueKeep)
	for i := range c.Upstreams {
		c.Upstreams[i].applyDefaults()
	}
	al := &c.Alerts
	setZero(&al.EvaluateEvery, defaultEvaluateEvery)
	setZero(&al.RepeatInterval, defaultRepeatInterval)
	setZero(&al.KeepResolved, defaultKeepResolved)
	for i := range al.Rules {
		al.Rules[i].applyDefaults()
	}
	for i := range al.Maintenance {
		al.Maintenance[i].applyDefaults()
	}
	for i := range c.Notifiers {
		c.Notifiers[i].applyDefaults()
	}
	setZero(&c.Reports.Timezone, "UTC")
	if len(c.Reports.Formats) == 0 {
		c.Reports.Formats = []string{"html", "md"}
	}
	setZero(&c.Integrations.Zabbix.Every, defaultZabbixEvery)
	setZero(&c.Integrations.ECSLog.MaxSize, defaultECSLogSize)
	setZero(&c.Integrations.ECSLog.MaxFiles, defaultECSLogFiles)
}

// applyDefaults sets the upstream's zero fields to their defaults.
func (u *Upstream) applyDefaults() {
	setZero(&u.Dialect, defaultDialect)
	setZero(&u.Timeout, defaultTimeout)
	setZero(&u.Retry.Attempts, defaultAttempts)
	setZero(&u.Retry.Backoff, defaultBackoff)
	setZero(&u.Retry.MaxBackoff, defaultMaxBackoff)
	setZero(&u.Retry.Budget, defaultBudget)
	setZero(&u.Breaker.FailureRatio, defaultFailureRatio)
	setZero(&u.Breaker.MinCalls, defaultMinCalls)
	setZero(&u.Breaker.Window, defaultWindow)
	setZero(&u.Breaker.Cooldown, defaultCooldown)
	setZero(&u.Quota.Pause, defaultQuotaPause)
	setZero(&u.Quota.Reserve, defaultQuotaReserve)
	setZero(&u.Queue.Writes, defaultQueueWrites)
	setZero(&u.Queue.MaxAttempts, defaultQueueAttempts)
	setZero(&u.Queue.MaxAge, defaultQueueMaxAge)
	setZero(&u.Queue.Rate, defaultQueueRate)
	setZero(&u.Contract.Requests, defaultContractMode)
	setZero(&u.Contract.Responses, defaultContractMode)
	setZero(&u.Contract.MaxBody, defaultContractBody)
	setZero(&u.Versions.Policy, defaultVersionPolicy)
	if u.Credentials.Kind != "" {
		setZero(&u.Credentials.Header, defaultCredHeader)
		if u.Credentials.Kind == "oauth2" {
			setZero(&u.Credentials.Grant, defaultCredGrant)
		}
	}
}

// setZero sets *p to v when *p is the zero value.
func setZero[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}

// applyDefaults sets the rule's zero fields to their defaults.
func (r *AlertRule) applyDefaults() {
	setZero(&r.When.MinCalls, 1)
	setZero(&r.When.Upstream, "*")
	setZero(&r.Severity, "warning")
	if r.SendResolved == nil {
		r.SendResolved = new(true)
	}
}

// applyDefaults sets the window's zero fields to their defaults.
func (m *Maintenance) applyDefaults() { setZero(&m.Timezone, "UTC") }

// applyDefaults sets the notifier's zero fields to their defaults.
func (n *Notifier) applyDefaults() {
	setZero(&n.StartTLS, defaultStartTLS)
	setZero(&n.Resend, defaultResend)
	setZero(&n.Timeout, defaultNotifyTimeout)
}
