package models

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/rules"
	"gorm.io/gorm"
)

// Authorities an agent may show for acting for a person.
const (
	// AuthorityPermission is a permission the person signed (11 CCR
	// §7063(a)(1)); the person is also asked to confirm it directly
	// (§7063(a)(2)) for every right that needs verification.
	AuthorityPermission = "permission"
	// AuthorityPOA is a power of attorney under Probate Code §§4121–4130:
	// the person is not asked anything (§7063(b)).
	AuthorityPOA = "power_of_attorney"
	// AuthorityGuardian is a parent or legal guardian of a minor, who acts
	// by their own right: the child is not asked to confirm; staff check
	// the proof of parenthood or guardianship.
	AuthorityGuardian = "guardian"
)

// Authorities lists the kinds of authority, in the form's order.
var Authorities = []string{AuthorityPermission, AuthorityPOA, AuthorityGuardian}

// Review states of an agent's authority, and the person's confirmation.
const (
	ReviewPending  = "pending"
	ReviewAccepted = "accepted"
	ReviewRejected = "rejected"

	ConfirmNotRequired = "not_required"
	ConfirmWaiting     = "waiting"
	ConfirmConfirmed   = "confirmed"
	ConfirmRefused     = "refused" // the person says they did not authorize the agent: suspected fraud
)

// Timeline events of agent filings.
const (
	EventAuthorityAccepted = "authority_accepted"
	EventAuthorityRejected = "authority_rejected"
	EventPersonConfirmed   = "person_confirmed"
	EventPersonRefused     = "person_refused"
	EventReminder          = "reminder"
)

// DenialNoAuthority is the denial reason when staff reject an agent's
// authority (11 CCR §7063(a), §7026(d): a request from an agent who does
// not show the person's permission may be denied).
const DenialNoAuthority = "no_authority"

// Reminders of the person's confirmation.
const (
	ReminderEvery = 3 * 24 * time.Hour
	MaxReminders  = 2
)

// AgentFiling is a submission an agent filed for a person: the authority
// shown, staff's review of it, and the person's own confirmation.
type AgentFiling struct {
	ID              int64
	SubmissionID    int64
	AgentID         int64
	Channel         string // web or api
	Authority       string
	AuthorityStatus string
	AuthorityReason string
	ReviewedBy      *int64
	ReviewedAt      *time.Time
	Confirmation    string
	ConfirmedAt     *time.Time
	Reminders       int
	LastMailedAt    *time.Time
	CreatedAt       time.Time
}

// Established reports whether the agent's authority is settled: accepted
// by staff, and confirmed by the person where that is asked.
func (f *AgentFiling) Established() bool {
	return f.AuthorityStatus == ReviewAccepted && (f.Confirmation == ConfirmNotRequired || f.Confirmation == ConfirmConfirmed)
}

// Waiting says what an agent's filing waits for: "person" (their
// confirmation), "review" (staff's review of the authority), or "".
func (f *AgentFiling) Waiting() string {
	switch {
	case f.Confirmation == ConfirmWaiting:
		return "person"
	case f.AuthorityStatus == ReviewPending || f.Confirmation == ConfirmRefused:
		return "review"
	}
	return ""
}

// Filings is the aggregate of what agents file for people.
type Filings struct {
	c    *Core
	docs *Documents
}

// NewFilings returns the filings aggregate; docs stores the designations.
func NewFilings(c *Core, docs *Documents) *Filings { return &Filings{c: c, docs: docs} }

// FilingInput is an agent's filing: the person (where they live, their
// details, the rights) and the authority shown.
type FilingInput struct {
	Person    SubmissionInput
	Authority string
}

// AgentAllows reports whether an agent showing authority may exercise r
// in j: a parent or guardian of a child wherever the law gives the right
// (rules.GuardianAllowed), anyone else where the law lets agents act
// (rules.AgentAllowed).
func (f *Filings) AgentAllows(j rules.Jurisdiction, r rules.Right, authority string) bool {
	if authority == AuthorityGuardian {
		return f.c.Rules.GuardianAllowed(j, r)
	}
	return f.c.Rules.AgentAllowed(j, r)
}

