// Package email renders the outbox's messages as plain-text mail, every
// word from the message catalog. Subjects never carry personal data; bodies
// carry the person's name at most.
package email

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/i18n"
	"github.com/rightsdesk/rightsdesk/internal/mail"
	"github.com/rightsdesk/rightsdesk/internal/rules"
)

// Renderer implements mail.Renderer.
type Renderer struct {
	Catalog *i18n.Catalog
	Rules   *rules.Engine
	OrgName string
	BaseURL string
	Loc     *time.Location
}

// Render turns one queued message into subject and text.
func (r *Renderer) Render(m mail.Message) (mail.Email, error) {
	var d mail.Data
	if err := json.Unmarshal(m.Data, &d); err != nil {
		return mail.Email{}, fmt.Errorf("email %s: bad data: %w", m.Template, err)
	}
	t := r.Catalog.Printer(m.Lang)
	var b body
	b.line(t.T("mail.greeting", nameOr(d.Name, t)))
	subject := ""
	switch m.Template {
	case mail.TemplateVerifyEmail:
		subject = t.T("mail.verify.subject")
		b.line(t.T("mail.verify.intro", r.OrgName))
		b.line(t.T("mail.verify.code", d.Code))
		b.line(t.N("mail.verify.expires", 30))
		if d.VerifyURL != "" {
			b.line(t.T("mail.verify.link") + "\n" + d.VerifyURL)
		}
		r.rights(&b, t, d.Rights)
	case mail.TemplateReceived:
		subject = t.T("mail.received.subject")
		b.line(t.T("mail.received.intro", r.OrgName))
		r.rights(&b, t, d.Rights)
	case mail.TemplateAcknowledgement:
		subject = t.T("mail.ack.subject")
		b.line(t.T("mail.ack.intro", r.OrgName))
		r.rights(&b, t, d.Rights)
		b.line(t.T("mail.ack.verification"))
		if d.DueAt != nil {
			b.line(t.T("mail.ack.due", t.Date(*d.DueAt, r.Loc)))
		}
	case mail.TemplateTrackingLink:
		subject = t.T("mail.link.subject")
		b.line(t.T("mail.link.intro"))
		b.line(t.T("mail.link.old"))
	case mail.TemplateStatusChanged:
		subject = t.T("mail.status.subject")
		right := t.T("right." + d.Right)
		if d.Extra["appeal"] == "1" {
			right = t.T("track.appeal_of", right)
		}
		b.line(t.T("mail.status.intro", right, t.T("status."+d.Status)))
		if d.Status == "appeal_received" && d.DueAt != nil {
			b.line(t.T("mail.status.appeal_due", t.Date(*d.DueAt, r.Loc)))
		}
		if d.Status == "denied" {
			b.line(t.T("mail.status.denied_reason", t.T("denial."+d.Reason)))
			if d.ReasonText != "" {
				b.line(d.ReasonText)
			}
			key, args := r.Rules.Recourse(rules.Jurisdiction(d.Jurisdiction)).Message(d.Extra["appeal"] == "1")
			b.line(t.T(key, args...))
		}
	case mail.TemplateMessage:
		subject = t.T("mail.message.subject")
		b.line(t.T("mail.message.intro", t.T("right."+d.Right)))
	case mail.TemplateExtended:
		subject = t.T("mail.extended.subject")
		b.line(t.T("mail.extended.intro", t.T("right."+d.Right), t.Date(*d.DueAt, r.Loc)))
		b.line(t.T("mail.extended.reason") + "\n" + d.ReasonText)
	case mail.TemplateStaffDigest:
		subject = t.T("mail.digest.subject")
		b.line(t.N("mail.digest.intro", len(d.Items)))
		var lines []string
		for _, it := range d.Items {
			lines = append(lines, fmt.Sprintf("- %s · %s · %s\n  %s", it.Reference, t.T("right."+it.Right), t.Date(it.DueAt, r.Loc), it.URL))
		}
		b.line(strings.Join(lines, "\n"))
	case mail.TemplateStaffInvite:
		subject = t.T("mail.invite.subject", r.OrgName)
		b.line(t.T("mail.invite.intro", r.OrgName, t.T("role."+d.Role)))
		b.line(t.T("mail.invite.link", 7) + "\n" + d.URL)
	case mail.TemplatePasswordReset:
		subject = t.T("mail.reset.subject")
		b.line(t.T("mail.reset.intro", r.OrgName))
		b.line(t.T("mail.reset.link", 24) + "\n" + d.URL)
	default:
		return mail.Email{}, fmt.Errorf("email: unknown template %q", m.Template)
	}
	if d.Reference != "" {
		b.line(t.T("mail.reference", d.Reference))
	}
	if d.TrackURL != "" {
		b.line(t.T("mail.track") + "\n" + d.TrackURL)
	} else if !staffMail(m.Template) {
		b.line(t.T("mail.track_lookup") + "\n" + r.BaseURL + "/track")
	}
	b.line(t.T("mail.signoff", r.OrgName))
	return mail.Email{Subject: subject, Text: b.String()}, nil
}

func (r *Renderer) rights(b *body, t i18n.Printer, rights []string) {
	if len(rights) == 0 {
		return
	}
	var lines []string
	for _, x := range rights {
		lines = append(lines, "- "+t.T("right."+x))
	}
	b.line(t.T("mail.rights") + "\n" + strings.Join(lines, "\n"))
}

func nameOr(name string, t i18n.Printer) string {
	if name == "" {
		return t.T("mail.there")
	}
	return name
}

// body joins paragraphs with blank lines.
type body struct{ parts []string }

func (b *body) line(s string)  { b.parts = append(b.parts, s) }
func (b *body) String() string { return strings.Join(b.parts, "\n\n") + "\n" }

// staffMail reports whether a template goes to staff, who have no tracking page.
func staffMail(template string) bool {
	return template == mail.TemplateStaffDigest || template == mail.TemplateStaffInvite || template == mail.TemplatePasswordReset
}
