package rules

import (
	"errors"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// Time zones with awkward clocks: half-hour offsets and DST (St John's,
// Lord Howe), the date line (Kiritimati, which skipped 31 December 1994:
// receipts are drawn from 2000 on), clock changes at midnight (Santiago,
// Havana, Beirut).
var propertyZones = []string{"America/Los_Angeles", "America/New_York", "Europe/Paris", "Europe/London", "Asia/Tokyo",
	"Asia/Kolkata", "America/St_Johns", "Australia/Lord_Howe", "Pacific/Auckland", "Pacific/Kiritimati",
	"America/Santiago", "America/Havana", "Asia/Beirut", "UTC"}

var zones = func() map[string]*time.Location {
	out := map[string]*time.Location{}
	for _, name := range propertyZones {
		out[name] = mustLoc(name)
	}
	return out
}()

const day = 24 * time.Hour

// slack covers a clock change between receipt and deadline.
const slack = 2 * time.Hour

// legalBounds are the least and most time a period may give after receipt:
// the count itself, up to one more day for a receipt early on the local
// day, and for business days every weekend and holiday they may span (at
// most 5 holidays in any 4 weeks, and 16 a year, on the calendars offered).
func legalBounds(p Period) (lo, hi time.Duration) {
	n := time.Duration(p.N)
	if p.Inclusive {
		n--
	}
	switch p.Kind {
	case CalendarMonths:
		return 28*n*day - slack, (31*n+1)*day + slack
	case BusinessDays:
		return n*day - slack, (n+2*(n/5+2)+5+n/5+1)*day + slack
	}
	return n*day - slack, (n+1)*day + slack
}

// checkDeadline checks that due ends p after received: exactly by the
// counting rule, within the legal bounds, and at the last instant of a local day.
func checkDeadline(t *rapid.T, e *Engine, received, due time.Time, p Period) {
	lo, hi := legalBounds(p)
	if !due.After(received) || due.Sub(received) < lo || due.Sub(received) > hi {
		t.Fatalf("received %s: due %s outside receipt+[%s, %s] for %v", received, due, lo, hi, p)
	}
	if due.Location() != time.UTC || !due.Truncate(DeadlinePrecision).Equal(due) {
		t.Fatalf("due %s is not UTC at microsecond precision", due)
	}
	d, r := e.civil(due), e.civil(received)
	if !e.civil(due.Add(DeadlinePrecision)).Equal(d.AddDate(0, 0, 1)) {
		t.Fatalf("due %s is not the last instant of %s", due.In(e.s().loc), d.Format(time.DateOnly))
	}
	switch p.Kind {
	case CalendarDays:
		n := p.N
		if p.Inclusive {
			n-- // the first day is day 1
		}
		if !d.Equal(r.AddDate(0, 0, n)) {
			t.Fatalf("received %s, due %s: not %d days (inclusive %v)", r, d, p.N, p.Inclusive)
		}
	case CalendarMonths:
		months := (d.Year()-r.Year())*12 + int(d.Month()-r.Month())
		lastDay := time.Date(d.Year(), d.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
		if months != p.N || d.Day() != min(r.Day(), lastDay) {
			t.Fatalf("received %s, due %s: not %d calendar months", r, d, p.N)
		}
	case BusinessDays:
		hol, n := e.calendarOf(p.Holidays), 0
		for c := r.AddDate(0, 0, 1); !c.After(d); c = c.AddDate(0, 0, 1) {
			if hol.isBusinessDay(c) {
				n++
			}
		}
		if n != p.N || !hol.isBusinessDay(d) {
			t.Fatalf("received %s, due %s: %d business days, want %d ending on one", r, d, n, p.N)
		}
	}
}

// No computed deadline is ever earlier than receipt, shorter or longer
// than the law allows, before or after an extension, in any time zone, on
// any calendar, under any policy.
func TestDeadlinesProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		opts := Options{
			Location: zones[rapid.SampledFrom(propertyZones).Draw(t, "zone")],
			Calendar: rapid.SampledFrom(Calendars()).Draw(t, "calendar"),
			Policy: &Period{N: rapid.IntRange(1, 90).Draw(t, "policy"), Source: "test",
				Kind: rapid.SampledFrom([]ClockKind{CalendarDays, BusinessDays, CalendarMonths}).Draw(t, "policyKind")},
			AppealWindow: &Period{N: rapid.IntRange(1, 120).Draw(t, "window"), Kind: CalendarDays, Source: "test"},
		}
		e, err := New(opts)
		if err != nil {
			t.Fatal(err)
		}
		j := rapid.SampledFrom(Jurisdictions()).Draw(t, "jurisdiction")
		rights := e.Rights(j)
		for _, extra := range []Right{RightAppeal, RightComplaint} {
			if e.Offers(j, extra) {
				rights = append(rights[:len(rights):len(rights)], extra)
			}
		}
		r := rapid.SampledFrom(rights).Draw(t, "right")
		received := time.Unix(
			rapid.Int64Range(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Unix(), time.Date(2099, 12, 31, 0, 0, 0, 0, time.UTC).Unix()).Draw(t, "received"),
			rapid.Int64Range(0, 999_999_999).Draw(t, "ns"))

		d, err := e.Deadlines(j, r, received)
		if err != nil {
			t.Fatal(err)
		}
		p := e.Period(j, r)
		checkDeadline(t, e, received, d.Due, p)
		if d.AckDue != nil {
			ack := e.Law(j).Acknowledge
			if r == RightComplaint {
				ack = &e.Law(j).Complaints.Acknowledge
			}
			checkDeadline(t, e, received, *d.AckDue, *ack)
			if d.AckDue.After(d.Due) {
				t.Fatalf("ack %s after due %s", d.AckDue, d.Due)
			}
		}

		// A stopped clock moves the deadline by exactly the local days it
		// stood, both ends counted, and the result is still the end of a day.
		if len(e.PauseReasons(j, r)) > 0 {
			start := time.Unix(rapid.Int64Range(received.Unix(), d.Due.Unix()).Draw(t, "pauseStart"), 0)
			end := start.Add(time.Duration(rapid.Int64Range(0, int64(90*day)).Draw(t, "pauseFor")))
			n := e.PauseDays(start, end)
			if want := int(e.civil(end).Sub(e.civil(start)).Hours()/24+0.5) + 1; n != want || n < 1 {
				t.Fatalf("paused %s to %s: %d days, want %d", start, end, n, want)
			}
			moved := e.MoveDeadline(d.Due, n)
			if !e.civil(moved).Equal(e.civil(d.Due).AddDate(0, 0, n)) || !e.civil(moved.Add(DeadlinePrecision)).Equal(e.civil(moved).AddDate(0, 0, 1)) {
				t.Fatalf("due %s moved by %d days: %s", d.Due, n, moved)
			}
		}

		if r == RightAppeal {
			due, err := e.AppealDeadline(j, received)
			if err != nil || !due.Equal(d.Due) {
				t.Fatalf("AppealDeadline %s %v, Deadlines %s", due, err, d.Due)
			}
		}
		checkDeadline(t, e, received, e.AppealWindowEnds(j, received), *opts.AppealWindow)

		now := time.Unix(rapid.Int64Range(received.Unix(), d.Due.Unix()).Draw(t, "now"), 0)
		ext, err := e.Extend(j, r, received, d.Due, false, now)
		rule, ok := e.Extension(j, r)
		if !ok {
			if !errors.Is(err, ErrExtensionNotAllowed) {
				t.Fatalf("no extension in law, Extend said %v", err)
			}
			return
		}
		if err != nil {
			t.Fatalf("extension refused before the deadline: %v", err)
		}
		if !ext.After(d.Due) || ext.Location() != time.UTC || !e.civil(ext.Add(DeadlinePrecision)).Equal(e.civil(ext).AddDate(0, 0, 1)) {
			t.Fatalf("extended due %s: not after %s or not the end of a day", ext, d.Due)
		}
		// Never later than the whole period allowed from receipt, never
		// shorter than the extension itself.
		if lo, _ := legalBounds(rule.Period); ext.Sub(d.Due) < lo {
			t.Fatalf("extended due %s is less than %v after %s", ext, rule.Period, d.Due)
		}
		total := rule.Period
		if total.Kind == p.Kind {
			total.N += p.N
			if _, hi := legalBounds(total); ext.Sub(received) > hi {
				t.Fatalf("extended due %s is more than %v after receipt %s", ext, total, received)
			}
		} else if _, hi := legalBounds(rule.Period); ext.Sub(d.Due) > hi {
			t.Fatalf("extended due %s is more than %v after %s", ext, rule.Period, d.Due)
		}
		if _, err := e.Extend(j, r, received, d.Due, true, now); !errors.Is(err, ErrAlreadyExtended) {
			t.Fatalf("second extension: %v", err)
		}
		if _, err := e.Extend(j, r, received, d.Due, false, d.Due.Add(time.Nanosecond)); !errors.Is(err, ErrExtensionTooLate) {
			t.Fatalf("late extension: %v", err)
		}
	})
}