// Offer splits the rights of j into those an agent may file and those it
// may not (the form says why).
func (f *Filings) Offer(j rules.Jurisdiction) (allowed, missing []rules.Right) {
	for _, r := range f.c.Rules.Rights(j) {
		if r == rules.RightAppeal {
			continue
		}
		if f.c.Rules.AgentAllowed(j, r) {
			allowed = append(allowed, r)
		} else {
			missing = append(missing, r)
		}
	}
	return allowed, missing
}

// ValidateWhere checks where the person lives (step 1 of the agent's form).
func (f *Filings) ValidateWhere(in *FilingInput) error {
	in.Person.OnBehalf, in.Person.byAgent = "agent", true
	v := &ValidationError{}
	validateWhere(v, &in.Person)
	return v.Err()
}

// Validate checks the whole filing and cleans it.
func (f *Filings) Validate(in *FilingInput) error {
	in.Person.OnBehalf, in.Person.byAgent = "agent", true
	v := &ValidationError{}
	if err := NewSubmissions(f.c).Validate(&in.Person); err != nil {
		var ve *ValidationError
		if !errors.As(err, &ve) {
			return err
		}
		v = ve
	}
	if !contains(Authorities, in.Authority) {
		v.Add("authority", "error.authority.required")
	}
	j := rules.Resolve(in.Person.Country, in.Person.Region)
	for _, r := range in.Person.Rights {
		if !f.AgentAllows(j, rules.Right(r), in.Authority) {
			v.Add("rights", "error.rights.agent_not_allowed")
		}
	}
	return v.Err()
}

// confirmationRequired decides whether the person is asked to confirm
// they gave the agent permission: for a signed permission, when any right
// asked needs verification (11 CCR §7063(a) covers requests to know,
// delete and correct; an opt-out needs the signed permission only,
// §7026(d)); never for a power of attorney (§7063(b)) nor for a parent or
// guardian of a child.
func (f *Filings) confirmationRequired(j rules.Jurisdiction, authority string, rights []string) bool {
	if authority != AuthorityPermission {
		return false
	}
	for _, r := range rights {
		if f.c.Rules.VerificationTier(j, rules.Right(r)) != rules.TierNone {
			return true
		}
	}
	return false
}

// Filed is the result of a filing.
type Filed struct {
	Submission *Submission
	Filing     *AgentFiling
	Document   *Document
}

// File records an agent's filing for a person with its signed document,
// read from doc as a stream: the input is checked first (nothing of doc
// is read if it is wrong), then the document is checked and stored, then
// the submission, its requests, the filing and the document's record are
// written in one transaction. If that fails, the stored file is removed:
// nothing is left half-written. Each request's clock starts now.
func (f *Filings) File(ctx context.Context, agent *Agent, in FilingInput, doc io.Reader, actor Actor) (*Filed, error) {
	if !agent.Approved() {
		return nil, ErrAgentNotApproved
	}
	if err := f.Validate(&in); err != nil {
		return nil, err
	}
	if doc == nil {
		return nil, ErrUploadMissing
	}
	stored, err := f.docs.put(ctx, "agent-filings", doc)
	if err != nil {
		return nil, err
	}
	var out *Filed
	err = f.c.write(ctx, func(tx *tx) error {
		sub, filing, err := tx.fileForAgent(f, agent, in, "web", ReviewPending, actor)
		if err != nil {
			return err
		}
		d, err := tx.insertDocument(stored, OwnerAgentFiling, filing.ID, actor, "")
		if err != nil {
			return err
		}
		out = &Filed{Submission: sub, Filing: filing, Document: d}
		return nil
	})
	if err != nil {
		f.docs.discard(ctx, stored)
		return nil, err
	}
	return out, nil
}

