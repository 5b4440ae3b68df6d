package models

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Housekeeping deletes what has served its purpose: attempt counters
// whose window ended, sessions ended or expired a month ago, invitations
// and password-reset links past their expiry. Every instance may run it;
// each step is an idempotent DELETE.
type Housekeeping struct{ c *Core }

// NewHousekeeping returns the housekeeping job.
func NewHousekeeping(c *Core) *Housekeeping { return &Housekeeping{c: c} }

// Once runs every step now.
func (hk *Housekeeping) Once(ctx context.Context) error {
	db := hk.c.read(ctx)
	now := now()
	month := now.Add(-30 * 24 * time.Hour)
	return errors.Join(
		db.Exec("DELETE FROM rate_limits WHERE expires_at < ?", now).Error,
		db.Exec("DELETE FROM staff_sessions WHERE (ended_at IS NOT NULL AND ended_at < ?) OR expires_at < ?", month, month).Error,
		db.Exec("DELETE FROM staff_invites WHERE accepted_at IS NULL AND expires_at < ?", month).Error,
		db.Exec("DELETE FROM password_resets WHERE expires_at < ?", month).Error,
	)
}

// Run runs Once every interval until ctx ends.
func (hk *Housekeeping) Run(ctx context.Context, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := hk.Once(ctx); err != nil && ctx.Err() == nil && !Unavailable(err) {
			log.Error("housekeeping", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
