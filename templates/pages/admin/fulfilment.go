package admin

import (
	"strings"
	"time"

	"github.com/rightsdesk/rightsdesk/templates/components"
)

// SystemsView lists the organization's data systems and vendors.
type SystemsView struct {
	Systems      []SystemRow
	Archived     []SystemRow
	Form         SystemForm
	CanConfigure bool
}

// SystemRow is one system in the list.
type SystemRow struct {
	ID        int64
	Name      string
	Kind      string
	Recipient string
	Owner     string
	Rights    string
	Webhook   bool
}

// SystemForm is the form that adds or changes a system.
type SystemForm struct {
	Form       components.Form
	Action     string
	Kinds      []components.Option
	Recipients []components.Option
	Rights     []components.Option
	Staff      []components.Option
	Submit     string
}

// SystemView is one system: its settings, its webhook key and the latest
// deliveries to it.
type SystemView struct {
	ID           int64
	Name         string
	Archived     bool
	Form         SystemForm
	Webhook      bool
	KeyID        string
	NewSecret    string // shown once, right after it was made
	Deliveries   []DeliveryRow
	CanConfigure bool
}

// DeliveryRow is one outgoing webhook call with its attempts.
type DeliveryRow struct {
	ID         int64
	Created    time.Time
	Status     string
	StatusText string
	What       string     // what the call carried (a task, a change of a privacy choice)
	Next       *time.Time // the next attempt, while one is due
	Attempts   []AttemptRow
}

// AttemptRow is one attempt at a call.
type AttemptRow struct {
	At    time.Time
	OK    bool
	Code  int
	Error string
}

// TaskRow is one task of a request's checklist.
type TaskRow struct {
	ID           int64
	System       string
	SystemURL    string
	Owner        string
	Recipient    string // who holds the data, in words; "" = the organization
	Instructions string
	Status       string
	StatusText   string
	Open         bool
	Assignee     string
	Note         string
	Records      string // what the system returned, in words
	Hooked       bool
	Deliveries   []DeliveryRow
	Form         components.Form
	Outcomes     []components.Option
}

// ThreadRow is one message of a thread.
type ThreadRow struct {
	At          time.Time
	From        string
	Mine        bool // from the organization
	Body        string
	Question    bool
	Unread      bool
	Attachments []FileRow
}

// FileRow is a stored file with where to get it.
type FileRow struct {
	ID    int64
	Name  string
	URL   string
	Size  string
	Erase string // where to post to remove it; "" = it cannot be
}

// PackageBox is the request page's part about the person's copy of their data.
type PackageBox struct {
	Files     []FileRow
	FileForm  components.Form
	MaxMB     int64
	Latest    *PackageRow
	CanBuild  bool
	BuildForm components.Form
}

// PackageRow is the latest package of a request.
type PackageRow struct {
	ID        int64
	Created   time.Time
	Expires   time.Time
	Live      bool
	Size      string
	Files     int
	Downloads []time.Time
	URL       string // staff download; "" when gone
}

// CorrectionRow is one item a person asked to correct.
type CorrectionRow struct {
	ID       int64
	Item     string
	Wrong    string
	Correct  string
	Decision string // in words; "" = none yet
	Reason   string
	Form     components.Form
}

// OutcomeView says how a completed request was fulfilled.
type OutcomeView struct {
	Outcome  string
	Note     string
	NotDone  string
	Override string
}

// TemplatesView lists the mail staff may reword.
type TemplatesView struct {
	Rows []TemplateRow
}

// TemplateRow is one stage's mail, with its edits.
type TemplateRow struct {
	Stage string
	Name  string
	Edits []TemplateEdit
	New   string // where to start a new edit
}

// TemplateEdit is one edited wording.
type TemplateEdit struct {
	Right, Lang string
	URL         string
	Updated     time.Time
}

// TemplateView edits one stage's wording (and previews it).
type TemplateView struct {
	Stage, StageName string
	Form             components.Form
	Rights           []components.Option
	Langs            []components.Option
	Placeholders     []string
	Edited           bool // an edit is saved for this stage, right and language
	Preview          *MailPreview
}

// MailPreview is a rendered mail, shown before saving.
type MailPreview struct {
	Subject, Text, HTML string
}

// placeholders writes placeholder names as they are typed: {name} {org} …
func placeholders(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "{" + n + "}"
	}
	return strings.Join(out, " ")
}

// TaskView is one task's page.
type TaskView struct {
	Task      TaskRow
	Reference string
	Right     string
	Back      string
	Assignees []components.Option
	CanWork   bool
}

// CorrectionView is one item to correct, with the decision form.
type CorrectionView struct {
	Item      CorrectionRow
	Reference string
	Back      string
	CanWork   bool
}
