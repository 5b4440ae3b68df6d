package models

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/rules"
	"gorm.io/gorm"
)

// Request statuses.
const (
	StatusAwaitingVerification = "awaiting_verification"
	StatusVerified             = "verified"
	StatusInProgress           = "in_progress"
	// StatusAwaitingInformation: the organization asked the person for
	// information and waits for it ("Waiting for you"); the clock stands
	// still meanwhile only where the law allows (see pause.go).
	StatusAwaitingInformation = "awaiting_information"
	StatusCompleted           = "completed"
	StatusDenied              = "denied"
	StatusWithdrawn           = "withdrawn"
	StatusMerged              = "merged" // joined to an earlier open request for the same thing
)

// Statuses in lifecycle order.
var Statuses = []string{StatusAwaitingVerification, StatusVerified, StatusInProgress, StatusAwaitingInformation,
	StatusCompleted, StatusDenied, StatusWithdrawn, StatusMerged}

// OpenStatuses are those not yet closed. All but StatusAwaitingInformation
// are waiting for the organization, with the deadline running; a request
// waiting for the person has its deadline running too, except where the
// law stops the clock (Core.ClockStopped).
var OpenStatuses = []string{StatusAwaitingVerification, StatusVerified, StatusInProgress, StatusAwaitingInformation}

// openStatusSQL is OpenStatuses as an SQL literal list. Queries on open
// requests spell it out rather than bind it, so that the partial indexes
// WHERE status IN (…) apply (a bound parameter cannot prove the predicate).
const openStatusSQL = "('awaiting_verification', 'verified', 'in_progress', 'awaiting_information')"

// runningStatusSQL are the open statuses whose deadline runs whatever the
// jurisdiction (see Core.runningSQL).
const runningStatusSQL = "('awaiting_verification', 'verified', 'in_progress')"

// runningSQL is the condition, on table's columns, of an open request
// whose deadline runs: one not waiting for the person, or waiting where
// the law lets no clock stop. The jurisdictions are written in, from the
// law table (our own constants).
func (c *Core) runningSQL(table string) string {
	cond := "(" + table + ".status IN " + runningStatusSQL + " OR (" + table + ".status = '" + StatusAwaitingInformation + "'"
	if list := c.stoppingSQL(); list != "" {
		cond += " AND " + table + ".jurisdiction NOT IN " + list
	}
	return cond + "))"
}

// stoppedSQL is the condition, on table's columns, of a request whose
// clock stands still: waiting for the person where the law stops it; ""
// where no law does.
func (c *Core) stoppedSQL(table string) string {
	list := c.stoppingSQL()
	if list == "" {
		return ""
	}
	return "(" + table + ".status = '" + StatusAwaitingInformation + "' AND " + table + ".jurisdiction IN " + list + ")"
}

// stoppingSQL lists, as SQL, the jurisdictions whose law lets a clock
// stop; "" when none does.
func (c *Core) stoppingSQL() string {
	var stopping []string
	for _, j := range rules.Jurisdictions() {
		if c.Rules.Law(j).Pause != nil {
			stopping = append(stopping, sqlWord(string(j)))
		}
	}
	if len(stopping) == 0 {
		return ""
	}
	return "(" + strings.Join(stopping, ", ") + ")"
}

// transitions lists where a request of each kind may move from each
// status. The clock stops and restarts through AskForInformation and
// resume, not here.
var transitions = map[string]map[string][]string{
	KindRequest: {
		StatusAwaitingVerification: {StatusVerified, StatusDenied, StatusWithdrawn, StatusMerged},
		StatusVerified:             {StatusInProgress, StatusCompleted, StatusDenied, StatusWithdrawn, StatusMerged},
		StatusInProgress:           {StatusCompleted, StatusDenied, StatusWithdrawn, StatusMerged},
		// Waiting for the person: they may withdraw; staff may refuse (no
		// answer to an identity question, say), record a withdrawal, or merge.
		StatusAwaitingInformation: {StatusDenied, StatusWithdrawn, StatusMerged},
	},
	KindAppeal: {
		StatusVerified:   {StatusInProgress, StatusCompleted, StatusDenied, StatusWithdrawn},
		StatusInProgress: {StatusCompleted, StatusDenied, StatusWithdrawn},
	},
	// A complaint is answered (completed, with the outcome) or withdrawn,
	// never denied (DPA 2018 s.164A(4)).
	KindComplaint: {
		StatusVerified:   {StatusInProgress, StatusCompleted, StatusWithdrawn},
		StatusInProgress: {StatusCompleted, StatusWithdrawn},
	},
}

// decided are the moves staff choose from a list; the others have their
// own action (withdrawing is the person's, merging names the other request).
func decided(to string) bool { return to != StatusMerged }

