-- +goose Up
-- Four roles instead of two: "staff" becomes "reviewer" (works requests).
UPDATE staff SET role = 'reviewer' WHERE role = 'staff';

-- Two-step sign-in (models/team.go).
ALTER TABLE staff ADD COLUMN totp_sealed TEXT NOT NULL DEFAULT '';
ALTER TABLE staff ADD COLUMN totp_enabled_at DATETIME;
ALTER TABLE staff ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;

CREATE TABLE recovery_codes (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    staff_id  BIGINT NOT NULL REFERENCES staff (id),
    code_hash TEXT NOT NULL,
    used_at   DATETIME
);
CREATE INDEX recovery_codes_staff_idx ON recovery_codes (staff_id, code_hash);

CREATE TABLE staff_invites (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash  TEXT NOT NULL UNIQUE,
    email       TEXT NOT NULL,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL,
    invited_by  BIGINT NOT NULL REFERENCES staff (id),
    created_at  DATETIME NOT NULL,
    expires_at  DATETIME NOT NULL,
    accepted_at DATETIME
);
CREATE INDEX staff_invites_email_idx ON staff_invites (email);

CREATE TABLE password_resets (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL UNIQUE,
    staff_id   BIGINT NOT NULL REFERENCES staff (id),
    created_at DATETIME NOT NULL,
    expires_at DATETIME NOT NULL,
    used_at    DATETIME
);
CREATE INDEX password_resets_staff_idx ON password_resets (staff_id);

-- +goose Down
DROP TABLE password_resets;
DROP TABLE staff_invites;
DROP TABLE recovery_codes;
ALTER TABLE staff DROP COLUMN totp_last_step;
ALTER TABLE staff DROP COLUMN totp_enabled_at;
ALTER TABLE staff DROP COLUMN totp_sealed;
UPDATE staff SET role = 'staff' WHERE role <> 'admin';
