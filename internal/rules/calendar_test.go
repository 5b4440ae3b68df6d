package rules

import (
	"testing"
	"time"
)

// Every day of 2026 and 2027 is checked against the holidays written out by
// hand, observed dates included.
func TestHolidayCalendars(t *testing.T) {
	type date struct {
		m time.Month
		d int
	}
	federal := map[int][]date{
		2026: {{1, 1}, {1, 19}, {2, 16}, {5, 25}, {6, 19}, {7, 3} /* 4 July is a Saturday */, {9, 7}, {10, 12}, {11, 11}, {11, 26}, {12, 25}},
		2027: {{1, 1}, {1, 18}, {2, 15}, {5, 31}, {6, 18} /* 19 June is a Saturday */, {7, 5} /* 4 July is a Sunday */, {9, 6}, {10, 11},
			{11, 11}, {11, 25}, {12, 24} /* 25 December is a Saturday */, {12, 31} /* 1 January 2028 is a Saturday */},
	}
	california := map[int][]date{
		2026: {{2, 12}, {3, 31}, {4, 24}, {9, 9}, {9, 25}},
		2027: {{2, 12}, {3, 31} /* 24 April is a Saturday: not moved */, {9, 9}, {9, 24}},
	}
	for _, cal := range []string{"us-ca", "us", "none"} {
		e := engine(t, Options{Calendar: cal})
		for year, fed := range federal {
			holidays := map[date]bool{}
			if cal != "none" {
				for _, d := range fed {
					holidays[d] = true
				}
			}
			if cal == "us-ca" {
				for _, d := range california[year] {
					holidays[d] = true
				}
			}
			for d := time.Date(year, 1, 1, 12, 0, 0, 0, la); d.Year() == year; d = d.AddDate(0, 0, 1) {
				weekend := d.Weekday() == time.Saturday || d.Weekday() == time.Sunday
				want := !weekend && !holidays[date{d.Month(), d.Day()}]
				if got := e.IsBusinessDay(d); got != want {
					t.Errorf("%s: IsBusinessDay(%s %s) = %v", cal, d.Weekday(), d.Format("2006-01-02"), got)
				}
			}
		}
	}
}

func TestObservedHolidays(t *testing.T) {
	e := engine(t, Options{})
	us := engine(t, Options{Calendar: "us"})
	cases := []struct {
		name     string
		e        *Engine
		y        int
		m        time.Month
		d        int
		business bool
	}{
		{"4 July 2026 is a Saturday: observed Friday 3 July", e, 2026, 7, 3, false},
		{"1 January 2022 is a Saturday: observed Friday 31 December 2021", e, 2021, 12, 31, false},
		{"1 January 2023 is a Sunday: observed Monday 2 January", e, 2023, 1, 2, false},
		{"11 November 2028 is a Saturday: observed Friday 10 November", e, 2028, 11, 10, false},
		{"Lincoln Day 2023 is a Sunday: observed Monday 13 February (Gov. Code §6701)", e, 2023, 2, 13, false},
		{"…but not on the federal calendar", us, 2023, 2, 13, true},
		{"Cesar Chavez Day 2024 is a Sunday: observed Monday 1 April", e, 2024, 4, 1, false},
		{"Admission Day 2029 is a Sunday: observed Monday 10 September", e, 2029, 9, 10, false},
		{"Lincoln Day 2028 is a Saturday: not moved", e, 2028, 2, 11, true},
		{"Juneteenth before 2021 is no holiday", e, 2020, 6, 19, true},
		{"Genocide Remembrance Day before 2023 is no holiday", e, 2020, 4, 24, true},
		{"Native American Day 2026 is the fourth Friday of September", e, 2026, 9, 25, false},
		{"the day after Thanksgiving is not a §6700 holiday", e, 2026, 11, 27, true},
	}
	for _, c := range cases {
		if got := c.e.IsBusinessDay(time.Date(c.y, c.m, c.d, 9, 0, 0, 0, la)); got != c.business {
			t.Errorf("%s: IsBusinessDay = %v", c.name, got)
		}
	}
}
