package models

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/mail"
	"strings"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/rules"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Submission is one person's form: one reference code grouping one request
// per right asked for.
type Submission struct {
	ID              int64
	Reference       string
	TrackingHash    string
	TrackingSealed  string // the token, encrypted, for links in later mail
	IdempotencyHash *string
	OnBehalf        string // "self" or "agent"
	Name            string
	Email           string
	Phone           string
	// Address is a postal address, given where staff enter a letter from
	// someone with no e-mail (see NoEmail).
	Address string
	// PhoneTail is what the phone is searched by (its last digits, see
	// search.go); insertSubmission fills it.
	PhoneTail       string
	Country         string
	Region          string
	Jurisdiction    string
	Relationship    string
	Details         string
	Lang            string
	Channel         string // web, email, phone, mail, api
	EmailVerifiedAt *time.Time
	ReceivedAt      time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time

	Requests []Request `gorm:"-"`
}

// EmailVerification is a one-time code sent to prove control of the email.
type EmailVerification struct {
	ID           int64
	SubmissionID int64
	CodeHash     string
	ExpiresAt    time.Time
	Attempts     int
	UsedAt       *time.Time
	CreatedAt    time.Time
}

// Verification limits.
const (
	CodeTTL          = 30 * time.Minute
	CodeMaxAttempts  = 5
	ResendInterval   = time.Minute
	ResendMaxPerHour = 5
)

// Mail that strangers can cause to be sent: anyone may type anyone's
// address, so mail per recipient and per submission is bounded.
var (
	mailPerRecipient  = Limit{Name: "mail-recipient", Max: 10, Window: time.Hour}
	linksPerSubmision = Limit{Name: "link-submission", Max: 3, Window: time.Hour}
)

// Field limits, shared with the form's maxlength attributes.
const (
	MaxName    = 200
	MaxEmail   = 254
	MaxPhone   = 40
	MaxAddress = 1000
	MaxDetails = 5000
)

// Relationships a person may have with the organization.
var Relationships = []string{"customer", "employee", "applicant", "visitor", "other"}

// Submissions is the aggregate of what people submit: the form, e-mail
// verification, the private tracking link and withdrawal.
type Submissions struct{ c *Core }

// NewSubmissions returns the submissions aggregate.
func NewSubmissions(c *Core) *Submissions { return &Submissions{c: c} }

// SubmissionInput is what the public form (or staff intake) provides.
type SubmissionInput struct {
	OnBehalf       string
	Country        string
	Region         string
	Rights         []string
	Name           string
	Email          string
	Phone          string
	Address        string // postal address (staff intake)
	Relationship   string
	Details        string
	Lang           string
	Channel        string    // web (the form) or, for staff intake, email, phone, mail, in_person
	ReceivedAt     time.Time // staff intake: the day it arrived (the clock runs from it); zero = now
	IdempotencyKey string    // the form's one-time nonce: a second post of the same form is refused

	byAgent bool // filed by an authorized agent (Filings), who may only ask for what agents may
	// GPC: the form came from a browser sending the Global Privacy Control
	// signal. Where the person's law gives an opt-out of sale and sharing,
	// the signal is that request too (11 CCR §7025(c)): it is added.
	GPC bool
}

// Channels a request may arrive through: the web form, the Data Rights
// Protocol (api), and the ones staff enter (IntakeChannels).
var Channels = append([]string{"web", "api"}, IntakeChannels...)

// IntakeChannels are the channels of requests staff enter by hand.
var IntakeChannels = []string{"email", "phone", "mail", "in_person"}

// NoEmailChannels are the intake channels where a person may have no
// e-mail address: a letter (answered by post, to its address) or a call
// (answered by phone).
var NoEmailChannels = []string{"mail", "phone"}

// NoEmail reports whether the person has no e-mail address: staff entered
// a letter or a call without one. Nothing is ever e-mailed to them (the
// outbox refuses an empty address, tx.enqueue); staff answer by post or by
// phone, verify the person themselves, and record what they sent or said.
func (sub *Submission) NoEmail() bool { return sub.Email == "" }

