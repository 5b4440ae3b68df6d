package rules

import (
	"fmt"
	"slices"
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/us"
)

// Engine answers questions about the law. It is safe for concurrent use.
type Engine struct {
	loc          *time.Location
	cal          *cal.BusinessCalendar
	laws         map[Jurisdiction]Law
	appealWindow Period
}

// Options configure an Engine; zero values take the defaults.
type Options struct {
	Location *time.Location // the organization's time zone; default America/Los_Angeles
	// Calendar names the holidays business days skip: "us-ca" (US federal
	// and California state, the default), "us" (federal only) or "none".
	Calendar string
	// Policy is the response deadline where no listed law applies (default
	// 45 calendar days) and PolicyExtension its extension (default 45 days;
	// N = 0 for none).
	Policy          *Period
	PolicyExtension *Period
	// AppealWindow is how long after a denial a person may appeal. No
	// statute in RULES.md fixes it ("a reasonable period"); default 60 days.
	AppealWindow *Period
}

// New returns an engine for the given options.
func New(opts Options) (*Engine, error) {
	loc := opts.Location
	if loc == nil {
		var err error
		if loc, err = time.LoadLocation("America/Los_Angeles"); err != nil {
			return nil, err
		}
	}
	bc := cal.NewBusinessCalendar()
	// The calendar is read-only after this point; its cache is not safe for
	// concurrent writes, so it stays off.
	bc.Cacheable = false
	switch opts.Calendar {
	case "", "us-ca":
		bc.AddHoliday(us.Holidays...)
		bc.AddHoliday(californiaHolidays...)
	case "us":
		bc.AddHoliday(us.Holidays...)
	case "none":
	default:
		return nil, fmt.Errorf("rules: unknown holiday calendar %q (us-ca, us, none)", opts.Calendar)
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
	return &Engine{loc: loc, cal: bc, laws: laws(policy, policyExt), appealWindow: window}, nil
}

// californiaHolidays are the state holidays (Gov. Code §6700) beyond the
// federal ones; a Sunday holiday is observed on the Monday (§6701).
var californiaHolidays = []*cal.Holiday{
	{Name: "Lincoln Day", Type: cal.ObservancePublic, Month: time.February, Day: 12, Func: cal.CalcDayOfMonth, Observed: sundayToMonday},
	{Name: "Cesar Chavez Day", Type: cal.ObservancePublic, Month: time.March, Day: 31, Func: cal.CalcDayOfMonth, Observed: sundayToMonday},
	{Name: "Native American Day", Type: cal.ObservancePublic, Month: time.September, Weekday: time.Friday, Offset: 4, Func: cal.CalcWeekdayOffset},
	us.DayAfterThanksgivingDay,
}

var sundayToMonday = []cal.AltDay{{Day: time.Sunday, Offset: 1}}

// Location is the time zone dates are computed and shown in.
func (e *Engine) Location() *time.Location { return e.loc }

// Law returns the table entry of j (Other for an unknown one).
func (e *Engine) Law(j Jurisdiction) Law {
	if l, ok := e.laws[j]; ok {
		return l
	}
	return e.laws[Other]
}

// Rights lists the rights that exist in j, in display order.
func (e *Engine) Rights(j Jurisdiction) []Right { return e.Law(j).Rights }

// Offers reports whether right r exists in j (appeals exist where the law gives one).
func (e *Engine) Offers(j Jurisdiction, r Right) bool {
	if r == RightAppeal {
		return e.Law(j).Appeal != nil
	}
	return slices.Contains(e.Law(j).Rights, r)
}

// Period is the response deadline of right r in j.
func (e *Engine) Period(j Jurisdiction, r Right) Period {
	l := e.Law(j)
	if p, ok := l.Fast[r]; ok {
		return p
	}
	return l.Respond
}

// Deadlines computes the acknowledgement and response deadlines for a
// request of right r in j received at receivedAt. The clock starts at
// receipt, whatever verification takes (RULES.md rule 2).
func (e *Engine) Deadlines(j Jurisdiction, r Right, receivedAt time.Time) (Deadlines, error) {
	l := e.Law(j)
	if !e.Offers(j, r) {
		return Deadlines{}, ErrRightNotAvailable
	}
	d := Deadlines{Due: e.add(receivedAt, e.Period(j, r))}
	if l.Acknowledge != nil && slices.Contains(l.AckRights, r) {
		ack := e.add(receivedAt, *l.Acknowledge)
		d.AckDue = &ack
	}
	return d, nil
}

// CanExtend reports whether the law lets a request of right r in j be extended at all.
func (e *Engine) CanExtend(j Jurisdiction, r Right) bool {
	l := e.Law(j)
	_, fast := l.Fast[r]
	return l.Extension != nil && !fast
}

// Extend returns the new deadline after the one extension the law allows,
// or an error when it cannot be granted at now: the law has none, it was
// used already, or the original deadline has passed (RULES.md rule 3).
func (e *Engine) Extend(j Jurisdiction, r Right, receivedAt, due time.Time, alreadyExtended bool, now time.Time) (time.Time, error) {
	if !e.CanExtend(j, r) {
		return time.Time{}, ErrExtensionNotAllowed
	}
	if alreadyExtended {
		return time.Time{}, ErrAlreadyExtended
	}
	if now.After(due) {
		return time.Time{}, ErrExtensionTooLate
	}
	l := e.Law(j)
	ext := *l.Extension
	total := ext
	total.N += l.Respond.N
	if ext.Kind != l.Respond.Kind {
		return e.add(due, ext), nil
	}
	// Counted from receipt as one period (90 days; three months). For months
	// the end-of-month clamp can make "due + 2 months" earlier than
	// "receipt + 3 months": take the earlier, the stricter reading.
	fromReceipt, fromDue := e.add(receivedAt, total), e.add(due, ext)
	if fromDue.Before(fromReceipt) {
		return fromDue, nil
	}
	return fromReceipt, nil
}

// VerificationTier is the identity check right r needs in j (RULES.md rule 5).
func (e *Engine) VerificationTier(j Jurisdiction, r Right) Tier {
	if t, ok := e.Law(j).Tiers[r]; ok {
		return t
	}
	return TierEmail
}

// AgentAllowed reports whether an authorized agent may exercise r in j.
func (e *Engine) AgentAllowed(j Jurisdiction, r Right) bool {
	return slices.Contains(e.Law(j).AgentRights, r)
}

// Appeal returns j's appeal rule, if the law gives one.
func (e *Engine) Appeal(j Jurisdiction) (AppealRule, bool) {
	if a := e.Law(j).Appeal; a != nil {
		return *a, true
	}
	return AppealRule{}, false
}

// AppealDeadline is when an appeal received at receivedAt must be decided.
func (e *Engine) AppealDeadline(j Jurisdiction, receivedAt time.Time) (time.Time, error) {
	a, ok := e.Appeal(j)
	if !ok {
		return time.Time{}, ErrRightNotAvailable
	}
	return e.add(receivedAt, a.Decide), nil
}

// AppealWindowEnds is the last moment to appeal a denial made at deniedAt.
func (e *Engine) AppealWindowEnds(j Jurisdiction, deniedAt time.Time) time.Time {
	return e.add(deniedAt, e.appealWindow)
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
// catalog codes. An opt-out may be denied only for a documented,
// good-faith belief of fraud (11 CCR §7026(e)).
func (e *Engine) DenialReasons(j Jurisdiction, r Right) []string {
	if r == RightOptOutSale || r == RightLimitSensitive || r == RightUnsubscribe {
		return []string{"fraud", "other"}
	}
	out := []string{"cannot_verify", "exemption", "no_personal_data"}
	switch j {
	case EU, UK:
		out = append(out, "manifestly_unfounded") // Art. 12(5)
	case Quebec, Canada, Other:
	default: // California and the states: the law applies to residents
		out = append(out, "not_resident")
		if j != California {
			out = append(out, "manifestly_unfounded")
		}
	}
	if _, ok := e.Frequency(j, r); ok {
		out = append(out, "frequency")
	}
	return append(out, "fraud", "other")
}

// add counts p from t in the organization's time zone. A period ends at the
// end of its last local day, so a request received at 23:59 counts from
// that day, and the deadline never falls earlier than the law allows.
func (e *Engine) add(t time.Time, p Period) time.Time {
	local := t.In(e.loc)
	y, m, d := local.Date()
	var end time.Time
	switch p.Kind {
	case CalendarDays:
		end = time.Date(y, m, d+p.N, 12, 0, 0, 0, e.loc)
	case CalendarMonths:
		end = addMonths(y, m, d, p.N, e.loc)
	case BusinessDays:
		end = time.Date(y, m, d, 12, 0, 0, 0, e.loc)
		for n := 0; n < p.N; {
			end = end.AddDate(0, 0, 1)
			if e.cal.IsWorkday(end) {
				n++
			}
		}
	}
	return endOfDay(end, e.loc).UTC()
}

// addMonths is calendar-month arithmetic (Reg. 1182/71 Art. 3(2)(c)): the
// same day n months on, or that month's last day where there is none
// (31 January + 1 month = 28 or 29 February).
func addMonths(y int, m time.Month, d, n int, loc *time.Location) time.Time {
	first := time.Date(y, m+time.Month(n), 1, 12, 0, 0, 0, loc)
	last := first.AddDate(0, 1, -1).Day()
	return time.Date(first.Year(), first.Month(), min(d, last), 12, 0, 0, 0, loc)
}

// endOfDay is the last second of t's local date.
func endOfDay(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 23, 59, 59, 0, loc)
}
