// Package email renders the outbox's messages as mail with a text and an
// HTML part, every word from the message catalog or from the wording the
// organization edited. Subjects never carry personal data; bodies carry
// the person's name at most.
package email

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
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
	// RepliesRead: a person reads what is sent to Contact, so mail says
	// replying reaches one (RIGHTSDESK_MAIL_REPLIES).
	RepliesRead bool
	// Overrides gives the wording the organization edited, if any.
	Overrides Overrides
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

// Overrides finds the organization's wording of a stage's mail for a
// right ("" = every right) in a language (models.MailTemplates).
type Overrides interface {
	Override(stage, right, lang string) (subject, body string, ok bool)
}

// edited is an edited subject and opening, for a preview.
type edited struct{ subject, body string }

// Render turns one queued message into its subject, text and HTML.
func (r *Renderer) Render(m mail.Message) (mail.Email, error) {
	return r.render(m, nil)
}

func (r *Renderer) render(m mail.Message, edit *edited) (mail.Email, error) {
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
		b.intro(t.T("mail.verify.intro", r.OrgName))
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
		b.intro(t.T("mail.ack.intro", r.OrgName))
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
		b.intro(t.T("mail.status.intro", wording.Subject(t, kind, d.Right), status))
		if d.Status == "completed" && d.Extra["partial"] == "1" {
			b.line(t.T("mail.status.partial"))
		}
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
		b.intro(t.T("mail.message.intro", t.T("right."+d.Right)))
	case mail.TemplateExtended:
		subject = t.T("mail.extended.subject")
		kind := d.Extra["kind"]
		b.intro(t.T("mail.extended.intro", wording.Subject(t, kind, d.Right), t.Date(*d.DueAt, r.Loc)))
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
	case mail.TemplatePackageReady:
		subject = t.T("mail.package.subject")
		b.line(t.T("mail.package.intro", t.T("right."+d.Right)))
		if d.Until != nil {
			b.line(t.T("mail.package.until", t.Date(*d.Until, r.Loc)))
		}
		b.line(t.T("mail.package.how"))
	case mail.TemplatePackageCode:
		subject = t.T("mail.package_code.subject")
		b.line(t.T("mail.package_code.code", d.Code))
		b.line(t.N("mail.package_code.expires", 30))
		b.line(t.T("mail.package_code.ignore"))
	case mail.TemplateStaffDigest:
		subject = t.T("mail.digest.subject")
		b.line(t.N("mail.digest.intro", len(d.Items)))
		var lines []string
		for _, it := range d.Items {
			lines = append(lines, fmt.Sprintf("- %s · %s · %s\n  %s", it.Reference, t.T("right."+it.Right), t.Date(it.DueAt, r.Loc), it.URL))
		}
		b.line(strings.Join(lines, "\n"))
		if len(d.Holders) > 0 {
			lines = []string{t.T("mail.digest.holders")}
			for _, h := range d.Holders {
				name := h.Name
				if name == "" {
					name = t.T("mail.digest.unassigned")
				}
				lines = append(lines, "- "+t.T("mail.digest.holder", name, h.Open, h.Overdue, h.DueSoon))
			}
			b.line(strings.Join(lines, "\n"))
		}
	case mail.TemplateStaffAssigned:
		// The reference and the link: nothing about the person.
		subject = t.T("mail.assigned.subject")
		kind := d.Extra["kind"]
		if kind == "" {
			kind = "request"
		}
		b.line(t.T("mail.assigned.intro."+kind, d.Reference))
		b.line(t.T("mail.assigned.link") + "\n" + d.URL)
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
	if stage, right, ok := mail.StageOf(m.Template, d); ok && b.introAt > 0 {
		if edit == nil && r.Overrides != nil {
			if subj, body, ok := r.Overrides.Override(stage, right, t.Lang()); ok {
				edit = &edited{subject: subj, body: body}
			}
		}
		if edit != nil {
			values := r.values(t, d)
			subject = mail.Fill(edit.subject, map[string]string{"org": r.OrgName})
			b.parts[b.introAt] = mail.Fill(edit.body, values)
		}
	}
	if d.Reference != "" {
		b.line(t.T("mail.reference", d.Reference))
	}
	if d.TrackURL != "" {
		b.line(t.T("mail.track") + "\n" + d.TrackURL)
	} else if !staffMail(m.Template) && m.Template != mail.TemplatePreferenceLink {
		b.line(t.T("mail.track_lookup") + "\n" + r.BaseURL + "/track")
	}
	if !staffMail(m.Template) {
		// Whether replying reaches a person, and how else to write.
		if r.RepliesRead {
			b.line(t.T("mail.reply.read"))
		} else {
			b.line(t.T("mail.reply.unread", r.Contact))
		}
	}
	b.line(t.T("mail.signoff", r.OrgName))
	text := b.String()
	html, err := r.html(t.Lang(), subject, b.parts)
	if err != nil {
		return mail.Email{}, err
	}
	return mail.Email{Subject: subject, Text: text, HTML: html, FromName: r.OrgName, ReplyTo: r.Contact}, nil
}

