package rules

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

var la = mustLoc("America/Los_Angeles")

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

func engine(t testing.TB, opts Options) *Engine {
	t.Helper()
	e, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// at is a local time in Los Angeles.
func at(y int, m time.Month, d, hh, mm int) time.Time { return time.Date(y, m, d, hh, mm, 0, 0, la) }

// endOf is the end of a local date in Los Angeles, in UTC: the start of the
// next local day minus DeadlinePrecision.
func endOf(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d+1, 0, 0, 0, 0, la).Add(-DeadlinePrecision).UTC()
}

func ptrTime(t time.Time) *time.Time { return &t }

func TestDeadlines(t *testing.T) {
	cases := []struct {
		name     string
		calendar string
		j        Jurisdiction
		r        Right
		received time.Time
		due      time.Time
		ack      *time.Time
	}{
		// California
		{"California know: 45 calendar days, ack in 10 business days", "", California, RightAccess,
			at(2026, 3, 2, 10, 0), endOf(2026, 4, 16), ptrTime(endOf(2026, 3, 16))},
		{"received at 23:59 local counts from that local day", "", California, RightDelete,
			at(2026, 1, 15, 23, 59), endOf(2026, 3, 1), ptrTime(endOf(2026, 1, 30))}, // MLK Day skipped
		{"received at 00:00 local counts from that day too", "", California, RightDelete,
			at(2026, 1, 16, 0, 0), endOf(2026, 3, 2), ptrTime(endOf(2026, 2, 2))},
		{"received just before spring-forward", "", California, RightCorrect,
			at(2026, 3, 7, 23, 30), endOf(2026, 4, 21), ptrTime(endOf(2026, 3, 20))},
		{"opt-out received just before spring-forward", "", California, RightOptOutSale,
			at(2026, 3, 7, 23, 30), endOf(2026, 3, 27), nil},
		{"opt-out received just before fall-back; Veterans Day skipped", "", California, RightOptOutSale,
			at(2026, 10, 31, 23, 30), endOf(2026, 11, 23), nil},
		{"received in the repeated hour of fall-back", "", California, RightAccess,
			time.Date(2026, 11, 1, 9, 30, 0, 0, time.UTC), endOf(2026, 12, 16), ptrTime(endOf(2026, 11, 16))}, // 01:30 PST; Veterans Day skipped
		{"California opt-out: 15 California business days; Friday 3 July 2026 is one (§6701 does not move a Saturday 4 July)", "", California, RightOptOutSale,
			at(2026, 7, 2, 9, 0), endOf(2026, 7, 23), nil},
		{"the organization's federal calendar does not change a CCPA clock", "us", California, RightOptOutSale,
			at(2026, 7, 2, 9, 0), endOf(2026, 7, 23), nil},
		{"nor does a calendar of weekends only", "none", California, RightAccess,
			at(2026, 9, 1, 9, 0), endOf(2026, 10, 16), ptrTime(endOf(2026, 9, 17))},
		{"California acknowledgement: Friday 3 July 2026 counts", "", California, RightDelete,
			at(2026, 7, 2, 9, 0), endOf(2026, 8, 16), ptrTime(endOf(2026, 7, 16))},
		{"California opt-out: Juneteenth 2026 (a Friday) is a California holiday", "", California, RightLimitSensitive,
			at(2026, 6, 15, 9, 0), endOf(2026, 7, 7), nil},
		{"received on a holiday: day 1 is the next business day", "", California, RightOptOutSale,
			at(2026, 7, 4, 9, 0), endOf(2026, 7, 24), nil},
		{"California: Saturday Christmas 2027 and New Year 2028 move nowhere, so Fri 24 and Fri 31 Dec count", "", California, RightOptOutSale,
			at(2027, 12, 20, 9, 0), endOf(2028, 1, 10), nil},
		{"California: a Saturday Veterans Day moves to Friday 10 November 2028", "", California, RightOptOutSale,
			at(2028, 11, 1, 9, 0), endOf(2028, 11, 24), nil},
		{"Labor Day and Admission Day skipped", "", California, RightAccess,
			at(2026, 9, 1, 9, 0), endOf(2026, 10, 16), ptrTime(endOf(2026, 9, 17))},

		{"Native American Day and Columbus Day skipped", "", California, RightLimitSensitive,
			at(2026, 9, 21, 9, 0), endOf(2026, 10, 14), nil},
		{"Thanksgiving skipped; the day after is a business day", "", California, RightAccess,
			at(2026, 11, 23, 9, 0), endOf(2027, 1, 7), ptrTime(endOf(2026, 12, 8))},
		{"Cesar Chavez Day skipped", "", California, RightLimitSensitive,
			at(2026, 3, 27, 9, 0), endOf(2026, 4, 20), nil},
		{"45 days over 29 February", "", California, RightAccess, at(2028, 2, 1, 9, 0), endOf(2028, 3, 17), ptrTime(endOf(2028, 2, 15))},
		{"45 days in a common year", "", California, RightAccess, at(2026, 2, 2, 9, 0), endOf(2026, 3, 19), ptrTime(endOf(2026, 2, 18))},
		{"portability is a know request", "", California, RightPortability, at(2026, 3, 2, 10, 0), endOf(2026, 4, 16), ptrTime(endOf(2026, 3, 16))},
		{"Shine the Light: 30 days, no acknowledgement", "", California, RightShineTheLight, at(2026, 3, 2, 10, 0), endOf(2026, 4, 1), nil},
		{"unsubscribe: 10 business days", "", California, RightUnsubscribe, at(2026, 3, 2, 10, 0), endOf(2026, 3, 16), nil},
		{"CAN-SPAM counts federal days: Admission Day is a business day for a Californian's unsubscribe", "", California, RightUnsubscribe,
			at(2026, 9, 1, 9, 0), endOf(2026, 9, 16), nil},
		{"CAN-SPAM: the federal Friday 3 July 2026 is skipped", "", California, RightUnsubscribe,
			at(2026, 7, 2, 9, 0), endOf(2026, 7, 17), nil},
		{"CAN-SPAM: federal days whatever the organization's calendar", "none", Oregon, RightUnsubscribe,
			at(2026, 7, 2, 9, 0), endOf(2026, 7, 17), nil},

		// GDPR and UK GDPR: calendar months
		{"GDPR: one calendar month", "", EU, RightAccess, at(2026, 3, 15, 9, 0), endOf(2026, 4, 15), nil},
		{"GDPR: 31 January ends on 28 February", "", EU, RightAccess, at(2026, 1, 31, 9, 0), endOf(2026, 2, 28), nil},
		{"GDPR: 31 January ends on 29 February in a leap year", "", EU, RightDelete, at(2028, 1, 31, 9, 0), endOf(2028, 2, 29), nil},
		{"GDPR: 30 January ends on 29 February in a leap year", "", EU, RightDelete, at(2028, 1, 30, 9, 0), endOf(2028, 2, 29), nil},
		{"GDPR: 28 February ends on 28 March", "", EU, RightRestrict, at(2026, 2, 28, 9, 0), endOf(2026, 3, 28), nil},
		{"GDPR: 29 February ends on 29 March", "", EU, RightObject, at(2028, 2, 29, 9, 0), endOf(2028, 3, 29), nil},
		{"GDPR: 31 March ends on 30 April", "", EU, RightCorrect, at(2026, 3, 31, 9, 0), endOf(2026, 4, 30), nil},
		{"GDPR: 31 August ends on 30 September", "", EU, RightPortability, at(2026, 8, 31, 9, 0), endOf(2026, 9, 30), nil},
		{"GDPR: received 31 January at 23:59 local", "", EU, RightAccess, at(2026, 1, 31, 23, 59), endOf(2026, 2, 28), nil},
		{"GDPR: a UTC instant already 1 February is 31 January locally", "", EU, RightAccess,
			time.Date(2026, 2, 1, 5, 0, 0, 0, time.UTC), endOf(2026, 2, 28), nil},
		{"GDPR: received just before spring-forward", "", EU, RightAccess, at(2026, 3, 7, 23, 30), endOf(2026, 4, 7), nil},
		{"GDPR: unsubscribe within the month", "", EU, RightUnsubscribe, at(2026, 1, 31, 9, 0), endOf(2026, 2, 28), nil},
		{"UK: 31 December ends on 31 January", "", UK, RightPortability, at(2026, 12, 31, 9, 0), endOf(2027, 1, 31), nil},
		{"UK: 31 May ends on 30 June", "", UK, RightObject, at(2026, 5, 31, 9, 0), endOf(2026, 6, 30), nil},

		// Canada
		{"Quebec: 30 days", "", Quebec, RightCessation, at(2026, 2, 10, 9, 0), endOf(2026, 3, 12), nil},
		{"Quebec: 30 days over 29 February", "", Quebec, RightAccess, at(2028, 2, 10, 9, 0), endOf(2028, 3, 11), nil},
		{"Quebec: unsubscribe in 10 days", "", Quebec, RightUnsubscribe, at(2026, 2, 10, 9, 0), endOf(2026, 2, 20), nil},
		{"PIPEDA: 30 days", "", Canada, RightAccess, at(2026, 2, 10, 9, 0), endOf(2026, 3, 12), nil},
		{"PIPEDA: received at 23:59", "", Canada, RightCorrect, at(2026, 1, 31, 23, 59), endOf(2026, 3, 2), nil},

		// US states with appeals
		{"Virginia: 45 days", "", Virginia, RightAccess, at(2026, 10, 31, 23, 30), endOf(2026, 12, 15), nil},
		{"Colorado: 45 days", "", Colorado, RightDelete, at(2026, 5, 1, 9, 0), endOf(2026, 6, 15), nil},
		{"Connecticut: 45 days", "", Connecticut, RightCorrect, at(2026, 12, 31, 9, 0), endOf(2027, 2, 14), nil},
		{"Texas: 45 days", "", Texas, RightPortability, at(2028, 2, 1, 9, 0), endOf(2028, 3, 17), nil},
		{"Oregon: 45 days", "", Oregon, RightAccess, at(2026, 3, 7, 23, 30), endOf(2026, 4, 21), nil},
		{"Texas opt-out: 15 business days over Memorial Day", "", Texas, RightOptOutSale,
			at(2026, 5, 20, 9, 0), endOf(2026, 6, 11), nil},
		{"Colorado opt-out: the organization's (California) calendar skips Juneteenth, not 3 July", "", Colorado, RightOptOutSale,
			at(2026, 6, 15, 9, 0), endOf(2026, 7, 7), nil},
		{"Colorado opt-out on an organization's federal calendar: 3 July skipped too", "us", Colorado, RightOptOutSale,
			at(2026, 6, 15, 9, 0), endOf(2026, 7, 8), nil},
		{"US unsubscribe: 10 business days (CAN-SPAM)", "", Oregon, RightUnsubscribe, at(2026, 6, 1, 9, 0), endOf(2026, 6, 15), nil},
		{"appeal as a right: Virginia decides in 60 days", "", Virginia, RightAppeal, at(2026, 5, 1, 9, 0), endOf(2026, 6, 30), nil},

		// Everywhere else
		{"elsewhere: the organization's 45 days", "", Other, RightAccess, at(2026, 6, 1, 9, 0), endOf(2026, 7, 16), nil},
		{"elsewhere: opt-out in 15 business days", "", Other, RightOptOutSale, at(2026, 6, 1, 9, 0), endOf(2026, 6, 23), nil},
		{"elsewhere: unsubscribe under CAN-SPAM", "", Other, RightUnsubscribe, at(2026, 7, 2, 9, 0), endOf(2026, 7, 17), nil},

		// UK complaints (DPA 2018 s.164A): acknowledged within 30 days
		// beginning with receipt (day 30 = receipt + 29); outcome aimed at 30 days.
		{"UK complaint", "", UK, RightComplaint, at(2026, 6, 20, 10, 0), endOf(2026, 7, 20), ptrTime(endOf(2026, 7, 19))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := engine(t, Options{Calendar: c.calendar})
			d, err := e.Deadlines(c.j, c.r, c.received)
			if err != nil {
				t.Fatal(err)
			}
			if !d.Due.Equal(c.due) {
				t.Errorf("due %s, want %s", d.Due.In(la), c.due.In(la))
			}
			switch {
			case c.ack == nil && d.AckDue != nil:
				t.Errorf("unexpected acknowledgement deadline %s", d.AckDue.In(la))
			case c.ack != nil && (d.AckDue == nil || !d.AckDue.Equal(*c.ack)):
				t.Errorf("ack %v, want %s", d.AckDue, c.ack.In(la))
			}
			if d.Due.Location() != time.UTC {
				t.Error("deadlines are returned in UTC")
			}
		})
	}
}

