package rules

import (
	"fmt"
	"strings"
)

// MarkdownTable renders each jurisdiction's clocks from the engine's own
// table, for the README (a test keeps the two in step).
func (e *Engine) MarkdownTable() string {
	var b strings.Builder
	b.WriteString("| jurisdiction | law | acknowledge | respond | extension | opt-out | appeal decided within | silence |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|\n")
	for _, j := range Jurisdictions() {
		l := e.Law(j)
		ack, ext, optOut, appeal, silence := "—", "none", "—", "—", "—"
		if l.Acknowledge != nil {
			ack = describe(*l.Acknowledge)
		}
		if l.Extension != nil {
			ext = "+" + describe(*l.Extension) + ", once"
		}
		if p, ok := l.Fast[RightOptOutSale]; ok && e.Offers(j, RightOptOutSale) {
			optOut = describe(p)
		}
		if l.Appeal != nil {
			appeal = describe(l.Appeal.Decide)
		}
		if l.DeemedRefusal {
			silence = "deemed refusal"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", l.Name, l.Statute, ack, describe(l.Respond), ext, optOut, appeal, silence)
	}
	return b.String()
}

func describe(p Period) string {
	unit := map[ClockKind]string{CalendarDays: "days", BusinessDays: "business days", CalendarMonths: "months"}[p.Kind]
	if p.N == 1 {
		unit = strings.TrimSuffix(unit, "s")
	}
	return fmt.Sprintf("%d %s", p.N, unit)
}