// values are the placeholders' values for data d.
func (r *Renderer) values(t i18n.Printer, d mail.Data) map[string]string {
	v := map[string]string{"name": nameOr(d.Name, t), "org": r.OrgName, "reference": d.Reference}
	right := d.Right
	if right == "" && len(d.Rights) == 1 {
		right = d.Rights[0]
	}
	if right != "" {
		v["right"] = t.T("right." + right)
	}
	if d.Status != "" {
		v["status"] = t.T(wording.StatusKey("", d.Status))
	}
	if d.DueAt != nil {
		v["due_date"] = t.Date(*d.DueAt, r.Loc)
	}
	return v
}

var urlRe = regexp.MustCompile(`https?://[^\s<>"]+`)

// html renders the paragraphs of the text part as the HTML part.
func (r *Renderer) html(lang, subject string, parts []string) (string, error) {
	paras := make([]Para, 0, len(parts))
	for _, p := range parts {
		var para Para
		for _, line := range strings.Split(p, "\n") {
			var segs []Seg
			last := 0
			for _, loc := range urlRe.FindAllStringIndex(line, -1) {
				if loc[0] > last {
					segs = append(segs, Seg{Text: line[last:loc[0]]})
				}
				u := strings.TrimRight(line[loc[0]:loc[1]], ".,;)")
				segs = append(segs, Seg{Text: u, URL: u})
				last = loc[0] + len(u)
			}
			if last < len(line) {
				segs = append(segs, Seg{Text: line[last:]})
			}
			para = append(para, segs)
		}
		paras = append(paras, para)
	}
	var buf bytes.Buffer
	if err := htmlMail(lang, r.OrgName, subject, paras).Render(context.Background(), &buf); err != nil {
		return "", err
	}
	return buf.String(), nil
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

// body joins paragraphs with blank lines; introAt is the paragraph an
// edited wording replaces (0 = none: the greeting is never replaced).
type body struct {
	parts   []string
	introAt int
}

func (b *body) line(s string) { b.parts = append(b.parts, s) }

func (b *body) intro(s string) {
	b.introAt = len(b.parts)
	b.line(s)
}
func (b *body) String() string { return strings.Join(b.parts, "\n\n") + "\n" }

// staffMail reports whether a template goes to staff or to an agent about
// their account: neither has a tracking page.
func staffMail(template string) bool {
	switch template {
	case mail.TemplateStaffDigest, mail.TemplateStaffInvite, mail.TemplatePasswordReset, mail.TemplateStaffFraudAlert,
		mail.TemplateAgentVerify, mail.TemplateAgentDecided, mail.TemplateStaffLookupDown, mail.TemplateStaffAssigned,
		mail.TemplateStaffIdentityReview:
		return true
	}
	return false
}
