package rules

import (
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	// The organization's time zone must load even where the system has no
	// zone database (scratch images, Windows).
	_ "time/tzdata"
)

// Engine answers questions about the law. It is safe for concurrent use;
// the organization's part of it (time zone, calendar, policy clocks) can
// be replaced at run time by Reconfigure, atomically.
type Engine struct {
	st atomic.Pointer[engineState]
}

// engineState is one configuration of the engine, never changed once built.
type engineState struct {
	loc          *time.Location
	org          HolidayLaw // the organization's calendar
	laws         map[Jurisdiction]Law
	appealWindow Period
}

func (e *Engine) s() *engineState { return e.st.Load() }

// Options configure an Engine; zero values take the defaults.
type Options struct {
	Location *time.Location // the organization's time zone; default America/Los_Angeles
	// Calendar names the organization's holidays, which business-day
	// clocks no statute sets skip (its own policy; opt-outs outside
	// California): "us-ca" (California's, the default), "us" (federal) or
	// "none" (weekends only). See Calendars. A clock a statute sets always
	// counts the holidays of that statute's law.
	Calendar string
	// Policy is the response deadline where no listed law applies (default
	// 45 calendar days) and PolicyExtension its extension (default 45
	// calendar days; N = 0 for none).
	Policy          *Period
	PolicyExtension *Period
	// AppealWindow is how long after a denial a person may appeal. No
	// statute in RULES.md fixes it (the states ask for "a reasonable
	// period"); default 60 calendar days.
	AppealWindow *Period
	// OtherRights are the rights offered where no listed law applies (the
	// organization's own policy); nil = the default list.
	OtherRights []Right
}

// New returns an engine for the given options.
func New(opts Options) (*Engine, error) {
	e := &Engine{}
	if err := e.Reconfigure(opts); err != nil {
		return nil, err
	}
	return e, nil
}

// Reconfigure replaces the organization's part of the engine (the law
// itself never changes at run time); questions already being answered
// finish under the old configuration.
func (e *Engine) Reconfigure(opts Options) error {
	st, err := build(opts)
	if err != nil {
		return err
	}
	e.st.Store(st)
	return nil
}

func build(opts Options) (*engineState, error) {
	loc := opts.Location
	if loc == nil {
		var err error
		if loc, err = time.LoadLocation("America/Los_Angeles"); err != nil {
			return nil, err
		}
	}
	hol, err := newCalendar(opts.Calendar)
	if err != nil {
		return nil, err
	}
	policy := days(45, "organization policy")
	if opts.Policy != nil {
		policy = *opts.Policy
	}
	policyExt := ptr(days(45, "organization policy"))
	if opts.PolicyExtension != nil {
		policyExt = opts.PolicyExtension
		if policyExt.N == 0 {
			policyExt = nil
		}
	}
	window := days(60, "no statutory window: a reasonable period (configurable)")
	if opts.AppealWindow != nil {
		window = *opts.AppealWindow
	}
	for name, p := range map[string]*Period{"policy": &policy, "policy extension": policyExt, "appeal window": &window} {
		if p != nil && (p.N < 1 || !slices.Contains([]ClockKind{CalendarDays, BusinessDays, CalendarMonths}, p.Kind)) {
			return nil, fmt.Errorf("rules: invalid %s period %d %q", name, p.N, p.Kind)
		}
		if _, known := calendars[p.holidays()]; p != nil && !known {
			return nil, fmt.Errorf("rules: invalid %s holidays %q", name, p.Holidays)
		}
	}
	all := laws(policy, policyExt)
	if opts.OtherRights != nil {
		other := all[Other]
		var rights []Right
		for _, r := range opts.OtherRights {
			if slices.Contains(AllRights, r) && r != RightAppeal {
				rights = append(rights, r)
			}
		}
		if len(rights) == 0 {
			return nil, fmt.Errorf("rules: offer at least one right where no law applies")
		}
		other.Rights, other.AgentRights = rights, rights
		all[Other] = other
	}
	return &engineState{loc: loc, org: hol, laws: all, appealWindow: window}, nil
}

// Location is the time zone dates are computed and shown in.
func (e *Engine) Location() *time.Location { return e.s().loc }

// Law returns the table entry of j (Other for an unknown one). Its maps
// and slices are shared: read them, do not change them.
func (e *Engine) Law(j Jurisdiction) Law {
	laws := e.s().laws
	if l, ok := laws[j]; ok {
		return l
	}
	return laws[Other]
}

// Rights lists the rights a person may ask for in j, in display order.
func (e *Engine) Rights(j Jurisdiction) []Right { return e.Law(j).Rights }

