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
	AppealDecide  *Period // nil: no statutory appeal
	DeemedRefusal bool
}

// ClockTable lists every jurisdiction's clocks in display order.
func (e *Engine) ClockTable() []ClockRow {
	var rows []ClockRow
	for _, j := range Jurisdictions() {
		l := e.Law(j)
		row := ClockRow{Jurisdiction: j, Name: l.Name, Statute: l.Statute, Acknowledge: l.Acknowledge,
			Respond: l.Respond, Extension: l.Extension, DeemedRefusal: l.DeemedRefusal}
		if e.Offers(j, RightOptOutSale) {
			p := e.Period(j, RightOptOutSale)
			row.OptOut = &p
		}
		if l.Appeal != nil {
			row.AppealDecide = &l.Appeal.Decide
		}
		rows = append(rows, row)
	}
	return rows
}

// MarkdownTable renders ClockTable as Markdown, for the README (a test
// keeps the two in step).
func (e *Engine) MarkdownTable() string {
	var b strings.Builder
	b.WriteString("| jurisdiction | law | acknowledge | respond | extension | opt-out | appeal decided within | silence |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|\n")
	for _, r := range e.ClockTable() {
		ack, ext, optOut, appeal, silence := "—", "none", "—", "—", "—"
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
		}
		if r.DeemedRefusal {
			silence = "deemed refusal"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", r.Name, r.Statute, ack, r.Respond, ext, optOut, appeal, silence)
	}
	return b.String()
}

// String renders p in English for documentation: "45 days", "1 month",
// "15 business days".
func (p Period) String() string {
	unit := map[ClockKind]string{CalendarDays: "days", BusinessDays: "business days", CalendarMonths: "months"}[p.Kind]
	if p.N == 1 {
		unit = strings.TrimSuffix(unit, "s")
	}
	return fmt.Sprintf("%d %s", p.N, unit)
}
