package web_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/rightsdesk/rightsdesk/internal/testsmtp"
	"github.com/rightsdesk/rightsdesk/models"
)

// agent makes an approved agent with a confirmed address and signs it in.
func (h *harness) agent(email string) *browser {
	h.t.Helper()
	ctx := context.Background()
	a, err := h.app.Agents.Register(ctx, models.AgentInput{Name: "Avery Agent", Organization: "Helpful Agents Inc.",
		RegisteredBusiness: true, SOSNumber: "C1234567", Email: email, Password: "correct horse battery staple"}, models.Client{})
	if err != nil {
		h.t.Fatal(err)
	}
	if err := h.app.Core.DB().Model(&models.Agent{}).Where("id = ?", a.ID).Update("email_verified_at", time.Now()).Error; err != nil {
		h.t.Fatal(err)
	}
	if err := h.app.Agents.Decide(ctx, a.ID, true, "", models.SystemActor); err != nil {
		h.t.Fatal(err)
	}
	return h.agentLogin(email)
}

func (h *harness) agentLogin(email string) *browser {
	h.t.Helper()
	b := h.browser()
	b.get("/agent/login")
	if res := b.post("/agent/login", url.Values{"email": {email}, "password": {"correct horse battery staple"}}); res.status != http.StatusSeeOther {
		h.t.Fatalf("agent login: %d %s", res.status, res.text(".error-summary"))
	}
	b.email = email
	return b
}

