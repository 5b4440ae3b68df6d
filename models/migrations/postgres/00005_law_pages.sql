-- +goose Up
-- The UK stop-the-clock: each pause with its reason, both dates and the
-- deadline before and after; one open pause per request.
CREATE TABLE request_pauses (
    id            BIGSERIAL PRIMARY KEY,
    request_id    BIGINT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    reason        TEXT NOT NULL,
    status_before TEXT NOT NULL,
    started_at    TIMESTAMPTZ NOT NULL,
    ended_at      TIMESTAMPTZ,
    due_before    TIMESTAMPTZ NOT NULL,
    due_after     TIMESTAMPTZ,
    days          INTEGER NOT NULL DEFAULT 0,
    ended_by      TEXT NOT NULL DEFAULT '',
    staff_id      BIGINT REFERENCES staff (id)
);
CREATE INDEX request_pauses_request_idx ON request_pauses (request_id, id);
CREATE UNIQUE INDEX request_pauses_one_open_idx ON request_pauses (request_id) WHERE ended_at IS NULL;

-- Days a request's clock stood still, already added to due_at.
ALTER TABLE requests ADD COLUMN paused_days INTEGER NOT NULL DEFAULT 0;

-- One open complaint per submission (UK, DPA 2018 s.164A).
CREATE UNIQUE INDEX requests_one_open_complaint_idx ON requests (submission_id)
    WHERE kind = 'complaint' AND status IN ('awaiting_verification', 'verified', 'in_progress', 'awaiting_information');

-- +goose Down
DROP INDEX requests_one_open_complaint_idx;
ALTER TABLE requests DROP COLUMN paused_days;
DROP TABLE request_pauses;
