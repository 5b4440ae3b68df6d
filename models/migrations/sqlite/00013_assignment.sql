-- +goose Up
-- Assignment, search and the queue's new filters (issue 11; models/assign.go,
-- models/search.go, models/queue.go).

-- Each request is held by at most one member who works requests. The rule
-- is kept in the database: Requests.Assign sets it by an UPDATE whose WHERE
-- re-checks the member, and the trigger below unassigns a member's open
-- requests in the very statement that deactivates them or takes away their
-- working role (the roles of models.CanWork: admin, officer, reviewer).
ALTER TABLE requests ADD COLUMN assignee_id BIGINT REFERENCES staff (id);

-- The trigger records each unassignment on the request's timeline, as the
-- system, in the staff row's own time of change.
-- +goose StatementBegin
CREATE TRIGGER staff_unassign AFTER UPDATE OF disabled_at, role ON staff
WHEN NEW.disabled_at IS NOT NULL OR NEW.role NOT IN ('admin', 'officer', 'reviewer')
BEGIN
    INSERT INTO events (request_id, kind, actor_kind, body, internal, created_at)
        SELECT id, 'unassigned', 'system', NEW.name, 1, NEW.updated_at FROM requests
        WHERE COALESCE(assignee_id, 0) = NEW.id AND status IN ('awaiting_verification', 'verified', 'in_progress', 'awaiting_information');
    UPDATE requests SET assignee_id = NULL, updated_at = NEW.updated_at
        WHERE COALESCE(assignee_id, 0) = NEW.id AND status IN ('awaiting_verification', 'verified', 'in_progress', 'awaiting_information');
END;
-- +goose StatementEnd

-- Search by name: each word of a person's name, in lower case, with the
-- submission it names (a hyphen separates words too). A search term is a
-- prefix of a word: the search reads the range of its rarest term in the
-- primary key, then checks each person found for the other terms in the
-- index by submission (models/search.go).
CREATE TABLE submission_names (
    token         TEXT NOT NULL,
    submission_id BIGINT NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    PRIMARY KEY (token, submission_id)
) WITHOUT ROWID;
CREATE INDEX submission_names_submission_idx ON submission_names (submission_id, token);

-- Search by phone: the last seven digits of the number (the whole number
-- when shorter). A number is found by them, typed with or without its
-- country code or its trunk prefix (+44 20 7946 0018 is 020 7946 0018);
-- two numbers that end alike are both found, and staff tell them apart.
ALTER TABLE submissions ADD COLUMN phone_tail TEXT NOT NULL DEFAULT '';
CREATE INDEX submissions_phone_tail_idx ON submissions (phone_tail) WHERE phone_tail <> '';

-- Existing rows, as models.nameTokens and models.phoneTail make them for
-- new ones. SQLite's lower() folds ASCII letters only: a name written
-- before this migration with capitals outside ASCII is found by its
-- other words, or typed as written (new rows are folded fully).
UPDATE submissions SET phone_tail = substr(replace(replace(replace(replace(replace(replace(replace(phone,
    '+', ''), '-', ''), '(', ''), ')', ''), '.', ''), ' ', ''), '/', ''), -7) WHERE phone <> '';
INSERT OR IGNORE INTO submission_names (token, submission_id)
    WITH RECURSIVE words (submission_id, word, rest) AS (
        SELECT id, '', lower(replace(name, '-', ' ')) || ' ' FROM submissions WHERE name <> ''
        UNION ALL
        SELECT submission_id, substr(rest, 1, instr(rest, ' ') - 1), substr(rest, instr(rest, ' ') + 1)
        FROM words WHERE rest <> ''
    )
    SELECT word, submission_id FROM words WHERE word <> '';

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
DROP TRIGGER staff_unassign;
ALTER TABLE requests DROP COLUMN assignee_id;
