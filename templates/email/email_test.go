package email

import (
	"encoding/json"
	"html"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/i18n"
	"github.com/rightsdesk/rightsdesk/internal/mail"
	"github.com/rightsdesk/rightsdesk/internal/rules"
)

func renderer(t *testing.T) *Renderer {
	t.Helper()
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	cat.OnMissing = func(lang, key string) { t.Errorf("missing catalog key %q (%s)", key, lang) }
	engine, err := rules.New(rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	loc, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	return &Renderer{Catalog: cat, Rules: engine, OrgName: "Example Co", Contact: "privacy@example.com", BaseURL: "https://privacy.example.com", Loc: loc}
}

// sample is data a template may be given: every field set, so every branch
// that reads one runs.
func sample(template string) []mail.Data {
	due := time.Date(2026, 3, 3, 7, 30, 0, 0, time.UTC) // 2 March in Los Angeles
	base := mail.Data{Name: "Ada Lovelace", Reference: "RD-7K3M-Q9XD", TrackURL: "https://privacy.example.com/t/tok",
		VerifyURL: "https://privacy.example.com/t/tok/verify/123456", Code: "123456", Right: "access",
		Status: "completed", Jurisdiction: "US-CA", DueAt: &due, ReasonText: "Because.",
		Rights: []string{"access", "delete"}}
	switch template {
	case mail.TemplateStatusChanged:
		var out []mail.Data
		for _, st := range []string{"verified", "in_progress", "completed", "withdrawn", "appeal_received", "denied", "merged"} {
			d := base
			d.Status, d.Reason = st, "cannot_verify"
			d.Extra = map[string]string{"into": "RD-AAAA-BBBB"}
			out = append(out, d)
		}
		// A denial names the recourse of each law, before and after appeal,
		// with the last day to appeal where there is one.
		until := due.AddDate(0, 2, 0)
		for _, j := range rules.Jurisdictions() {
			for _, appeal := range []string{"", "1"} {
				d := base
				d.Status, d.Reason, d.Jurisdiction = "denied", "other", string(j)
				d.Extra = map[string]string{"appeal": appeal}
				if appeal == "" {
					d.Until = &until
				}
				out = append(out, d)
			}
		}
		// A complaint answered, with its outcome.
		c := base
		c.Status, c.Jurisdiction, c.Right, c.Extra = "completed", "GB", "complaint", map[string]string{"kind": "complaint"}
		return append(out, c)
	case mail.TemplateTrackingLink:
		renewed := base
		renewed.Extra = map[string]string{"replaced": "1"}
		return []mail.Data{base, renewed}
	case mail.TemplateComplaintReceived:
		c := base
		c.Jurisdiction = "GB"
		return []mail.Data{c}
	case mail.TemplateStaffDigest:
		one := mail.Data{Items: []mail.DigestItem{{Reference: "RD-7K3M-Q9XD", Right: "delete", DueAt: due, URL: "https://privacy.example.com/admin/requests/1"}}}
		two := mail.Data{Items: append(one.Items, mail.DigestItem{Reference: "RD-AAAA-BBBB", Right: "access", DueAt: due, URL: "https://privacy.example.com/admin/requests/2"})}
		held := two
		held.Holders = []mail.DigestHolder{{Name: "Pat Officer", Open: 4, Overdue: 1, DueSoon: 2}, {Open: 3, DueSoon: 1}}
		return []mail.Data{one, two, held}
	case mail.TemplateStaffAssigned:
		d := mail.Data{Name: "Pat Officer", Reference: "RD-7K3M-Q9XD", URL: "https://privacy.example.com/admin/requests/1"}
		appeal := d
		appeal.Extra = map[string]string{"appeal": "1", "kind": "appeal"}
		complaint := d
		complaint.Extra = map[string]string{"kind": "complaint"}
		return []mail.Data{d, appeal, complaint}
	case mail.TemplateAgentDecided:
		return []mail.Data{{Name: "Ada", Status: "approved", URL: "https://privacy.example.com/agent"},
			{Name: "Ada", Status: "rejected", ReasonText: "No registration found.", URL: "https://privacy.example.com/agent"}}
	case mail.TemplateAgentFiled:
		var out []mail.Data
		for _, st := range []string{"person", "review", ""} {
			d := base
			d.Agent, d.Status = "Jordan Person", st
			out = append(out, d)
		}
		return out
	case mail.TemplateAgentConfirm:
		d := base
		d.Agent = "Helpful Agents Inc."
		r := d
		r.Extra = map[string]string{"reminder": "1"}
		return []mail.Data{d, r}
	case mail.TemplateAuthorityDecided:
		a, r := base, base
		a.Status, r.Status = "accepted", "rejected"
		return []mail.Data{a, r}
	case mail.TemplateInformationRequested:
		var out []mail.Data
		for _, extra := range []map[string]string{nil, {"clock": "stopped"}, {"clock": "running"}, {"clock": "running", "document": "1"},
			{"clock": "stopped", "identity": "1"}} {
			d := base
			d.Reason, d.Extra = "identity", extra
			out = append(out, d)
		}
		return out
	case mail.TemplateIdentityOutcome:
		var out []mail.Data
		for _, st := range []string{"passed", "categories", "review"} {
			d := base
			d.Status = st
			out = append(out, d)
		}
		return out
	case mail.TemplateStaffIdentityReview:
		return []mail.Data{{Name: "Pat", Reference: "RD-7K3M-Q9XD", Reason: "attempts", URL: "https://privacy.example.com/admin/requests/1"}}
	case mail.TemplateStaffLookupDown:
		var out []mail.Data
		for _, k := range []string{"down", "refused", "malformed", "forged"} {
			out = append(out, mail.Data{Name: "Pat", Reason: k, URL: "https://privacy.example.com/admin/verification"})
		}
		return out
	case mail.TemplateStaffFraudAlert:
		return []mail.Data{{Name: "Pat", Reference: "RD-7K3M-Q9XD", Agent: "Helpful Agents Inc.", URL: "https://privacy.example.com/admin/requests/1"}}
	case mail.TemplateStaffInvite, mail.TemplatePasswordReset, mail.TemplateAgentVerify:
		return []mail.Data{{Name: "Ada Lovelace", URL: "https://privacy.example.com/invite/tok", Role: "reviewer"}}
	}
	anonymous := base
	anonymous.Name, anonymous.TrackURL, anonymous.Rights = "", "", nil
	return []mail.Data{base, anonymous}
}

// Every template the outbox may hold renders, with every word from the
// catalog: no missing key, no fmt error, no placeholder left.
func TestEveryTemplateRenders(t *testing.T) {
	r := renderer(t)
	for _, name := range mail.Templates() {
		for i, d := range sample(name) {
			b, err := json.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			e, err := r.Render(mail.Message{ID: 1, To: "ada@example.org", Template: name, Data: b, Lang: "en"})
			if err != nil {
				t.Errorf("%s #%d: %v", name, i, err)
				continue
			}
			if e.Subject == "" || strings.Contains(e.Subject, "Ada") || strings.Contains(e.Subject, "RD-") {
				t.Errorf("%s #%d: subject %q", name, i, e.Subject)
			}
			for _, bad := range []string{"%!", "%d", "%s", "{day}", "(s)", "reply to us through this page", "on this page"} {
				if strings.Contains(e.Subject+e.Text, bad) {
					t.Errorf("%s #%d: %q in\n%s\n%s", name, i, bad, e.Subject, e.Text)
				}
			}
			// Mail a person trusts: an HTML part beside the text, the
			// organization as the sender's name, replies to the privacy
			// contact, and whether a reply is read.
			if !strings.HasPrefix(e.HTML, "<!doctype html>") || !strings.Contains(e.HTML, "<title>"+html.EscapeString(e.Subject)+"</title>") ||
				!strings.Contains(e.HTML, ">Example Co</p>") {
				t.Errorf("%s #%d: HTML part\n%s", name, i, e.HTML)
			}
			if e.FromName != "Example Co" || e.ReplyTo != "privacy@example.com" {
				t.Errorf("%s #%d: from %q, reply to %q", name, i, e.FromName, e.ReplyTo)
			}
			unread := "Replies to this e-mail are not read. Write to us from your tracking page, or at privacy@example.com."
			if toTeamOrAgent[name] {
				if strings.Contains(e.Text, "Replies to this e-mail") || strings.Contains(e.Text, "privacy.example.com/track") {
					t.Errorf("%s #%d: the team's or an agent's account mail talks of replies and a tracking page:\n%s", name, i, e.Text)
				}
				continue
			}
			if !strings.Contains(e.Text, unread) || !strings.Contains(e.HTML, html.EscapeString(unread)) {
				t.Errorf("%s #%d: no %q in\n%s", name, i, unread, e.Text)
			}
			read := *r
			read.RepliesRead = true
			e, err = read.Render(mail.Message{ID: 1, To: "ada@example.org", Template: name, Data: b, Lang: "en"})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(e.Text, "You can reply to this e-mail: a person on our privacy team reads every reply.") || strings.Contains(e.Text, unread) {
				t.Errorf("%s #%d: replies are read, but\n%s", name, i, e.Text)
			}
		}
	}
}

// toTeamOrAgent are the templates sent to the privacy team, or to an agent
// about their account: they have no tracking page, and say nothing about
// replies.
var toTeamOrAgent = map[string]bool{
	mail.TemplateStaffDigest: true, mail.TemplateStaffInvite: true, mail.TemplatePasswordReset: true, mail.TemplateStaffFraudAlert: true,
	mail.TemplateStaffLookupDown: true, mail.TemplateStaffAssigned: true, mail.TemplateStaffIdentityReview: true,
	mail.TemplateAgentVerify: true, mail.TemplateAgentDecided: true,
}

// edits is the organization's wording of one stage, for any right.
type edits struct {
	stage string
	asked []string // stage/right/lang of each lookup
}

func (o *edits) Override(stage, right, lang string) (subject, body string, ok bool) {
	o.asked = append(o.asked, stage+"/"+right+"/"+lang)
	if stage != o.stage {
		return "", "", false
	}
	return "Edited " + stage + " from {org}", "Dear {name}, our own " + stage + " words about {reference} ({right}).", true
}

// An edit of each stage is the wording of that stage's mail, and of no
// other's: the edited subject (with the organization's name) and the
// edited opening, placeholders filled, in the text and HTML parts, the rest
// of the mail as the catalog has it. Appeals and complaints keep their own.
func TestStageEdits(t *testing.T) {
	base := sample(mail.TemplateAcknowledgement)[0]
	with := func(f func(d *mail.Data)) mail.Data {
		d := base
		f(&d)
		return d
	}
	mails := []struct {
		stage, template string
		d               mail.Data
		rest            string // a line of the catalog's that stays
	}{
		{mail.StageAcknowledgement, mail.TemplateAcknowledgement, base, "We will answer by 2 March 2026."},
		{mail.StageVerification, mail.TemplateVerifyEmail, base, "Your code: 123456"},
		{mail.StageExtension, mail.TemplateExtended, base, "Because."},
		{mail.StageDenial, mail.TemplateStatusChanged, with(func(d *mail.Data) { d.Status, d.Reason = "denied", "exemption" }), "Because."},
		{mail.StageMessage, mail.TemplateMessage, base, "Your reference code: RD-7K3M-Q9XD"},
		{mail.StageCompletion, mail.TemplateStatusChanged, with(func(d *mail.Data) { d.Status = "completed" }), "Your reference code: RD-7K3M-Q9XD"},
	}
	if len(mails) != len(mail.Stages) {
		t.Fatalf("%d stages, %d tested", len(mail.Stages), len(mails))
	}
	appeal := with(func(d *mail.Data) {
		d.Status, d.Reason, d.Extra = "denied", "exemption", map[string]string{"appeal": "1"}
	})
	complaint := with(func(d *mail.Data) {
		d.Status, d.Right, d.Extra = "completed", "complaint", map[string]string{"kind": "complaint"}
	})
	for _, edited := range mail.Stages {
		t.Run(edited, func(t *testing.T) {
			r := renderer(t)
			o := &edits{stage: edited}
			r.Overrides = o
			for _, m := range mails {
				if stage, _, ok := mail.StageOf(m.template, m.d); !ok || stage != m.stage {
					t.Fatalf("%s is stage %q, not %q", m.template, stage, m.stage)
				}
				b, _ := json.Marshal(m.d)
				o.asked = nil
				e, err := r.Render(mail.Message{Template: m.template, Data: b, Lang: "en"})
				if err != nil {
					t.Fatal(err)
				}
				if want := []string{m.stage + "/access/en"}; strings.Join(o.asked, ",") != strings.Join(want, ",") {
					t.Errorf("%s: asked for %v, want %v", m.stage, o.asked, want)
				}
				opening := "Dear Ada Lovelace, our own " + m.stage + " words about RD-7K3M-Q9XD (See your information)."
				uses := e.Subject == "Edited "+m.stage+" from Example Co" && strings.Contains(e.Text, opening) && strings.Contains(e.HTML, opening)
				if uses != (m.stage == edited) {
					t.Errorf("the %s mail with the %s stage edited: subject %q\n%s", m.stage, edited, e.Subject, e.Text)
				}
				if strings.Contains(e.Text, "{") || !strings.Contains(e.Text, m.rest) || !strings.HasPrefix(e.Text, "Hello Ada Lovelace,") {
					t.Errorf("the %s mail lost the rest of its words:\n%s", m.stage, e.Text)
				}
			}
			for _, d := range []mail.Data{appeal, complaint} {
				b, _ := json.Marshal(d)
				e, err := r.Render(mail.Message{Template: mail.TemplateStatusChanged, Data: b, Lang: "en"})
				if err != nil {
					t.Fatal(err)
				}
				if strings.Contains(e.Text, "our own") || strings.HasPrefix(e.Subject, "Edited") {
					t.Errorf("an appeal's or a complaint's mail used the %s edit:\n%s", edited, e.Text)
				}
			}
		})
	}
}

func TestRenderWords(t *testing.T) {
	r := renderer(t)
	render := func(name string, d mail.Data) string {
		b, _ := json.Marshal(d)
		e, err := r.Render(mail.Message{Template: name, Data: b, Lang: "fr"}) // no French yet: English
		if err != nil {
			t.Fatal(err)
		}
		return e.Text
	}
	for _, tc := range []struct {
		name string
		d    mail.Data
		want []string
	}{
		{mail.TemplateAcknowledgement, sample(mail.TemplateAcknowledgement)[0], []string{"Hello Ada Lovelace,", "We will answer by 2 March 2026."}},
		{mail.TemplateVerifyEmail, sample(mail.TemplateVerifyEmail)[1], []string{"Hello there,", "The code works for 30 minutes.", "/track"}},
		{mail.TemplateStaffDigest, sample(mail.TemplateStaffDigest)[0], []string{"1 open request is due within 7 days or overdue:", "RD-7K3M-Q9XD · Delete your information · 2 March 2026"}},
		{mail.TemplateStaffDigest, sample(mail.TemplateStaffDigest)[1], []string{"2 open requests are due within 7 days or overdue:"}},
		// Who holds what: each member, then the requests no one holds.
		{mail.TemplateStaffDigest, sample(mail.TemplateStaffDigest)[2], []string{"Who holds the open requests",
			"- Pat Officer: 4 open, 1 overdue, 2 due within 7 days\n- No one (unassigned): 3 open, 0 overdue, 1 due within 7 days"}},
		// An assignment says the reference and the link, nothing about the person.
		{mail.TemplateStaffAssigned, sample(mail.TemplateStaffAssigned)[0], []string{"Hello Pat Officer,", "Request RD-7K3M-Q9XD was assigned to you.",
			"https://privacy.example.com/admin/requests/1"}},
		{mail.TemplateStaffAssigned, sample(mail.TemplateStaffAssigned)[1], []string{"The appeal RD-7K3M-Q9XD was assigned to you."}},
		// The link sent from /track is the same link; a new one replaces it.
		{mail.TemplateTrackingLink, sample(mail.TemplateTrackingLink)[0], []string{"Here is the link to your privacy request"}},
		{mail.TemplateTrackingLink, sample(mail.TemplateTrackingLink)[1], []string{"Here is the new link", "Earlier links no longer work."}},
		// A denial in a state with an appeal says until when, from the tracking page.
		{mail.TemplateStatusChanged, deny("US-VA", "", "2026-05-02"), []string{"You can appeal this decision until 1 May 2026, from your tracking page"}},
		{mail.TemplateStatusChanged, deny("US-VA", "1", ""), []string{"Appeal: See your information", "contact your state Attorney General"}},
		{mail.TemplateStatusChanged, deny("OTHER", "", ""), []string{"write to us at privacy@example.com"}},
		{mail.TemplateStatusChanged, deny("CA", "", ""), []string{"within 6 months of the refusal"}},
		{mail.TemplateStatusChanged, deny("CA-QC", "", ""), []string{"within 30 days of it"}},
		{mail.TemplateInformationRequested, sample(mail.TemplateInformationRequested)[0], []string{"we need information from you", "on hold"}},
		{mail.TemplateComplaintReceived, sample(mail.TemplateComplaintReceived)[0], []string{"This acknowledges your complaint to Example Co",
			"we aim to answer by 2 March 2026", "Information Commissioner's Office"}},
	} {
		text := render(tc.name, tc.d)
		for _, w := range tc.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: no %q in\n%s", tc.name, w, text)
			}
		}
	}
	if _, err := r.Render(mail.Message{Template: "no_such_template", Data: []byte(`{}`)}); err == nil {
		t.Error("rendered an unknown template")
	}
}

// deny is a denial mail in jurisdiction j (appeal "1": an appeal upheld
// it) with the last day to appeal, if any (a UTC date).
func deny(j, appeal, until string) mail.Data {
	d := sample(mail.TemplateVerifyEmail)[0]
	d.Status, d.Reason, d.Jurisdiction, d.Extra = "denied", "exemption", j, map[string]string{"appeal": appeal}
	if until != "" {
		u, _ := time.Parse(time.DateOnly, until)
		d.Until = &u
	}
	return d
}
