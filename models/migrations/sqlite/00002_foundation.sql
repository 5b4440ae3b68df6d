-- +goose Up
-- Attempt counters shared by every instance (see models/limits.go).
CREATE TABLE rate_limits (
    key        TEXT PRIMARY KEY,
    window_no  BIGINT NOT NULL,
    count      INTEGER NOT NULL,
    expires_at DATETIME NOT NULL
);
CREATE INDEX rate_limits_expires_idx ON rate_limits (expires_at);

-- Server-side staff sessions (see models/session.go).
CREATE TABLE staff_sessions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash   TEXT NOT NULL UNIQUE,
    staff_id     BIGINT NOT NULL REFERENCES staff (id),
    created_at   DATETIME NOT NULL,
    last_seen_at DATETIME NOT NULL,
    expires_at   DATETIME NOT NULL,
    ip           TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT '',
    ended_at     DATETIME
);
CREATE INDEX staff_sessions_staff_idx ON staff_sessions (staff_id) WHERE ended_at IS NULL;

-- One appeal per denied request (a withdrawn appeal may be filed again).
CREATE UNIQUE INDEX requests_one_appeal_idx ON requests (appeal_of_id)
    WHERE appeal_of_id IS NOT NULL AND status <> 'withdrawn';

-- /healthz writes here to notice a database that answers but cannot write.
CREATE TABLE health_checks (
    id INTEGER PRIMARY KEY,
    at DATETIME NOT NULL
);

-- +goose Down
DROP TABLE health_checks;
DROP INDEX requests_one_appeal_idx;
DROP TABLE staff_sessions;
DROP TABLE rate_limits;