// Request kinds.
const (
	KindRequest   = "request"
	KindAppeal    = "appeal"
	KindComplaint = "complaint" // a complaint to the organization (UK, DPA 2018 s.164A)
)

// Kinds lists the request kinds, each with its own queue.
var Kinds = []string{KindRequest, KindAppeal, KindComplaint}

// Event kinds on a request's timeline.
const (
	EventReceived     = "received"
	EventAcknowledged = "acknowledged"
	EventStatus       = "status"
	EventNote         = "note"    // internal
	EventMessage      = "message" // to the requester
	EventExtended     = "extended"
	EventAppealed     = "appealed"
	EventAppealReason = "appeal_reason" // the person's reasons for appealing
	EventPaused       = "paused"        // the clock stopped; the body is what staff asked
	EventResumed      = "resumed"       // the clock restarted; the body is the person's answer or staff's note
	EventAsked        = "asked"         // a question where the clock runs on; the body is what staff asked
	EventAnswered     = "answered"      // its answer; the body is the person's answer or staff's note
	EventComplaint    = "complaint"     // what the person complains about
	EventMerged       = "merged"        // another request was joined to this one
	EventNoEmail      = "no_email"      // internal: the person has no e-mail; the body is the channel to answer by (mail, phone)
	// Fulfilment (models/task.go, message.go, package.go, correction.go).
	EventTasksOpened = "tasks_opened" // internal: the checklist was made; the body counts the tasks
	EventTask        = "task"         // internal: a task changed (from, to: its statuses; body: the system and note)
	EventReply       = "reply"        // the person or their agent wrote in the thread
	EventPackage     = "package"      // a copy of the person's data is ready to download
	EventDownload    = "download"     // the person downloaded it
	EventCorrection  = "correction"   // the person listed something to correct
	EventOverride    = "override"     // internal: an administrator completed the request with tasks open; the body is why
	// Assignment (assign.go), internal: the body names the member.
	EventAssigned   = "assigned"   // given to the member
	EventUnassigned = "unassigned" // taken from the member (by staff, or by the system when the member stopped working requests)
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
	PausedDays      int // days the clock stood still, already added to DueAt
	VerifiedAt      *time.Time
	ClosedAt        *time.Time
	DenialReason    string
	DenialDetail    string
	// How it was completed: OutcomeFull or OutcomePartial (then NotDone
	// says what was not done and why), with the note told to the person.
	Outcome        string
	OutcomeNote    string
	NotDone        string
	OverrideReason string // why an administrator completed it with tasks open
	MergedIntoID   *int64
	AssigneeID     *int64 // the member who holds it (assign.go); nil = nobody
	CreatedAt      time.Time
	UpdatedAt      time.Time

	Events []Event `gorm:"-"`
}

// Closed reports whether the request reached an end.
func (r *Request) Closed() bool { return !contains(OpenStatuses, r.Status) }

// Waiting reports whether r waits for the person to answer a question
// (whether its clock stands still meanwhile is Core.ClockStopped's to say).
func (r *Request) Waiting() bool { return r.Status == StatusAwaitingInformation }

// CanMoveTo reports whether r may move to status to.
func (r *Request) CanMoveTo(to string) bool { return contains(transitions[r.Kind][r.Status], to) }

// NextStatuses lists where staff may move r by a decision.
func (r *Request) NextStatuses() []string {
	var out []string
	for _, to := range transitions[r.Kind][r.Status] {
		if decided(to) {
			out = append(out, to)
		}
	}
	return out
}

// RuleRight is what the rules engine knows r as: its right, or the appeal
// or complaint it is.
func (r *Request) RuleRight() rules.Right {
	switch r.Kind {
	case KindAppeal:
		return rules.RightAppeal
	case KindComplaint:
		return rules.RightComplaint
	}
	return rules.Right(r.Right)
}

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

// Requests is the aggregate of requests: staff decisions, notes,
// messages, extensions and the queue.
type Requests struct{ c *Core }

// NewRequests returns the requests aggregate.
func NewRequests(c *Core) *Requests { return &Requests{c: c} }

