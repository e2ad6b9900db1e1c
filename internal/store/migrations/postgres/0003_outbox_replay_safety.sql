-- What the outbox worker needs to replay a write safely after a replica
-- died mid-send (package outbox: Entry.Idempotent, Queue.Begin,
-- Entry.Unsure). Rows queued before this migration read as not
-- idempotent and not begun, the cautious defaults.

-- +goose Up
ALTER TABLE outbox
    -- Whether sending the write again cannot apply it twice.
    ADD COLUMN idempotent BOOLEAN NOT NULL DEFAULT FALSE,
    -- When the lease owner began sending (Queue.Begin); NULL if it has
    -- not. Every outcome and every claim clears it.
    ADD COLUMN started_us BIGINT,
    -- Whether the last claim took the entry over from an owner that had
    -- begun (Entry.Unsure). Claim sets it from the row as it was and
    -- returns it; nothing else reads it. It is stored because SQLite's
    -- RETURNING sees only the updated row, and both schemas match.
    ADD COLUMN unsure BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE outbox DROP COLUMN unsure, DROP COLUMN started_us, DROP COLUMN idempotent;
