// Package rules encodes the privacy laws the portal serves: which rights
// exist where, how long an organization has to answer, how far it may
// extend, who must verify what, and what a refusal must tell the person.
// Every number lives in one table (jurisdictions.go) beside its source, so
// a change in the law is one edit and one test. Pure Go: no database, HTTP
// or template imports.
//
// How clocks are counted (clock.go):
//   - A clock starts at receipt, on any channel, whatever verification takes.
//   - Dates are civil dates in the organization's time zone (Options.Location):
//     a request received at 23:59 local time counts from that local date.
//   - A period of N ends at the END of local day D+N, where D is the local
//     date of receipt: the start of the next local day minus DeadlinePrecision
//     (23:59:59.999999 on ordinary days). Deadlines are returned in UTC.
//   - Calendar days: D+N. Calendar months: the same day-of-month N months on,
//     or that month's last day where there is none (31 Jan + 1 month = 28/29 Feb).
//     Business days: day 1 is the first business day after D; weekends and
//     the holidays of the period's own holiday law (calendar.go) are
//     skipped: California's for a CCPA clock, federal ones for CAN-SPAM,
//     the organization's calendar where no statute sets the clock.
//   - A period "beginning with" the day of receipt (Period.Inclusive)
//     counts that day as day 1: 30 such days end on D+29.
//   - Where the law lets a clock stop (the UK), the days it stood still are
//     added to the deadline (Engine.PauseDays, Engine.MoveDeadline).
//   - A deadline that falls on a weekend or holiday is not moved later (some
//     laws would allow it; the earlier reading is the safe one).
package rules

import (
	"errors"
	"time"
)

// Right is a privacy right a person may exercise.
type Right string

const (
	RightAccess         Right = "access"          // know / access (CCPA know, GDPR Art. 15, Law 25 s.27)
	RightDelete         Right = "delete"          // deletion / erasure
	RightCorrect        Right = "correct"         // correction / rectification
	RightPortability    Right = "portability"     // a copy in a structured, machine-readable format
	RightOptOutSale     Right = "opt_out_sale"    // opt out of sale or sharing
	RightLimitSensitive Right = "limit_sensitive" // limit use of sensitive personal information (California)
	RightCessation      Right = "cessation"       // cessation of dissemination / de-indexing (Quebec s.28.1)
	RightUnsubscribe    Right = "unsubscribe"     // unsubscribe from marketing
	RightRestrict       Right = "restrict"        // restriction of processing (GDPR Art. 18)
	RightObject         Right = "object"          // objection (GDPR Art. 21)
	RightShineTheLight  Right = "shine_the_light" // Civ. Code §1798.83 disclosure (California)
	RightAppeal         Right = "appeal"          // appeal of a denial (US states with appeals)
	RightComplaint      Right = "complaint"       // a complaint to the organization (UK, DPA 2018 s.164A)
)

// AllRights lists every right a form may offer, in display order.
var AllRights = []Right{
	RightAccess, RightDelete, RightCorrect, RightPortability, RightOptOutSale,
	RightLimitSensitive, RightCessation, RightUnsubscribe, RightRestrict, RightObject,
	RightShineTheLight,
}

// Jurisdiction identifies the law that governs a request.
type Jurisdiction string

const (
	California  Jurisdiction = "US-CA"
	EU          Jurisdiction = "EU"
	UK          Jurisdiction = "GB"
	Quebec      Jurisdiction = "CA-QC"
	Canada      Jurisdiction = "CA" // PIPEDA: the rest of Canada
	Virginia    Jurisdiction = "US-VA"
	Colorado    Jurisdiction = "US-CO"
	Connecticut Jurisdiction = "US-CT"
	Texas       Jurisdiction = "US-TX"
	Oregon      Jurisdiction = "US-OR"
	Other       Jurisdiction = "OTHER" // the organization's own policy
	// Unstated is where a person who did not say where they live is
	// placed: the privacy choices page asks only for an identifier, so
	// its opt-outs run on the strictest clock of every law in the table.
	Unstated Jurisdiction = "UNSTATED"
)

// Tier is the level of identity verification a right needs.
type Tier string

const (
	TierNone        Tier = "none"         // opt-outs: never verification, never an account
	TierEmail       Tier = "email"        // control of the email address
	TierTwoPoints   Tier = "two_points"   // reasonable degree of certainty
	TierThreePoints Tier = "three_points" // reasonably high degree + signed declaration
)

// ClockKind says how a period is counted.
type ClockKind string

const (
	CalendarDays   ClockKind = "calendar_days"
	BusinessDays   ClockKind = "business_days"
	CalendarMonths ClockKind = "calendar_months"
)

// Period is an amount of time counted one way, with its legal source.
type Period struct {
	N    int
	Kind ClockKind
	// Holidays is the holiday law business days skip (BusinessDays only);
	// HolidaysOrganization = the organization's calendar.
	Holidays HolidayLaw
	// Inclusive: the period begins with the day it starts from, which is
	// day 1 ("within 30 days beginning when the complaint is received").
	Inclusive bool
	Source    string
}

// Deadlines computed for one request at receipt.
type Deadlines struct {
	AckDue *time.Time // nil where no acknowledgement is required
	Due    time.Time
}

// Errors returned by the engine.
var (
	ErrExtensionNotAllowed = errors.New("rules: the law does not allow an extension")
	ErrExtensionTooLate    = errors.New("rules: the original deadline has passed")
	ErrAlreadyExtended     = errors.New("rules: the request was already extended")
	ErrRightNotAvailable   = errors.New("rules: this right does not exist in this jurisdiction")
	ErrNoPause             = errors.New("rules: the law does not let this clock stop")
)
