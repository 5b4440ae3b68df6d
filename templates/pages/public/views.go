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

// WhereView is step 1 of the request form: who asks and where they live.
type WhereView struct {
	Form      components.Form
	OnBehalf  []components.Option
	Countries []components.Option
	States    []components.Option
	Provinces []components.Option
}

// DetailsView is step 2: the rights and the person's details.
type DetailsView struct {
	Form          components.Form
	WhereLabel    string // e.g. "California, United States"
	LawLabel      string // the law that applies
	Rights        []components.Option
	Relationships []components.Option
	Nonce         string
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
	LookupForm  components.Form
	Agent       *TrackAgent // when an agent filed for the person
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
	Right        string
	Status       string
	StatusText   string
	StatusHelp   string
	DueAt        time.Time
	Extended     bool
	Closed       bool
	CanWithdraw  bool
	CanAppeal    bool
	AppealUntil  time.Time
	IsAppeal     bool
	Recourse     string // translated recourse for denials
	DenialReason string
	DenialDetail string
	Events       []TrackEvent
	AppealForm   components.Form
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
	Sent bool
}

// ErrorView is any error page.
type ErrorView struct {
	Status  int
	Heading string
	Message string
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
