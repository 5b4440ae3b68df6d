package account_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/account"
	"github.com/rightsdesk/rightsdesk/internal/account/accounttest"
)

const redirect = "http://portal.test/verify/account/callback"

// signIn walks the browser's side: to the provider and back.
func signIn(t *testing.T, p *account.Provider, fresh bool) (account.Pending, url.Values) {
	t.Helper()
	pend, to := p.Start(fresh, time.Now())
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(to)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize: %d %v", resp.StatusCode, err)
	}
	return pend, back.Query()
}

func TestSignIn(t *testing.T) {
	ctx := context.Background()
	op := accounttest.Start(t)
	p, err := account.New(ctx, account.Config{Issuer: op.URL, ClientID: accounttest.ClientID,
		ClientSecret: accounttest.ClientSecret, RedirectURL: redirect})
	if err != nil {
		t.Fatal(err)
	}
	finish := func(pend account.Pending, q url.Values) (account.Identity, error) {
		return p.Finish(ctx, pend, q.Get("state"), q.Get("code"), q.Get("error"))
	}

	// An ordinary sign-in: PKCE, state and nonce, not fresh.
	pend, q := signIn(t, p, false)
	id, err := finish(pend, q)
	if err != nil || id.Email != "jordan@example.org" || id.Subject != "user-1" || id.Issuer != op.URL || id.Fresh {
		t.Fatalf("sign-in: %+v %v", id, err)
	}
	seen := op.Seen[len(op.Seen)-1]
	if seen.Get("code_challenge_method") != "S256" || seen.Get("nonce") == "" || seen.Get("prompt") != "" {
		t.Fatalf("authorization request %v", seen)
	}
	// The code works once.
	if _, err := finish(pend, q); !errors.Is(err, account.ErrExchange) {
		t.Fatalf("replayed code: %v", err)
	}

	// A fresh sign-in asks the provider to sign in again, and counts.
	pend, q = signIn(t, p, true)
	if seen := op.Seen[len(op.Seen)-1]; seen.Get("prompt") != "login" || seen.Get("max_age") != "0" {
		t.Fatalf("fresh request %v", seen)
	}
	if id, err := finish(pend, q); err != nil || !id.Fresh {
		t.Fatalf("fresh: %+v %v", id, err)
	}

	cases := []struct {
		name  string
		set   func(*accounttest.Provider, bool)
		fresh bool
		tamp  func(*account.Pending, url.Values)
		want  error
	}{
		{"an old session when a fresh one was asked", func(o *accounttest.Provider, on bool) { o.StaleAuth = on }, true, nil, account.ErrNotFresh},
		{"a wrong nonce", func(o *accounttest.Provider, on bool) { o.WrongNonce = on }, false, nil, account.ErrNonce},
		{"a token signed by another key", func(o *accounttest.Provider, on bool) { o.ForgeSignature = on }, false, nil, account.ErrToken},
		{"an unconfirmed address", func(o *accounttest.Provider, on bool) { o.User.EmailVerified = !on }, false, nil, account.ErrUnverified},
		{"a refusal", func(o *accounttest.Provider, on bool) { o.Refuse = on }, false, nil, account.ErrDenied},
		{"another state", nil, false, func(_ *account.Pending, q url.Values) { q.Set("state", "forged") }, account.ErrState},
		{"no pending sign-in", nil, false, func(p *account.Pending, _ url.Values) { *p = account.Pending{} }, account.ErrState},
		{"another PKCE verifier", nil, false, func(p *account.Pending, _ url.Values) {
			// Another first character (a random verifier may start with x).
			first := "x"
			if p.Verifier[0] == 'x' {
				first = "y"
			}
			p.Verifier = first + p.Verifier[1:]
		}, account.ErrExchange},
	}
	for _, c := range cases {
		if c.set != nil {
			c.set(op, true)
		}
		pend, q := signIn(t, p, c.fresh)
		if c.tamp != nil {
			c.tamp(&pend, q)
		}
		if _, err := finish(pend, q); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
		if c.set != nil {
			c.set(op, false)
		}
	}

	// A mapped claim: the provider's e-mail under another name is missing.
	mapped, err := account.New(ctx, account.Config{Issuer: op.URL, ClientID: accounttest.ClientID,
		ClientSecret: accounttest.ClientSecret, RedirectURL: redirect, EmailClaim: "upn", VerifiedClaim: "-"})
	if err != nil {
		t.Fatal(err)
	}
	pend, q = signIn(t, mapped, false)
	if _, err := mapped.Finish(ctx, pend, q.Get("state"), q.Get("code"), ""); !errors.Is(err, account.ErrNoEmail) {
		t.Fatalf("mapped claim: %v", err)
	}
	if _, err := account.New(ctx, account.Config{Issuer: op.URL + "/nowhere", ClientID: "x"}); err == nil {
		t.Fatal("discovery of a wrong issuer succeeded")
	}
}