// fileForAgent writes a filing's submission, requests and filing row, and
// queues its mail: the agent is told the requests were received (and
// acknowledged, where the law wants it); the person is asked to confirm,
// where that is asked. review is the authority's state at filing
// (accepted for a DRP agent staff approved, whose signed request is its
// attestation).
func (t *tx) fileForAgent(f *Filings, agent *Agent, in FilingInput, channel, review string, actor Actor) (*Submission, *AgentFiling, error) {
	c := t.c
	p := in.Person
	if p.Lang == "" {
		p.Lang = "en"
	}
	received := c.Now()
	j := rules.Resolve(p.Country, p.Region)
	token := newToken()
	sub := &Submission{
		TrackingHash: c.hash("track", token), TrackingSealed: c.sealToken(token), OnBehalf: "agent", Name: p.Name, Email: p.Email,
		Phone: p.Phone, Country: p.Country, Region: p.Region, Jurisdiction: string(j), Relationship: p.Relationship,
		Details: p.Details, Lang: p.Lang, Channel: channel, ReceivedAt: received, CreatedAt: received, UpdatedAt: received,
	}
	if p.Channel == "api" {
		sub.Channel = "api"
	}
	if p.IdempotencyKey != "" {
		h := c.hash("idem", p.IdempotencyKey)
		sub.IdempotencyHash = &h
	}
	if err := insertSubmission(t, sub); err != nil {
		return nil, nil, err
	}
	filing := &AgentFiling{SubmissionID: sub.ID, AgentID: agent.ID, Channel: channel, Authority: in.Authority,
		AuthorityStatus: review, Confirmation: ConfirmNotRequired, CreatedAt: received}
	if f.confirmationRequired(j, in.Authority, p.Rights) {
		filing.Confirmation = ConfirmWaiting
		filing.LastMailedAt = &received
		if ok, _, err := c.allow(t.DB, mailPerRecipient, sub.Email); err != nil {
			return nil, nil, err
		} else if !ok {
			return nil, nil, ErrThrottled
		}
	}
	if review == ReviewAccepted {
		filing.ReviewedAt = &received
	}
	if err := t.Create(filing).Error; err != nil {
		return nil, nil, err
	}
	ackRights, err := t.insertRequests(sub, p.Rights, sub.Channel, actor, received, !filing.Established(), false)
	if err != nil {
		return nil, nil, err
	}
	if in.Authority == AuthorityPermission {
		// The person verifies their own identity directly, at the tier of
		// each right (11 CCR §7063(a)(2)); not under a power of attorney
		// (§7063(b)), nor for a child, whose guardian's proof staff check.
		if err := t.openChecks(sub.Requests); err != nil {
			return nil, nil, err
		}
	}
	if filing.Established() {
		// Established at once (an approved DRP agent's opt-out): what
		// needs no verification is verified.
		var ids []int64
		for _, r := range sub.Requests {
			ids = append(ids, r.ID)
		}
		checked, err := t.checkedRequests(ids)
		if err != nil {
			return nil, nil, err
		}
		for i := range sub.Requests {
			r := &sub.Requests[i]
			if r.Status == StatusAwaitingVerification && !checked[r.ID] {
				if err := t.setStatus(r, StatusVerified, SystemActor, ""); err != nil {
					return nil, nil, err
				}
			}
		}
	}
	if err := t.audit(actor, "filing.create", "submission", sub.ID, "agent="+strconv.FormatInt(agent.ID, 10)+
		" authority="+in.Authority+" rights="+strings.Join(p.Rights, ",")+" jurisdiction="+string(j)); err != nil {
		return nil, nil, err
	}
	agentURL := c.BaseURL + "/agent/requests/" + strconv.FormatInt(filing.ID, 10)
	if addr := agent.EmailAddr(); addr != "" {
		data := MailData{Name: agent.Name, Reference: sub.Reference, TrackURL: agentURL, Rights: p.Rights, Agent: sub.Name,
			Status: filing.Waiting()}
		if len(ackRights) > 0 {
			data.DueAt = &sub.Requests[0].DueAt
		}
		if err := t.enqueue(addr, MailAgentFiled, "en", data); err != nil {
			return nil, nil, err
		}
	}
	if filing.Confirmation == ConfirmWaiting {
		if err := t.enqueue(sub.Email, MailAgentConfirm, sub.Lang, MailData{Name: sub.Name, Reference: sub.Reference,
			TrackURL: c.TrackURL(token), Rights: p.Rights, Agent: agent.Label()}); err != nil {
			return nil, nil, err
		}
	}
	return sub, filing, nil
}

