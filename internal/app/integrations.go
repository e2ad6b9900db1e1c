package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/crmguard/crmguard/internal/admin"
	"github.com/crmguard/crmguard/internal/alert"
	"github.com/crmguard/crmguard/internal/ecslog"
	"github.com/crmguard/crmguard/internal/incident"
	"github.com/crmguard/crmguard/internal/janitor"
	"github.com/crmguard/crmguard/internal/notify"
	"github.com/crmguard/crmguard/internal/notify/email"
	"github.com/crmguard/crmguard/internal/recorder"
	"github.com/crmguard/crmguard/internal/report"
	"github.com/crmguard/crmguard/internal/rollup"
	"github.com/crmguard/crmguard/internal/store"
	"github.com/crmguard/crmguard/internal/zabbix"
)

// ecsBatches writes every stored call to the ECS log after the store
// took it, with the incident the recorder grouped it into. A failed log
// write is logged, never fails the batch: the store has the call.
type ecsBatches struct {
	recorder.Writer
	a *App
}

func (w ecsBatches) WriteBatch(ctx context.Context, b recorder.Batch) error {
	// Whether the batch opens or reopens an incident shows in the state
	// of its incidents before the write.
	before := map[string]incident.State{}
	for _, o := range b.Incidents {
		in, err := w.a.Store.GetIncident(ctx, o.Fingerprint)
		switch {
		case err == nil:
			before[o.Fingerprint] = in.State
		case !errors.Is(err, incident.ErrNotFound):
			w.a.logECSError(err) // the log misses an opened line; the store is what matters
		}
	}
	if err := w.Writer.WriteBatch(ctx, b); err != nil {
		return err
	}
	for i, c := range b.Calls {
		if err := w.a.ecs.Write(ecslog.Call(c).WithIncident(b.Fingerprints[i])); err != nil {
			w.a.logECSError(err)
			return nil
		}
	}
	for _, o := range b.Incidents {
		action := ecslog.ActionIncidentOpened
		switch before[o.Fingerprint] {
		case incident.Open:
			continue // a known incident recurred
		case incident.Resolved:
			action = ecslog.ActionIncidentReopened
		}
		in, err := w.a.Store.GetIncident(ctx, o.Fingerprint)
		if err == nil {
			err = w.a.ecs.Write(ecslog.Incident(in, action))
		}
		if err != nil {
			w.a.logECSError(err)
			return nil
		}
	}
	return nil
}

// logECSError logs a failed ECS log write.
func (a *App) logECSError(err error) {
	a.log.Error("writing the ECS log failed", "path", a.cfg.Integrations.ECSLog.Path, "err", err)
}

// ecsAlertActions maps alert history events to ECS actions.
var ecsAlertActions = map[string]string{
	alert.EventFiring:       ecslog.ActionAlertFiring,
	alert.EventResolved:     ecslog.ActionAlertResolved,
	alert.EventAcknowledged: ecslog.ActionAlertAcknowledged,
	alert.EventSilenced:     ecslog.ActionAlertSilenced,
}

// observeAlert writes an alert's change to the ECS log.
func (a *App) observeAlert(e alert.Event, na notify.Alert) {
	action, ok := ecsAlertActions[e.Kind]
	if !ok {
		return
	}
	if err := a.ecs.Write(ecslog.Alert(na, action)); err != nil {
		a.logECSError(err)
	}
}

// ackLogged writes acknowledgements made through the admin API to the
// ECS log.
type ackLogged struct {
	*store.DB
	a *App
}

func (l ackLogged) AckAlert(ctx context.Context, id string, ack alert.Ack) (alert.Alert, error) {
	a := l.a
	al, err := l.DB.AckAlert(ctx, id, ack)
	if err == nil {
		na := notify.Alert{ID: al.ID, Rule: al.Rule, Status: notify.Firing, Severity: al.Severity,
			Labels: al.Labels, Annotations: al.Annotations, Value: al.Value, StartsAt: al.FiredAt}
		if werr := a.ecs.Write(ecslog.Alert(na, ecslog.ActionAlertAcknowledged)); werr != nil {
			a.logECSError(werr)
		}
	}
	return al, err
}

// pushZabbix sends the key figures to the Zabbix server every interval
// until ctx ends. A failed push is logged and the next one tried.
func (a *App) pushZabbix(ctx context.Context) {
	z := a.cfg.Integrations.Zabbix
	every := time.Duration(z.Every)
	sender := zabbix.Sender{Addr: z.Server, Timeout: min(every, 10*time.Second)}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		f, err := a.figures(ctx, every)
		if err == nil {
			_, err = sender.Send(ctx, zabbix.Items(z.Host, time.Now(), f))
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			a.log.Warn("pushing figures to Zabbix failed", "server", z.Server, "err", err)
		}
	}
}

