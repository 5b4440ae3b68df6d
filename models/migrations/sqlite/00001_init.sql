-- +goose Up
CREATE TABLE staff (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    DATETIME NOT NULL,
    updated_at    DATETIME NOT NULL,
    last_login_at DATETIME,
    disabled_at   DATETIME
);

CREATE TABLE setup_tokens (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL UNIQUE,
    expires_at DATETIME NOT NULL,
    used_at    DATETIME,
    created_at DATETIME NOT NULL
);

CREATE TABLE submissions (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
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
    email_verified_at DATETIME,
    received_at       DATETIME NOT NULL,
    created_at        DATETIME NOT NULL,
    updated_at        DATETIME NOT NULL
);
CREATE INDEX submissions_email_idx ON submissions (email, received_at);

CREATE TABLE email_verifications (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    submission_id INTEGER NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    code_hash     TEXT NOT NULL,
    expires_at    DATETIME NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    used_at       DATETIME,
    created_at    DATETIME NOT NULL
);
CREATE INDEX email_verifications_submission_idx ON email_verifications (submission_id, created_at);

CREATE TABLE requests (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    submission_id    INTEGER NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    kind             TEXT NOT NULL,
    appeal_of_id     INTEGER REFERENCES requests (id),
    right_code       TEXT NOT NULL,
    jurisdiction     TEXT NOT NULL,
    status           TEXT NOT NULL,
    received_at      DATETIME NOT NULL,
    due_at           DATETIME NOT NULL,
    original_due_at  DATETIME NOT NULL,
    ack_due_at       DATETIME,
    acknowledged_at  DATETIME,
    extended_at      DATETIME,
    extension_reason TEXT NOT NULL DEFAULT '',
    verified_at      DATETIME,
    closed_at        DATETIME,
    denial_reason    TEXT NOT NULL DEFAULT '',
    denial_detail    TEXT NOT NULL DEFAULT '',
    created_at       DATETIME NOT NULL,
    updated_at       DATETIME NOT NULL
);
CREATE INDEX requests_submission_idx ON requests (submission_id);
CREATE INDEX requests_urgent_idx ON requests (kind, status, due_at, id);
CREATE INDEX requests_received_idx ON requests (kind, received_at, id);
CREATE INDEX requests_right_idx ON requests (kind, right_code, status, due_at, id);
CREATE INDEX requests_appeal_idx ON requests (appeal_of_id);

CREATE TABLE events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id  INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    actor_kind  TEXT NOT NULL,
    staff_id    INTEGER REFERENCES staff (id),
    status_from TEXT NOT NULL DEFAULT '',
    status_to   TEXT NOT NULL DEFAULT '',
    body        TEXT NOT NULL DEFAULT '',
    internal    INTEGER NOT NULL DEFAULT 0,
    created_at  DATETIME NOT NULL
);
CREATE INDEX events_request_idx ON events (request_id, id);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          DATETIME NOT NULL,
    actor_kind  TEXT NOT NULL,
    staff_id    INTEGER REFERENCES staff (id),
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL DEFAULT '',
    object_id   INTEGER,
    ip          TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at_idx ON audit_log (at, id);
CREATE INDEX audit_log_object_idx ON audit_log (object_type, object_id, id);

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    to_addr         TEXT NOT NULL,
    template        TEXT NOT NULL,
    data            TEXT NOT NULL,
    lang            TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at DATETIME NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      DATETIME NOT NULL,
    sent_at         DATETIME
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
