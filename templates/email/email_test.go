package email

import (
	"encoding/json"
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
	return &Renderer{Catalog: cat, Rules: engine, OrgName: "Example Co", BaseURL: "https://privacy.example.com", Loc: loc}
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
		for _, st := range []string{"verified", "in_progress", "completed", "withdrawn", "appeal_received", "denied"} {
			d := base
			d.Status, d.Reason = st, "cannot_verify"
			out = append(out, d)
		}
		// A denial names the recourse of each law, before and after appeal.
		for _, j := range rules.Jurisdictions() {
			for _, appeal := range []string{"", "1"} {
				d := base
				d.Status, d.Reason, d.Jurisdiction = "denied", "other", string(j)
				d.Extra = map[string]string{"appeal": appeal}
				out = append(out, d)
			}
		}
		return out
	case mail.TemplateStaffDigest:
		one := mail.Data{Items: []mail.DigestItem{{Reference: "RD-7K3M-Q9XD", Right: "delete", DueAt: due, URL: "https://privacy.example.com/admin/requests/1"}}}
		two := mail.Data{Items: append(one.Items, mail.DigestItem{Reference: "RD-AAAA-BBBB", Right: "access", DueAt: due, URL: "https://privacy.example.com/admin/requests/2"})}
		return []mail.Data{one, two}
	case mail.TemplateStaffInvite, mail.TemplatePasswordReset:
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
			for _, bad := range []string{"%!", "%d", "%s", "{day}", "(s)"} {
				if strings.Contains(e.Subject+e.Text, bad) {
					t.Errorf("%s #%d: %q in\n%s\n%s", name, i, bad, e.Subject, e.Text)
				}
			}
		}
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
