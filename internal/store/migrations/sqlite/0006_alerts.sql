-- Alerts (package alert): the current alerts with their acknowledgement,
-- each notification group's delivery state, the alert history, silences,
-- the notification log, and the leases that elect the one replica that
-- evaluates the rules. Labels, annotations and lists are JSON.

-- +goose Up
CREATE TABLE alerts (
    id              TEXT    NOT NULL PRIMARY KEY,
    rule            TEXT    NOT NULL,
    severity        TEXT    NOT NULL,
    grp             TEXT    NOT NULL,
    labels          TEXT    NOT NULL,
    annotations     TEXT    NOT NULL,
    state           TEXT    NOT NULL, -- pending, firing, resolved
    value           REAL NOT NULL,
    active_since_us INTEGER  NOT NULL,
    fired_at_us     INTEGER,             -- NULL until it fires
    resolved_at_us  INTEGER,             -- NULL unless resolved
    updated_us      INTEGER  NOT NULL,
    silenced_by     TEXT    NOT NULL DEFAULT '[]',
    ack_by          TEXT    NOT NULL DEFAULT '',
    ack_comment     TEXT    NOT NULL DEFAULT '',
    ack_at_us       INTEGER              -- NULL unless acknowledged
);

CREATE TABLE alert_groups (
    grp          TEXT    NOT NULL,
    notifier     TEXT    NOT NULL,
    last_sent_us INTEGER  NOT NULL,
    notified     TEXT    NOT NULL, -- ids of the alerts sent as firing, not yet as resolved
    PRIMARY KEY (grp, notifier)
);

CREATE TABLE alert_events (
    id       INTEGER PRIMARY KEY,
    at_us    INTEGER NOT NULL,
    alert_id TEXT   NOT NULL,
    rule     TEXT   NOT NULL,
    labels   TEXT   NOT NULL,
    kind     TEXT   NOT NULL, -- firing, resolved, acknowledged, silenced, unsilenced
    by_whom  TEXT   NOT NULL,
    detail   TEXT   NOT NULL
);
CREATE INDEX alert_events_at ON alert_events (at_us);
CREATE INDEX alert_events_alert ON alert_events (alert_id, at_us);

CREATE TABLE silences (
    id         TEXT   NOT NULL PRIMARY KEY,
    matchers   TEXT   NOT NULL,
    starts_us  INTEGER NOT NULL,
    ends_us    INTEGER NOT NULL,
    created_by TEXT   NOT NULL,
    comment    TEXT   NOT NULL,
    created_us INTEGER NOT NULL
);
CREATE INDEX silences_ends ON silences (ends_us);

CREATE TABLE notifications (
    id       INTEGER PRIMARY KEY,
    at_us    INTEGER NOT NULL,
    notifier TEXT   NOT NULL,
    grp      TEXT   NOT NULL,
    kind     TEXT   NOT NULL, -- firing, repeat, resolved
    outcome  TEXT   NOT NULL, -- sent, failed
    attempts INTEGER NOT NULL,
    error    TEXT   NOT NULL,
    alerts   TEXT   NOT NULL  -- ids of the alerts in the message
);
CREATE INDEX notifications_at ON notifications (at_us);

CREATE TABLE leases (
    name       TEXT   NOT NULL PRIMARY KEY,
    holder     TEXT   NOT NULL,
    expires_us INTEGER NOT NULL
);

-- +goose Down
DROP TABLE leases;
DROP TABLE notifications;
DROP TABLE silences;
DROP TABLE alert_events;
DROP TABLE alert_groups;
DROP TABLE alerts;
