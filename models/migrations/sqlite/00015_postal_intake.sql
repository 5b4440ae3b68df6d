-- +goose Up
-- Staff intake without an e-mail address (issue 11; models/submission.go):
-- a letter gives a postal address, a call a phone number. The address is
-- the person's, kept like their name and phone, and erased with them.
ALTER TABLE submissions ADD COLUMN address TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE submissions DROP COLUMN address;
