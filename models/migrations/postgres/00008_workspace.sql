-- +goose Up
-- Personal API tokens (models/apitoken.go).
CREATE TABLE api_tokens (
    id           BIGSERIAL PRIMARY KEY,
    staff_id     BIGINT NOT NULL REFERENCES staff (id),
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    scope        TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);
CREATE INDEX api_tokens_staff_idx ON api_tokens (staff_id);

-- +goose Down
DROP TABLE api_tokens;
