package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/crmguard/crmguard/internal/alert"
	"github.com/crmguard/crmguard/internal/notify"
)

var (
	_ alert.Store = (*DB)(nil)
	_ notify.Log  = (*DB)(nil)
)

const alertColumns = `id, rule, severity, grp, labels, annotations, state, value, active_since_us,
	fired_at_us, resolved_at_us, updated_us, silenced_by, ack_by, ack_comment, ack_at_us`

// LoadAlerts returns every stored alert and notification group state.
func (db *DB) LoadAlerts(ctx context.Context) (alert.Snapshot, error) {
	var s alert.Snapshot
	var err error
	if s.Alerts, err = db.ListAlerts(ctx, ""); err != nil {
		return s, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT grp, notifier, last_sent_us, notified FROM alert_groups ORDER BY grp, notifier`)
	if err != nil {
		return s, fmt.Errorf("reading alert groups: %w", err)
	}
	s.Groups, err = collect(rows, func(sc scanner) (alert.GroupState, error) {
		var (
			g        alert.GroupState
			last     int64
			notified string
		)
		if err := sc.Scan(&g.Group, &g.Notifier, &last, &notified); err != nil {
			return g, err
		}
		g.LastSent = fromMicros(last)
		var err error
		g.Notified, err = decodeStrings(notified)
		return g, err
	})
	if err != nil {
		return s, fmt.Errorf("reading alert groups: %w", err)
	}
	return s, nil
}

// ListAlerts returns the stored alerts in state (every state if empty),
// firing first, then by rule and id.
func (db *DB) ListAlerts(ctx context.Context, state alert.State) ([]alert.Alert, error) {
	q := `SELECT ` + alertColumns + ` FROM alerts`
	var args []any
	if state != "" {
		q += ` WHERE state = $1`
		args = append(args, string(state))
	}
	rows, err := db.read.QueryContext(ctx, q+` ORDER BY CASE state WHEN 'firing' THEN 0 WHEN 'pending' THEN 1 ELSE 2 END, rule, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("listing alerts: %w", err)
	}
	out, err := collect(rows, scanAlert)
	if err != nil {
		return nil, fmt.Errorf("listing alerts: %w", err)
	}
	return out, nil
}

