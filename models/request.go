package models

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rightsdesk/rightsdesk/internal/rules"
	"gorm.io/gorm"
)

// Request statuses.
const (
	StatusAwaitingVerification = "awaiting_verification"
	StatusVerified             = "verified"
	StatusInProgress           = "in_progress"
	StatusCompleted            = "completed"
	StatusDenied               = "denied"
	StatusWithdrawn            = "withdrawn"
)

// Statuses in lifecycle order.
var Statuses = []string{StatusAwaitingVerification, StatusVerified, StatusInProgress,
	StatusCompleted, StatusDenied, StatusWithdrawn}

// OpenStatuses are those still waiting for the organization.
var OpenStatuses = []string{StatusAwaitingVerification, StatusVerified, StatusInProgress}

// transitions lists where staff may move a request from each status.
var transitions = map[string][]string{
	StatusAwaitingVerification: {StatusVerified, StatusDenied, StatusWithdrawn},
	StatusVerified:             {StatusInProgress, StatusCompleted, StatusDenied, StatusWithdrawn},
	StatusInProgress:           {StatusCompleted, StatusDenied, StatusWithdrawn},
}

// Request kinds.
const (
	KindRequest = "request"
	KindAppeal  = "appeal"
)

// Event kinds on a request's timeline.
const (
	EventReceived     = "received"
	EventAcknowledged = "acknowledged"
	EventStatus       = "status"
	EventNote         = "note"    // internal
	EventMessage      = "message" // to the requester
	EventExtended     = "extended"
	EventAppealed     = "appealed"
)

// MaxNote bounds notes, messages and reasons.
const MaxNote = 5000

// Request is one right exercised by one person, with its own clock.
type Request struct {
	ID              int64
	SubmissionID    int64
	Kind            string
	AppealOfID      *int64
	Right           string `gorm:"column:right_code"`
	Jurisdiction    string
	Status          string
	ReceivedAt      time.Time
	DueAt           time.Time
	OriginalDueAt   time.Time
	AckDueAt        *time.Time
	AcknowledgedAt  *time.Time
	ExtendedAt      *time.Time
	ExtensionReason string
	VerifiedAt      *time.Time
	ClosedAt        *time.Time
	DenialReason    string
	DenialDetail    string
	CreatedAt       time.Time
	UpdatedAt       time.Time

	Events     []Event     `gorm:"foreignKey:RequestID"`
	Submission *Submission `gorm:"foreignKey:SubmissionID"`
}

// Closed reports whether the request reached an end.
func (r *Request) Closed() bool { return !contains(OpenStatuses, r.Status) }

// CanMoveTo reports whether staff may move r to status to.
func (r *Request) CanMoveTo(to string) bool { return contains(transitions[r.Status], to) }

// NextStatuses lists where staff may move r.
func (r *Request) NextStatuses() []string { return transitions[r.Status] }

// Event is one step on a request's timeline.
type Event struct {
	ID         int64
	RequestID  int64
	Kind       string
	ActorKind  string
	StaffID    *int64
	StatusFrom string
	StatusTo   string
	Body       string
	Internal   bool
	CreatedAt  time.Time
}

func (s *Store) addEvent(tx *gorm.DB, requestID int64, kind string, a Actor, from, to, body string, internal bool) error {
	return tx.Create(&Event{RequestID: requestID, Kind: kind, ActorKind: a.Kind, StaffID: a.StaffID,
		StatusFrom: from, StatusTo: to, Body: body, Internal: internal, CreatedAt: s.now()}).Error
}

// newRequest builds (without saving) a request whose clock starts at received.
func (s *Store) newRequest(sub *Submission, right rules.Right, kind string, appealOf *Request, received time.Time) (*Request, error) {
	j := rules.Jurisdiction(sub.Jurisdiction)
	req := &Request{SubmissionID: sub.ID, Kind: kind, Right: string(right), Jurisdiction: sub.Jurisdiction,
		Status: StatusAwaitingVerification, ReceivedAt: received, CreatedAt: received, UpdatedAt: received}
	if kind == KindAppeal {
		due, err := s.Rules.AppealDeadline(j, received)
		if err != nil {
			return nil, err
		}
		req.AppealOfID, req.DueAt, req.Status = &appealOf.ID, due.UTC(), StatusVerified
		req.VerifiedAt = &received
	} else {
		d, err := s.Rules.Deadlines(j, right, received)
		if err != nil {
			return nil, err
		}
		req.DueAt = d.Due.UTC()
		if d.AckDue != nil {
			a := d.AckDue.UTC()
			req.AckDueAt = &a
		}
		if s.Rules.VerificationTier(j, right) == rules.TierNone || sub.EmailVerifiedAt != nil {
			// Opt-outs need no verification (11 CCR §7026(d)).
			req.Status, req.VerifiedAt = StatusVerified, &received
		}
	}
	req.OriginalDueAt = req.DueAt
	return req, nil
}

