-- +goose Up
-- Identity verification by risk (models/verification.go, models/records.go;
-- internal/rules/verify.go for the tiers and their sources).

-- The organization's verification settings: one row. Secrets (the lookup
-- endpoint's HMAC key, the OpenID Connect client secret) are sealed with
-- the app's key; records_source says where answers are matched: '' (no
-- source yet: staff review the answers), 'import' (the CSV staff uploaded)
-- or 'lookup' (the organization's HTTPS endpoint). version guards every
-- change against a lost update.
CREATE TABLE verification_settings (
    id                  INTEGER PRIMARY KEY CHECK (id = 1),
    questions           TEXT NOT NULL DEFAULT '',
    raises              TEXT NOT NULL DEFAULT '{}',
    records_source      TEXT NOT NULL DEFAULT '' CHECK (records_source IN ('', 'import', 'lookup')),
    lookup_url          TEXT NOT NULL DEFAULT '',
    lookup_key_sealed   TEXT NOT NULL DEFAULT '',
    lookup_ok_at        TIMESTAMPTZ,
    lookup_down_since   TIMESTAMPTZ,
    lookup_error        TEXT NOT NULL DEFAULT '',
    oidc_issuer         TEXT NOT NULL DEFAULT '',
    oidc_client_id      TEXT NOT NULL DEFAULT '',
    oidc_secret_sealed  TEXT NOT NULL DEFAULT '',
    oidc_email_claim    TEXT NOT NULL DEFAULT 'email',
    oidc_verified_claim TEXT NOT NULL DEFAULT 'email_verified',
    version             INTEGER NOT NULL DEFAULT 0,
    updated_at          TIMESTAMPTZ,
    updated_by          BIGINT REFERENCES staff (id)
);
INSERT INTO verification_settings (id) VALUES (1);

-- Imports of the organization's records from a CSV: the file is kept
-- encrypted (internal/blob) only until it is imported or discarded; its
-- rows become verification_records of normalized, keyed hashes under the
-- import's own salt. One import is active at a time; a new one replaces
-- it in one statement, and the records of the old one are then deleted.
CREATE TABLE record_imports (
    id            BIGSERIAL PRIMARY KEY,
    status        TEXT NOT NULL CHECK (status IN ('uploaded', 'staging', 'active', 'replaced', 'discarded')),
    blob_key      TEXT NOT NULL DEFAULT '',
    salt          TEXT NOT NULL,
    fields        TEXT NOT NULL DEFAULT '',
    rows_total    INTEGER NOT NULL DEFAULT 0,
    rows_accepted INTEGER NOT NULL DEFAULT 0,
    rows_rejected INTEGER NOT NULL DEFAULT 0,
    rejections    TEXT NOT NULL DEFAULT '[]',
    uploaded_by   BIGINT REFERENCES staff (id),
    created_at    TIMESTAMPTZ NOT NULL,
    imported_at   TIMESTAMPTZ,
    replaced_at   TIMESTAMPTZ
);
CREATE UNIQUE INDEX record_imports_one_active_idx ON record_imports (status) WHERE status = 'active';

CREATE TABLE verification_records (
    id         BIGSERIAL PRIMARY KEY,
    import_id  BIGINT NOT NULL REFERENCES record_imports (id) ON DELETE CASCADE,
    email_hash TEXT NOT NULL,
    fields     TEXT NOT NULL
);
CREATE INDEX verification_records_email_idx ON verification_records (import_id, email_hash);

-- One identity check of a request at a tier above the e-mail: what was
-- asked, how many tries, and its one outcome (passed, failed, or
-- cancelled when the request closed first). The evidence kept is the
-- outcome, the method and the names of the fields that matched, never
-- the values; answers are kept sealed only while staff must review them,
-- and erased when the request closes (erased_at), with any document.
CREATE TABLE identity_checks (
    id              BIGSERIAL PRIMARY KEY,
    request_id      BIGINT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    tier            TEXT NOT NULL CHECK (tier IN ('two_points', 'three_points')),
    tier_source     TEXT NOT NULL,
    raised_by       BIGINT REFERENCES staff (id),
    raised_reason   TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL CHECK (status IN ('pending', 'review', 'passed', 'failed', 'cancelled')),
    review_reason   TEXT NOT NULL DEFAULT '',
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    asked           TEXT NOT NULL DEFAULT '',
    matched         TEXT NOT NULL DEFAULT '',
    method          TEXT NOT NULL DEFAULT '',
    scope           TEXT NOT NULL DEFAULT '',
    answers_sealed  TEXT NOT NULL DEFAULT '',
    declared_name   TEXT NOT NULL DEFAULT '',
    declared_at     TIMESTAMPTZ,
    declared_ip     TEXT NOT NULL DEFAULT '',
    declared_ua     TEXT NOT NULL DEFAULT '',
    account_issuer  TEXT NOT NULL DEFAULT '',
    account_subject TEXT NOT NULL DEFAULT '',
    account_at      TIMESTAMPTZ,
    account_fresh   BOOLEAN NOT NULL DEFAULT FALSE,
    note            TEXT NOT NULL DEFAULT '',
    decided_by      BIGINT REFERENCES staff (id),
    decided_at      TIMESTAMPTZ,
    erased_at       TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    CHECK (status NOT IN ('passed', 'failed') OR decided_at IS NOT NULL)
);
CREATE INDEX identity_checks_request_idx ON identity_checks (request_id, id);
CREATE UNIQUE INDEX identity_checks_one_open_idx ON identity_checks (request_id) WHERE status IN ('pending', 'review');

-- Stored files whose content must go (a request closed): the row is
-- written with the change that erases them, the file deleted right after
-- commit, and what a crash left is deleted by housekeeping.
CREATE TABLE blob_erasures (
    blob_key   TEXT PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL
);

-- "Need more information" in every jurisdiction: a question stops the
-- clock only where the law lets it (clock_stopped), and may ask for a
-- document.
ALTER TABLE request_pauses ADD COLUMN clock_stopped BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE request_pauses ADD COLUMN document BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE request_pauses DROP COLUMN document;
ALTER TABLE request_pauses DROP COLUMN clock_stopped;
DROP TABLE blob_erasures;
DROP TABLE identity_checks;
DROP TABLE verification_records;
DROP TABLE record_imports;
DROP TABLE verification_settings;
