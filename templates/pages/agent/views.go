// Package agent holds the pages authorized agents see.
package agent

import (
	"strconv"
	"time"

	"github.com/rightsdesk/rightsdesk/templates/components"
)

// RegisterView is the agent registration form.
type RegisterView struct {
	Form     components.Form
	Business []components.Option
	Done     bool // registered: the confirmation link is on its way
}

// VerifyView is where the mailed confirmation link leads: one button.
type VerifyView struct {
	Token string
}

// LoginView is the agents' sign-in page.
type LoginView struct {
	Form components.Form
}

// DashboardView lists every request the agent filed.
type DashboardView struct {
	Status   string // the agent's own status: pending, approved, rejected
	Reason   string // why staff rejected the agent
	Query    string
	Rows     []Row
	Searched bool
}

// Row is one request on the dashboard.
type Row struct {
	FilingID   int64
	Reference  string
	Person     string
	Right      string
	Status     string // CSS class of the badge
	StatusText string
	Waiting    string // "waiting for the person", … ("" = nothing)
	DueAt      time.Time
	Open       bool
}

// WhereView is step 1 of filing: where the person lives.
type WhereView struct {
	Form      components.Form
	Countries []components.Option
	States    []components.Option
	Provinces []components.Option
}

// DetailsView is step 2: the person, the rights and the authority.
type DetailsView struct {
	Form        components.Form
	WhereLabel  string
	LawLabel    string
	Rights      []components.Option
	Missing     []string // rights agents may not exercise here
	MissingWhy  string   // why
	Relations   []components.Option
	Authorities []components.Option
	Nonce       string
}

// UploadView is step 3: the designation form to download and sign, and
// the signed document to upload.
type UploadView struct {
	Form      components.Form
	Hidden    []Field // every answer so far, carried in hidden fields
	Summary   []Row2
	MaxMB     int64
	Authority string
}

// Field is a hidden form field.
type Field struct{ Name, Value string }

// Row2 is a label and a value.
type Row2 struct{ Label, Value string }

// FilingView is one filing as its agent sees it.
type FilingView struct {
	Reference string
	Person    []Row2
	Authority string
	Waiting   string
	Review    string // the authority's review, in words
	Requests  []Request
	Documents []Document
	// The thread with the organization, and the form to write in it.
	ID        int64
	Thread    []Message
	ReplyForm components.Form
	ReplyTo   []components.Option
	MaxMB     int64
}

// Message is one message of the thread.
type Message struct {
	At       time.Time
	From     string
	Mine     bool
	About    string
	Body     string
	Question bool
	Files    []Document
}

// Request is one request of a filing.
type Request struct {
	ID         int64
	Right      string
	Status     string
	StatusText string
	DueAt      time.Time
	Closed     bool
	Denial     string
	Events     []Event
}

// Event is one step of a request's timeline.
type Event struct {
	At   time.Time
	Text string
	Body string
}

// Document is a file the agent uploaded.
type Document struct {
	ID    int64
	Label string
}

func id(n int64) string { return strconv.FormatInt(n, 10) }
