package rules

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// The rows of RULES.md that issue 7 corrected, one case each: the number,
// how it is counted, and the provision the table cites for it.
func TestLawRowsWithSources(t *testing.T) {
	e := engine(t, Options{})
	period := func(p Period) string { return p.String() }
	cases := []struct {
		row    string
		got    func() (string, string) // the rule in words, its source
		want   string
		source string // must appear in the source
	}{
		{"California acknowledgement: 10 business days, California holidays",
			func() (string, string) { l := e.Law(California); return period(*l.Acknowledge), l.Acknowledge.Source },
			"10 business days (California holidays)", "11 CCR §7021(a)"},
		{"California opt-out: 15 business days, California holidays",
			func() (string, string) { p := e.Period(California, RightOptOutSale); return period(p), p.Source },
			"15 business days (California holidays)", "11 CCR §7026(f)"},
		{"California limit of sensitive data: 15 business days, California holidays",
			func() (string, string) { p := e.Period(California, RightLimitSensitive); return period(p), p.Source },
			"15 business days (California holidays)", "11 CCR §7027(g)"},
		{"CAN-SPAM unsubscribe in California: federal business days",
			func() (string, string) { p := e.Period(California, RightUnsubscribe); return period(p), p.Source },
			"10 business days (federal holidays)", "15 U.S.C. §7704(a)(4)"},
		{"CAN-SPAM unsubscribe in Virginia: federal business days",
			func() (string, string) { p := e.Period(Virginia, RightUnsubscribe); return period(p), p.Source },
			"10 business days (federal holidays)", "15 U.S.C. §7704(a)(4)"},
		{"CAN-SPAM unsubscribe elsewhere: federal business days",
			func() (string, string) { p := e.Period(Other, RightUnsubscribe); return period(p), p.Source },
			"10 business days (federal holidays)", "15 U.S.C. §7704(a)(4)"},
		{"state opt-outs outside California: the organization's calendar (no statute sets it)",
			func() (string, string) { p := e.Period(Texas, RightOptOutSale); return period(p), p.Source },
			"15 business days (the organization's holidays)", "RULES.md rule 9"},
		{"California refusal: manifestly unfounded or excessive",
			func() (string, string) { return refusal(e, California, "manifestly_unfounded") },
			"manifestly_unfounded", "Civ. Code §1798.145(h)(3)"},
		{"California refusal: not a resident",
			func() (string, string) { return refusal(e, California, "not_resident") },
			"not_resident", "Civ. Code §1798.140(i)"},
		{"GDPR refusal: manifestly unfounded or excessive",
			func() (string, string) { return refusal(e, EU, "manifestly_unfounded") }, "manifestly_unfounded", "GDPR Art. 12(5)"},
		{"UK refusal: manifestly unfounded or excessive",
			func() (string, string) { return refusal(e, UK, "manifestly_unfounded") }, "manifestly_unfounded", "UK GDPR Art. 12(5)"},
		{"Colorado appeal: 45 days",
			func() (string, string) { a, _ := e.Appeal(Colorado); return period(a.Decide), a.Decide.Source },
			"45 days", "C.R.S. §6-1-1306(3)(b)"},
		{"Colorado appeal: +60 days once, with notice and reasons",
			func() (string, string) {
				x, ok := e.Extension(Colorado, RightAppeal)
				if !ok || !x.Notice {
					return "none", ""
				}
				return period(x.Period), x.Period.Source
			}, "60 days", "C.R.S. §6-1-1306(3)(b)"},
		{"Oregon appeal: 45 days, no extension",
			func() (string, string) {
				a, _ := e.Appeal(Oregon)
				if _, ok := e.Extension(Oregon, RightAppeal); ok || a.Extension != nil {
					return "extended", a.Decide.Source
				}
				return period(a.Decide), a.Decide.Source
			}, "45 days", "ORS 646A.576(6)"},
		{"an appeal upheld gives written reasons",
			func() (string, string) {
				a, _ := e.Appeal(Virginia)
				return strings.Join(e.DenialReasons(Virginia, RightAppeal), ","), a.Upheld
			}, "upheld", "Va. Code §59.1-577(C)"},
		{"UK: the clock stops for identity, for every right but unsubscribing",
			func() (string, string) {
				return strings.Join(e.PauseReasons(UK, RightDelete), ","), e.Law(UK).Pause.Identity
			}, "identity", "Arts. 12(6), 12A"},
		{"UK: and for clarification of an access request",
			func() (string, string) {
				return strings.Join(e.PauseReasons(UK, RightAccess), ","), e.Law(UK).Pause.Clarify
			}, "identity,clarify", "Art. 12A"},
		{"UK complaints: acknowledged within 30 days beginning with receipt",
			func() (string, string) { c := e.Law(UK).Complaints; return period(c.Acknowledge), c.Acknowledge.Source },
			"30 days, the first day counted", "DPA 2018 s.164A(3)"},
		{"UK complaints: from 19 June 2026",
			func() (string, string) { c := e.Law(UK).Complaints; return c.From.Format(time.DateOnly), c.Source },
			"2026-06-19", "in force 19 June 2026"},
		{"PIPEDA: a complaint about a refusal within six months",
			func() (string, string) { w := e.Recourse(Canada).Window; return period(*w), w.Source }, "6 months", "PIPEDA s.11(3)"},
		{"PIPEDA has an extension: 30 days",
			func() (string, string) {
				x, _ := e.Extension(Canada, RightAccess)
				return period(x.Period), x.Period.Source
			},
			"30 days", "PIPEDA s.8(4)(a)"},
		{"Quebec: review by the Commission within 30 days",
			func() (string, string) { w := e.Recourse(Quebec).Window; return period(*w), w.Source }, "30 days", "s.43"},
	}
	for _, c := range cases {
		got, source := c.got()
		if got != c.want || !strings.Contains(source, c.source) {
			t.Errorf("%s: %q (source %q), want %q citing %q", c.row, got, source, c.want, c.source)
		}
	}
}

