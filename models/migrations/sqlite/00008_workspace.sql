-- +goose Up
-- Personal API tokens (models/apitoken.go).
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    staff_id     BIGINT NOT NULL REFERENCES staff (id),
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    scope        TEXT NOT NULL,
    created_at   DATETIME NOT NULL,
    last_used_at DATETIME,
    revoked_at   DATETIME
);
CREATE INDEX api_tokens_staff_idx ON api_tokens (staff_id);

-- A request joined to an earlier one of the same person for the same right.
ALTER TABLE requests ADD COLUMN merged_into_id BIGINT REFERENCES requests (id);

-- +goose Down
ALTER TABLE requests DROP COLUMN merged_into_id;
DROP TABLE api_tokens;
