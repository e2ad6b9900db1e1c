package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/incident"
)

const (
	// maxSampleCalls is how many sample call ids an incident keeps.
	maxSampleCalls = 5
	// Page sizes of ListIncidents.
	defaultIncidentLimit = 100
	maxIncidentLimit     = 1000
)

const incidentSelect = `SELECT fingerprint, upstream, operation, class, vendor_code, message,
	first_seen_us, last_seen_us, count, sample_calls, remediation, state, reopened, resolved_at_us
	FROM incidents`

// upsertIncidentSQL returns the statement that creates an incident from an
// occurrence or adds the occurrence to it. In the SET list every column
// reference to incidents is to the row as it was before the update, so the
// reopen test reads the old state.
func upsertIncidentSQL(d dialect) string {
	return `INSERT INTO incidents (fingerprint, upstream, operation, class, vendor_code, message,
		first_seen_us, last_seen_us, count, sample_calls, remediation, state, reopened, resolved_at_us)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'open', 0, NULL)
	ON CONFLICT (fingerprint) DO UPDATE SET
		upstream = excluded.upstream,
		operation = excluded.operation,
		class = excluded.class,
		vendor_code = excluded.vendor_code,
		message = excluded.message,
		remediation = excluded.remediation,
		first_seen_us = ` + d.least() + `(incidents.first_seen_us, excluded.first_seen_us),
		last_seen_us = ` + d.greatest() + `(incidents.last_seen_us, excluded.last_seen_us),
		count = incidents.count + excluded.count,
		sample_calls = CASE WHEN excluded.sample_calls = '[]' THEN incidents.sample_calls ELSE excluded.sample_calls END,
		state = 'open',
		reopened = incidents.reopened + CASE WHEN incidents.state = 'resolved' THEN 1 ELSE 0 END,
		resolved_at_us = NULL`
}

// upsertIncidents records occurrences inside tx. A new fingerprint opens an
// incident. For a known one, the count adds up, first and last seen widen,
// the sample calls become the occurrence's (when it has any), the vendor
// code, message and remediation are refreshed, and a resolved incident
// reopens: state open, Reopened one more, ResolvedAt cleared.
func (db *DB) upsertIncidents(ctx context.Context, tx *sql.Tx, occs []incident.Occurrence) error {
	stmt, err := tx.PrepareContext(ctx, upsertIncidentSQL(db.dialect))
	if err != nil {
		return fmt.Errorf("preparing: %w", err)
	}
	defer stmt.Close()
	for _, o := range occs {
		if o.Fingerprint == "" {
			return errors.New("occurrence without fingerprint")
		}
		samples := o.SampleCalls
		if len(samples) > maxSampleCalls {
			samples = samples[len(samples)-maxSampleCalls:]
		}
		_, err := stmt.ExecContext(ctx, o.Fingerprint, o.Upstream, o.Operation, o.Class.String(),
			o.VendorCode, o.Message, micros(o.FirstSeen), micros(o.LastSeen), o.Count,
			encodeStrings(samples), o.Remediation)
		if err != nil {
			return fmt.Errorf("incident %s: %w", o.Fingerprint, err)
		}
	}
	return nil
}

// scanIncident reads a row selected by incidentSelect.
func scanIncident(s scanner) (incident.Incident, error) {
	var (
		in                    incident.Incident
		class, samples, state string
		first, last           int64
		reopened              int64
		resolved              sql.NullInt64
	)
	err := s.Scan(&in.Fingerprint, &in.Upstream, &in.Operation, &class, &in.VendorCode, &in.Message,
		&first, &last, &in.Count, &samples, &in.Remediation, &state, &reopened, &resolved)
	if err != nil {
		return incident.Incident{}, err
	}
	if in.Class, err = fault.Parse(class); err != nil {
		return incident.Incident{}, fmt.Errorf("incident %s: %w", in.Fingerprint, err)
	}
	if in.SampleCalls, err = decodeStrings(samples); err != nil {
		return incident.Incident{}, fmt.Errorf("incident %s: sample calls: %w", in.Fingerprint, err)
	}
	in.FirstSeen, in.LastSeen = fromMicros(first), fromMicros(last)
	in.State, in.Reopened, in.ResolvedAt = incident.State(state), int(reopened), fromNullMicros(resolved)
	return in, nil
}

// ListIncidents returns the incidents q selects, most recently seen first.
// A Limit of 0 or less means 100; more than 1000 means 1000.
func (db *DB) ListIncidents(ctx context.Context, q incident.Query) ([]incident.Incident, error) {
	var c conditions
	if q.State != "" {
		c.add("state = $%d", string(q.State))
	}
	if q.Upstream != "" {
		c.add("upstream = $%d", q.Upstream)
	}
	// fingerprint breaks ties so that equal last_seen lists the same way
	// every time and on both backends.
	query, args := c.query(incidentSelect, "ORDER BY last_seen_us DESC, fingerprint LIMIT $%d",
		pageLimit(q.Limit, defaultIncidentLimit, maxIncidentLimit))
	rows, err := db.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("listing incidents: %w", err)
	}
	out, err := collect(rows, scanIncident)
	if err != nil {
		return nil, fmt.Errorf("listing incidents: %w", err)
	}
	return out, nil
}

// GetIncident returns the incident with fingerprint fp, or an error
// wrapping incident.ErrNotFound.
func (db *DB) GetIncident(ctx context.Context, fp string) (incident.Incident, error) {
	in, err := scanIncident(db.read.QueryRowContext(ctx, incidentSelect+" WHERE fingerprint = $1", fp))
	if errors.Is(err, sql.ErrNoRows) {
		return incident.Incident{}, fmt.Errorf("getting incident %s: %w", fp, incident.ErrNotFound)
	}
	if err != nil {
		return incident.Incident{}, fmt.Errorf("getting incident %s: %w", fp, err)
	}
	return in, nil
}

// ResolveIncident marks the incident with fingerprint fp resolved at the
// given time, or returns an error wrapping incident.ErrNotFound. Resolving
// a resolved incident changes nothing, so it keeps its first resolution
// time.
func (db *DB) ResolveIncident(ctx context.Context, fp string, at time.Time) error {
	res, err := db.write.ExecContext(ctx, `UPDATE incidents
		SET resolved_at_us = CASE WHEN state = 'resolved' THEN resolved_at_us ELSE $1 END,
		    state = 'resolved'
		WHERE fingerprint = $2`, micros(at), fp)
	if err != nil {
		return fmt.Errorf("resolving incident %s: %w", fp, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("resolving incident %s: %w", fp, err)
	}
	if n == 0 {
		return fmt.Errorf("resolving incident %s: %w", fp, incident.ErrNotFound)
	}
	return nil
}

// ResolveQuiet resolves, at the given time, every open incident last seen
// before quietSince, and returns the fingerprints it resolved.
func (db *DB) ResolveQuiet(ctx context.Context, quietSince, at time.Time) ([]string, error) {
	rows, err := db.write.QueryContext(ctx, `UPDATE incidents
		SET state = 'resolved', resolved_at_us = $1
		WHERE state = 'open' AND last_seen_us < $2 RETURNING fingerprint`, micros(at), micros(quietSince))
	if err != nil {
		return nil, fmt.Errorf("resolving incidents quiet since %s: %w", quietSince.Format(time.RFC3339), err)
	}
	fps, err := collect(rows, func(s scanner) (string, error) {
		var fp string
		return fp, s.Scan(&fp)
	})
	if err != nil {
		return nil, fmt.Errorf("resolving incidents quiet since %s: %w", quietSince.Format(time.RFC3339), err)
	}
	return fps, nil
}
