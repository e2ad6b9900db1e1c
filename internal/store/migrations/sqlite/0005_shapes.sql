-- The learned shapes of an upstream's traffic (package shape), one row
-- per operation, merged by every replica that observes it; crmguard
-- contract learn drafts a contract from them. Shapes hold types and
-- formats, never values.

-- +goose Up
CREATE TABLE shapes (
    upstream   TEXT NOT NULL,
    method     TEXT NOT NULL,
    path       TEXT NOT NULL,
    shape      TEXT NOT NULL, -- shape.Operation as JSON
    updated_us INTEGER NOT NULL,
    PRIMARY KEY (upstream, method, path)
);

-- +goose Down
DROP TABLE shapes;
