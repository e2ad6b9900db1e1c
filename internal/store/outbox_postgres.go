package store

// claimPostgres leases with FOR UPDATE SKIP LOCKED, so that replicas
// claiming at once each take different rows without waiting for each
// other. A row another claim took and committed after this statement's
// snapshot is rechecked against claimDue once locked, and is then no
// longer due. MATERIALIZED keeps the locking select a step of its own, run
// once, rather than folded into the update's plan.
var claimPostgres = `WITH c AS MATERIALIZED (
		SELECT o.id FROM outbox o WHERE ` + claimDue + `
		ORDER BY o.id LIMIT $4
		FOR UPDATE OF o SKIP LOCKED)
	UPDATE outbox SET ` + claimSet + `
	FROM c WHERE outbox.id = c.id
	RETURNING ` + outboxList("outbox.", nil)

func (postgresDialect) claimSQL() string { return claimPostgres }
