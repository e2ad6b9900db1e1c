-- The durable write queue (package outbox). One row per queued write; rows
-- stay after delivery or death for audit, with the secrets and the body
-- cleared. Times are Unix microseconds, NULL or 0 where unset.

-- +goose Up
CREATE TABLE outbox (
    id              TEXT    NOT NULL PRIMARY KEY, -- caller's ID; FIFO order within a record_key
    call_id         TEXT    NOT NULL,
    upstream        TEXT    NOT NULL,
    method          TEXT    NOT NULL,
    path            TEXT    NOT NULL,
    header          BLOB,                         -- JSON of non-secret headers; NULL once finished
    sealed          BLOB,                         -- encrypted secret headers; NULL once finished
    body            BLOB,
    record_key      TEXT    NOT NULL,             -- '' for no ordering constraint
    idempotency_key TEXT    NOT NULL,
    state           TEXT    NOT NULL,             -- outbox.State
    attempts        INTEGER NOT NULL,
    next_at_us      INTEGER NOT NULL,
    created_us      INTEGER NOT NULL,
    lease_owner     TEXT    NOT NULL DEFAULT '',
    lease_until_us  INTEGER NOT NULL DEFAULT 0,
    last_class      TEXT    NOT NULL,
    last_status     INTEGER NOT NULL,
    last_error      TEXT    NOT NULL,
    dead_reason     TEXT    NOT NULL DEFAULT '',
    dead_us         INTEGER,
    delivered_us    INTEGER
);
-- Claim walks the unfinished entries in id order (few, next to the
-- finished ones that pile up) and checks for each that no older unfinished
-- entry shares its record key. Both indexes are partial, so finished rows
-- cost them nothing; queries must repeat the condition to use them.
CREATE INDEX outbox_active     ON outbox (id) WHERE state IN ('pending', 'inflight');
CREATE INDEX outbox_record_key ON outbox (record_key, id) WHERE state IN ('pending', 'inflight');
-- QueueStats counts per state and finds the oldest; ListEntries filters by
-- state.
CREATE INDEX outbox_state ON outbox (state, created_us);

-- +goose Down
DROP TABLE outbox;
