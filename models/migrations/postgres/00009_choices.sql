-- +goose Up
-- Privacy choices (models/choices.go): one row per person, identifier and
-- choice; the same opt-out twice is the same row.
CREATE TABLE preferences (
    id         BIGSERIAL PRIMARY KEY,
    id_kind    TEXT NOT NULL,
    identifier TEXT NOT NULL,
    choice     TEXT NOT NULL,
    opted_out  BOOLEAN NOT NULL,
    source     TEXT NOT NULL,
    seq        BIGINT NOT NULL,
    request_id BIGINT REFERENCES requests (id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX preferences_subject_idx ON preferences (id_kind, identifier, choice);
-- The export's cursor: preferences changed after a sequence number.
CREATE INDEX preferences_seq_idx ON preferences (seq);
CREATE INDEX preferences_request_idx ON preferences (request_id);

-- Every change, with its time and source; seq orders them.
CREATE TABLE preference_changes (
    id            BIGSERIAL PRIMARY KEY,
    preference_id BIGINT NOT NULL REFERENCES preferences (id),
    seq           BIGINT NOT NULL UNIQUE,
    opted_out     BOOLEAN NOT NULL,
    source        TEXT NOT NULL,
    gpc           BOOLEAN NOT NULL DEFAULT FALSE,
    request_id    BIGINT REFERENCES requests (id),
    actor_kind    TEXT NOT NULL,
    staff_id      BIGINT REFERENCES staff (id),
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX preference_changes_preference_idx ON preference_changes (preference_id, seq);
CREATE INDEX preference_changes_request_idx ON preference_changes (request_id);

-- The one counter that numbers changes. Taking a number locks the row
-- until the change commits, so changes become visible in number order and
-- a reader's cursor never passes over one that commits late.
CREATE TABLE preference_sequence (
    id INTEGER PRIMARY KEY,
    n  BIGINT NOT NULL
);
INSERT INTO preference_sequence (id, n) VALUES (1, 0);

-- Mailed links to the preference centre: only the hash of the token.
CREATE TABLE preference_links (
    id         BIGSERIAL PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    id_kind    TEXT NOT NULL,
    identifier TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX preference_links_expires_idx ON preference_links (expires_at);

-- +goose Down
DROP TABLE preference_links;
DROP TABLE preference_sequence;
DROP TABLE preference_changes;
DROP TABLE preferences;
