package models

import (
	"context"
	"errors"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/rules"
	"gorm.io/gorm"
)

// Appeals is the aggregate of appeals: in the states with an appeal right,
// a person may appeal a denial once, and the appeal has its own clock and
// queue.
type Appeals struct{ c *Core }

// NewAppeals returns the appeals aggregate.
func NewAppeals(c *Core) *Appeals { return &Appeals{c: c} }

// ErrAppealExists: the request was appealed already (a partial unique
// index on requests.appeal_of_id enforces it).
var ErrAppealExists = &Error{Kind: KindConflict, Key: "error.appeal.exists"}

// Window reports whether the person may still appeal the denial of r, and
// until when. Only states with an appeal right allow it, once.
func (a *Appeals) Window(sub *Submission, r *Request) (time.Time, bool) {
	j := rules.Jurisdiction(r.Jurisdiction)
	if r.Kind != KindRequest || r.Status != StatusDenied || r.ClosedAt == nil {
		return time.Time{}, false
	}
	if _, ok := a.c.Rules.Appeal(j); !ok {
		return time.Time{}, false
	}
	for _, other := range sub.Requests {
		if other.AppealOfID != nil && *other.AppealOfID == r.ID && other.Status != StatusWithdrawn {
			return time.Time{}, false
		}
	}
	until := a.c.Rules.AppealWindowEnds(j, *r.ClosedAt)
	return until, a.c.Now().Before(until)
}

// Appeal opens an appeal of a denied request, with its own clock, in the
// appeals queue. The original request is locked while the appeal is
// created, and a partial unique index refuses a second appeal however the
// posts interleave.
func (a *Appeals) Appeal(ctx context.Context, token string, requestID int64, reason string, actor Actor) error {
	reason, err := requiredText("reason", reason)
	if err != nil {
		return err
	}
	sub, err := a.c.byTrackingToken(ctx, token)
	if err != nil {
		return err
	}
	if sub.request(requestID) == nil {
		return ErrNotFound
	}
	c := a.c
	err = c.write(ctx, func(tx *tx) error {
		orig, err := tx.lockRequest(requestID)
		if err != nil {
			return err
		}
		var others []Request
		if err := tx.Where("appeal_of_id = ?", orig.ID).Find(&others).Error; err != nil {
			return err
		}
		view := *sub
		view.Requests = others
		if _, ok := a.Window(&view, orig); !ok {
			if len(others) > 0 {
				return ErrAppealExists
			}
			return ErrInvalidState
		}
		appeal, err := c.newRequest(sub, rules.Right(orig.Right), KindAppeal, orig, c.Now())
		if err != nil {
			return err
		}
		if err := tx.Create(appeal).Error; err != nil {
			return err
		}
		if err := tx.event(appeal.ID, EventReceived, actor, "", appeal.Status, "", false); err != nil {
			return err
		}
		if err := tx.event(appeal.ID, EventAppealReason, actor, "", "", reason, false); err != nil {
			return err
		}
		if err := tx.event(orig.ID, EventAppealed, actor, "", "", "", false); err != nil {
			return err
		}
		if err := tx.enqueue(sub.Email, MailStatusChanged, sub.Lang, MailData{Name: sub.Name, Reference: sub.Reference, TrackURL: c.TrackURL(token),
			Right: orig.Right, Status: "appeal_received", DueAt: &appeal.DueAt, Jurisdiction: orig.Jurisdiction}); err != nil {
			return err
		}
		return tx.audit(actor, "request.appeal", "request", appeal.ID, "")
	})
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return ErrAppealExists
	}
	return err
}