// A deadline is the last microsecond of a local day, whatever the offset
// that day, and survives storage at microsecond precision unchanged.
func TestEndOfDay(t *testing.T) {
	e := engine(t, Options{})
	cases := []struct {
		in   time.Time
		want string
	}{
		{at(2026, 3, 7, 23, 30), "2026-03-07T23:59:59.999999-08:00"},
		{at(2026, 3, 8, 1, 0), "2026-03-08T23:59:59.999999-07:00"},   // the short day
		{at(2026, 11, 1, 0, 30), "2026-11-01T23:59:59.999999-08:00"}, // the long day
		{time.Date(2026, 7, 1, 6, 59, 0, 0, time.UTC), "2026-06-30T23:59:59.999999-07:00"},
	}
	for _, c := range cases {
		got := e.EndOfDay(c.in)
		if s := got.In(la).Format(time.RFC3339Nano); s != c.want {
			t.Errorf("EndOfDay(%s) = %s, want %s", c.in, s, c.want)
		}
		if !got.Truncate(time.Microsecond).Equal(got) || got.Add(DeadlinePrecision).In(la).Hour() != 0 {
			t.Errorf("%s is not the last microsecond of the day", got)
		}
	}
	// Where a clock change skips midnight (Chile, first Sunday of September
	// 2026), the day still ends just before the next one starts.
	santiago := mustLoc("America/Santiago")
	got := engine(t, Options{Location: santiago}).EndOfDay(time.Date(2026, 9, 5, 12, 0, 0, 0, santiago))
	if s := got.In(santiago).Format(time.RFC3339Nano); s != "2026-09-05T23:59:59.999999-04:00" {
		t.Errorf("Santiago: %s", s)
	}
	if next := got.Add(DeadlinePrecision).In(santiago); next.Day() != 6 {
		t.Errorf("Santiago: next instant %s", next)
	}
	// …and where one repeats the last hour (first Sunday of April 2026), the
	// day ends after the second 23:59.
	got = engine(t, Options{Location: santiago}).EndOfDay(time.Date(2026, 4, 4, 12, 0, 0, 0, santiago))
	if s := got.In(santiago).Format(time.RFC3339Nano); s != "2026-04-04T23:59:59.999999-04:00" {
		t.Errorf("Santiago in April: %s", s)
	}
}

