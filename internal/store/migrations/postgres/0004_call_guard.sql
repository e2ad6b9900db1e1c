-- What the guard recorded on a call (call.Guard): the API version's
-- lifecycle state, the values normalisation rewrote, and the contract
-- findings, as JSON. Empty for the many calls where it found nothing.

-- +goose Up
ALTER TABLE calls ADD COLUMN guard TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE calls DROP COLUMN guard;