// Offline reports whether staff answer the person by post or by phone:
// a letter or a call entered with no e-mail address (NoEmail). A privacy
// choice made on the choices page by phone number or customer id has no
// e-mail either, but is no letter to answer: it is known by its
// identifier alone, under no stated law (rules.Unstated). Every screen
// and confirmation that tells staff to answer by post or phone asks this.
func (sub *Submission) Offline() bool {
	return sub.NoEmail() && sub.OnBehalf == "self" && sub.Jurisdiction != string(rules.Unstated)
}

// MaxIntakeAge is how far back staff may date a request they enter.
const MaxIntakeAge = 400 * 24 * time.Hour

// ValidateWhere checks who is asking and where they live: step 1 of the form.
func (s *Submissions) ValidateWhere(in *SubmissionInput) error {
	v := &ValidationError{}
	validateWhere(v, in)
	return v.Err()
}

func validateWhere(v *ValidationError, in *SubmissionInput) {
	in.Country = strings.ToUpper(strings.TrimSpace(in.Country))
	in.Region = strings.ToUpper(strings.TrimSpace(in.Region))
	switch in.OnBehalf {
	case "self":
	case "agent":
		if !in.byAgent {
			// Agents file from their own account, where their authority
			// is shown and checked (see Filings).
			v.Add("on_behalf", "error.on_behalf.agent_account")
		}
	default:
		v.Add("on_behalf", "error.on_behalf.required")
	}
	if in.Country == "" {
		v.Add("country", "error.country.required")
	} else if !validCountry(in.Country) {
		v.Add("country", "error.country.invalid")
	}
	switch in.Country {
	case "US":
		if !contains(rules.USStates(), in.Region) {
			v.Add("region", "error.region.state_required")
		}
	case "CA":
		if !contains(rules.CanadianProvinces(), in.Region) {
			v.Add("region", "error.region.province_required")
		}
	default:
		in.Region = ""
	}
}

// Validate checks the whole input against the rules of where the person
// lives, and cleans it.
func (s *Submissions) Validate(in *SubmissionInput) error {
	v := &ValidationError{}
	in.Name = text(v, "name", in.Name, OneLine, true, MaxName)
	// A letter or a call staff enter may come from someone with no e-mail:
	// then the address to write to, or the number to call, is required.
	noEmailOK := !in.byAgent && contains(NoEmailChannels, in.Channel)
	in.Email = strings.ToLower(text(v, "email", in.Email, OneLine, !noEmailOK, MaxEmail))
	if _, bad := v.Fields["email"]; !bad && in.Email != "" && !ValidEmail(in.Email) {
		v.Add("email", "error.email.invalid")
	}
	in.Phone = text(v, "phone", in.Phone, OneLine, false, MaxPhone)
	if _, bad := v.Fields["phone"]; !bad && in.Phone != "" && !validPhone(in.Phone) {
		v.Add("phone", "error.phone.invalid")
	}
	in.Address = text(v, "address", in.Address, MultiLine, false, MaxAddress)
	if _, bad := v.Fields["email"]; !bad && in.Email == "" {
		switch in.Channel {
		case "mail":
			if _, bad := v.Fields["address"]; !bad && in.Address == "" {
				v.Add("address", "error.address.required_no_email")
			}
		case "phone":
			if _, bad := v.Fields["phone"]; !bad && in.Phone == "" {
				v.Add("phone", "error.phone.required_no_email")
			}
		}
	}
	in.Details = text(v, "details", in.Details, MultiLine, false, MaxDetails)
	validateWhere(v, in)
	j := rules.Resolve(in.Country, in.Region)
	if len(in.Rights) == 0 {
		v.Add("rights", "error.rights.required")
	}
	seen := map[string]bool{}
	var rights []string
	for _, r := range in.Rights {
		if seen[r] {
			continue
		}
		seen[r] = true
		if !s.c.Rules.Offers(j, rules.Right(r)) || rules.Right(r) == rules.RightAppeal {
			v.Add("rights", "error.rights.not_available")
		}
		rights = append(rights, r)
	}
	in.Rights = rights
	if !contains(Relationships, in.Relationship) {
		v.Add("relationship", "error.relationship.required")
	}
	if in.Channel != "" && !contains(Channels, in.Channel) {
		v.Add("channel", "error.channel.required")
	}
	if !in.ReceivedAt.IsZero() {
		now := s.c.Now()
		switch {
		case in.ReceivedAt.After(now):
			v.Add("received", "error.received.future")
		case now.Sub(in.ReceivedAt) > MaxIntakeAge:
			v.Add("received", "error.received.too_old")
		}
	}
	return v.Err()
}