func TestTimeZoneIsConfigurable(t *testing.T) {
	paris := mustLoc("Europe/Paris")
	e := engine(t, Options{Location: paris})
	// 23:30 in Paris on 31 January is still 31 January there.
	d, err := e.Deadlines(EU, RightAccess, time.Date(2026, 1, 31, 23, 30, 0, 0, paris))
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 3, 1, 0, 0, 0, 0, paris).Add(-DeadlinePrecision); !d.Due.Equal(want) {
		t.Fatalf("due %s, want %s", d.Due.In(paris), want)
	}
	// The same instant is 1 February in Tokyo.
	tokyo := mustLoc("Asia/Tokyo")
	d, _ = engine(t, Options{Location: tokyo}).Deadlines(EU, RightAccess, time.Date(2026, 1, 31, 23, 30, 0, 0, paris))
	if want := time.Date(2026, 3, 2, 0, 0, 0, 0, tokyo).Add(-DeadlinePrecision); !d.Due.Equal(want) {
		t.Fatalf("Tokyo due %s, want %s", d.Due.In(tokyo), want)
	}
	if engine(t, Options{}).Location().String() != "America/Los_Angeles" {
		t.Error("default time zone")
	}
}

func TestExtend(t *testing.T) {
	e := engine(t, Options{})
	cases := []struct {
		name     string
		j        Jurisdiction
		r        Right
		received time.Time
		now      time.Time
		already  bool
		want     time.Time
		err      error
	}{
		{"California: 90 days in all", California, RightAccess, at(2026, 3, 2, 10, 0), at(2026, 4, 1, 9, 0), false, endOf(2026, 5, 31), nil},
		{"GDPR: two further months, the earlier reading at a month end", EU, RightAccess, at(2026, 1, 31, 9, 0), at(2026, 2, 2, 9, 0), false, endOf(2026, 4, 28), nil},
		{"GDPR: two further months", EU, RightAccess, at(2026, 3, 15, 9, 0), at(2026, 3, 20, 9, 0), false, endOf(2026, 6, 15), nil},
		{"GDPR: 31 March + 3 months, through 30 April", EU, RightDelete, at(2026, 3, 31, 9, 0), at(2026, 4, 1, 9, 0), false, endOf(2026, 6, 30), nil},
		{"UK: two further months", UK, RightAccess, at(2026, 12, 31, 9, 0), at(2027, 1, 2, 9, 0), false, endOf(2027, 3, 31), nil},
		{"PIPEDA: 30 more days", Canada, RightAccess, at(2026, 2, 10, 9, 0), at(2026, 2, 12, 9, 0), false, endOf(2026, 4, 11), nil},
		{"Virginia: 45 more days", Virginia, RightDelete, at(2026, 3, 2, 10, 0), at(2026, 3, 5, 0, 0), false, endOf(2026, 5, 31), nil},
		{"Colorado: 45 more days", Colorado, RightAccess, at(2026, 3, 2, 10, 0), at(2026, 3, 5, 0, 0), false, endOf(2026, 5, 31), nil},
		{"Connecticut: 45 more days", Connecticut, RightAccess, at(2026, 3, 2, 10, 0), at(2026, 3, 5, 0, 0), false, endOf(2026, 5, 31), nil},
		{"Texas: 45 more days", Texas, RightAccess, at(2026, 3, 2, 10, 0), at(2026, 3, 5, 0, 0), false, endOf(2026, 5, 31), nil},
		{"Oregon: 45 more days", Oregon, RightAccess, at(2026, 3, 2, 10, 0), at(2026, 3, 5, 0, 0), false, endOf(2026, 5, 31), nil},
		{"elsewhere: the policy's 45 more days", Other, RightAccess, at(2026, 3, 2, 10, 0), at(2026, 3, 5, 0, 0), false, endOf(2026, 5, 31), nil},
		{"refused in Quebec", Quebec, RightAccess, at(2026, 2, 10, 9, 0), at(2026, 2, 12, 9, 0), false, time.Time{}, ErrExtensionNotAllowed},
		{"refused in Quebec even the first time on day 1", Quebec, RightCessation, at(2026, 2, 10, 9, 0), at(2026, 2, 10, 9, 0), false, time.Time{}, ErrExtensionNotAllowed},
		{"refused for an opt-out", California, RightOptOutSale, at(2026, 2, 10, 9, 0), at(2026, 2, 12, 9, 0), false, time.Time{}, ErrExtensionNotAllowed},
		{"refused to limit sensitive data", California, RightLimitSensitive, at(2026, 2, 10, 9, 0), at(2026, 2, 12, 9, 0), false, time.Time{}, ErrExtensionNotAllowed},
		{"refused for an unsubscribe", EU, RightUnsubscribe, at(2026, 2, 10, 9, 0), at(2026, 2, 12, 9, 0), false, time.Time{}, ErrExtensionNotAllowed},
		{"Colorado: an appeal may take 60 more days (C.R.S. §6-1-1306(3)(b))", Colorado, RightAppeal, at(2026, 5, 1, 9, 0), at(2026, 6, 1, 9, 0), false, endOf(2026, 8, 14), nil},
		{"Colorado: only once", Colorado, RightAppeal, at(2026, 5, 1, 9, 0), at(2026, 6, 1, 9, 0), true, time.Time{}, ErrAlreadyExtended},
		{"Oregon: an appeal has no extension (ORS 646A.576(6))", Oregon, RightAppeal, at(2026, 2, 10, 9, 0), at(2026, 2, 12, 9, 0), false, time.Time{}, ErrExtensionNotAllowed},
		{"Virginia: nor here", Virginia, RightAppeal, at(2026, 2, 10, 9, 0), at(2026, 2, 12, 9, 0), false, time.Time{}, ErrExtensionNotAllowed},
		{"a UK complaint has none", UK, RightComplaint, at(2026, 7, 10, 9, 0), at(2026, 7, 12, 9, 0), false, time.Time{}, ErrExtensionNotAllowed},
		{"refused after the deadline", California, RightAccess, at(2026, 3, 2, 10, 0), at(2026, 4, 17, 0, 0), false, time.Time{}, ErrExtensionTooLate},
		{"refused after the GDPR month", EU, RightAccess, at(2026, 1, 31, 9, 0), at(2026, 3, 1, 0, 0), false, time.Time{}, ErrExtensionTooLate},
		{"refused a second time", Virginia, RightDelete, at(2026, 3, 2, 10, 0), at(2026, 3, 5, 0, 0), true, time.Time{}, ErrAlreadyExtended},
		{"refused a second time under the GDPR", EU, RightAccess, at(2026, 3, 2, 10, 0), at(2026, 3, 5, 0, 0), true, time.Time{}, ErrAlreadyExtended},
		{"allowed on the last day", California, RightAccess, at(2026, 3, 2, 10, 0), at(2026, 4, 16, 23, 59), false, endOf(2026, 5, 31), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := e.Deadlines(c.j, c.r, c.received)
			if err != nil {
				t.Fatal(err)
			}
			got, err := e.Extend(c.j, c.r, c.received, d.Due, c.already, c.now)
			if !errors.Is(err, c.err) {
				t.Fatalf("err %v, want %v", err, c.err)
			}
			if err == nil && !got.Equal(c.want) {
				t.Fatalf("new due %s, want %s", got.In(la), c.want.In(la))
			}
		})
	}
	// The last instant of the deadline still counts; the next does not.
	d, _ := e.Deadlines(California, RightAccess, at(2026, 3, 2, 10, 0))
	if _, err := e.Extend(California, RightAccess, at(2026, 3, 2, 10, 0), d.Due, false, d.Due); err != nil {
		t.Errorf("at the deadline: %v", err)
	}
	if _, err := e.Extend(California, RightAccess, at(2026, 3, 2, 10, 0), d.Due, false, d.Due.Add(time.Nanosecond)); !errors.Is(err, ErrExtensionTooLate) {
		t.Errorf("just after the deadline: %v", err)
	}
}

