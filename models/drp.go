package models

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/rules"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The Privacy Infrastructure Provider side of the Data Rights Protocol
// (consumer-reports-innovation-lab/data-rights-protocol, v0.9.4): pairwise
// token setup, signed exercise and revoke requests, status, and status
// callbacks. docs/drp.md says how the protocol's terms map to ours.

// DRPVersion is the protocol version implemented.
const DRPVersion = "0.9.4"

// DRP limits: how far an agent's clock may run ahead of ours, and the
// longest validity a signed message may claim (the protocol recommends at
// most ten minutes; an hour leaves room for queues).
const (
	DRPClockSkew   = time.Minute
	DRPMaxLifetime = time.Hour
)

// DRPRequest is one request received through the protocol: one right.
type DRPRequest struct {
	ID             int64
	RequestUUID    string `gorm:"column:request_uuid"`
	AgentID        int64
	AgentRequestID *string
	MessageHash    string
	SubmissionID   *int64
	RequestID      *int64
	Exercise       string
	Regime         string
	StatusCallback string
	IssuedAt       time.Time
	ExpiresAt      time.Time
	CreatedAt      time.Time
}

func (DRPRequest) TableName() string { return "drp_requests" }

// DRPError is a protocol error state (spec §3.06): an HTTP status and a
// message; Fatal when the request will not be processed. A 403 has no
// body (§2.05.1).
type DRPError struct {
	Status  int
	Message string
	Fatal   bool
}

func (e *DRPError) Error() string { return fmt.Sprintf("drp %d: %s", e.Status, e.Message) }

// DRP errors.
var (
	ErrDRPForbidden = &DRPError{Status: 403, Message: "forbidden"}
	ErrDRPNotFound  = &DRPError{Status: 404, Message: "no such request"}
	ErrDRPReplay    = &DRPError{Status: 409, Message: "this request was received already", Fatal: true}
	ErrDRPExpired   = &DRPError{Status: 400, Message: "the request has expired or is not yet valid", Fatal: true}
	ErrDRPClosed    = &DRPError{Status: 409, Message: "the request is closed and cannot be revoked"}
)

func drpBad(format string, args ...any) *DRPError {
	return &DRPError{Status: 400, Message: fmt.Sprintf(format, args...), Fatal: true}
}

// DRPStatus is the Exercise Status object (spec §3.03).
type DRPStatus struct {
	RequestID         string `json:"request_id"`
	ReceivedAt        string `json:"received_at"`
	ExpectedBy        string `json:"expected_by,omitempty"`
	AgentRequestID    string `json:"agent_request_id,omitempty"`
	ProcessingDetails string `json:"processing_details,omitempty"`
	Status            string `json:"status"`
	Reason            string `json:"reason,omitempty"`
}

// DRP is the protocol's aggregate.
type DRP struct {
	c          *Core
	filings    *Filings
	BusinessID string // ours, in the DRP service directory; "" turns the protocol off
}

// NewDRP returns the protocol's aggregate.
func NewDRP(c *Core, filings *Filings, businessID string) *DRP {
	return &DRP{c: c, filings: filings, BusinessID: businessID}
}

// Enabled reports whether the organization takes DRP requests.
func (d *DRP) Enabled() bool { return d.BusinessID != "" }

// open decodes a signed message: base64 of an Ed25519 signature followed
// by the JSON it signs (libsodium's combined mode), checked against the
// agent's verify key. It returns the JSON and the hash of the whole
// message, which names it for replay protection.
func openSigned(a *Agent, body []byte) ([]byte, string, error) {
	raw, err := base64.StdEncoding.DecodeString(string(bytes.TrimSpace(body)))
	if err != nil {
		if raw, err = base64.RawStdEncoding.DecodeString(string(bytes.TrimSpace(body))); err != nil {
			return nil, "", ErrDRPForbidden
		}
	}
	key, err := base64.StdEncoding.DecodeString(a.DRPVerifyKey)
	if err != nil || len(key) != ed25519.PublicKeySize || len(raw) < ed25519.SignatureSize {
		return nil, "", ErrDRPForbidden
	}
	sig, msg := raw[:ed25519.SignatureSize], raw[ed25519.SignatureSize:]
	if !ed25519.Verify(ed25519.PublicKey(key), msg, sig) {
		return nil, "", ErrDRPForbidden
	}
	sum := sha256.Sum256(raw)
	return msg, hex.EncodeToString(sum[:]), nil
}

