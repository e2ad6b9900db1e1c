package store

// claimSQLite leases in one statement. The single write connection runs
// it alone, so no other claim can see the rows between its select and its
// update, and SQLite makes the statement atomic.
var claimSQLite = `UPDATE outbox SET ` + claimSet + `
	WHERE id IN (SELECT o.id FROM outbox o WHERE ` + claimDue + `
		ORDER BY o.id LIMIT $4)
	RETURNING ` + outboxList("", nil)

func (sqliteDialect) claimSQL() string { return claimSQLite }