// upload posts a multipart form as a browser does: the CSRF token first,
// the fields, then the file.
func (b *browser) upload(path string, fields url.Values, name string, content []byte) page {
	b.h.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("_csrf", b.csrf)
	for k, vs := range fields {
		for _, v := range vs {
			w.WriteField(k, v)
		}
	}
	if name != "" {
		fw, _ := w.CreateFormFile("document", name)
		fw.Write(content)
	}
	w.Close()
	req, err := http.NewRequest(http.MethodPost, b.url(path), &body)
	if err != nil {
		b.h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	return b.do(req)
}

// filing is a Californian's access and deletion requests, filed with a
// signed permission.
func filing(email string) url.Values {
	return url.Values{"country": {"US"}, "state": {"CA"}, "authority": {models.AuthorityPermission},
		"rights": {"access", "delete"}, "name": {"Jordan Person"}, "email": {email}, "relationship": {"customer"}}
}

// fileSteps walks steps 1 and 2 and returns the upload page's fields.
func (b *browser) fileSteps(form url.Values) (page, url.Values) {
	b.h.t.Helper()
	b.get("/agent/file")
	step2 := b.post("/agent/file/where", url.Values{"country": form["country"], "state": form["state"], "province": form["province"]})
	if step2.status != http.StatusOK {
		b.h.t.Fatalf("step 1: %d %s", step2.status, step2.text("main"))
	}
	form = cloneValues(form)
	form.Set("nonce", step2.doc.Find(`input[name="nonce"]`).AttrOr("value", ""))
	step3 := b.post("/agent/file/details", form)
	if step3.status != http.StatusOK {
		b.h.t.Fatalf("step 2: %d %s", step3.status, step3.text(".error-summary"))
	}
	fields := url.Values{}
	step3.doc.Find(`form[enctype="multipart/form-data"] input[type="hidden"]`).Each(func(_ int, s *goquery.Selection) {
		if n := s.AttrOr("name", ""); n != "_csrf" {
			fields.Add(n, s.AttrOr("value", ""))
		}
	})
	return step3, fields
}

// signedPDF is a small, plain PDF, as a scan of a signed form would be.
func signedPDF(extra string) []byte {
	return []byte("%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R " + extra + " >>\nendobj\n" +
		"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
}

// file files form with doc and returns the filing page.
func (b *browser) file(form url.Values, name string, doc []byte) page {
	b.h.t.Helper()
	_, fields := b.fileSteps(form)
	res := b.upload("/agent/file", fields, name, doc)
	if res.status != http.StatusSeeOther {
		b.h.t.Fatalf("file: %d %s", res.status, res.text(".error-summary"))
	}
	return b.follow(res)
}

var trackRe = regexp.MustCompile(`https?://\S+(/t/[A-Za-z0-9_-]{43})`)

func requestIDs(t *testing.T, h *harness, ref string) []int64 {
	t.Helper()
	var ids []int64
	h.app.Core.DB().Table("requests").Joins("JOIN submissions ON submissions.id = requests.submission_id").
		Where("submissions.reference = ?", ref).Order("requests.id").Pluck("requests.id", &ids)
	return ids
}

func statuses(t *testing.T, h *harness, ref string) []string {
	t.Helper()
	var out []string
	h.app.Core.DB().Table("requests").Joins("JOIN submissions ON submissions.id = requests.submission_id").
		Where("submissions.reference = ?", ref).Order("requests.id").Pluck("requests.status", &out)
	return out
}

// Registration: the form, the mailed link, sign-in while pending (no
// filing yet), approval by staff, and the agent told.
func TestAgentRegistration(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		b := h.browser()
		b.get("/agent/register")
		bad := b.post("/agent/register", url.Values{"name": {"Avery"}, "registered_business": {"yes"}, "email": {"avery@example.org"}, "password": {"long enough password"}})
		if bad.status != http.StatusUnprocessableEntity || bad.text("#f-sos_number-error") == "" || bad.text("#f-organization-error") == "" {
			t.Fatalf("a registered business without its number: %d %s", bad.status, bad.text(".error-summary"))
		}
		res := b.post("/agent/register", url.Values{"name": {"Avery"}, "organization": {"Helpful Agents Inc."}, "registered_business": {"yes"},
			"sos_number": {"C7654321"}, "email": {"avery@example.org"}, "password": {"long enough password"}})
		if res.status != http.StatusOK || !strings.Contains(res.text("main"), "emailed you a link") {
			t.Fatalf("register: %d %s", res.status, res.text("main"))
		}
		// Not confirmed yet: no sign-in.
		b.get("/agent/login")
		if res := b.post("/agent/login", url.Values{"email": {"avery@example.org"}, "password": {"long enough password"}}); res.status != http.StatusForbidden {
			t.Fatalf("sign-in before confirming: %d", res.status)
		}
		link := regexp.MustCompile(`https?://\S+/agent/verify/[A-Za-z0-9_-]{43}`).FindString(h.mailTo("avery@example.org", "Confirm your email").Text())
		if link == "" {
			t.Fatal("no confirmation link")
		}
		b.get(link)
		if res := b.post(link, url.Values{}); res.status != http.StatusSeeOther {
			t.Fatalf("confirm: %d", res.status)
		}
		if res := b.get(link); res.status != http.StatusNotFound {
			t.Fatalf("a used link: %d", res.status)
		}
		b.get("/agent/login")
		if res := b.post("/agent/login", url.Values{"email": {"avery@example.org"}, "password": {"long enough password"}}); res.status != http.StatusSeeOther {
			t.Fatalf("sign-in: %d", res.status)
		}
		if res := b.get("/agent"); !strings.Contains(res.text("main"), "reviewing your agent account") {
			t.Fatalf("dashboard while pending: %s", res.text("main"))
		}
		if res := b.get("/agent/file"); res.status != http.StatusForbidden {
			t.Fatalf("filing while pending: %d", res.status)
		}
		// Staff approve it, once.
		staff := h.staff()
		list := staff.get("/admin/agents")
		if !strings.Contains(list.text("main"), "Helpful Agents Inc.") || !strings.Contains(list.text("main"), "C7654321") {
			t.Fatalf("agents page: %s", list.text("main"))
		}
		action, _ := list.doc.Find(`form[action$="/approve"]`).Attr("action")
		if res := staff.post(action, url.Values{}); res.status != http.StatusSeeOther {
			t.Fatalf("approve: %d", res.status)
		}
		if res := staff.post(action, url.Values{}); res.status != http.StatusConflict {
			t.Fatalf("approve twice: %d", res.status)
		}
		if m := h.mailTo("avery@example.org", "agent account").Text(); !strings.Contains(m, "approved") {
			t.Fatalf("approval mail: %s", m)
		}
		if res := b.get("/agent/file"); res.status != http.StatusOK {
			t.Fatalf("filing once approved: %d", res.status)
		}
	})
}