// One row per jurisdiction: every rule of its table.
func TestLawTable(t *testing.T) {
	e := engine(t, Options{})
	type row struct {
		rights      []Right
		respond     Period
		ack         *Period
		ext         *Period
		agents      []Right
		appeal      *Period
		deemed      bool
		recourse    string
		afterAppeal string
		freq        map[Right]int // right → free requests per 12 months
	}
	opt := []Right{RightOptOutSale}
	stateRights := []Right{RightAccess, RightDelete, RightCorrect, RightPortability, RightOptOutSale, RightUnsubscribe}
	stateFreq := func(n int) map[Right]int {
		return map[Right]int{RightAccess: n, RightDelete: n, RightCorrect: n, RightPortability: n}
	}
	gdpr := []Right{RightAccess, RightDelete, RightCorrect, RightPortability, RightRestrict, RightObject, RightUnsubscribe}
	ca := []Right{RightAccess, RightDelete, RightCorrect, RightPortability, RightOptOutSale, RightLimitSensitive, RightUnsubscribe, RightShineTheLight}
	qc := []Right{RightAccess, RightCorrect, RightDelete, RightPortability, RightCessation, RightUnsubscribe}
	pipeda := []Right{RightAccess, RightCorrect, RightUnsubscribe}
	rows := map[Jurisdiction]row{
		California: {ca, Period{N: 45, Kind: CalendarDays}, &Period{N: 10, Kind: BusinessDays}, &Period{N: 45, Kind: CalendarDays},
			ca, nil, false, "recourse.california", "recourse.california", map[Right]int{RightAccess: 2, RightPortability: 2}},
		EU: {gdpr, Period{N: 1, Kind: CalendarMonths}, nil, &Period{N: 2, Kind: CalendarMonths},
			gdpr, nil, false, "recourse.gdpr", "recourse.gdpr", nil},
		UK: {gdpr, Period{N: 1, Kind: CalendarMonths}, nil, &Period{N: 2, Kind: CalendarMonths},
			gdpr, nil, false, "recourse.uk", "recourse.uk", nil},
		Quebec: {qc, Period{N: 30, Kind: CalendarDays}, nil, nil,
			qc, nil, true, "recourse.quebec", "recourse.quebec", nil},
		Canada: {pipeda, Period{N: 30, Kind: CalendarDays}, nil, &Period{N: 30, Kind: CalendarDays},
			pipeda, nil, true, "recourse.pipeda", "recourse.pipeda", nil},
		Virginia: {stateRights, Period{N: 45, Kind: CalendarDays}, nil, &Period{N: 45, Kind: CalendarDays},
			nil, &Period{N: 60, Kind: CalendarDays}, false, "recourse.appeal", "recourse.attorney_general", stateFreq(2)},
		Colorado: {stateRights, Period{N: 45, Kind: CalendarDays}, nil, &Period{N: 45, Kind: CalendarDays},
			opt, &Period{N: 45, Kind: CalendarDays}, false, "recourse.appeal", "recourse.attorney_general", nil},
		Connecticut: {stateRights, Period{N: 45, Kind: CalendarDays}, nil, &Period{N: 45, Kind: CalendarDays},
			opt, &Period{N: 60, Kind: CalendarDays}, false, "recourse.appeal", "recourse.attorney_general", stateFreq(1)},
		Texas: {stateRights, Period{N: 45, Kind: CalendarDays}, nil, &Period{N: 45, Kind: CalendarDays},
			opt, &Period{N: 60, Kind: CalendarDays}, false, "recourse.appeal", "recourse.attorney_general", stateFreq(2)},
		Oregon: {stateRights, Period{N: 45, Kind: CalendarDays}, nil, &Period{N: 45, Kind: CalendarDays},
			opt, &Period{N: 45, Kind: CalendarDays}, false, "recourse.appeal", "recourse.attorney_general", stateFreq(1)},
		Other: {stateRights, Period{N: 45, Kind: CalendarDays}, nil, &Period{N: 45, Kind: CalendarDays},
			stateRights, nil, false, "recourse.other", "recourse.other", nil},
		Unstated: {[]Right{RightOptOutSale, RightLimitSensitive, RightUnsubscribe}, Period{N: 15, Kind: BusinessDays}, nil, nil,
			[]Right{RightOptOutSale, RightLimitSensitive, RightUnsubscribe}, nil, false, "recourse.unstated", "recourse.unstated", nil},
	}
	if len(rows) != len(Jurisdictions()) {
		t.Fatalf("%d rows for %d jurisdictions", len(rows), len(Jurisdictions()))
	}
	same := func(a, b *Period) bool {
		return a == nil && b == nil || a != nil && b != nil && a.N == b.N && a.Kind == b.Kind
	}
	for _, j := range Jurisdictions() {
		want, l := rows[j], e.Law(j)
		t.Run(string(j), func(t *testing.T) {
			if !slices.Equal(l.Rights, want.rights) {
				t.Errorf("rights %v, want %v", l.Rights, want.rights)
			}
			if !same(&l.Respond, &want.respond) || !same(l.Acknowledge, want.ack) || !same(l.Extension, want.ext) {
				t.Errorf("clocks respond %v ack %v ext %v", l.Respond, l.Acknowledge, l.Extension)
			}
			if ext, ok := e.Extension(j, RightAccess); ok != (want.ext != nil) || ok && !ext.Notice {
				t.Errorf("extension rule %v %v: an extension always needs a notice with reasons", ext, ok)
			}
			for _, r := range append(slices.Clone(AllRights), RightAppeal) {
				if got, w := e.AgentAllowed(j, r), slices.Contains(want.agents, r); got != w {
					t.Errorf("AgentAllowed(%s) = %v", r, got)
				}
			}
			a, ok := e.Appeal(j)
			if ok != (want.appeal != nil) || ok && !same(&a.Decide, want.appeal) || e.Offers(j, RightAppeal) != ok {
				t.Errorf("appeal %v %v", a, ok)
			}
			if slices.Contains(l.Rights, RightAppeal) {
				t.Error("appeals are never on the form")
			}
			if e.DeemedRefusal(j) != want.deemed {
				t.Errorf("deemed refusal %v", e.DeemedRefusal(j))
			}
			rc := e.Recourse(j)
			if rc.Key != want.recourse || rc.AfterAppealKey != want.afterAppeal {
				t.Errorf("recourse %q / %q", rc.Key, rc.AfterAppealKey)
			}
			if rc.URL != "" && rc.Authority == "" || rc.AfterAppealURL != "" && rc.AfterAppealAuthority == "" {
				t.Errorf("an authority with a URL has no name: %+v", rc)
			}
			for _, r := range AllRights {
				f, ok := e.Frequency(j, r)
				if n, w := want.freq[r]; ok != w || ok && (f.Max != n || f.Months != 12 || f.Source == "") {
					t.Errorf("Frequency(%s) = %+v %v, want %d", r, f, ok, n)
				}
			}
			for _, r := range l.Rights {
				if e.Period(j, r).Source == "" {
					t.Errorf("%s: the period has no source", r)
				}
			}
		})
	}
}

