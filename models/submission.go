package models

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rightsdesk/rightsdesk/internal/rules"
	"gorm.io/gorm"
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

	Requests []Request `gorm:"foreignKey:SubmissionID"`
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

// Field limits, shared with the form's maxlength attributes.
const (
	MaxName    = 200
	MaxEmail   = 254
	MaxPhone   = 40
	MaxDetails = 5000
)

// Relationships a person may have with the organization.
var Relationships = []string{"customer", "employee", "applicant", "visitor", "other"}

// SubmissionInput is what the public form (or staff intake) provides.
type SubmissionInput struct {
	OnBehalf       string
	Country        string
	Region         string
	Rights         []string
	Name           string
	Email          string
	Phone          string
	Relationship   string
	Details        string
	Lang           string
	Channel        string
	IdempotencyKey string // the form's one-time nonce: a second post of the same form is refused
}

// ValidateWhere checks who is asking and where they live: step 1 of the form.
func (s *Store) ValidateWhere(in *SubmissionInput) error {
	v := &ValidationError{}
	s.validateWhere(v, in)
	return v.Err()
}

func (s *Store) validateWhere(v *ValidationError, in *SubmissionInput) {
	in.Country = strings.ToUpper(strings.TrimSpace(in.Country))
	in.Region = strings.ToUpper(strings.TrimSpace(in.Region))
	switch in.OnBehalf {
	case "self":
	case "agent":
		v.Add("on_behalf", "error.on_behalf.agent_unavailable")
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

// Validate checks the whole input against the rules of where the person lives.
func (s *Store) Validate(in *SubmissionInput) error {
	v := &ValidationError{}
	in.Name = strings.TrimSpace(in.Name)
	in.Email = strings.ToLower(strings.TrimSpace(in.Email))
	in.Phone = strings.TrimSpace(in.Phone)
	in.Details = strings.TrimSpace(in.Details)
	s.validateWhere(v, in)
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
		if !s.Rules.Offers(j, rules.Right(r)) || rules.Right(r) == rules.RightAppeal {
			v.Add("rights", "error.rights.not_available")
		}
		rights = append(rights, r)
	}
	in.Rights = rights
	switch {
	case in.Name == "":
		v.Add("name", "error.name.required")
	case utf8.RuneCountInString(in.Name) > MaxName:
		v.Add("name", "error.name.too_long")
	}
	switch {
	case in.Email == "":
		v.Add("email", "error.email.required")
	case len(in.Email) > MaxEmail || !validEmail(in.Email):
		v.Add("email", "error.email.invalid")
	}
	if utf8.RuneCountInString(in.Phone) > MaxPhone {
		v.Add("phone", "error.phone.too_long")
	} else if in.Phone != "" && !validPhone(in.Phone) {
		v.Add("phone", "error.phone.invalid")
	}
	if !contains(Relationships, in.Relationship) {
		v.Add("relationship", "error.relationship.required")
	}
	if utf8.RuneCountInString(in.Details) > MaxDetails {
		v.Add("details", "error.details.too_long")
	}
	if !utf8.ValidString(in.Name + in.Details + in.Phone) {
		v.Add("details", "error.details.invalid")
	}
	return v.Err()
}

func validCountry(c string) bool {
	return c == "OTHER" || contains(rules.Countries(), c)
}

func validEmail(e string) bool {
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || a.Name != "" {
		return false
	}
	at := strings.LastIndexByte(e, '@')
	return at > 0 && strings.Contains(e[at+1:], ".") && !strings.ContainsAny(e, " <>\"")
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
	return digits >= 5
}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// Submitted is the result of a submission: the raw tracking token exists
// only here and in the mail; the database keeps its hash.
type Submitted struct {
	Submission    *Submission
	TrackingToken string
}

// Submit records a submission and its requests, the verification code and
// the mail, in one transaction. Each request's clock starts now.
func (s *Store) Submit(ctx context.Context, in SubmissionInput, actor Actor) (*Submitted, error) {
	if err := s.Validate(&in); err != nil {
		return nil, err
	}
	if in.Lang == "" {
		in.Lang = "en"
	}
	if in.Channel == "" {
		in.Channel = "web"
	}
	received := s.now()
	j := rules.Resolve(in.Country, in.Region)
	token := newToken()
	sub := &Submission{
		TrackingHash: s.hash("track", token), TrackingSealed: s.sealToken(token), OnBehalf: in.OnBehalf, Name: in.Name, Email: in.Email,
		Phone: in.Phone, Country: in.Country, Region: in.Region, Jurisdiction: string(j),
		Relationship: in.Relationship, Details: in.Details, Lang: in.Lang, Channel: in.Channel,
		ReceivedAt: received, CreatedAt: received, UpdatedAt: received,
	}
	if in.IdempotencyKey != "" {
		h := s.hash("idem", in.IdempotencyKey)
		sub.IdempotencyHash = &h
	}
	var needsVerification bool
	for _, r := range in.Rights {
		if s.Rules.VerificationTier(j, rules.Right(r)) != rules.TierNone {
			needsVerification = true
		}
	}
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if sub.IdempotencyHash != nil {
			var n int64
			if err := tx.Model(&Submission{}).Where("idempotency_hash = ?", *sub.IdempotencyHash).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				return ErrDuplicate
			}
		}
		if err := s.createWithReference(tx, sub); err != nil {
			return err
		}
		var ackRights []string
		for _, r := range in.Rights {
			req, err := s.newRequest(sub, rules.Right(r), KindRequest, nil, received)
			if err != nil {
				return err
			}
			if req.AckDueAt != nil {
				req.AcknowledgedAt = &received // rule 4: acknowledged at once, automatically
				ackRights = append(ackRights, r)
			}
			if err := tx.Create(req).Error; err != nil {
				return err
			}
			if err := s.addEvent(tx, req.ID, EventReceived, actor, "", req.Status, in.Channel, false); err != nil {
				return err
			}
			if req.AcknowledgedAt != nil {
				if err := s.addEvent(tx, req.ID, EventAcknowledged, SystemActor, "", "", "", false); err != nil {
					return err
				}
			}
			sub.Requests = append(sub.Requests, *req)
		}
		if err := s.audit(tx, actor, "submission.create", "submission", sub.ID, "rights="+strings.Join(in.Rights, ",")+" jurisdiction="+string(j)); err != nil {
			return err
		}
		data := MailData{Name: sub.Name, Reference: sub.Reference, TrackURL: s.TrackURL(token), Rights: in.Rights}
		if needsVerification {
			code, err := s.newVerification(tx, sub.ID)
			if err != nil {
				return err
			}
			data.Code, data.VerifyURL = code, s.TrackURL(token)+"/verify/"+code
			if err := s.enqueue(tx, sub.Email, MailVerifyEmail, sub.Lang, data); err != nil {
				return err
			}
		} else if err := s.enqueue(tx, sub.Email, MailReceived, sub.Lang, data); err != nil {
			return err
		}
		if len(ackRights) > 0 {
			ack := MailData{Name: sub.Name, Reference: sub.Reference, TrackURL: s.TrackURL(token), Rights: ackRights,
				Jurisdiction: sub.Jurisdiction, DueAt: &sub.Requests[0].DueAt}
			if err := s.enqueue(tx, sub.Email, MailAcknowledgment, sub.Lang, ack); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.notifyMail()
	return &Submitted{Submission: sub, TrackingToken: token}, nil
}

// createWithReference inserts sub under a fresh random reference, drawing
// again in the (astronomically rare) case of a collision.
func (s *Store) createWithReference(tx *gorm.DB, sub *Submission) error {
	for range 5 {
		sub.Reference = newReference()
		var n int64
		if err := tx.Model(&Submission{}).Where("reference = ?", sub.Reference).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			return tx.Omit("Requests").Create(sub).Error
		}
	}
	return errors.New("could not draw a unique reference")
}

