package models

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/rules"
	"github.com/rightsdesk/rightsdesk/internal/verify"
)

// VerificationSettings is the organization's configuration of identity
// verification: the questions asked, the tiers it raised above the law,
// where answers are matched (its records: an imported CSV or its own
// lookup endpoint), and its account sign-in (OpenID Connect). One row.
type VerificationSettings struct {
	ID                int64
	Questions         string // comma-separated verify.Field codes; "" = verify.DefaultFields
	Raises            string // JSON {"US-CA": {"delete": "three_points"}}
	RecordsSource     string // RecordsNone, RecordsImport or RecordsLookup
	LookupURL         string
	LookupKeySealed   string
	LookupOKAt        *time.Time
	LookupDownSince   *time.Time
	LookupError       string
	OIDCIssuer        string `gorm:"column:oidc_issuer"`
	OIDCClientID      string `gorm:"column:oidc_client_id"`
	OIDCSecretSealed  string `gorm:"column:oidc_secret_sealed"`
	OIDCEmailClaim    string `gorm:"column:oidc_email_claim"`
	OIDCVerifiedClaim string `gorm:"column:oidc_verified_claim"`
	Version           int
	UpdatedAt         *time.Time
	UpdatedBy         *int64
}

func (VerificationSettings) TableName() string { return "verification_settings" }

// Where answers are matched.
const (
	RecordsNone   = ""       // no source yet: staff review the answers
	RecordsImport = "import" // the CSV staff uploaded
	RecordsLookup = "lookup" // the organization's HTTPS endpoint
)

// Fields are the questions asked, in order.
func (s *VerificationSettings) Fields() []verify.Field {
	if s.Questions == "" {
		return verify.DefaultFields()
	}
	var out []verify.Field
	for _, f := range strings.Split(s.Questions, ",") {
		if verify.Field(f).Valid() {
			out = append(out, verify.Field(f))
		}
	}
	return out
}

// raises decodes the organization's raised tiers.
func (s *VerificationSettings) raises() map[string]map[string]rules.Tier {
	out := map[string]map[string]rules.Tier{}
	_ = json.Unmarshal([]byte(s.Raises), &out) // written by SaveSettings only
	return out
}

// Raised is the tier the organization raised r in j to ("" = none).
func (s *VerificationSettings) Raised(j rules.Jurisdiction, r rules.Right) rules.Tier {
	return s.raises()[string(j)][string(r)]
}

// LookupSet reports whether the lookup endpoint is configured.
func (s *VerificationSettings) LookupSet() bool { return s.LookupURL != "" && s.LookupKeySealed != "" }

// AccountSet reports whether account sign-in is configured.
func (s *VerificationSettings) AccountSet() bool { return s.OIDCIssuer != "" && s.OIDCClientID != "" }

// VerificationConfig is the settings form.
type VerificationConfig struct {
	Version   int // the version the form was shown at
	Questions []string
	// Raises maps "jurisdiction/right" to a tier ("" or the law's = not raised).
	Raises        map[string]string
	RecordsSource string
	LookupURL     string
	LookupKey     string // "" keeps the key set before
	OIDCIssuer    string
	OIDCClientID  string
	OIDCSecret    string // "" keeps the secret set before
	// ClearOIDCSecret removes the secret (a public client, PKCE only).
	ClearOIDCSecret   bool
	OIDCEmailClaim    string
	OIDCVerifiedClaim string
}

// ErrVerificationSettingsChanged: someone else saved the verification
// settings since the form was shown.
var ErrVerificationSettingsChanged = &Error{Kind: KindConflict, Key: "error.verification_settings.changed"}

// Field limits of the settings.
const (
	MinLookupKey = 32
	MaxURL       = 2000
	MaxClaim     = 100
)

// Settings returns the organization's verification settings.
func (v *Verifications) Settings(ctx context.Context) (*VerificationSettings, error) {
	var s VerificationSettings
	err := v.c.read(ctx).Where("id = 1").Take(&s).Error
	return &s, err
}

// verifySettings reads the settings inside a transaction.
func (t *tx) verifySettings() (*VerificationSettings, error) {
	var s VerificationSettings
	err := t.Where("id = 1").Take(&s).Error
	return &s, err
}