// newRequest builds (without saving) a request whose clock starts at
// received. An appeal keeps the right it appeals (appealOf); a complaint's
// right is rules.RightComplaint. Both come from the person's private link,
// so they need no further verification.
func (c *Core) newRequest(sub *Submission, right rules.Right, kind string, appealOf *Request, received time.Time) (*Request, error) {
	j := rules.Jurisdiction(sub.Jurisdiction)
	req := &Request{SubmissionID: sub.ID, Kind: kind, Right: string(right), Jurisdiction: sub.Jurisdiction,
		Status: StatusAwaitingVerification, ReceivedAt: received, CreatedAt: received, UpdatedAt: received}
	if kind == KindAppeal {
		req.AppealOfID = &appealOf.ID
	}
	d, err := c.Rules.Deadlines(j, req.RuleRight(), received)
	if err != nil {
		return nil, err
	}
	req.DueAt = d.Due.UTC()
	if d.AckDue != nil {
		a := d.AckDue.UTC()
		req.AckDueAt = &a
	}
	if kind != KindRequest || c.Rules.VerificationTier(j, right) == rules.TierNone || sub.EmailVerifiedAt != nil {
		// Opt-outs need no verification (11 CCR §7026(d)).
		req.Status, req.VerifiedAt = StatusVerified, &received
	}
	req.OriginalDueAt = req.DueAt
	return req, nil
}

// setStatus moves r to status to and records it on the timeline. The
// UPDATE is guarded by the status r was read in and by the transition
// table, so a concurrent change makes it lose cleanly (ErrInvalidState)
// instead of overwriting.
func (t *tx) setStatus(r *Request, to string, a Actor, body string) error {
	if !r.CanMoveTo(to) {
		return ErrInvalidState
	}
	now := t.c.Now()
	from := r.Status
	updates := map[string]any{"status": to, "updated_at": now}
	if to == StatusVerified && r.VerifiedAt == nil {
		updates["verified_at"] = now
	}
	if !contains(OpenStatuses, to) {
		updates["closed_at"] = now
	}
	res := t.Model(&Request{}).Where("id = ? AND status = ?", r.ID, from).Updates(updates)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return ErrInvalidState
	}
	if to == StatusVerified {
		if err := t.openTasks(r); err != nil {
			return err
		}
	}
	if !contains(OpenStatuses, to) && to != StatusCompleted {
		if err := t.closeTasksWith(r.ID, to); err != nil {
			return err
		}
	}
	if !contains(OpenStatuses, to) {
		// What the person gave only to be verified goes with the request.
		if err := t.closeChecks(r.ID, a); err != nil {
			return err
		}
	}
	if from == StatusAwaitingInformation {
		// Closed while waiting for the person: the pause ends with it.
		if err := t.Model(&RequestPause{}).Where("request_id = ? AND ended_at IS NULL", r.ID).
			Updates(map[string]any{"ended_at": now, "ended_by": PauseEndedByClose}).Error; err != nil {
			return err
		}
	}
	r.Status = to
	if !contains(OpenStatuses, to) {
		r.ClosedAt = &now
	}
	if err := t.event(r.ID, EventStatus, a, from, to, body, false); err != nil {
		return err
	}
	return t.drpChanged(r.ID) // an agent that asked through the DRP is called back
}

// lockRequest re-reads a request inside a transaction, locking it on
// PostgreSQL, so that what decides a change is the row as it is now.
func (t *tx) lockRequest(id int64) (*Request, error) {
	var r Request
	err := t.forUpdate().Where("id = ?", id).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	return &r, err
}

// RequestDetail is everything the staff request page shows.
type RequestDetail struct {
	Request  Request
	Sub      Submission
	Siblings []Request // the other requests of the same submission
	Appeal   *Request  // an appeal of this request, if any
	// Frequency is the law's limit on how often a person may make this
	// request (nil: none). Earlier counts their requests of the same right
	// (same address) within its window, and FrequencyExceeded says whether
	// this one is past it: shown to staff, who may then refuse; never
	// enforced.
	Frequency         *rules.FrequencyLimit
	Earlier           int
	FrequencyExceeded bool
	// LawExtends is whether the law allows an extension of this request
	// at all: a deemed refusal (Urgency.DeemedRefusal) can still be
	// avoided by one under PIPEDA (s.8(4)), never under Quebec's law.
	LawExtends bool
	// Extension is nil when the request may be extended now, else why not.
	Extension *Error
	// PauseReasons are why staff may ask the person for information now
	// (none: they may not), and AskStopsClock whether asking stops the
	// clock; Pauses every question asked, oldest first; ClockStopped
	// whether the clock stands still now.
	PauseReasons  []string
	AskStopsClock bool
	ClockStopped  bool
	Pauses        []RequestPause
	Urgency       Urgency
	// Duplicates are the person's other open requests for the same right
	// (same confirmed address), received earlier: this one may be merged
	// into one of them.
	Duplicates []Duplicate
	// Assignee is the name of the member who holds the request ("" for
	// nobody; Request.AssigneeID is who).
	Assignee string
}

// Duplicate is an earlier open request a request may be merged into.
type Duplicate struct {
	ID         int64
	Reference  string
	ReceivedAt time.Time
	DueAt      time.Time
}

