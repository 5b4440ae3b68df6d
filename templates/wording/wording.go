// Package wording puts the law's facts in the person's words, the same on
// a page and in a mail: periods, what a refused person can do next, and
// the names of statuses and requests. Every word comes from the catalog.
package wording

import (
	"time"

	"github.com/rightsdesk/rightsdesk/internal/i18n"
	"github.com/rightsdesk/rightsdesk/internal/rules"
)

// Period puts a period in words: "6 months", "30 days", "10 business days".
func Period(t i18n.Printer, p rules.Period) string {
	switch p.Kind {
	case rules.CalendarMonths:
		return t.N("period.months", p.N)
	case rules.BusinessDays:
		return t.N("period.business_days", p.N)
	}
	return t.N("period.days", p.N)
}

// Situation is where and when the recourse of a refusal is told.
type Situation struct {
	AfterAppeal bool // an appeal upheld the refusal
	InMail      bool // a mail, not the tracking page
	// In states with an appeal: whether the person appealed, whether they
	// still may, and the last day they may (AppealUntil).
	Appealed    bool
	AppealOpen  bool
	AppealUntil time.Time
	Contact     string // the privacy contact, for the organization's own review
	Loc         *time.Location
}

// Recourse is what a person whose request was refused can do next under
// rc, in s. It never points to something the page does not offer: the
// appeal form only while it is there.
func Recourse(t i18n.Printer, rc rules.Recourse, s Situation) string {
	key, args := rc.Message(s.AfterAppeal)
	switch key {
	case "recourse.appeal":
		switch {
		case s.Appealed:
			return t.T("recourse.appealed")
		case s.AppealOpen && s.InMail:
			return t.T("recourse.appeal_mail", t.Date(s.AppealUntil, s.Loc))
		case s.AppealOpen:
			return t.T("recourse.appeal", t.Date(s.AppealUntil, s.Loc))
		case !s.AppealUntil.IsZero():
			return t.T("recourse.appeal_closed", t.Date(s.AppealUntil, s.Loc))
		}
		return t.T("recourse.appeal_unknown")
	case "recourse.other", "recourse.unstated":
		return t.T(key, s.Contact)
	}
	for i, a := range args {
		if p, ok := a.(rules.Period); ok {
			args[i] = Period(t, p)
		}
	}
	return t.T(key, args...)
}

// Subject names what a request is about: its right, an appeal of it, or
// a complaint.
func Subject(t i18n.Printer, kind, right string) string {
	switch kind {
	case "appeal":
		return t.T("track.appeal_of", t.T("right."+right))
	case "complaint":
		return t.T("right.complaint")
	}
	return t.T("right." + right)
}

// StatusKey is the catalog key of a status as said of a request of kind:
// an appeal or complaint is "received" rather than ready to start, and an
// answered complaint is "answered" rather than completed. The help text
// is the key plus ".help".
func StatusKey(kind, status string) string {
	switch {
	case kind != "request" && kind != "" && status == "verified":
		return "status.received"
	case kind == "complaint" && status == "completed":
		return "status.answered"
	}
	return "status." + status
}
