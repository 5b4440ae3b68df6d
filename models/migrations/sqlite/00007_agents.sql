-- +goose Up
-- Authorized agents (models/agent.go): an organization or person acting
-- for others, with a browser account (e-mail and password) and/or a Data
-- Rights Protocol identity (drp_id and its Ed25519 verify key). Staff
-- approve or reject each agent once.
CREATE TABLE agents (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    name                TEXT NOT NULL,
    organization        TEXT NOT NULL DEFAULT '',
    registered_business INTEGER NOT NULL DEFAULT 0,
    sos_number          TEXT NOT NULL DEFAULT '',
    email               TEXT UNIQUE,
    password_hash       TEXT NOT NULL DEFAULT '',
    email_verified_at   DATETIME,
    status              TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    review_reason       TEXT NOT NULL DEFAULT '',
    reviewed_by         INTEGER REFERENCES staff (id),
    reviewed_at         DATETIME,
    drp_id              TEXT UNIQUE,
    drp_verify_key      TEXT NOT NULL DEFAULT '',
    drp_web_url         TEXT NOT NULL DEFAULT '',
    drp_contact         TEXT NOT NULL DEFAULT '',
    drp_token_hash      TEXT UNIQUE,
    created_at          DATETIME NOT NULL,
    updated_at          DATETIME NOT NULL,
    disabled_at         DATETIME
);
CREATE INDEX agents_status_idx ON agents (status, id);

-- One-time links mailed to agents (e-mail verification).
CREATE TABLE agent_tokens (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    agent_id   INTEGER NOT NULL REFERENCES agents (id),
    purpose    TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    expires_at DATETIME NOT NULL,
    used_at    DATETIME,
    created_at DATETIME NOT NULL
);

-- Server-side agent sessions, apart from staff sessions.
CREATE TABLE agent_sessions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash   TEXT NOT NULL UNIQUE,
    agent_id     INTEGER NOT NULL REFERENCES agents (id),
    created_at   DATETIME NOT NULL,
    last_seen_at DATETIME NOT NULL,
    expires_at   DATETIME NOT NULL,
    ip           TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT '',
    ended_at     DATETIME
);
CREATE INDEX agent_sessions_agent_idx ON agent_sessions (agent_id) WHERE ended_at IS NULL;

-- A submission an agent filed for a person: the authority shown, staff's
-- review of it (decided once), and the person's own confirmation
-- (answered once).
CREATE TABLE agent_filings (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    submission_id    INTEGER NOT NULL UNIQUE REFERENCES submissions (id) ON DELETE CASCADE,
    agent_id         INTEGER NOT NULL REFERENCES agents (id),
    channel          TEXT NOT NULL,
    authority        TEXT NOT NULL CHECK (authority IN ('permission', 'power_of_attorney', 'guardian')),
    authority_status TEXT NOT NULL CHECK (authority_status IN ('pending', 'accepted', 'rejected')),
    authority_reason TEXT NOT NULL DEFAULT '',
    reviewed_by      INTEGER REFERENCES staff (id),
    reviewed_at      DATETIME,
    confirmation     TEXT NOT NULL CHECK (confirmation IN ('not_required', 'waiting', 'confirmed', 'refused')),
    confirmed_at     DATETIME,
    reminders        INTEGER NOT NULL DEFAULT 0,
    last_mailed_at   DATETIME,
    created_at       DATETIME NOT NULL
);
CREATE INDEX agent_filings_agent_idx ON agent_filings (agent_id, id);
CREATE INDEX agent_filings_waiting_idx ON agent_filings (last_mailed_at) WHERE confirmation = 'waiting';

-- Stored files (internal/blob), whatever they belong to: an owner kind
-- and id (an agent filing's designation; later identity documents and
-- message attachments).
CREATE TABLE documents (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_kind       TEXT NOT NULL,
    owner_id         INTEGER NOT NULL,
    blob_key         TEXT NOT NULL UNIQUE,
    key_id           TEXT NOT NULL,
    content_type     TEXT NOT NULL,
    size             INTEGER NOT NULL,
    sha256           TEXT NOT NULL,
    uploaded_by_kind TEXT NOT NULL,
    uploaded_by_id   INTEGER,
    created_at       DATETIME NOT NULL,
    erased_at        DATETIME
);
CREATE INDEX documents_owner_idx ON documents (owner_kind, owner_id);

-- Data Rights Protocol requests (models/drp.go): one right each. A signed
-- message is accepted once (its hash is unique), and so is an agent's own
-- request id.
CREATE TABLE drp_requests (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    request_uuid     TEXT NOT NULL UNIQUE,
    agent_id         INTEGER NOT NULL REFERENCES agents (id),
    agent_request_id TEXT,
    message_hash     TEXT NOT NULL UNIQUE,
    submission_id    INTEGER REFERENCES submissions (id) ON DELETE CASCADE,
    request_id       INTEGER REFERENCES requests (id) ON DELETE CASCADE,
    exercise         TEXT NOT NULL,
    regime           TEXT NOT NULL DEFAULT '',
    status_callback  TEXT NOT NULL DEFAULT '',
    issued_at        DATETIME NOT NULL,
    expires_at       DATETIME NOT NULL,
    created_at       DATETIME NOT NULL,
    UNIQUE (agent_id, agent_request_id)
);
CREATE INDEX drp_requests_request_idx ON drp_requests (request_id);

-- Outgoing HTTP calls (DRP status callbacks; later fulfilment webhooks),
-- queued in the transaction that causes them and retried with backoff
-- by one worker at a time across instances (models/httpjob.go).
CREATE TABLE http_jobs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT NOT NULL,
    dedupe_key      TEXT NOT NULL DEFAULT '',
    method          TEXT NOT NULL,
    url             TEXT NOT NULL,
    headers         TEXT NOT NULL DEFAULT '{}',
    body            TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at DATETIME NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    last_status     INTEGER NOT NULL DEFAULT 0,
    lease_token     TEXT NOT NULL DEFAULT '',
    created_at      DATETIME NOT NULL,
    sent_at         DATETIME
);
CREATE INDEX http_jobs_due_idx ON http_jobs (status, next_attempt_at, id);
CREATE INDEX http_jobs_dedupe_idx ON http_jobs (dedupe_key, id);

-- Agents act too: the audit trail names them.
ALTER TABLE audit_log ADD COLUMN agent_id INTEGER REFERENCES agents (id);

-- +goose Down
ALTER TABLE audit_log DROP COLUMN agent_id;
DROP TABLE http_jobs;
DROP TABLE drp_requests;
DROP TABLE documents;
DROP TABLE agent_filings;
DROP TABLE agent_sessions;
DROP TABLE agent_tokens;
DROP TABLE agents;
