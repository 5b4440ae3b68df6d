package models

import (
	"context"
	"errors"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/rules"
	"gorm.io/gorm"
)

// "Need more information": staff ask the person a question, in every
// jurisdiction. The request waits for them in StatusAwaitingInformation
// ("Waiting for you" on their tracking page, "waiting for the requester"
// in the queue) until they answer on the tracking page or staff record an
// answer that came another way. Where the law lets the clock stop while
// the organization waits (the UK: rules.Engine.PauseReasons), asking
// stops it and the deadline moves by the days it stood; elsewhere the
// deadline runs on. One mechanism, one table (request_pauses), one API:
//
//	Requests.Ask(ctx, id, AskInput{Reason, Question, Document}, actor)
//	Requests.AskForInformation(ctx, id, reason, question, actor) // the same, without a document
//	Submissions.Answer(ctx, trackingToken, requestID, answer, actor)
//	Requests.Resume(ctx, id, note, actor)                          // answered another way
//	Core.AskReasons(r, sub) / Core.ClockStopped(r)                 // what the page may offer
//
// Every question is recorded with its reason, its dates and whether the
// clock stood; of two simultaneous questions one is asked, and of two
// answers one restarts it.

// RequestPause is one question to the person: why, when it was asked and
// answered, whether the clock stood still meanwhile, and the deadline
// before and after. A partial unique index allows one open question per
// request.
type RequestPause struct {
	ID           int64
	RequestID    int64
	Reason       string // rules.PauseIdentity or rules.PauseClarify
	StatusBefore string // where the request returns once answered
	StartedAt    time.Time
	EndedAt      *time.Time
	DueBefore    time.Time
	DueAfter     *time.Time
	Days         int    // the days that did not count (rules.Engine.PauseDays); 0 where the clock ran
	EndedBy      string // PauseEndedBy…
	StaffID      *int64 // who asked
	// ClockStopped: the law let the clock stop while the organization
	// waited; otherwise the deadline ran on.
	ClockStopped bool
	// Document: the person was asked for a document (an identity
	// document), uploaded on the tracking page.
	Document bool
}

func (RequestPause) TableName() string { return "request_pauses" }

// How a pause ended.
const (
	PauseEndedByAnswer = "answer" // the person answered on the tracking page
	PauseEndedByStaff  = "staff"  // staff received the information another way
	PauseEndedByClose  = "closed" // the request was withdrawn or refused meanwhile
)

// AskReasons are why staff may ask the person for information: to
// identify them, or to clarify the request. Where the law lets the clock
// stop, only the reasons it stops for are offered (rules.Engine.PauseReasons).
var AskReasons = []string{rules.PauseIdentity, rules.PauseClarify}

// AskInput is a question staff ask the person.
type AskInput struct {
	Reason   string // one of AskReasons
	Question string // shown on the person's tracking page (never mailed)
	// Document asks for a document as well (identity only): the tracking
	// page offers an upload, which answers the question.
	Document bool
}

// Question refusals.
var (
	// ErrPauseNotAllowed: nothing may be asked of the person for this
	// request (an opt-out or unsubscribe needs nothing beyond what was
	// given, 11 CCR §7026(d); an appeal or complaint is decided as it is).
	ErrPauseNotAllowed = &Error{Kind: KindConflict, Key: "error.pause.not_allowed", Field: "pause_reason"}
	ErrPauseState      = &Error{Kind: KindConflict, Key: "error.pause.state", Field: "pause_reason"}
	ErrNotPaused       = &Error{Kind: KindConflict, Key: "error.pause.not_paused", Field: "answer"}
)

// askable reports whether r's person may ever be asked a question.
func (c *Core) askable(r *Request) bool {
	return r.Kind == KindRequest && c.Rules.VerificationTier(rules.Jurisdiction(r.Jurisdiction), rules.Right(r.Right)) != rules.TierNone
}

// stopsClock reports whether asking about r stops its clock: wherever the
// law lets it stop for r's right at all. (Where it does, only the reasons
// it stops for are offered, so a question there always stops the clock.)
func (c *Core) stopsClock(r *Request) bool {
	return len(c.Rules.PauseReasons(rules.Jurisdiction(r.Jurisdiction), r.RuleRight())) > 0
}

// ClockStopped reports whether r's clock stands still now: it waits for
// the person where the law lets the clock stop.
func (c *Core) ClockStopped(r *Request) bool { return r.Waiting() && c.stopsClock(r) }

// AskReasons are why staff may ask r's person for information now, and
// whether asking stops the clock: none unless the request is being worked
// on (verified, in progress) or waits for the person's identity check
// after they confirmed their e-mail (sub), and is not waiting already.
func (c *Core) AskReasons(r *Request, sub *Submission) ([]string, bool) {
	if !c.askable(r) || sub != nil && sub.Offline() { // asked by post or phone, see ask
		return nil, false
	}
	switch {
	case r.Status == StatusVerified, r.Status == StatusInProgress:
	case r.Status == StatusAwaitingVerification && sub != nil && sub.EmailVerifiedAt != nil:
	default:
		return nil, false
	}
	if c.stopsClock(r) {
		return c.Rules.PauseReasons(rules.Jurisdiction(r.Jurisdiction), r.RuleRight()), true
	}
	return AskReasons, false
}

// AskForInformation asks the person a question (Ask without a document).
func (rs *Requests) AskForInformation(ctx context.Context, id int64, reason, question string, actor Actor) error {
	return rs.Ask(ctx, id, AskInput{Reason: reason, Question: question}, actor)
}

