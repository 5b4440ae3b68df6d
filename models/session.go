package models

import (
	"context"
	"errors"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Sessions run on the wall clock, like the outbox and the limits: they
// protect the running system, whatever time the domain is told it is.

// Staff sessions are server-side records: the cookie carries a random
// token whose hash names a row here, checked on every staff request, so
// that signing out, "sign out everywhere", deactivation and a password
// change end a session at once, on every instance.
type StaffSession struct {
	ID         int64
	TokenHash  string
	StaffID    int64
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	IP         string
	UserAgent  string
	EndedAt    *time.Time
}

// Session lifetimes.
const (
	SessionTTL  = 12 * time.Hour   // a working day at most
	SessionIdle = 30 * time.Minute // signed out after this long without a request
	// sessionTouch: last_seen_at is written at most this often, not on
	// every request.
	sessionTouch = time.Minute
)

// Client is who is on the other end of a request.
type Client struct {
	IP        string
	UserAgent string
}

func (cl Client) actor(staffID int64) Actor { return StaffActor(staffID, cl.IP) }

func openSession(tx *tx, staffID int64, client Client) (string, error) {
	token, now := newToken(), now()
	err := tx.Create(&StaffSession{TokenHash: tx.c.hash("session", token), StaffID: staffID, CreatedAt: now,
		LastSeenAt: now, ExpiresAt: now.Add(SessionTTL), IP: client.IP, UserAgent: client.userAgent()}).Error
	return token, err
}

// Staff and agent sessions work alike, each in its own table under its
// own hash purpose ("session", "agent-session"); the helpers below run
// the shared part on a *StaffSession or an *AgentSession.

// userAgent is the browser's name as kept with a session: one clean line,
// or nothing when it is too long or not text.
func (cl Client) userAgent() string {
	if len(cl.UserAgent) > 300 || !utf8.ValidString(cl.UserAgent) {
		return ""
	}
	ua, _ := CleanText(cl.UserAgent, OneLine)
	return ua
}

// liveSession loads into dst the session token names while it is live:
// not ended, not expired, used within SessionIdle. It records the use at
// most every sessionTouch. ErrNotFound when there is none.
func (c *Core) liveSession(db *gorm.DB, dst any, purpose, token string) error {
	if !validToken(token) {
		return ErrNotFound
	}
	now := now()
	err := db.Where("token_hash = ? AND ended_at IS NULL AND expires_at > ? AND last_seen_at > ?",
		c.hash(purpose, token), now, now.Add(-SessionIdle)).Take(dst).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	var seen time.Time
	switch s := dst.(type) {
	case *StaffSession:
		seen = s.LastSeenAt
	case *AgentSession:
		seen = s.LastSeenAt
	}
	if now.Sub(seen) > sessionTouch {
		return db.Model(dst).Where("ended_at IS NULL").Update("last_seen_at", now).Error
	}
	return nil
}

// endSession ends the session token names, loaded into dst; false when
// none was open.
func (t *tx) endSession(dst any, purpose, token string) (bool, error) {
	if !validToken(token) {
		return false, nil
	}
	err := t.Where("token_hash = ? AND ended_at IS NULL", t.c.hash(purpose, token)).Take(dst).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, t.Model(dst).Update("ended_at", now()).Error
}

// BySession returns the staff member a session token belongs to, while
// the session is live and the account enabled; ErrNotFound otherwise.
func (sa *StaffAccounts) BySession(ctx context.Context, token string) (*Staff, *StaffSession, error) {
	db := sa.c.read(ctx)
	var ss StaffSession
	if err := sa.c.liveSession(db, &ss, "session", token); err != nil {
		return nil, nil, err
	}
	var st Staff
	err := db.Where("id = ? AND disabled_at IS NULL", ss.StaffID).Take(&st).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, err
	}
	return &st, &ss, nil
}

// EndSession ends one session (signing out).
func (sa *StaffAccounts) EndSession(ctx context.Context, token string, client Client) error {
	return sa.c.write(ctx, func(tx *tx) error {
		var ss StaffSession
		if ended, err := tx.endSession(&ss, "session", token); !ended || err != nil {
			return err
		}
		return tx.audit(client.actor(ss.StaffID), "staff.logout", "staff", ss.StaffID, "")
	})
}

