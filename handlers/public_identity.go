package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/internal/account"
	"github.com/rightsdesk/rightsdesk/internal/verify"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/templates/components"
	"github.com/rightsdesk/rightsdesk/templates/layout"
	"github.com/rightsdesk/rightsdesk/templates/pages/public"
)

// The person's side of identity verification, on their tracking page:
// the questions of their requests' tier on one page, the declaration,
// signing in to their account with the organization, and a document
// where staff asked for one.

// identitySection builds the tracking page's identity questions.
func (h *Handlers) identitySection(p layout.Page, token string, sub *models.Submission, iv *models.IdentityView, f components.Form) *public.IdentitySection {
	if iv == nil || !iv.Ask {
		return nil
	}
	s := &public.IdentitySection{Token: token, Points: iv.Points, Remaining: iv.Remaining, Account: iv.Account,
		Form: orEmpty(f)}
	for _, fl := range iv.Fields {
		in := fl.Input()
		s.Questions = append(s.Questions, public.IdentityQuestion{Name: "q_" + string(fl), Label: p.T.T("identity.q." + string(fl)),
			Hint: p.T.T("identity.q." + string(fl) + ".hint"), Type: in.Type, Autocomplete: in.Autocomplete, InputMode: in.InputMode, MaxLen: in.MaxLen})
	}
	if iv.Declaration != "" {
		s.Declaration = p.T.T(iv.Declaration)
	}
	for _, r := range sub.Requests {
		if ch := iv.Latest[r.ID]; ch != nil && ch.Status == models.CheckPending && !r.Closed() {
			s.For = append(s.For, p.T.T("right."+r.Right))
		}
	}
	// The questions are answered with what the form already had, where it had it.
	if f.Values == nil {
		s.Form.Values = url.Values{}
		if sub.Name != "" {
			s.Form.Values.Set("q_"+string(verify.FieldName), sub.Name)
		}
		if sub.Phone != "" {
			s.Form.Values.Set("q_"+string(verify.FieldPhone), sub.Phone)
		}
	}
	return s
}

// identityStatus is what a request's tracking card says of its check.
func identityStatus(p layout.Page, ch *models.IdentityCheck) string {
	if ch == nil {
		return ""
	}
	switch ch.Status {
	case models.CheckPassed:
		if ch.Scope != "" {
			return p.T.T("identity.status.categories")
		}
		return p.T.T("identity.status.passed", p.T.T("identity.method."+ch.Method))
	case models.CheckReview:
		return p.T.T("identity.status.review")
	case models.CheckFailed:
		return p.T.T("identity.status.failed")
	}
	return ""
}

// IdentityAnswer checks the person's answers to the identity questions.
func (h *Handlers) IdentityAnswer(c echo.Context) error {
	token := c.Param("token")
	values, err := c.FormParams()
	if err != nil {
		return err
	}
	in := models.IdentityAnswers{Values: map[string]string{}, DeclaredName: values.Get("declared_name"), Declared: values.Get("declared") == "yes"}
	for _, f := range verify.Fields() {
		if v := values.Get("q_" + string(f)); v != "" {
			in.Values[string(f)] = v
		}
	}
	res, err := h.Verifications.Answer(c.Request().Context(), token, in, client(c))
	switch {
	case errors.Is(err, models.ErrIdentityNothing), errors.Is(err, models.ErrIdentityEmail):
		return redirect(c, "/t/"+token)
	case formError(err):
		p := h.page(c, "track.title")
		values.Del("_csrf")
		f := formOf(p, values, err, "answers", identityOrder()...)
		return h.renderTrack(c, Status(err), trackForms{identity: f, failed: f})
	case err != nil:
		return err
	}
	key := "flash.identity_review"
	switch {
	case res.Verified:
		key = "flash.identity_verified"
	case res.Narrowed:
		key = "flash.identity_narrowed"
	}
	return h.flashTo(c, key, "/t/"+token)
}

// identityOrder is the order of the identity form's fields, for the error summary.
func identityOrder() []string {
	out := []string{"answers"}
	for _, f := range verify.Fields() {
		out = append(out, "q_"+string(f))
	}
	return append(out, "declared_name", "declared")
}

// IdentityDocument receives the document staff asked the person for.
func (h *Handlers) IdentityDocument(c echo.Context) error {
	token := c.Param("token")
	id, err := parseID(c)
	if err != nil {
		return err
	}
	// Nothing of the body is read for a request that is not this person's.
	sub, err := h.Submissions.ByTrackingToken(c.Request().Context(), token)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(sub.Requests, func(r models.Request) bool { return r.ID == id }) {
		return models.ErrNotFound
	}
	_, part, err := h.multipartForm(c, "document")
	if err != nil {
		return err
	}
	var doc io.Reader
	if part != nil {
		doc = part
	}
	err = h.Verifications.UploadDocument(c.Request().Context(), token, id, doc, models.RequesterActor(ip(c)))
	if formError(err) || models.KindOf(err) == models.KindUnavailable && errors.Is(err, models.ErrUploadStorage) {
		p := h.page(c, "track.title")
		f := formOf(p, url.Values{}, err, "document", "document")
		return h.renderTrack(c, Status(err), trackForms{documentID: id, document: f, failed: f})
	}
	if err != nil {
		return err
	}
	return h.flashTo(c, "flash.document_received", "/t/"+token)
}