func TestRightsByJurisdiction(t *testing.T) {
	e := engine(t, Options{})
	cases := []struct {
		j      Jurisdiction
		r      Right
		offers bool
	}{
		{Quebec, RightCessation, true},
		{California, RightCessation, false},
		{EU, RightCessation, false},
		{Canada, RightCessation, false},
		{California, RightLimitSensitive, true},
		{EU, RightLimitSensitive, false},
		{Virginia, RightLimitSensitive, false},
		{California, RightShineTheLight, true},
		{Oregon, RightShineTheLight, false},
		{EU, RightRestrict, true},
		{UK, RightObject, true},
		{California, RightRestrict, false},
		{Texas, RightObject, false},
		{Virginia, RightAppeal, true},
		{Colorado, RightAppeal, true},
		{Connecticut, RightAppeal, true},
		{Texas, RightAppeal, true},
		{Oregon, RightAppeal, true},
		{California, RightAppeal, false},
		{EU, RightAppeal, false},
		{Quebec, RightAppeal, false},
		{Other, RightAppeal, false},
		{EU, RightOptOutSale, false},
		{Canada, RightDelete, false},
		{Other, Right("nonsense"), false},
	}
	for _, j := range Jurisdictions() {
		cases = append(cases, struct {
			j      Jurisdiction
			r      Right
			offers bool
		}{j, RightUnsubscribe, true})
	}
	for _, c := range cases {
		if got := e.Offers(c.j, c.r); got != c.offers {
			t.Errorf("Offers(%s, %s) = %v", c.j, c.r, got)
		}
		_, err := e.Deadlines(c.j, c.r, time.Now())
		if !c.offers && !errors.Is(err, ErrRightNotAvailable) {
			t.Errorf("Deadlines(%s, %s) = %v, want ErrRightNotAvailable", c.j, c.r, err)
		}
		if c.offers && err != nil {
			t.Errorf("Deadlines(%s, %s) = %v", c.j, c.r, err)
		}
	}
	if slices.Contains(AllRights, RightAppeal) {
		t.Error("AllRights is the form's list: no appeal")
	}
}

