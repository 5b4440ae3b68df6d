package rules

import (
	"errors"
	"slices"
)

// Identity verification by risk (RULES.md rule 5; 11 CCR §§7060–7062,
// 7024; GDPR Art. 12(6)). Each jurisdiction maps each right to a tier with
// its source (Law.Tiers); a tier asks for a number of data points matched
// against the organization's records and, at the top, a signed declaration
// (Requirement). The organization may raise a tier in its settings, never
// lower it below the law (CheckRaise, Effective); where the law allows
// more than the e-mail only on reasonable doubt (the GDPR), only staff may
// raise it, for one request, with a reason.

// TierRule is the identity check one right needs in one jurisdiction,
// with the provision that sets it.
type TierRule struct {
	Tier   Tier
	Source string
	// Narrowed is the narrower request the law turns this one into when
	// the person cannot be verified at Tier; nil = none (the request may
	// then be denied as unverifiable).
	Narrowed *Narrowing
	// Reauth: signing in to the person's account counts only as a fresh
	// sign-in (re-authentication), as before disclosing or deleting data.
	Reauth bool
}

// Narrowing is what a request becomes when its own tier is not reached.
type Narrowing struct {
	Scope  string // ScopeCategories
	Tier   Tier   // what the narrower request needs
	Source string
}

// ScopeCategories: a request to know answered with the categories of
// personal information only, not the specific pieces (11 CCR §7024).
const ScopeCategories = "categories"

// VerifyRule is how a jurisdiction lets the organization verify.
type VerifyRule struct {
	// OnDoubt is the provision under which more than the e-mail may be
	// asked only where there is reasonable doubt about one request's
	// identity: the organization cannot raise tiers in its settings; staff
	// raise one request's, with a reason. "" = the organization may raise.
	OnDoubt string
	// Declaration is the catalog key of the declaration's wording, for
	// tiers that ask for one.
	Declaration string
	// Account is the provision that lets signing in to the person's own
	// account with the organization verify them.
	Account string
}

// Requirement is what a tier asks of the person.
type Requirement struct {
	Points      int  // data points that must match the organization's records
	Declaration bool // a declaration signed under penalty of perjury
	Source      string
}

// requirements is the one table of what each tier asks. The e-mail the
// person confirmed finds their record and is not counted as a point (the
// stricter reading of "matching at least two data points").
var requirements = map[Tier]Requirement{
	TierNone:  {Source: "11 CCR §7026(d); RULES.md rule 5: opt-outs need no verification and no account"},
	TierEmail: {Source: "RULES.md rule 5: control of the e-mail address"},
	TierTwoPoints: {Points: 2, Source: "11 CCR §7062(b): a reasonable degree of certainty, " +
		"matching at least two data points with data the business maintains"},
	TierThreePoints: {Points: 3, Declaration: true, Source: "11 CCR §7062(c): a reasonably high degree of certainty, " +
		"matching at least three pieces of personal information, with a declaration signed under penalty of perjury"},
}

// Tiers lists the tiers from the weakest.
func Tiers() []Tier { return []Tier{TierNone, TierEmail, TierTwoPoints, TierThreePoints} }

// Rank orders tiers: a higher rank asks more. An unknown tier ranks -1.
func (t Tier) Rank() int { return slices.Index(Tiers(), t) }

// Requirement is what tier t asks of the person.
func (t Tier) Requirement() Requirement { return requirements[t] }

// Checked reports whether t asks for more than the e-mail: an identity
// check against the organization's records.
func (t Tier) Checked() bool { return t.Rank() >= TierTwoPoints.Rank() }

// Errors of tier changes.
var (
	ErrTierUnknown  = errors.New("rules: unknown verification tier")
	ErrTierNone     = errors.New("rules: this right may not be made to need verification")
	ErrTierBelowLaw = errors.New("rules: a tier may not be lowered below the law's")
	ErrTierOnDoubt  = errors.New("rules: here more than the e-mail may be asked only for one request, on reasonable doubt")
)

// Verification is the identity check r needs in j under the law alone.
func (e *Engine) Verification(j Jurisdiction, r Right) TierRule {
	l := e.Law(j)
	if t, ok := l.Tiers[r]; ok {
		return t
	}
	src := requirements[TierEmail].Source
	if l.Verify.OnDoubt != "" {
		src = l.Verify.OnDoubt
	}
	return TierRule{Tier: TierEmail, Source: src}
}

// VerificationTier is the identity check right r needs in j (RULES.md rule 5).
func (e *Engine) VerificationTier(j Jurisdiction, r Right) Tier { return e.Verification(j, r).Tier }

// VerifyRule is how j lets the organization verify.
func (e *Engine) VerifyRule(j Jurisdiction) VerifyRule { return e.Law(j).Verify }

// CheckRaise reports whether r in j may be made to need tier t: by the
// organization's settings for every request (perRequest false), or by
// staff for one request, with a reason (perRequest true). A tier is never
// lowered below the law, an opt-out never needs verification, and where
// the law allows more only on doubt, only one request's tier is raised.
func (e *Engine) CheckRaise(j Jurisdiction, r Right, t Tier, perRequest bool) error {
	law := e.Verification(j, r)
	switch {
	case t.Rank() < 0:
		return ErrTierUnknown
	case law.Tier == TierNone:
		return ErrTierNone
	case t.Rank() < law.Tier.Rank():
		return ErrTierBelowLaw
	case !perRequest && t != law.Tier && e.Law(j).Verify.OnDoubt != "":
		return ErrTierOnDoubt
	}
	return nil
}

// Effective is the identity check r in j needs once the organization
// raised it to raised ("" = not raised): the law's rule where raised is
// not allowed or not higher. A raised rule keeps the law's narrowing and
// re-authentication, and names the organization as its source.
func (e *Engine) Effective(j Jurisdiction, r Right, raised Tier) TierRule {
	law := e.Verification(j, r)
	if raised == "" || raised.Rank() <= law.Tier.Rank() || e.CheckRaise(j, r, raised, false) != nil {
		return law
	}
	out := law
	out.Tier = raised
	out.Source = "the organization's settings, above the law's " + string(law.Tier) + " (" + law.Source + ")"
	out.Reauth = law.Reauth || raised == TierThreePoints
	return out
}

// AccountSatisfies reports whether signing in to the person's account
// verifies rule: a sign-in counts as a reasonable degree of certainty
// (11 CCR §7061(a)); where the rule asks for re-authentication or a
// reasonably high degree, only a fresh sign-in does (§7061(b)).
func AccountSatisfies(rule TierRule, fresh bool) bool {
	if rule.Reauth || rule.Tier == TierThreePoints {
		return fresh
	}
	return rule.Tier.Rank() <= TierThreePoints.Rank()
}
