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

-- +goose Down
DROP TABLE api_tokens;
