-- +goose Up
-- The claim that holds a sending row: only its worker records the outcome.
ALTER TABLE outbox ADD COLUMN lease_token TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE outbox DROP COLUMN lease_token;