// drpTime parses the protocol's ISO 8601 timestamps (with a zone, or
// without one, read as UTC).
func drpTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05.999999999Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// envelope is what every signed message carries (spec §2.01, §2.05).
type envelope struct {
	AgentID    string `json:"agent-id"`
	BusinessID string `json:"business-id"`
	IssuedAt   string `json:"issued-at"`
	ExpiresAt  string `json:"expires-at"`
	Version    string `json:"drp.version"`
}

// check validates the envelope in the protocol's order (§3.07): the agent
// named is the one whose key signed, the business is us, and now is
// between issued-at (allowing DRPClockSkew) and expires-at.
func (d *DRP) check(e envelope, a *Agent) (issued, expires time.Time, err error) {
	if a.DRPID == nil || e.AgentID != *a.DRPID || e.BusinessID != d.BusinessID {
		return issued, expires, ErrDRPForbidden
	}
	issued, ok1 := drpTime(e.IssuedAt)
	expires, ok2 := drpTime(e.ExpiresAt)
	now := now()
	if !ok1 || !ok2 || !expires.After(issued) || expires.Sub(issued) > DRPMaxLifetime {
		return issued, expires, drpBad("issued-at and expires-at must be ISO 8601 times at most %s apart", DRPMaxLifetime)
	}
	if now.Add(DRPClockSkew).Before(issued) || !now.Before(expires) {
		return issued, expires, ErrDRPExpired
	}
	return issued, expires, nil
}

func (d *DRP) agentByDRPID(ctx context.Context, id string) (*Agent, error) {
	if !drpIDPattern.MatchString(id) {
		return nil, ErrDRPForbidden
	}
	var a Agent
	err := d.c.read(ctx).Where("drp_id = ?", id).Take(&a).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrDRPForbidden
	}
	if err != nil {
		return nil, err
	}
	if !a.Approved() {
		return nil, ErrDRPForbidden
	}
	return &a, nil
}

