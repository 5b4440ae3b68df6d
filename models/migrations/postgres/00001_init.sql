-- +goose Up
CREATE TABLE staff (
    id            BIGSERIAL PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    last_login_at TIMESTAMPTZ,
    disabled_at   TIMESTAMPTZ
);

CREATE TABLE setup_tokens (
    id         BIGSERIAL PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE submissions (
    id                BIGSERIAL PRIMARY KEY,
    reference         TEXT NOT NULL UNIQUE,
    tracking_hash     TEXT NOT NULL UNIQUE,
    tracking_sealed   TEXT NOT NULL,
    idempotency_hash  TEXT UNIQUE,
    on_behalf         TEXT NOT NULL,
    name              TEXT NOT NULL,
    email             TEXT NOT NULL,
    phone             TEXT NOT NULL DEFAULT '',
    country           TEXT NOT NULL,
    region            TEXT NOT NULL DEFAULT '',
    jurisdiction      TEXT NOT NULL,
    relationship      TEXT NOT NULL,
    details           TEXT NOT NULL DEFAULT '',
    lang              TEXT NOT NULL,
    channel           TEXT NOT NULL,
    email_verified_at TIMESTAMPTZ,
    received_at       TIMESTAMPTZ NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX submissions_email_idx ON submissions (email, received_at);

CREATE TABLE email_verifications (
    id            BIGSERIAL PRIMARY KEY,
    submission_id BIGINT NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    code_hash     TEXT NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    used_at       TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX email_verifications_submission_idx ON email_verifications (submission_id, created_at);

CREATE TABLE requests (
    id               BIGSERIAL PRIMARY KEY,
    submission_id    BIGINT NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    kind             TEXT NOT NULL,
    appeal_of_id     BIGINT REFERENCES requests (id),
    right_code       TEXT NOT NULL,
    jurisdiction     TEXT NOT NULL,
    status           TEXT NOT NULL,
    received_at      TIMESTAMPTZ NOT NULL,
    due_at           TIMESTAMPTZ NOT NULL,
    original_due_at  TIMESTAMPTZ NOT NULL,
    ack_due_at       TIMESTAMPTZ,
    acknowledged_at  TIMESTAMPTZ,
    extended_at      TIMESTAMPTZ,
    extension_reason TEXT NOT NULL DEFAULT '',
    verified_at      TIMESTAMPTZ,
    closed_at        TIMESTAMPTZ,
    denial_reason    TEXT NOT NULL DEFAULT '',
    denial_detail    TEXT NOT NULL DEFAULT '',
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX requests_submission_idx ON requests (submission_id);
CREATE INDEX requests_urgent_idx ON requests (kind, status, due_at, id);
CREATE INDEX requests_received_idx ON requests (kind, received_at, id);
CREATE INDEX requests_right_idx ON requests (kind, right_code, status, due_at, id);
CREATE INDEX requests_appeal_idx ON requests (appeal_of_id);

CREATE TABLE events (
    id          BIGSERIAL PRIMARY KEY,
    request_id  BIGINT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    actor_kind  TEXT NOT NULL,
    staff_id    BIGINT REFERENCES staff (id),
    status_from TEXT NOT NULL DEFAULT '',
    status_to   TEXT NOT NULL DEFAULT '',
    body        TEXT NOT NULL DEFAULT '',
    internal    BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX events_request_idx ON events (request_id, id);

CREATE TABLE audit_log (
    id          BIGSERIAL PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL,
    actor_kind  TEXT NOT NULL,
    staff_id    BIGINT REFERENCES staff (id),
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL DEFAULT '',
    object_id   BIGINT,
    ip          TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at_idx ON audit_log (at, id);
CREATE INDEX audit_log_object_idx ON audit_log (object_type, object_id, id);

CREATE TABLE outbox (
    id              BIGSERIAL PRIMARY KEY,
    to_addr         TEXT NOT NULL,
    template        TEXT NOT NULL,
    data            TEXT NOT NULL,
    lang            TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    sent_at         TIMESTAMPTZ
);
CREATE INDEX outbox_due_idx ON outbox (status, next_attempt_at, id);

CREATE TABLE job_runs (
    name   TEXT NOT NULL,
    run_on TEXT NOT NULL,
    PRIMARY KEY (name, run_on)
);

-- +goose Down
DROP TABLE job_runs;
DROP TABLE outbox;
DROP TABLE audit_log;
DROP TABLE events;
DROP TABLE requests;
DROP TABLE email_verifications;
DROP TABLE submissions;
DROP TABLE setup_tokens;
DROP TABLE staff;
