-- +goose Up
-- A data system's page lists its latest webhook calls, tasks and changes
-- of privacy choices alike (models/system.go, Systems.Deliveries): every
-- call to a system is signed by it, so its signer finds them.
CREATE INDEX http_jobs_signer_idx ON http_jobs (signer, id) WHERE signer <> '';

-- +goose Down
DROP INDEX http_jobs_signer_idx;