// Get loads one request with its submission and full timeline.
func (rs *Requests) Get(ctx context.Context, id int64) (*RequestDetail, error) {
	if id <= 0 {
		return nil, ErrNotFound
	}
	c := rs.c
	db := c.read(ctx)
	var d RequestDetail
	err := db.Where("id = ?", id).Take(&d.Request).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if err := db.Where("request_id = ?", id).Order("id").Find(&d.Request.Events).Error; err != nil {
		return nil, err
	}
	if err := db.Where("id = ?", d.Request.SubmissionID).Take(&d.Sub).Error; err != nil {
		return nil, err
	}
	if err := db.Where("submission_id = ? AND id <> ?", d.Sub.ID, id).Order("id").Find(&d.Siblings).Error; err != nil {
		return nil, err
	}
	var appeals []Request
	if err := db.Where("appeal_of_id = ?", id).Order("id DESC").Limit(1).Find(&appeals).Error; err != nil {
		return nil, err
	}
	if len(appeals) > 0 {
		d.Appeal = &appeals[0]
	}
	r := &d.Request
	// A person with no e-mail (a letter or a call entered by staff) is not
	// matched to anyone by it: an empty address would match every other.
	if f, ok := c.Rules.Frequency(rules.Jurisdiction(r.Jurisdiction), rules.Right(r.Right)); ok && r.Kind == KindRequest {
		d.Frequency = &f
	}
	if f := d.Frequency; f != nil && !d.Sub.NoEmail() {
		since := r.ReceivedAt.AddDate(0, -f.Months, 0)
		var n int64
		err := db.Model(&Request{}).Joins("JOIN submissions ON submissions.id = requests.submission_id").
			Where("submissions.email = ? AND requests.right_code = ? AND requests.kind = ? AND requests.received_at >= ? AND requests.received_at < ? AND requests.id <> ?",
				d.Sub.Email, r.Right, KindRequest, since, r.ReceivedAt, id).Count(&n).Error
		if err != nil {
			return nil, err
		}
		d.Earlier = int(n)
		d.FrequencyExceeded = d.Earlier >= f.Max
	}
	if err := db.Where("request_id = ?", id).Order("id").Find(&d.Pauses).Error; err != nil {
		return nil, err
	}
	if r.AssigneeID != nil {
		if err := db.Model(&Staff{}).Where("id = ?", *r.AssigneeID).Pluck("name", &d.Assignee).Error; err != nil {
			return nil, err
		}
	}
	if !r.Closed() && r.Kind == KindRequest && d.Sub.EmailVerifiedAt != nil && !d.Sub.NoEmail() {
		err := db.Table("requests").Select("requests.id, submissions.reference, requests.received_at, requests.due_at").
			Joins("JOIN submissions ON submissions.id = requests.submission_id").
			Where("submissions.email = ? AND submissions.email_verified_at IS NOT NULL AND requests.right_code = ? AND requests.kind = ? "+
				"AND requests.status IN "+openStatusSQL+" AND requests.submission_id <> ? AND requests.received_at <= ?",
				d.Sub.Email, r.Right, KindRequest, d.Sub.ID, r.ReceivedAt).
			Order("requests.received_at, requests.id").Limit(5).Scan(&d.Duplicates).Error
		if err != nil {
			return nil, err
		}
	}
	now := c.Now()
	d.Extension = c.extensionRefusal(r, now)
	d.PauseReasons, d.AskStopsClock = c.AskReasons(r, &d.Sub)
	d.ClockStopped = c.ClockStopped(r)
	d.Urgency = c.UrgencyOf(r.Jurisdiction, r.DueAt, r.Status, now)
	d.LawExtends = c.Rules.CanExtend(rules.Jurisdiction(r.Jurisdiction), r.RuleRight())
	return &d, nil
}

// Transition is a staff decision on a request.
type Transition struct {
	To           string
	DenialReason string // required when To is denied
	Detail       string // free text; shown to the requester for denials; how it was done, to complete a request
	// Completing a request: in full (the default) or in part, and then
	// what was not done and why.
	Outcome string
	NotDone string
	// Override is an administrator's reason for completing a request
	// while tasks are still open.
	Override string
}

// Outcomes of a completed request (the CCPA metrics count compliance in
// whole and in part, 11 CCR §7102).
const (
	OutcomeFull    = "full"
	OutcomePartial = "partial"
)

// CanOverride reports whether role may complete a request with tasks open.
func CanOverride(role string) bool { return role == RoleAdmin }

