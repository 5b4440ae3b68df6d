// Package admin holds the staff pages.
package admin

import (
	"strconv"
	"time"

	"github.com/rightsdesk/rightsdesk/templates/components"
)

// LoginView is the sign-in page.
type LoginView struct {
	Form components.Form
	Next string
}

// SetupView creates the first administrator.
type SetupView struct {
	Form  components.Form
	Token string
}

// QueueView is the request queue.
type QueueView struct {
	Kind          string
	Status        string
	Filters       components.Form // the filters chosen: right, jurisdiction, assignee, due, sort
	Tabs          []Tab
	Rights        []components.Option
	Jurisdictions []components.Option
	Assignees     []components.Option
	Dues          []components.Option
	Sorts         []components.Option
	Rows          []QueueRow
	NextURL       string
	FirstURL      string
	ExportURL     string // the same requests as CSV; "" for a search
	IsFirst       bool
	// Search is the search box (its term, or its error); Searching: the
	// rows are a search's, whose pages are posted (NextAfter is the next
	// page's cursor), never linked, with the filters in Keep.
	Search    components.Form
	Searching bool
	NextAfter string
	Keep      []Hidden
}

// Hidden is a hidden form field.
type Hidden struct{ Name, Value string }

// Tab is one status filter with its count.
type Tab struct {
	Label   string
	URL     string
	Current bool
}

// QueueRow is one line of the queue.
type QueueRow struct {
	ID           int64
	Reference    string
	Right        string
	Jurisdiction string
	Status       string
	StatusText   string
	ReceivedAt   time.Time
	DueAt        time.Time
	DaysLeft     int
	DueText      string
	Urgency      string // "", "risk", "overdue"
	Flag         string // e.g. deemed-refusal warning
	Unread       bool   // the person or their agent wrote, and no one has read it yet
	Assignee     string // who holds it, or "nobody"
}

// RequestView is one request for staff.
type RequestView struct {
	// Offline: the person is answered by post or phone (no e-mail), and
	// the page says so wherever it would promise an e-mail.
	Offline       bool
	ID            int64
	Reference     string
	Right         string
	Kind          string
	Jurisdiction  string
	Status        string
	StatusText    string
	ReceivedAt    time.Time
	DueAt         time.Time
	OriginalDueAt time.Time
	Extended      bool
	ExtensionNote string
	AckDueAt      *time.Time
	AckedAt       *time.Time
	// AckByStaff: the person has no e-mail, so staff acknowledge by post
	// or phone and record it (AckBy says which); AckRecord: they may now.
	AckByStaff    bool
	AckBy         string
	AckRecord     bool
	AckForm       components.Form // the day it was sent (acked_on), today by default
	DaysLeft      int
	DueText       string
	Urgency       string
	Requester     []Row
	Details       string
	Siblings      []Link
	AppealOf      *Link
	Appeal        *Link
	AppealEnter   bool            // staff may enter an appeal received by post
	AppealForm    components.Form // appeal_reason, appeal_received (today by default)
	Frequency     string
	Flags         []string
	Events        []Event
	Next          []components.Option // statuses staff may move to
	DenialReasons []components.Option
	CanExtend     bool
	ExtendNote    string
	StatusForm    components.Form
	NoteForm      components.Form
	MessageForm   components.Form
	ExtendForm    components.Form
	DenialReason  string
	DenialDetail  string
	Authority     *AuthorityView // when an agent filed the request
	// DetailLabel and DetailHint name the explanation sent with a decision:
	// for a complaint, its outcome.
	DetailLabel, DetailHint string
	// Failed is the form that failed, for the one error summary at the top.
	Failed components.Form
	// The stopped clock (UK): why staff may stop it now (none: they may
	// not), whether it stands now, and every time it stood.
	PauseReasons []components.Option
	PauseForm    components.Form
	Waiting      bool
	ResumeForm   components.Form
	Pauses       []PauseRow
	CanWork      bool // the member's role acts on requests (an auditor only reads)
	Duplicates   []Duplicate
	// Assignment: who holds the request ("" for nobody), whether it is
	// the member looking, and whether it may be (re)assigned now (open).
	Assignee   string
	Mine       bool
	CanAssign  bool
	AssignForm components.Form
	// AskStops: asking stops the clock here (the law allows it);
	// ClockStopped: it stands now.
	AskStops     bool
	ClockStopped bool
	// Identity is how the person was verified, and staff's actions on it.
	Identity *IdentityPanel
	// Fulfilment (fulfilment.go): the checklist of tasks, the thread, the
	// person's package, the items to correct and how it was completed.
	Tasks       []TaskRow
	Assignees   []components.Option
	OpenTasks   int
	CanOverride bool // the member may complete with tasks open (administrators)
	Completing  bool // the request may be completed now: the status form asks how
	Thread      []ThreadRow
	ThreadForm  components.Form
	MaxMB       int64
	Package     *PackageBox
	Corrections []CorrectionRow
	Outcome     *OutcomeView
}

