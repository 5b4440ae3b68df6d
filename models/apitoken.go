package models

import (
	"context"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"
)

// APIToken is a personal token for the staff JSON API: it acts as the
// member who made it, within their role, and within its scope. Only its
// hash is stored; the token itself is shown once.
type APIToken struct {
	ID         int64
	StaffID    int64
	Name       string
	TokenHash  string
	Scope      string // ScopeRead or ScopeWrite
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// Token scopes.
const (
	ScopeRead  = "read"  // GET only
	ScopeWrite = "write" // also change requests, within the member's role
)

// APITokenPrefix starts every token, so a leaked one is recognisable.
const APITokenPrefix = "rdk_"

// ErrTokenInvalid: no live token of that value.
var ErrTokenInvalid = &Error{Kind: KindUnauthorized, Key: "error.api.token"}

// NewAPIToken makes a token for a staff member and returns its value.
func (sa *StaffAccounts) NewAPIToken(ctx context.Context, staffID int64, name, scope string, actor Actor) (string, error) {
	v := &ValidationError{}
	name = text(v, "name", name, OneLine, true, 100)
	if scope != ScopeRead && scope != ScopeWrite {
		v.Add("scope", "error.scope.invalid")
	}
	if err := v.Err(); err != nil {
		return "", err
	}
	token := APITokenPrefix + newToken()
	err := sa.c.write(ctx, func(tx *tx) error {
		t := &APIToken{StaffID: staffID, Name: name, TokenHash: tx.c.hash("api", token), Scope: scope, CreatedAt: now()}
		if err := tx.Create(t).Error; err != nil {
			return err
		}
		return tx.audit(actor, "api_token.create", "api_token", t.ID, "scope="+scope)
	})
	return token, err
}

// ByAPIToken returns the member a token acts for, and the token, while both
// are live.
func (sa *StaffAccounts) ByAPIToken(ctx context.Context, token string) (*Staff, *APIToken, error) {
	raw, ok := strings.CutPrefix(token, APITokenPrefix)
	if !ok || !validToken(raw) {
		return nil, nil, ErrTokenInvalid
	}
	db := sa.c.read(ctx)
	var t APIToken
	err := db.Where("token_hash = ? AND revoked_at IS NULL", sa.c.hash("api", token)).Take(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, ErrTokenInvalid
	}
	if err != nil {
		return nil, nil, err
	}
	var st Staff
	err = db.Where("id = ? AND disabled_at IS NULL", t.StaffID).Take(&st).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, ErrTokenInvalid
	}
	if err != nil {
		return nil, nil, err
	}
	if t.LastUsedAt == nil || now().Sub(*t.LastUsedAt) > sessionTouch {
		if err := db.Model(&APIToken{}).Where("id = ?", t.ID).Update("last_used_at", now()).Error; err != nil {
			return nil, nil, err
		}
	}
	return &st, &t, nil
}

// APITokens lists a member's live tokens.
func (sa *StaffAccounts) APITokens(ctx context.Context, staffID int64) ([]APIToken, error) {
	var out []APIToken
	err := sa.c.read(ctx).Where("staff_id = ? AND revoked_at IS NULL", staffID).Order("id DESC").Find(&out).Error
	return out, err
}

// RevokeAPIToken ends one of a member's tokens.
func (sa *StaffAccounts) RevokeAPIToken(ctx context.Context, staffID, tokenID int64, actor Actor) error {
	return sa.c.write(ctx, func(tx *tx) error {
		res := tx.Model(&APIToken{}).Where("id = ? AND staff_id = ? AND revoked_at IS NULL", tokenID, staffID).Update("revoked_at", now())
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrNotFound
		}
		return tx.audit(actor, "api_token.revoke", "api_token", tokenID, "")
	})
}