func TestResolve(t *testing.T) {
	cases := map[[2]string]Jurisdiction{
		{"US", "CA"}: California, {"US", "VA"}: Virginia, {"US", "CO"}: Colorado, {"US", "CT"}: Connecticut,
		{"US", "TX"}: Texas, {"US", "OR"}: Oregon, {"US", "NY"}: Other, {"US", ""}: Other, {"US", "PR"}: Other,
		{"CA", "QC"}: Quebec, {"CA", "ON"}: Canada, {"CA", "BC"}: Canada, {"CA", "YT"}: Canada, {"CA", ""}: Other, {"CA", "XX"}: Other,
		{"GB", ""}: UK, {"DE", ""}: EU, {"GR", ""}: EU, {"NO", ""}: EU, {"IS", ""}: EU, {"LI", ""}: EU,
		{"CH", ""}: Other, {"JP", ""}: Other, {"OTHER", ""}: Other, {"", ""}: Other,
		{"us", "ca"}: California, {" US ", "US-CA"}: California, {"CA", "CA-QC"}: Quebec,
	}
	for in, want := range cases {
		if got := Resolve(in[0], in[1]); got != want {
			t.Errorf("Resolve(%q, %q) = %s, want %s", in[0], in[1], got, want)
		}
	}
	if n := len(EEACountries()); n != 30 {
		t.Errorf("%d EU/EEA countries, want 27 + 3", n)
	}
	for _, c := range EEACountries() {
		if !slices.Contains(Countries(), c) || Resolve(c, "") != EU {
			t.Errorf("%s: not listed or not EU", c)
		}
	}
	for _, c := range []string{"US", "CA", "GB"} {
		if !slices.Contains(Countries(), c) {
			t.Errorf("the form must list %s", c)
		}
	}
	if n := len(USStates()); n < 51 {
		t.Errorf("%d US states, want all 50 and DC", n)
	}
	if n := len(CanadianProvinces()); n != 13 {
		t.Errorf("%d provinces and territories", n)
	}
	for _, list := range [][]string{Countries(), USStates(), CanadianProvinces()} {
		if len(slices.Compact(slices.Sorted(slices.Values(list)))) != len(list) {
			t.Errorf("duplicates in %v", list)
		}
	}
}