func refusal(e *Engine, j Jurisdiction, code string) (string, string) {
	for _, r := range e.Law(j).Refusals {
		if r.Code == code {
			return r.Code, r.Source
		}
	}
	return "", ""
}

// Every number the table adds has a source.
func TestEveryRuleHasASource(t *testing.T) {
	e := engine(t, Options{})
	for _, j := range Jurisdictions() {
		l := e.Law(j)
		for _, r := range l.Refusals {
			if r.Source == "" || !slices.Contains(e.DenialReasons(j, RightAccess), r.Code) {
				t.Errorf("%s refusal %q: no source or not offered", j, r.Code)
			}
		}
		if a := l.Appeal; a != nil && (a.Decide.Source == "" || a.Upheld == "" || a.Extension != nil && a.Extension.Source == "") {
			t.Errorf("%s appeal without a source: %+v", j, a)
		}
		if p := l.Pause; p != nil && (p.Identity == "" || len(p.ClarifyRights) > 0 && p.Clarify == "") {
			t.Errorf("%s pause without a source", j)
		}
		if c := l.Complaints; c != nil && (c.Source == "" || c.Acknowledge.Source == "" || c.Respond.Source == "" || c.RecourseKey == "") {
			t.Errorf("%s complaints without a source: %+v", j, c)
		}
		if w := l.Recourse.Window; w != nil && w.Source == "" {
			t.Errorf("%s recourse window without a source", j)
		}
	}
	// Only the UK lets a clock stop, or has complaints, today.
	for _, j := range Jurisdictions() {
		if (e.Law(j).Pause != nil || e.Law(j).Complaints != nil) != (j == UK) {
			t.Errorf("%s: pause %v, complaints %v", j, e.Law(j).Pause != nil, e.Law(j).Complaints != nil)
		}
	}
}

