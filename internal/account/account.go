// Package account verifies a person by signing in to their account with
// the organization, over OpenID Connect (github.com/coreos/go-oidc/v3 and
// golang.org/x/oauth2): the authorization code flow with PKCE (S256), a
// state and a nonce checked on return, the ID token's signature, issuer,
// audience and expiry checked against the provider's published keys, and
// the claims read through a configurable mapping. A sign-in asked "fresh"
// (prompt=login, max_age=0) counts as re-authentication only when the
// token's auth_time is after the sign-in began. Pure of the database and
// of the web framework: the caller keeps Pending in the person's session.
package account

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Config is the organization's identity provider.
type Config struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	RedirectURL  string
	// EmailClaim names the claim holding the account's e-mail address
	// (default "email"); VerifiedClaim the one saying the provider
	// confirmed it (default "email_verified"; "-" = the provider has none,
	// and its addresses are trusted as they are).
	EmailClaim    string
	VerifiedClaim string
	// HTTP is the client for discovery, keys and the token endpoint; nil =
	// a client with a 10-second timeout.
	HTTP *http.Client
}

// Provider is one configured identity provider, discovered.
type Provider struct {
	cfg      Config
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
	client   *http.Client
}

// Errors of a sign-in, each a reason the person is told in plain words.
var (
	ErrState      = errors.New("account: the sign-in's state does not match (expired or replayed)")
	ErrDenied     = errors.New("account: the provider did not sign the person in")
	ErrExchange   = errors.New("account: the provider refused the code")
	ErrToken      = errors.New("account: the ID token is not valid")
	ErrNonce      = errors.New("account: the ID token's nonce does not match")
	ErrNoEmail    = errors.New("account: the account has no e-mail address")
	ErrUnverified = errors.New("account: the provider has not confirmed the account's e-mail address")
	ErrNotFresh   = errors.New("account: the person did not sign in again")
)

// New discovers the provider at cfg.Issuer.
func New(ctx context.Context, cfg Config) (*Provider, error) {
	if cfg.EmailClaim == "" {
		cfg.EmailClaim = "email"
	}
	if cfg.VerifiedClaim == "" {
		cfg.VerifiedClaim = "email_verified"
	}
	client := cfg.HTTP
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	ctx = oidc.ClientContext(ctx, client)
	p, err := oidc.NewProvider(ctx, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("account: discovery of %s: %w", cfg.Issuer, err)
	}
	scopes := []string{oidc.ScopeOpenID, "email"}
	return &Provider{cfg: cfg, client: client,
		oauth: oauth2.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, Endpoint: p.Endpoint(),
			RedirectURL: cfg.RedirectURL, Scopes: scopes},
		verifier: p.Verifier(&oidc.Config{ClientID: cfg.ClientID})}, nil
}

// Pending is a sign-in under way, kept in the person's session until the
// provider sends them back.
type Pending struct {
	State    string    `json:"state"`
	Nonce    string    `json:"nonce"`
	Verifier string    `json:"verifier"` // the PKCE code verifier
	Fresh    bool      `json:"fresh"`    // re-authentication was asked
	Began    time.Time `json:"began"`
}

// Start begins a sign-in at now: what to keep, and where to send the
// browser. fresh asks the provider to sign the person in again whatever
// session it has (prompt=login, max_age=0).
func (p *Provider) Start(fresh bool, now time.Time) (Pending, string) {
	pend := Pending{State: random(), Nonce: random(), Verifier: oauth2.GenerateVerifier(), Fresh: fresh, Began: now.UTC()}
	opts := []oauth2.AuthCodeOption{oidc.Nonce(pend.Nonce), oauth2.S256ChallengeOption(pend.Verifier)}
	if fresh {
		opts = append(opts, oauth2.SetAuthURLParam("prompt", "login"), oauth2.SetAuthURLParam("max_age", "0"))
	}
	return pend, p.oauth.AuthCodeURL(pend.State, opts...)
}

// Identity is who signed in.
type Identity struct {
	Issuer   string
	Subject  string
	Email    string
	AuthTime time.Time
	// Fresh: a re-authentication was asked and the token shows the person
	// signed in after the sign-in began.
	Fresh bool
}

// Skew allows for clocks apart between the portal and the provider.
const Skew = time.Minute

// Finish completes a sign-in when the provider sends the browser back
// with state and code (or with errCode, when it did not sign them in).
func (p *Provider) Finish(ctx context.Context, pend Pending, state, code, errCode string) (Identity, error) {
	if pend.State == "" || state == "" || state != pend.State {
		return Identity{}, ErrState
	}
	if errCode != "" || code == "" {
		return Identity{}, ErrDenied
	}
	ctx = oidc.ClientContext(ctx, p.client)
	tok, err := p.oauth.Exchange(ctx, code, oauth2.VerifierOption(pend.Verifier))
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %v", ErrExchange, err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return Identity{}, fmt.Errorf("%w: no id_token", ErrToken)
	}
	idt, err := p.verifier.Verify(ctx, raw)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %v", ErrToken, err)
	}
	if idt.Nonce == "" || idt.Nonce != pend.Nonce {
		return Identity{}, ErrNonce
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return Identity{}, fmt.Errorf("%w: %v", ErrToken, err)
	}
	email, _ := claims[p.cfg.EmailClaim].(string)
	email = strings.TrimSpace(email)
	if email == "" {
		return Identity{}, ErrNoEmail
	}
	if p.cfg.VerifiedClaim != "-" {
		if v, present := claims[p.cfg.VerifiedClaim]; !present || !truthy(v) {
			return Identity{}, ErrUnverified
		}
	}
	id := Identity{Issuer: idt.Issuer, Subject: idt.Subject, Email: email}
	if at, ok := claims["auth_time"].(float64); ok {
		id.AuthTime = time.Unix(int64(at), 0).UTC()
	}
	if pend.Fresh {
		if id.AuthTime.IsZero() || id.AuthTime.Before(pend.Began.Add(-Skew)) {
			return Identity{}, ErrNotFresh
		}
		id.Fresh = true
	}
	return id, nil
}

// truthy reads a boolean claim, which some providers send as a string.
func truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return x == "true"
	}
	return false
}

func random() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