// figures gathers what crmguard pushes to Zabbix: each upstream's calls
// over the last window, its breakers, the queue and the firing alerts.
func (a *App) figures(ctx context.Context, window time.Duration) (zabbix.Figures, error) {
	now := time.Now()
	since := now.Add(-window)
	rows, err := a.Store.Rollups(ctx, since.Truncate(time.Minute), now.Add(time.Minute))
	if err != nil {
		return zabbix.Figures{}, err
	}
	stats := map[string]rollup.UpstreamStats{}
	for _, u := range rollup.Summarize(since, now, rows).Upstreams {
		stats[u.Upstream] = u
	}
	var f zabbix.Figures
	for _, u := range (alertSource{a}).Upstreams() {
		s := stats[u.Name]
		f.Upstreams = append(f.Upstreams, zabbix.UpstreamFigures{Name: u.Name, Calls: s.Calls, ErrorRate: s.ErrorRate(),
			P95: s.P95, BreakerOpen: u.OpenEndpoints > 0})
	}
	q, err := a.Store.QueueStats(ctx, now)
	if err != nil {
		return f, err
	}
	f.QueueDepth, f.QueueDead, f.QueueOldestAge = q.Depth, q.Dead, q.OldestAge
	firing, err := a.Store.ListAlerts(ctx, alert.Firing)
	if err != nil {
		return f, err
	}
	f.AlertsFiring = len(firing)
	return f, nil
}

// alertsAPI is what the admin API's alert endpoints use: the store, and
// with an ECS log, the store with acknowledgements logged.
func (a *App) alertsAPI() admin.Alerts {
	if a.ecs == nil {
		return a.Store
	}
	return ackLogged{a.Store, a}
}

// newReports builds the scheduled report runner; nil when reports.dir is
// not set. Mail goes through the e-mail notifier reports.email names.
func (a *App) newReports(notifiers map[string]notify.Notifier) (*report.Runner, error) {
	rc := a.cfg.Reports
	if rc.Dir == "" {
		return nil, nil
	}
	o := report.Options{Dir: rc.Dir, Logger: a.log.With("component", "reports")}
	for _, k := range rc.Schedule {
		kind, err := report.ParseKind(k)
		if err != nil {
			return nil, fmt.Errorf("reports.schedule: %w", err)
		}
		o.Every = append(o.Every, kind)
	}
	for _, f := range rc.Formats {
		format, err := report.ParseFormat(f)
		if err != nil {
			return nil, fmt.Errorf("reports.formats: %w", err)
		}
		o.Formats = append(o.Formats, format)
	}
	loc, err := time.LoadLocation(rc.Timezone)
	if err != nil {
		return nil, fmt.Errorf("reports.timezone: %w", err)
	}
	o.Location = loc
	if rc.Email != "" {
		mailer, ok := notifiers[rc.Email].(*email.Notifier)
		if !ok {
			return nil, fmt.Errorf("reports.email: %q is not an e-mail notifier", rc.Email)
		}
		o.Mail = func(ctx context.Context, subject, body string, files ...report.Attachment) error {
			fs := make([]email.File, len(files))
			for i, f := range files {
				fs[i] = email.File{Name: f.Name, ContentType: f.ContentType, Data: f.Data}
			}
			return mailer.Send(ctx, subject, body, fs...)
		}
	}
	return report.NewRunner(a.Store, o)
}

// incidentStore is the store as the janitor and the admin API resolve
// incidents through it: with an ECS log, resolutions are logged.
func (a *App) incidentStore() interface {
	janitor.Store
	admin.Store
} {
	if a.ecs == nil {
		return a.Store
	}
	return incidentsLogged{a.Store, a}
}

// incidentsLogged writes incidents resolved by the janitor or through the
// admin API to the ECS log.
type incidentsLogged struct {
	*store.DB
	a *App
}

func (l incidentsLogged) ResolveQuiet(ctx context.Context, quietSince, at time.Time) ([]string, error) {
	fps, err := l.DB.ResolveQuiet(ctx, quietSince, at)
	for _, fp := range fps {
		l.logResolved(ctx, fp)
	}
	return fps, err
}

func (l incidentsLogged) ResolveIncident(ctx context.Context, fp string, at time.Time) error {
	if err := l.DB.ResolveIncident(ctx, fp, at); err != nil {
		return err
	}
	l.logResolved(ctx, fp)
	return nil
}

func (l incidentsLogged) logResolved(ctx context.Context, fp string) {
	in, err := l.DB.GetIncident(ctx, fp)
	if err == nil {
		err = l.a.ecs.Write(ecslog.Incident(in, ecslog.ActionIncidentResolved))
	}
	if err != nil {
		l.a.logECSError(err)
	}
}
