package models

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Agent statuses: staff decide once whether an agent may act for people.
const (
	AgentPending  = "pending"
	AgentApproved = "approved"
	AgentRejected = "rejected"
)

// Agent is an authorized agent: a business or a person who acts for
// others. It signs in to the portal with an e-mail and a password, or
// calls the Data Rights Protocol API with an identity from the DRP service
// directory (DRPID and its Ed25519 verify key), or both. Nothing it files
// is accepted until staff approve it.
type Agent struct {
	ID                 int64
	Name               string
	Organization       string
	RegisteredBusiness bool   // registered with a Secretary of State (11 CCR §7001: a business entity)
	SOSNumber          string `gorm:"column:sos_number"`
	Email              *string
	PasswordHash       string
	EmailVerifiedAt    *time.Time
	Status             string
	ReviewReason       string
	ReviewedBy         *int64
	ReviewedAt         *time.Time
	DRPID              *string `gorm:"column:drp_id"`
	DRPVerifyKey       string  `gorm:"column:drp_verify_key"` // base64 Ed25519 public key
	DRPWebURL          string  `gorm:"column:drp_web_url"`
	DRPContact         string  `gorm:"column:drp_contact"`
	DRPTokenHash       *string `gorm:"column:drp_token_hash"`
	CreatedAt          time.Time
	UpdatedAt          time.Time
	DisabledAt         *time.Time
}

// Approved reports whether the agent may file.
func (a *Agent) Approved() bool { return a.Status == AgentApproved && a.DisabledAt == nil }

// Label is how the agent is named to people and staff: its organization,
// else its name.
func (a *Agent) Label() string {
	if a.Organization != "" {
		return a.Organization
	}
	return a.Name
}

// EmailAddr is the agent's sign-in address, "" for an API-only agent.
func (a *Agent) EmailAddr() string {
	if a.Email == nil {
		return ""
	}
	return *a.Email
}

// AgentToken is a one-time link mailed to an agent.
type AgentToken struct {
	ID        int64
	AgentID   int64
	Purpose   string
	TokenHash string
	ExpiresAt time.Time
	UsedAt    *time.Time
	CreatedAt time.Time
}

// AgentSession is a signed-in agent's server-side session: like staff
// sessions, but in a table of its own and under a key of its own, so a
// staff session never opens an agent page and the reverse.
type AgentSession struct {
	ID         int64
	TokenHash  string
	AgentID    int64
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	IP         string
	UserAgent  string
	EndedAt    *time.Time
}

// Field limits of agent accounts.
const (
	MaxOrganization = 200
	MaxSOSNumber    = 40
	AgentVerifyTTL  = 48 * time.Hour
)

// Agents is the aggregate of authorized agents: registration, e-mail
// verification, sign-in, sessions, staff approval and DRP identities.
type Agents struct{ c *Core }

// NewAgents returns the agents aggregate.
func NewAgents(c *Core) *Agents { return &Agents{c: c} }

// AgentInput registers an agent in the browser.
type AgentInput struct {
	Name               string
	Organization       string
	RegisteredBusiness bool
	SOSNumber          string
	Email              string
	Password           string
	Lang               string
}

func (in *AgentInput) validate() error {
	v := &ValidationError{}
	in.Name = text(v, "name", in.Name, OneLine, true, MaxName)
	in.Organization = text(v, "organization", in.Organization, OneLine, false, MaxOrganization)
	in.SOSNumber = text(v, "sos_number", in.SOSNumber, OneLine, false, MaxSOSNumber)
	if in.RegisteredBusiness {
		if in.Organization == "" {
			v.Add("organization", "error.organization.required")
		}
		if in.SOSNumber == "" {
			v.Add("sos_number", "error.sos_number.required")
		}
	} else {
		in.SOSNumber = ""
	}
	in.Email = strings.ToLower(text(v, "email", in.Email, OneLine, true, MaxEmail))
	if _, bad := v.Fields["email"]; !bad && !ValidEmail(in.Email) {
		v.Add("email", "error.email.invalid")
	}
	validPassword(v, in.Password)
	return v.Err()
}