// filingOf loads the filing of a submission, and its agent; nil when the
// person filed for themselves.
func (t *tx) filingOf(subID int64) (*AgentFiling, *Agent, error) {
	var f AgentFiling
	err := t.forUpdate().Where("submission_id = ?", subID).Take(&f).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	var a Agent
	if err := t.Where("id = ?", f.AgentID).Take(&a).Error; err != nil {
		return nil, nil, err
	}
	return &f, &a, nil
}

// tellRequester queues a mail about sub for whoever acts for the person:
// the person, or, when an agent filed, the agent (with a link to their
// own page of the filing) and the person too where personToo says the law
// requires it (a denial's reasons and recourse, rule 7; an extension's
// notice, rule 3).
func (t *tx) tellRequester(sub *Submission, template string, data MailData, personToo bool) error {
	if sub.OnBehalf != "agent" {
		return t.enqueue(sub.Email, template, sub.Lang, data)
	}
	f, a, err := t.filingOf(sub.ID)
	if err != nil {
		return err
	}
	if f == nil {
		return t.enqueue(sub.Email, template, sub.Lang, data)
	}
	if addr := a.EmailAddr(); addr != "" {
		d := data
		d.Name, d.Agent = a.Name, sub.Name
		d.TrackURL = t.c.BaseURL + "/agent/requests/" + strconv.FormatInt(f.ID, 10)
		if err := t.enqueue(addr, template, "en", d); err != nil {
			return err
		}
	}
	if personToo {
		data.Agent = a.Label()
		return t.enqueue(sub.Email, template, sub.Lang, data)
	}
	return nil
}

// establish moves the requests of a filing whose authority is now settled
// out of waiting: each becomes verified.
func (t *tx) establish(f *AgentFiling, actor Actor) error {
	if !f.Established() {
		return nil
	}
	var reqs []Request
	if err := t.forUpdate().Where("submission_id = ? AND status = ?", f.SubmissionID, StatusAwaitingVerification).
		Order("id").Find(&reqs).Error; err != nil {
		return err
	}
	var ids []int64
	for _, r := range reqs {
		ids = append(ids, r.ID)
	}
	// A request whose identity the person must still prove waits for it.
	checked, err := t.checkedRequests(ids)
	if err != nil {
		return err
	}
	for i := range reqs {
		if checked[reqs[i].ID] {
			continue
		}
		if err := t.setStatus(&reqs[i], StatusVerified, actor, ""); err != nil && !errors.Is(err, ErrInvalidState) {
			return err
		}
	}
	return nil
}

// ErrAnswered: the person already answered whether they authorized the agent.
var ErrAnswered = &Error{Kind: KindConflict, Key: "error.confirm.answered"}

