package rules

import (
	"fmt"
	"strings"
)

// ClockRow is one jurisdiction's clocks, for the UI and the README.
type ClockRow struct {
	Jurisdiction  Jurisdiction
	Name, Statute string
	Acknowledge   *Period // nil: none required
	Respond       Period
	Extension     *Period // nil: none allowed
	OptOut        *Period // nil: no opt-out of sale there
	Unsubscribe   Period
	AppealDecide  *Period // nil: no statutory appeal
	AppealExtend  *Period // nil: an appeal cannot be extended
	Pause         *PauseRule
	Complaints    *ComplaintRule
	DeemedRefusal bool
}

// ClockTable lists every jurisdiction's clocks in display order.
func (e *Engine) ClockTable() []ClockRow {
	var rows []ClockRow
	for _, j := range Jurisdictions() {
		l := e.Law(j)
		row := ClockRow{Jurisdiction: j, Name: l.Name, Statute: l.Statute, Acknowledge: l.Acknowledge,
			Respond: l.Respond, Extension: l.Extension, Unsubscribe: e.Period(j, RightUnsubscribe),
			Pause: l.Pause, Complaints: l.Complaints, DeemedRefusal: l.DeemedRefusal}
		if e.Offers(j, RightOptOutSale) {
			p := e.Period(j, RightOptOutSale)
			row.OptOut = &p
		}
		if l.Appeal != nil {
			row.AppealDecide, row.AppealExtend = &l.Appeal.Decide, l.Appeal.Extension
		}
		rows = append(rows, row)
	}
	return rows
}

// MarkdownTable renders ClockTable as Markdown, for the README (a test
// keeps the two in step).
func (e *Engine) MarkdownTable() string {
	var b strings.Builder
	b.WriteString("| jurisdiction | law | acknowledge | respond | extension | opt-out | unsubscribe | appeal decided within | clock stops | complaint to the organization | silence |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range e.ClockTable() {
		ack, ext, optOut, appeal, pause, complaints, silence := "—", "none", "—", "—", "—", "—", "—"
		if r.Acknowledge != nil {
			ack = r.Acknowledge.String()
		}
		if r.Extension != nil {
			ext = "+" + r.Extension.String() + ", once"
		}
		if r.OptOut != nil {
			optOut = r.OptOut.String()
		}
		if r.AppealDecide != nil {
			appeal = r.AppealDecide.String()
			if r.AppealExtend != nil {
				appeal += " (+" + r.AppealExtend.String() + ", once)"
			}
		}
		if r.Pause != nil {
			pause = "while waiting for the person's identity"
			if len(r.Pause.ClarifyRights) > 0 {
				pause += " or, for access, clarification"
			}
			pause += "; the deadline moves by the days stopped"
		}
		if c := r.Complaints; c != nil {
			complaints = fmt.Sprintf("from %s: acknowledged within %s; outcome without undue delay (aim: %s)",
				c.From.Format("2 January 2006"), c.Acknowledge, c.Respond)
		}
		if r.DeemedRefusal {
			silence = "deemed refusal"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.Name, r.Statute, ack, r.Respond, ext,
			optOut, r.Unsubscribe, appeal, pause, complaints, silence)
	}
	return b.String()
}

// String renders p in English for documentation: "45 days", "1 month",
// "15 business days (California holidays)", "30 days counting the first".
func (p Period) String() string {
	unit := map[ClockKind]string{CalendarDays: "days", BusinessDays: "business days", CalendarMonths: "months"}[p.Kind]
	if p.N == 1 {
		unit = strings.TrimSuffix(unit, "s")
	}
	s := fmt.Sprintf("%d %s", p.N, unit)
	if p.Kind == BusinessDays {
		s += " (" + map[HolidayLaw]string{HolidaysOrganization: "the organization's holidays", HolidaysCalifornia: "California holidays",
			HolidaysFederal: "federal holidays", HolidaysNone: "weekends only"}[p.Holidays] + ")"
	}
	if p.Inclusive {
		s += ", the first day counted"
	}
	return s
}

// holidays is the calendar name p counts on, "" meaning the organization's.
func (p *Period) holidays() HolidayLaw {
	if p == nil || p.Holidays == HolidaysOrganization {
		return HolidaysNone // any known calendar
	}
	return p.Holidays
}
