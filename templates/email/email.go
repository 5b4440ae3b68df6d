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
	"github.com/rightsdesk/rightsdesk/templates/wording"
)

// Renderer implements mail.Renderer.
type Renderer struct {
	Catalog *i18n.Catalog
	Rules   *rules.Engine
	OrgName string
	// Contact is the privacy team's e-mail address, for the organization's
	// own review of a refusal.
	Contact string
	BaseURL string
	Loc     *time.Location
	// Org, when set, gives the organization's name, contact address and
	// time zone as its settings say at the moment of sending.
	Org func() (name, contact string, loc *time.Location)
}

// current is the renderer with the organization as it is now.
func (r *Renderer) current() *Renderer {
	if r.Org == nil {
		return r
	}
	c := *r
	c.OrgName, c.Contact, c.Loc = r.Org()
	return &c
}

// Render turns one queued message into subject and text.
func (r *Renderer) Render(m mail.Message) (mail.Email, error) {
	r = r.current()
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
		if d.Extra["replaced"] == "1" {
			b.line(t.T("mail.link.intro_new"))
			b.line(t.T("mail.link.old"))
		} else {
			b.line(t.T("mail.link.intro"))
			b.line(t.T("mail.link.ignore"))
		}
	case mail.TemplateStatusChanged:
		subject = t.T("mail.status.subject")
		kind := d.Extra["kind"]
		if d.Extra["appeal"] == "1" {
			kind = "appeal"
		}
		status := t.T("status.appeal_received")
		if d.Status != "appeal_received" {
			status = t.T(wording.StatusKey(kind, d.Status))
		}
		b.line(t.T("mail.status.intro", wording.Subject(t, kind, d.Right), status))
		if d.Status == "merged" && d.Extra["into"] != "" && d.DueAt != nil {
			b.line(t.T("mail.status.merged", d.Extra["into"], t.Date(*d.DueAt, r.Loc)))
		}
		if d.Status == "appeal_received" && d.DueAt != nil {
			b.line(t.T("mail.status.appeal_due", t.Date(*d.DueAt, r.Loc)))
		}
		if d.Status == "denied" {
			b.line(t.T("mail.status.denied_reason", t.T("denial."+d.Reason)))
			if d.ReasonText != "" {
				b.line(d.ReasonText)
			}
			s := wording.Situation{AfterAppeal: kind == "appeal", InMail: true, Contact: r.Contact, Loc: r.Loc}
			if d.Until != nil {
				s.AppealOpen, s.AppealUntil = true, *d.Until
			}
			b.line(wording.Recourse(t, r.Rules.Recourse(rules.Jurisdiction(d.Jurisdiction)), s))
		}
		if kind == "complaint" && d.Status == "completed" {
			b.line(t.T("mail.complaint.outcome") + "\n" + d.ReasonText)
			if c := r.Rules.Law(rules.Jurisdiction(d.Jurisdiction)).Complaints; c != nil {
				b.line(t.T(c.RecourseKey, c.RecourseURL))
			}
		}
	case mail.TemplateMessage:
		subject = t.T("mail.message.subject")
		b.line(t.T("mail.message.intro", t.T("right."+d.Right)))
	case mail.TemplateExtended:
		subject = t.T("mail.extended.subject")
		kind := d.Extra["kind"]
		b.line(t.T("mail.extended.intro", wording.Subject(t, kind, d.Right), t.Date(*d.DueAt, r.Loc)))
		b.line(t.T("mail.extended.reason") + "\n" + d.ReasonText)
	case mail.TemplateInformationRequested:
		subject = t.T("mail.info.subject")
		switch {
		case d.Extra["identity"] == "1":
			b.line(t.T("mail.info.identity", t.T("right."+d.Right)))
		case d.Extra["document"] == "1":
			b.line(t.T("mail.info.document", t.T("right."+d.Right)))
		default:
			b.line(t.T("mail.info.intro", t.T("right."+d.Right)))
		}
		// Messages queued before questions were asked everywhere stopped the clock.
		if d.Extra["clock"] == "running" {
			b.line(t.T("mail.info.running"))
		} else {
			b.line(t.T("mail.info.paused"))
		}
	case mail.TemplateIdentityOutcome:
		subject = t.T("mail.identity.subject")
		switch d.Status {
		case "passed":
			b.line(t.T("mail.identity.passed", t.T("right."+d.Right)))
		case "categories":
			// 11 CCR §7024: not verified for the specific pieces; the person
			// is told, and the request is answered for the categories.
			b.line(t.T("mail.identity.categories", t.T("right."+d.Right)))
		default:
			b.line(t.T("mail.identity.review", t.T("right."+d.Right)))
		}
	case mail.TemplateStaffIdentityReview:
		subject = t.T("mail.identity_review.subject")
		b.line(t.T("mail.identity_review.intro", d.Reference))
		b.line(d.URL)
	case mail.TemplateStaffLookupDown:
		subject = t.T("mail.lookup_down.subject")
		b.line(t.T("mail.lookup_down.intro", t.T("lookup.error."+d.Reason)))
		b.line(t.T("mail.lookup_down.next") + "\n" + d.URL)
	case mail.TemplateComplaintReceived:
		subject = t.T("mail.complaint.subject")
		b.line(t.T("mail.complaint.intro", r.OrgName))
		if d.DueAt != nil {
			b.line(t.T("mail.complaint.next", t.Date(*d.DueAt, r.Loc)))
		}
		if c := r.Rules.Law(rules.Jurisdiction(d.Jurisdiction)).Complaints; c != nil {
			b.line(t.T(c.RecourseKey, c.RecourseURL))
		}
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
	case mail.TemplateAgentVerify:
		subject = t.T("mail.agent_verify.subject")
		b.line(t.T("mail.agent_verify.intro", r.OrgName))
		b.line(t.T("mail.agent_verify.link", 48) + "\n" + d.URL)
	case mail.TemplateAgentDecided:
		subject = t.T("mail.agent_decided.subject")
		if d.Status == "approved" {
			b.line(t.T("mail.agent_decided.approved", r.OrgName))
		} else {
			b.line(t.T("mail.agent_decided.rejected", r.OrgName))
			if d.ReasonText != "" {
				b.line(d.ReasonText)
			}
		}
		b.line(d.URL)
	case mail.TemplateAgentFiled:
		subject = t.T("mail.agent_filed.subject")
		b.line(t.T("mail.agent_filed.intro", d.Agent, r.OrgName))
		r.rights(&b, t, d.Rights)
		if d.DueAt != nil {
			b.line(t.T("mail.ack.due", t.Date(*d.DueAt, r.Loc)))
		}
		switch d.Status {
		case "person":
			b.line(t.T("mail.agent_filed.waiting_person"))
		case "review":
			b.line(t.T("mail.agent_filed.waiting_review"))
		}
	case mail.TemplateAgentConfirm:
		subject = t.T("mail.agent_confirm.subject")
		if d.Extra["reminder"] == "1" {
			b.line(t.T("mail.agent_confirm.reminder"))
		}
		b.line(t.T("mail.agent_confirm.intro", d.Agent, r.OrgName))
		r.rights(&b, t, d.Rights)
		b.line(t.T("mail.agent_confirm.ask"))
		b.line(t.T("mail.agent_confirm.clock"))
	case mail.TemplateAuthorityDecided:
		subject = t.T("mail.authority.subject")
		if d.Status == "accepted" {
			b.line(t.T("mail.authority.accepted"))
		} else {
			b.line(t.T("mail.authority.rejected"))
		}
		if d.ReasonText != "" {
			b.line(d.ReasonText)
		}
	case mail.TemplateStaffFraudAlert:
		subject = t.T("mail.fraud.subject")
		b.line(t.T("mail.fraud.intro", d.Agent))
		b.line(t.T("mail.fraud.next") + "\n" + d.URL)
	case mail.TemplateChoiceRecorded:
		subject = t.T("mail.choice.subject")
		b.line(t.T("mail.choice.intro", r.OrgName))
		var lines []string
		for _, x := range d.Rights {
			lines = append(lines, "- "+t.T("right."+x))
		}
		b.line(strings.Join(lines, "\n"))
		if d.DueAt != nil {
			b.line(t.T("mail.choice.due", t.Date(*d.DueAt, r.Loc)))
		}
		if d.URL != "" {
			b.line(t.T("mail.choice.centre", 7) + "\n" + d.URL)
		}
	case mail.TemplatePreferenceLink:
		subject = t.T("mail.prefs.subject")
		b.line(t.T("mail.prefs.intro", r.OrgName))
		b.line(t.T("mail.prefs.link", 7) + "\n" + d.URL)
		b.line(t.T("mail.prefs.ignore"))
	default:
		return mail.Email{}, fmt.Errorf("email: unknown template %q", m.Template)
	}
	if d.Reference != "" {
		b.line(t.T("mail.reference", d.Reference))
	}
	if d.TrackURL != "" {
		b.line(t.T("mail.track") + "\n" + d.TrackURL)
	} else if !staffMail(m.Template) && m.Template != mail.TemplatePreferenceLink {
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

// staffMail reports whether a template goes to staff or to an agent about
// their account: neither has a tracking page.
func staffMail(template string) bool {
	switch template {
	case mail.TemplateStaffDigest, mail.TemplateStaffInvite, mail.TemplatePasswordReset, mail.TemplateStaffFraudAlert,
		mail.TemplateAgentVerify, mail.TemplateAgentDecided, mail.TemplateStaffLookupDown:
		return true
	}
	return false
}