// Confirm records the person's answer, from their tracking page, to
// whether they asked the agent to act for them; the answer is given once.
// Yes confirms the permission and, since the link came to their own
// address, their e-mail. No flags the filing as suspected fraud, on every
// request's timeline, and tells staff at once.
func (f *Filings) Confirm(ctx context.Context, trackingToken string, yes bool, actor Actor) error {
	sub, err := f.c.byTrackingToken(ctx, trackingToken)
	if err != nil {
		return err
	}
	c := f.c
	return c.write(ctx, func(tx *tx) error {
		filing, agent, err := tx.filingOf(sub.ID)
		if err != nil {
			return err
		}
		if filing == nil {
			return ErrNotFound
		}
		answer := ConfirmConfirmed
		if !yes {
			answer = ConfirmRefused
		}
		now := c.Now()
		res := tx.Model(&AgentFiling{}).Where("id = ? AND confirmation = ?", filing.ID, ConfirmWaiting).
			Updates(map[string]any{"confirmation": answer, "confirmed_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrAnswered
		}
		filing.Confirmation, filing.ConfirmedAt = answer, &now
		kind := EventPersonConfirmed
		if !yes {
			kind = EventPersonRefused
		}
		for _, r := range sub.Requests {
			if err := tx.event(r.ID, kind, actor, "", "", "", false); err != nil {
				return err
			}
		}
		if yes {
			if err := tx.Model(&Submission{}).Where("id = ? AND email_verified_at IS NULL", sub.ID).
				Updates(map[string]any{"email_verified_at": now, "updated_at": now}).Error; err != nil {
				return err
			}
			if err := tx.establish(filing, SystemActor); err != nil {
				return err
			}
			return tx.audit(actor, "filing.confirmed", "submission", sub.ID, "")
		}
		// Suspected fraud: every member of staff who works requests is told.
		var staff []Staff
		if err := tx.Where("disabled_at IS NULL AND role IN ?", []string{RoleAdmin, RoleOfficer, RoleReviewer}).
			Order("id").Find(&staff).Error; err != nil {
			return err
		}
		url := c.BaseURL + "/admin/requests/"
		if len(sub.Requests) > 0 {
			url += strconv.FormatInt(sub.Requests[0].ID, 10)
		}
		for _, st := range staff {
			if err := tx.enqueue(st.Email, MailFraudAlert, "en", MailData{Name: st.Name, Reference: sub.Reference,
				URL: url, Agent: agent.Label()}); err != nil {
				return err
			}
		}
		return tx.audit(actor, "filing.refused_by_person", "submission", sub.ID, "agent="+strconv.FormatInt(agent.ID, 10))
	})
}

// ErrAuthorityDecided: staff decided on the agent's authority already.
var ErrAuthorityDecided = &Error{Kind: KindConflict, Key: "error.authority.decided", Field: "decision"}

// Review records staff's decision on the authority an agent showed for
// the submission of request id, once. Accepting it lets the requests go
// on (once the person confirmed, where asked); rejecting it denies every
// open request of the filing, with the reason, which agent and person are
// told with the person's recourse.
func (f *Filings) Review(ctx context.Context, requestID int64, accept bool, reason string, actor Actor) error {
	c := f.c
	return c.write(ctx, func(tx *tx) error {
		r, err := tx.lockRequest(requestID)
		if err != nil {
			return err
		}
		filing, agent, err := tx.filingOf(r.SubmissionID)
		if err != nil {
			return err
		}
		if filing == nil {
			return ErrNotFound
		}
		v := &ValidationError{}
		reason = text(v, "reason", reason, MultiLine, !accept, MaxNote)
		if err := v.Err(); err != nil {
			return err
		}
		status := ReviewAccepted
		if !accept {
			status = ReviewRejected
		}
		now := c.Now()
		res := tx.Model(&AgentFiling{}).Where("id = ? AND authority_status = ?", filing.ID, ReviewPending).
			Updates(map[string]any{"authority_status": status, "authority_reason": reason, "reviewed_by": actor.StaffID, "reviewed_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrAuthorityDecided
		}
		filing.AuthorityStatus = status
		var sub Submission
		if err := tx.Where("id = ?", filing.SubmissionID).Take(&sub).Error; err != nil {
			return err
		}
		var reqs []Request
		if err := tx.forUpdate().Where("submission_id = ?", sub.ID).Order("id").Find(&reqs).Error; err != nil {
			return err
		}
		kind := EventAuthorityAccepted
		if !accept {
			kind = EventAuthorityRejected
		}
		for _, q := range reqs {
			if err := tx.event(q.ID, kind, actor, "", "", reason, false); err != nil {
				return err
			}
		}
		data := MailData{Name: sub.Name, Reference: sub.Reference, TrackURL: c.trackURLOf(&sub), Status: status, ReasonText: reason}
		if err := tx.tellRequester(&sub, MailAuthority, data, true); err != nil {
			return err
		}
		if accept {
			if err := tx.establish(filing, actor); err != nil {
				return err
			}
		} else {
			for i := range reqs {
				q := &reqs[i]
				if q.Closed() || !q.CanMoveTo(StatusDenied) {
					continue
				}
				if err := tx.setStatus(q, StatusDenied, actor, reason); err != nil {
					return err
				}
				if err := tx.Model(&Request{}).Where("id = ?", q.ID).
					Updates(map[string]any{"denial_reason": DenialNoAuthority, "denial_detail": reason}).Error; err != nil {
					return err
				}
				if err := tx.tellRequester(&sub, MailStatusChanged, MailData{Name: sub.Name, Reference: sub.Reference,
					TrackURL: c.trackURLOf(&sub), Right: q.Right, Status: StatusDenied, Jurisdiction: q.Jurisdiction,
					Reason: DenialNoAuthority, ReasonText: reason}, true); err != nil {
					return err
				}
			}
		}
		return tx.audit(actor, "filing.authority_"+status, "submission", sub.ID, "agent="+strconv.FormatInt(agent.ID, 10))
	})
}

// SendReminders reminds people who have not yet answered whether they
// authorized an agent, every ReminderEvery, MaxReminders times, while a
// request of the filing is open; the clock runs all the while. Each
// reminder is claimed by a guarded update, so several instances send it
// once. It returns how many were queued.
func (f *Filings) SendReminders(ctx context.Context) (int, error) {
	c := f.c
	now := c.Now()
	var due []AgentFiling
	err := c.read(ctx).Where("confirmation = ? AND reminders < ? AND last_mailed_at <= ?", ConfirmWaiting, MaxReminders,
		now.Add(-ReminderEvery)).Order("id").Limit(200).Find(&due).Error
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, fl := range due {
		err := c.write(ctx, func(tx *tx) error {
			res := tx.Model(&AgentFiling{}).Where("id = ? AND confirmation = ? AND reminders = ?", fl.ID, ConfirmWaiting, fl.Reminders).
				Updates(map[string]any{"reminders": fl.Reminders + 1, "last_mailed_at": now})
			if res.Error != nil || res.RowsAffected != 1 {
				return res.Error
			}
			var sub Submission
			if err := tx.Where("id = ?", fl.SubmissionID).Take(&sub).Error; err != nil {
				return err
			}
			var open []Request
			if err := tx.Where("submission_id = ? AND status IN "+openStatusSQL, sub.ID).Order("id").Find(&open).Error; err != nil {
				return err
			}
			if len(open) == 0 {
				return nil
			}
			var a Agent
			if err := tx.Where("id = ?", fl.AgentID).Take(&a).Error; err != nil {
				return err
			}
			var rights []string
			for _, r := range open {
				rights = append(rights, r.Right)
				if err := tx.event(r.ID, EventReminder, SystemActor, "", "", "", true); err != nil {
					return err
				}
			}
			sent++
			return tx.enqueue(sub.Email, MailAgentConfirm, sub.Lang, MailData{Name: sub.Name, Reference: sub.Reference,
				TrackURL: c.trackURLOf(&sub), Rights: rights, Agent: a.Label(), Extra: map[string]string{"reminder": "1"}})
		})
		if err != nil {
			return sent, err
		}
	}
	return sent, nil
}

// Run sends reminders every quarter of an hour until ctx ends.
func (f *Filings) Run(ctx context.Context, log *slog.Logger) {
	t := time.NewTicker(15 * time.Minute)
	defer t.Stop()
	for {
		if n, err := f.SendReminders(ctx); err != nil {
			if !f.c.ReportOutage(err) && ctx.Err() == nil {
				log.Error("agent reminders failed", "err", err)
			}
		} else if n > 0 {
			log.Info("agent confirmation reminders queued", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// FilingRow is one request on an agent's dashboard.
type FilingRow struct {
	FilingID     int64
	RequestID    int64
	Reference    string
	PersonName   string
	Right        string `gorm:"column:right_code"`
	Status       string
	DueAt        time.Time
	ReceivedAt   time.Time
	Confirmation string
	Authority    string
	// AuthorityStatus decides, with Confirmation, what the request waits for.
	AuthorityStatus string
}

// Waiting says what the row's request waits for ("person", "review", "").
func (r *FilingRow) Waiting() string {
	if !contains(OpenStatuses, r.Status) {
		return ""
	}
	f := AgentFiling{Confirmation: r.Confirmation, AuthorityStatus: r.AuthorityStatus}
	return f.Waiting()
}

// ForAgent lists every request an agent filed, newest first, optionally
// only those whose reference is q or whose person's name contains q.
func (f *Filings) ForAgent(ctx context.Context, agentID int64, q string) ([]FilingRow, error) {
	db := f.c.read(ctx).Table("requests").
		Select("agent_filings.id AS filing_id, requests.id AS request_id, submissions.reference, submissions.name AS person_name, "+
			"requests.right_code, requests.status, requests.due_at, requests.received_at, agent_filings.confirmation, "+
			"agent_filings.authority, agent_filings.authority_status").
		Joins("JOIN submissions ON submissions.id = requests.submission_id").
		Joins("JOIN agent_filings ON agent_filings.submission_id = submissions.id").
		Where("agent_filings.agent_id = ? AND requests.kind = ?", agentID, KindRequest)
	q = strings.TrimSpace(q)
	if q != "" {
		if clean, ok := CleanText(q, OneLine); !ok || len(clean) > MaxName {
			return nil, nil
		}
		like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(strings.ToLower(q)) + "%"
		if ref := NormalizeReference(q); ref != "" {
			db = db.Where("(submissions.reference = ? OR LOWER(submissions.name) LIKE ? ESCAPE '\\')", ref, like)
		} else {
			db = db.Where("LOWER(submissions.name) LIKE ? ESCAPE '\\'", like)
		}
	}
	var out []FilingRow
	err := db.Order("requests.id DESC").Limit(500).Scan(&out).Error
	return out, err
}

// FilingDetail is one filing as its agent sees it.
type FilingDetail struct {
	Filing     AgentFiling
	Submission Submission
	Documents  []Document
}

// ForAgentDetail loads one of an agent's filings; another agent's is
// ErrNotFound.
func (f *Filings) ForAgentDetail(ctx context.Context, agentID, filingID int64) (*FilingDetail, error) {
	if filingID <= 0 {
		return nil, ErrNotFound
	}
	db := f.c.read(ctx)
	var d FilingDetail
	err := db.Where("id = ? AND agent_id = ?", filingID, agentID).Take(&d.Filing).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if err := db.Where("id = ?", d.Filing.SubmissionID).Take(&d.Submission).Error; err != nil {
		return nil, err
	}
	if d.Submission.Requests, err = f.c.publicRequests(ctx, d.Submission.ID); err != nil {
		return nil, err
	}
	d.Documents, err = f.docs.ForOwner(ctx, OwnerAgentFiling, d.Filing.ID)
	return &d, err
}

// StaffView is what the staff request page shows of an agent's filing.
type StaffView struct {
	Filing    AgentFiling
	Agent     Agent
	Documents []Document
}

// OfSubmission loads the filing of a submission for staff; nil when the
// person filed for themselves.
func (f *Filings) OfSubmission(ctx context.Context, subID int64) (*StaffView, error) {
	db := f.c.read(ctx)
	var v StaffView
	err := db.Where("submission_id = ?", subID).Take(&v.Filing).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := db.Where("id = ?", v.Filing.AgentID).Take(&v.Agent).Error; err != nil {
		return nil, err
	}
	v.Documents, err = f.docs.ForOwner(ctx, OwnerAgentFiling, v.Filing.ID)
	return &v, err
}

// OfTrackingToken loads the filing behind a tracking link, for the
// person's page; nil when the person filed for themselves.
func (f *Filings) OfTrackingToken(ctx context.Context, sub *Submission) (*AgentFiling, *Agent, error) {
	if sub.OnBehalf != "agent" {
		return nil, nil, nil
	}
	v, err := f.OfSubmission(ctx, sub.ID)
	if err != nil || v == nil {
		return nil, nil, err
	}
	return &v.Filing, &v.Agent, nil
}
