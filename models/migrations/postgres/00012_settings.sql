-- +goose Up
-- The organization's settings, one row per saved version (models/settings.go).
CREATE TABLE settings_versions (
    id         BIGSERIAL PRIMARY KEY,
    version    INTEGER NOT NULL UNIQUE,
    data       TEXT NOT NULL,
    staff_id   BIGINT REFERENCES staff (id),
    changed    TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE settings_versions;
