package models

import (
	"context"
	"encoding/json"
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
	CreatedAt     time.Time
	SentAt        *time.Time
}

func (OutboxMessage) TableName() string { return "outbox" }

// Mail templates, named once in internal/mail.
const (
	MailVerifyEmail    = mail.TemplateVerifyEmail
	MailReceived       = mail.TemplateReceived // no verification needed
	MailAcknowledgment = mail.TemplateAcknowledgement
	MailTrackingLink   = mail.TemplateTrackingLink
	MailStatusChanged  = mail.TemplateStatusChanged
	MailMessage        = mail.TemplateMessage
	MailExtended       = mail.TemplateExtended
	MailStaffDigest    = mail.TemplateStaffDigest
)

// MailData is what a mail template may say.
type MailData = mail.Data

// DigestItem is one line of the staff digest.
type DigestItem = mail.DigestItem

// Outbox is the durable mail queue, as the mail worker sees it.
type Outbox struct{ c *Core }

// NewOutbox returns the outbox.
func NewOutbox(c *Core) *Outbox { return &Outbox{c: c} }

var _ mail.Outbox = (*Outbox)(nil)

// Claim leases due messages. On PostgreSQL, FOR UPDATE SKIP LOCKED lets
// several instances work the same table without taking the same row.
func (o *Outbox) Claim(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]mail.Message, error) {
	var out []mail.Message
	err := o.c.read(ctx).Transaction(func(tx *gorm.DB) error {
		q := tx.Where("status IN ? AND next_attempt_at <= ?", []string{"pending", "sending"}, now.UTC()).
			Order("next_attempt_at, id").Limit(limit)
		if IsPostgres(tx) {
			q = q.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"})
		}
		var rows []OutboxMessage
		if err := q.Find(&rows).Error; err != nil {
			return err
		}
		for _, r := range rows {
			// "sending" with a lease: a worker that dies mid-send gives the
			// row back when the lease runs out.
			if err := tx.Model(&OutboxMessage{}).Where("id = ?", r.ID).
				Updates(map[string]any{"status": "sending", "next_attempt_at": now.Add(lease).UTC()}).Error; err != nil {
				return err
			}
			out = append(out, mail.Message{ID: r.ID, To: r.ToAddr, Template: r.Template,
				Data: json.RawMessage(r.Data), Lang: r.Lang, Attempts: r.Attempts})
		}
		return nil
	})
	return out, err
}

// MarkSent also clears the message data: links and codes are not kept once
// the mail has gone.
func (o *Outbox) MarkSent(ctx context.Context, id int64, now time.Time) error {
	return o.c.read(ctx).Model(&OutboxMessage{}).Where("id = ?", id).
		Updates(map[string]any{"status": "sent", "sent_at": now.UTC(), "data": "{}", "attempts": gorm.Expr("attempts + 1")}).Error
}

func (o *Outbox) MarkFailed(ctx context.Context, id int64, now, next time.Time, errMsg string, dead bool) error {
	status := "pending"
	if dead {
		status = "dead"
	}
	if len(errMsg) > 500 {
		errMsg = errMsg[:500]
	}
	return o.c.read(ctx).Model(&OutboxMessage{}).Where("id = ?", id).
		Updates(map[string]any{"status": status, "next_attempt_at": next.UTC(), "last_error": errMsg,
			"attempts": gorm.Expr("attempts + 1")}).Error
}

// DropPendingMail discards unsent mail to addresses ending in suffix (the
// demo's fictional people).
func (o *Outbox) DropPending(ctx context.Context, suffix string) error {
	return o.c.read(ctx).Where("status = ? AND to_addr LIKE ?", "pending", "%"+suffix).Delete(&OutboxMessage{}).Error
}