// Setup is the pairwise key setup (§2.05): an approved agent of the
// directory signs a message naming itself and us; the answer is a fresh
// bearer token for its later calls (replacing any earlier one). Any
// failure is ErrDRPForbidden. A setup message works once.
func (d *DRP) Setup(ctx context.Context, drpID string, body []byte, ip string) (string, error) {
	if !d.Enabled() {
		return "", ErrDRPForbidden
	}
	a, err := d.agentByDRPID(ctx, drpID)
	if err != nil {
		return "", err
	}
	msg, hash, err := openSigned(a, body)
	if err != nil {
		return "", err
	}
	var e envelope
	if err := json.Unmarshal(msg, &e); err != nil {
		return "", ErrDRPForbidden
	}
	_, expires, err := d.check(e, a)
	if err != nil || e.AgentID != drpID {
		return "", ErrDRPForbidden
	}
	token := newToken()
	c := d.c
	err = c.write(ctx, func(tx *tx) error {
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&AgentToken{AgentID: a.ID, Purpose: "drp-setup",
			TokenHash: "drp-setup:" + hash, ExpiresAt: expires, UsedAt: ptrTime(c.Now()), CreatedAt: c.Now()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrDRPForbidden // a replayed setup message
		}
		h := c.hash("drp-token", token)
		if err := tx.Model(&Agent{}).Where("id = ?", a.ID).Updates(map[string]any{"drp_token_hash": h, "updated_at": c.Now()}).Error; err != nil {
			return err
		}
		return tx.audit(AgentActor(a.ID, ip), "drp.setup", "agent", a.ID, "")
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

func ptrTime(t time.Time) *time.Time { return &t }

// AgentByToken returns the approved agent a bearer token belongs to.
func (d *DRP) AgentByToken(ctx context.Context, token string) (*Agent, error) {
	if !d.Enabled() || !validToken(token) {
		return nil, ErrDRPForbidden
	}
	var a Agent
	err := d.c.read(ctx).Where("drp_token_hash = ?", d.c.hash("drp-token", token)).Take(&a).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrDRPForbidden
	}
	if err != nil {
		return nil, err
	}
	if !a.Approved() {
		return nil, ErrDRPForbidden
	}
	return &a, nil
}

// drpExercises maps the protocol's rights actions (§3.01) to our rights;
// access:categories and access:specific are both a request to know.
var drpExercises = map[string]rules.Right{
	"sale:opt_out": rules.RightOptOutSale, "sale:opt-out": rules.RightOptOutSale,
	"deletion": rules.RightDelete, "access": rules.RightAccess,
	"access:categories": rules.RightAccess, "access:specific": rules.RightAccess,
}

// exercise is the signed body of an exercise request (§2.01, §3.04).
type exercise struct {
	envelope
	AgentRequestID  string   `json:"agent-request-id"`
	Exercise        string   `json:"exercise"`
	Regime          string   `json:"regime"`
	Relationships   []string `json:"relationships"`
	StatusCallback  string   `json:"status_callback"`
	Name            string   `json:"name"`
	Email           string   `json:"email"`
	EmailVerified   bool     `json:"email_verified"`
	Phone           string   `json:"phone_number"`
	PowerOfAttorney string   `json:"power_of_attorney"`
	Address         *struct {
		Region  string `json:"region"`
		Country string `json:"country"`
	} `json:"address"`
}

// Exercise takes an exercise request (§2.01) from the agent the bearer
// token named: the signature, agent, business and times are checked in
// the protocol's order, then the request is filed as that agent's filing,
// once (a replayed message, or a second use of the agent's request id, is
// ErrDRPReplay, decided by unique indexes). The agent's signed request is
// its attestation of the person's permission; a power of attorney it
// refers to is reviewed by staff. The person is asked to confirm where
// the law lets us ask (as for filings in the browser).
func (d *DRP) Exercise(ctx context.Context, a *Agent, body []byte, ip string) (*DRPStatus, error) {
	msg, hash, err := openSigned(a, body)
	if err != nil {
		return nil, err
	}
	var x exercise
	if err := json.Unmarshal(msg, &x); err != nil {
		return nil, ErrDRPForbidden
	}
	issued, expires, err := d.check(x.envelope, a)
	if err != nil {
		return nil, err
	}
	right, ok := drpExercises[x.Exercise]
	if !ok {
		return nil, drpBad("unsupported rights action %q", x.Exercise)
	}
	var country, region string
	switch x.Regime {
	case "ccpa":
		country, region = "US", "CA"
	case "", "voluntary":
		if x.Address != nil {
			country, region = strings.ToUpper(strings.TrimSpace(x.Address.Country)), strings.ToUpper(strings.TrimSpace(x.Address.Region))
			if country == "USA" {
				country = "US"
			}
		}
		if country == "" || !validCountry(country) {
			country, region = "OTHER", ""
		}
	default:
		return nil, drpBad("unsupported regime %q", x.Regime)
	}
	if x.StatusCallback != "" {
		u, err := url.Parse(x.StatusCallback)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(x.StatusCallback) > 2000 {
			return nil, drpBad("status_callback must be an http(s) URL")
		}
	}
	if len(x.AgentRequestID) > 200 {
		return nil, drpBad("agent-request-id is too long")
	}
	authority := AuthorityPermission
	review := ReviewAccepted // the approved agent's signed attestation
	if x.PowerOfAttorney != "" {
		authority, review = AuthorityPOA, ReviewPending // staff check the power of attorney it refers to
	}
	relationship := "other"
	for _, h := range x.Relationships {
		if contains(Relationships, h) {
			relationship = h
			break
		}
	}
	name := x.Name
	if strings.TrimSpace(name) == "" {
		name = x.Email
	}
	in := FilingInput{Authority: authority, Person: SubmissionInput{Country: country, Region: region,
		Rights: []string{string(right)}, Name: name, Email: x.Email, Phone: x.Phone, Relationship: relationship,
		Lang: "en", Channel: "api"}}
	if region == "" && (country == "US" || country == "CA") {
		in.Person.Country, in.Person.Region = "OTHER", ""
	}
	if err := d.filings.Validate(&in); err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			if _, bad := ve.Fields["rights"]; bad {
				return nil, drpBad("an authorized agent may not exercise %q under the person's law", x.Exercise)
			}
			var fields []string
			for f := range ve.Fields {
				fields = append(fields, f)
			}
			return nil, drpBad("invalid identity claims: %s", strings.Join(fields, ", "))
		}
		return nil, err
	}
	c := d.c
	row := &DRPRequest{RequestUUID: newUUID(), AgentID: a.ID, MessageHash: hash, Exercise: x.Exercise, Regime: x.Regime,
		StatusCallback: x.StatusCallback, IssuedAt: issued, ExpiresAt: expires, CreatedAt: c.Now()}
	if x.AgentRequestID != "" {
		id := x.AgentRequestID
		row.AgentRequestID = &id
	}
	var status *DRPStatus
	err = c.write(ctx, func(tx *tx) error {
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(row)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrDRPReplay
		}
		sub, _, err := tx.fileForAgent(d.filings, a, in, "api", review, AgentActor(a.ID, ip))
		if err != nil {
			return err
		}
		req := sub.Requests[0]
		if err := tx.Model(&DRPRequest{}).Where("id = ?", row.ID).
			Updates(map[string]any{"submission_id": sub.ID, "request_id": req.ID}).Error; err != nil {
			return err
		}
		row.SubmissionID, row.RequestID = &sub.ID, &req.ID
		status, err = tx.drpStatus(row)
		return err
	})
	if err != nil {
		return nil, err
	}
	return status, nil
}