func validCountry(c string) bool {
	return c == "OTHER" || contains(rules.Countries(), c)
}

// ValidEmail reports whether e is one plain address (no display name,
// comments or quoting) with a dotted domain.
func ValidEmail(e string) bool {
	if len(e) > MaxEmail || strings.ContainsAny(e, " <>\"()[]\\,;:") {
		return false
	}
	if clean, ok := CleanText(e, OneLine); !ok || clean != e {
		return false
	}
	if clean, ok := CleanText(e, OneLine); !ok || clean != e {
		return false
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || a.Name != "" {
		return false
	}
	at := strings.LastIndexByte(e, '@')
	return at > 0 && strings.Contains(e[at+1:], ".")
}

func validPhone(p string) bool {
	digits := 0
	for _, r := range p {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune("+-(). /", r):
		default:
			return false
		}
	}
	return digits >= 5 && digits <= 20
}

// Submitted is the result of a submission: the raw tracking token exists
// only here and in the mail; the database keeps its hash.
type Submitted struct {
	Submission    *Submission
	TrackingToken string
}

// Submit records a submission and its requests, the verification code and
// the mail, in one transaction. Each request's clock starts now. A second
// post of the same form (same idempotency key) is ErrDuplicate, however
// close together the two arrive.
func (s *Submissions) Submit(ctx context.Context, in SubmissionInput, actor Actor) (*Submitted, error) {
	if err := s.Validate(&in); err != nil {
		return nil, err
	}
	if in.Lang == "" {
		in.Lang = "en"
	}
	if in.Channel == "" {
		in.Channel = "web"
	}
	c := s.c
	now := c.Now()
	received := now
	if !in.ReceivedAt.IsZero() {
		received = in.ReceivedAt.UTC().Truncate(time.Microsecond)
	}
	j := rules.Resolve(in.Country, in.Region)
	if in.GPC && c.Rules.Offers(j, rules.RightOptOutSale) && !contains(in.Rights, string(rules.RightOptOutSale)) {
		// Unless the person's opt-out is in force already.
		var n int64
		if err := c.read(ctx).Model(&Preference{}).Where("id_kind = ? AND identifier = ? AND choice = ? AND opted_out = ?",
			IDEmail, in.Email, string(rules.RightOptOutSale), true).Count(&n).Error; err != nil {
			return nil, err
		}
		if n == 0 {
			in.Rights = append(in.Rights, string(rules.RightOptOutSale))
		}
	}
	token := newToken()
	sub := &Submission{
		TrackingHash: c.hash("track", token), TrackingSealed: c.sealToken(token), OnBehalf: in.OnBehalf, Name: in.Name, Email: in.Email,
		Phone: in.Phone, Address: in.Address, Country: in.Country, Region: in.Region, Jurisdiction: string(j),
		Relationship: in.Relationship, Details: in.Details, Lang: in.Lang, Channel: in.Channel,
		ReceivedAt: received, CreatedAt: now, UpdatedAt: now,
	}
	if in.IdempotencyKey != "" {
		h := c.hash("idem", in.IdempotencyKey)
		sub.IdempotencyHash = &h
	}
	var needsVerification bool
	for _, r := range in.Rights {
		if c.Rules.VerificationTier(j, rules.Right(r)) != rules.TierNone {
			needsVerification = true
		}
	}
	err := c.write(ctx, func(tx *tx) error {
		if err := insertSubmission(tx, sub); err != nil {
			return err
		}
		if !sub.NoEmail() { // with none, nothing is mailed to count
			if ok, _, err := c.allow(tx.DB, mailPerRecipient, sub.Email); err != nil {
				return err
			} else if !ok {
				return ErrThrottled
			}
		}
		ackRights, err := tx.insertRequests(sub, in.Rights, in.Channel, actor, received, false, in.GPC)
		if err != nil {
			return err
		}
		if sub.NoEmail() {
			// Every request's timeline says so from the start: no code, no
			// link, no acknowledgement by e-mail (tx.enqueue queues
			// nothing to an empty address); staff answer by post or phone.
			for _, r := range sub.Requests {
				if err := tx.event(r.ID, EventNoEmail, SystemActor, "", "", sub.Channel, true); err != nil {
					return err
				}
			}
		}
		if err := tx.openChecks(sub.Requests); err != nil {
			return err
		}
		if err := tx.audit(actor, "submission.create", "submission", sub.ID, "rights="+strings.Join(in.Rights, ",")+" jurisdiction="+string(j)); err != nil {
			return err
		}
		data := MailData{Name: sub.Name, Reference: sub.Reference, TrackURL: c.TrackURL(token), Rights: in.Rights}
		if needsVerification && !sub.NoEmail() {
			code, err := newVerification(tx, sub.ID)
			if err != nil {
				return err
			}
			data.Code, data.VerifyURL = code, c.TrackURL(token)+"/verify/"+code
			if err := tx.enqueue(sub.Email, MailVerifyEmail, sub.Lang, data); err != nil {
				return err
			}
		} else if err := tx.enqueue(sub.Email, MailReceived, sub.Lang, data); err != nil { // nothing where NoEmail
			return err
		}
		if len(ackRights) > 0 {
			ack := MailData{Name: sub.Name, Reference: sub.Reference, TrackURL: c.TrackURL(token), Rights: ackRights,
				Jurisdiction: sub.Jurisdiction, DueAt: &sub.Requests[0].DueAt}
			if err := tx.enqueue(sub.Email, MailAcknowledgment, sub.Lang, ack); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Submitted{Submission: sub, TrackingToken: token}, nil
}

// insertRequests creates one request per right of sub, with its clock
// started at received and its receipt (and acknowledgement, where one is
// due) on its timeline; it returns the rights acknowledged. A request an
// agent filed waits, whatever the right, until the agent's authority is
// established (held).
func (t *tx) insertRequests(sub *Submission, rights []string, channel string, actor Actor, received time.Time, held, gpc bool) ([]string, error) {
	var ackRights []string
	for _, r := range rights {
		req, err := t.c.newRequest(sub, rules.Right(r), KindRequest, nil, received)
		if err != nil {
			return nil, err
		}
		if held {
			req.Status, req.VerifiedAt = StatusAwaitingVerification, nil
		}
		if req.AckDueAt != nil && !sub.NoEmail() {
			// With no address nothing can be sent automatically: staff
			// acknowledge by post or phone and record it (Requests.Acknowledge).
			now := t.c.Now() // rule 4: acknowledged at once, automatically (now, even if received earlier)
			req.AcknowledgedAt = &now
			ackRights = append(ackRights, r)
		}
		if err := t.Create(req).Error; err != nil {
			return nil, err
		}
		if err := t.event(req.ID, EventReceived, actor, "", req.Status, channel, false); err != nil {
			return nil, err
		}
		if err := t.formChoice(sub, req, gpc, actor); err != nil {
			return nil, err
		}
		if req.Status == StatusVerified {
			if err := t.openTasks(req); err != nil { // verified at once (an opt-out): its checklist too
				return nil, err
			}
		}
		if req.AcknowledgedAt != nil {
			if err := t.event(req.ID, EventAcknowledged, SystemActor, "", "", "", false); err != nil {
				return nil, err
			}
		}
		sub.Requests = append(sub.Requests, *req)
	}
	return ackRights, nil
}

// insertSubmission inserts sub under a fresh random reference. The unique
// indexes decide: a conflict on the idempotency key is a duplicate post of
// the same form (even one still in flight in another transaction, which
// ON CONFLICT waits for); a conflict on the reference (astronomically rare)
// draws again.
func insertSubmission(tx *tx, sub *Submission) error {
	// What staff search it by (search.go), whoever made it: the form, staff
	// intake, an agent, the DRP, a privacy choice.
	sub.PhoneTail = phoneTail(sub.Phone)
	for range 5 {
		sub.Reference = newReference()
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(sub)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 1 {
			return tx.indexName(sub)
		}
		if sub.IdempotencyHash != nil {
			var n int64
			if err := tx.Model(&Submission{}).Where("idempotency_hash = ?", *sub.IdempotencyHash).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				return ErrDuplicate
			}
		}
	}
	return errors.New("could not draw a unique reference")
}

func newVerification(tx *tx, submissionID int64) (string, error) {
	code := newCode()
	now := tx.c.Now()
	err := tx.Create(&EmailVerification{SubmissionID: submissionID, CodeHash: tx.c.hash("code", code),
		ExpiresAt: now.Add(CodeTTL), CreatedAt: now}).Error
	return code, err
}

// ByTrackingToken loads the submission a tracking link points to, with its
// requests and their public timelines, in two queries.
func (s *Submissions) ByTrackingToken(ctx context.Context, token string) (*Submission, error) {
	return s.c.byTrackingToken(ctx, token)
}

// Code errors: each carries the message for the code field.
var (
	ErrCodeFormat  = &Error{Kind: KindInvalid, Key: "error.code.format", Field: "code"}
	ErrCodeWrong   = &Error{Kind: KindInvalid, Key: "error.code.wrong", Field: "code"}
	ErrCodeExpired = &Error{Kind: KindGone, Key: "error.code.expired", Field: "code"}
	ErrCodeLocked  = &Error{Kind: KindThrottled, Key: "error.code.locked", Field: "code"}
	ErrResendLimit = &Error{Kind: KindThrottled, Key: "error.code.throttled", Field: "code"}
)

// VerifyEmail checks a code typed on the tracking page. The attempt is
// counted first, in its own guarded statement, and the code compared only
// if the count was still under the limit: however many guesses arrive at
// once, at most CodeMaxAttempts are ever compared.
func (s *Submissions) VerifyEmail(ctx context.Context, token, code string, actor Actor) error {
	code = strings.TrimSpace(code)
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return ErrCodeFormat
	}
	sub, err := s.ByTrackingToken(ctx, token)
	if err != nil {
		return err
	}
	if sub.EmailVerifiedAt != nil {
		return nil
	}
	c := s.c
	db := c.read(ctx)
	now := c.Now()
	// The attempt is counted on the latest code and the guess compared
	// with exactly the row counted (RETURNING, on both databases): a code
	// resent meanwhile is never compared with a guess not counted on it.
	latest := db.Model(&EmailVerification{}).Select("MAX(id)").Where("submission_id = ?", sub.ID)
	var v EmailVerification
	res := db.Model(&v).Clauses(clause.Returning{}).
		Where("id = (?) AND attempts < ? AND used_at IS NULL AND expires_at > ?", latest, CodeMaxAttempts, now).
		Update("attempts", gorm.Expr("attempts + 1"))
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		// Nothing counted: say why, from the latest code.
		if err := db.Where("submission_id = ?", sub.ID).Order("id DESC").Take(&v).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrCodeExpired
			}
			return err
		}
		if v.Attempts >= CodeMaxAttempts {
			return ErrCodeLocked
		}
		return ErrCodeExpired
	}
	if v.ID == 0 || v.CodeHash == "" {
		return errors.New("models: the counted code was not returned")
	}
	if !c.hashEqual("code", code, v.CodeHash) {
		if remaining := CodeMaxAttempts - v.Attempts; remaining > 0 {
			return ErrCodeWrong.with(remaining)
		}
		return ErrCodeLocked
	}
	return c.write(ctx, func(tx *tx) error {
		used := tx.Model(&EmailVerification{}).Where("id = ? AND used_at IS NULL", v.ID).Update("used_at", now)
		if used.Error != nil {
			return used.Error
		}
		if used.RowsAffected != 1 {
			return nil // a concurrent post of the same code got there first
		}
		if err := tx.Model(&Submission{}).Where("id = ?", sub.ID).
			Updates(map[string]any{"email_verified_at": now, "updated_at": now}).Error; err != nil {
			return err
		}
		var ids []int64
		for _, r := range sub.Requests {
			ids = append(ids, r.ID)
		}
		// A request whose tier asks for more waits for its identity check.
		checked, err := tx.checkedRequests(ids)
		if err != nil {
			return err
		}
		for i := range sub.Requests {
			r := &sub.Requests[i]
			if r.Status != StatusAwaitingVerification || checked[r.ID] {
				continue
			}
			if err := tx.setStatus(r, StatusVerified, actor, ""); err != nil && !errors.Is(err, ErrInvalidState) {
				return err
			}
		}
		return tx.audit(actor, "submission.email_verified", "submission", sub.ID, "")
	})
}

