package models

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"strings"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/mail"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// OutboxMessage is a mail queued in the same transaction as the change that
// caused it, so a crash or an SMTP outage loses nothing.
type OutboxMessage struct {
	ID            int64
	ToAddr        string
	Template      string
	Data          string
	Lang          string
	Status        string // pending, sending, sent, dead
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	LeaseToken    string // the claim that holds a sending row
	CreatedAt     time.Time
	SentAt        *time.Time
}

func (OutboxMessage) TableName() string { return "outbox" }

// Mail templates (names defined once, in internal/mail).
const (
	MailVerifyEmail    = mail.TemplateVerifyEmail
	MailReceived       = mail.TemplateReceived
	MailAcknowledgment = mail.TemplateAcknowledgement
	MailTrackingLink   = mail.TemplateTrackingLink
	MailStatusChanged  = mail.TemplateStatusChanged
	MailMessage        = mail.TemplateMessage
	MailExtended       = mail.TemplateExtended
	MailStaffDigest    = mail.TemplateStaffDigest
	MailStaffInvite    = mail.TemplateStaffInvite
	MailPasswordReset  = mail.TemplatePasswordReset
	MailAgentVerify    = mail.TemplateAgentVerify
	MailAgentDecided   = mail.TemplateAgentDecided
	MailAgentFiled     = mail.TemplateAgentFiled
	MailAgentConfirm   = mail.TemplateAgentConfirm
	MailAuthority      = mail.TemplateAuthorityDecided
	MailFraudAlert     = mail.TemplateStaffFraudAlert
	// MailInformationRequested: staff asked a question (Extra["clock"] says whether the clock stopped).
	MailInformationRequested = mail.TemplateInformationRequested
	// MailComplaintReceived acknowledges a complaint.
	MailComplaintReceived = mail.TemplateComplaintReceived
	MailChoiceRecorded    = mail.TemplateChoiceRecorded
	MailPreferenceLink    = mail.TemplatePreferenceLink
	// Identity verification.
	MailIdentityOutcome     = mail.TemplateIdentityOutcome
	MailStaffIdentityReview = mail.TemplateStaffIdentityReview
	MailStaffLookupDown     = mail.TemplateStaffLookupDown
	// MailPackageReady and MailPackageCode: a copy of the person's data
	// waits on their tracking page; the code to download it.
	MailPackageReady = mail.TemplatePackageReady
	MailPackageCode  = mail.TemplatePackageCode
	// MailStaffAssigned tells a member a request was assigned to them.
	MailStaffAssigned = mail.TemplateStaffAssigned
)

// MailData is what a mail template may say.
type MailData = mail.Data

// DigestItem is one line of the staff digest.
type DigestItem = mail.DigestItem

// DigestHolder is one line of the digest's "who holds what".
type DigestHolder = mail.DigestHolder

// Outbox is the durable mail queue, as the mail worker sees it.
type Outbox struct{ c *Core }

// NewOutbox returns the outbox.
func NewOutbox(c *Core) *Outbox { return &Outbox{c: c} }

var _ mail.Outbox = (*Outbox)(nil)

// Claim leases due messages under a fresh token. On PostgreSQL, FOR
// UPDATE SKIP LOCKED lets several instances work the same table without
// taking the same row.
func (o *Outbox) Claim(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]mail.Message, error) {
	var out []mail.Message
	token := rand.Text()
	err := o.c.read(ctx).Transaction(func(tx *gorm.DB) error {
		q := tx.Where("status IN ? AND next_attempt_at <= ?", []string{"pending", "sending"}, now.UTC()).
			Order("next_attempt_at, id").Limit(limit)
		if IsPostgres(tx) {
			q = q.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"})
		}
		var rows []OutboxMessage
		if err := q.Find(&rows).Error; err != nil || len(rows) == 0 {
			return err
		}
		ids := make([]int64, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
			out = append(out, mail.Message{ID: r.ID, To: r.ToAddr, Template: r.Template,
				Data: json.RawMessage(r.Data), Lang: r.Lang, Attempts: r.Attempts, Created: r.CreatedAt, Token: token})
		}
		// "sending" with a lease: a worker that dies mid-send gives the
		// row back when the lease runs out.
		return tx.Model(&OutboxMessage{}).Where("id IN ?", ids).
			Updates(map[string]any{"status": "sending", "next_attempt_at": now.Add(lease).UTC(), "lease_token": token}).Error
	})
	if err != nil || len(out) > 0 { // an empty claim wrote nothing
		o.c.wrote(err)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// held selects the row id while the claim token still holds it.
func (o *Outbox) held(ctx context.Context, id int64, token string) *gorm.DB {
	return o.c.read(ctx).Model(&OutboxMessage{}).
		Where("id = ? AND status = ? AND lease_token = ?", id, "sending", token)
}

// update applies a guarded update, reporting mail.ErrLeaseLost when the
// row is no longer held under token.
func (o *Outbox) update(ctx context.Context, id int64, token string, set map[string]any) error {
	res := o.held(ctx, id, token).Updates(set)
	o.c.wrote(res.Error)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return mail.ErrLeaseLost
	}
	return nil
}

// Extend renews a lease the worker still holds.
func (o *Outbox) Extend(ctx context.Context, id int64, token string, until time.Time) error {
	return o.update(ctx, id, token, map[string]any{"next_attempt_at": until.UTC()})
}

// MarkSent also clears the message data: links and codes are not kept once
// the mail has gone.
func (o *Outbox) MarkSent(ctx context.Context, id int64, token string, now time.Time) error {
	return o.update(ctx, id, token, map[string]any{"status": "sent", "sent_at": now.UTC(), "data": "{}",
		"lease_token": "", "attempts": gorm.Expr("attempts + 1")})
}

func (o *Outbox) MarkFailed(ctx context.Context, id int64, token string, now, next time.Time, errMsg string, dead bool) error {
	status := "pending"
	if dead {
		status = "dead"
	}
	if len(errMsg) > 500 {
		errMsg = strings.ToValidUTF8(errMsg[:500], "") // PostgreSQL refuses a cut rune
	}
	return o.update(ctx, id, token, map[string]any{"status": status, "next_attempt_at": next.UTC(), "last_error": errMsg,
		"lease_token": "", "attempts": gorm.Expr("attempts + 1")})
}

// DropPending discards unsent mail to addresses ending in suffix (the
// demo's fictional people).
func (o *Outbox) DropPending(ctx context.Context, suffix string) error {
	return o.c.read(ctx).Where("status = ? AND to_addr LIKE ?", "pending", "%"+suffix).Delete(&OutboxMessage{}).Error
}

// Scrub wipes the old copies of sent messages' data. MarkSent blanks the
// data in place (secure_delete overwrites the freed bytes), but SQLite's
// write-ahead log still holds the pages as they were: a truncating
// checkpoint copies the current pages back and empties the log.
// PostgreSQL's old row versions go with vacuum; nothing to do here.
func (o *Outbox) Scrub(ctx context.Context) error {
	if IsPostgres(o.c.db) {
		return nil
	}
	return o.c.read(ctx).Exec("PRAGMA wal_checkpoint(TRUNCATE)").Error
}