// SaveSettings validates and saves the settings form. The UPDATE is
// guarded by the version the form was shown at: a change saved meanwhile
// by someone else is not overwritten (ErrVerificationSettingsChanged).
func (v *Verifications) SaveSettings(ctx context.Context, in VerificationConfig, actor Actor) error {
	c := v.c
	val := &ValidationError{}
	var questions []string
	for _, q := range in.Questions {
		if !verify.Field(q).Valid() {
			val.Add("questions", "error.questions.unknown")
		} else if !slices.Contains(questions, q) {
			questions = append(questions, q)
		}
	}
	// Every question list must be able to reach the highest tier.
	if len(questions) < rules.TierThreePoints.Requirement().Points {
		val.Add("questions", "error.questions.too_few")
	}
	raises := map[string]map[string]rules.Tier{}
	for key, t := range in.Raises {
		j, r, ok := strings.Cut(key, "/")
		if !ok || t == "" {
			continue
		}
		jur, right, tier := rules.Jurisdiction(j), rules.Right(r), rules.Tier(t)
		if !slices.Contains(rules.Jurisdictions(), jur) || !c.Rules.Offers(jur, right) {
			val.Add("raises", "error.raise.unknown")
			continue
		}
		if tier == c.Rules.VerificationTier(jur, right) {
			continue
		}
		if err := c.Rules.CheckRaise(jur, right, tier, false); err != nil {
			val.Add("raises", raiseErrorKey(err))
			continue
		}
		if raises[j] == nil {
			raises[j] = map[string]rules.Tier{}
		}
		raises[j][r] = tier
	}
	raisesJSON, err := json.Marshal(raises)
	if err != nil {
		return err
	}
	in.LookupURL = text(val, "lookup_url", in.LookupURL, OneLine, false, MaxURL)
	in.LookupKey = text(val, "lookup_key", in.LookupKey, OneLine, false, 500)
	in.OIDCIssuer = strings.TrimSuffix(text(val, "oidc_issuer", in.OIDCIssuer, OneLine, false, MaxURL), "/")
	in.OIDCClientID = text(val, "oidc_client_id", in.OIDCClientID, OneLine, false, 500)
	in.OIDCSecret = text(val, "oidc_secret", in.OIDCSecret, OneLine, false, 500)
	in.OIDCEmailClaim = text(val, "oidc_email_claim", in.OIDCEmailClaim, OneLine, false, MaxClaim)
	in.OIDCVerifiedClaim = text(val, "oidc_verified_claim", in.OIDCVerifiedClaim, OneLine, false, MaxClaim)
	if in.LookupURL != "" && !v.validEndpoint(in.LookupURL) {
		val.Add("lookup_url", "error.lookup_url.invalid")
	}
	if in.LookupKey != "" && len(in.LookupKey) < MinLookupKey {
		val.Add("lookup_key", "error.lookup_key.short")
	}
	if in.OIDCIssuer != "" {
		if u, err := url.Parse(in.OIDCIssuer); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			val.Add("oidc_issuer", "error.oidc_issuer.invalid")
		}
		if in.OIDCClientID == "" {
			val.Add("oidc_client_id", "error.oidc_client_id.required")
		}
	}
	if in.OIDCEmailClaim == "" {
		in.OIDCEmailClaim = "email"
	}
	if in.OIDCVerifiedClaim == "" {
		in.OIDCVerifiedClaim = "email_verified"
	}
	if !slices.Contains([]string{RecordsNone, RecordsImport, RecordsLookup}, in.RecordsSource) {
		val.Add("records_source", "error.records_source.required")
	}
	if err := val.Err(); err != nil {
		return err
	}
	return c.write(ctx, func(tx *tx) error {
		cur, err := tx.verifySettings()
		if err != nil {
			return err
		}
		if cur.Version != in.Version {
			return ErrVerificationSettingsChanged
		}
		now := c.Now()
		updates := map[string]any{"questions": strings.Join(questions, ","), "raises": string(raisesJSON),
			"records_source": in.RecordsSource, "lookup_url": in.LookupURL, "oidc_issuer": in.OIDCIssuer,
			"oidc_client_id": in.OIDCClientID, "oidc_email_claim": in.OIDCEmailClaim, "oidc_verified_claim": in.OIDCVerifiedClaim,
			"version": cur.Version + 1, "updated_at": now, "updated_by": actor.StaffID}
		if in.LookupKey != "" {
			updates["lookup_key_sealed"] = c.seal("lookup-key", in.LookupKey)
		}
		if in.LookupURL != cur.LookupURL || in.LookupKey != "" {
			// A new endpoint or key: its state is unknown until it answers.
			updates["lookup_down_since"], updates["lookup_error"], updates["lookup_ok_at"] = nil, "", nil
		}
		switch {
		case in.ClearOIDCSecret:
			updates["oidc_secret_sealed"] = ""
		case in.OIDCSecret != "":
			updates["oidc_secret_sealed"] = c.seal("oidc-secret", in.OIDCSecret)
		}
		keySet := in.LookupKey != "" || cur.LookupKeySealed != ""
		switch in.RecordsSource {
		case RecordsLookup:
			if in.LookupURL == "" {
				return invalid("lookup_url", "error.lookup_url.required")
			}
			if !keySet {
				return invalid("lookup_key", "error.lookup_key.required")
			}
		case RecordsImport:
			var n int64
			if err := tx.Model(&RecordImport{}).Where("status = ?", ImportActive).Count(&n).Error; err != nil {
				return err
			}
			if n == 0 {
				return invalid("records_source", "error.records_source.no_import")
			}
		}
		res := tx.Model(&VerificationSettings{}).Where("id = 1 AND version = ?", cur.Version).Updates(updates)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrVerificationSettingsChanged
		}
		return tx.audit(actor, "verification.settings", "verification_settings", 1, "source="+in.RecordsSource)
	})
}

// raiseErrorKey is the message of a refused raise.
func raiseErrorKey(err error) string {
	switch err {
	case rules.ErrTierBelowLaw:
		return "error.raise.below_law"
	case rules.ErrTierNone:
		return "error.raise.none"
	case rules.ErrTierOnDoubt:
		return "error.raise.on_doubt"
	}
	return "error.raise.unknown"
}

// validEndpoint reports whether u may be the lookup endpoint: HTTPS, or
// plain HTTP only where private addresses are allowed (tests, a receiver
// on the same machine).
func (v *Verifications) validEndpoint(u string) bool {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" || p.User != nil {
		return false
	}
	return p.Scheme == "https" || (p.Scheme == "http" && v.opt.AllowPrivate)
}

// LookupKey is the endpoint's key, unsealed ("" when unset or unreadable).
func (v *Verifications) lookupKey(s *VerificationSettings) string {
	k, _ := v.c.unseal("lookup-key", s.LookupKeySealed)
	return k
}

// OIDCSecret is the account sign-in's client secret, unsealed.
func (v *Verifications) OIDCSecret(s *VerificationSettings) string {
	k, _ := v.c.unseal("oidc-secret", s.OIDCSecretSealed)
	return k
}
