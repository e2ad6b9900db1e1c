package config

import (
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/crmguard/crmguard/internal/alert"
	"github.com/crmguard/crmguard/internal/notify/webhook"
)

// Notifier types.
var notifierTypes = []string{"webhook", "slack", "email", "alertmanager"}

// AlertSpecs returns the configured rules in the form package alert
// compiles, with the defaults of the alerts section applied.
func (c *Config) AlertSpecs() []alert.Spec {
	out := make([]alert.Spec, len(c.Alerts.Rules))
	for i, r := range c.Alerts.Rules {
		w := r.When
		out[i] = alert.Spec{
			Name: r.Name, For: time.Duration(r.For), Severity: r.Severity, Labels: r.Labels, Summary: r.Summary,
			GroupBy: r.GroupBy, RepeatInterval: time.Duration(r.RepeatInterval), Notify: r.Notify,
			SendResolved: r.SendResolved == nil || *r.SendResolved,
			When: alert.Condition{
				Upstream: w.Upstream, Class: w.Class, RateOver: time.Duration(w.RateOver), CountOver: time.Duration(w.CountOver),
				MinCalls: int64(w.MinCalls), Latency: w.Latency, Over: time.Duration(w.Over), Breaker: w.Breaker, Queue: w.Queue,
				Quota: w.Quota, Incident: w.Incident, Above: w.Above, Below: w.Below,
			},
		}
		if out[i].RepeatInterval == 0 {
			out[i].RepeatInterval = time.Duration(c.Alerts.RepeatInterval)
		}
	}
	return out
}

// MaintenanceSpecs returns the configured maintenance windows in the form
// package alert compiles.
func (c *Config) MaintenanceSpecs() []alert.WindowSpec {
	out := make([]alert.WindowSpec, len(c.Alerts.Maintenance))
	for i, m := range c.Alerts.Maintenance {
		out[i] = alert.WindowSpec{Name: m.Name, Matchers: m.Match, Start: m.Start, End: m.End,
			Days: m.Days, From: m.From, To: m.To, Timezone: m.Timezone}
	}
	return out
}

// alerts checks the alerts, notifiers and integrations sections.
func (v *validator) alerts(c *Config) {
	a := c.Alerts
	v.positive("alerts.evaluate_every", a.EvaluateEvery, defaultEvaluateEvery)
	v.positive("alerts.repeat_interval", a.RepeatInterval, defaultRepeatInterval)
	v.positive("alerts.keep_resolved", a.KeepResolved, defaultKeepResolved)

	notifiers := map[string]int{}
	for i, n := range c.Notifiers {
		p := fmt.Sprintf("notifiers[%d]", i)
		v.notifier(p, n)
		if j, dup := notifiers[n.Name]; dup && n.Name != "" {
			v.add(p+".name", "duplicate name %q (also notifiers[%d])", n.Name, j)
		}
		notifiers[n.Name] = i
	}
	upstreams := map[string]bool{}
	for _, u := range c.Upstreams {
		upstreams[u.Name] = true
	}
	rules := map[string]int{}
	for i, spec := range c.AlertSpecs() {
		p := fmt.Sprintf("alerts.rules[%d]", i)
		if _, err := alert.Compile(spec); err != nil {
			v.add(p, "%v", err)
		}
		if j, dup := rules[spec.Name]; dup && spec.Name != "" {
			v.add(p+".name", "duplicate rule name %q (also alerts.rules[%d]); alerts are identified by it", spec.Name, j)
		}
		rules[spec.Name] = i
		if u := spec.When.Upstream; u != "" && u != "*" && !upstreams[u] {
			v.add(p+".when.upstream", "no upstream is named %q; use one of the upstreams' names or \"*\"", u)
		}
		for _, n := range spec.Notify {
			if _, ok := notifiers[n]; !ok {
				v.add(p+".notify", "no notifier is named %q; name one under notifiers", n)
			}
		}
	}
	for i, w := range c.MaintenanceSpecs() {
		if _, err := alert.CompileWindow(w); err != nil {
			v.add(fmt.Sprintf("alerts.maintenance[%d]", i), "%v", err)
		}
	}

	v.reports(c)
	z := c.Integrations.Zabbix
	if z.Server != "" {
		if _, _, err := net.SplitHostPort(z.Server); err != nil {
			v.add("integrations.zabbix.server", "invalid address %q: write host:port, e.g. 127.0.0.1:10051", z.Server)
		}
		if z.Host == "" {
			v.add("integrations.zabbix.host", "required with server; the host name the items belong to in Zabbix")
		}
		v.positive("integrations.zabbix.every", z.Every, defaultZabbixEvery)
	}
	e := c.Integrations.ECSLog
	if e.Path != "" {
		if e.MaxSize < minECSLogSize {
			v.add("integrations.ecs_log.max_size", "must be at least %s, got %s (default %s)", minECSLogSize, e.MaxSize, defaultECSLogSize)
		}
		if e.MaxFiles < 1 {
			v.add("integrations.ecs_log.max_files", "must be at least 1, got %d (default %d)", e.MaxFiles, defaultECSLogFiles)
		}
	}
}