// Accounts keeps the organization's identity provider, discovered once
// for its settings.
type Accounts struct {
	mu       sync.Mutex
	key      string
	provider *account.Provider
}

// accountProvider is the provider the settings name, discovered.
func (h *Handlers) accountProvider(ctx context.Context) (*account.Provider, error) {
	set, err := h.Verifications.Settings(ctx)
	if err != nil {
		return nil, err
	}
	if !set.AccountSet() {
		return nil, models.ErrNotFound
	}
	secret := h.Verifications.OIDCSecret(set)
	key := set.OIDCIssuer + "\x00" + set.OIDCClientID + "\x00" + strconv.Itoa(set.Version)
	a := h.Accounts
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.provider != nil && a.key == key {
		return a.provider, nil
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	p, err := account.New(dctx, account.Config{Issuer: set.OIDCIssuer, ClientID: set.OIDCClientID, ClientSecret: secret,
		RedirectURL: h.Core.BaseURL + AccountCallbackPath, EmailClaim: set.OIDCEmailClaim, VerifiedClaim: set.OIDCVerifiedClaim})
	if err != nil {
		h.Log.Warn("the identity provider could not be reached", "err", err)
		return nil, &models.Error{Kind: models.KindUnavailable, Key: "error.account.unavailable", Err: err}
	}
	a.key, a.provider = key, p
	return p, nil
}

// AccountCallbackPath is where the identity provider sends the person
// back (the redirect URI the organization registers).
const AccountCallbackPath = "/verify/account/callback"

// pendingSignIn is what the session keeps of a sign-in under way.
type pendingSignIn struct {
	Token   string          `json:"token"`
	Pending account.Pending `json:"pending"`
}

const sessionSignIn = "account_sign_in"

// AccountStart sends the person to sign in to their account with the
// organization (a fresh sign-in where a request needs re-authentication).
func (h *Handlers) AccountStart(c echo.Context) error {
	token := c.Param("token")
	ctx := c.Request().Context()
	sub, err := h.Submissions.ByTrackingToken(ctx, token)
	if err != nil {
		return err
	}
	p, err := h.accountProvider(ctx)
	if err != nil {
		return err
	}
	fresh, err := h.Verifications.WantsFresh(ctx, sub)
	if err != nil {
		return err
	}
	pend, to := p.Start(fresh, h.Core.Now())
	b, err := json.Marshal(pendingSignIn{Token: token, Pending: pend})
	if err != nil {
		return err
	}
	s := h.session(c)
	s.Values[sessionSignIn] = string(b)
	if err := s.Save(c.Request(), c.Response()); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, to)
}

// AccountCallback is where the provider sends the person back: the
// sign-in is checked (state, PKCE, the token and its nonce) and, for the
// address the person confirmed, verifies their requests.
func (h *Handlers) AccountCallback(c echo.Context) error {
	ctx := c.Request().Context()
	s := h.session(c)
	raw, _ := s.Values[sessionSignIn].(string)
	delete(s.Values, sessionSignIn) // one use
	if err := s.Save(c.Request(), c.Response()); err != nil {
		return err
	}
	var ps pendingSignIn
	if raw == "" || json.Unmarshal([]byte(raw), &ps) != nil || ps.Token == "" {
		return &pageError{err: &models.Error{Kind: models.KindNotFound, Key: "error.account.lost"}, heading: "account.lost_title"}
	}
	back := "/t/" + ps.Token
	p, err := h.accountProvider(ctx)
	if err != nil {
		return err
	}
	q := c.QueryParams()
	id, err := p.Finish(ctx, ps.Pending, q.Get("state"), q.Get("code"), q.Get("error"))
	switch {
	case errors.Is(err, account.ErrNotFresh):
		return h.flashTo(c, "flash.account_again", back)
	case errors.Is(err, account.ErrDenied):
		return h.flashTo(c, "flash.account_cancelled", back)
	case err != nil:
		h.Log.Info("an account sign-in failed", "err", err)
		return h.flashTo(c, "flash.account_failed", back)
	}
	res, again, err := h.Verifications.SignedIn(ctx, ps.Token, models.AccountSignIn{Issuer: id.Issuer, Subject: id.Subject,
		Email: id.Email, AuthTime: id.AuthTime, Fresh: id.Fresh}, client(c))
	switch {
	case errors.Is(err, models.ErrAccountEmail):
		return h.flashTo(c, "flash.account_other_email", back)
	case errors.Is(err, models.ErrIdentityNothing):
		return redirect(c, back)
	case err != nil:
		return err
	case again:
		return h.flashTo(c, "flash.account_again", back)
	case !res.Verified:
		return h.flashTo(c, "flash.account_failed", back)
	}
	return h.flashTo(c, "flash.identity_verified", back)
}
