package models

import (
	"context"
	"errors"

	"github.com/rightsdesk/rightsdesk/internal/rules"
	"gorm.io/gorm"
)

// Complaints is the aggregate of complaints a person makes to the
// organization about how it handled their personal data, where the law
// gives one (the UK from 19 June 2026, DPA 2018 s.164A). A complaint is a
// request of its own kind, in its own queue, with its own clock: it is
// acknowledged at once (the law allows 30 days) and answered with its
// outcome.
type Complaints struct{ c *Core }

// NewComplaints returns the complaints aggregate.
func NewComplaints(c *Core) *Complaints { return &Complaints{c: c} }

// Complaint refusals.
var (
	// ErrComplaintOpen: one complaint at a time per submission (a partial
	// unique index enforces it).
	ErrComplaintOpen = &Error{Kind: KindConflict, Key: "error.complaint.open", Field: "complaint"}
	// ErrNoComplaints: the person's law gives no complaint, or not yet.
	ErrNoComplaints = &Error{Kind: KindConflict, Key: "error.complaint.unavailable", Field: "complaint"}
)

// CanComplain reports whether the person of sub (loaded with its
// requests) may complain now: their law gives a complaint, from its first
// day, and none of theirs is open.
func (cs *Complaints) CanComplain(sub *Submission) bool {
	if _, ok := cs.c.Rules.ComplaintsOpen(rules.Jurisdiction(sub.Jurisdiction), cs.c.Now()); !ok {
		return false
	}
	for _, r := range sub.Requests {
		if r.Kind == KindComplaint && !r.Closed() {
			return false
		}
	}
	return true
}

// Complain records a complaint from the person's tracking page, and
// acknowledges it at once, in one transaction. The submission row is
// locked while open complaints are counted, and a partial unique index
// refuses a second open one however the posts interleave.
func (cs *Complaints) Complain(ctx context.Context, token, body string, actor Actor) error {
	v := &ValidationError{}
	body = text(v, "complaint", body, MultiLine, true, MaxNote)
	if err := v.Err(); err != nil {
		return err
	}
	c := cs.c
	sub, err := c.byTrackingToken(ctx, token)
	if err != nil {
		return err
	}
	now := c.Now()
	if _, ok := c.Rules.ComplaintsOpen(rules.Jurisdiction(sub.Jurisdiction), now); !ok {
		return ErrNoComplaints
	}
	err = c.write(ctx, func(tx *tx) error {
		var locked Submission
		if err := tx.forUpdate().Select("id").Where("id = ?", sub.ID).Take(&locked).Error; err != nil {
			return err
		}
		var open int64
		if err := tx.Model(&Request{}).Where("submission_id = ? AND kind = ? AND status IN "+openStatusSQL, sub.ID, KindComplaint).
			Count(&open).Error; err != nil {
			return err
		}
		if open > 0 {
			return ErrComplaintOpen
		}
		req, err := c.newRequest(sub, rules.RightComplaint, KindComplaint, nil, now)
		if err != nil {
			return err
		}
		req.AcknowledgedAt = &now // acknowledged at once, automatically (RULES.md rule 4)
		if err := tx.Create(req).Error; err != nil {
			return err
		}
		if err := tx.event(req.ID, EventReceived, actor, "", req.Status, "web", false); err != nil {
			return err
		}
		if err := tx.event(req.ID, EventComplaint, actor, "", "", body, false); err != nil {
			return err
		}
		if err := tx.event(req.ID, EventAcknowledged, SystemActor, "", "", "", false); err != nil {
			return err
		}
		if err := tx.enqueue(sub.Email, MailComplaintReceived, sub.Lang, MailData{Name: sub.Name, Reference: sub.Reference,
			TrackURL: c.TrackURL(token), Jurisdiction: sub.Jurisdiction, DueAt: &req.DueAt}); err != nil {
			return err
		}
		return tx.audit(actor, "request.complaint", "request", req.ID, "")
	})
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return ErrComplaintOpen
	}
	return err
}
