package email

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/mail"
)

// Preview renders the mail of stage for right in lang with an edited
// subject and opening, on sample data, as the person would receive it:
// what staff see before they save an edit.
func (r *Renderer) Preview(stage, right, lang, subject, body string) (mail.Email, error) {
	t := r.Catalog.Printer(lang)
	if right == "" {
		right = "access"
	}
	due := time.Now().UTC().AddDate(0, 0, 45)
	d := mail.Data{Name: t.T("preview.name"), Reference: "RD-7K3M-Q9XD", TrackURL: r.BaseURL + "/t/…", Right: right,
		Rights: []string{right}, Jurisdiction: "US-CA", DueAt: &due}
	template := ""
	switch stage {
	case mail.StageAcknowledgement:
		template = mail.TemplateAcknowledgement
	case mail.StageVerification:
		template, d.Code, d.VerifyURL = mail.TemplateVerifyEmail, "123456", r.BaseURL+"/t/…/verify/123456"
	case mail.StageExtension:
		template, d.ReasonText = mail.TemplateExtended, t.T("preview.reason")
	case mail.StageCompletion:
		template, d.Status = mail.TemplateStatusChanged, "completed"
	case mail.StageDenial:
		template, d.Status, d.Reason, d.ReasonText = mail.TemplateStatusChanged, "denied", "exemption", t.T("preview.reason")
	case mail.StageMessage:
		template = mail.TemplateMessage
	default:
		return mail.Email{}, fmt.Errorf("email: unknown stage %q", stage)
	}
	if stage != mail.StageVerification && stage != mail.StageAcknowledgement {
		d.Rights = nil
	}
	raw, err := json.Marshal(d)
	if err != nil {
		return mail.Email{}, err
	}
	var edit *edited
	if subject != "" || body != "" {
		edit = &edited{subject: subject, body: body}
	}
	return r.render(mail.Message{Template: template, Data: raw, Lang: lang}, edit)
}

// Default is the catalog's wording of a stage's subject and opening, with
// placeholders where the mail fills in the request's details: what the
// editor starts from.
func (r *Renderer) Default(stage, right, lang string) (subject, body string) {
	t := r.Catalog.Printer(lang)
	switch stage {
	case mail.StageAcknowledgement:
		return t.T("mail.ack.subject"), t.T("mail.ack.intro", "{org}")
	case mail.StageVerification:
		return t.T("mail.verify.subject"), t.T("mail.verify.intro", "{org}")
	case mail.StageExtension:
		return t.T("mail.extended.subject"), t.T("mail.extended.intro", "{right}", "{due_date}")
	case mail.StageCompletion, mail.StageDenial:
		return t.T("mail.status.subject"), t.T("mail.status.intro", "{right}", "{status}")
	case mail.StageMessage:
		return t.T("mail.message.subject"), t.T("mail.message.intro", "{right}")
	}
	return "", ""
}

// ReadmeView is what a package's README says.
type ReadmeView struct {
	Lang      string
	Reference string
	Right     string
	Created   time.Time
	Expires   time.Time
	Systems   []ReadmeSystem
	Files     []string
}

// ReadmeSystem is one system's part of a package.
type ReadmeSystem struct {
	Name    string
	Status  string
	Records int
	Files   []string
}

// Readme writes the README.txt of a package, in plain words.
func (r *Renderer) Readme(v ReadmeView) string {
	t := r.Catalog.Printer(v.Lang)
	var b body
	b.line(t.T("readme.title", r.OrgName))
	b.line(t.T("readme.intro", t.T("right."+v.Right), v.Reference, t.Date(v.Created, r.Loc)))
	b.line(t.T("readme.formats"))
	var lines []string
	for _, s := range v.Systems {
		line := "- " + s.Name + ": " + t.T("readme.status."+s.Status)
		if len(s.Files) > 0 {
			line += " " + t.N("readme.records", s.Records, strings.Join(s.Files, ", "))
		}
		lines = append(lines, line)
	}
	if len(lines) > 0 {
		b.line(t.T("readme.systems") + "\n" + strings.Join(lines, "\n"))
	}
	if len(v.Files) > 0 {
		b.line(t.T("readme.files") + "\n- " + strings.Join(v.Files, "\n- "))
	}
	b.line(t.T("readme.keep", t.Date(v.Expires, r.Loc)))
	b.line(t.T("readme.questions", r.Contact))
	return strings.ReplaceAll(b.String(), "\n", "\r\n") // readable in every text editor
}