// newUUID returns a random (version 4) UUID, the protocol's request id.
func newUUID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// byUUID loads one protocol request of agent a: another agent's is
// ErrDRPForbidden (§2.02.1), an unknown one ErrDRPNotFound.
func (d *DRP) byUUID(db *gorm.DB, a *Agent, id string) (*DRPRequest, error) {
	if len(id) != 36 {
		return nil, ErrDRPNotFound
	}
	var row DRPRequest
	err := db.Where("request_uuid = ?", strings.ToLower(id)).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrDRPNotFound
	}
	if err != nil {
		return nil, err
	}
	if row.AgentID != a.ID {
		return nil, ErrDRPForbidden
	}
	return &row, nil
}

// Status answers the status endpoint (§2.02).
func (d *DRP) Status(ctx context.Context, a *Agent, id string) (*DRPStatus, error) {
	db := d.c.read(ctx)
	row, err := d.byUUID(db, a, id)
	if err != nil {
		return nil, err
	}
	t := &tx{DB: db, c: d.c}
	return t.drpStatus(row)
}

// Revoke withdraws a request at the person's wish, relayed by their agent
// in a signed message (§2.04); a closed request cannot be revoked.
func (d *DRP) Revoke(ctx context.Context, a *Agent, id string, body []byte, ip string) (*DRPStatus, error) {
	msg, _, err := openSigned(a, body)
	if err != nil {
		return nil, err
	}
	var x struct {
		Reason string `json:"reason"`
	}
	if err := json.Unmarshal(msg, &x); err != nil {
		return nil, ErrDRPForbidden
	}
	reason, ok := CleanText(x.Reason, MultiLine)
	if !ok || len([]rune(reason)) > MaxNote {
		return nil, drpBad("reason must be plain text of at most %d characters", MaxNote)
	}
	c := d.c
	var status *DRPStatus
	err = c.write(ctx, func(tx *tx) error {
		row, err := d.byUUID(tx.DB, a, id)
		if err != nil {
			return err
		}
		if row.RequestID == nil {
			return ErrDRPNotFound
		}
		r, err := tx.lockRequest(*row.RequestID)
		if err != nil {
			return err
		}
		actor := AgentActor(a.ID, ip)
		if err := tx.setStatus(r, StatusWithdrawn, actor, reason); err != nil {
			if errors.Is(err, ErrInvalidState) {
				return ErrDRPClosed
			}
			return err
		}
		var sub Submission
		if err := tx.Where("id = ?", r.SubmissionID).Take(&sub).Error; err != nil {
			return err
		}
		if err := tx.enqueue(sub.Email, MailStatusChanged, sub.Lang, MailData{Name: sub.Name, Reference: sub.Reference,
			Right: r.Right, Status: StatusWithdrawn, TrackURL: c.trackURLOf(&sub), Agent: a.Label()}); err != nil {
			return err
		}
		if err := tx.audit(actor, "drp.revoke", "request", r.ID, ""); err != nil {
			return err
		}
		status, err = tx.drpStatus(row)
		return err
	})
	return status, err
}

