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
	return a.windowAt(sub, r, a.c.Now())
}

// windowAt is Window for an appeal that arrived at at.
func (a *Appeals) windowAt(sub *Submission, r *Request, at time.Time) (time.Time, bool) {
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
	return until, at.Before(until)
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
	return a.open(ctx, sub, requestID, reason, a.c.Now(), "", a.c.TrackURL(token), actor)
}

// Enter records an appeal staff received by post for the denied request
// requestID, with the person's reason: received is the day it arrived
// (its first moment in the organization's time zone; zero: now), from the
// day of the denial to today, and counts for the appeal window and the
// appeal's own clock. Its form's fields are appeal_reason and
// appeal_received. The same guarded creation as Appeal: one appeal per
// request.
func (a *Appeals) Enter(ctx context.Context, requestID int64, reason string, received time.Time, actor Actor) error {
	reason, err := requiredText("appeal_reason", reason)
	if err != nil {
		return err
	}
	now := a.c.Now()
	switch {
	case received.IsZero():
		received = now
	case received.After(now):
		return invalid("appeal_received", "error.received.future")
	}
	var r Request
	if err := a.c.read(ctx).Where("id = ?", requestID).Take(&r).Error; errors.Is(err, gorm.ErrRecordNotFound) {
		return ErrNotFound
	} else if err != nil {
		return err
	}
	var sub Submission
	if err := a.c.read(ctx).Where("id = ?", r.SubmissionID).Take(&sub).Error; err != nil {
		return err
	}
	denied := r.Status == StatusDenied && r.ClosedAt != nil
	if denied && !received.AddDate(0, 0, 1).After(*r.ClosedAt) {
		return invalid("appeal_received", "error.appeal.before_denial")
	}
	if denied && received.Before(*r.ClosedAt) { // the day of the denial
		received = *r.ClosedAt
	}
	return a.open(ctx, &sub, requestID, reason, received, "mail", a.c.trackURLOf(&sub), actor)
}

// open creates the appeal of request requestID of sub, received at
// received by channel ("" for the tracking page). The original request is
// locked while the appeal is created, and a partial unique index refuses a
// second appeal however the posts interleave.
func (a *Appeals) open(ctx context.Context, sub *Submission, requestID int64, reason string, received time.Time, channel, trackURL string, actor Actor) error {
	c := a.c
	err := c.write(ctx, func(tx *tx) error {
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
		if _, ok := a.windowAt(&view, orig, received); !ok {
			if len(others) > 0 {
				return ErrAppealExists
			}
			return ErrInvalidState
		}
		appeal, err := c.newRequest(sub, rules.Right(orig.Right), KindAppeal, orig, received)
		if err != nil {
			return err
		}
		if err := tx.Create(appeal).Error; err != nil {
			return err
		}
		if err := tx.event(appeal.ID, EventReceived, actor, "", appeal.Status, channel, false); err != nil {
			return err
		}
		if err := tx.event(appeal.ID, EventAppealReason, actor, "", "", reason, false); err != nil {
			return err
		}
		if err := tx.event(orig.ID, EventAppealed, actor, "", "", "", false); err != nil {
			return err
		}
		// Nothing goes where the person has no e-mail (tx.enqueue).
		if err := tx.enqueue(sub.Email, MailStatusChanged, sub.Lang, MailData{Name: sub.Name, Reference: sub.Reference, TrackURL: trackURL,
			Right: orig.Right, Status: "appeal_received", DueAt: &appeal.DueAt, Jurisdiction: orig.Jurisdiction}); err != nil {
			return err
		}
		return tx.audit(actor, "request.appeal", "request", appeal.ID, channel)
	})
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return ErrAppealExists
	}
	return err
}