// The stopped clock: the days from asking to receiving do not count, both
// ends included (the words of DPA 2018 s.54(3C)), and the deadline moves
// by exactly that many days; an extension afterwards keeps them.
func TestPause(t *testing.T) {
	e := engine(t, Options{})
	cases := []struct {
		name           string
		asked, arrived time.Time
		days           int
	}{
		{"answered the same day", at(2026, 3, 3, 10, 0), at(2026, 3, 3, 16, 0), 1},
		{"answered the next morning", at(2026, 3, 3, 23, 50), at(2026, 3, 4, 0, 10), 2},
		{"ten days later", at(2026, 3, 3, 10, 0), at(2026, 3, 12, 9, 0), 10},
		{"over the spring-forward night", at(2026, 3, 7, 12, 0), at(2026, 3, 9, 12, 0), 3},
		{"an end before the start gains nothing", at(2026, 3, 3, 10, 0), at(2026, 3, 2, 10, 0), 0},
	}
	for _, c := range cases {
		if got := e.PauseDays(c.asked, c.arrived); got != c.days {
			t.Errorf("%s: %d days, want %d", c.name, got, c.days)
		}
	}
	received := at(2026, 3, 15, 9, 0)
	d, _ := e.Deadlines(UK, RightAccess, received)
	if !d.Due.Equal(endOf(2026, 4, 15)) {
		t.Fatalf("due %s", d.Due.In(la))
	}
	moved := e.MoveDeadline(d.Due, e.PauseDays(at(2026, 3, 20, 9, 0), at(2026, 3, 29, 17, 0)))
	if !moved.Equal(endOf(2026, 4, 25)) {
		t.Fatalf("moved to %s, want 25 April", moved.In(la))
	}
	// Two months more from the moved deadline: the whole period from
	// receipt is three months and the ten days stopped.
	ext, err := e.ExtendPaused(UK, RightAccess, received, 10, moved, false, at(2026, 4, 20, 9, 0))
	if err != nil || !ext.Equal(endOf(2026, 6, 25)) {
		t.Fatalf("extended to %s %v, want 25 June", ext.In(la), err)
	}
	// Without the paused days the cap would cut the extension short.
	if capped, _ := e.Extend(UK, RightAccess, received, moved, false, at(2026, 4, 20, 9, 0)); !capped.Equal(endOf(2026, 6, 15)) {
		t.Fatalf("Extend without pauses: %s", capped.In(la))
	}
	for _, c := range []struct {
		j Jurisdiction
		r Right
	}{{EU, RightAccess}, {California, RightAccess}, {UK, RightUnsubscribe}, {UK, RightAppeal}, {UK, RightComplaint}, {Quebec, RightAccess}} {
		if got := e.PauseReasons(c.j, c.r); len(got) != 0 {
			t.Errorf("%s %s may pause: %v", c.j, c.r, got)
		}
	}
}

// UK complaints exist from 19 June 2026 (the organization's local date).
func TestComplaintsOpen(t *testing.T) {
	e := engine(t, Options{})
	for _, c := range []struct {
		j    Jurisdiction
		now  time.Time
		open bool
	}{
		{UK, at(2026, 6, 18, 23, 59), false},
		{UK, at(2026, 6, 19, 0, 0), true},
		{UK, at(2027, 1, 1, 9, 0), true},
		{EU, at(2027, 1, 1, 9, 0), false},
		{California, at(2027, 1, 1, 9, 0), false},
	} {
		if _, ok := e.ComplaintsOpen(c.j, c.now); ok != c.open {
			t.Errorf("ComplaintsOpen(%s, %s) = %v", c.j, c.now, ok)
		}
	}
	if !e.Offers(UK, RightComplaint) || e.Offers(EU, RightComplaint) || slices.Contains(e.Rights(UK), RightComplaint) {
		t.Error("complaints are the UK's, and never on the form")
	}
	if _, err := e.Deadlines(EU, RightComplaint, at(2027, 1, 1, 9, 0)); !errors.Is(err, ErrRightNotAvailable) {
		t.Errorf("EU complaint deadline: %v", err)
	}
}
