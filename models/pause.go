package models

import (
	"context"
	"errors"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/rules"
	"gorm.io/gorm"
)

// RequestPause is one stop of a request's clock: why, what was asked, when
// it stopped and restarted, and the deadline before and after. A partial
// unique index allows one open pause per request.
type RequestPause struct {
	ID           int64
	RequestID    int64
	Reason       string // rules.PauseIdentity or rules.PauseClarify
	StatusBefore string // where the request returns when the clock restarts
	StartedAt    time.Time
	EndedAt      *time.Time
	DueBefore    time.Time
	DueAfter     *time.Time
	Days         int    // the days that did not count (rules.Engine.PauseDays)
	EndedBy      string // PauseEndedBy…
	StaffID      *int64 // who asked
}

func (RequestPause) TableName() string { return "request_pauses" }

// How a pause ended.
const (
	PauseEndedByAnswer = "answer" // the person answered on the tracking page
	PauseEndedByStaff  = "staff"  // staff received the information another way
	PauseEndedByClose  = "closed" // the request was withdrawn or refused meanwhile
)

// Pause refusals.
var (
	ErrPauseNotAllowed = &Error{Kind: KindConflict, Key: "error.pause.not_allowed", Field: "pause_reason"}
	ErrPauseState      = &Error{Kind: KindConflict, Key: "error.pause.state", Field: "pause_reason"}
	ErrNotPaused       = &Error{Kind: KindConflict, Key: "error.pause.not_paused", Field: "answer"}
)

// pauseReasons are why staff may stop r's clock now: none where the law
// lets no clock stop, and none unless the request is being worked on
// (verified or in progress) and not already waiting.
func (c *Core) pauseReasons(r *Request) []string {
	if r.Kind != KindRequest || (r.Status != StatusVerified && r.Status != StatusInProgress) {
		return nil
	}
	return c.Rules.PauseReasons(rules.Jurisdiction(r.Jurisdiction), r.RuleRight())
}

// AskForInformation stops the clock of a request where the law allows it
// (the UK): the question goes on the person's tracking page, they are
// mailed that one is waiting, and the request waits in
// StatusAwaitingInformation until they answer. The pause is recorded with
// its reason and start; the row is re-read and locked, and the UPDATE is
// guarded by the status it was read in, so of two simultaneous questions
// one stops the clock.
func (rs *Requests) AskForInformation(ctx context.Context, id int64, reason, question string, actor Actor) error {
	v := &ValidationError{}
	question = text(v, "question", question, MultiLine, true, MaxNote)
	if err := v.Err(); err != nil {
		return err
	}
	c := rs.c
	return c.write(ctx, func(tx *tx) error {
		r, err := tx.lockRequest(id)
		if err != nil {
			return err
		}
		allowed := c.pauseReasons(r)
		switch {
		case len(c.Rules.PauseReasons(rules.Jurisdiction(r.Jurisdiction), r.RuleRight())) == 0 || r.Kind != KindRequest:
			return ErrPauseNotAllowed
		case len(allowed) == 0:
			return ErrPauseState
		case !contains(allowed, reason):
			return invalid("pause_reason", "error.pause_reason.required")
		}
		now := c.Now()
		res := tx.Model(&Request{}).Where("id = ? AND status = ?", r.ID, r.Status).
			Updates(map[string]any{"status": StatusAwaitingInformation, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrPauseState
		}
		if err := tx.Create(&RequestPause{RequestID: r.ID, Reason: reason, StatusBefore: r.Status, StartedAt: now,
			DueBefore: r.DueAt.UTC(), StaffID: actor.StaffID}).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return ErrPauseState
			}
			return err
		}
		// The timeline records the stop, with the question and its date.
		if err := tx.event(r.ID, EventPaused, actor, r.Status, StatusAwaitingInformation, question, false); err != nil {
			return err
		}
		var sub Submission
		if err := tx.Where("id = ?", r.SubmissionID).Take(&sub).Error; err != nil {
			return err
		}
		if err := tx.enqueue(sub.Email, MailInformationRequested, sub.Lang, MailData{Name: sub.Name, Reference: sub.Reference,
			TrackURL: c.trackURLOf(&sub), Right: r.Right, Reason: reason}); err != nil {
			return err
		}
		return tx.audit(actor, "request.pause", "request", r.ID, reason)
	})
}

// Answer is the person's answer, from their tracking page, to what staff
// asked: the clock restarts and the deadline moves by the days it stood.
func (s *Submissions) Answer(ctx context.Context, token string, requestID int64, answer string, actor Actor) error {
	sub, err := s.c.byTrackingToken(ctx, token)
	if err != nil {
		return err
	}
	if sub.request(requestID) == nil {
		return ErrNotFound // not one of this person's requests, whatever was typed
	}
	v := &ValidationError{}
	answer = text(v, "answer", answer, MultiLine, true, MaxNote)
	if err := v.Err(); err != nil {
		return err
	}
	return s.c.write(ctx, func(tx *tx) error {
		return tx.resume(requestID, answer, PauseEndedByAnswer, actor)
	})
}

// Resume restarts the clock when the information reached staff another
// way (by post, by phone); note says how, and the person sees it.
func (rs *Requests) Resume(ctx context.Context, id int64, note string, actor Actor) error {
	v := &ValidationError{}
	note = text(v, "resume_note", note, MultiLine, true, MaxNote)
	if err := v.Err(); err != nil {
		return err
	}
	return rs.c.write(ctx, func(tx *tx) error {
		return tx.resume(id, note, PauseEndedByStaff, actor)
	})
}

// resume restarts a stopped clock once: the request returns to the status
// it was in, its deadline moves by the paused days, and the pause records
// its end and the new deadline. Both UPDATEs are guarded (the request must
// still wait, the pause must still be open), so two answers, or an answer
// racing a withdrawal, restart it at most once.
func (t *tx) resume(id int64, body, endedBy string, actor Actor) error {
	c := t.c
	r, err := t.lockRequest(id)
	if err != nil {
		return err
	}
	if !r.Paused() {
		return ErrNotPaused
	}
	var p RequestPause
	err = t.forUpdate().Where("request_id = ? AND ended_at IS NULL", r.ID).Take(&p).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ErrNotPaused
	}
	if err != nil {
		return err
	}
	now := c.Now()
	days := c.Rules.PauseDays(p.StartedAt, now)
	newDue := c.Rules.MoveDeadline(r.DueAt, days).UTC()
	res := t.Model(&Request{}).Where("id = ? AND status = ?", r.ID, StatusAwaitingInformation).
		Updates(map[string]any{"status": p.StatusBefore, "due_at": newDue, "paused_days": gorm.Expr("paused_days + ?", days), "updated_at": now})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return ErrNotPaused
	}
	res = t.Model(&RequestPause{}).Where("id = ? AND ended_at IS NULL", p.ID).
		Updates(map[string]any{"ended_at": now, "due_after": newDue, "days": days, "ended_by": endedBy})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return ErrNotPaused
	}
	// …and the restart, with the answer and its date.
	if err := t.event(r.ID, EventResumed, actor, StatusAwaitingInformation, p.StatusBefore, body, false); err != nil {
		return err
	}
	return t.audit(actor, "request.resume", "request", r.ID, endedBy+" "+newDue.Format(time.DateOnly))
}
