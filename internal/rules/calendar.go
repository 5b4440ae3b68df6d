package rules

import (
	"fmt"
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/us"
)

// HolidayLaw names the holidays a business-day period skips: each clock
// uses the holiday law of the statute it serves (state law for a state's
// clock, federal law for a federal one). The names double as the values of
// Options.Calendar, the organization's own calendar.
type HolidayLaw string

const (
	// HolidaysOrganization is the organization's calendar (Options.Calendar):
	// for business-day clocks no statute sets, such as its own policy.
	HolidaysOrganization HolidayLaw = ""
	// HolidaysCalifornia: the holidays of Gov. Code §6700, observed as §6701
	// says. Civ. Code §§7, 9 and 10 make them the non-business days of the
	// Civil Code, where the CCPA lives.
	HolidaysCalifornia HolidayLaw = "us-ca"
	// HolidaysFederal: the legal public holidays of 5 U.S.C. §6103(a),
	// observed on the Friday before or the Monday after a weekend as
	// §6103(b) and Executive Order 11582 provide.
	HolidaysFederal HolidayLaw = "us"
	// HolidaysNone: weekends only.
	HolidaysNone HolidayLaw = "none"
)

// Calendars names the holiday calendars an organization may choose for the
// clocks no statute sets, default first.
func Calendars() []string {
	return []string{string(HolidaysCalifornia), string(HolidaysFederal), string(HolidaysNone)}
}

// holidayCalendar is a read-only list of holidays; business days are the
// weekdays that are not a holiday's observed date.
type holidayCalendar []*cal.Holiday

// calendars are the holiday laws the engine knows, by name.
var calendars = map[HolidayLaw]holidayCalendar{
	HolidaysCalifornia: californiaHolidays,
	HolidaysFederal:    us.Holidays,
	HolidaysNone:       nil,
}

func newCalendar(name string) (HolidayLaw, error) {
	if name == "" {
		return HolidaysCalifornia, nil
	}
	if _, ok := calendars[HolidayLaw(name)]; !ok {
		return "", fmt.Errorf("rules: unknown holiday calendar %q (us-ca, us, none)", name)
	}
	return HolidayLaw(name), nil
}

// californiaHolidays are the holidays of Gov. Code §6700(a), each observed
// as §6701 says: January 1, February 12, March 31, July 4, September 9,
// November 11 and December 25 move to the Monday when they fall on a
// Sunday; a holiday that falls on a Saturday is not moved, except 11
// November, which moves to the Friday before. So the Friday on which the
// federal government observes a Saturday holiday stays a business day in
// California. Every listed date is a real holiday: adding one lengthens a
// deadline, so doubtful days are left out (the earlier reading):
//   - Lunar New Year (§6700(a)(4)) is a lunar date whose time zone the
//     statute does not fix; left out.
//   - Good Friday from noon until 3 p.m. (§6700(a)) is part of a day; left out.
//   - Days the President or Governor appoints for a public fast or
//     holiday (§6700(a)) cannot be known ahead; left out, except
//     Thanksgiving, appointed every year for the fourth Thursday of November.
//   - The day after Thanksgiving is a holiday for state employees under
//     their agreements, not in §6700; left out.
//   - Juneteenth (§6700(a)(10), added by AB 1655, Stats. 2022) counts from
//     2023, and Genocide Remembrance Day (§6700(a)(8)) from 2023 (check: the
//     later start is the earlier reading). §6701 moves neither.
var californiaHolidays = holidayCalendar{
	{Name: "New Year's Day", Month: time.January, Day: 1, Func: cal.CalcDayOfMonth, Observed: sundayToMonday},
	{Name: "Dr. Martin Luther King, Jr. Day", Month: time.January, Weekday: time.Monday, Offset: 3, Func: cal.CalcWeekdayOffset},
	{Name: "Lincoln Day", Month: time.February, Day: 12, Func: cal.CalcDayOfMonth, Observed: sundayToMonday},
	{Name: "Third Monday in February", Month: time.February, Weekday: time.Monday, Offset: 3, Func: cal.CalcWeekdayOffset},
	{Name: "Cesar Chavez Day", Month: time.March, Day: 31, Func: cal.CalcDayOfMonth, Observed: sundayToMonday},
	{Name: "Genocide Remembrance Day", Month: time.April, Day: 24, Func: cal.CalcDayOfMonth, StartYear: 2023},
	{Name: "Last Monday in May", Month: time.May, Weekday: time.Monday, Offset: -1, Func: cal.CalcWeekdayOffset},
	{Name: "Juneteenth", Month: time.June, Day: 19, Func: cal.CalcDayOfMonth, StartYear: 2023},
	{Name: "July 4", Month: time.July, Day: 4, Func: cal.CalcDayOfMonth, Observed: sundayToMonday},
	{Name: "First Monday in September", Month: time.September, Weekday: time.Monday, Offset: 1, Func: cal.CalcWeekdayOffset},
	{Name: "Admission Day", Month: time.September, Day: 9, Func: cal.CalcDayOfMonth, Observed: sundayToMonday},
	{Name: "Native American Day", Month: time.September, Weekday: time.Friday, Offset: 4, Func: cal.CalcWeekdayOffset, StartYear: 2015},
	{Name: "Columbus Day", Month: time.October, Weekday: time.Monday, Offset: 2, Func: cal.CalcWeekdayOffset},
	{Name: "Veterans Day", Month: time.November, Day: 11, Func: cal.CalcDayOfMonth,
		Observed: []cal.AltDay{{Day: time.Saturday, Offset: -1}, {Day: time.Sunday, Offset: 1}}},
	{Name: "Thanksgiving Day", Month: time.November, Weekday: time.Thursday, Offset: 4, Func: cal.CalcWeekdayOffset},
	{Name: "December 25", Month: time.December, Day: 25, Func: cal.CalcDayOfMonth, Observed: sundayToMonday},
}

var sundayToMonday = []cal.AltDay{{Day: time.Sunday, Offset: 1}}

// isHoliday reports whether the civil date d is the observed date of a
// holiday. Next year's holidays are checked too: when 1 January is a
// Saturday, 31 December is the federal holiday (5 U.S.C. §6103(b)), which
// cal's own IsHoliday misses.
func (c holidayCalendar) isHoliday(d time.Time) bool {
	y, m, day := d.Date()
	for _, h := range c {
		for _, year := range []int{y, y + 1} {
			if _, obs := h.Calc(year); !obs.IsZero() {
				if oy, om, od := obs.Date(); oy == y && om == m && od == day {
					return true
				}
			}
		}
	}
	return false
}

func (c holidayCalendar) isBusinessDay(d time.Time) bool {
	wd := d.Weekday()
	return wd != time.Saturday && wd != time.Sunday && !c.isHoliday(d)
}

// calendarOf is the calendar a period counts business days on: its own
// holiday law, or the organization's.
func (e *Engine) calendarOf(h HolidayLaw) holidayCalendar {
	if h == HolidaysOrganization {
		h = e.s().org
	}
	return calendars[h]
}

// IsBusinessDay reports whether t's local date is a business day on the
// organization's calendar.
func (e *Engine) IsBusinessDay(t time.Time) bool {
	return e.IsBusinessDayUnder(HolidaysOrganization, t)
}

// IsBusinessDayUnder reports whether t's local date is a business day
// under holiday law h.
func (e *Engine) IsBusinessDayUnder(h HolidayLaw, t time.Time) bool {
	return e.calendarOf(h).isBusinessDay(e.civil(t))
}
