-- +goose Up
-- Assignment, search and the queue's new filters (issue 11; models/assign.go,
-- models/search.go, models/queue.go).

-- Each request is held by at most one member who works requests. The rule
-- is kept in the database: Requests.Assign sets it by an UPDATE whose WHERE
-- re-checks the member (and share-locks their row, so that a deactivation
-- waits for the assignment or the assignment sees the deactivation), and
-- the trigger below unassigns a member's open requests in the statement
-- that deactivates them or takes away their working role (the roles of
-- models.CanWork: admin, officer, reviewer).
ALTER TABLE requests ADD COLUMN assignee_id BIGINT REFERENCES staff (id);

-- The trigger records each unassignment on the request's timeline, as the
-- system, in the staff row's own time of change.
-- +goose StatementBegin
CREATE FUNCTION staff_unassign() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.disabled_at IS NOT NULL OR NEW.role NOT IN ('admin', 'officer', 'reviewer') THEN
        WITH freed AS (
            UPDATE requests SET assignee_id = NULL, updated_at = NEW.updated_at
            WHERE COALESCE(assignee_id, 0) = NEW.id AND status IN ('awaiting_verification', 'verified', 'in_progress', 'awaiting_information')
            RETURNING id
        )
        INSERT INTO events (request_id, kind, actor_kind, body, internal, created_at)
            SELECT id, 'unassigned', 'system', NEW.name, true, NEW.updated_at FROM freed;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER staff_unassign AFTER UPDATE OF disabled_at, role ON staff
    FOR EACH ROW EXECUTE FUNCTION staff_unassign();

-- Search by name: each word of a person's name, in lower case, with the
-- submission it names (a hyphen separates words too). A search term is a
-- prefix of a word: the search reads the range of its rarest term in the
-- primary key, then checks each person found for the other terms in the
-- index by submission (models/search.go).
-- The C collation orders the words byte by byte, as the ranges expect.
CREATE TABLE submission_names (
    token         TEXT COLLATE "C" NOT NULL,
    submission_id BIGINT NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    PRIMARY KEY (token, submission_id)
);
CREATE INDEX submission_names_submission_idx ON submission_names (submission_id, token);

-- Search by phone: the last seven digits of the number (the whole number
-- when shorter). A number is found by them, typed with or without its
-- country code or its trunk prefix (+44 20 7946 0018 is 020 7946 0018);
-- two numbers that end alike are both found, and staff tell them apart.
ALTER TABLE submissions ADD COLUMN phone_tail TEXT NOT NULL DEFAULT '';
CREATE INDEX submissions_phone_tail_idx ON submissions (phone_tail) WHERE phone_tail <> '';

-- Existing rows, as models.nameTokens and models.phoneTail make them for
-- new ones (lower() folds as the database's own locale does).
UPDATE submissions SET phone_tail = right(regexp_replace(phone, '[^0-9]', '', 'g'), 7) WHERE phone <> '';
INSERT INTO submission_names (token, submission_id)
    SELECT DISTINCT word, id FROM submissions, unnest(string_to_array(lower(replace(name, '-', ' ')), ' ')) AS word
    WHERE word <> ''
    ON CONFLICT DO NOTHING;

-- The queue's new filters, each an equality on an index's leading columns
-- with the deadline after it (see the table in 00004_queue_indexes.sql):
--
-- view (kind = ...)          open                           one status                  all
-- assignee (me, a member,    requests_open_assignee_idx     requests_assignee_idx       requests_assignee_due_idx
--   nobody)
-- jurisdiction               requests_open_jurisdiction_idx requests_jurisdiction_idx   requests_jurisdiction_due_idx
--
-- The assignee is indexed as COALESCE(assignee_id, 0), nobody being 0, and
-- queries say so: "nobody" is then an equality like "me", which both
-- planners read in the order of the columns after it (IS NULL is not one
-- on PostgreSQL: it sorted). A due window (overdue, due within 7 or 30
-- days) is a range of due_at in the view's own index. Sorted by date
-- received, or with a second filter, a view reads one of these and filters
-- or sorts the rest: the open requests are a few percent of all, and a
-- member's or a jurisdiction's share of them fewer.
CREATE INDEX requests_open_assignee_idx ON requests (kind, (COALESCE(assignee_id, 0)), due_at, id)
    WHERE status IN ('awaiting_verification', 'verified', 'in_progress', 'awaiting_information') AND id > 0;
CREATE INDEX requests_assignee_idx ON requests (kind, (COALESCE(assignee_id, 0)), status, due_at, id);
CREATE INDEX requests_assignee_due_idx ON requests (kind, (COALESCE(assignee_id, 0)), due_at, id) WHERE id > 0;
CREATE INDEX requests_open_jurisdiction_idx ON requests (kind, jurisdiction, due_at, id)
    WHERE status IN ('awaiting_verification', 'verified', 'in_progress', 'awaiting_information') AND id > 0;
CREATE INDEX requests_jurisdiction_idx ON requests (kind, jurisdiction, status, due_at, id);
CREATE INDEX requests_jurisdiction_due_idx ON requests (kind, jurisdiction, due_at, id) WHERE id > 0;

-- +goose Down
DROP INDEX requests_jurisdiction_due_idx;
DROP INDEX requests_jurisdiction_idx;
DROP INDEX requests_open_jurisdiction_idx;
DROP INDEX requests_assignee_due_idx;
DROP INDEX requests_assignee_idx;
DROP INDEX requests_open_assignee_idx;
DROP INDEX submissions_phone_tail_idx;
ALTER TABLE submissions DROP COLUMN phone_tail;
DROP TABLE submission_names;
DROP TRIGGER staff_unassign ON staff;
DROP FUNCTION staff_unassign();
ALTER TABLE requests DROP COLUMN assignee_id;