func TestVerificationAgentsDenials(t *testing.T) {
	e := engine(t, Options{})
	for _, j := range Jurisdictions() {
		for _, r := range []Right{RightOptOutSale, RightLimitSensitive, RightUnsubscribe} {
			if e.Offers(j, r) && e.VerificationTier(j, r) != TierNone {
				t.Errorf("%s %s needs verification; opt-outs never do", j, r)
			}
		}
		for _, r := range e.Rights(j) {
			reasons := e.DenialReasons(j, r)
			if _, fast := e.Law(j).Fast[r]; fast && r != RightShineTheLight {
				if len(reasons) != 1 || reasons[0] != "fraud" {
					t.Errorf("%s %s: an opt-out may be denied only for fraud: %v", j, r, reasons)
				}
			} else if len(reasons) < 2 || reasons[len(reasons)-1] != "other" {
				t.Errorf("%s %s: denial reasons %v", j, r, reasons)
			}
			if e.VerificationTier(j, r) == "" {
				t.Errorf("%s %s: no tier", j, r)
			}
		}
		if key, _ := e.Recourse(j).Message(false); key == "" {
			t.Errorf("%s has no recourse", j)
		}
	}
	tiers := []struct {
		j    Jurisdiction
		r    Right
		want Tier
	}{
		{California, RightAccess, TierThreePoints},
		{California, RightPortability, TierThreePoints},
		{California, RightDelete, TierTwoPoints},
		{California, RightCorrect, TierTwoPoints},
		{California, RightOptOutSale, TierNone},
		{California, RightLimitSensitive, TierNone},
		{EU, RightAccess, TierEmail},
		{EU, RightDelete, TierEmail},
		{UK, RightObject, TierEmail},
		{Quebec, RightCessation, TierTwoPoints},
		{Canada, RightAccess, TierTwoPoints},
		{Virginia, RightAccess, TierTwoPoints},
		{Oregon, RightOptOutSale, TierNone},
		{Other, RightAccess, TierTwoPoints},
		{Other, RightUnsubscribe, TierNone},
	}
	for _, c := range tiers {
		if got := e.VerificationTier(c.j, c.r); got != c.want {
			t.Errorf("VerificationTier(%s, %s) = %s, want %s", c.j, c.r, got, c.want)
		}
	}
	reasons := []struct {
		j    Jurisdiction
		r    Right
		want string
	}{
		{California, RightOptOutSale, "fraud"}, // 11 CCR §7026(e)
		{California, RightLimitSensitive, "fraud"},
		{Oregon, RightOptOutSale, "fraud"},
		{California, RightAccess, "cannot_verify,exemption,no_personal_data,not_resident,manifestly_unfounded,frequency,fraud,other"},
		{California, RightDelete, "cannot_verify,exemption,no_personal_data,not_resident,manifestly_unfounded,fraud,other"},
		{Virginia, RightAppeal, "upheld"},
		{Oregon, RightAppeal, "upheld"},
		{UK, RightComplaint, ""},
		{Virginia, RightDelete, "cannot_verify,exemption,no_personal_data,not_resident,manifestly_unfounded,frequency,fraud,other"},
		{Colorado, RightAccess, "cannot_verify,exemption,no_personal_data,not_resident,manifestly_unfounded,fraud,other"},
		{EU, RightAccess, "cannot_verify,exemption,no_personal_data,manifestly_unfounded,fraud,other"},
		{Quebec, RightCessation, "cannot_verify,exemption,no_personal_data,fraud,other"},
		{Other, RightAccess, "cannot_verify,exemption,no_personal_data,fraud,other"},
	}
	for _, c := range reasons {
		if got := strings.Join(e.DenialReasons(c.j, c.r), ","); got != c.want {
			t.Errorf("DenialReasons(%s, %s) = %s, want %s", c.j, c.r, got, c.want)
		}
	}
}

func TestAppeals(t *testing.T) {
	e := engine(t, Options{})
	received := at(2026, 5, 1, 9, 0)
	for j, want := range map[Jurisdiction]time.Time{
		Virginia: endOf(2026, 6, 30), Colorado: endOf(2026, 6, 15), Connecticut: endOf(2026, 6, 30),
		Texas: endOf(2026, 6, 30), Oregon: endOf(2026, 6, 15),
	} {
		due, err := e.AppealDeadline(j, received)
		if err != nil || !due.Equal(want) {
			t.Errorf("%s appeal due %s %v, want %s", j, due.In(la), err, want.In(la))
		}
		d, err := e.Deadlines(j, RightAppeal, received)
		if err != nil || !d.Due.Equal(want) {
			t.Errorf("%s Deadlines(appeal) %s %v", j, d.Due.In(la), err)
		}
		key, args := e.Recourse(j).Message(true)
		if key != "recourse.attorney_general" || len(args) != 1 || !strings.HasPrefix(args[0].(string), "https://") {
			t.Errorf("%s: an upheld appeal names the Attorney General: %s %v", j, key, args)
		}
		if key, args := e.Recourse(j).Message(false); key != "recourse.appeal" || len(args) != 0 {
			t.Errorf("%s: a denial points to the appeal: %s %v", j, key, args)
		}
	}
	for _, j := range []Jurisdiction{California, EU, UK, Quebec, Canada, Other} {
		if _, err := e.AppealDeadline(j, received); !errors.Is(err, ErrRightNotAvailable) {
			t.Errorf("%s has no statutory appeal: %v", j, err)
		}
	}
	// The window to appeal is the engine's own (60 days by default), configurable.
	if got := e.AppealWindowEnds(Virginia, at(2026, 5, 1, 9, 0)); !got.Equal(endOf(2026, 6, 30)) {
		t.Errorf("appeal window ends %s", got.In(la))
	}
	e30 := engine(t, Options{AppealWindow: &Period{N: 30, Kind: CalendarDays}})
	if got := e30.AppealWindowEnds(Oregon, at(2026, 5, 1, 23, 59)); !got.Equal(endOf(2026, 5, 31)) {
		t.Errorf("30-day appeal window ends %s", got.In(la))
	}
	if key, args := e.Recourse(EU).Message(false); key != "recourse.gdpr" || len(args) != 1 {
		t.Errorf("GDPR recourse %s %v", key, args)
	}
	if key, args := e.Recourse(Other).Message(false); key != "recourse.other" || args != nil {
		t.Errorf("elsewhere %s %v", key, args)
	}
}

func TestPolicyClocksAreConfigurable(t *testing.T) {
	e := engine(t, Options{Policy: &Period{N: 30, Kind: CalendarDays}, PolicyExtension: &Period{}})
	d, _ := e.Deadlines(Other, RightAccess, at(2026, 6, 1, 9, 0))
	if !d.Due.Equal(endOf(2026, 7, 1)) {
		t.Fatalf("due %s", d.Due.In(la))
	}
	if _, err := e.Extend(Other, RightAccess, at(2026, 6, 1, 9, 0), d.Due, false, at(2026, 6, 2, 9, 0)); !errors.Is(err, ErrExtensionNotAllowed) {
		t.Fatalf("policy without extension: %v", err)
	}
	// A policy in months extends in days: counted from the original deadline.
	e = engine(t, Options{Policy: &Period{N: 1, Kind: CalendarMonths}, PolicyExtension: &Period{N: 10, Kind: BusinessDays}})
	d, _ = e.Deadlines(Other, RightAccess, at(2026, 1, 31, 9, 0))
	ext, err := e.Extend(Other, RightAccess, at(2026, 1, 31, 9, 0), d.Due, false, at(2026, 2, 2, 9, 0))
	if !d.Due.Equal(endOf(2026, 2, 28)) || err != nil || !ext.Equal(endOf(2026, 3, 13)) {
		t.Fatalf("policy in months: due %s, extended %s %v", d.Due.In(la), ext.In(la), err)
	}
	for _, bad := range []Options{
		{Calendar: "mars"},
		{Policy: &Period{N: 0, Kind: CalendarDays}},
		{Policy: &Period{N: 30, Kind: "fortnights"}},
		{PolicyExtension: &Period{N: -1, Kind: CalendarDays}},
		{AppealWindow: &Period{}},
	} {
		if _, err := New(bad); err == nil {
			t.Errorf("accepted %+v", bad)
		}
	}
	for _, name := range Calendars() {
		if _, err := New(Options{Calendar: name}); err != nil {
			t.Errorf("calendar %q: %v", name, err)
		}
	}
}

