package workload

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// The rows, as models/ declares them (trimmed of methods).

type Submission struct {
	ID              int64
	Reference       string
	TrackingHash    string
	TrackingSealed  string
	IdempotencyHash *string
	OnBehalf        string
	Name            string
	Email           string
	Phone           string
	Country         string
	Region          string
	Jurisdiction    string
	Relationship    string
	Details         string
	Lang            string
	Channel         string
	EmailVerifiedAt *time.Time
	ReceivedAt      time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time

	Requests []Request `gorm:"foreignKey:SubmissionID"`
}

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

	Events []Event `gorm:"foreignKey:RequestID"`
}

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

type AuditEntry struct {
	ID         int64
	At         time.Time
	ActorKind  string
	StaffID    *int64
	Action     string
	ObjectType string
	ObjectID   *int64
	IP         string
	Detail     string
}

func (AuditEntry) TableName() string { return "audit_log" }

type OutboxMessage struct {
	ID            int64
	ToAddr        string
	Template      string
	Data          string
	Lang          string
	Status        string
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	CreatedAt     time.Time
	SentAt        *time.Time
}

func (OutboxMessage) TableName() string { return "outbox" }

// QueueItem is one row of the staff queue.
type QueueItem struct {
	ID           int64
	Reference    string
	Right        string `gorm:"column:right_code"`
	Jurisdiction string
	Status       string
	ReceivedAt   time.Time
	DueAt        time.Time
	ExtendedAt   *time.Time
}

// OpenStatuses are the statuses the default queue shows.
var OpenStatuses = []string{"awaiting_verification", "verified", "in_progress"}

// Track is the tracking page's read (models.Store.ByTrackingToken): the
// submission by tracking_hash, its requests, their public events.
func Track(ctx context.Context, db *gorm.DB, trackingHash string) (*Submission, error) {
	var sub Submission
	err := db.WithContext(ctx).Where("tracking_hash = ?", trackingHash).
		Preload("Requests", func(db *gorm.DB) *gorm.DB { return db.Order("id") }).
		Preload("Requests.Events", "internal = ?", false, func(db *gorm.DB) *gorm.DB { return db.Order("id") }).
		First(&sub).Error
	return &sub, err
}

// Queue is the first page of the staff queue (models.Store.Queue with the
// default filter: open requests, earliest deadline first, 50 + 1 rows).
func Queue(ctx context.Context, db *gorm.DB) ([]QueueItem, error) {
	var items []QueueItem
	err := db.WithContext(ctx).Table("requests").
		Select("requests.id, submissions.reference, requests.right_code, requests.jurisdiction, requests.status, requests.received_at, requests.due_at, requests.extended_at").
		Joins("JOIN submissions ON submissions.id = requests.submission_id").
		Where("requests.kind = ?", "request").
		Where("requests.status IN ?", OpenStatuses).
		Order("requests.due_at ASC").Order("requests.id ASC").Limit(51).
		Scan(&items).Error
	return items, err
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// Submit is the public form's transaction (models.Store.Submit for two
// rights): the idempotency and reference checks, the submission, two
// requests with two events each, an audit row and an outbox row.
func Submit(ctx context.Context, db *gorm.DB, now time.Time) error {
	idem := randomHex(32)
	sub := &Submission{
		Reference: "RD-" + randomHex(4), TrackingHash: randomHex(32), TrackingSealed: randomHex(44),
		IdempotencyHash: &idem, OnBehalf: "self", Name: "Sam Doe", Email: "sam." + randomHex(4) + "@example.org",
		Country: "US", Region: "CA", Jurisdiction: "US-CA", Relationship: "customer",
		Details: "Please include everything you hold about my account and orders.",
		Lang:    "en", Channel: "web", ReceivedAt: now, CreatedAt: now, UpdatedAt: now,
	}
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&Submission{}).Where("idempotency_hash = ?", idem).Count(&n).Error; err != nil {
			return err
		}
		if err := tx.Model(&Submission{}).Where("reference = ?", sub.Reference).Count(&n).Error; err != nil {
			return err
		}
		if n != 0 {
			return fmt.Errorf("reference collision")
		}
		if err := tx.Omit("Requests").Create(sub).Error; err != nil {
			return err
		}
		for _, right := range []string{"access", "delete"} {
			due := endOfDay(now.AddDate(0, 0, 45))
			ack := endOfDay(now.AddDate(0, 0, 10))
			req := &Request{SubmissionID: sub.ID, Kind: "request", Right: right, Jurisdiction: sub.Jurisdiction,
				Status: "awaiting_verification", ReceivedAt: now, DueAt: due, OriginalDueAt: due,
				AckDueAt: &ack, AcknowledgedAt: &now, CreatedAt: now, UpdatedAt: now}
			if err := tx.Create(req).Error; err != nil {
				return err
			}
			for _, kind := range []string{"received", "acknowledged"} {
				if err := tx.Create(&Event{RequestID: req.ID, Kind: kind, ActorKind: "requester",
					StatusTo: req.Status, Body: "web", CreatedAt: now}).Error; err != nil {
					return err
				}
			}
		}
		if err := tx.Create(&AuditEntry{At: now, ActorKind: "requester", Action: "submission.create",
			ObjectType: "submission", ObjectID: &sub.ID, IP: "203.0.113.7",
			Detail: "rights=access,delete jurisdiction=US-CA"}).Error; err != nil {
			return err
		}
		return tx.Create(&OutboxMessage{ToAddr: sub.Email, Template: "verify_email",
			Data: `{"Name":"Sam Doe","Reference":"` + sub.Reference + `","TrackURL":"https://privacy.example.com/t/` + randomHex(32) + `","Code":"123456"}`,
			Lang: "en", Status: "pending", NextAttemptAt: now, CreatedAt: now}).Error
	})
}

// endOfDay is the last microsecond of t's day, as deadlines end.
func endOfDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 23, 59, 59, 999999000, time.UTC)
}