// Register creates a pending agent account and mails a link to confirm
// the e-mail address.
func (ag *Agents) Register(ctx context.Context, in AgentInput, client Client) (*Agent, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	hash, err := ag.c.hashPassword(ctx, in.Password)
	if err != nil {
		return nil, err
	}
	if in.Lang == "" {
		in.Lang = "en"
	}
	c := ag.c
	now := c.Now()
	email := in.Email
	a := &Agent{Name: in.Name, Organization: in.Organization, RegisteredBusiness: in.RegisteredBusiness, SOSNumber: in.SOSNumber,
		Email: &email, PasswordHash: hash, Status: AgentPending, CreatedAt: now, UpdatedAt: now}
	err = c.write(ctx, func(tx *tx) error {
		if err := tx.Create(a).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return invalid("email", "error.email.taken")
			}
			return err
		}
		token, err := tx.agentToken(a.ID, "verify", AgentVerifyTTL)
		if err != nil {
			return err
		}
		if err := tx.enqueue(email, MailAgentVerify, in.Lang, MailData{Name: a.Name, URL: c.BaseURL + "/agent/verify/" + token}); err != nil {
			return err
		}
		return tx.audit(Actor{Kind: "agent", AgentID: &a.ID, IP: client.IP}, "agent.register", "agent", a.ID, "")
	})
	return a, err
}

func (t *tx) agentToken(agentID int64, purpose string, ttl time.Duration) (string, error) {
	token := newToken()
	now := t.c.Now()
	return token, t.Create(&AgentToken{AgentID: agentID, Purpose: purpose, TokenHash: t.c.hash("agent-"+purpose, token),
		ExpiresAt: now.Add(ttl), CreatedAt: now}).Error
}

// ErrAgentLink: an e-mail link that is unknown, used or expired.
var ErrAgentLink = &Error{Kind: KindNotFound, Key: "error.agent.link"}

// CheckVerifyLink reports whether token is a live verification link.
func (ag *Agents) CheckVerifyLink(ctx context.Context, token string) error {
	if !validToken(token) {
		return ErrAgentLink
	}
	var n int64
	err := ag.c.read(ctx).Model(&AgentToken{}).Where("token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?",
		ag.c.hash("agent-verify", token), "verify", ag.c.Now()).Count(&n).Error
	if err == nil && n == 0 {
		return ErrAgentLink
	}
	return err
}

// VerifyEmail uses a verification link: the address is confirmed once.
func (ag *Agents) VerifyEmail(ctx context.Context, token string, client Client) error {
	if !validToken(token) {
		return ErrAgentLink
	}
	c := ag.c
	return c.write(ctx, func(tx *tx) error {
		var t AgentToken
		err := tx.Where("token_hash = ? AND purpose = ?", c.hash("agent-verify", token), "verify").Take(&t).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrAgentLink
		}
		if err != nil {
			return err
		}
		now := c.Now()
		res := tx.Model(&AgentToken{}).Where("id = ? AND used_at IS NULL AND expires_at > ?", t.ID, now).Update("used_at", now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrAgentLink
		}
		if err := tx.Model(&Agent{}).Where("id = ? AND email_verified_at IS NULL", t.AgentID).
			Updates(map[string]any{"email_verified_at": now, "updated_at": now}).Error; err != nil {
			return err
		}
		return tx.audit(Actor{Kind: "agent", AgentID: &t.AgentID, IP: client.IP}, "agent.email_verified", "agent", t.AgentID, "")
	})
}

// Sign-in errors of agents.
var (
	ErrAgentUnverified  = &Error{Kind: KindForbidden, Key: "error.agent.unverified", Field: "email"}
	ErrAgentNotApproved = &Error{Kind: KindForbidden, Key: "error.agent.not_approved"}
)

var agentLoginsPerAccount = Limit{Name: "agent-login-account", Max: 10, Window: 15 * time.Minute}