// Move applies a staff decision, records it and tells the requester. The
// request is re-read and locked inside the transaction: the decision is
// checked against the state it is in now, not the one a page showed.
func (rs *Requests) Move(ctx context.Context, id int64, t Transition, actor Actor) error {
	c := rs.c
	v := &ValidationError{}
	t.Detail = text(v, "detail", t.Detail, MultiLine, false, MaxNote)
	t.NotDone = text(v, "not_done", t.NotDone, MultiLine, false, MaxNote)
	t.Override = text(v, "override", t.Override, MultiLine, false, MaxNote)
	if err := v.Err(); err != nil {
		return err
	}
	return c.write(ctx, func(tx *tx) error {
		r, err := tx.lockRequest(id)
		if err != nil {
			return err
		}
		if t.To == StatusVerified {
			// A request whose identity is being checked is verified by
			// deciding its check, with a note of how (Verifications.Decide).
			ch, err := tx.openCheck(r.ID)
			if err != nil {
				return err
			}
			if ch != nil {
				if t.Detail == "" {
					return invalid("detail", "error.detail.verify")
				}
				if !r.CanMoveTo(t.To) {
					return ErrInvalidState
				}
				return tx.pass(ch, r, MethodStaff, ch.MatchedFields(), "", t.Detail, actor)
			}
		}
		return tx.decide(r, t, actor)
	})
}