// ResendCode sends a fresh code, at most once a minute and five times an
// hour; the previous code stops working. The submission row is locked
// while the recent codes are counted, so simultaneous resends count each
// other.
func (s *Submissions) ResendCode(ctx context.Context, token string, actor Actor) error {
	sub, err := s.ByTrackingToken(ctx, token)
	if err != nil {
		return err
	}
	if sub.EmailVerifiedAt != nil {
		return ErrInvalidState
	}
	c := s.c
	return c.write(ctx, func(tx *tx) error {
		var locked Submission
		if err := tx.forUpdate().Select("id").Where("id = ?", sub.ID).Take(&locked).Error; err != nil {
			return err
		}
		now := c.Now()
		var recent []EmailVerification
		if err := tx.Where("submission_id = ? AND created_at > ?", sub.ID, now.Add(-time.Hour)).
			Order("id DESC").Find(&recent).Error; err != nil {
			return err
		}
		if len(recent) >= ResendMaxPerHour || (len(recent) > 0 && now.Sub(recent[0].CreatedAt) < ResendInterval) {
			return ErrResendLimit
		}
		if ok, _, err := c.allow(tx.DB, mailPerRecipient, sub.Email); err != nil {
			return err
		} else if !ok {
			return ErrResendLimit
		}
		code, err := newVerification(tx, sub.ID)
		if err != nil {
			return err
		}
		data := MailData{Name: sub.Name, Reference: sub.Reference, Code: code,
			TrackURL: c.TrackURL(token), VerifyURL: c.TrackURL(token) + "/verify/" + code}
		if err := tx.enqueue(sub.Email, MailVerifyEmail, sub.Lang, data); err != nil {
			return err
		}
		return tx.audit(actor, "submission.code_resent", "submission", sub.ID, "")
	})
}