// setStatus moves r to status to and records it on the timeline.
func (s *Store) setStatus(tx *gorm.DB, r *Request, to string, a Actor, body string) error {
	now := s.now()
	from := r.Status
	updates := map[string]any{"status": to, "updated_at": now}
	if to == StatusVerified && r.VerifiedAt == nil {
		updates["verified_at"] = now
	}
	if !contains(OpenStatuses, to) {
		updates["closed_at"] = now
	}
	// The status in the WHERE makes a concurrent change lose cleanly.
	res := tx.Model(&Request{}).Where("id = ? AND status = ?", r.ID, from).Updates(updates)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return ErrInvalidState
	}
	r.Status = to
	if !contains(OpenStatuses, to) {
		r.ClosedAt = &now
	}
	return s.addEvent(tx, r.ID, EventStatus, a, from, to, body, false)
}

// RequestDetail is everything the staff request page shows.
type RequestDetail struct {
	Request  Request
	Sub      Submission
	Siblings []Request // the other requests of the same submission
	Appeal   *Request  // an appeal of this request, if any
	// Earlier counts requests of the same right by the same email within
	// the law's frequency window (shown to staff, never enforced).
	Earlier int
}

// GetRequest loads one request with its submission and full timeline.
func (s *Store) GetRequest(ctx context.Context, id int64) (*RequestDetail, error) {
	db := s.DB.WithContext(ctx)
	var d RequestDetail
	err := db.Preload("Events", func(db *gorm.DB) *gorm.DB { return db.Order("id") }).First(&d.Request, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if err := db.First(&d.Sub, d.Request.SubmissionID).Error; err != nil {
		return nil, err
	}
	if err := db.Where("submission_id = ? AND id <> ?", d.Sub.ID, id).Order("id").Find(&d.Siblings).Error; err != nil {
		return nil, err
	}
	var appeals []Request
	if err := db.Where("appeal_of_id = ?", id).Limit(1).Find(&appeals).Error; err != nil {
		return nil, err
	}
	if len(appeals) > 0 {
		d.Appeal = &appeals[0]
	}
	if f, ok := s.Rules.Frequency(rules.Jurisdiction(d.Request.Jurisdiction), rules.Right(d.Request.Right)); ok {
		since := d.Request.ReceivedAt.AddDate(0, -f.Months, 0)
		var n int64
		err := db.Model(&Request{}).Joins("JOIN submissions ON submissions.id = requests.submission_id").
			Where("submissions.email = ? AND requests.right_code = ? AND requests.kind = ? AND requests.received_at >= ? AND requests.received_at < ? AND requests.id <> ?",
				d.Sub.Email, d.Request.Right, KindRequest, since, d.Request.ReceivedAt, id).Count(&n).Error
		if err != nil {
			return nil, err
		}
		d.Earlier = int(n)
	}
	return &d, nil
}

// Transition is a staff decision on a request.
type Transition struct {
	To           string
	DenialReason string // required when To is denied
	Detail       string // free text; shown to the requester for denials
}

// Move applies a staff decision, records it and tells the requester.
func (s *Store) Move(ctx context.Context, id int64, t Transition, actor Actor) error {
	d, err := s.GetRequest(ctx, id)
	if err != nil {
		return err
	}
	r := &d.Request
	t.Detail = strings.TrimSpace(t.Detail)
	if !r.CanMoveTo(t.To) {
		return ErrInvalidState
	}
	v := &ValidationError{}
	if t.To == StatusDenied {
		if !contains(s.Rules.DenialReasons(rules.Jurisdiction(r.Jurisdiction), rules.Right(r.Right)), t.DenialReason) {
			v.Add("denial_reason", "error.denial_reason.required")
		}
		// "Other" says nothing by itself; a fraud denial must say why (11 CCR §7026(e)).
		if (t.DenialReason == "other" || t.DenialReason == "fraud") && t.Detail == "" {
			v.Add("detail", "error.detail.required")
		}
	}
	if utf8.RuneCountInString(t.Detail) > MaxNote {
		v.Add("detail", "error.detail.too_long")
	}
	if err := v.Err(); err != nil {
		return err
	}
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.setStatus(tx, r, t.To, actor, t.Detail); err != nil {
			return err
		}
		if t.To == StatusDenied {
			if err := tx.Model(&Request{}).Where("id = ?", r.ID).
				Updates(map[string]any{"denial_reason": t.DenialReason, "denial_detail": t.Detail}).Error; err != nil {
				return err
			}
		}
		if t.To == StatusVerified && d.Sub.EmailVerifiedAt == nil {
			// Staff verified the person by other means (phone, documents).
			if err := tx.Model(&d.Sub).Update("email_verified_at", s.now()).Error; err != nil {
				return err
			}
		}
		data := MailData{Name: d.Sub.Name, Reference: d.Sub.Reference, TrackURL: s.trackURLOf(&d.Sub), Right: r.Right, Status: t.To,
			Jurisdiction: r.Jurisdiction, Reason: t.DenialReason, ReasonText: t.Detail}
		if r.Kind == KindAppeal {
			data.Extra = map[string]string{"appeal": "1"}
		}
		if err := s.enqueue(tx, d.Sub.Email, MailStatusChanged, d.Sub.Lang, data); err != nil {
			return err
		}
		return s.audit(tx, actor, "request.status", "request", r.ID, t.To+" "+t.DenialReason)
	})
	if err == nil {
		s.notifyMail()
	}
	return err
}