// Ask puts a question on the person's tracking page and mails them that
// one is waiting (the mail carries no question). The request waits in
// StatusAwaitingInformation until they answer; where the law allows, its
// clock stops. The row is re-read and locked, and the UPDATE is guarded
// by the status it was read in, so of two simultaneous questions one is
// asked.
func (rs *Requests) Ask(ctx context.Context, id int64, in AskInput, actor Actor) error {
	v := &ValidationError{}
	in.Question = text(v, "question", in.Question, MultiLine, true, MaxNote)
	if err := v.Err(); err != nil {
		return err
	}
	return rs.c.write(ctx, func(tx *tx) error {
		r, err := tx.lockRequest(id)
		if err != nil {
			return err
		}
		var sub Submission
		if err := tx.Where("id = ?", r.SubmissionID).Take(&sub).Error; err != nil {
			return err
		}
		return tx.ask(r, &sub, in, r.Status, actor)
	})
}

// ask asks r's person (sub) in, on r as read and locked; once answered,
// the request returns to back (its own status, or, for a raised identity
// check, awaiting verification). A question without words (a raised
// check) is the identity questions themselves.
func (t *tx) ask(r *Request, sub *Submission, in AskInput, back string, actor Actor) error {
	c := t.c
	allowed, stops := c.AskReasons(r, sub)
	switch {
	case sub.Offline():
		// No tracking page was ever sent to answer on: staff ask by post
		// or phone themselves, and the clock does not stop for a question
		// the person could never see.
		return invalid("question", "error.ask.no_email")
	case !c.askable(r):
		return ErrPauseNotAllowed
	case len(allowed) == 0:
		return ErrPauseState
	case !contains(allowed, in.Reason):
		return invalid("pause_reason", "error.pause_reason.required")
	case in.Document && in.Reason != rules.PauseIdentity:
		return invalid("pause_reason", "error.pause_reason.document")
	}
	now := c.Now()
	res := t.Model(&Request{}).Where("id = ? AND status = ?", r.ID, r.Status).
		Updates(map[string]any{"status": StatusAwaitingInformation, "updated_at": now})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return ErrPauseState
	}
	if err := t.Create(&RequestPause{RequestID: r.ID, Reason: in.Reason, StatusBefore: back, StartedAt: now,
		DueBefore: r.DueAt.UTC(), StaffID: actor.StaffID, ClockStopped: stops, Document: in.Document}).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return ErrPauseState
		}
		return err
	}
	// The timeline records the question and its date, and whether the clock stopped.
	kind := EventAsked
	if stops {
		kind = EventPaused
	}
	if err := t.event(r.ID, kind, actor, r.Status, StatusAwaitingInformation, in.Question, false); err != nil {
		return err
	}
	from := r.Status
	r.Status = StatusAwaitingInformation
	extra := map[string]string{"clock": "running"}
	if stops {
		extra["clock"] = "stopped"
	}
	if in.Document {
		extra["document"] = "1"
	}
	if in.Question == "" {
		extra["identity"] = "1"
	}
	// The person answers on their own tracking page: the mail goes to them.
	if err := t.enqueue(sub.Email, MailInformationRequested, sub.Lang, MailData{Name: sub.Name, Reference: sub.Reference,
		TrackURL: c.trackURLOf(sub), Right: r.Right, Reason: in.Reason, Extra: extra}); err != nil {
		return err
	}
	action := "request.ask"
	if stops {
		action = "request.pause"
	}
	return t.audit(actor, action, "request", r.ID, in.Reason+" from="+from)
}

// Answer is the person's answer, from their tracking page, to what staff
// asked: the request goes back to where it was and, where the clock
// stood, the deadline moves by the days it stood.
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

// Resume records that the information reached staff another way (by
// post, by phone); note says how, and the person sees it.
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

// resume ends the open question once: the request returns to the status
// it was in, its deadline moves by the days the clock stood (none where it
// ran), and the question records its end and the deadline after. Both
// UPDATEs are guarded (the request must still wait, the question must
// still be open), so two answers, or an answer racing a withdrawal, end
// it at most once.
func (t *tx) resume(id int64, body, endedBy string, actor Actor) error {
	c := t.c
	r, err := t.lockRequest(id)
	if err != nil {
		return err
	}
	if !r.Waiting() {
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
	days, newDue := 0, r.DueAt.UTC()
	if p.ClockStopped {
		days = c.Rules.PauseDays(p.StartedAt, now)
		newDue = c.Rules.MoveDeadline(r.DueAt, days).UTC()
	}
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
	// …and the answer, with its date.
	kind := EventAnswered
	if p.ClockStopped {
		kind = EventResumed
	}
	if err := t.event(r.ID, kind, actor, StatusAwaitingInformation, p.StatusBefore, body, false); err != nil {
		return err
	}
	return t.audit(actor, "request.resume", "request", r.ID, endedBy+" "+newDue.Format(time.DateOnly))
}

// OpenQuestion is r's open question, nil when it waits for nothing.
func (c *Core) OpenQuestion(ctx context.Context, requestID int64) (*RequestPause, error) {
	var ps []RequestPause
	if err := c.read(ctx).Where("request_id = ? AND ended_at IS NULL", requestID).Limit(1).Find(&ps).Error; err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, nil
	}
	return &ps[0], nil
}