// ValidateLookup checks the lost-link form and returns the reference and
// e-mail address cleaned.
func (s *Submissions) ValidateLookup(reference, email string) (string, string, error) {
	v := &ValidationError{}
	ref := NormalizeReference(reference)
	if ref == "" {
		v.Add("reference", "error.reference.required")
	}
	email = strings.ToLower(text(v, "email", email, OneLine, true, MaxEmail))
	if _, bad := v.Fields["email"]; !bad && !ValidEmail(email) {
		v.Add("email", "error.email.invalid")
	}
	return ref, email, v.Err()
}

// SendTrackingLink emails the tracking link again when reference and email
// match; the caller answers the same either way, so nobody can probe. The
// link sent is the current one: a stranger who knows someone's reference
// and address cannot break the person's link, and mail per submission and
// per recipient is bounded (past the bound, nothing is sent).
func (s *Submissions) SendTrackingLink(ctx context.Context, reference, email string, actor Actor) error {
	ref, email, err := s.ValidateLookup(reference, email)
	if err != nil {
		return err
	}
	c := s.c
	var sub Submission
	err = c.read(ctx).Where("reference = ?", ref).Take(&sub).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare([]byte(sub.Email), []byte(email)) != 1 {
		return nil
	}
	link := c.trackURLOf(&sub)
	return c.write(ctx, func(tx *tx) error {
		for _, l := range []struct {
			limit   Limit
			subject string
		}{{linksPerSubmision, sub.Reference}, {mailPerRecipient, sub.Email}} {
			if ok, _, err := c.allow(tx.DB, l.limit, l.subject); err != nil || !ok {
				return err
			}
		}
		var extra map[string]string
		if link == "" {
			// The sealed token cannot be opened (the secret changed): a new
			// link is the only way back in.
			token := newToken()
			if err := tx.Model(&Submission{}).Where("id = ?", sub.ID).Updates(map[string]any{
				"tracking_hash": c.hash("track", token), "tracking_sealed": c.sealToken(token), "updated_at": c.Now()}).Error; err != nil {
				return err
			}
			link, extra = c.TrackURL(token), map[string]string{"replaced": "1"}
		}
		if err := tx.enqueue(sub.Email, MailTrackingLink, sub.Lang,
			MailData{Name: sub.Name, Reference: sub.Reference, TrackURL: link, Extra: extra}); err != nil {
			return err
		}
		return tx.audit(actor, "submission.link_sent", "submission", sub.ID, "")
	})
}

