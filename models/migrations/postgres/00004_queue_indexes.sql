-- +goose Up
-- Every view of the staff queue reads one index in its own order and stops
-- after a page: a filter is an equality on the index's leading columns, and
-- the sort column and id follow (models/queue.go). Open requests, the
-- default view, have partial indexes of their own, which stay small however
-- many requests were ever closed; queries spell the status list out
-- literally (openStatusSQL) so that both planners can prove it.
--
-- view (kind = ?)                 sort by due_at               sort by received_at
-- open                            requests_open_due_idx        requests_open_received_idx
-- open, right                     requests_open_right_due_idx  requests_open_right_received_idx
-- one status (also the counts)    requests_urgent_idx          requests_status_received_idx
-- one status, right               requests_right_idx           requests_right_status_received_idx
-- all                             requests_due_idx             requests_received_idx
-- all, right                      requests_right_due_idx       requests_right_received_idx
--
-- (requests_urgent_idx, requests_right_idx and requests_received_idx come
-- from 00001.) A reference search reads submissions by reference, then
-- requests_submission_idx. The tab counts count each open status from
-- requests_open_status_idx (SQLite, which cannot tell that status = 'x'
-- implies the IN list, reads requests_urgent_idx instead) and cap each
-- closed status in its range of requests_urgent_idx.
CREATE INDEX requests_open_due_idx ON requests (kind, due_at, id)
    WHERE status IN ('awaiting_verification', 'verified', 'in_progress');
CREATE INDEX requests_open_received_idx ON requests (kind, received_at, id)
    WHERE status IN ('awaiting_verification', 'verified', 'in_progress');
CREATE INDEX requests_open_right_due_idx ON requests (kind, right_code, due_at, id)
    WHERE status IN ('awaiting_verification', 'verified', 'in_progress');
CREATE INDEX requests_open_right_received_idx ON requests (kind, right_code, received_at, id)
    WHERE status IN ('awaiting_verification', 'verified', 'in_progress');
CREATE INDEX requests_open_status_idx ON requests (kind, status)
    WHERE status IN ('awaiting_verification', 'verified', 'in_progress');
CREATE INDEX requests_status_received_idx ON requests (kind, status, received_at, id);
CREATE INDEX requests_right_status_received_idx ON requests (kind, right_code, status, received_at, id);
CREATE INDEX requests_due_idx ON requests (kind, due_at, id);
CREATE INDEX requests_right_due_idx ON requests (kind, right_code, due_at, id);
CREATE INDEX requests_right_received_idx ON requests (kind, right_code, received_at, id);

-- +goose Down
DROP INDEX requests_right_received_idx;
DROP INDEX requests_right_due_idx;
DROP INDEX requests_due_idx;
DROP INDEX requests_right_status_received_idx;
DROP INDEX requests_status_received_idx;
DROP INDEX requests_open_status_idx;
DROP INDEX requests_open_right_received_idx;
DROP INDEX requests_open_right_due_idx;
DROP INDEX requests_open_received_idx;
DROP INDEX requests_open_due_idx;
