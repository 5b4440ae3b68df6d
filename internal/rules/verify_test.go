package rules

import (
	"errors"
	"strings"
	"testing"
)

// Every right of every jurisdiction has a tier with its source; what a
// tier asks is in one table; a narrowing asks less than the rule it narrows.
func TestEveryTierHasItsSource(t *testing.T) {
	e := engine(t, Options{})
	for _, j := range Jurisdictions() {
		v := e.VerifyRule(j)
		checked := false
		for _, r := range e.Rights(j) {
			checked = checked || e.VerificationTier(j, r) != TierNone
		}
		if checked && (v.Account == "" || v.Declaration == "") {
			t.Errorf("%s: verify rule %+v lacks the account's source or the declaration", j, v)
		}
		for _, r := range e.Rights(j) {
			rule := e.Verification(j, r)
			if rule.Source == "" || rule.Tier.Rank() < 0 {
				t.Errorf("%s %s: %+v", j, r, rule)
			}
			if n := rule.Narrowed; n != nil {
				if n.Tier.Rank() >= rule.Tier.Rank() || n.Source == "" || n.Scope != ScopeCategories {
					t.Errorf("%s %s: narrowing %+v of %s", j, r, n, rule.Tier)
				}
			}
		}
	}
	for _, tier := range Tiers() {
		req := tier.Requirement()
		if req.Source == "" {
			t.Errorf("%s has no source", tier)
		}
		if tier.Checked() != (req.Points > 0) {
			t.Errorf("%s: checked %v with %d points", tier, tier.Checked(), req.Points)
		}
	}
	if TierTwoPoints.Requirement().Points != 2 || TierThreePoints.Requirement().Points != 3 ||
		!TierThreePoints.Requirement().Declaration || TierTwoPoints.Requirement().Declaration {
		t.Error("two points, three points and a declaration")
	}
	// California: specific pieces narrow to categories (§7024); a deletion
	// or a disclosure needs a fresh sign-in (§7061(b)); a correction does not.
	access := e.Verification(California, RightAccess)
	if access.Tier != TierThreePoints || access.Narrowed == nil || access.Narrowed.Tier != TierTwoPoints ||
		!strings.Contains(access.Narrowed.Source, "§7024") || !access.Reauth {
		t.Errorf("California access: %+v", access)
	}
	if !e.Verification(California, RightDelete).Reauth || e.Verification(California, RightCorrect).Reauth {
		t.Error("California: re-authentication before deleting, not before correcting")
	}
	if e.Verification(Virginia, RightAccess).Narrowed != nil {
		t.Error("only California narrows a request to categories")
	}
	if !strings.Contains(e.Verification(EU, RightAccess).Source, "12(6)") {
		t.Errorf("EU source %q", e.Verification(EU, RightAccess).Source)
	}
}

// The organization may raise a tier in its settings, never lower it below
// the law, never make an opt-out need verification, and under the GDPR
// only staff raise one request's tier.
func TestRaisingTiers(t *testing.T) {
	e := engine(t, Options{})
	cases := []struct {
		j          Jurisdiction
		r          Right
		to         Tier
		perRequest bool
		want       error
	}{
		{California, RightDelete, TierThreePoints, false, nil},
		{California, RightDelete, TierTwoPoints, false, nil}, // the law's own
		{California, RightAccess, TierTwoPoints, false, ErrTierBelowLaw},
		{California, RightAccess, TierEmail, true, ErrTierBelowLaw},
		{California, RightOptOutSale, TierEmail, false, ErrTierNone},
		{California, RightOptOutSale, TierTwoPoints, true, ErrTierNone},
		{EU, RightAccess, TierTwoPoints, false, ErrTierOnDoubt},
		{EU, RightAccess, TierTwoPoints, true, nil},
		{UK, RightDelete, TierThreePoints, true, nil},
		{UK, RightDelete, TierEmail, false, nil},
		{UK, RightUnsubscribe, TierEmail, true, ErrTierNone},
		{Virginia, RightAccess, TierThreePoints, false, nil},
		{Virginia, RightAccess, "four_points", false, ErrTierUnknown},
	}
	for _, c := range cases {
		if err := e.CheckRaise(c.j, c.r, c.to, c.perRequest); !errors.Is(err, c.want) {
			t.Errorf("CheckRaise(%s, %s, %s, %v) = %v, want %v", c.j, c.r, c.to, c.perRequest, err, c.want)
		}
	}
	if got := e.Effective(California, RightDelete, TierThreePoints); got.Tier != TierThreePoints ||
		!strings.Contains(got.Source, "organization") || !got.Reauth {
		t.Errorf("raised deletion %+v", got)
	}
	if got := e.Effective(California, RightAccess, TierTwoPoints); got.Tier != TierThreePoints || got.Narrowed == nil {
		t.Errorf("a raise below the law is the law: %+v", got)
	}
	if got := e.Effective(EU, RightAccess, TierThreePoints); got.Tier != TierEmail {
		t.Errorf("GDPR: the settings cannot raise every request: %+v", got)
	}
	if got := e.Effective(California, RightOptOutSale, TierThreePoints); got.Tier != TierNone {
		t.Errorf("an opt-out never needs verification: %+v", got)
	}
}

// A sign-in counts as a reasonable degree; a fresh one where the rule asks
// for re-authentication or a reasonably high degree.
func TestAccountSignIn(t *testing.T) {
	e := engine(t, Options{})
	for _, c := range []struct {
		rule         TierRule
		fresh, stale bool
	}{
		{e.Verification(California, RightAccess), true, false},
		{e.Verification(California, RightDelete), true, false},
		{e.Verification(California, RightCorrect), true, true},
		{e.Verification(Virginia, RightAccess), true, true},
		{e.Effective(Virginia, RightAccess, TierThreePoints), true, false},
		{e.Verification(EU, RightAccess), true, true},
	} {
		if AccountSatisfies(c.rule, true) != c.fresh || AccountSatisfies(c.rule, false) != c.stale {
			t.Errorf("%+v: fresh %v stale %v", c.rule, AccountSatisfies(c.rule, true), AccountSatisfies(c.rule, false))
		}
	}
}
