package models

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/blob"
	"github.com/rightsdesk/rightsdesk/internal/lookup"
	"github.com/rightsdesk/rightsdesk/internal/rules"
	"github.com/rightsdesk/rightsdesk/internal/verify"
	"gorm.io/gorm"
)

// Identity verification by risk. Each request is received with the tier
// its law asks (rules.Engine.Effective, raised by the organization's
// settings where the law lets it): none or the e-mail need no more; two
// or three data points open an IdentityCheck. Once the person confirmed
// their e-mail, their tracking page asks the organization's questions on
// one page (and, at three points, a declaration signed under penalty of
// perjury); the answers are normalized and matched against the
// organization's records (an imported CSV, or its own lookup endpoint).
// Each try is counted before anything is compared, and after
// MaxIdentityAttempts the check goes to staff, who may also verify by
// account sign-in, by a document, or after a call. A check has one
// outcome. Only the outcome is kept as evidence (which fields matched,
// never their values, with time and method); what the person gave only to
// be verified (answers kept for review, documents) is erased when the
// request closes.

// IdentityCheck is one check of one request's identity at a tier above
// the e-mail.
type IdentityCheck struct {
	ID             int64
	RequestID      int64
	Tier           rules.Tier
	TierSource     string
	RaisedBy       *int64
	RaisedReason   string
	Status         string
	ReviewReason   string
	Attempts       int
	Asked          string // the fields asked, comma-separated
	Matched        string // the fields that matched, comma-separated: names only
	Method         string
	Scope          string // rules.ScopeCategories where a request to know was narrowed
	AnswersSealed  string
	DeclaredName   string
	DeclaredAt     *time.Time
	DeclaredIP     string
	DeclaredUA     string
	AccountIssuer  string
	AccountSubject string // a keyed hash of issuer and subject
	AccountAt      *time.Time
	AccountFresh   bool
	Note           string
	DecidedBy      *int64
	DecidedAt      *time.Time
	ErasedAt       *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

func (IdentityCheck) TableName() string { return "identity_checks" }

// Check statuses.
const (
	CheckPending   = "pending"   // waits for the person's answers
	CheckReview    = "review"    // waits for staff
	CheckPassed    = "passed"    // verified
	CheckFailed    = "failed"    // could not be verified (the request was denied)
	CheckCancelled = "cancelled" // the request closed first
)

// Why a check waits for staff.
const (
	ReviewAttempts   = "attempts"    // the answers did not match, MaxIdentityAttempts times
	ReviewNoSource   = "no_source"   // no records to match against yet: staff compare the answers
	ReviewLookupDown = "lookup_down" // the lookup endpoint did not answer: staff retry or compare
	ReviewDocument   = "document"    // the person uploaded a document
	ReviewUnmatched  = "unmatched"   // a retried lookup did not match
)

// How a check was decided.
const (
	MethodRecords = "records" // the organization's imported records
	MethodLookup  = "lookup"  // the organization's lookup endpoint
	MethodAccount = "account" // signing in to the person's account
	MethodStaff   = "staff"   // staff, after a call, a document or a review of the answers
)

// Timeline events of identity checks (public: the person sees them).
const (
	EventIdentityVerified = "identity_verified"
	EventIdentityNarrowed = "identity_narrowed" // answered as a request for categories (11 CCR §7024)
	EventIdentityReview   = "identity_review"
	EventIdentityRaised   = "identity_raised"
)

// Limits of identity answers: tries per check before staff review it, and
// posts per submission an hour (beside the per-address route limit).
const MaxIdentityAttempts = 3

var identityAnswers = Limit{Name: "identity-answers", Max: 10, Window: time.Hour}

// Open reports whether the check waits for the person or for staff.
func (ch *IdentityCheck) Open() bool { return ch.Status == CheckPending || ch.Status == CheckReview }

// MatchedFields are the names of the fields that matched.
func (ch *IdentityCheck) MatchedFields() []verify.Field { return fieldList(ch.Matched) }

// AskedFields are the fields asked.
func (ch *IdentityCheck) AskedFields() []verify.Field { return fieldList(ch.Asked) }

func fieldList(s string) []verify.Field {
	var out []verify.Field
	for _, f := range strings.Split(s, ",") {
		if f != "" {
			out = append(out, verify.Field(f))
		}
	}
	return out
}

func joinFields(fs []verify.Field) string {
	var out []string
	for _, f := range fs {
		out = append(out, string(f))
	}
	return strings.Join(out, ",")
}

// VerificationOptions configure identity verification.
type VerificationOptions struct {
	// AllowPrivate lets the lookup endpoint be on a private address, and
	// over plain HTTP (RIGHTSDESK_WEBHOOK_ALLOW_PRIVATE).
	AllowPrivate bool
	UserAgent    string
	// LookupTimeout and LookupAttempts tune the lookup call; zero = its defaults.
	LookupTimeout  time.Duration
	LookupAttempts int
	// ImportMax is the largest records file accepted, in bytes (default 100 MiB).
	ImportMax int64
}

// Verifications is the aggregate of identity verification: the settings,
// the records, the checks.
type Verifications struct {
	c       *Core
	docs    *Documents
	imports *blob.Store
	opt     VerificationOptions
}

// NewVerifications returns the aggregate; documents go through docs, and
// records files through its store, as text.
func NewVerifications(c *Core, docs *Documents, opt VerificationOptions) *Verifications {
	if opt.ImportMax <= 0 {
		opt.ImportMax = 100 << 20
	}
	return &Verifications{c: c, docs: docs, imports: docs.store.WithTypes(opt.ImportMax, blob.CSV, blob.Text), opt: opt}
}

// ImportMax is the largest records file accepted, in bytes.
func (v *Verifications) ImportMax() int64 { return v.opt.ImportMax }

// Identity errors.
var (
	ErrIdentityNothing   = &Error{Kind: KindConflict, Key: "error.identity.nothing"}
	ErrIdentityEmail     = &Error{Kind: KindConflict, Key: "error.identity.email_first"}
	ErrIdentityNoMatch   = &Error{Kind: KindInvalid, Key: "error.identity.no_match", Field: "answers"}
	ErrIdentityLocked    = &Error{Kind: KindThrottled, Key: "error.identity.locked", Field: "answers"}
	ErrIdentityThrottled = &Error{Kind: KindThrottled, Key: "error.identity.throttled", Field: "answers"}
	ErrNoOpenCheck       = &Error{Kind: KindConflict, Key: "error.identity.no_check", Field: "identity_note"}
	ErrAccountEmail      = &Error{Kind: KindForbidden, Key: "error.account.other_email"}
)

// ruleOf is the rule a check is held to: its tier (as raised), with the
// law's narrowing and re-authentication for its right.
func (c *Core) ruleOf(ch *IdentityCheck, r *Request) rules.TierRule {
	law := c.Rules.Verification(rules.Jurisdiction(r.Jurisdiction), rules.Right(r.Right))
	rule := rules.TierRule{Tier: ch.Tier, Source: ch.TierSource, Reauth: law.Reauth || ch.Tier == rules.TierThreePoints}
	if law.Narrowed != nil && law.Narrowed.Tier.Rank() < ch.Tier.Rank() {
		rule.Narrowed = law.Narrowed
	}
	return rule
}

// openChecks opens an identity check for each of reqs whose tier asks for
// more than the e-mail (called as a submission is received).
func (t *tx) openChecks(reqs []Request) error {
	s, err := t.verifySettings()
	if err != nil {
		return err
	}
	now := t.c.Now()
	for _, r := range reqs {
		if r.Kind != KindRequest {
			continue
		}
		j, right := rules.Jurisdiction(r.Jurisdiction), rules.Right(r.Right)
		rule := t.c.Rules.Effective(j, right, s.Raised(j, right))
		if !rule.Tier.Checked() {
			continue
		}
		if err := t.Create(&IdentityCheck{RequestID: r.ID, Tier: rule.Tier, TierSource: rule.Source, Status: CheckPending,
			Asked: joinFields(s.Fields()), CreatedAt: now, UpdatedAt: now}).Error; err != nil {
			return err
		}
	}
	return nil
}

// checkedRequests are those of ids with an open identity check: they stay
// awaiting verification after the e-mail is confirmed.
func (t *tx) checkedRequests(ids []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	var open []int64
	if err := t.Model(&IdentityCheck{}).Where("request_id IN ? AND status IN ?", ids, []string{CheckPending, CheckReview}).
		Pluck("request_id", &open).Error; err != nil {
		return nil, err
	}
	for _, id := range open {
		out[id] = true
	}
	return out, nil
}

// closeChecks ends what verification kept of a request that closed: an
// open check is cancelled, the answers kept for review and the documents
// are erased (minimisation, 11 CCR §7060; RULES.md rule 5); the outcome,
// method, fields matched and the declaration stay.
func (t *tx) closeChecks(requestID int64, actor Actor) error {
	now := t.c.Now()
	if err := t.Model(&IdentityCheck{}).Where("request_id = ? AND status IN ?", requestID, []string{CheckPending, CheckReview}).
		Updates(map[string]any{"status": CheckCancelled, "updated_at": now}).Error; err != nil {
		return err
	}
	var ids []int64
	if err := t.Model(&IdentityCheck{}).Where("request_id = ? AND erased_at IS NULL", requestID).Pluck("id", &ids).Error; err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	if err := t.Model(&IdentityCheck{}).Where("id IN ?", ids).
		Updates(map[string]any{"answers_sealed": "", "erased_at": now, "updated_at": now}).Error; err != nil {
		return err
	}
	return t.eraseDocuments(OwnerIdentityCheck, ids, actor)
}

// openCheck is the open check of request id (locked), nil when none.
func (t *tx) openCheck(requestID int64) (*IdentityCheck, error) {
	var chs []IdentityCheck
	if err := t.forUpdate().Where("request_id = ? AND status IN ?", requestID, []string{CheckPending, CheckReview}).
		Limit(1).Find(&chs).Error; err != nil {
		return nil, err
	}
	if len(chs) == 0 {
		return nil, nil
	}
	return &chs[0], nil
}

// IdentityAnswers is what the person gave on the identity page.
type IdentityAnswers struct {
	Values       map[string]string // by field, as typed
	DeclaredName string
	Declared     bool // the declaration's box was ticked
}

// IdentityResult is what became of the person's answers.
type IdentityResult struct {
	Verified bool // a check passed at its tier
	Narrowed bool // a request to know is answered as one for categories
	Review   bool // staff review the answers
}

// pending are the person's checks waiting for their answers (or, for a
// sign-in, also those waiting for staff), with their open requests.
func (v *Verifications) pending(ctx context.Context, sub *Submission, review bool) ([]IdentityCheck, error) {
	var ids []int64
	for _, r := range sub.Requests {
		if !r.Closed() {
			ids = append(ids, r.ID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	statuses := []string{CheckPending}
	if review {
		statuses = append(statuses, CheckReview)
	}
	var out []IdentityCheck
	err := v.c.read(ctx).Where("request_id IN ? AND status IN ?", ids, statuses).Order("id").Find(&out).Error
	return out, err
}

// needs is the most any of checks asks: points, and whether a declaration.
func needs(checks []IdentityCheck) (int, bool) {
	points, decl := 0, false
	for _, ch := range checks {
		req := ch.Tier.Requirement()
		points = max(points, req.Points)
		decl = decl || req.Declaration
	}
	return points, decl
}

// Answer checks the person's answers to the identity questions. Each open
// check's try is counted first, by a guarded UPDATE, and the answers are
// compared only for the checks whose count was still under the limit:
// however many posts arrive at once, no check compares more than
// MaxIdentityAttempts of them. A failure never says which answer was
// wrong. After the last try, or where there is nothing to match against,
// the check goes to staff.
func (v *Verifications) Answer(ctx context.Context, token string, in IdentityAnswers, cl Client) (*IdentityResult, error) {
	c := v.c
	sub, err := c.byTrackingToken(ctx, token)
	if err != nil {
		return nil, err
	}
	if sub.EmailVerifiedAt == nil {
		return nil, ErrIdentityEmail
	}
	checks, err := v.pending(ctx, sub, false)
	if err != nil {
		return nil, err
	}
	if len(checks) == 0 {
		return nil, ErrIdentityNothing
	}
	set, err := v.Settings(ctx)
	if err != nil {
		return nil, err
	}
	points, decl := needs(checks)
	val := &ValidationError{}
	answers := map[verify.Field]string{}
	now := c.Now()
	for _, f := range set.Fields() {
		field := "q_" + string(f)
		raw := text(val, field, in.Values[string(f)], OneLine, false, verify.MaxValue)
		if _, bad := val.Fields[field]; bad {
			continue
		}
		n, err := verify.Normalize(f, raw, sub.Country, now)
		var inv *verify.Invalid
		switch {
		case errors.As(err, &inv):
			val.Add(field, inv.Key)
		case err != nil:
			return nil, err
		case n != "":
			answers[f] = n
		}
	}
	if len(val.Fields) == 0 && len(answers) < points {
		val.Add("answers", "error.identity.too_few."+strconv.Itoa(points))
	}
	if decl {
		in.DeclaredName = text(val, "declared_name", in.DeclaredName, OneLine, true, MaxName)
		if !in.Declared {
			val.Add("declared", "error.declared.required")
		}
	}
	if err := val.Err(); err != nil {
		return nil, err
	}
	if ok, _, err := c.allow(c.read(ctx), identityAnswers, sub.Reference); err != nil {
		return nil, err
	} else if !ok {
		return nil, ErrIdentityThrottled
	}
	// Count the try on each check before anything is compared; the
	// statement returns which try this is.
	var counted []IdentityCheck
	tries := map[int64]int{}
	for _, ch := range checks {
		var n []int
		if err := c.read(ctx).Raw("UPDATE identity_checks SET attempts = attempts + 1, updated_at = ? "+
			"WHERE id = ? AND status = ? AND attempts < ? RETURNING attempts", now, ch.ID, CheckPending, MaxIdentityAttempts).
			Scan(&n).Error; err != nil {
			return nil, err
		}
		if len(n) == 1 {
			counted = append(counted, ch)
			tries[ch.ID] = n[0]
		}
	}
	if len(counted) == 0 {
		return nil, ErrIdentityLocked
	}
	m := v.match(ctx, set, sub.Email, answers)
	if m.err != nil {
		return nil, m.err
	}
	res := &IdentityResult{}
	var remaining int
	err = c.write(ctx, func(tx *tx) error {
		for _, ch := range counted {
			// The request first, then its check: every change locks them in that order.
			r, err := tx.lockRequest(ch.RequestID)
			if err != nil {
				return err
			}
			cur, err := tx.openCheck(ch.RequestID)
			if err != nil {
				return err
			}
			if cur == nil || cur.ID != ch.ID || cur.Status != CheckPending || r.Closed() {
				continue // decided meanwhile (staff, a sign-in, a racing post)
			}
			if decl && cur.Tier.Requirement().Declaration {
				if err := tx.Model(&IdentityCheck{}).Where("id = ?", cur.ID).Updates(map[string]any{"declared_name": in.DeclaredName,
					"declared_at": now, "declared_ip": cl.IP, "declared_ua": truncate(cl.UserAgent, 500)}).Error; err != nil {
					return err
				}
			}
			if m.review != "" {
				sealed, err := json.Marshal(answers)
				if err != nil {
					return err
				}
				if err := tx.toReview(cur, r, m.review, c.seal("identity-answers", string(sealed)), nil, RequesterActor(cl.IP)); err != nil {
					return err
				}
				res.Review = true
				continue
			}
			rule := c.ruleOf(cur, r)
			got := len(m.matched)
			last := tries[cur.ID] >= MaxIdentityAttempts
			switch {
			case got >= rule.Tier.Requirement().Points:
				err = tx.pass(cur, r, m.method, m.matched, "", "", RequesterActor(cl.IP))
				res.Verified = true
			case rule.Narrowed != nil && got >= rule.Narrowed.Tier.Requirement().Points && last:
				// Not verified for the specific pieces after every try: answered
				// as a request for the categories (11 CCR §7024).
				err = tx.pass(cur, r, m.method, m.matched, rule.Narrowed.Scope, "", RequesterActor(cl.IP))
				res.Narrowed = true
			case last:
				err = tx.toReview(cur, r, ReviewAttempts, "", m.matched, RequesterActor(cl.IP))
				res.Review = true
			default:
				remaining = max(remaining, MaxIdentityAttempts-tries[cur.ID])
				err = tx.audit(RequesterActor(cl.IP), "identity.no_match", "request", r.ID, "matched="+itoa(int64(got)))
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	switch {
	case res.Verified || res.Narrowed || res.Review:
		return res, nil
	case remaining > 0:
		return nil, ErrIdentityNoMatch.with(remaining)
	}
	// Every check this try counted on was decided meanwhile (the last try
	// of a racing post, staff).
	return nil, ErrIdentityLocked
}

// matchOutcome is what matching found: the fields that matched and how,
// or why staff must look instead (review).
type matchOutcome struct {
	matched []verify.Field
	method  string
	review  string
	err     error
}

// match compares answers with the organization's records of email.
func (v *Verifications) match(ctx context.Context, set *VerificationSettings, email string, answers map[verify.Field]string) matchOutcome {
	switch set.RecordsSource {
	case RecordsImport:
		matched, ok, err := v.c.matchImport(ctx, email, answers)
		switch {
		case err != nil:
			return matchOutcome{err: err}
		case !ok:
			return matchOutcome{review: ReviewNoSource}
		}
		return matchOutcome{matched: matched, method: MethodRecords}
	case RecordsLookup:
		key := v.lookupKey(set)
		if key == "" {
			return matchOutcome{review: ReviewNoSource}
		}
		fields := map[string]string{}
		for f, a := range answers {
			fields[string(f)] = a
		}
		e, _ := verify.Normalize(verify.FieldEmail, email, "", time.Time{})
		client := lookup.New(set.LookupURL, []byte(key), lookup.Options{AllowPrivate: v.opt.AllowPrivate, UserAgent: v.opt.UserAgent,
			Timeout: v.opt.LookupTimeout, Attempts: v.opt.LookupAttempts})
		got, err := client.Lookup(ctx, e, fields)
		if err != nil {
			v.lookupFailed(ctx, err)
			return matchOutcome{review: ReviewLookupDown}
		}
		v.lookupAnswered(ctx)
		var matched []verify.Field
		for _, f := range verify.Fields() {
			if got[string(f)] {
				matched = append(matched, f)
			}
		}
		return matchOutcome{matched: matched, method: MethodLookup}
	}
	return matchOutcome{review: ReviewNoSource}
}

// lookupFailed records that the endpoint failed; the first failure after
// it last answered tells staff (once: a guarded UPDATE decides).
func (v *Verifications) lookupFailed(ctx context.Context, failure error) {
	c := v.c
	kind := lookup.Down
	var le *lookup.Error
	if errors.As(failure, &le) {
		kind = le.Kind
	}
	c.logger().Warn("records lookup failed", "err", failure)
	err := c.write(context.WithoutCancel(ctx), func(tx *tx) error {
		now := c.Now()
		res := tx.Model(&VerificationSettings{}).Where("id = 1 AND lookup_down_since IS NULL").
			Updates(map[string]any{"lookup_down_since": now, "lookup_error": kind})
		if res.Error != nil || res.RowsAffected == 0 {
			if res.Error == nil {
				res.Error = tx.Model(&VerificationSettings{}).Where("id = 1").Update("lookup_error", kind).Error
			}
			return res.Error
		}
		if err := tx.mailStaff(MailStaffLookupDown, MailData{URL: c.BaseURL + "/admin/verification", Reason: kind}); err != nil {
			return err
		}
		return tx.audit(SystemActor, "verification.lookup_down", "verification_settings", 1, kind)
	})
	if err != nil {
		c.logger().Error("the lookup's failure could not be recorded", "err", err)
	}
}

// lookupAnswered records that the endpoint answered.
func (v *Verifications) lookupAnswered(ctx context.Context) {
	err := v.c.read(context.WithoutCancel(ctx)).Model(&VerificationSettings{}).Where("id = 1").
		Updates(map[string]any{"lookup_ok_at": v.c.Now(), "lookup_down_since": nil, "lookup_error": ""}).Error
	if err != nil {
		v.c.logger().Error("the lookup's answer could not be recorded", "err", err)
	}
}

// mailStaff mails every member of staff who works requests.
func (t *tx) mailStaff(template string, data MailData) error {
	var staff []Staff
	if err := t.Where("disabled_at IS NULL AND role IN ?", []string{RoleAdmin, RoleOfficer, RoleReviewer}).
		Order("id").Find(&staff).Error; err != nil {
		return err
	}
	for _, st := range staff {
		d := data
		d.Name = st.Name
		if err := t.enqueue(st.Email, template, "en", d); err != nil {
			return err
		}
	}
	return nil
}

// pass decides a check as passed (scope: a narrower request it is
// verified for, or ""), once: the request goes on as verified and the
// person is told.
func (t *tx) pass(ch *IdentityCheck, r *Request, method string, matched []verify.Field, scope, note string, actor Actor) error {
	now := t.c.Now()
	res := t.Model(&IdentityCheck{}).Where("id = ? AND status IN ?", ch.ID, []string{CheckPending, CheckReview}).
		Updates(map[string]any{"status": CheckPassed, "method": method, "matched": joinFields(matched), "scope": scope,
			"note": note, "decided_by": actor.StaffID, "decided_at": now, "updated_at": now})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return ErrNoOpenCheck
	}
	if err := t.verifyRequest(r, actor); err != nil {
		return err
	}
	kind, status := EventIdentityVerified, CheckPassed
	if scope != "" {
		kind, status = EventIdentityNarrowed, scope
	}
	if err := t.event(r.ID, kind, actor, "", "", "", false); err != nil {
		return err
	}
	if note != "" {
		if err := t.event(r.ID, EventNote, actor, "", "", note, true); err != nil {
			return err
		}
	}
	if err := t.tellIdentity(r, status); err != nil {
		return err
	}
	return t.audit(actor, "identity."+status, "request", r.ID, "method="+method+" matched="+joinFields(matched))
}

// verifyRequest moves r, waiting for its identity, on as verified (after
// ending the question it waited on, where staff had raised its tier).
func (t *tx) verifyRequest(r *Request, actor Actor) error {
	if r.Waiting() {
		if err := t.resume(r.ID, "", PauseEndedByAnswer, actor); err != nil {
			return err
		}
		fresh, err := t.lockRequest(r.ID)
		if err != nil {
			return err
		}
		*r = *fresh
	}
	if r.Status != StatusAwaitingVerification {
		return nil
	}
	var sub Submission
	if err := t.Select("id, email_verified_at, on_behalf").Where("id = ?", r.SubmissionID).Take(&sub).Error; err != nil {
		return err
	}
	if sub.EmailVerifiedAt == nil && actor.Kind == "staff" {
		// Staff verified the person by other means (a call, a document).
		if err := t.Model(&Submission{}).Where("id = ?", sub.ID).Update("email_verified_at", t.c.Now()).Error; err != nil {
			return err
		}
	}
	if sub.OnBehalf == "agent" {
		// An agent's filing goes on only once the agent's authority is settled too.
		f, _, err := t.filingOf(sub.ID)
		if err != nil {
			return err
		}
		if f != nil && !f.Established() {
			return nil
		}
	}
	return t.setStatus(r, StatusVerified, actor, "")
}

// toReview passes a check to staff, with why, the answers to compare
// (sealed) where there was nothing to match them against, or the fields
// that matched.
func (t *tx) toReview(ch *IdentityCheck, r *Request, reason, sealed string, matched []verify.Field, actor Actor) error {
	now := t.c.Now()
	updates := map[string]any{"status": CheckReview, "review_reason": reason, "updated_at": now}
	if sealed != "" {
		updates["answers_sealed"] = sealed
	}
	if matched != nil || reason == ReviewAttempts || reason == ReviewUnmatched {
		updates["matched"] = joinFields(matched)
	}
	res := t.Model(&IdentityCheck{}).Where("id = ? AND status IN ?", ch.ID, []string{CheckPending, CheckReview}).Updates(updates)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return ErrNoOpenCheck
	}
	if r.Waiting() {
		// The person gave what was asked: the question is answered (and, in
		// the UK, the clock restarts) while staff look.
		if err := t.resume(r.ID, "", PauseEndedByAnswer, actor); err != nil && !errors.Is(err, ErrNotPaused) {
			return err
		}
	}
	if ch.Status != CheckReview {
		if err := t.event(r.ID, EventIdentityReview, actor, "", "", "", false); err != nil {
			return err
		}
		if err := t.tellIdentity(r, CheckReview); err != nil {
			return err
		}
	}
	if reason == ReviewAttempts {
		var sub Submission
		if err := t.Select("id, reference").Where("id = ?", r.SubmissionID).Take(&sub).Error; err != nil {
			return err
		}
		if err := t.mailStaff(MailStaffIdentityReview, MailData{Reference: sub.Reference, Reason: reason,
			URL: t.c.BaseURL + "/admin/requests/" + itoa(r.ID)}); err != nil {
			return err
		}
	}
	return t.audit(actor, "identity.review", "request", r.ID, reason)
}

// tellIdentity tells the person (and their agent) an outcome of the check.
func (t *tx) tellIdentity(r *Request, status string) error {
	var sub Submission
	if err := t.Where("id = ?", r.SubmissionID).Take(&sub).Error; err != nil {
		return err
	}
	return t.tellRequester(&sub, MailIdentityOutcome, MailData{Name: sub.Name, Reference: sub.Reference,
		TrackURL: t.c.trackURLOf(&sub), Right: r.Right, Status: status, Jurisdiction: r.Jurisdiction}, true)
}

// SignedIn records that the person signed in to their account with the
// organization (internal/account checked the provider's token): each open
// check whose rule a sign-in satisfies (a fresh one where it asks for
// re-authentication) passes. The account's address must be the one the
// person confirmed. fresh reports checks a fresh sign-in would pass.
func (v *Verifications) SignedIn(ctx context.Context, token string, a AccountSignIn, cl Client) (res *IdentityResult, needFresh bool, err error) {
	c := v.c
	sub, err := c.byTrackingToken(ctx, token)
	if err != nil {
		return nil, false, err
	}
	if sub.EmailVerifiedAt == nil {
		return nil, false, ErrIdentityEmail
	}
	e1, _ := verify.Normalize(verify.FieldEmail, a.Email, "", time.Time{})
	e2, _ := verify.Normalize(verify.FieldEmail, sub.Email, "", time.Time{})
	if e1 == "" || e1 != e2 {
		_ = c.write(ctx, func(tx *tx) error {
			return tx.audit(RequesterActor(cl.IP), "identity.account_other_email", "submission", sub.ID, "")
		})
		return nil, false, ErrAccountEmail
	}
	checks, err := v.pending(ctx, sub, true)
	if err != nil {
		return nil, false, err
	}
	if len(checks) == 0 {
		return nil, false, ErrIdentityNothing
	}
	res = &IdentityResult{}
	err = c.write(ctx, func(tx *tx) error {
		for _, ch := range checks {
			r, err := tx.lockRequest(ch.RequestID)
			if err != nil {
				return err
			}
			cur, err := tx.openCheck(ch.RequestID)
			if err != nil {
				return err
			}
			if cur == nil || cur.ID != ch.ID || r.Closed() {
				continue
			}
			if !rules.AccountSatisfies(c.ruleOf(cur, r), a.Fresh) {
				needFresh = true
				continue
			}
			at := a.AuthTime
			if err := tx.Model(&IdentityCheck{}).Where("id = ?", cur.ID).Updates(map[string]any{"account_issuer": a.Issuer,
				"account_subject": c.hash("account", a.Issuer+"\x00"+a.Subject), "account_at": &at, "account_fresh": a.Fresh}).Error; err != nil {
				return err
			}
			if err := tx.pass(cur, r, MethodAccount, nil, "", "", RequesterActor(cl.IP)); err != nil {
				return err
			}
			res.Verified = true
		}
		return nil
	})
	return res, needFresh && !res.Verified, err
}

// AccountSignIn is who signed in, as internal/account found it.
type AccountSignIn struct {
	Issuer, Subject, Email string
	AuthTime               time.Time
	Fresh                  bool
}

// WantsFresh reports whether a sign-in for sub should be fresh: some open
// check's rule asks for re-authentication.
func (v *Verifications) WantsFresh(ctx context.Context, sub *Submission) (bool, error) {
	checks, err := v.pending(ctx, sub, true)
	if err != nil {
		return false, err
	}
	for _, ch := range checks {
		if r := sub.request(ch.RequestID); r != nil && !rules.AccountSatisfies(v.c.ruleOf(&ch, r), false) {
			return true, nil
		}
	}
	return false, nil
}

// Staff decisions on a check.
const (
	DecideVerified   = "verified"   // verified at the request's tier, after a call or a document
	DecideCategories = "categories" // verified for the categories only (where the law narrows)
	DecideFailed     = "failed"     // could not be verified: the request is denied as unverifiable
)

// IdentityDecision is staff's decision on a request's open check.
type IdentityDecision struct {
	Outcome string
	Note    string // required: how, or why not
}

// Decide records staff's decision on request id's open check, once.
// Verified lets the request go on; categories answers a request to know
// with the categories only (11 CCR §7024); failed denies it as
// unverifiable, with the note as the reason the person is told, and their
// recourse.
func (v *Verifications) Decide(ctx context.Context, id int64, d IdentityDecision, actor Actor) error {
	val := &ValidationError{}
	d.Note = text(val, "identity_note", d.Note, MultiLine, true, MaxNote)
	if !slices.Contains([]string{DecideVerified, DecideCategories, DecideFailed}, d.Outcome) {
		val.Add("outcome", "error.identity_outcome.required")
	}
	if err := val.Err(); err != nil {
		return err
	}
	c := v.c
	return c.write(ctx, func(tx *tx) error {
		r, err := tx.lockRequest(id)
		if err != nil {
			return err
		}
		ch, err := tx.openCheck(id)
		if err != nil {
			return err
		}
		if ch == nil || r.Closed() {
			return ErrNoOpenCheck
		}
		switch d.Outcome {
		case DecideVerified:
			return tx.pass(ch, r, MethodStaff, ch.MatchedFields(), "", d.Note, actor)
		case DecideCategories:
			rule := c.ruleOf(ch, r)
			if rule.Narrowed == nil {
				return invalid("outcome", "error.outcome.no_categories")
			}
			return tx.pass(ch, r, MethodStaff, ch.MatchedFields(), rule.Narrowed.Scope, d.Note, actor)
		}
		now := c.Now()
		res := tx.Model(&IdentityCheck{}).Where("id = ? AND status IN ?", ch.ID, []string{CheckPending, CheckReview}).
			Updates(map[string]any{"status": CheckFailed, "method": MethodStaff, "note": d.Note, "decided_by": actor.StaffID,
				"decided_at": now, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrNoOpenCheck
		}
		if err := tx.audit(actor, "identity.failed", "request", r.ID, ""); err != nil {
			return err
		}
		return tx.decide(r, Transition{To: StatusDenied, DenialReason: "cannot_verify", Detail: d.Note}, actor)
	})
}

// Raise makes one request need a higher tier than it does, with a reason
// (under the GDPR, the reasonable doubt of Art. 12(6)); never lower than
// the law, never for an opt-out. Where the person confirmed their e-mail,
// they are asked at once to answer the questions (a question that stops
// the clock where the law allows); the request then waits for its identity
// again.
func (v *Verifications) Raise(ctx context.Context, id int64, tier rules.Tier, reason string, actor Actor) error {
	val := &ValidationError{}
	reason = text(val, "raise_reason", reason, MultiLine, true, MaxNote)
	if !tier.Checked() {
		val.Add("tier", "error.tier.required")
	}
	if err := val.Err(); err != nil {
		return err
	}
	c := v.c
	return c.write(ctx, func(tx *tx) error {
		r, err := tx.lockRequest(id)
		if err != nil {
			return err
		}
		if r.Closed() || r.Kind != KindRequest || r.Waiting() {
			return ErrInvalidState
		}
		j, right := rules.Jurisdiction(r.Jurisdiction), rules.Right(r.Right)
		if err := c.Rules.CheckRaise(j, right, tier, true); err != nil {
			return invalid("tier", raiseErrorKey(err))
		}
		current, err := tx.currentTier(r)
		if err != nil {
			return err
		}
		if tier.Rank() <= current.Rank() {
			return invalid("tier", "error.raise.not_higher")
		}
		var sub Submission
		if err := tx.Where("id = ?", r.SubmissionID).Take(&sub).Error; err != nil {
			return err
		}
		if sub.Offline() {
			// The higher tier's questions are answered online, on a tracking
			// page this person never got: staff check them by post or phone.
			return invalid("tier", "error.raise.no_email")
		}
		set, err := tx.verifySettings()
		if err != nil {
			return err
		}
		now := c.Now()
		source := "raised by staff for this request, above " + string(current) + " (" + c.Rules.Verification(j, right).Source + ")"
		ch, err := tx.openCheck(r.ID)
		if err != nil {
			return err
		}
		if ch != nil {
			// A new round at the higher tier.
			if err := tx.Model(&IdentityCheck{}).Where("id = ?", ch.ID).Updates(map[string]any{"tier": tier, "tier_source": source,
				"raised_by": actor.StaffID, "raised_reason": reason, "status": CheckPending, "review_reason": "", "attempts": 0,
				"asked": joinFields(set.Fields()), "updated_at": now}).Error; err != nil {
				return err
			}
		} else if err := tx.Create(&IdentityCheck{RequestID: r.ID, Tier: tier, TierSource: source, RaisedBy: actor.StaffID,
			RaisedReason: reason, Status: CheckPending, Asked: joinFields(set.Fields()), CreatedAt: now, UpdatedAt: now}).Error; err != nil {
			return err
		}
		if err := tx.event(r.ID, EventNote, actor, "", "", reason, true); err != nil {
			return err
		}
		if err := tx.event(r.ID, EventIdentityRaised, actor, "", "", "", false); err != nil {
			return err
		}
		if sub.EmailVerifiedAt != nil {
			// The person is asked now; the request waits for its identity again.
			if err := tx.ask(r, &sub, AskInput{Reason: rules.PauseIdentity}, StatusAwaitingVerification, actor); err != nil {
				return err
			}
		}
		return tx.audit(actor, "identity.raise", "request", r.ID, string(tier))
	})
}

// currentTier is what r's identity is checked to now: its open or last
// check's tier, or the tier it was received with.
func (t *tx) currentTier(r *Request) (rules.Tier, error) {
	var chs []IdentityCheck
	if err := t.Where("request_id = ? AND status IN ?", r.ID, []string{CheckPending, CheckReview, CheckPassed}).
		Order("id DESC").Limit(1).Find(&chs).Error; err != nil {
		return "", err
	}
	if len(chs) > 0 {
		return chs[0].Tier, nil
	}
	return t.c.Rules.VerificationTier(rules.Jurisdiction(r.Jurisdiction), rules.Right(r.Right)), nil
}

// RetryLookup matches the answers of a check that went to staff while the
// lookup endpoint was down, now that it may answer.
func (v *Verifications) RetryLookup(ctx context.Context, id int64, actor Actor) error {
	c := v.c
	var ch IdentityCheck
	err := c.read(ctx).Where("request_id = ? AND status = ? AND review_reason = ?", id, CheckReview, ReviewLookupDown).Take(&ch).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ErrNoOpenCheck
	}
	if err != nil {
		return err
	}
	plain, ok := c.unseal("identity-answers", ch.AnswersSealed)
	var answers map[verify.Field]string
	if !ok || json.Unmarshal([]byte(plain), &answers) != nil {
		return ErrNoOpenCheck
	}
	var r Request
	if err := c.read(ctx).Where("id = ?", id).Take(&r).Error; err != nil {
		return err
	}
	var sub Submission
	if err := c.read(ctx).Where("id = ?", r.SubmissionID).Take(&sub).Error; err != nil {
		return err
	}
	set, err := v.Settings(ctx)
	if err != nil {
		return err
	}
	m := v.match(ctx, set, sub.Email, answers)
	if m.err != nil {
		return m.err
	}
	if m.review != "" {
		return &Error{Kind: KindUnavailable, Key: "error.lookup.down", Field: "identity_note"}
	}
	return c.write(ctx, func(tx *tx) error {
		rl, err := tx.lockRequest(id)
		if err != nil {
			return err
		}
		cur, err := tx.openCheck(id)
		if err != nil {
			return err
		}
		if cur == nil || cur.ID != ch.ID || cur.ReviewReason != ReviewLookupDown {
			return ErrNoOpenCheck
		}
		if len(m.matched) >= c.ruleOf(cur, rl).Tier.Requirement().Points {
			return tx.pass(cur, rl, m.method, m.matched, "", "", actor)
		}
		return tx.toReview(cur, rl, ReviewUnmatched, "", m.matched, actor)
	})
}

// UploadDocument records the document the person was asked for (staff
// asked with AskInput.Document), stored through the upload layer: the
// question is answered and the request's check waits for staff, who see
// the document inline. It is erased when the request closes.
func (v *Verifications) UploadDocument(ctx context.Context, token string, requestID int64, doc io.Reader, actor Actor) error {
	c := v.c
	sub, err := c.byTrackingToken(ctx, token)
	if err != nil {
		return err
	}
	r := sub.request(requestID)
	if r == nil {
		return ErrNotFound
	}
	q, err := c.OpenQuestion(ctx, r.ID)
	if err != nil {
		return err
	}
	if q == nil || !q.Document {
		return ErrNotPaused
	}
	if doc == nil {
		return ErrUploadMissing
	}
	stored, err := v.docs.put(ctx, "identity", doc)
	if err != nil {
		return err
	}
	err = c.write(ctx, func(tx *tx) error {
		rl, err := tx.lockRequest(r.ID)
		if err != nil {
			return err
		}
		if !rl.Waiting() {
			return ErrNotPaused
		}
		ch, err := tx.openCheck(r.ID)
		if err != nil {
			return err
		}
		if ch == nil {
			tier, err := tx.currentTier(rl)
			if err != nil {
				return err
			}
			if !tier.Checked() {
				tier = rules.TierTwoPoints
			}
			now := c.Now()
			ch = &IdentityCheck{RequestID: r.ID, Tier: tier, TierSource: c.Rules.Verification(rules.Jurisdiction(rl.Jurisdiction),
				rules.Right(rl.Right)).Source, Status: CheckPending, CreatedAt: now, UpdatedAt: now}
			if err := tx.Create(ch).Error; err != nil {
				return err
			}
		}
		if _, err := tx.insertDocument(stored, OwnerIdentityCheck, ch.ID, actor, "identity-document"); err != nil {
			return err
		}
		return tx.toReview(ch, rl, ReviewDocument, "", nil, actor)
	})
	if err != nil {
		v.docs.discard(ctx, stored)
	}
	return err
}

// IdentityView is what the person's tracking page shows of verification.
type IdentityView struct {
	// Latest is each request's latest check.
	Latest map[int64]*IdentityCheck
	// Ask: some check waits for the person's answers, and Fields are the
	// questions, of which Points must be answered; Declaration is the
	// catalog key of the declaration to sign ("" = none); Remaining the
	// tries left.
	Ask         bool
	Fields      []verify.Field
	Points      int
	Declaration string
	Remaining   int
	// Account: signing in to the organization's account is offered.
	Account bool
}

// ForSubmission is what sub's tracking page shows of verification.
func (v *Verifications) ForSubmission(ctx context.Context, sub *Submission) (*IdentityView, error) {
	out := &IdentityView{Latest: map[int64]*IdentityCheck{}}
	var ids []int64
	for _, r := range sub.Requests {
		ids = append(ids, r.ID)
	}
	if len(ids) == 0 {
		return out, nil
	}
	var all []IdentityCheck
	// The columns this page uses: not the sealed answers or the evidence.
	if err := v.c.read(ctx).Select("id, request_id, tier, status, review_reason, attempts, method, scope").
		Where("request_id IN ?", ids).Order("id").Find(&all).Error; err != nil {
		return nil, err
	}
	if len(all) == 0 {
		return out, nil
	}
	var pending []IdentityCheck
	for i := range all {
		ch := &all[i]
		out.Latest[ch.RequestID] = ch
	}
	for _, ch := range out.Latest {
		if r := sub.request(ch.RequestID); ch.Status == CheckPending && r != nil && !r.Closed() {
			pending = append(pending, *ch)
		}
	}
	if len(pending) == 0 || sub.EmailVerifiedAt == nil {
		return out, nil
	}
	set, err := v.Settings(ctx)
	if err != nil {
		return nil, err
	}
	out.Ask, out.Fields, out.Account = true, set.Fields(), set.AccountSet()
	var decl bool
	out.Points, decl = needs(pending)
	if decl {
		out.Declaration = v.c.Rules.VerifyRule(rules.Jurisdiction(sub.Jurisdiction)).Declaration
	}
	for _, ch := range pending {
		out.Remaining = max(out.Remaining, MaxIdentityAttempts-ch.Attempts)
	}
	return out, nil
}

// IdentityDetail is what staff see of a request's verification.
type IdentityDetail struct {
	Law    rules.TierRule  // what the law alone asks
	Checks []IdentityCheck // oldest first
	Open   *IdentityCheck
	// Answers are the open check's answers kept for review (no records to
	// match against, or the lookup was down), by field.
	Answers   map[verify.Field]string
	Documents []Document
	// Raise lists the tiers staff may raise the request to now.
	Raise []rules.Tier
	// Categories: staff may verify a request to know for categories only.
	Categories bool
	Settings   *VerificationSettings
}

// ForRequest is what staff see of r's verification.
func (v *Verifications) ForRequest(ctx context.Context, r *Request) (*IdentityDetail, error) {
	c := v.c
	j, right := rules.Jurisdiction(r.Jurisdiction), rules.Right(r.Right)
	d := &IdentityDetail{Law: c.Rules.Verification(j, right)}
	if err := c.read(ctx).Where("request_id = ?", r.ID).Order("id").Find(&d.Checks).Error; err != nil {
		return nil, err
	}
	var ids []int64
	for i := range d.Checks {
		ch := &d.Checks[i]
		ids = append(ids, ch.ID)
		if ch.Open() {
			d.Open = ch
		}
	}
	var err error
	if d.Settings, err = v.Settings(ctx); err != nil {
		return nil, err
	}
	if len(ids) > 0 {
		if err := c.read(ctx).Where("owner_kind = ? AND owner_id IN ?", OwnerIdentityCheck, ids).Order("id").Find(&d.Documents).Error; err != nil {
			return nil, err
		}
	}
	if d.Open != nil && d.Open.AnswersSealed != "" {
		if plain, ok := c.unseal("identity-answers", d.Open.AnswersSealed); ok {
			_ = json.Unmarshal([]byte(plain), &d.Answers)
		}
		d.Categories = c.ruleOf(d.Open, r).Narrowed != nil
	} else if d.Open != nil {
		d.Categories = c.ruleOf(d.Open, r).Narrowed != nil
	}
	var sub Submission
	if err := c.read(ctx).Select("email, on_behalf, jurisdiction").Where("id = ?", r.SubmissionID).Take(&sub).Error; err != nil {
		return nil, err
	}
	// A person answered by post or phone cannot answer questions online:
	// staff verify them themselves (see Raise).
	if !r.Closed() && r.Kind == KindRequest && !r.Waiting() && !sub.Offline() {
		cur, err := v.tierNow(ctx, r)
		if err != nil {
			return nil, err
		}
		for _, t := range []rules.Tier{rules.TierTwoPoints, rules.TierThreePoints} {
			if t.Rank() > cur.Rank() && c.Rules.CheckRaise(j, right, t, true) == nil {
				d.Raise = append(d.Raise, t)
			}
		}
	}
	return d, nil
}

// tierNow is the tier r's identity is checked to now (currentTier, read).
func (v *Verifications) tierNow(ctx context.Context, r *Request) (rules.Tier, error) {
	var t rules.Tier
	err := v.c.read(ctx).Transaction(func(g *gorm.DB) error {
		var err error
		t, err = (&tx{DB: g, c: v.c}).currentTier(r)
		return err
	})
	return t, err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