// decide applies staff's decision t to r, read and locked: it checks the
// decision against the state r is in now, records it and tells the
// requester.
func (tx *tx) decide(r *Request, t Transition, actor Actor) error {
	c := tx.c
	v := &ValidationError{}
	if !r.CanMoveTo(t.To) || !decided(t.To) {
		return ErrInvalidState
	}
	if t.To == StatusDenied {
		if !contains(c.Rules.DenialReasons(rules.Jurisdiction(r.Jurisdiction), r.RuleRight()), t.DenialReason) {
			v.Add("denial_reason", "error.denial_reason.required")
		}
		// "Other" says nothing by itself; a fraud denial must say why (11 CCR
		// §7026(e)); an appeal upheld gives written reasons (Va. Code §59.1-577(C)).
		if (t.DenialReason == "other" || t.DenialReason == "fraud" || t.DenialReason == "upheld") && t.Detail == "" {
			v.Add("detail", "error.detail.required")
		}
	}
	if r.Kind == KindComplaint && t.To == StatusCompleted && t.Detail == "" {
		// The person is told the outcome (DPA 2018 s.164A(4)(b)).
		v.Add("detail", "error.outcome.required")
	}
	fulfil := r.Kind == KindRequest && t.To == StatusCompleted
	if fulfil {
		if t.Outcome == "" {
			t.Outcome = OutcomeFull
		}
		switch {
		case t.Outcome != OutcomeFull && t.Outcome != OutcomePartial:
			v.Add("outcome", "error.outcome_kind.required")
		case t.Outcome == OutcomePartial && t.NotDone == "":
			v.Add("not_done", "error.not_done.required")
		}
		if t.Detail == "" {
			v.Add("detail", "error.fulfilled.required")
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	var err error
	if fulfil {
		if t.Override, err = tx.checkFulfilled(r, t, actor); err != nil {
			return err
		}
	}
	if err := tx.setStatus(r, t.To, actor, t.Detail); err != nil {
		return err
	}
	if fulfil {
		if err := tx.Model(&Request{}).Where("id = ?", r.ID).Updates(map[string]any{"outcome": t.Outcome,
			"outcome_note": t.Detail, "not_done": t.NotDone, "override_reason": t.Override}).Error; err != nil {
			return err
		}
	}
	if t.To == StatusDenied {
		if err := tx.Model(&Request{}).Where("id = ?", r.ID).
			Updates(map[string]any{"denial_reason": t.DenialReason, "denial_detail": t.Detail}).Error; err != nil {
			return err
		}
	}
	// A denied or withdrawn opt-out is not in force: its preference reverts.
	switch t.To {
	case StatusDenied:
		err = tx.choiceRequestClosed(r, SourceDenied, actor)
	case StatusWithdrawn:
		err = tx.choiceRequestClosed(r, SourceWithdrawn, actor)
	}
	if err != nil {
		return err
	}
	var sub Submission
	if err := tx.Where("id = ?", r.SubmissionID).Take(&sub).Error; err != nil {
		return err
	}
	if t.To == StatusVerified && sub.EmailVerifiedAt == nil {
		// Staff verified the person by other means (phone, documents).
		if err := tx.Model(&Submission{}).Where("id = ?", sub.ID).Update("email_verified_at", c.Now()).Error; err != nil {
			return err
		}
	}
	data := MailData{Name: sub.Name, Reference: sub.Reference, TrackURL: c.trackURLOf(&sub), Right: r.Right, Status: t.To,
		Jurisdiction: r.Jurisdiction, Reason: t.DenialReason, ReasonText: t.Detail, Extra: kindExtra(r.Kind)}
	if fulfil {
		// The note may say what was found: the mail says only that it
		// is done, in whole or in part; the tracking page says the rest.
		data.ReasonText = ""
		if t.Outcome == OutcomePartial {
			data.Extra = map[string]string{"partial": "1"}
		}
	}
	if t.To == StatusDenied && r.Kind == KindRequest {
		if _, ok := c.Rules.Appeal(rules.Jurisdiction(r.Jurisdiction)); ok {
			until := c.Rules.AppealWindowEnds(rules.Jurisdiction(r.Jurisdiction), *r.ClosedAt).UTC()
			data.Until = &until // the mail says until when the person may appeal
		}
	}
	// A denial tells the person their recourse even when an agent filed (rule 7).
	if err := tx.tellRequester(&sub, MailStatusChanged, data, t.To == StatusDenied); err != nil {
		return err
	}
	return tx.audit(actor, "request.status", "request", r.ID, t.To+" "+t.DenialReason)
}

// AddNote adds an internal note, never shown to the requester.
func (rs *Requests) AddNote(ctx context.Context, id int64, body string, actor Actor) error {
	body, err := requiredText("note", body)
	if err != nil {
		return err
	}
	return rs.c.write(ctx, func(tx *tx) error {
		if _, err := tx.lockRequest(id); err != nil {
			return err
		}
		if err := tx.event(id, EventNote, actor, "", "", body, true); err != nil {
			return err
		}
		return tx.audit(actor, "request.note", "request", id, "")
	})
}

// Offline reports whether the person request id is from is answered by
// post or phone (Submission.Offline): nothing about it is mailed to them.
func (rs *Requests) Offline(ctx context.Context, id int64) (bool, error) {
	var subs []Submission
	err := rs.c.read(ctx).Table("requests").Joins("JOIN submissions ON submissions.id = requests.submission_id").
		Where("requests.id = ?", id).Limit(1).Select("submissions.email, submissions.on_behalf, submissions.jurisdiction").Scan(&subs).Error
	return len(subs) == 1 && subs[0].Offline(), err
}

// ErrNotManualAck: the request's acknowledgement is not one staff record
// (none is due, it was sent already, or it goes by e-mail automatically).
var ErrNotManualAck = &Error{Kind: KindConflict, Key: "error.ack.not_manual"}

// Acknowledge records that staff acknowledged request id by post or by
// phone: for a person with no e-mail (Submission.NoEmail) the automatic
// acknowledgement cannot be sent (RULES.md rule 4), so its date is the day
// staff say they sent it: day is that day's first moment in the
// organization's time zone, from the day the request was received to
// today (zero: now), so that a letter posted on time but recorded late is
// not shown late. Once only, by a guarded UPDATE.
func (rs *Requests) Acknowledge(ctx context.Context, id int64, day time.Time, actor Actor) error {
	now := rs.c.Now()
	if day.After(now) {
		return invalid("acked_on", "error.acked_on.future")
	}
	return rs.c.write(ctx, func(tx *tx) error {
		r, err := tx.lockRequest(id)
		if err != nil {
			return err
		}
		at := now
		if !day.IsZero() {
			if !day.AddDate(0, 0, 1).After(r.ReceivedAt) {
				return invalid("acked_on", "error.acked_on.before_received")
			}
			at = day
			if at.Before(r.ReceivedAt) { // the day it was received
				at = r.ReceivedAt
			}
		}
		var sub Submission
		if err := tx.Select("id, email, channel, on_behalf, jurisdiction").Where("id = ?", r.SubmissionID).Take(&sub).Error; err != nil {
			return err
		}
		if !sub.Offline() || r.AckDueAt == nil || r.Closed() {
			return ErrNotManualAck
		}
		res := tx.Model(&Request{}).Where("id = ? AND acknowledged_at IS NULL", id).Update("acknowledged_at", at)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrNotManualAck
		}
		by := "mail"
		if sub.Channel == "phone" {
			by = "phone"
		}
		if err := tx.event(id, EventAcknowledged, actor, "", "", by, false); err != nil {
			return err
		}
		return tx.audit(actor, "request.acknowledge", "request", id, by)
	})
}

// SendMessage puts a message in the request's thread (see
// Messages.Send) and emails the requester that one is waiting; the mail
// itself carries no content.
func (rs *Requests) SendMessage(ctx context.Context, id int64, body string, actor Actor) error {
	body, err := requiredText("message", body)
	if err != nil {
		return err
	}
	return rs.c.write(ctx, func(tx *tx) error {
		r, err := tx.lockRequest(id)
		if err != nil {
			return err
		}
		return tx.sendMessage(r, body, nil, nil, actor)
	})
}

// kindExtra marks mail about an appeal or a complaint, so the mail names it.
func kindExtra(kind string) map[string]string {
	switch kind {
	case KindAppeal:
		return map[string]string{"appeal": "1", "kind": kind}
	case KindComplaint:
		return map[string]string{"kind": kind}
	}
	return nil
}

// Extension refusals, each with the message staff see.
var (
	ErrExtensionNotAllowed = &Error{Kind: KindConflict, Key: "error.extension.not_allowed", Field: "reason", Err: rules.ErrExtensionNotAllowed}
	ErrExtensionTooLate    = &Error{Kind: KindConflict, Key: "error.extension.too_late", Field: "reason", Err: rules.ErrExtensionTooLate}
	ErrAlreadyExtended     = &Error{Kind: KindConflict, Key: "error.extension.already", Field: "reason", Err: rules.ErrAlreadyExtended}
	ErrExtensionClosed     = &Error{Kind: KindConflict, Key: "error.extension.closed", Field: "reason"}
	ErrExtensionPaused     = &Error{Kind: KindConflict, Key: "error.extension.paused", Field: "reason"}
)

// extensionRefusal decides whether r may be extended at now: nil when it
// may, else the reason it may not. Whether an appeal or complaint may be
// extended is the law table's to say (rules.Engine.Extension). While the
// clock stands still there is nothing to extend: staff extend, if they
// still need to, once the information has arrived.
func (c *Core) extensionRefusal(r *Request, now time.Time) *Error {
	if r.Closed() {
		return ErrExtensionClosed
	}
	if !c.Rules.CanExtend(rules.Jurisdiction(r.Jurisdiction), r.RuleRight()) {
		return ErrExtensionNotAllowed
	}
	if c.ClockStopped(r) {
		return ErrExtensionPaused
	}
	_, err := c.Rules.ExtendPaused(rules.Jurisdiction(r.Jurisdiction), r.RuleRight(), r.ReceivedAt, r.PausedDays, r.DueAt, r.ExtendedAt != nil, now)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, rules.ErrExtensionTooLate):
		return ErrExtensionTooLate
	case errors.Is(err, rules.ErrAlreadyExtended):
		return ErrAlreadyExtended
	}
	return ErrExtensionNotAllowed
}

