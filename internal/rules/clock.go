package rules

import "time"

// DeadlinePrecision is the resolution of a deadline: every deadline is the
// start of the next local day minus DeadlinePrecision. Microseconds, not
// nanoseconds, because PostgreSQL keeps microseconds and rounds finer input:
// 23:59:59.999999999 could be stored as midnight of the next day.
const DeadlinePrecision = time.Microsecond

// A civil date (a day on the organization's calendar) is carried as
// midnight UTC of that date, so that date arithmetic never meets a clock
// change.
func (e *Engine) civil(t time.Time) time.Time {
	y, m, d := t.In(e.s().loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// add counts p from t (see the package comment) and returns the end of the
// last local day, in UTC.
func (e *Engine) add(t time.Time, p Period) time.Time {
	return e.endOfDate(e.addDate(e.civil(t), p))
}

// addDate counts p from the civil date d.
func (e *Engine) addDate(d time.Time, p Period) time.Time {
	switch p.Kind {
	case CalendarMonths:
		return addMonths(d, p.N)
	case BusinessDays:
		hol := e.calendarOf(p.Holidays)
		for n := p.N; n > 0; {
			d = d.AddDate(0, 0, 1)
			if hol.isBusinessDay(d) {
				n--
			}
		}
		return d
	}
	if p.Inclusive && p.N > 0 {
		return d.AddDate(0, 0, p.N-1)
	}
	return d.AddDate(0, 0, p.N)
}

// addMonths is calendar-month arithmetic (Reg. 1182/71 Art. 3(2)(c)): the
// same day n months on, or that month's last day where there is none
// (31 January + 1 month = 28 or 29 February).
func addMonths(d time.Time, n int) time.Time {
	first := time.Date(d.Year(), d.Month()+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return first.AddDate(0, 0, min(d.Day(), last)-1)
}

// endOfDate is the last instant, at DeadlinePrecision, whose local date is
// the civil date d, in UTC.
func (e *Engine) endOfDate(d time.Time) time.Time {
	next := d.AddDate(0, 0, 1)
	start := time.Date(next.Year(), next.Month(), next.Day(), 0, 0, 0, 0, e.s().loc)
	onNext := func(t time.Time) bool { return !e.civil(t).Before(next) }
	if onNext(start) && !onNext(start.Add(-DeadlinePrecision)) {
		return start.Add(-DeadlinePrecision).UTC()
	}
	// A clock change skips or repeats midnight (Chile, Paraguay, Cuba,
	// Lebanon…) and time.Date landed on the wrong side of it: search the
	// hours around it for the first instant of the next day.
	lo, hi := start.Add(-4*time.Hour), start.Add(4*time.Hour)
	for hi.Sub(lo) > DeadlinePrecision {
		mid := lo.Add((hi.Sub(lo) / 2).Truncate(DeadlinePrecision))
		if onNext(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return lo.UTC()
}

// EndOfDay is the deadline convention applied to t: the last instant of
// t's local date, in UTC.
func (e *Engine) EndOfDay(t time.Time) time.Time { return e.endOfDate(e.civil(t)) }

// PauseDays is how many days a stopped clock gains: "the period beginning
// with the day on which the controller makes the request and ending with
// the day on which the controller receives the information does not count"
// (UK GDPR Art. 12A, the words of DPA 2018 s.54(3C)), so both local dates
// count: asked and answered on the same day is one day.
func (e *Engine) PauseDays(start, end time.Time) int {
	a, b := e.civil(start), e.civil(end)
	if b.Before(a) {
		return 0
	}
	return int(b.Sub(a).Hours()/24+0.5) + 1
}

// MoveDeadline moves a deadline by days whole local days: the end of the
// local date that many days after due's.
func (e *Engine) MoveDeadline(due time.Time, days int) time.Time {
	return e.endOfDate(e.civil(due).AddDate(0, 0, days))
}
