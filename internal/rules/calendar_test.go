package rules

import (
	"testing"
	"time"
)

// Every day of 2026 and 2027 is checked against the holidays written out by
// hand, observed dates included: federal (5 U.S.C. §6103) and California
// (Gov. Code §§6700, 6701), each chosen as the organization's calendar and
// each under its own holiday law.
func TestHolidayCalendars(t *testing.T) {
	type date struct {
		m time.Month
		d int
	}
	holidays := map[string]map[int][]date{
		"us": {
			2026: {{1, 1}, {1, 19}, {2, 16}, {5, 25}, {6, 19}, {7, 3} /* 4 July is a Saturday */, {9, 7}, {10, 12}, {11, 11}, {11, 26}, {12, 25}},
			2027: {{1, 1}, {1, 18}, {2, 15}, {5, 31}, {6, 18} /* 19 June is a Saturday */, {7, 5} /* 4 July is a Sunday */, {9, 6}, {10, 11},
				{11, 11}, {11, 25}, {12, 24} /* 25 December is a Saturday */, {12, 31} /* 1 January 2028 is a Saturday */},
		},
		// §6701 moves a Sunday holiday to Monday and a Saturday one nowhere
		// (11 November aside): no Friday 3 July 2026, 18 June, 24 or 31
		// December 2027.
		"us-ca": {
			2026: {{1, 1}, {1, 19}, {2, 12}, {2, 16}, {3, 31}, {4, 24}, {5, 25}, {6, 19}, {9, 7}, {9, 9}, {9, 25}, {10, 12},
				{11, 11}, {11, 26}, {12, 25}},
			2027: {{1, 1}, {1, 18}, {2, 12}, {2, 15}, {3, 31}, {5, 31}, {7, 5} /* 4 July is a Sunday */, {9, 6}, {9, 9}, {9, 24},
				{10, 11}, {11, 11}, {11, 25}},
		},
		"none": {2026: nil, 2027: nil},
	}
	for _, cal := range Calendars() {
		want := map[date]bool{}
		check := func(name string, isBusiness func(time.Time) bool, year int) {
			for d := time.Date(year, 1, 1, 12, 0, 0, 0, la); d.Year() == year; d = d.AddDate(0, 0, 1) {
				weekend := d.Weekday() == time.Saturday || d.Weekday() == time.Sunday
				if got := isBusiness(d); got != (!weekend && !want[date{d.Month(), d.Day()}]) {
					t.Errorf("%s: business day %s %s = %v", name, d.Weekday(), d.Format("2006-01-02"), got)
				}
			}
		}
		for year, list := range holidays[cal] {
			clear(want)
			for _, d := range list {
				want[d] = true
			}
			org := engine(t, Options{Calendar: cal})
			check("organization calendar "+cal, org.IsBusinessDay, year)
			// The same law named by a clock, whatever the organization's calendar.
			for _, other := range Calendars() {
				e := engine(t, Options{Calendar: other})
				check(cal+" under organization calendar "+other, func(d time.Time) bool { return e.IsBusinessDayUnder(HolidayLaw(cal), d) }, year)
			}
		}
	}
}

func TestObservedHolidays(t *testing.T) {
	e := engine(t, Options{})
	cases := []struct {
		name     string
		law      HolidayLaw
		y        int
		m        time.Month
		d        int
		business bool
	}{
		{"4 July 2026 is a Saturday: the federal holiday is Friday 3 July (5 U.S.C. §6103(b))", HolidaysFederal, 2026, 7, 3, false},
		{"…which stays a business day in California (Gov. Code §6701 moves no Saturday holiday)", HolidaysCalifornia, 2026, 7, 3, true},
		{"1 January 2022 is a Saturday: federal holiday on Friday 31 December 2021", HolidaysFederal, 2021, 12, 31, false},
		{"…a business day in California", HolidaysCalifornia, 2021, 12, 31, true},
		{"1 January 2023 is a Sunday: Monday 2 January in California too (§6701)", HolidaysCalifornia, 2023, 1, 2, false},
		{"11 November 2028 is a Saturday: Friday 10 November in California (§6701's exception)", HolidaysCalifornia, 2028, 11, 10, false},
		{"…and federally", HolidaysFederal, 2028, 11, 10, false},
		{"11 November 2029 is a Sunday: Monday 12 November", HolidaysCalifornia, 2029, 11, 12, false},
		{"25 December 2027 is a Saturday: Friday 24 December is a California business day", HolidaysCalifornia, 2027, 12, 24, true},
		{"4 July 2027 is a Sunday: Monday 5 July", HolidaysCalifornia, 2027, 7, 5, false},
		{"Lincoln Day 2023 is a Sunday: observed Monday 13 February (§6701)", HolidaysCalifornia, 2023, 2, 13, false},
		{"…but not a federal holiday", HolidaysFederal, 2023, 2, 13, true},
		{"Cesar Chavez Day 2024 is a Sunday: observed Monday 1 April", HolidaysCalifornia, 2024, 4, 1, false},
		{"Admission Day 2029 is a Sunday: observed Monday 10 September", HolidaysCalifornia, 2029, 9, 10, false},
		{"Lincoln Day 2028 is a Saturday: not moved", HolidaysCalifornia, 2028, 2, 11, true},
		{"Juneteenth is a California holiday (§6700(a)(10))", HolidaysCalifornia, 2026, 6, 19, false},
		{"Juneteenth 2022 (a Sunday) is observed federally on Monday 20 June", HolidaysFederal, 2022, 6, 20, false},
		{"…but not in California before 2023, nor moved by §6701", HolidaysCalifornia, 2022, 6, 20, true},
		{"Juneteenth 2027 is a Saturday: Friday 18 June is a California business day", HolidaysCalifornia, 2027, 6, 18, true},
		{"Juneteenth before 2021 is no federal holiday", HolidaysFederal, 2020, 6, 19, true},
		{"Genocide Remembrance Day (§6700(a)(8)) from 2023", HolidaysCalifornia, 2026, 4, 24, false},
		{"…not before", HolidaysCalifornia, 2020, 4, 24, true},
		{"…nor federally", HolidaysFederal, 2026, 4, 24, true},
		{"Native American Day 2026 is the fourth Friday of September", HolidaysCalifornia, 2026, 9, 25, false},
		{"the day after Thanksgiving is not a §6700 holiday", HolidaysCalifornia, 2026, 11, 27, true},
		{"Lunar New Year 2026 (17 February) is left out: its date is doubtful", HolidaysCalifornia, 2026, 2, 17, true},
		{"Good Friday 2026 (noon to 3 p.m. only) is left out", HolidaysCalifornia, 2026, 4, 3, true},
		{"weekends only", HolidaysNone, 2026, 12, 25, true},
	}
	for _, c := range cases {
		if got := e.IsBusinessDayUnder(c.law, time.Date(c.y, c.m, c.d, 9, 0, 0, 0, la)); got != c.business {
			t.Errorf("%s: IsBusinessDayUnder(%s) = %v", c.name, c.law, got)
		}
	}
}
