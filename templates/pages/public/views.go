// Package public holds the pages requesters see.
package public

import (
	"time"

	"github.com/rightsdesk/rightsdesk/templates/components"
)

// HomeView is the landing page.
type HomeView struct {
	Rights []components.Option // every right the organization honours, with its explanation
}

// Link is a labelled link.
type Link struct{ Label, URL string }

// WhereView is step 1 of the request form: who asks and where they live.
type WhereView struct {
	Form      components.Form
	OnBehalf  []components.Option
	Countries []components.Option
	States    []components.Option
	Provinces []components.Option
	// Carry is what was entered on step 2, kept through a change of step 1.
	Carry []Hidden
}

// Hidden is one hidden form value.
type Hidden struct{ Name, Value string }

// DetailsView is step 2: the rights and the person's details.
type DetailsView struct {
	Form          components.Form
	WhereLabel    string // e.g. "California, United States"
	LawLabel      string // the law that applies
	Rights        []components.Option
	Relationships []components.Option
	Nonce         string
	// QuebecOfficer: the request goes to the person in charge of the
	// protection of personal information (Quebec only).
	QuebecOfficer bool
}

// TrackView is the private tracking page.
type TrackView struct {
	Token       string
	Reference   string
	Name        string
	Email       string // shown masked
	NeedsCode   bool
	CodeForm    components.Form
	JustCreated bool
	LawLabel    string
	Requests    []TrackRequest
	// Failed is the form that failed, for the one error summary at the top.
	Failed components.Form
	// CanComplain: the person's law gives a complaint to the organization,
	// and none of theirs is open.
	CanComplain   bool
	ComplaintForm components.Form
	LookupForm    components.Form
	Agent         *TrackAgent // when an agent filed for the person
	// Identity asks the identity questions of the requests that need them.
	Identity *IdentitySection
	// Fulfilment (fulfilment.go): the messages with the organization, and
	// the copies of the person's data ready to download.
	Thread       []TrackMessage
	ReplyForm    components.Form
	ReplyTo      []components.Option // the requests a message may be about
	MaxMB        int64
	Packages     []TrackPackage
	DownloadForm components.Form
}

// IdentitySection is the identity questions on the tracking page: asked
// once for every request that waits for them.
type IdentitySection struct {
	Token     string
	For       []string // the requests it is for
	Questions []IdentityQuestion
	Points    int // how many answers are needed
	Remaining int // tries left
	// Declaration is the wording the person signs ("" = none asked).
	Declaration string
	// Account: signing in to their account with the organization is offered.
	Account bool
	Form    components.Form
}

// IdentityQuestion is one question.
type IdentityQuestion struct {
	Name, Label, Hint, Type, Autocomplete, InputMode string
	MaxLen                                           int
}

// TrackAgent is what the person's page says of the agent who filed for
// them, and whether it asks them to confirm.
type TrackAgent struct {
	Name   string
	Ask    bool   // their answer is awaited
	Answer string // their answer, in words, once given
}

// TrackRequest is one request on the tracking page.
type TrackRequest struct {
	ID           int64
	Title        string // the right, the appeal of it, or the complaint
	Status       string
	StatusText   string
	StatusHelp   string
	DueLabel     string // "We must answer by", or for a complaint "We aim to answer by"
	DueAt        time.Time
	Extended     bool
	PausedDays   int // days the deadline moved while we waited for the person
	Closed       bool
	CanWithdraw  bool
	CanAppeal    bool
	AppealUntil  time.Time
	Recourse     string // what the person can do next, for refusals and answered complaints
	DenialReason string
	DenialDetail string
	Events       []TrackEvent
	AppealForm   components.Form
	// Waiting: the clock stands still until the person answers Question.
	Waiting     bool
	WaitingFrom time.Time
	Question    string
	AnswerForm  components.Form
	// ClockRuns: while waiting, the deadline runs on (the law lets no
	// clock stop here).
	ClockRuns bool
	// Identity says how the person's identity was checked for this request.
	Identity string
	// IdentityAsked: what staff ask is the identity questions above.
	IdentityAsked bool
	// DocumentAsked: staff asked for a document, uploaded here.
	DocumentAsked bool
	DocumentForm  components.Form
	MaxMB         int64
	// How a completed request was done: in whole or in part, what was not
	// done and why; and, for a correction, each item and its decision.
	Outcome        string
	OutcomeNote    string
	NotDone        string
	Corrections    []TrackCorrection
	CanCorrect     bool
	CorrectionForm components.Form
}

// TrackEvent is one timeline entry shown to the requester.
type TrackEvent struct {
	At   time.Time
	Text string
	Body string
}

// LookupView is the lost-link page.
type LookupView struct {
	Form components.Form
	Sent bool // the page then says what happened, and offers no form
}

// ErrorView is any error page.
type ErrorView struct {
	Status  int
	Heading string
	Message string
	Links   []Link // ways forward, e.g. to ask for a new tracking link
	Back    string
}

// WithdrawView asks the person to confirm a withdrawal.
type WithdrawView struct {
	Token     string
	ID        int64
	Reference string
	Right     string
}

// VerifyLinkView is where the mailed confirmation link leads: one button.
type VerifyLinkView struct {
	Token     string
	Code      string // "" when the link's code is malformed
	Reference string
}
