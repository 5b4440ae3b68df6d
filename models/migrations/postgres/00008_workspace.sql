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

-- A request joined to an earlier one of the same person for the same right.
ALTER TABLE requests ADD COLUMN merged_into_id BIGINT REFERENCES requests (id);

-- +goose Down
ALTER TABLE requests DROP COLUMN merged_into_id;
DROP TABLE api_tokens;