// notifier checks one notifier for its type.
func (v *validator) notifier(p string, n Notifier) {
	if !isUpstreamName(n.Name) {
		v.add(p+".name", "%q: want 1 to 63 letters, digits, '-' or '_', starting with a letter or digit", n.Name)
	}
	v.oneOf(p+".type", "notifier type", n.Type, notifierTypes)
	v.positive(p+".timeout", n.Timeout, defaultNotifyTimeout)
	switch n.Type {
	case "webhook", "slack", "alertmanager":
		switch {
		case n.URL != "" && n.URLEnv != "":
			v.add(p+".url_env", "url and url_env are both set; keep one")
		case n.URLEnv != "":
			v.envName(p+".url_env", n.URLEnv, "SLACK_WEBHOOK_URL")
		case n.URL == "":
			v.add(p+".url", "required for type %s (or url_env, to read it from the environment)", n.Type)
		default:
			if u, err := url.Parse(n.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				v.add(p+".url", "%q is not an http or https URL", n.URL)
			}
		}
		if n.Type == "alertmanager" {
			v.positive(p+".resend", n.Resend, defaultResend)
		}
		if n.Template != "" {
			if n.Type != "webhook" {
				v.add(p+".template", "only a webhook's body is templated; remove it from this %s notifier", n.Type)
			} else if err := webhook.CheckTemplate(n.Template, n.Headers); err != nil {
				v.add(p+".template", "%v", err)
			}
		}
	case "email":
		if _, _, err := net.SplitHostPort(n.SMTP); err != nil {
			v.add(p+".smtp", "%q: write the mail server as host:port, e.g. smtp.example.com:587", n.SMTP)
		}
		if n.From == "" {
			v.add(p+".from", "required for type email; the sender's address")
		}
		if len(n.To) == 0 {
			v.add(p+".to", "required for type email; at least one recipient")
		}
		v.oneOf(p+".starttls", "starttls mode", n.StartTLS, []string{"required", "opportunistic", "none"})
		if n.Username != "" {
			v.envName(p+".password_env", n.PasswordEnv, "CRMGUARD_SMTP_PASSWORD")
		}
	}
}

// reports checks the scheduled reports.
func (v *validator) reports(c *Config) {
	r := c.Reports
	if r.Dir == "" {
		if len(r.Schedule) > 0 || r.Email != "" {
			v.add("reports.dir", "required with schedule or email; name the directory reports are written to")
		}
		return
	}
	if len(r.Schedule) == 0 {
		v.add("reports.schedule", "required with dir; list daily, weekly and/or monthly")
	}
	for i, k := range r.Schedule {
		v.oneOf(fmt.Sprintf("reports.schedule[%d]", i), "report", k, []string{"daily", "weekly", "monthly"})
	}
	for i, f := range r.Formats {
		v.oneOf(fmt.Sprintf("reports.formats[%d]", i), "format", f, []string{"html", "md", "csv", "json"})
	}
	if _, err := time.LoadLocation(r.Timezone); err != nil {
		v.add("reports.timezone", "%q: want an IANA zone such as Europe/Berlin", r.Timezone)
	}
	if r.Email != "" {
		found := false
		for _, n := range c.Notifiers {
			if n.Name == r.Email {
				found = true
				if n.Type != "email" {
					v.add("reports.email", "notifier %q is of type %s; reports are mailed through a notifier of type email", r.Email, n.Type)
				}
			}
		}
		if !found {
			v.add("reports.email", "no notifier is named %q; name a notifier of type email", r.Email)
		}
	}
}