// NewTrackingLink replaces the tracking link of the submission token opens
// (for a person who fears the link was seen by someone else) and mails the
// new one; the old link stops working at once. It returns the new token.
func (s *Submissions) NewTrackingLink(ctx context.Context, token string, actor Actor) (string, error) {
	sub, err := s.ByTrackingToken(ctx, token)
	if err != nil {
		return "", err
	}
	c := s.c
	fresh := newToken()
	err = c.write(ctx, func(tx *tx) error {
		if ok, _, err := c.allow(tx.DB, linksPerSubmision, sub.Reference); err != nil {
			return err
		} else if !ok {
			return ErrThrottled
		}
		res := tx.Model(&Submission{}).Where("id = ? AND tracking_hash = ?", sub.ID, c.hash("track", token)).
			Updates(map[string]any{"tracking_hash": c.hash("track", fresh), "tracking_sealed": c.sealToken(fresh), "updated_at": c.Now()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrNotFound // replaced meanwhile
		}
		if err := tx.enqueue(sub.Email, MailTrackingLink, sub.Lang,
			MailData{Name: sub.Name, Reference: sub.Reference, TrackURL: c.TrackURL(fresh), Extra: map[string]string{"replaced": "1"}}); err != nil {
			return err
		}
		return tx.audit(actor, "submission.link_replaced", "submission", sub.ID, "")
	})
	return fresh, err
}

// Withdraw lets the requester withdraw one of their requests that is not
// yet closed.
func (s *Submissions) Withdraw(ctx context.Context, token string, requestID int64, actor Actor) error {
	sub, err := s.ByTrackingToken(ctx, token)
	if err != nil {
		return err
	}
	req := sub.request(requestID)
	if req == nil {
		return ErrNotFound
	}
	c := s.c
	return c.write(ctx, func(tx *tx) error {
		if err := tx.setStatus(req, StatusWithdrawn, actor, ""); err != nil {
			return err
		}
		if err := tx.choiceRequestClosed(req, SourceWithdrawn, actor); err != nil {
			return err
		}
		// The person withdrew it themselves: they, and their agent if any, are told.
		if err := tx.tellRequester(sub, MailStatusChanged, MailData{Name: sub.Name,
			Reference: sub.Reference, Right: req.Right, Status: StatusWithdrawn, TrackURL: c.TrackURL(token), Extra: kindExtra(req.Kind)}, true); err != nil {
			return err
		}
		return tx.audit(actor, "request.withdraw", "request", req.ID, "")
	})
}

// request finds one of the submission's requests by id; nil when it is not
// one of them.
func (sub *Submission) request(id int64) *Request {
	for i := range sub.Requests {
		if sub.Requests[i].ID == id {
			return &sub.Requests[i]
		}
	}
	return nil
}

// HasEvent reports whether the public timeline of any of the
// submission's requests, as loaded, has an event of one of kinds.
func (sub *Submission) HasEvent(kinds ...string) bool {
	for _, r := range sub.Requests {
		for _, e := range r.Events {
			if contains(kinds, e.Kind) {
				return true
			}
		}
	}
	return false
}

// HasRight reports whether any of the submission's requests is for right.
func (sub *Submission) HasRight(right string) bool {
	for _, r := range sub.Requests {
		if r.Kind == KindRequest && r.Right == right {
			return true
		}
	}
	return false
}

// NeedsCode reports whether the person still has to confirm their e-mail
// with a code (an agent's filing is confirmed by the person's answer
// instead: see Filings.Confirm).
func (sub *Submission) NeedsCode() bool {
	if sub.EmailVerifiedAt != nil || sub.OnBehalf == "agent" {
		return false
	}
	for _, r := range sub.Requests {
		if r.Status == StatusAwaitingVerification {
			return true
		}
	}
	return false
}