// Offers reports whether right r exists in j. RightAppeal exists where the
// law gives an appeal, RightComplaint where it gives a complaint to the
// organization (from ComplaintRule.From: see ComplaintsOpen); neither is
// ever on the form (Rights omits them).
func (e *Engine) Offers(j Jurisdiction, r Right) bool {
	switch r {
	case RightAppeal:
		return e.Law(j).Appeal != nil
	case RightComplaint:
		return e.Law(j).Complaints != nil
	}
	return e.Law(j).offersRight(r)
}

// Period is the response deadline of right r in j (for RightAppeal, the
// time to decide an appeal; for RightComplaint, to give the outcome).
func (e *Engine) Period(j Jurisdiction, r Right) Period {
	l := e.Law(j)
	if r == RightAppeal && l.Appeal != nil {
		return l.Appeal.Decide
	}
	if r == RightComplaint && l.Complaints != nil {
		return l.Complaints.Respond
	}
	if p, ok := l.Fast[r]; ok {
		return p
	}
	return l.Respond
}

// Deadlines computes the acknowledgement and response deadlines for a
// request of right r in j received at receivedAt. The clock starts at
// receipt, whatever verification takes (RULES.md rule 2).
func (e *Engine) Deadlines(j Jurisdiction, r Right, receivedAt time.Time) (Deadlines, error) {
	if !e.Offers(j, r) {
		return Deadlines{}, ErrRightNotAvailable
	}
	l := e.Law(j)
	d := Deadlines{Due: e.add(receivedAt, e.Period(j, r))}
	if l.Acknowledge != nil && slices.Contains(l.AckRights, r) {
		ack := e.add(receivedAt, *l.Acknowledge)
		d.AckDue = &ack
	}
	if r == RightComplaint {
		ack := e.add(receivedAt, l.Complaints.Acknowledge)
		d.AckDue = &ack
	}
	return d, nil
}

// ComplaintsOpen returns j's complaint rule when a complaint may be made at
// now (on or after its first day, in the organization's time zone).
func (e *Engine) ComplaintsOpen(j Jurisdiction, now time.Time) (ComplaintRule, bool) {
	c := e.Law(j).Complaints
	if c == nil || e.civil(now).Before(c.From) {
		return ComplaintRule{}, false
	}
	return *c, true
}

// ExtensionRule is the one extension a request may get.
type ExtensionRule struct {
	Period Period // added to the original deadline
	// Notice: the person must be told, with the reason and the new date,
	// before the original deadline.
	Notice bool
}

// Extension returns the extension the law allows for r in j; false where
// there is none (Quebec, opt-outs, unsubscribes, complaints, appeals except
// in Colorado).
func (e *Engine) Extension(j Jurisdiction, r Right) (ExtensionRule, bool) {
	l := e.Law(j)
	switch r {
	case RightAppeal:
		if l.Appeal == nil || l.Appeal.Extension == nil {
			return ExtensionRule{}, false
		}
		return ExtensionRule{Period: *l.Appeal.Extension, Notice: l.Appeal.ExtensionNotice}, true
	case RightComplaint:
		return ExtensionRule{}, false
	}
	_, fast := l.Fast[r]
	if l.Extension == nil || fast || !e.Offers(j, r) {
		return ExtensionRule{}, false
	}
	return ExtensionRule{Period: *l.Extension, Notice: l.ExtensionNotice}, true
}

// CanExtend reports whether the law lets a request of right r in j be extended at all.
func (e *Engine) CanExtend(j Jurisdiction, r Right) bool {
	_, ok := e.Extension(j, r)
	return ok
}

// Extend returns the new deadline after the one extension the law allows,
// or an error when it cannot be granted at now: the law has none, it was
// used already, or the original deadline due has passed (RULES.md rule 3).
//
// The new deadline is the original one plus the extension period: 90 days
// from receipt in California, 60 under PIPEDA. Under the GDPR it is the
// original deadline plus two calendar months, which is receipt plus three
// months except after a month-end clamp (received 31 January: due 28
// February, extended to 28 April rather than 30 April). RULES.md marks the
// month-end rule "check"; the earlier reading is kept.
func (e *Engine) Extend(j Jurisdiction, r Right, receivedAt, due time.Time, alreadyExtended bool, now time.Time) (time.Time, error) {
	return e.ExtendPaused(j, r, receivedAt, 0, due, alreadyExtended, now)
}

// ExtendPaused is Extend for a request whose clock stood still for
// pausedDays days (PauseDays): the whole period from receipt is that much
// longer.
func (e *Engine) ExtendPaused(j Jurisdiction, r Right, receivedAt time.Time, pausedDays int, due time.Time, alreadyExtended bool, now time.Time) (time.Time, error) {
	ext, ok := e.Extension(j, r)
	if !ok {
		return time.Time{}, ErrExtensionNotAllowed
	}
	if alreadyExtended {
		return time.Time{}, ErrAlreadyExtended
	}
	if now.After(due) {
		return time.Time{}, ErrExtensionTooLate
	}
	extended := e.add(due, ext.Period)
	// Never beyond the law's whole period from receipt, should due itself
	// be later than the law's (set by hand, or under an older rule).
	if total := e.Period(j, r); total.Kind == ext.Period.Kind {
		total.N += ext.Period.N
		limit := e.endOfDate(e.addDate(e.civil(receivedAt), total).AddDate(0, 0, max(pausedDays, 0)))
		if limit.Before(extended) {
			return limit, nil
		}
	}
	return extended, nil
}