// Each kind of authority: a signed permission waits for the person's own
// confirmation (and staff's review); a power of attorney does not ask the
// person; a parent or guardian may ask even where agents may not (Virginia).
func TestAgentAuthorityKinds(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		ag := h.agent("kinds-agent@example.org")
		staff := h.staff()
		review := func(ref string, accept bool) {
			t.Helper()
			id := requestIDs(t, h, ref)[0]
			p := staff.get("/admin/requests/" + itoa(id))
			if !strings.Contains(p.text("main"), "Helpful Agents Inc.") || p.doc.Find(`iframe[src^="/admin/documents/"], img[src^="/admin/documents/"]`).Length() != 1 {
				t.Fatalf("request page lacks the agent or the document preview: %s", p.text("#auth-h"))
			}
			decision := "accept"
			if !accept {
				decision = "reject"
			}
			reason := "Checked the signature."
			if !accept {
				// A rejection says why: without a reason it is refused by the box.
				if res := staff.post("/admin/requests/"+itoa(id)+"/authority", url.Values{"decision": {"reject"}, "reason": {" "}}); res.status != http.StatusUnprocessableEntity || res.text("#f-reason-error") == "" {
					t.Fatalf("rejection without a reason: %d %s", res.status, res.text(".error-summary"))
				}
				reason = "The signature does not match the one on file."
			}
			if res := staff.post("/admin/requests/"+itoa(id)+"/authority", url.Values{"decision": {decision}, "reason": {reason}}); res.status != http.StatusSeeOther {
				t.Fatalf("review: %d %s", res.status, res.text(".error-summary"))
			}
			// The agent is told, with the decision, the reason and its own
			// page of the request; the subject names nobody.
			m := h.smtp.WaitFor(t, func(m testsmtp.Received) bool {
				return slices.Contains(m.To, "kinds-agent@example.org") && strings.Contains(m.Subject, "About the agent acting for you") &&
					strings.Contains(m.Text(), ref)
			}, 15*time.Second)
			want := "We accepted the authority"
			if !accept {
				want = "We did not accept the authority"
			}
			if body := m.Text(); !strings.Contains(body, want) || !strings.Contains(body, reason) || !strings.Contains(body, "/agent/requests/") ||
				strings.Contains(m.Subject, "Jordan") || strings.Contains(m.Subject, "Kim") {
				t.Fatalf("agent's mail after the decision (%s): %s\n%s", decision, m.Subject, body)
			}
		}

		// (a) A signed permission.
		page := ag.file(filing("perm-person@example.org"), "permission.pdf", signedPDF(""))
		ref := refRe.FindString(page.text("h1"))
		if ref == "" || !strings.Contains(page.text("main"), "Waiting for the person") {
			t.Fatalf("filing page: %s", page.text("main"))
		}
		confirm := h.mailTo("perm-person@example.org", "Did you ask someone")
		if !strings.Contains(confirm.Text(), "Helpful Agents Inc.") || strings.Contains(confirm.Subject, "Jordan") {
			t.Fatalf("confirmation mail: %s\n%s", confirm.Subject, confirm.Text())
		}
		h.mailTo("kinds-agent@example.org", "Requests received")
		if dash := ag.get("/agent"); !strings.Contains(dash.text("table"), ref) || !strings.Contains(dash.text("table"), "Waiting for the person") {
			t.Fatalf("dashboard: %s", dash.text("main"))
		}
		review(ref, true)
		if got := statuses(t, h, ref); got[0] != models.StatusAwaitingVerification {
			t.Fatalf("accepted but unconfirmed: %v", got)
		}
		person := h.browser()
		track := person.get(trackRe.FindStringSubmatch(confirm.Text())[1])
		if track.doc.Find(`input[name="answer"][value="yes"]`).Length() != 1 || track.doc.Find(`#f-code`).Length() != 0 {
			t.Fatalf("tracking page does not ask: %s", track.text("main"))
		}
		token := strings.TrimPrefix(trackRe.FindStringSubmatch(confirm.Text())[1], "/t/")
		if res := person.post("/t/"+token+"/authority", url.Values{"answer": {"yes"}}); res.status != http.StatusSeeOther {
			t.Fatalf("confirm: %d", res.status)
		}
		// The person then proves their own identity at each right's tier
		// (11 CCR §7063(a)(2)): their tracking page asks the questions.
		if got := statuses(t, h, ref); got[0] != models.StatusAwaitingVerification || got[1] != models.StatusAwaitingVerification {
			t.Fatalf("after confirmation and review: %v", got)
		}
		if track := person.get("/t/" + token); track.doc.Find(`form[action$="/identity"] #f-q_name`).Length() != 1 {
			t.Fatalf("the person is not asked to confirm their identity:\n%s", track.text("main"))
		}

		// (b) A power of attorney: the person is not asked.
		poa := filing("poa-person@example.org")
		poa.Set("authority", models.AuthorityPOA)
		ref = refRe.FindString(ag.file(poa, "poa.pdf", signedPDF("")).text("h1"))
		var asked int64
		h.app.Core.DB().Model(&models.OutboxMessage{}).Where("to_addr = ?", "poa-person@example.org").Count(&asked)
		if asked != 0 {
			t.Fatalf("the person was mailed %d times under a power of attorney", asked)
		}
		review(ref, true)
		if got := statuses(t, h, ref); got[0] != models.StatusVerified {
			t.Fatalf("power of attorney accepted: %v", got)
		}

		// (c) A parent in Virginia, where agents may do nothing.
		va := url.Values{"country": {"US"}, "state": {"VA"}, "authority": {models.AuthorityPermission}, "rights": {"access"},
			"name": {"Kim Child"}, "email": {"child@example.org"}, "relationship": {"customer"}}
		_, _ = ag.fileSteps(url.Values{"country": {"US"}, "state": {"CA"}, "rights": {"access"}, "authority": {"permission"},
			"name": {"x"}, "email": {"x@example.org"}, "relationship": {"customer"}})
		ag.get("/agent/file")
		step2 := ag.post("/agent/file/where", url.Values{"country": {"US"}, "state": {"VA"}})
		if !strings.Contains(step2.text("#missing-rights"), "does not let an authorized agent act") {
			t.Fatalf("Virginia: no explanation of the missing rights: %s", step2.text("main"))
		}
		va.Set("nonce", step2.doc.Find(`input[name="nonce"]`).AttrOr("value", ""))
		if res := ag.post("/agent/file/details", va); res.status != http.StatusUnprocessableEntity || res.text("#f-rights-error") == "" {
			t.Fatalf("an agent's permission in Virginia: %d", res.status)
		}
		va.Set("authority", models.AuthorityGuardian)
		ref = refRe.FindString(ag.file(va, "birth-certificate.pdf", signedPDF("")).text("h1"))
		h.app.Core.DB().Model(&models.OutboxMessage{}).Where("to_addr = ?", "child@example.org").Count(&asked)
		if asked != 0 {
			t.Fatal("the child was asked to confirm")
		}
		review(ref, true)
		if got := statuses(t, h, ref); got[0] != models.StatusVerified {
			t.Fatalf("guardian accepted: %v", got)
		}

		// A rejected authority denies the requests; agent and person are told.
		ref = refRe.FindString(ag.file(poa, "poa.pdf", signedPDF("")).text("h1"))
		review(ref, false)
		if got := statuses(t, h, ref); got[0] != models.StatusDenied {
			t.Fatalf("rejected authority: %v", got)
		}
		if m := h.mailTo("poa-person@example.org", "Update on your privacy request").Text(); !strings.Contains(m, "did not show") {
			t.Fatalf("the person's denial mail: %s", m)
		}
	})
}
