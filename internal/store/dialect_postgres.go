package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/crmguard/crmguard/internal/call"
)

// postgresDialect is the SQL that PostgreSQL writes its own way.
type postgresDialect struct{}

func (postgresDialect) name() string      { return "postgres" }
func (postgresDialect) greatest() string  { return "GREATEST" }
func (postgresDialect) least() string     { return "LEAST" }
func (postgresDialect) forUpdate() string { return " FOR UPDATE" }

// insertCallsPG inserts a whole batch with one statement: each column is
// sent as one array parameter and unnest turns the arrays back into rows.
// That is one round trip and one plan for any batch size, which is what
// makes PostgreSQL fast here; pgx encodes Go slices as arrays.
const insertCallsPG = "INSERT INTO calls (" + callInsertColumns + `)
	SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
		$8::integer[], $9::text[], $10::text[], $11::text[], $12::boolean[], $13::boolean[], $14::text[],
		$15::bigint[], $16::bigint[], $17::bigint[], $18::integer[], $19::text[], $20::text[], $21::text[], $22::text[], $23::text[])`

// insertCalls inserts calls with one unnest statement.
func (postgresDialect) insertCalls(ctx context.Context, tx *sql.Tx, calls []*call.Call, fps []string) error {
	n := len(calls)
	var (
		id, upstream, method, operation = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		apiVersion, client, class       = make([]string, n), make([]string, n), make([]string, n)
		vendorCode, message, remedy     = make([]string, n), make([]string, n), make([]string, n)
		reqSample, respSample, tries    = make([]string, n), make([]string, n), make([]string, n)
		guard                           = make([]string, n)
		start, latency                  = make([]int64, n), make([]int64, n)
		bytesIn, bytesOut               = make([]int64, n), make([]int64, n)
		status, attempts                = make([]int32, n), make([]int32, n)
		retryable, partial              = make([]bool, n), make([]bool, n)
	)
	for i, c := range calls {
		id[i], start[i] = string(c.ID), micros(c.Start)
		upstream[i], method[i], operation[i] = c.Upstream, c.Method, c.Operation
		apiVersion[i], client[i] = c.APIVersion, c.Client
		status[i], class[i] = int32(c.Status), c.Class.String()
		vendorCode[i], message[i], remedy[i] = c.VendorCode, c.Message, c.Remediation
		retryable[i], partial[i] = c.Retryable, c.Partial
		latency[i], bytesIn[i], bytesOut[i], attempts[i] = durMicros(c.Latency), c.BytesIn, c.BytesOut, int32(c.Attempts)
		reqSample[i], respSample[i], tries[i] = c.RequestSample, c.ResponseSample, encodeTries(c.Tries)
		guard[i] = encodeGuard(&c.Guard)
	}
	// In the order of callInsertColumns.
	_, err := tx.ExecContext(ctx, insertCallsPG,
		id, start, upstream, method, operation, apiVersion, client,
		status, class, vendorCode, message, retryable, partial, remedy,
		latency, bytesIn, bytesOut, attempts, reqSample, respSample, tries, guard, fps)
	if err != nil {
		return fmt.Errorf("%d calls from %s: %w", n, calls[0].ID, err)
	}
	return nil
}