// Extend grants the one extension the law allows, while the request is
// open and before its deadline, and tells the person the new date and why.
// The row is re-read and locked, and the UPDATE guarded by the same
// conditions, so an extension racing a denial or a second extension loses.
func (rs *Requests) Extend(ctx context.Context, id int64, reason string, actor Actor) error {
	reason, err := requiredText("reason", reason)
	if err != nil {
		return err
	}
	c := rs.c
	return c.write(ctx, func(tx *tx) error {
		r, err := tx.lockRequest(id)
		if err != nil {
			return err
		}
		now := c.Now()
		if refusal := c.extensionRefusal(r, now); refusal != nil {
			return refusal
		}
		newDue, err := c.Rules.ExtendPaused(rules.Jurisdiction(r.Jurisdiction), r.RuleRight(), r.ReceivedAt, r.PausedDays, r.DueAt, false, now)
		if err != nil {
			return err
		}
		newDue = newDue.UTC()
		res := tx.Model(&Request{}).
			Where("id = ? AND extended_at IS NULL AND due_at >= ? AND "+c.runningSQL("requests"), r.ID, now).
			Updates(map[string]any{"due_at": newDue, "extended_at": now, "extension_reason": reason, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrAlreadyExtended
		}
		if err := tx.event(r.ID, EventExtended, actor, "", "", reason, false); err != nil {
			return err
		}
		var sub Submission
		if err := tx.Where("id = ?", r.SubmissionID).Take(&sub).Error; err != nil {
			return err
		}
		// The notice of an extension goes to the person even when an agent filed (rule 3).
		if err := tx.tellRequester(&sub, MailExtended, MailData{Name: sub.Name,
			Reference: sub.Reference, TrackURL: c.trackURLOf(&sub), Right: r.Right, DueAt: &newDue, ReasonText: reason, Jurisdiction: r.Jurisdiction,
			Extra: kindExtra(r.Kind)}, true); err != nil {
			return err
		}
		if err := tx.drpChanged(r.ID); err != nil {
			return err
		}
		return tx.audit(actor, "request.extend", "request", r.ID, newDue.Format(time.DateOnly))
	})
}

// ErrNotDuplicate: the two requests are not the same person asking for
// the same thing, both open.
var ErrNotDuplicate = &Error{Kind: KindConflict, Key: "error.merge.not_duplicate"}

// Merge joins request id to an earlier open request of the same person
// (same confirmed address) for the same right: id closes as merged, the
// other carries on with its own (earlier) deadline, both timelines say so,
// and the person is told. Both rows are locked, in id order.
func (rs *Requests) Merge(ctx context.Context, id, intoID int64, actor Actor) error {
	if id == intoID {
		return ErrNotDuplicate
	}
	c := rs.c
	return c.write(ctx, func(tx *tx) error {
		first, second := min(id, intoID), max(id, intoID)
		a, err := tx.lockRequest(first)
		if err != nil {
			return err
		}
		b, err := tx.lockRequest(second)
		if err != nil {
			return err
		}
		r, into := a, b
		if r.ID != id {
			r, into = b, a
		}
		var subs []Submission
		if err := tx.Where("id IN ?", []int64{r.SubmissionID, into.SubmissionID}).Find(&subs).Error; err != nil {
			return err
		}
		if len(subs) != 2 || subs[0].Email != subs[1].Email || subs[0].NoEmail() || subs[0].EmailVerifiedAt == nil || subs[1].EmailVerifiedAt == nil ||
			r.Right != into.Right || r.Kind != KindRequest || into.Kind != KindRequest || r.Closed() || into.Closed() {
			return ErrNotDuplicate
		}
		sub := subs[0]
		intoSub := subs[1]
		if sub.ID != r.SubmissionID {
			sub, intoSub = intoSub, sub
		}
		if err := tx.setStatus(r, StatusMerged, actor, intoSub.Reference); err != nil {
			return err
		}
		if err := tx.Model(&Request{}).Where("id = ?", r.ID).Update("merged_into_id", into.ID).Error; err != nil {
			return err
		}
		if err := tx.event(into.ID, EventMerged, actor, "", "", sub.Reference, false); err != nil {
			return err
		}
		due := into.DueAt
		if err := tx.enqueue(sub.Email, MailStatusChanged, sub.Lang, MailData{Name: sub.Name, Reference: sub.Reference,
			TrackURL: c.trackURLOf(&sub), Right: r.Right, Status: StatusMerged, DueAt: &due,
			Extra: map[string]string{"into": intoSub.Reference}}); err != nil {
			return err
		}
		return tx.audit(actor, "request.merge", "request", r.ID, "into="+itoa(into.ID))
	})
}

// requiredText cleans a required multi-line field (note, message, reason).
func requiredText(field, body string) (string, error) {
	v := &ValidationError{}
	body = text(v, field, body, MultiLine, true, MaxNote)
	return body, v.Err()
}

// How close to the deadline an open request turns "at risk"; where silence
// is a deemed refusal (Quebec, PIPEDA), earlier.
const (
	AtRiskDays              = 7
	AtRiskDaysDeemedRefusal = 10
)

// Urgency levels.
const (
	UrgencyNone    = ""
	UrgencyRisk    = "risk"
	UrgencyOverdue = "overdue"
)

// Urgency is how pressing an open request is.
type Urgency struct {
	Open bool
	// Waiting: the request waits for the person's answer; Paused: its
	// clock stands still meanwhile (where the law allows), so no count.
	Waiting       bool
	Paused        bool
	DaysLeft      int    // whole days to the deadline; negative when overdue
	Level         string // UrgencyNone, UrgencyRisk or UrgencyOverdue
	DeemedRefusal bool   // silence past the deadline counts as a refusal here
}

// UrgencyOf decides how pressing a request in jurisdiction j, in status
// status and due at due, is at now. A stopped clock is not pressing: the
// deadline moves when it restarts.
func (c *Core) UrgencyOf(j string, due time.Time, status string, now time.Time) Urgency {
	u := Urgency{Open: contains(OpenStatuses, status), Waiting: status == StatusAwaitingInformation,
		DeemedRefusal: c.Rules.DeemedRefusal(rules.Jurisdiction(j))}
	// Where the law lets a clock stop, every question that may be asked
	// there stops it (AskReasons); elsewhere none does.
	u.Paused = u.Waiting && c.Rules.Law(rules.Jurisdiction(j)).Pause != nil
	if !u.Open || u.Paused {
		return u
	}
	u.DaysLeft = daysLeft(due, now)
	switch {
	case u.DaysLeft < 0:
		u.Level = UrgencyOverdue
	case u.DaysLeft <= AtRiskDays, u.DeemedRefusal && u.DaysLeft <= AtRiskDaysDeemedRefusal:
		u.Level = UrgencyRisk
	}
	return u
}

// daysLeft counts whole days from now to the deadline (due in 30 hours = 1
// day); any lateness, even part of a day, counts as a day overdue.
func daysLeft(due, now time.Time) int {
	d := due.Sub(now)
	if d < 0 {
		return -int((-d + 24*time.Hour - 1) / (24 * time.Hour))
	}
	return int(d / (24 * time.Hour))
}