// Authenticate checks an agent's sign-in and opens a session (its token is
// for the cookie). An address not yet confirmed cannot sign in.
func (ag *Agents) Authenticate(ctx context.Context, email, password string, client Client) (*Agent, string, error) {
	v := &ValidationError{}
	email = strings.ToLower(text(v, "email", email, OneLine, true, MaxEmail))
	if v.Fields["email"] == "error.text.invalid" {
		// Bytes no address has (NUL, invalid UTF-8, controls): the same
		// field message as every form gives, whoever's address it is.
		return nil, "", v.Err()
	}
	if v.Err() != nil || len(password) > 1024 || !utf8.ValidString(password) {
		return nil, "", ErrBadLogin
	}
	c := ag.c
	if ok, _, err := c.allow(c.read(ctx), agentLoginsPerAccount, email); err != nil {
		return nil, "", err
	} else if !ok {
		return nil, "", ErrLoginRate
	}
	var a Agent
	err := c.read(ctx).Where("email = ? AND disabled_at IS NULL", email).Take(&a).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		if _, err := c.checkPassword(ctx, dummyHash(), password); err != nil {
			return nil, "", err
		}
		return nil, "", ErrBadLogin
	}
	if err != nil {
		return nil, "", err
	}
	ok, err := c.checkPassword(ctx, a.PasswordHash, password)
	if err != nil {
		return nil, "", err
	}
	actor := Actor{Kind: "agent", AgentID: &a.ID, IP: client.IP}
	if !ok {
		if err := c.write(ctx, func(tx *tx) error { return tx.audit(actor, "agent.login_failed", "agent", a.ID, "") }); err != nil {
			return nil, "", err
		}
		return nil, "", ErrBadLogin
	}
	if a.EmailVerifiedAt == nil {
		return nil, "", ErrAgentUnverified
	}
	var token string
	err = c.write(ctx, func(tx *tx) error {
		token = newToken()
		now := now()
		if err := tx.Create(&AgentSession{TokenHash: c.hash("agent-session", token), AgentID: a.ID, CreatedAt: now,
			LastSeenAt: now, ExpiresAt: now.Add(SessionTTL), IP: client.IP, UserAgent: client.userAgent()}).Error; err != nil {
			return err
		}
		return tx.audit(actor, "agent.login", "agent", a.ID, "")
	})
	return &a, token, err
}