// TrackURL is the private tracking link for token.
func (s *Store) TrackURL(token string) string { return s.BaseURL + "/t/" + token }

func (s *Store) newVerification(tx *gorm.DB, submissionID int64) (string, error) {
	code := newCode()
	now := s.now()
	err := tx.Create(&EmailVerification{SubmissionID: submissionID, CodeHash: s.hash("code", code),
		ExpiresAt: now.Add(CodeTTL), CreatedAt: now}).Error
	return code, err
}

// ByTrackingToken loads the submission a tracking link points to, with its
// requests and their public timelines.
func (s *Store) ByTrackingToken(ctx context.Context, token string) (*Submission, error) {
	if len(token) < 20 || len(token) > 100 {
		return nil, ErrNotFound
	}
	var sub Submission
	err := s.DB.WithContext(ctx).Where("tracking_hash = ?", s.hash("track", token)).
		Preload("Requests", func(db *gorm.DB) *gorm.DB { return db.Order("id") }).
		Preload("Requests.Events", "internal = ?", false, func(db *gorm.DB) *gorm.DB { return db.Order("id") }).
		First(&sub).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	return &sub, err
}

// VerifyEmail checks a code typed on the tracking page or carried by the
// link in the mail. A wrong code counts against the limit even though the
// request itself fails, so the attempt count is committed on its own.
func (s *Store) VerifyEmail(ctx context.Context, token, code string, actor Actor) (remaining int, err error) {
	sub, err := s.ByTrackingToken(ctx, token)
	if err != nil {
		return 0, err
	}
	if sub.EmailVerifiedAt != nil {
		return 0, nil
	}
	code = strings.TrimSpace(code)
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var v EmailVerification
		if err := tx.Where("submission_id = ?", sub.ID).Order("id DESC").First(&v).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrCodeExpired
			}
			return err
		}
		now := s.now()
		switch {
		case v.Attempts >= CodeMaxAttempts:
			return ErrCodeLocked
		case v.UsedAt != nil || now.After(v.ExpiresAt):
			return ErrCodeExpired
		}
		if !s.hashEqual("code", code, v.CodeHash) {
			remaining = CodeMaxAttempts - v.Attempts - 1
			if remaining <= 0 {
				return ErrCodeLocked
			}
			return ErrCodeWrong
		}
		if err := tx.Model(&v).Update("used_at", now).Error; err != nil {
			return err
		}
		if err := tx.Model(sub).Updates(map[string]any{"email_verified_at": now, "updated_at": now}).Error; err != nil {
			return err
		}
		for i := range sub.Requests {
			r := &sub.Requests[i]
			if r.Status != StatusAwaitingVerification {
				continue
			}
			if err := s.setStatus(tx, r, StatusVerified, actor, ""); err != nil {
				return err
			}
		}
		return s.audit(tx, actor, "submission.email_verified", "submission", sub.ID, "")
	})
	if errors.Is(err, ErrCodeWrong) || errors.Is(err, ErrCodeLocked) {
		// Recorded outside the rolled-back transaction so that every wrong
		// guess counts.
		if uerr := s.countWrongCode(ctx, sub.ID); uerr != nil {
			return 0, uerr
		}
	}
	return remaining, err
}

