-- +goose Up
-- Fulfilment (issue 10): the organization's data systems and vendors, a
-- task per system for each verified request, signed webhooks with their
-- delivery attempts, messages both ways, per-item corrections, access
-- packages with e-mailed download codes, outcomes, and editable mail.

-- Data systems and vendors (models/system.go). recipient says who holds
-- the data: the organization itself, or a service provider, contractor,
-- third party or recipient to whom deletions and corrections are passed
-- on (CCPA §1798.105(c), 11 CCR §7022; GDPR Art. 19).
CREATE TABLE data_systems (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    name           TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('crm', 'billing', 'analytics', 'support', 'marketing', 'backups', 'processor', 'other')),
    recipient      TEXT NOT NULL CHECK (recipient IN ('internal', 'service_provider', 'contractor', 'third_party', 'recipient')),
    owner          TEXT NOT NULL DEFAULT '',
    owner_staff_id BIGINT REFERENCES staff (id),
    instructions   TEXT NOT NULL DEFAULT '',
    webhook_url    TEXT NOT NULL DEFAULT '',
    webhook_key_id TEXT NOT NULL DEFAULT '',
    webhook_secret TEXT NOT NULL DEFAULT '', -- sealed (AES-256-GCM under the app secret)
    archived_at    DATETIME,
    created_at     DATETIME NOT NULL,
    updated_at     DATETIME NOT NULL
);
CREATE UNIQUE INDEX data_systems_name_idx ON data_systems (lower(name)) WHERE archived_at IS NULL;

-- The rights each system is in scope for.
CREATE TABLE data_system_rights (
    system_id  BIGINT NOT NULL REFERENCES data_systems (id) ON DELETE CASCADE,
    right_code TEXT NOT NULL,
    PRIMARY KEY (system_id, right_code)
);
CREATE INDEX data_system_rights_right_idx ON data_system_rights (right_code, system_id);

-- One task per system in scope of a verified request (models/task.go).
-- open and failed tasks are open: a request is not completed while one is,
-- unless an administrator overrides with a reason (checked inside the
-- transaction that completes it). A callback token is stored hashed; it
-- answers once per round (callback_used_at), and a new round replaces it.
CREATE TABLE tasks (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id         BIGINT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    system_id          BIGINT NOT NULL REFERENCES data_systems (id),
    status             TEXT NOT NULL CHECK (status IN ('open', 'failed', 'done', 'no_data', 'not_applicable', 'impossible', 'overridden')),
    assignee_id        BIGINT REFERENCES staff (id),
    note               TEXT NOT NULL DEFAULT '',
    round              INTEGER NOT NULL DEFAULT 0,
    callback_hash      TEXT NOT NULL DEFAULT '',
    callback_used_at   DATETIME,
    result_document_id BIGINT REFERENCES documents (id),
    result_records     INTEGER NOT NULL DEFAULT 0,
    closed_by_kind     TEXT NOT NULL DEFAULT '',
    closed_by_id       BIGINT,
    opened_at          DATETIME NOT NULL,
    updated_at         DATETIME NOT NULL,
    closed_at          DATETIME,
    UNIQUE (request_id, system_id)
);
CREATE INDEX tasks_open_idx ON tasks (request_id) WHERE status IN ('open', 'failed');
CREATE UNIQUE INDEX tasks_callback_idx ON tasks (callback_hash) WHERE callback_hash <> '';
CREATE INDEX tasks_system_idx ON tasks (system_id, id);

-- Outgoing calls: each attempt, for the admin's view of a delivery; and
-- who signs a call as it leaves (a system's webhook key, read at send
-- time so a retry carries a fresh timestamp and the current key).
ALTER TABLE http_jobs ADD COLUMN signer TEXT NOT NULL DEFAULT '';
CREATE TABLE http_job_attempts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id      BIGINT NOT NULL REFERENCES http_jobs (id) ON DELETE CASCADE,
    attempt     INTEGER NOT NULL,
    at          DATETIME NOT NULL,
    ok          BOOLEAN NOT NULL,
    status_code INTEGER NOT NULL DEFAULT 0,
    error       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX http_job_attempts_job_idx ON http_job_attempts (job_id, id);

-- A stored file's name as the uploader gave it (cleaned), for message
-- attachments and the files of a package.
ALTER TABLE documents ADD COLUMN name TEXT NOT NULL DEFAULT '';

