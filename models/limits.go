package models

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// Limits counts attempts in the database, so that every instance on one
// database shares them and no check-then-write race lets extra attempts
// through: one upsert both counts the attempt and returns the count.
// Keys are HMACs: the table holds no address, e-mail or reference.
type Limits struct{ c *Core }

// NewLimits returns the shared rate limits.
func NewLimits(c *Core) *Limits { return &Limits{c: c} }

// Limit is how many attempts a window allows.
type Limit struct {
	Name   string // what is limited, e.g. "login-ip"
	Max    int
	Window time.Duration
}

// Allow counts one attempt against l for subject and reports whether it is
// within the limit, and if not, when the window ends.
func (lm *Limits) Allow(ctx context.Context, l Limit, subject string) (bool, time.Time, error) {
	ok, until, err := lm.c.allow(lm.c.read(ctx), l, subject)
	lm.c.wrote(err)
	return ok, until, err
}

// allow counts an attempt on db (a transaction, when the attempt must only
// count if the rest of the change commits).
func (c *Core) allow(db *gorm.DB, l Limit, subject string) (bool, time.Time, error) {
	now := now() // wall clock: limits protect the running system, whatever the domain's clock
	w := l.Window.Microseconds()
	window := now.UnixMicro() / w
	ends := time.UnixMicro((window + 1) * w).UTC()
	var count int
	err := db.Raw(`INSERT INTO rate_limits (key, window_no, count, expires_at) VALUES (?, ?, 1, ?)
		ON CONFLICT (key) DO UPDATE SET
			count = CASE WHEN rate_limits.window_no = excluded.window_no THEN rate_limits.count + 1 ELSE 1 END,
			window_no = excluded.window_no, expires_at = excluded.expires_at
		RETURNING count`, c.hash("limit", l.Name+"\x00"+subject), window, ends).Scan(&count).Error
	if err != nil {
		return false, ends, err
	}
	limit := l.Max
	if c.LimitScale > 0 {
		limit = max(1, int(float64(l.Max)*c.LimitScale))
	}
	return count <= limit, ends, nil
}