// BySession returns the agent a session token belongs to while the
// session is live; ErrNotFound otherwise.
func (ag *Agents) BySession(ctx context.Context, token string) (*Agent, error) {
	db := ag.c.read(ctx)
	var s AgentSession
	if err := ag.c.liveSession(db, &s, "agent-session", token); err != nil {
		return nil, err
	}
	var a Agent
	err := db.Where("id = ? AND disabled_at IS NULL", s.AgentID).Take(&a).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// EndSession signs an agent out.
func (ag *Agents) EndSession(ctx context.Context, token string, client Client) error {
	return ag.c.write(ctx, func(tx *tx) error {
		var s AgentSession
		if ended, err := tx.endSession(&s, "agent-session", token); !ended || err != nil {
			return err
		}
		return tx.audit(Actor{Kind: "agent", AgentID: &s.AgentID, IP: client.IP}, "agent.logout", "agent", s.AgentID, "")
	})
}

// Get loads one agent.
func (ag *Agents) Get(ctx context.Context, id int64) (*Agent, error) {
	if id <= 0 {
		return nil, ErrNotFound
	}
	var a Agent
	err := ag.c.read(ctx).Where("id = ?", id).Take(&a).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	return &a, err
}

// List returns every agent, those waiting for a decision first.
func (ag *Agents) List(ctx context.Context) ([]Agent, error) {
	var out []Agent
	err := ag.c.read(ctx).Order("CASE status WHEN 'pending' THEN 0 WHEN 'approved' THEN 1 ELSE 2 END, id DESC").Limit(500).Find(&out).Error
	return out, err
}

// ErrAgentDecided: the agent was approved or rejected already.
var ErrAgentDecided = &Error{Kind: KindConflict, Key: "error.agent.decided"}

// Decide approves or rejects a pending agent, once: of several decisions
// made at the same time, one is applied (a guarded update) and the others
// are refused. A rejection needs a reason, which the agent is told.
func (ag *Agents) Decide(ctx context.Context, id int64, approve bool, reason string, actor Actor) error {
	a, err := ag.Get(ctx, id)
	if err != nil {
		return err
	}
	v := &ValidationError{}
	reason = text(v, "reason", reason, MultiLine, !approve, MaxNote)
	if err := v.Err(); err != nil {
		return err
	}
	status := AgentApproved
	if !approve {
		status = AgentRejected
	}
	c := ag.c
	return c.write(ctx, func(tx *tx) error {
		now := c.Now()
		res := tx.Model(&Agent{}).Where("id = ? AND status = ?", id, AgentPending).Updates(map[string]any{
			"status": status, "review_reason": reason, "reviewed_by": actor.StaffID, "reviewed_at": now, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrAgentDecided
		}
		if a.Email != nil && a.EmailVerifiedAt != nil {
			if err := tx.enqueue(*a.Email, MailAgentDecided, "en", MailData{Name: a.Name, Status: status, ReasonText: reason,
				URL: c.BaseURL + "/agent"}); err != nil {
				return err
			}
		}
		return tx.audit(actor, "agent."+status, "agent", id, "")
	})
}

// DRPAgentInput registers an agent of the Data Rights Protocol's service
// directory (its agent entry), by staff.
type DRPAgentInput struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	VerifyKey  string `json:"verify_key"`
	WebURL     string `json:"web_url"`
	Technical  string `json:"technical_contact"`
	Business   string `json:"business_contact"`
	IdentityAt string `json:"identity_assurance_url"`
}

// drpIDPattern is the service directory's identifier syntax ([A-Z_]+,
// digits allowed as some directories use them).
var drpIDPattern = regexp.MustCompile(`^[A-Z0-9_]{1,64}$`)

func (in *DRPAgentInput) validate() error {
	v := &ValidationError{}
	in.ID = strings.TrimSpace(in.ID)
	if !drpIDPattern.MatchString(in.ID) {
		v.Add("drp_id", "error.drp_id.invalid")
	}
	in.Name = text(v, "name", in.Name, OneLine, true, MaxName)
	in.VerifyKey = strings.TrimSpace(in.VerifyKey)
	if k, err := base64.StdEncoding.DecodeString(in.VerifyKey); err != nil || len(k) != ed25519.PublicKeySize {
		v.Add("verify_key", "error.verify_key.invalid")
	}
	in.WebURL = text(v, "web_url", in.WebURL, OneLine, false, 500)
	in.Technical = text(v, "contact", in.Technical, OneLine, false, MaxEmail)
	in.Business = text(v, "contact", in.Business, OneLine, false, MaxEmail)
	return v.Err()
}

// RegisterDRP adds an agent of the DRP directory, pending approval; an
// agent already registered under the same id gets the new name and key
// (a key rotation) and keeps its status.
func (ag *Agents) RegisterDRP(ctx context.Context, in DRPAgentInput, actor Actor) (created bool, err error) {
	if err := in.validate(); err != nil {
		return false, err
	}
	c := ag.c
	contact := in.Technical
	if contact == "" {
		contact = in.Business
	}
	err = c.write(ctx, func(tx *tx) error {
		now := c.Now()
		var existing Agent
		err := tx.forUpdate().Where("drp_id = ?", in.ID).Take(&existing).Error
		switch {
		case err == nil:
			if err := tx.Model(&Agent{}).Where("id = ?", existing.ID).Updates(map[string]any{"name": in.Name,
				"drp_verify_key": in.VerifyKey, "drp_web_url": in.WebURL, "drp_contact": contact, "updated_at": now}).Error; err != nil {
				return err
			}
			return tx.audit(actor, "agent.drp_updated", "agent", existing.ID, "drp_id="+in.ID)
		case !errors.Is(err, gorm.ErrRecordNotFound):
			return err
		}
		id := in.ID
		a := &Agent{Name: in.Name, Organization: in.Name, DRPID: &id, DRPVerifyKey: in.VerifyKey, DRPWebURL: in.WebURL,
			DRPContact: contact, Status: AgentPending, CreatedAt: now, UpdatedAt: now}
		if err := tx.Create(a).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return invalid("drp_id", "error.drp_id.taken")
			}
			return err
		}
		created = true
		return tx.audit(actor, "agent.drp_registered", "agent", a.ID, "drp_id="+in.ID)
	})
	return created, err
}

// ErrDirectory: the pasted directory is not the DRP agents JSON.
var ErrDirectory = &Error{Kind: KindInvalid, Key: "error.directory.invalid", Field: "directory"}

// ImportDirectory registers every agent of a DRP service directory's
// agents document (a JSON array of agent entries, or an object holding
// one under "agents"). Entries that do not validate are counted as
// skipped.
func (ag *Agents) ImportDirectory(ctx context.Context, doc string, actor Actor) (added, updated, skipped int, err error) {
	var entries []DRPAgentInput
	if err := json.Unmarshal([]byte(doc), &entries); err != nil {
		var wrapped struct {
			Agents []DRPAgentInput `json:"agents"`
		}
		if err := json.Unmarshal([]byte(doc), &wrapped); err != nil || wrapped.Agents == nil {
			return 0, 0, 0, ErrDirectory
		}
		entries = wrapped.Agents
	}
	if len(entries) > 1000 {
		return 0, 0, 0, ErrDirectory
	}
	for _, e := range entries {
		created, err := ag.RegisterDRP(ctx, e, actor)
		switch {
		case KindOf(err) == KindInvalid:
			skipped++
		case err != nil:
			return added, updated, skipped, err
		case created:
			added++
		default:
			updated++
		}
	}
	return added, updated, skipped, nil
}
