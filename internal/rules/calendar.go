package rules

import (
	"fmt"
	"slices"
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/us"
)

// Calendars names the holiday calendars business days can skip, default first.
func Calendars() []string { return []string{"us-ca", "us", "none"} }

// holidayCalendar is a read-only list of holidays; business days are the
// weekdays that are not a holiday's observed date.
type holidayCalendar []*cal.Holiday

func newCalendar(name string) (holidayCalendar, error) {
	switch name {
	case "", "us-ca":
		return slices.Concat(us.Holidays, californiaHolidays), nil
	case "us":
		return us.Holidays, nil
	case "none":
		return nil, nil
	}
	return nil, fmt.Errorf("rules: unknown holiday calendar %q (us-ca, us, none)", name)
}

// californiaHolidays are the holidays of Gov. Code §6700(a) beyond the
// federal ones in us.Holidays: Civ. Code §§7 and 9 make them non-business
// days for the Civil Code, where the CCPA lives. A Sunday holiday is
// observed on the Monday (§6701). Every listed date is a real holiday:
// adding one lengthens a deadline, so doubtful days are left out:
//   - Lunar New Year (§6700(a)(4)) is a lunar date the library cannot
//     compute; left out (the earlier reading).
//   - The day after Thanksgiving is a holiday for state employees under
//     their agreements, not in §6700; left out (the earlier reading).
var californiaHolidays = []*cal.Holiday{
	{Name: "Lincoln Day", Type: cal.ObservancePublic, Month: time.February, Day: 12, Func: cal.CalcDayOfMonth, Observed: sundayToMonday},
	{Name: "Cesar Chavez Day", Type: cal.ObservancePublic, Month: time.March, Day: 31, Func: cal.CalcDayOfMonth, Observed: sundayToMonday},
	// §6701 moves no other date: a Sunday Genocide Remembrance Day is not observed.
	{Name: "Genocide Remembrance Day", Type: cal.ObservancePublic, Month: time.April, Day: 24, Func: cal.CalcDayOfMonth, StartYear: 2023},
	{Name: "Admission Day", Type: cal.ObservancePublic, Month: time.September, Day: 9, Func: cal.CalcDayOfMonth, Observed: sundayToMonday},
	{Name: "Native American Day", Type: cal.ObservancePublic, Month: time.September, Weekday: time.Friday, Offset: 4, Func: cal.CalcWeekdayOffset, StartYear: 2015},
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

// IsBusinessDay reports whether t's local date is a business day on the
// engine's calendar.
func (e *Engine) IsBusinessDay(t time.Time) bool { return e.hol.isBusinessDay(e.civil(t)) }
