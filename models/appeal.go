package models

import (
	"context"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/rules"
	"gorm.io/gorm"
)

// AppealOpen reports whether the person may still appeal the denial of r,
// and until when. Only states with an appeal right allow it, once.
func (s *Store) AppealOpen(sub *Submission, r *Request) (time.Time, bool) {
	j := rules.Jurisdiction(r.Jurisdiction)
	if r.Kind != KindRequest || r.Status != StatusDenied || r.ClosedAt == nil {
		return time.Time{}, false
	}
	if _, ok := s.Rules.Appeal(j); !ok {
		return time.Time{}, false
	}
	for _, other := range sub.Requests {
		if other.AppealOfID != nil && *other.AppealOfID == r.ID {
			return time.Time{}, false
		}
	}
	until := s.Rules.AppealWindowEnds(j, *r.ClosedAt)
	return until, s.now().Before(until)
}

// Appeal opens an appeal of a denied request, with its own clock, in the
// appeals queue.
func (s *Store) Appeal(ctx context.Context, token string, requestID int64, reason string, actor Actor) error {
	reason, err := checkText(reason, "reason")
	if err != nil {
		return err
	}
	sub, err := s.ByTrackingToken(ctx, token)
	if err != nil {
		return err
	}
	var orig *Request
	for i := range sub.Requests {
		if sub.Requests[i].ID == requestID {
			orig = &sub.Requests[i]
		}
	}
	if orig == nil {
		return ErrNotFound
	}
	if _, ok := s.AppealOpen(sub, orig); !ok {
		return ErrInvalidState
	}
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		appeal, err := s.newRequest(sub, rules.Right(orig.Right), KindAppeal, orig, s.now())
		if err != nil {
			return err
		}
		if err := tx.Create(appeal).Error; err != nil {
			return err
		}
		if err := s.addEvent(tx, appeal.ID, EventReceived, actor, "", appeal.Status, "web", false); err != nil {
			return err
		}
		if err := s.addEvent(tx, appeal.ID, EventMessage, actor, "", "", reason, false); err != nil {
			return err
		}
		if err := s.addEvent(tx, orig.ID, EventAppealed, actor, "", "", "", false); err != nil {
			return err
		}
		if err := s.enqueue(tx, sub.Email, MailStatusChanged, sub.Lang, MailData{Name: sub.Name, Reference: sub.Reference, TrackURL: s.TrackURL(token),
			Right: orig.Right, Status: "appeal_received", DueAt: &appeal.DueAt, Jurisdiction: orig.Jurisdiction}); err != nil {
			return err
		}
		return s.audit(tx, actor, "request.appeal", "request", appeal.ID, "")
	})
	if err == nil {
		s.notifyMail()
	}
	return err
}