-- How a request was fulfilled: in whole or in part (what was not done and
-- why), the note told to the person, and an administrator's reason for
-- completing it with tasks still open.
ALTER TABLE requests ADD COLUMN outcome TEXT NOT NULL DEFAULT '' CHECK (outcome IN ('', 'full', 'partial'));
ALTER TABLE requests ADD COLUMN outcome_note TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN not_done TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN override_reason TEXT NOT NULL DEFAULT '';

-- Messages between staff and the person or their agent (models/message.go).
CREATE TABLE messages (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id  BIGINT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    author_kind TEXT NOT NULL CHECK (author_kind IN ('staff', 'requester', 'agent')),
    staff_id    BIGINT REFERENCES staff (id),
    agent_id    BIGINT REFERENCES agents (id),
    body        TEXT NOT NULL,
    created_at  DATETIME NOT NULL,
    read_at     DATETIME
);
CREATE INDEX messages_request_idx ON messages (request_id, id);
CREATE INDEX messages_unread_idx ON messages (request_id) WHERE read_at IS NULL AND author_kind <> 'staff';

-- Correction, item by item: what the person says is wrong and what is
-- right; staff's decision on each, with the reason (models/correction.go).
CREATE TABLE correction_items (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id    BIGINT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    item          TEXT NOT NULL,
    wrong         TEXT NOT NULL,
    correct       TEXT NOT NULL,
    added_by_kind TEXT NOT NULL,
    created_at    DATETIME NOT NULL,
    decision      TEXT NOT NULL DEFAULT '' CHECK (decision IN ('', 'corrected', 'not_corrected')),
    reason        TEXT NOT NULL DEFAULT '',
    decided_by    BIGINT REFERENCES staff (id),
    decided_at    DATETIME
);
CREATE INDEX correction_items_request_idx ON correction_items (request_id, id);

-- Access and portability packages (models/package.go): one ZIP, stored
-- encrypted, downloaded with a fresh e-mailed code until it expires, then
-- erased. One live package per request.
CREATE TABLE packages (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id BIGINT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    blob_key   TEXT NOT NULL,
    key_id     TEXT NOT NULL,
    size       BIGINT NOT NULL,
    sha256     TEXT NOT NULL,
    files      INTEGER NOT NULL,
    created_by BIGINT REFERENCES staff (id),
    created_at DATETIME NOT NULL,
    expires_at DATETIME NOT NULL,
    erased_at  DATETIME,
    downloads  INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX packages_live_idx ON packages (request_id) WHERE erased_at IS NULL;
CREATE INDEX packages_expiry_idx ON packages (expires_at) WHERE erased_at IS NULL;

-- Download codes: counted before they are compared, used once.
CREATE TABLE package_codes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    package_id BIGINT NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    created_at DATETIME NOT NULL,
    expires_at DATETIME NOT NULL,
    used_at    DATETIME
);
CREATE INDEX package_codes_package_idx ON package_codes (package_id, id);

-- Every download of a package.
CREATE TABLE package_downloads (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    package_id BIGINT NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
    actor_kind TEXT NOT NULL,
    staff_id   BIGINT REFERENCES staff (id),
    at         DATETIME NOT NULL
);
CREATE INDEX package_downloads_package_idx ON package_downloads (package_id, id);

-- Mail the organization edited, per stage, right ('' = every right) and
-- language; the defaults stay in the message catalog.
CREATE TABLE mail_templates (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    stage      TEXT NOT NULL,
    right_code TEXT NOT NULL DEFAULT '',
    lang       TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    updated_by BIGINT REFERENCES staff (id),
    updated_at DATETIME NOT NULL,
    UNIQUE (stage, right_code, lang)
);

-- +goose Down
DROP TABLE mail_templates;
DROP TABLE package_downloads;
DROP TABLE package_codes;
DROP TABLE packages;
DROP TABLE correction_items;
DROP TABLE messages;
ALTER TABLE requests DROP COLUMN override_reason;
ALTER TABLE requests DROP COLUMN not_done;
ALTER TABLE requests DROP COLUMN outcome_note;
ALTER TABLE requests DROP COLUMN outcome;
ALTER TABLE documents DROP COLUMN name;
DROP TABLE http_job_attempts;
ALTER TABLE http_jobs DROP COLUMN signer;
DROP TABLE tasks;
DROP TABLE data_system_rights;
DROP TABLE data_systems;