// GetAlert returns one alert; alert.ErrNotFound if there is none.
func (db *DB) GetAlert(ctx context.Context, id string) (alert.Alert, error) {
	a, err := scanAlert(db.read.QueryRowContext(ctx, `SELECT `+alertColumns+` FROM alerts WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, alert.ErrNotFound
	}
	if err != nil {
		return a, fmt.Errorf("reading alert %s: %w", id, err)
	}
	return a, nil
}

func scanAlert(s scanner) (alert.Alert, error) {
	var (
		a                            alert.Alert
		labels, ann, state, silenced string
		since, updated               int64
		fired, resolved, ackAt       sql.NullInt64
	)
	var ack alert.Ack
	if err := s.Scan(&a.ID, &a.Rule, &a.Severity, &a.Group, &labels, &ann, &state, &a.Value, &since,
		&fired, &resolved, &updated, &silenced, &ack.By, &ack.Comment, &ackAt); err != nil {
		return a, err
	}
	a.State = alert.State(state)
	a.ActiveSince, a.UpdatedAt = fromMicros(since), fromMicros(updated)
	a.FiredAt, a.ResolvedAt = fromNullMicros(fired), fromNullMicros(resolved)
	if ackAt.Valid {
		ack.At = fromMicros(ackAt.Int64)
		a.Ack = &ack
	}
	if err := json.Unmarshal([]byte(labels), &a.Labels); err != nil {
		return a, fmt.Errorf("alert %s labels: %w", a.ID, err)
	}
	if err := json.Unmarshal([]byte(ann), &a.Annotations); err != nil {
		return a, fmt.Errorf("alert %s annotations: %w", a.ID, err)
	}
	var err error
	a.SilencedBy, err = decodeStrings(silenced)
	return a, err
}

// encodeMap stores labels as a JSON object.
func encodeMap(m map[string]string) string {
	if m == nil {
		return "{}"
	}
	b, _ := json.Marshal(m) // cannot fail: a map[string]string always encodes
	return string(b)
}

// SaveAlerts writes one evaluation's changes in one transaction.
func (db *DB) SaveAlerts(ctx context.Context, c alert.Change) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("saving alerts: begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	for _, id := range c.Delete {
		if _, err := tx.ExecContext(ctx, `DELETE FROM alerts WHERE id = $1`, id); err != nil {
			return fmt.Errorf("deleting alert %s: %w", id, err)
		}
	}
	for _, id := range c.ClearAck {
		if _, err := tx.ExecContext(ctx, `UPDATE alerts SET ack_by = '', ack_comment = '', ack_at_us = NULL WHERE id = $1`, id); err != nil {
			return fmt.Errorf("clearing the acknowledgement of alert %s: %w", id, err)
		}
	}
	for _, a := range c.Upsert {
		// The acknowledgement columns are left alone: an operator may
		// acknowledge between this evaluation's load and its save.
		_, err := tx.ExecContext(ctx, `INSERT INTO alerts (id, rule, severity, grp, labels, annotations, state, value,
			active_since_us, fired_at_us, resolved_at_us, updated_us, silenced_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
			ON CONFLICT (id) DO UPDATE SET rule = excluded.rule, severity = excluded.severity, grp = excluded.grp,
			labels = excluded.labels, annotations = excluded.annotations, state = excluded.state, value = excluded.value,
			active_since_us = excluded.active_since_us, fired_at_us = excluded.fired_at_us,
			resolved_at_us = excluded.resolved_at_us, updated_us = excluded.updated_us, silenced_by = excluded.silenced_by`,
			a.ID, a.Rule, a.Severity, a.Group, encodeMap(a.Labels), encodeMap(a.Annotations), string(a.State), a.Value,
			micros(a.ActiveSince), nullMicros(a.FiredAt), nullMicros(a.ResolvedAt), micros(a.UpdatedAt), encodeStrings(a.SilencedBy))
		if err != nil {
			return fmt.Errorf("saving alert %s: %w", a.ID, err)
		}
	}
	for _, g := range c.DeleteGroups {
		if _, err := tx.ExecContext(ctx, `DELETE FROM alert_groups WHERE grp = $1 AND notifier = $2`, g.Group, g.Notifier); err != nil {
			return fmt.Errorf("deleting alert group %s: %w", g.Group, err)
		}
	}
	for _, g := range c.Groups {
		_, err := tx.ExecContext(ctx, `INSERT INTO alert_groups (grp, notifier, last_sent_us, notified) VALUES ($1, $2, $3, $4)
			ON CONFLICT (grp, notifier) DO UPDATE SET last_sent_us = excluded.last_sent_us, notified = excluded.notified`,
			g.Group, g.Notifier, micros(g.LastSent), encodeStrings(g.Notified))
		if err != nil {
			return fmt.Errorf("saving alert group %s: %w", g.Group, err)
		}
	}
	for _, e := range c.Events {
		if err := insertAlertEvent(ctx, tx, e); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("saving alerts: commit: %w", err)
	}
	return nil
}

func insertAlertEvent(ctx context.Context, tx *sql.Tx, e alert.Event) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO alert_events (at_us, alert_id, rule, labels, kind, by_whom, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, micros(e.At), e.AlertID, e.Rule, encodeMap(e.Labels), e.Kind, e.By, e.Detail)
	if err != nil {
		return fmt.Errorf("recording the alert event %s of %s: %w", e.Kind, e.AlertID, err)
	}
	return nil
}

// AckAlert acknowledges a pending or firing alert and records it in the
// history: alert.ErrNotFound if there is no such alert, alert.ErrNotActive
// if it resolved.
func (db *DB) AckAlert(ctx context.Context, id string, ack alert.Ack) (alert.Alert, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return alert.Alert{}, fmt.Errorf("acknowledging alert %s: begin: %w", id, err)
	}
	defer func() { _ = tx.Rollback() }()
	a, err := scanAlert(tx.QueryRowContext(ctx, `SELECT `+alertColumns+` FROM alerts WHERE id = $1`+db.dialect.forUpdate(), id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, alert.ErrNotFound
	}
	if err != nil {
		return a, fmt.Errorf("acknowledging alert %s: %w", id, err)
	}
	if a.State == alert.Resolved {
		return a, alert.ErrNotActive
	}
	if _, err := tx.ExecContext(ctx, `UPDATE alerts SET ack_by = $1, ack_comment = $2, ack_at_us = $3 WHERE id = $4`,
		ack.By, ack.Comment, micros(ack.At), id); err != nil {
		return a, fmt.Errorf("acknowledging alert %s: %w", id, err)
	}
	if err := insertAlertEvent(ctx, tx, alert.Event{At: ack.At, AlertID: id, Rule: a.Rule, Labels: a.Labels,
		Kind: alert.EventAcknowledged, By: ack.By, Detail: ack.Comment}); err != nil {
		return a, err
	}
	if err := tx.Commit(); err != nil {
		return a, fmt.Errorf("acknowledging alert %s: commit: %w", id, err)
	}
	ack.At = fromMicros(micros(ack.At))
	a.Ack = &ack
	return a, nil
}

// AlertEvents returns the alert history q selects, newest first.
func (db *DB) AlertEvents(ctx context.Context, q alert.EventQuery) ([]alert.Event, error) {
	var c conditions
	if !q.Since.IsZero() {
		c.add("at_us >= $%d", micros(q.Since))
	}
	if q.AlertID != "" {
		c.add("alert_id = $%d", q.AlertID)
	}
	if q.Rule != "" {
		c.add("rule = $%d", q.Rule)
	}
	sqlText, args := c.query(`SELECT id, at_us, alert_id, rule, labels, kind, by_whom, detail FROM alert_events`,
		"ORDER BY id DESC LIMIT $%d", pageLimit(q.Limit, 100, 1000))
	rows, err := db.read.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return nil, fmt.Errorf("reading the alert history: %w", err)
	}
	out, err := collect(rows, func(s scanner) (alert.Event, error) {
		var (
			e      alert.Event
			at     int64
			labels string
		)
		if err := s.Scan(&e.ID, &at, &e.AlertID, &e.Rule, &labels, &e.Kind, &e.By, &e.Detail); err != nil {
			return e, err
		}
		e.At = fromMicros(at)
		return e, json.Unmarshal([]byte(labels), &e.Labels)
	})
	if err != nil {
		return nil, fmt.Errorf("reading the alert history: %w", err)
	}
	return out, nil
}

// CreateSilence stores a silence; its ID must be set.
func (db *DB) CreateSilence(ctx context.Context, s alert.Silence) error {
	raw, _ := json.Marshal(s.Matchers) // cannot fail: a map[string]string always encodes
	_, err := db.write.ExecContext(ctx, `INSERT INTO silences (id, matchers, starts_us, ends_us, created_by, comment, created_us)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, s.ID, string(raw), micros(s.StartsAt), micros(s.EndsAt), s.CreatedBy, s.Comment, micros(s.CreatedAt))
	if err != nil {
		return fmt.Errorf("storing silence: %w", err)
	}
	return nil
}

// Silences returns the silences not yet ended at t (active or to come),
// soonest ending first; the zero t returns every stored silence.
func (db *DB) Silences(ctx context.Context, t time.Time) ([]alert.Silence, error) {
	q := `SELECT id, matchers, starts_us, ends_us, created_by, comment, created_us FROM silences`
	var args []any
	if !t.IsZero() {
		q += ` WHERE ends_us > $1`
		args = append(args, micros(t))
	}
	rows, err := db.read.QueryContext(ctx, q+` ORDER BY ends_us, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("reading silences: %w", err)
	}
	out, err := collect(rows, func(s scanner) (alert.Silence, error) {
		var (
			si                  alert.Silence
			m                   string
			start, end, created int64
		)
		if err := s.Scan(&si.ID, &m, &start, &end, &si.CreatedBy, &si.Comment, &created); err != nil {
			return si, err
		}
		si.StartsAt, si.EndsAt, si.CreatedAt = fromMicros(start), fromMicros(end), fromMicros(created)
		return si, json.Unmarshal([]byte(m), &si.Matchers)
	})
	if err != nil {
		return nil, fmt.Errorf("reading silences: %w", err)
	}
	return out, nil
}

// ExpireSilence ends a silence at t if it had not ended yet:
// alert.ErrNotFound if there is no such silence.
func (db *DB) ExpireSilence(ctx context.Context, id string, t time.Time) error {
	res, err := db.write.ExecContext(ctx, `UPDATE silences SET ends_us = `+db.dialect.least()+`(ends_us, $1) WHERE id = $2`, micros(t), id)
	if err != nil {
		return fmt.Errorf("expiring silence %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return alert.ErrNotFound
	}
	return nil
}

// LogNotification records one delivery of a notification.
func (db *DB) LogNotification(ctx context.Context, r notify.Record) error {
	_, err := db.write.ExecContext(ctx, `INSERT INTO notifications (at_us, notifier, grp, kind, outcome, attempts, error, alerts)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, micros(r.At), r.Notifier, r.Group, string(r.Kind), r.Outcome, r.Attempts, r.Error, encodeStrings(r.Alerts))
	if err != nil {
		return fmt.Errorf("logging a notification to %s: %w", r.Notifier, err)
	}
	return nil
}

// Notifications returns the notification log, newest first: since (zero
// for all), of one notifier (empty for all), at most limit (0 for 100, at
// most 1000).
func (db *DB) Notifications(ctx context.Context, since time.Time, notifier string, limit int) ([]notify.Record, error) {
	var c conditions
	if !since.IsZero() {
		c.add("at_us >= $%d", micros(since))
	}
	if notifier != "" {
		c.add("notifier = $%d", notifier)
	}
	q, args := c.query(`SELECT id, at_us, notifier, grp, kind, outcome, attempts, error, alerts FROM notifications`,
		"ORDER BY id DESC LIMIT $%d", pageLimit(limit, 100, 1000))
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("reading the notification log: %w", err)
	}
	out, err := collect(rows, func(s scanner) (notify.Record, error) {
		var (
			r          notify.Record
			at         int64
			kind, list string
		)
		if err := s.Scan(&r.ID, &at, &r.Notifier, &r.Group, &kind, &r.Outcome, &r.Attempts, &r.Error, &list); err != nil {
			return r, err
		}
		r.At, r.Kind = fromMicros(at), notify.Kind(kind)
		var err error
		r.Alerts, err = decodeStrings(list)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the notification log: %w", err)
	}
	return out, nil
}

// TryLease takes the lease name for holder until now+ttl if it is free,
// expired or already holder's, and reports whether holder has it.
func (db *DB) TryLease(ctx context.Context, name, holder string, ttl time.Duration, now time.Time) (bool, error) {
	res, err := db.write.ExecContext(ctx, `INSERT INTO leases (name, holder, expires_us) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_us = excluded.expires_us
		WHERE leases.holder = excluded.holder OR leases.expires_us <= $4`, name, holder, micros(now.Add(ttl)), micros(now))
	if err != nil {
		return false, fmt.Errorf("taking the lease %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("taking the lease %s: %w", name, err)
	}
	return n == 1, nil
}