// drpStatus builds the Exercise Status object of a protocol request from
// the request as it is now (docs/drp.md has the mapping).
func (t *tx) drpStatus(row *DRPRequest) (*DRPStatus, error) {
	s := &DRPStatus{RequestID: row.RequestUUID, ReceivedAt: row.CreatedAt.UTC().Format(time.RFC3339), Status: "open"}
	if row.AgentRequestID != nil {
		s.AgentRequestID = *row.AgentRequestID
	}
	if row.RequestID == nil {
		return s, nil
	}
	var r Request
	if err := t.Where("id = ?", *row.RequestID).Take(&r).Error; err != nil {
		return nil, err
	}
	var f AgentFiling
	if err := t.Where("submission_id = ?", r.SubmissionID).Take(&f).Error; err != nil {
		return nil, err
	}
	s.ReceivedAt = r.ReceivedAt.UTC().Format(time.RFC3339)
	switch r.Status {
	case StatusAwaitingVerification, StatusVerified, StatusInProgress:
		s.Status = "in_progress"
		s.ExpectedBy = r.DueAt.UTC().Format(time.RFC3339)
		switch f.Waiting() {
		case "person":
			s.ProcessingDetails = "waiting for the person to confirm to us directly, by e-mail, that they authorized this agent"
		case "review":
			s.ProcessingDetails = "the agent's authority is being reviewed"
		}
		if r.ExtendedAt != nil {
			s.ProcessingDetails = strings.TrimSpace(s.ProcessingDetails + " extended: " + r.ExtensionReason)
		}
	case StatusCompleted:
		s.Status = "fulfilled"
	case StatusWithdrawn:
		s.Status = "revoked"
	case StatusDenied:
		s.Status, s.Reason = "denied", drpDenialReason(r.DenialReason)
		s.ProcessingDetails = r.DenialDetail
	}
	return s, nil
}

// drpDenialReason maps our denial reasons to the protocol's (§3.02).
func drpDenialReason(reason string) string {
	switch reason {
	case "fraud":
		return "suspected_fraud"
	case "cannot_verify", DenialNoAuthority:
		return "insuf_verification"
	case "no_personal_data":
		return "no_match"
	case "exemption":
		return "claim_not_covered"
	case "not_resident":
		return "outside_jurisdiction"
	case "frequency":
		return "too_many_requests"
	}
	return "other"
}

// drpChanged queues a status callback when request id came through the
// protocol with a callback URL: the agent is told the new state (only
// the latest state is delivered; see enqueueHTTP).
func (t *tx) drpChanged(requestID int64) error {
	var rows []DRPRequest
	if err := t.Where("request_id = ?", requestID).Limit(1).Find(&rows).Error; err != nil || len(rows) == 0 {
		return err
	}
	row := &rows[0]
	if row.StatusCallback == "" {
		return nil
	}
	s, err := t.drpStatus(row)
	if err != nil {
		return err
	}
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return t.enqueueHTTP(JobDRPStatus, "drp:"+row.RequestUUID, "POST", row.StatusCallback,
		map[string]string{"Content-Type": "application/json"}, b)
}
