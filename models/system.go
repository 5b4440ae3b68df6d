package models

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/rules"
	"gorm.io/gorm"
)

// DataSystem is one of the organization's systems or vendors that holds
// personal data (a CRM, billing, analytics, the support desk, backups, a
// processor): who answers for it, which rights it is in scope for, what
// to do there, and optionally a webhook that is sent a signed job when a
// task for it opens.
type DataSystem struct {
	ID           int64
	Name         string
	Kind         string
	Recipient    string // SystemInternal, or who the data was passed to (rule 12)
	Owner        string // who answers for it (a name or team)
	OwnerStaffID *int64 // the staff member its tasks are assigned to first
	Instructions string
	WebhookURL   string
	WebhookKeyID string
	// WebhookSecret is the shared HMAC key, sealed; it is shown to staff
	// once, when made, and read back only to sign and verify.
	WebhookSecret string
	ArchivedAt    *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time

	Rights []string `gorm:"-"` // in scope for, in display order
}

func (DataSystem) TableName() string { return "data_systems" }

// systemRight is one right a system is in scope for.
type systemRight struct {
	SystemID int64
	Right    string `gorm:"column:right_code"`
}

func (systemRight) TableName() string { return "data_system_rights" }

// System kinds.
var SystemKinds = []string{"crm", "billing", "analytics", "support", "marketing", "backups", "processor", "other"}

// Who holds a system's data: the organization, or someone it passed the
// data to, who must be told of deletions and corrections (CCPA
// §1798.105(c)(1), 11 CCR §7022(b); GDPR Art. 19).
const (
	SystemInternal        = "internal"
	SystemServiceProvider = "service_provider"
	SystemContractor      = "contractor"
	SystemThirdParty      = "third_party"
	SystemRecipient       = "recipient" // GDPR Art. 19
)

// SystemRecipients lists the recipient kinds, internal first.
var SystemRecipients = []string{SystemInternal, SystemServiceProvider, SystemContractor, SystemThirdParty, SystemRecipient}

// PassedOn reports whether the system is held by someone the organization
// passed data to, so that a deletion or correction is passed on to them.
func (s *DataSystem) PassedOn() bool { return s.Recipient != SystemInternal && s.Recipient != "" }

// Hooked reports whether the system has a webhook.
func (s *DataSystem) Hooked() bool { return s.WebhookURL != "" }

// InScope reports whether the system is in scope for right.
func (s *DataSystem) InScope(right string) bool { return contains(s.Rights, right) }

// SystemInput is what the settings form submits.
type SystemInput struct {
	Name, Kind, Recipient, Owner string
	OwnerStaffID                 int64 // 0 = none
	Rights                       []string
	Instructions                 string
	WebhookURL                   string
}

// Systems is the aggregate of data systems (the settings page).
type Systems struct{ c *Core }

// NewSystems returns the data systems aggregate.
func NewSystems(c *Core) *Systems { return &Systems{c: c} }

// ErrSystemName: another live system has that name.
var ErrSystemName = &Error{Kind: KindConflict, Key: "error.system.name_taken", Field: "system_name"}

// validate cleans in; the webhook URL must be https (plain http only where
// outgoing calls may reach private addresses: tests and closed networks).
func (ss *Systems) validate(in *SystemInput) error {
	v := &ValidationError{}
	in.Name = text(v, "system_name", in.Name, OneLine, true, 200)
	in.Owner = text(v, "owner", in.Owner, OneLine, false, 200)
	in.Instructions = text(v, "instructions", in.Instructions, MultiLine, false, MaxNote)
	if !contains(SystemKinds, in.Kind) {
		v.Add("kind", "error.kind.required")
	}
	if !contains(SystemRecipients, in.Recipient) {
		v.Add("recipient", "error.recipient.required")
	}
	var rights []string
	for _, r := range rules.AllRights {
		if contains(in.Rights, string(r)) {
			rights = append(rights, string(r))
		}
	}
	if len(rights) == 0 || len(rights) != len(dedupe(in.Rights)) {
		v.Add("rights", "error.system_rights.required")
	}
	in.Rights = rights
	in.WebhookURL = text(v, "webhook_url", in.WebhookURL, OneLine, false, 500)
	if in.WebhookURL != "" {
		u, err := url.Parse(in.WebhookURL)
		ok := err == nil && u.Host != "" && u.User == nil && u.Fragment == "" &&
			(u.Scheme == "https" || u.Scheme == "http" && ss.c.AllowPrivateWebhooks)
		if !ok {
			v.Add("webhook_url", "error.webhook_url.invalid")
		}
	}
	return v.Err()
}

func dedupe(list []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// newWebhookSecret returns a fresh shared key for a system's webhook.
func newWebhookSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return "whsec_" + base64.RawURLEncoding.EncodeToString(b)
}