func (s *Store) countWrongCode(ctx context.Context, submissionID int64) error {
	var v EmailVerification
	db := s.DB.WithContext(ctx)
	if err := db.Where("submission_id = ?", submissionID).Order("id DESC").First(&v).Error; err != nil {
		return err
	}
	if v.Attempts >= CodeMaxAttempts {
		return nil
	}
	return db.Model(&v).Update("attempts", gorm.Expr("attempts + 1")).Error
}

// ResendCode sends a fresh code, at most once a minute and five times an
// hour; the previous code stops working.
func (s *Store) ResendCode(ctx context.Context, token string, actor Actor) error {
	sub, err := s.ByTrackingToken(ctx, token)
	if err != nil {
		return err
	}
	if sub.EmailVerifiedAt != nil {
		return ErrInvalidState
	}
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now := s.now()
		var recent []EmailVerification
		if err := tx.Where("submission_id = ? AND created_at > ?", sub.ID, now.Add(-time.Hour)).
			Order("id DESC").Find(&recent).Error; err != nil {
			return err
		}
		if len(recent) >= ResendMaxPerHour || (len(recent) > 0 && now.Sub(recent[0].CreatedAt) < ResendInterval) {
			return ErrThrottled
		}
		code, err := s.newVerification(tx, sub.ID)
		if err != nil {
			return err
		}
		data := MailData{Name: sub.Name, Reference: sub.Reference, Code: code,
			TrackURL: s.TrackURL(token), VerifyURL: s.TrackURL(token) + "/verify/" + code}
		if err := s.enqueue(tx, sub.Email, MailVerifyEmail, sub.Lang, data); err != nil {
			return err
		}
		return s.audit(tx, actor, "submission.code_resent", "submission", sub.ID, "")
	})
	if err == nil {
		s.notifyMail()
	}
	return err
}

// SendTrackingLink emails a fresh tracking link when reference and email
// match; the caller answers the same either way, so nobody can probe.
// The old link stops working.
func (s *Store) SendTrackingLink(ctx context.Context, reference, email string, actor Actor) error {
	reference = NormalizeReference(reference)
	email = strings.ToLower(strings.TrimSpace(email))
	var sub Submission
	err := s.DB.WithContext(ctx).Where("reference = ?", reference).First(&sub).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !hmacEqualStrings(sub.Email, email) {
		return nil
	}
	token := newToken()
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&sub).Updates(map[string]any{"tracking_hash": s.hash("track", token), "tracking_sealed": s.sealToken(token), "updated_at": s.now()}).Error; err != nil {
			return err
		}
		if err := s.enqueue(tx, sub.Email, MailTrackingLink, sub.Lang,
			MailData{Name: sub.Name, Reference: sub.Reference, TrackURL: s.TrackURL(token)}); err != nil {
			return err
		}
		return s.audit(tx, actor, "submission.link_sent", "submission", sub.ID, "")
	})
	if err == nil {
		s.notifyMail()
	}
	return err
}

func hmacEqualStrings(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// Withdraw lets the requester withdraw one of their requests that is not
// yet closed.
func (s *Store) Withdraw(ctx context.Context, token string, requestID int64, actor Actor) error {
	sub, err := s.ByTrackingToken(ctx, token)
	if err != nil {
		return err
	}
	var req *Request
	for i := range sub.Requests {
		if sub.Requests[i].ID == requestID {
			req = &sub.Requests[i]
		}
	}
	if req == nil {
		return ErrNotFound
	}
	if req.Closed() {
		return ErrInvalidState
	}
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.setStatus(tx, req, StatusWithdrawn, actor, ""); err != nil {
			return err
		}
		if err := s.enqueue(tx, sub.Email, MailStatusChanged, sub.Lang, MailData{Name: sub.Name,
			Reference: sub.Reference, Right: req.Right, Status: StatusWithdrawn, TrackURL: s.TrackURL(token)}); err != nil {
			return err
		}
		return s.audit(tx, actor, "request.withdraw", "request", req.ID, "")
	})
	if err == nil {
		s.notifyMail()
	}
	return err
}