// IdentityPanel is a request's identity verification, for staff: what
// the law asks and why, every check with its evidence (never a value the
// person gave, except answers kept for review), and the decisions.
type IdentityPanel struct {
	Law, LawSource string
	Narrowing      string  // what the request becomes when the tier is not reached
	Checks         [][]Row // oldest first
	Open, Review   bool    // a check is open; it waits for staff
	ReviewReason   string  // why staff must look
	Answers        []Row   // answers kept for review (no records, or the lookup was down)
	Documents      []DocView
	Erased         []string // documents erased, when
	Outcomes       []components.Option
	DecideForm     components.Form
	CanRetry       bool   // the lookup was down when the person answered
	LookupDown     string // the lookup endpoint does not answer: since when
	Raise          []components.Option
	RaiseHint      string
	RaiseForm      components.Form
}

// PauseRow is one question to the person (a stop of the clock where it stood).
type PauseRow struct {
	Stopped   bool // the clock stood still meanwhile
	Reason    string
	Started   time.Time
	Ended     *time.Time
	Days      int
	DueBefore time.Time
	DueAfter  *time.Time
	EndedBy   string
}

// Row is a label and a value.
type Row struct{ Label, Value string }

// Link is a labelled link.
type Link struct{ Label, URL string }

// Event is one timeline entry for staff.
type Event struct {
	At       time.Time
	Who      string
	Text     string
	Body     string
	Internal bool
}

func id(n int64) string { return strconv.FormatInt(n, 10) }

// AccountView is a staff member's own account: sessions, password and
// two-step sign-in.
type AccountView struct {
	Name, Email, Role string
	Sessions          []SessionRow
	PasswordForm      components.Form
	TwoStepOn         bool
	RecoveryLeft      int
	Tokens            []TokenRow
	TokenForm         components.Form
	Scopes            []components.Option
	NewToken          string // shown once, right after it was made
}

// TokenRow is one live API token.
type TokenRow struct {
	ID       int64
	Name     string
	Scope    string
	Created  time.Time
	LastUsed *time.Time
}

// TwoStepView asks for the second step of a sign-in.
type TwoStepView struct {
	Form components.Form
}

// TwoStepSetupView enrols an authenticator app.
type TwoStepSetupView struct {
	Required bool   // an administrator must set it up before going on
	QR       string // data: URL of the QR code image
	Secret   string // the key, grouped for typing
	Sealed   string
	Form     components.Form
}

// RecoveryCodesView shows the recovery codes, once.
type RecoveryCodesView struct {
	Codes []string
}

// PasswordView is where an invited member, or one whose password was
// reset, chooses a password.
type PasswordView struct {
	Action string
	Intro  string
	Email  string
	Form   components.Form
}

// SessionRow is one live session.
type SessionRow struct {
	Started, LastSeen time.Time
	IP, Browser       string
	Current           bool
}

// TeamView lists the staff accounts and invitations (administrators only).
type TeamView struct {
	Members     []Member
	Invitations []Invitation
	Roles       []components.Option
	InviteForm  components.Form
}

// Invitation is one invitation not yet accepted.
type Invitation struct {
	Name, Email, Role string
	Expires           time.Time
}

// Member is one staff account.
type Member struct {
	ID                int64
	Name, Email, Role string
	RoleCode          string
	LastLogin         *time.Time
	Disabled          bool
	Self              bool
	TwoStepOn         bool
}

// AgentsView lists authorized agents for staff (approval, DRP directory).
type AgentsView struct {
	Agents     []AgentRow
	DRPForm    components.Form
	ImportForm components.Form
	DecideID   int64
	DecideForm components.Form
	CanDecide  bool
	BusinessID string // ours in the DRP directory; "" = the DRP API is off
}

// AgentRow is one agent.
type AgentRow struct {
	ID         int64
	Label      string
	Details    []string
	Status     string
	StatusText string
	Reason     string
	Pending    bool
}

// AuthorityView is the agent part of a request filed by an agent.
type AuthorityView struct {
	Agent        string
	Kind         string
	Review       string
	Confirmation string
	Fraud        bool
	Documents    []DocView
	CanDecide    bool
	Form         components.Form
}

// DocView is a stored document shown inline.
type DocView struct {
	ID    int64
	PDF   bool
	Label string
}

// Duplicate is an earlier open request this one may be merged into.
type Duplicate struct {
	ID                int64
	Reference         string
	ReceivedAt, DueAt time.Time
}

// IntakeView is the form staff use for a request that arrived by mail,
// phone, post or in person.
type IntakeView struct {
	Form          components.Form
	Channels      []components.Option
	Countries     []components.Option
	States        []components.Option
	Provinces     []components.Option
	Rights        []components.Option
	Relationships []components.Option
}

// SettingsView is the organization's settings.
type SettingsView struct {
	Form      components.Form
	LogoForm  components.Form
	Calendars []components.Option
	Rights    []components.Option
	HasLogo   bool
	Logo      string
	History   []SettingsChange
}

// SettingsChange is one saved version.
type SettingsChange struct {
	Version int
	At      time.Time
	Who     string
	Changed string
}

// Told is the key of a text that promises the person an e-mail, or of its
// version for a person answered by post or phone.
func (v RequestView) Told(key string) string {
	if v.Offline {
		return key + ".offline"
	}
	return key
}
