-- +goose Up
-- Every view of the staff queue reads one index in its own order and stops
-- after a page: a filter is an equality on the index's leading columns, and
-- the sort column and id follow (models/queue.go). Open requests, the
-- default view, have partial indexes of their own, which stay small however
-- many requests were ever closed; queries spell the status list out
-- literally (openStatusSQL) so that both planners can prove it.
--
-- view (kind = ...)         sort by due_at               sort by received_at
-- open                      requests_open_due_idx        requests_open_received_idx
-- open, right               requests_open_right_due_idx  requests_open_right_received_idx
-- one status                requests_urgent_idx          requests_status_received_idx
-- one status, right         requests_right_idx           requests_right_status_received_idx
-- all                       requests_due_idx             requests_received_idx
-- all, right                requests_right_due_idx       requests_right_received_idx
--
-- The "open" and "all" indexes also carry "id > 0", always true, which only
-- the open and "all" views state: a view of one status cannot read them.
-- Otherwise a planner may read the newest rows of "all" and keep the
-- completed ones, or the most urgent open rows and keep the unverified
-- ones, taking each status to be spread evenly; it is not (the newest
-- requests are open; the most urgent are being worked on), and such a
-- scan reads thousands of rows for a page at a million requests.
--
-- requests_urgent_idx and requests_right_idx come from 00001;
-- requests_received_idx from 00001 is remade with the marker. A reference
-- search reads submissions by reference, then requests_submission_idx.
-- The tab counts count each open status from requests_open_status_idx
-- (SQLite, which cannot tell that status = 'x' implies the IN list, from
-- a full index on (kind, status, ...)) and each closed status, capped,
-- from its range of requests_urgent_idx.
CREATE INDEX requests_open_due_idx ON requests (kind, due_at, id)
    WHERE status IN ('awaiting_verification', 'verified', 'in_progress', 'awaiting_information') AND id > 0;
CREATE INDEX requests_open_received_idx ON requests (kind, received_at, id)
    WHERE status IN ('awaiting_verification', 'verified', 'in_progress', 'awaiting_information') AND id > 0;
CREATE INDEX requests_open_right_due_idx ON requests (kind, right_code, due_at, id)
    WHERE status IN ('awaiting_verification', 'verified', 'in_progress', 'awaiting_information') AND id > 0;
CREATE INDEX requests_open_right_received_idx ON requests (kind, right_code, received_at, id)
    WHERE status IN ('awaiting_verification', 'verified', 'in_progress', 'awaiting_information') AND id > 0;
CREATE INDEX requests_open_status_idx ON requests (kind, status)
    WHERE status IN ('awaiting_verification', 'verified', 'in_progress', 'awaiting_information') AND id > 0;
CREATE INDEX requests_status_received_idx ON requests (kind, status, received_at, id);
CREATE INDEX requests_right_status_received_idx ON requests (kind, right_code, status, received_at, id);
CREATE INDEX requests_due_idx ON requests (kind, due_at, id) WHERE id > 0;
DROP INDEX requests_received_idx;
CREATE INDEX requests_received_idx ON requests (kind, received_at, id) WHERE id > 0;
CREATE INDEX requests_right_due_idx ON requests (kind, right_code, due_at, id) WHERE id > 0;
CREATE INDEX requests_right_received_idx ON requests (kind, right_code, received_at, id) WHERE id > 0;

-- +goose Down
DROP INDEX requests_right_received_idx;
DROP INDEX requests_right_due_idx;
DROP INDEX requests_received_idx;
CREATE INDEX requests_received_idx ON requests (kind, received_at, id);
DROP INDEX requests_due_idx;
DROP INDEX requests_right_status_received_idx;
DROP INDEX requests_status_received_idx;
DROP INDEX requests_open_status_idx;
DROP INDEX requests_open_right_received_idx;
DROP INDEX requests_open_right_due_idx;
DROP INDEX requests_open_received_idx;
DROP INDEX requests_open_due_idx;