// Save creates a system (id 0) or changes one. When the system has a
// webhook and no key yet, a key is made and returned, to be shown once.
func (ss *Systems) Save(ctx context.Context, id int64, in SystemInput, actor Actor) (*DataSystem, string, error) {
	if err := ss.validate(&in); err != nil {
		return nil, "", err
	}
	c := ss.c
	var out *DataSystem
	var secret string
	err := c.write(ctx, func(tx *tx) error {
		now := c.Now()
		s := &DataSystem{CreatedAt: now}
		if id != 0 {
			err := tx.forUpdate().Where("id = ? AND archived_at IS NULL", id).Take(s).Error
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNotFound
			}
			if err != nil {
				return err
			}
		}
		if in.OwnerStaffID != 0 {
			var st Staff
			err := tx.Where("id = ? AND disabled_at IS NULL", in.OwnerStaffID).Take(&st).Error
			if errors.Is(err, gorm.ErrRecordNotFound) || err == nil && !CanWork(st.Role) {
				return invalid("owner_staff_id", "error.owner_staff_id.invalid")
			}
			if err != nil {
				return err
			}
			s.OwnerStaffID = &st.ID
		} else {
			s.OwnerStaffID = nil
		}
		s.Name, s.Kind, s.Recipient, s.Owner, s.Instructions = in.Name, in.Kind, in.Recipient, in.Owner, in.Instructions
		s.WebhookURL, s.UpdatedAt = in.WebhookURL, now
		if s.WebhookURL != "" && s.WebhookSecret == "" {
			secret = newWebhookSecret()
			s.WebhookSecret, s.WebhookKeyID = c.seal("webhook", secret), nextKeyID(s.WebhookKeyID)
		}
		var err error
		if id == 0 {
			err = tx.Create(s).Error
		} else {
			err = tx.Select("*").Omit("id", "created_at").Updates(s).Error
		}
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return ErrSystemName
		}
		if err != nil {
			return err
		}
		if err := tx.Where("system_id = ?", s.ID).Delete(&systemRight{}).Error; err != nil {
			return err
		}
		for _, r := range in.Rights {
			if err := tx.Create(&systemRight{SystemID: s.ID, Right: r}).Error; err != nil {
				return err
			}
		}
		s.Rights = in.Rights
		out = s
		action := "system.update"
		if id == 0 {
			action = "system.create"
		}
		return tx.audit(actor, action, "data_system", s.ID, "rights="+strings.Join(in.Rights, ","))
	})
	return out, secret, err
}

// nextKeyID names the next webhook key: k1, k2, …
func nextKeyID(prev string) string {
	n, _ := strconv.Atoi(strings.TrimPrefix(prev, "k"))
	return "k" + strconv.Itoa(n+1)
}

// RotateKey replaces a system's webhook key with a new one, returned to be
// shown once; calls leave signed with it from now on, and answers signed
// with the old one are refused.
func (ss *Systems) RotateKey(ctx context.Context, id int64, actor Actor) (string, error) {
	c := ss.c
	secret := newWebhookSecret()
	err := c.write(ctx, func(tx *tx) error {
		var s DataSystem
		err := tx.forUpdate().Where("id = ? AND archived_at IS NULL", id).Take(&s).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if s.WebhookURL == "" {
			return ErrInvalidState
		}
		keyID := nextKeyID(s.WebhookKeyID)
		if err := tx.Model(&DataSystem{}).Where("id = ?", id).Updates(map[string]any{"webhook_secret": c.seal("webhook", secret),
			"webhook_key_id": keyID, "updated_at": c.Now()}).Error; err != nil {
			return err
		}
		return tx.audit(actor, "system.rotate_key", "data_system", id, keyID)
	})
	return secret, err
}

// Archive takes a system out of use: no new tasks are made for it; those
// already made stay, with their history.
func (ss *Systems) Archive(ctx context.Context, id int64, actor Actor) error {
	c := ss.c
	return c.write(ctx, func(tx *tx) error {
		res := tx.Model(&DataSystem{}).Where("id = ? AND archived_at IS NULL", id).
			Updates(map[string]any{"archived_at": c.Now(), "updated_at": c.Now()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrNotFound
		}
		return tx.audit(actor, "system.archive", "data_system", id, "")
	})
}

// List returns the live systems (and the archived ones too when all),
// by name, each with its rights.
func (ss *Systems) List(ctx context.Context, all bool) ([]DataSystem, error) {
	db := ss.c.read(ctx)
	var out []DataSystem
	q := db.Order("lower(name), id")
	if !all {
		q = q.Where("archived_at IS NULL")
	}
	if err := q.Find(&out).Error; err != nil {
		return nil, err
	}
	return out, loadRights(db, out)
}

// Get returns one system with its rights.
func (ss *Systems) Get(ctx context.Context, id int64) (*DataSystem, error) {
	if id <= 0 {
		return nil, ErrNotFound
	}
	db := ss.c.read(ctx)
	var s DataSystem
	err := db.Where("id = ?", id).Take(&s).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	list := []DataSystem{s}
	if err := loadRights(db, list); err != nil {
		return nil, err
	}
	return &list[0], nil
}

func loadRights(db *gorm.DB, systems []DataSystem) error {
	if len(systems) == 0 {
		return nil
	}
	ids := make([]int64, len(systems))
	at := map[int64]int{}
	for i, s := range systems {
		ids[i], at[s.ID] = s.ID, i
	}
	var rows []systemRight
	if err := db.Where("system_id IN ?", ids).Find(&rows).Error; err != nil {
		return err
	}
	order := map[string]int{}
	for i, r := range rules.AllRights {
		order[string(r)] = i
	}
	for _, r := range rows {
		s := &systems[at[r.SystemID]]
		s.Rights = append(s.Rights, r.Right)
	}
	for i := range systems {
		sort.Slice(systems[i].Rights, func(a, b int) bool { return order[systems[i].Rights[a]] < order[systems[i].Rights[b]] })
	}
	return nil
}

// Deliveries lists the latest webhook calls to a system (its tasks and
// the changes of privacy choices it is in scope for), newest first, each
// with its attempts. Every call to a system is signed with its key, so its
// signer names them.
func (ss *Systems) Deliveries(ctx context.Context, id int64, limit int) ([]Delivery, error) {
	db := ss.c.read(ctx)
	var jobs []HTTPJob
	err := db.Where("signer = ? AND signer <> ''", "system:"+strconv.FormatInt(id, 10)).
		Order("id DESC").Limit(limit).Find(&jobs).Error
	if err != nil {
		return nil, err
	}
	return withAttempts(db, jobs)
}
