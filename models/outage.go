package models

import (
	"log/slog"
)

// An outage of the database is logged once when it starts and once when
// it ends, however many requests and background jobs fail in between: the
// web layer, the mail worker and the scheduled jobs all report to the one
// Core.
//
// It starts with the first error that Unavailable classifies as the
// database being down. It ends when a write commits: a read proves less,
// since a full or read-only disk still answers reads while every write
// fails, and a page that needs no database proves nothing at all.

// ReportOutage records err and reports whether it means the database is
// unavailable; the first such error of an outage is logged (at ERROR), the
// rest are not. Callers that report true need not log err themselves.
func (c *Core) ReportOutage(err error) bool {
	if !Unavailable(err) {
		return false
	}
	if c.down.CompareAndSwap(false, true) {
		c.logger().Error("database unavailable: answering 503 until it recovers", "err", err)
	}
	return true
}

// Down reports whether the database is in an outage, as far as the
// application has seen.
func (c *Core) Down() bool { return c.down.Load() }

// wrote records the outcome of a write: a commit ends an outage, an error
// that means the database is down starts one (other errors say nothing
// about the database).
func (c *Core) wrote(err error) {
	if err != nil {
		c.ReportOutage(err)
		return
	}
	if c.down.Load() && c.down.CompareAndSwap(true, false) {
		c.logger().Info("database available again")
	}
}

func (c *Core) logger() *slog.Logger {
	if c.Log != nil {
		return c.Log
	}
	return slog.Default()
}
