package handlers

import (
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/internal/rules"
	"github.com/rightsdesk/rightsdesk/internal/verify"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/templates/components"
	"github.com/rightsdesk/rightsdesk/templates/layout"
	"github.com/rightsdesk/rightsdesk/templates/pages/admin"
)

// identityPanel is the request page's account of how the person was
// verified and why that was enough, with staff's actions.
func (h *Handlers) identityPanel(c echo.Context, p layout.Page, r *models.Request, decide, raise components.Form) (*admin.IdentityPanel, error) {
	if r.Kind != models.KindRequest {
		return nil, nil
	}
	d, err := h.Verifications.ForRequest(c.Request().Context(), r)
	if err != nil {
		return nil, err
	}
	if len(d.Checks) == 0 && len(d.Raise) == 0 {
		return nil, nil
	}
	v := &admin.IdentityPanel{Law: tierText(p, d.Law.Tier), LawSource: d.Law.Source, DecideForm: orEmpty(decide), RaiseForm: orEmpty(raise)}
	if d.Law.Narrowed != nil {
		v.Narrowing = p.T.T("identity.narrowing", tierText(p, d.Law.Narrowed.Tier), d.Law.Narrowed.Source)
	}
	for i := range d.Checks {
		v.Checks = append(v.Checks, checkRows(p, &d.Checks[i]))
	}
	if d.Open != nil {
		v.Open = true
		v.Review = d.Open.Status == models.CheckReview
		if d.Open.ReviewReason != "" {
			v.ReviewReason = p.T.T("identity.review." + d.Open.ReviewReason)
		}
		for _, f := range verify.Fields() {
			if a, ok := d.Answers[f]; ok {
				v.Answers = append(v.Answers, admin.Row{Label: p.T.T("identity.q." + string(f)), Value: a})
			}
		}
		v.Outcomes = []components.Option{{Value: models.DecideVerified, Label: p.T.T("identity.decide.verified"), Hint: p.T.T("identity.decide.verified.hint")}}
		if d.Categories {
			v.Outcomes = append(v.Outcomes, components.Option{Value: models.DecideCategories, Label: p.T.T("identity.decide.categories"),
				Hint: p.T.T("identity.decide.categories.hint")})
		}
		v.Outcomes = append(v.Outcomes, components.Option{Value: models.DecideFailed, Label: p.T.T("identity.decide.failed"),
			Hint: p.T.T("identity.decide.failed.hint")})
		v.CanRetry = d.Open.ReviewReason == models.ReviewLookupDown && d.Open.AnswersSealed != ""
	}
	for _, doc := range d.Documents {
		label := p.T.T("identity.document", p.DateTime(doc.CreatedAt))
		if doc.ErasedAt != nil {
			v.Erased = append(v.Erased, p.T.T("identity.document_erased", p.DateTime(doc.CreatedAt), p.DateTime(*doc.ErasedAt)))
			continue
		}
		v.Documents = append(v.Documents, admin.DocView{ID: doc.ID, Label: label, PDF: doc.IsPDF()})
	}
	for _, t := range d.Raise {
		v.Raise = append(v.Raise, components.Option{Value: string(t), Label: tierText(p, t)})
	}
	if h.Core.Rules.VerifyRule(rules.Jurisdiction(r.Jurisdiction)).OnDoubt != "" {
		v.RaiseHint = p.T.T("identity.raise_hint_doubt")
	} else {
		v.RaiseHint = p.T.T("identity.raise_hint")
	}
	if s := d.Settings; s.RecordsSource == models.RecordsLookup && s.LookupDownSince != nil {
		v.LookupDown = p.T.T("identity.lookup_down", p.DateTime(*s.LookupDownSince), p.T.T("lookup.error."+s.LookupError))
	}
	return v, nil
}

// tierText names a tier in words.
func tierText(p layout.Page, t rules.Tier) string { return p.T.T("tier." + string(t)) }

