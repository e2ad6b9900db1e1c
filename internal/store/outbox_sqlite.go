package store

// claimSQLite leases in one statement. The single write connection runs
// it alone, so no other claim can see the rows between its select and its
// update, and SQLite makes the statement atomic. INDEXED BY makes it walk
// the unfinished entries in ID order and stop at the limit; left to
// itself the planner picks the state index and sorts every waiting entry
// on each claim, which slows a large backlog's drain.
var claimSQLite = `UPDATE outbox SET ` + claimSet + `
	WHERE id IN (SELECT o.id FROM outbox o INDEXED BY outbox_active WHERE ` + claimDue + `
		ORDER BY o.id LIMIT $4)
	RETURNING ` + outboxList("", nil)

func (sqliteDialect) claimSQL() string { return claimSQLite }