func TestClockTable(t *testing.T) {
	rows := engine(t, Options{}).ClockTable()
	if len(rows) != len(Jurisdictions()) {
		t.Fatalf("%d rows", len(rows))
	}
	byJ := map[Jurisdiction]ClockRow{}
	for _, r := range rows {
		byJ[r.Jurisdiction] = r
	}
	if r := byJ[California]; r.Acknowledge == nil || r.OptOut == nil || r.OptOut.N != 15 || r.OptOut.Kind != BusinessDays || r.AppealDecide != nil {
		t.Errorf("California row %+v", r)
	}
	if r := byJ[Quebec]; r.Extension != nil || !r.DeemedRefusal || r.OptOut != nil {
		t.Errorf("Quebec row %+v", r)
	}
	if r := byJ[Virginia]; r.AppealDecide == nil || r.AppealDecide.N != 60 {
		t.Errorf("Virginia row %+v", r)
	}
	md := engine(t, Options{}).MarkdownTable()
	for _, want := range []string{
		"| California | CCPA/CPRA (Civ. Code §1798.100 ff.; 11 CCR §§7000–7102) | 10 business days (California holidays) | 45 days | +45 days, once | 15 business days (California holidays) | 10 business days (federal holidays) | — | — | — | — |\n",
		"| Colorado | CPA (C.R.S. §6-1-1306) | — | 45 days | +45 days, once | 15 business days (the organization's holidays) | 10 business days (federal holidays) | 45 days (+60 days, once) | — | — | — |\n",
		"| Oregon | OCPA (ORS 646A.570 ff.) | — | 45 days | +45 days, once | 15 business days (the organization's holidays) | 10 business days (federal holidays) | 45 days | — | — | — |\n",
		"| EU/EEA | GDPR (Regulation (EU) 2016/679) | — | 1 month | +2 months, once | — | 1 month | — | — | — | — |\n",
		"| 1 month | +2 months, once | — | 1 month | — | while waiting for the person's identity or, for access, clarification; the deadline moves by the days stopped | from 19 June 2026: acknowledged within 30 days, the first day counted; outcome without undue delay (aim: 30 days) | — |\n",
		"| Quebec | Act respecting the protection of personal information in the private sector (Law 25) | — | 30 days | none | — | 10 days | — | — | — | deemed refusal |\n",
		"| Canada (PIPEDA) | PIPEDA s.8 | — | 30 days | +30 days, once | — | 10 days | — | — | — | deemed refusal |\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	if n := strings.Count(md, "\n"); n != len(Jurisdictions())+2 {
		t.Errorf("%d lines", n)
	}
}

func TestExtendNeverBeyondTheWholePeriod(t *testing.T) {
	e := engine(t, Options{})
	received := at(2026, 3, 2, 10, 0)
	// A deadline moved later by hand still ends within 90 days of receipt.
	got, err := e.Extend(California, RightAccess, received, endOf(2026, 4, 30), false, at(2026, 4, 1, 9, 0))
	if err != nil || !got.Equal(endOf(2026, 5, 31)) {
		t.Fatalf("extended to %s %v", got.In(la), err)
	}
	if !e.CanExtend(California, RightAccess) || e.CanExtend(Quebec, RightAccess) || e.CanExtend(California, RightOptOutSale) {
		t.Error("CanExtend")
	}
	if e.Law(Jurisdiction("XX")).Jurisdiction != Other || e.Offers(Jurisdiction("XX"), RightLimitSensitive) {
		t.Error("an unknown jurisdiction is Other")
	}
	if w := e.AppealWindow(); w.N != 60 || w.Kind != CalendarDays {
		t.Errorf("default appeal window %v", w)
	}
}

// A choice made without saying where one lives runs on a clock that ends
// no later than that of any law offering the same right, every day of a
// year (weekends and holidays included), on every calendar.
func TestUnstatedIsTheStrictest(t *testing.T) {
	for _, cal := range Calendars() {
		e := engine(t, Options{Calendar: cal})
		for _, r := range e.Rights(Unstated) {
			if e.VerificationTier(Unstated, r) != TierNone || e.CanExtend(Unstated, r) {
				t.Errorf("%s: a choice needs no verification and is never extended", r)
			}
			if reasons := e.DenialReasons(Unstated, r); len(reasons) != 1 || reasons[0] != "fraud" {
				t.Errorf("%s: denial reasons %v", r, reasons)
			}
			for day := range 366 {
				received := at(2026, 1, 1, 9, 0).AddDate(0, 0, day)
				mine, err := e.Deadlines(Unstated, r, received)
				if err != nil {
					t.Fatal(err)
				}
				for _, j := range Jurisdictions() {
					if j == Unstated || !e.Offers(j, r) {
						continue
					}
					other, _ := e.Deadlines(j, r, received)
					if mine.Due.After(other.Due) {
						t.Fatalf("%s %s received %s: due %s, after %s's %s", cal, r, received.In(la), mine.Due.In(la), j, other.Due.In(la))
					}
				}
			}
		}
	}
}