// checkRows is one check, as staff see it: the evidence, never a value
// the person gave.
func checkRows(p layout.Page, ch *models.IdentityCheck) []admin.Row {
	rows := []admin.Row{
		{Label: p.T.T("identity.row.tier"), Value: tierText(p, ch.Tier) + " · " + ch.TierSource},
		{Label: p.T.T("identity.row.status"), Value: p.T.T("identity.check." + ch.Status)},
	}
	if ch.RaisedReason != "" {
		rows = append(rows, admin.Row{Label: p.T.T("identity.row.raised"), Value: ch.RaisedReason})
	}
	if ch.Method != "" {
		rows = append(rows, admin.Row{Label: p.T.T("identity.row.method"), Value: p.T.T("identity.method." + ch.Method)})
	}
	var asked, matched []string
	for _, f := range ch.AskedFields() {
		asked = append(asked, p.T.T("identity.q."+string(f)))
	}
	for _, f := range ch.MatchedFields() {
		matched = append(matched, p.T.T("identity.q."+string(f)))
	}
	if len(asked) > 0 {
		rows = append(rows, admin.Row{Label: p.T.T("identity.row.asked"), Value: strings.Join(asked, ", ")})
	}
	if ch.Method == models.MethodRecords || ch.Method == models.MethodLookup || ch.ReviewReason == models.ReviewAttempts ||
		ch.ReviewReason == models.ReviewUnmatched || len(matched) > 0 {
		m := p.T.T("identity.none_matched")
		if len(matched) > 0 {
			m = strings.Join(matched, ", ")
		}
		rows = append(rows, admin.Row{Label: p.T.T("identity.row.matched"), Value: m})
	}
	rows = append(rows, admin.Row{Label: p.T.T("identity.row.attempts"), Value: p.T.T("identity.attempts", ch.Attempts, models.MaxIdentityAttempts)})
	if ch.Scope != "" {
		rows = append(rows, admin.Row{Label: p.T.T("identity.row.scope"), Value: p.T.T("identity.scope." + ch.Scope)})
	}
	if ch.DeclaredAt != nil {
		rows = append(rows, admin.Row{Label: p.T.T("identity.row.declaration"),
			Value: p.T.T("identity.declared", ch.DeclaredName, p.DateTime(*ch.DeclaredAt), ch.DeclaredIP, ch.DeclaredUA)})
	}
	if ch.AccountAt != nil {
		key := "identity.account"
		if ch.AccountFresh {
			key = "identity.account_fresh"
		}
		rows = append(rows, admin.Row{Label: p.T.T("identity.row.account"), Value: p.T.T(key, ch.AccountIssuer, p.DateTime(*ch.AccountAt))})
	}
	if ch.Note != "" {
		rows = append(rows, admin.Row{Label: p.T.T("identity.row.note"), Value: ch.Note})
	}
	if ch.DecidedAt != nil {
		rows = append(rows, admin.Row{Label: p.T.T("identity.row.decided"), Value: p.DateTime(*ch.DecidedAt)})
	}
	if ch.ErasedAt != nil {
		rows = append(rows, admin.Row{Label: p.T.T("identity.row.erased"), Value: p.T.T("identity.erased", p.DateTime(*ch.ErasedAt))})
	}
	return rows
}

// RequestIdentity records staff's decision on a request's identity check.
func (h *Handlers) RequestIdentity(c echo.Context) error {
	return h.staffAction(c, "identity", "flash.identity_decided", func(id int64, v url.Values, a models.Actor) error {
		return h.Verifications.Decide(c.Request().Context(), id, models.IdentityDecision{Outcome: v.Get("outcome"), Note: v.Get("identity_note")}, a)
	})
}

// RequestIdentityRaise raises one request's tier, with a reason.
func (h *Handlers) RequestIdentityRaise(c echo.Context) error {
	return h.staffAction(c, "raise", "flash.identity_raised", func(id int64, v url.Values, a models.Actor) error {
		return h.Verifications.Raise(c.Request().Context(), id, rules.Tier(v.Get("tier")), v.Get("raise_reason"), a)
	})
}

// RequestIdentityRetry matches answers again once the lookup endpoint is back.
func (h *Handlers) RequestIdentityRetry(c echo.Context) error {
	return h.staffAction(c, "identity", "flash.identity_retried", func(id int64, _ url.Values, a models.Actor) error {
		return h.Verifications.RetryLookup(c.Request().Context(), id, a)
	})
}