// AgentAllowed reports whether an authorized agent may exercise r in j.
func (e *Engine) AgentAllowed(j Jurisdiction, r Right) bool {
	return slices.Contains(e.Law(j).AgentRights, r)
}

// GuardianAllowed reports whether a parent or legal guardian may exercise
// r in j for a child. Every law here lets a child's parent or guardian act
// for them, including the states that give agents nothing or opt-outs only
// (Va. Code §59.1-577(A): "a known child's parent or legal guardian may
// invoke such consumer rights on behalf of the child"; RULES.md: Virginia,
// "parent of a known child only"; the Colorado, Connecticut, Texas and
// Oregon acts say the same, check): every right the law gives, appeals
// aside.
func (e *Engine) GuardianAllowed(j Jurisdiction, r Right) bool {
	return r != RightAppeal && e.Offers(j, r)
}

// Appeal returns j's appeal rule, if the law gives one.
func (e *Engine) Appeal(j Jurisdiction) (AppealRule, bool) {
	if a := e.Law(j).Appeal; a != nil {
		return *a, true
	}
	return AppealRule{}, false
}

// AppealDeadline is when an appeal received at receivedAt must be decided;
// ErrRightNotAvailable where j gives no appeal.
func (e *Engine) AppealDeadline(j Jurisdiction, receivedAt time.Time) (time.Time, error) {
	a, ok := e.Appeal(j)
	if !ok {
		return time.Time{}, ErrRightNotAvailable
	}
	return e.add(receivedAt, a.Decide), nil
}

// AppealWindow is how long after a denial a person may appeal (Options.AppealWindow).
func (e *Engine) AppealWindow() Period { return e.s().appealWindow }

// AppealWindowEnds is the last moment to appeal a denial made at deniedAt.
func (e *Engine) AppealWindowEnds(j Jurisdiction, deniedAt time.Time) time.Time {
	return e.add(deniedAt, e.s().appealWindow)
}

// DeemedRefusal reports whether silence past the deadline counts as a refusal in j.
func (e *Engine) DeemedRefusal(j Jurisdiction) bool { return e.Law(j).DeemedRefusal }

// Recourse is what a denial in j must tell the person.
func (e *Engine) Recourse(j Jurisdiction) Recourse { return e.Law(j).Recourse }

// Frequency returns the free-request limit of r in j, for staff to see.
func (e *Engine) Frequency(j Jurisdiction, r Right) (FrequencyLimit, bool) {
	f, ok := e.Law(j).Frequency[r]
	return f, ok
}

// DenialReasons lists the reasons staff may give for denying r in j, as
// catalog codes ("denial.<code>"); "other", "fraud" and "upheld" need a
// written explanation. A complaint is answered, never denied: none.
func (e *Engine) DenialReasons(j Jurisdiction, r Right) []string {
	l := e.Law(j)
	switch r {
	case RightAppeal:
		// An appeal decided against the person upholds the decision, with
		// written reasons (e.g. Va. Code §59.1-577(C)).
		if l.Appeal == nil {
			return nil
		}
		return []string{"upheld"}
	case RightComplaint:
		return nil
	}
	if _, fast := l.Fast[r]; fast && r != RightShineTheLight {
		// An opt-out may be denied only for a documented, good-faith belief
		// of fraud, explained to the person (11 CCR §7026(e)).
		return []string{"fraud"}
	}
	out := []string{"cannot_verify", "exemption", "no_personal_data"}
	for _, rf := range l.Refusals {
		out = append(out, rf.Code)
	}
	if _, ok := e.Frequency(j, r); ok {
		out = append(out, "frequency")
	}
	return append(out, "fraud", "other")
}

// PauseReasons lists why the clock of r in j may stop (PauseIdentity,
// PauseClarify); none where the law lets no clock stop, for Fast rights,
// appeals and complaints.
func (e *Engine) PauseReasons(j Jurisdiction, r Right) []string {
	l := e.Law(j)
	if l.Pause == nil || r == RightAppeal || r == RightComplaint || !l.offersRight(r) {
		return nil
	}
	if _, fast := l.Fast[r]; fast {
		return nil
	}
	out := []string{PauseIdentity}
	if slices.Contains(l.Pause.ClarifyRights, r) {
		out = append(out, PauseClarify)
	}
	return out
}
