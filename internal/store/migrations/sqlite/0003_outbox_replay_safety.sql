-- What the outbox worker needs to replay a write safely after a replica
-- died mid-send (package outbox: Entry.Idempotent, Queue.Begin,
-- Entry.Unsure). Rows queued before this migration read as not
-- idempotent and not begun, the cautious defaults.

-- +goose Up
-- 1 when sending the write again cannot apply it twice.
ALTER TABLE outbox ADD COLUMN idempotent INTEGER NOT NULL DEFAULT 0;
-- When the lease owner began sending (Queue.Begin); NULL if it has not.
-- Every outcome and every claim clears it.
ALTER TABLE outbox ADD COLUMN started_us INTEGER;
-- Whether the last claim took the entry over from an owner that had begun
-- (Entry.Unsure), kept until an outcome is recorded. Claim sets it from the row as it was and returns it;
-- nothing else reads it. It is stored because a SQLite RETURNING clause
-- sees only the updated row.
ALTER TABLE outbox ADD COLUMN unsure INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE outbox DROP COLUMN unsure;
ALTER TABLE outbox DROP COLUMN started_us;
ALTER TABLE outbox DROP COLUMN idempotent;
