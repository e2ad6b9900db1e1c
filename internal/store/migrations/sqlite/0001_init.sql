-- Initial schema. Times are Unix microseconds and durations microseconds,
-- both INTEGER, so the two backends store identical values and comparisons
-- are plain integer comparisons. Fault classes are stored by name
-- (fault.Class.String), which is stable by contract.

-- +goose Up
CREATE TABLE calls (
    id              TEXT    NOT NULL PRIMARY KEY, -- call.ID: sorts by start time
    start_us        INTEGER NOT NULL,
    upstream        TEXT    NOT NULL,
    method          TEXT    NOT NULL,
    operation       TEXT    NOT NULL,
    api_version     TEXT    NOT NULL,
    client          TEXT    NOT NULL,
    status          INTEGER NOT NULL,
    class           TEXT    NOT NULL,
    vendor_code     TEXT    NOT NULL,
    message         TEXT    NOT NULL,
    retryable       INTEGER NOT NULL,
    partial         INTEGER NOT NULL,
    remediation     TEXT    NOT NULL,
    latency_us      INTEGER NOT NULL,
    bytes_in        INTEGER NOT NULL,
    bytes_out       INTEGER NOT NULL,
    attempts        INTEGER NOT NULL,
    request_sample  TEXT    NOT NULL,
    response_sample TEXT    NOT NULL,
    tries           TEXT    NOT NULL DEFAULT '', -- JSON array of attempts when there was more than one
    incident        TEXT    NOT NULL DEFAULT '' -- incident fingerprint, '' for none
);
-- ListCalls pages newest first by id; each filter gets an (x, id) index so
-- a filtered page is an index range scan in id order, not a sort. The class
-- index leaves out successful calls, most of all calls: it is for finding
-- failures, and a page of successes is found quickly by walking the
-- primary key. Leaving them out makes recording about 10% faster. Queries
-- must repeat the index's condition to use it (see ListCalls).
CREATE INDEX calls_upstream_id  ON calls (upstream, id);
CREATE INDEX calls_class_id     ON calls (class, id) WHERE class <> 'ok';
CREATE INDEX calls_operation_id ON calls (operation, id);

CREATE TABLE incidents (
    fingerprint    TEXT    NOT NULL PRIMARY KEY,
    upstream       TEXT    NOT NULL,
    operation      TEXT    NOT NULL,
    class          TEXT    NOT NULL,
    vendor_code    TEXT    NOT NULL,
    message        TEXT    NOT NULL,
    first_seen_us  INTEGER NOT NULL,
    last_seen_us   INTEGER NOT NULL,
    count          INTEGER NOT NULL,
    sample_calls   TEXT    NOT NULL, -- JSON array of call ids, newest last
    remediation    TEXT    NOT NULL,
    state          TEXT    NOT NULL CHECK (state IN ('open', 'resolved')),
    reopened       INTEGER NOT NULL DEFAULT 0,
    resolved_at_us INTEGER           -- NULL unless resolved
);
CREATE INDEX incidents_last_seen       ON incidents (last_seen_us);
CREATE INDEX incidents_state_last_seen ON incidents (state, last_seen_us);

-- Rollup rows are additive: several rows may share a key and minute, and
-- readers add them up, so there is no unique key. id only orders rows.
CREATE TABLE rollups (
    id             INTEGER PRIMARY KEY,
    minute_us      INTEGER NOT NULL,
    upstream       TEXT    NOT NULL,
    operation      TEXT    NOT NULL,
    class          TEXT    NOT NULL,
    calls          INTEGER NOT NULL,
    latency_sum_us INTEGER NOT NULL,
    latency_max_us INTEGER NOT NULL,
    latency_sketch TEXT    NOT NULL -- quantile.Sketch.String()
);
CREATE INDEX rollups_minute ON rollups (minute_us);

-- +goose Down
DROP TABLE rollups;
DROP TABLE incidents;
DROP TABLE calls;