// AddNote adds an internal note, never shown to the requester.
func (s *Store) AddNote(ctx context.Context, id int64, body string, actor Actor) error {
	body, err := checkText(body, "note")
	if err != nil {
		return err
	}
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := exists(tx, id); err != nil {
			return err
		}
		if err := s.addEvent(tx, id, EventNote, actor, "", "", body, true); err != nil {
			return err
		}
		return s.audit(tx, actor, "request.note", "request", id, "")
	})
}

// SendMessage puts a message on the requester's tracking page and emails
// them that one is waiting; the mail itself carries no content.
func (s *Store) SendMessage(ctx context.Context, id int64, body string, actor Actor) error {
	body, err := checkText(body, "message")
	if err != nil {
		return err
	}
	d, err := s.GetRequest(ctx, id)
	if err != nil {
		return err
	}
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.addEvent(tx, id, EventMessage, actor, "", "", body, false); err != nil {
			return err
		}
		if err := s.enqueue(tx, d.Sub.Email, MailMessage, d.Sub.Lang,
			MailData{Name: d.Sub.Name, Reference: d.Sub.Reference, TrackURL: s.trackURLOf(&d.Sub), Right: d.Request.Right}); err != nil {
			return err
		}
		return s.audit(tx, actor, "request.message", "request", id, "")
	})
	if err == nil {
		s.notifyMail()
	}
	return err
}

// Extend grants the one extension the law allows, before the deadline,
// and tells the person the new date and why.
func (s *Store) Extend(ctx context.Context, id int64, reason string, actor Actor) error {
	reason, err := checkText(reason, "reason")
	if err != nil {
		return err
	}
	d, err := s.GetRequest(ctx, id)
	if err != nil {
		return err
	}
	r := &d.Request
	if r.Closed() {
		return ErrInvalidState
	}
	now := s.now()
	newDue, err := s.Rules.Extend(rules.Jurisdiction(r.Jurisdiction), rules.Right(r.Right), r.ReceivedAt, r.DueAt, r.ExtendedAt != nil, now)
	if err != nil {
		return &RuleError{Err: err}
	}
	if r.Kind == KindAppeal {
		return &RuleError{Err: rules.ErrExtensionNotAllowed}
	}
	newDue = newDue.UTC()
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&Request{}).Where("id = ? AND extended_at IS NULL", r.ID).Updates(map[string]any{
			"due_at": newDue, "extended_at": now, "extension_reason": reason, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return &RuleError{Err: rules.ErrAlreadyExtended}
		}
		if err := s.addEvent(tx, r.ID, EventExtended, actor, "", "", reason, false); err != nil {
			return err
		}
		if err := s.enqueue(tx, d.Sub.Email, MailExtended, d.Sub.Lang, MailData{Name: d.Sub.Name,
			Reference: d.Sub.Reference, TrackURL: s.trackURLOf(&d.Sub), Right: r.Right, DueAt: &newDue, ReasonText: reason, Jurisdiction: r.Jurisdiction}); err != nil {
			return err
		}
		return s.audit(tx, actor, "request.extend", "request", r.ID, newDue.Format(time.DateOnly))
	})
	if err == nil {
		s.notifyMail()
	}
	return err
}

// RuleError is a refusal by the rules engine (e.g. an extension the law
// does not allow); the web layer shows it as a clear message.
type RuleError struct{ Err error }

func (e *RuleError) Error() string { return e.Err.Error() }
func (e *RuleError) Unwrap() error { return e.Err }

func checkText(body, field string) (string, error) {
	body = strings.TrimSpace(body)
	v := &ValidationError{}
	switch {
	case body == "":
		v.Add(field, "error."+field+".required")
	case utf8.RuneCountInString(body) > MaxNote:
		v.Add(field, "error."+field+".too_long")
	}
	return body, v.Err()
}

func exists(tx *gorm.DB, id int64) error {
	var n int64
	if err := tx.Model(&Request{}).Where("id = ?", id).Count(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}