// EndAllSessions signs a staff member out everywhere.
func (sa *StaffAccounts) EndAllSessions(ctx context.Context, staffID int64, actor Actor) error {
	return sa.c.write(ctx, func(tx *tx) error {
		if err := endSessions(tx, staffID); err != nil {
			return err
		}
		return tx.audit(actor, "staff.sessions_ended", "staff", staffID, "")
	})
}

func endSessions(tx *tx, staffID int64) error {
	return tx.Model(&StaffSession{}).Where("staff_id = ? AND ended_at IS NULL", staffID).Update("ended_at", now()).Error
}

// Sessions lists a staff member's live sessions, newest first.
func (sa *StaffAccounts) Sessions(ctx context.Context, staffID int64) ([]StaffSession, error) {
	now := now()
	var out []StaffSession
	err := sa.c.read(ctx).Where("staff_id = ? AND ended_at IS NULL AND expires_at > ? AND last_seen_at > ?",
		staffID, now, now.Add(-SessionIdle)).Order("id DESC").Find(&out).Error
	return out, err
}

// Deactivate disables an account and ends its sessions; the last
// administrator stays.
func (sa *StaffAccounts) Deactivate(ctx context.Context, staffID int64, actor Actor) error {
	return sa.c.write(ctx, func(tx *tx) error {
		others, err := lockAdmins(tx, staffID)
		if err != nil {
			return err
		}
		var role string
		if err := tx.Model(&Staff{}).Where("id = ?", staffID).Pluck("role", &role).Error; err != nil {
			return err
		}
		if role == RoleAdmin && others == 0 {
			return ErrLastAdmin
		}
		res := tx.Model(&Staff{}).Where("id = ? AND disabled_at IS NULL", staffID).
			Updates(map[string]any{"disabled_at": now(), "updated_at": now()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrNotFound
		}
		if err := endSessions(tx, staffID); err != nil {
			return err
		}
		return tx.audit(actor, "staff.deactivate", "staff", staffID, "")
	})
}

// SetPassword changes a password and ends every session of the account
// but keep (the session token of the person changing it, "" for none).
func (sa *StaffAccounts) SetPassword(ctx context.Context, staffID int64, password, keep string, actor Actor) error {
	v := &ValidationError{}
	validPassword(v, password)
	if err := v.Err(); err != nil {
		return err
	}
	hash, err := sa.hashPassword(ctx, password)
	if err != nil {
		return err
	}
	return sa.c.write(ctx, func(tx *tx) error {
		now := now()
		res := tx.Model(&Staff{}).Where("id = ? AND disabled_at IS NULL", staffID).
			Updates(map[string]any{"password_hash": hash, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrNotFound
		}
		if err := tx.Model(&StaffSession{}).Where("staff_id = ? AND ended_at IS NULL AND token_hash <> ?", staffID, tx.c.hash("session", keep)).
			Update("ended_at", now).Error; err != nil {
			return err
		}
		return tx.audit(actor, "staff.password_changed", "staff", staffID, "")
	})
}

// ErrWrongPassword: the current password given to change it is wrong.
var ErrWrongPassword = &Error{Kind: KindInvalid, Key: "error.password.current_wrong", Field: "current"}

// ChangePassword checks the current password, sets the new one and ends
// every other session of the account (keep is the caller's own session).
func (sa *StaffAccounts) ChangePassword(ctx context.Context, staffID int64, current, password, keep string, actor Actor) error {
	var st Staff
	if err := sa.c.read(ctx).Where("id = ? AND disabled_at IS NULL", staffID).Take(&st).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrNotFound
		}
		return err
	}
	if ok, _, err := sa.c.allow(sa.c.read(ctx), loginsPerAccount, st.Email); err != nil {
		return err
	} else if !ok {
		return ErrLoginRate
	}
	ok, err := sa.checkPassword(ctx, st.PasswordHash, current)
	if err != nil {
		return err
	}
	if !ok {
		return ErrWrongPassword
	}
	return sa.SetPassword(ctx, staffID, password, keep, actor)
}

// List returns every staff account, enabled first, by name.
func (sa *StaffAccounts) List(ctx context.Context) ([]Staff, error) {
	var out []Staff
	err := sa.c.read(ctx).Order("disabled_at IS NOT NULL, name, id").Find(&out).Error
	return out, err
}
