package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/crmguard/crmguard/internal/call"
	"github.com/crmguard/crmguard/internal/fault"
)

// Page sizes of ListCalls.
const (
	defaultCallLimit = 100
	maxCallLimit     = 1000
)

// callColumns lists the columns of call.Call in the calls table, in the
// order callArgs gives their values and scanCall reads them.
const callColumns = `id, start_us, upstream, method, operation, api_version, client,
	status, class, vendor_code, message, retryable, partial, remediation,
	latency_us, bytes_in, bytes_out, attempts, request_sample, response_sample, tries, guard`

// callInsertColumns are callColumns and the incident fingerprint, which
// callArgs gives last; numCallInsertColumns counts them.
const (
	callInsertColumns    = callColumns + ", incident"
	numCallInsertColumns = 23
)

// callSelect selects every column of call.Call, for scanCall.
const callSelect = "SELECT " + callColumns + " FROM calls"

// callArgs returns the column values of c with incident fingerprint fp.
func callArgs(c *call.Call, fp string) []any {
	return []any{
		string(c.ID), micros(c.Start), c.Upstream, c.Method, c.Operation, c.APIVersion, c.Client,
		int64(c.Status), c.Class.String(), c.VendorCode, c.Message, c.Retryable, c.Partial, c.Remediation,
		durMicros(c.Latency), c.BytesIn, c.BytesOut, int64(c.Attempts), c.RequestSample, c.ResponseSample,
		encodeTries(c.Tries), encodeGuard(&c.Guard), fp,
	}
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// scanCall reads a row selected by callSelect.
func scanCall(s scanner) (*call.Call, error) {
	var (
		c                  call.Call
		id, class, tries   string
		guard              string
		start, latency     int64
		status, attempts   int64
		retryable, partial bool
	)
	err := s.Scan(&id, &start, &c.Upstream, &c.Method, &c.Operation, &c.APIVersion, &c.Client,
		&status, &class, &c.VendorCode, &c.Message, &retryable, &partial, &c.Remediation,
		&latency, &c.BytesIn, &c.BytesOut, &attempts, &c.RequestSample, &c.ResponseSample, &tries, &guard)
	if err != nil {
		return nil, err
	}
	if c.Tries, err = decodeTries(tries); err != nil {
		return nil, fmt.Errorf("call %s: tries: %w", id, err)
	}
	if c.Guard, err = decodeGuard(guard); err != nil {
		return nil, fmt.Errorf("call %s: guard: %w", id, err)
	}
	cl, err := fault.Parse(class)
	if err != nil {
		return nil, fmt.Errorf("call %s: %w", id, err)
	}
	c.ID, c.Start, c.Status, c.Class = call.ID(id), fromMicros(start), int(status), cl
	c.Retryable, c.Partial = retryable, partial
	c.Latency, c.Attempts = fromDurMicros(latency), int(attempts)
	return &c, nil
}

// ListCalls returns the calls q selects, newest first, and the cursor for
// the next page: pass it as q.Before to continue, or stop when it is "".
// q.Since and q.Until are applied to the time in the call ID, which is the
// call's start to the millisecond. A Limit of 0 or less means 100; more
// than 1000 means 1000.
func (db *DB) ListCalls(ctx context.Context, q call.Query) ([]*call.Call, call.ID, error) {
	limit := pageLimit(q.Limit, defaultCallLimit, maxCallLimit)
	var c conditions
	if q.Upstream != "" {
		c.add("upstream = $%d", q.Upstream)
	}
	if q.Class != nil {
		c.add("class = $%d", q.Class.String())
		if *q.Class != fault.OK {
			// Implied, but both SQLite and PostgreSQL use a partial
			// index only if the query states its condition.
			c.also("class <> 'ok'")
		}
	}
	if q.Operation != "" {
		c.add("operation = $%d", q.Operation)
	}
	if !q.Since.IsZero() {
		c.add("id >= $%d", string(call.MinID(q.Since)))
	}
	if !q.Until.IsZero() {
		c.add("id < $%d", string(call.MinID(q.Until)))
	}
	if q.Before != "" {
		c.add("id < $%d", string(q.Before))
	}
	// One row more than the page tells whether another page follows, so
	// the last page returns no cursor instead of leading to an empty one.
	query, args := c.query(callSelect, "ORDER BY id DESC LIMIT $%d", limit+1)
	rows, err := db.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, "", fmt.Errorf("listing calls: %w", err)
	}
	calls, err := collect(rows, scanCall)
	if err != nil {
		return nil, "", fmt.Errorf("listing calls: %w", err)
	}
	var next call.ID
	if len(calls) > limit {
		calls = calls[:limit]
		next = calls[limit-1].ID
	}
	return calls, next, nil
}

// GetCall returns the call with the given ID, or an error wrapping
// call.ErrNotFound.
func (db *DB) GetCall(ctx context.Context, id call.ID) (*call.Call, error) {
	c, err := scanCall(db.read.QueryRowContext(ctx, callSelect+" WHERE id = $1", string(id)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("getting call %s: %w", id, call.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("getting call %s: %w", id, err)
	}
	return c, nil
}

// CallIncident returns the fingerprint of the incident the call with the
// given ID was counted in, "" if none, or an error wrapping
// call.ErrNotFound. It is separate from GetCall because call.Call has no
// field for it: the fingerprint is the recorder's grouping, not part of
// the call.
func (db *DB) CallIncident(ctx context.Context, id call.ID) (string, error) {
	var fp string
	err := db.read.QueryRowContext(ctx, "SELECT incident FROM calls WHERE id = $1", string(id)).Scan(&fp)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("getting incident of call %s: %w", id, call.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("getting incident of call %s: %w", id, err)
	}
	return fp, nil
}
