package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/rightsdesk/rightsdesk/internal/testsmtp"
	"github.com/rightsdesk/rightsdesk/models"
)

// ukForm is the standard form for someone in the United Kingdom asking
// to see their information.
func ukForm(email string) url.Values {
	form := submission()
	form.Set("country", "GB")
	form.Set("state", "")
	form.Set("email", email)
	form["rights"] = []string{"access"}
	return form
}

// failedForm checks that a form that failed says so first: the page title
// starts with "Error:" and the error summary comes before anything else
// the page says (its heading, its forms).
func failedForm(t *testing.T, what string, p page, status int) {
	t.Helper()
	if p.status != status {
		t.Fatalf("%s: status %d, want %d\n%s", what, p.status, status, p.text("main"))
	}
	if title := p.text("title"); !strings.HasPrefix(title, "Error: ") {
		t.Errorf("%s: title %q does not start with Error:", what, title)
	}
	main, _ := p.doc.Find("main").Html()
	summary, h1 := strings.Index(main, `class="error-summary"`), strings.Index(main, "<h1")
	if summary < 0 || h1 >= 0 && h1 < summary || strings.Index(main, "<form") < summary {
		t.Errorf("%s: the error summary is not at the top of the page:\n%s", what, p.text("main"))
	}
	if n := p.doc.Find(".error-summary").Length(); n != 1 {
		t.Errorf("%s: %d error summaries", what, n)
	}
	if _, autofocus := p.doc.Find(".error-summary").Attr("autofocus"); !autofocus || p.doc.Find(".error-summary").AttrOr("tabindex", "") != "-1" ||
		p.doc.Find(".error-summary a").Length() == 0 {
		t.Errorf("%s: the summary is not focusable or links no field", what)
	}
}

// The UK stop-the-clock through the router: staff ask the person for
// information; the tracking page shows the question and takes the answer;
// the pause and both dates are on the timeline and the staff page; the
// deadline moves by exactly the days it stood; the queue shows no
// countdown meanwhile, and the extension waits for the restart.
func TestUKClockStopsThroughTheRouter(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		h.freeze(received) // 31 January 2026, 10:00 in Los Angeles: due 28 February
		person := h.browser()
		track := person.submit(ukForm("uk-pause@example.org"))
		ref := track.text(".panel .ref")
		link, code := trackLink(t, h.mailTo("uk-pause@example.org", "Confirm").Text(), h.srv.URL), ""
		if m := codeRe.FindStringSubmatch(h.mailTo("uk-pause@example.org", "Confirm").Text()); m != nil {
			code = m[1]
		}
		if res := person.post(link+"/verify", url.Values{"code": {code}}); res.status != http.StatusSeeOther {
			t.Fatalf("verify: %d", res.status)
		}
		staff := h.staff()
		href, req := h.staffOpen(staff, ref, "See your information", "request")
		if req.doc.Find(`form[action$="/pause"] input[name=pause_reason]`).Length() != 2 {
			t.Fatalf("no pause form with two reasons for a UK access request:\n%s", req.text("main"))
		}

		// 2 February: staff ask. A question is required.
		asked := received.Add(2 * 24 * time.Hour)
		h.freeze(asked)
		failedForm(t, "pause without a question", staff.post(href+"/pause", url.Values{"pause_reason": {"clarify"}, "question": {" "}}),
			http.StatusUnprocessableEntity)
		res := staff.post(href+"/pause", url.Values{"pause_reason": {"clarify"}, "question": {"Which of your two accounts do you mean?"}})
		if res.status != http.StatusSeeOther {
			t.Fatalf("pause: %d %s", res.status, res.text(".error-summary"))
		}
		req = staff.follow(res)
		if !strings.Contains(req.text("h1 + p"), "Clock stopped") || req.doc.Find(`form[action$="/resume"]`).Length() != 1 ||
			req.doc.Find(`form[action$="/pause"]`).Length() != 0 || !strings.Contains(req.body, "stopped since 2 February 2026") {
			t.Fatalf("staff page while paused:\n%s", req.text("main"))
		}
		// No extension while the clock stands.
		if res := staff.post(href+"/extend", url.Values{"reason": {"Volume."}}); res.status != http.StatusConflict ||
			!strings.Contains(res.text(".error-summary"), "clock is stopped") {
			t.Fatalf("extension while paused: %d %s", res.status, res.text(".error-summary"))
		}
		q := staff.get("/admin?status=all")
		if row := q.doc.Find("table.queue tbody tr").FilterFunction(func(_ int, s *goquery.Selection) bool {
			return strings.Contains(s.Text(), ref)
		}); !strings.Contains(row.Text(), "Clock stopped") || row.Find("td.due.risk, td.due.overdue").Length() != 0 {
			t.Fatalf("queue row while paused: %q", row.Text())
		}
		m := h.mailTo("uk-pause@example.org", "We need information from you")
		if strings.Contains(m.Text(), "two accounts") || trackLink(t, m.Text(), h.srv.URL) != link {
			t.Fatalf("the mail carries the question or not the link:\n%s", m.Text())
		}

		// The person sees the question and answers on 11 February: 2 to 11
		// February do not count, ten days, so 28 February becomes 10 March.
		page := person.get(link)
		if !strings.Contains(page.text(".card"), "Which of your two accounts") || !strings.Contains(page.text(".badge"), "Waiting for you") ||
			!strings.Contains(page.body, "On hold since 2 February 2026") || page.doc.Find("#f-answer").Length() != 1 {
			t.Fatalf("tracking page while paused:\n%s", page.text("main"))
		}
		h.freeze(received.Add(11 * 24 * time.Hour))
		action := link + "/requests/" + strings.TrimPrefix(href, "/admin/requests/") + "/answer"
		failedForm(t, "an empty answer", person.post(action, url.Values{"answer": {""}}), http.StatusUnprocessableEntity)
		res = person.post(action, url.Values{"answer": {"The one opened in 2019."}})
		if res.status != http.StatusSeeOther {
			t.Fatalf("answer: %d %s", res.status, res.text(".error-summary"))
		}
		page = person.follow(res)
		if !strings.Contains(page.text(".notice"), "the clock has restarted") || page.doc.Find("#f-answer").Length() != 0 ||
			page.text(".card table.summary time") != "10 March 2026" || !strings.Contains(page.body, "Moved 10 days later") {
			t.Fatalf("tracking page after the answer:\n%s", page.text("main"))
		}
		for _, want := range []string{"Clock stopped: we asked for information", "Information received: the clock restarted", "The one opened in 2019."} {
			if !strings.Contains(page.text(".timeline"), want) {
				t.Errorf("timeline lacks %q:\n%s", want, page.text(".timeline"))
			}
		}
		if res := person.post(action, url.Values{"answer": {"again"}}); res.status != http.StatusConflict {
			t.Fatalf("a second answer: %d", res.status)
		}
		req = staff.get(href)
		if !strings.Contains(req.body, "stopped 2 February 2026, restarted 11 February 2026; 10 days did not count and the deadline moved from 28 February 2026 to 10 March 2026") {
			t.Fatalf("the pause is not recorded with both dates:\n%s", req.text("table.summary"))
		}
		var pauses []models.RequestPause
		h.app.Core.DB().Find(&pauses)
		if len(pauses) != 1 || pauses[0].Days != 10 || pauses[0].EndedBy != models.PauseEndedByAnswer {
			t.Fatalf("pauses %+v", pauses)
		}
		// Extended now: two months from the moved deadline.
		if res := staff.post(href+"/extend", url.Values{"reason": {"Two archives to search."}}); res.status != http.StatusSeeOther {
			t.Fatalf("extension after the restart: %d %s", res.status, res.text(".error-summary"))
		}
		if !strings.Contains(staff.get(href).body, "10 May 2026") {
			t.Fatal("extended deadline not 10 May 2026")
		}
		// Where the law lets no clock stop there is no form, and a post is refused.
		form := submission()
		form.Set("email", "ca-nopause@example.org")
		caRef := h.browser().submit(form).text(".panel .ref")
		caHref, caReq := h.staffOpen(staff, caRef, "Delete your information", "request")
		if caReq.doc.Find(`form[action$="/pause"]`).Length() != 0 {
			t.Fatal("a California request offers to stop the clock")
		}
		if res := staff.post(caHref+"/pause", url.Values{"pause_reason": {"identity"}, "question": {"Who?"}}); res.status != http.StatusConflict {
			t.Fatalf("pause in California: %d", res.status)
		}
	})
}

// A UK complaint through the router: from 19 June 2026 only, from the
// tracking page, acknowledged at once, one open at a time, in its own
// queue, answered with an outcome and the ICO as the next step.
func TestUKComplaintThroughTheRouter(t *testing.T) {
	h := newHarness(t, "sqlite")
	h.freeze(time.Date(2026, 6, 18, 17, 0, 0, 0, time.UTC))
	person := h.browser()
	person.submit(ukForm("uk-complaint@example.org"))
	link := trackLink(t, h.mailTo("uk-complaint@example.org", "Confirm").Text(), h.srv.URL)
	if person.get(link).doc.Find("#f-complaint").Length() != 0 {
		t.Fatal("a complaint form before 19 June 2026")
	}
	h.freeze(time.Date(2026, 6, 20, 17, 0, 0, 0, time.UTC)) // 20 June, 10:00 in Los Angeles
	page := person.get(link)
	if page.doc.Find(`form[action$="/complaint"] #f-complaint`).Length() != 1 {
		t.Fatalf("no complaint form:\n%s", page.text("main"))
	}
	failedForm(t, "an empty complaint", person.post(link+"/complaint", url.Values{"complaint": {""}}), http.StatusUnprocessableEntity)
	res := person.post(link+"/complaint", url.Values{"complaint": {"You sent my letter to my old address."}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("complaint: %d %s", res.status, res.text(".error-summary"))
	}
	page = person.follow(res)
	card := page.doc.Find(".card").FilterFunction(func(_ int, s *goquery.Selection) bool {
		return strings.Contains(s.Find("h2").Text(), "Complaint about how we handled your data")
	})
	if !strings.Contains(card.Text(), "Complaint received") || !strings.Contains(card.Text(), "Receipt acknowledged") ||
		!strings.Contains(card.Text(), "We aim to answer by") || !strings.Contains(card.Text(), "20 July 2026") ||
		!strings.Contains(card.Text(), "You sent my letter") || page.doc.Find("#f-complaint").Length() != 0 {
		t.Fatalf("complaint card:\n%s", page.text("main"))
	}
	ack := h.mailTo("uk-complaint@example.org", "We received your complaint")
	if !strings.Contains(ack.Text(), "This acknowledges your complaint") || strings.Contains(ack.Text(), "old address") {
		t.Fatalf("acknowledgement:\n%s", ack.Text())
	}
	staff := h.staff()
	href, req := h.staffOpen(staff, page.text("main strong"), "Complaint", "complaint")
	if req.doc.Find("#f-denial_reason").Length() != 0 || req.doc.Find(`input[name=status][value=denied]`).Length() != 0 ||
		req.text(`label[for="f-detail"]`) != "Outcome" || req.doc.Find(`form[action$="/extend"]`).Length() != 0 {
		t.Fatalf("staff complaint page:\n%s", req.text("main"))
	}
	failedForm(t, "an answer without an outcome", staff.post(href+"/status", url.Values{"status": {"completed"}}), http.StatusUnprocessableEntity)
	if res := staff.post(href+"/status", url.Values{"status": {"completed"}, "detail": {"We corrected the address and apologise."}}); res.status != http.StatusSeeOther {
		t.Fatalf("answer: %d %s", res.status, res.text(".error-summary"))
	}
	page = person.get(link)
	if text := page.text("main"); !strings.Contains(text, "Answered") || !strings.Contains(text, "We corrected the address") ||
		!strings.Contains(text, "Information Commissioner's Office") || page.doc.Find("#f-complaint").Length() != 1 {
		t.Fatalf("after the answer:\n%s", page.text("main"))
	}
	m := h.smtp.WaitFor(t, func(r testsmtp.Received) bool {
		return r.To[0] == "uk-complaint@example.org" && strings.Contains(r.Text(), "The outcome of your complaint")
	}, 15*time.Second)
	if !strings.Contains(m.Text(), "We corrected the address") {
		t.Fatalf("outcome mail:\n%s", m.Text())
	}
	// Elsewhere there is no complaint form.
	eu := h.browser()
	form := ukForm("eu-complaint@example.org")
	form.Set("country", "DE")
	eu.submit(form)
	euLink := trackLink(t, h.mailTo("eu-complaint@example.org", "Confirm").Text(), h.srv.URL)
	if eu.get(euLink).doc.Find("#f-complaint").Length() != 0 {
		t.Fatal("a complaint form under the GDPR")
	}
	if res := eu.post(euLink+"/complaint", url.Values{"complaint": {"x"}}); res.status != http.StatusConflict {
		t.Fatalf("an EU complaint: %d", res.status)
	}
}

// Every page says only what is true today, and points somewhere real where
// the portal cannot help (issue 7's list, each checked on the page).
func TestPagesSayOnlyWhatIsTrue(t *testing.T) {
	h := newHarnessWith(t, harnessOptions{env: demoContact})
	h.freeze(received)
	b := h.browser()
	const contact = "privacy@acme.example"

	t.Run("home: what exists, the contact, and a real Start button", func(t *testing.T) {
		home := b.get("/")
		text := home.text("main")
		if strings.Contains(text, "JSON") || strings.Contains(text, "CSV") {
			t.Error("the home page promises JSON or CSV copies")
		}
		if !strings.Contains(text, contact) || !strings.Contains(text, "100 Example Street") ||
			!strings.Contains(text, "person in charge of the protection of personal information is our Chief Privacy Officer") {
			t.Errorf("the home page lacks the privacy contact or the Quebec officer:\n%s", text)
		}
		if home.doc.Find(`form[method=get][action="/request"] button[type=submit]`).Text() != "Start now" || home.doc.Find(`a[role=button]`).Length() != 0 {
			t.Error(`"Start now" is not a button`)
		}
		if !strings.Contains(home.text("footer"), contact) || home.doc.Find(`footer a[href="mailto:`+contact+`"]`).Length() != 1 {
			t.Errorf("the footer lacks the contact: %q", home.text("footer"))
		}
	})

	t.Run("step 1: the agent choice leads to the agents' pages", func(t *testing.T) {
		where := b.get("/request")
		if !strings.Contains(where.text("#f-on_behalf-agent-hint"), "/agent") {
			t.Errorf("agent hint: %q", where.text("#f-on_behalf-agent-hint"))
		}
		res := b.post("/request/where", url.Values{"on_behalf": {"agent"}, "country": {"US"}, "state": {"CA"}})
		failedForm(t, "an agent", res, http.StatusUnprocessableEntity)
		if !strings.Contains(res.text("#f-on_behalf-error"), "agent account") || strings.Contains(res.body, "%s") {
			t.Errorf("agent error: %q", res.text("#f-on_behalf-error"))
		}
		if agents := b.get("/agent/register"); agents.status != http.StatusOK {
			t.Errorf("the agents' pages: %d", agents.status)
		}
	})

	t.Run("step 2: heading and legend differ, Change keeps everything", func(t *testing.T) {
		b.get("/request")
		step2 := b.post("/request/where", url.Values{"on_behalf": {"self"}, "country": {"US"}, "state": {"CA"}})
		if h1, legend := step2.text("main h1"), strings.TrimSpace(step2.doc.Find("fieldset legend").First().Text()); h1 == legend || legend != "What would you like us to do?" {
			t.Errorf("heading %q, legend %q", h1, legend)
		}
		if step2.doc.Find(`button[formaction="/request/change"]`).Length() != 1 || step2.doc.Find(`main a[href="/request"]`).Length() != 0 {
			t.Error("Change is not a button that posts the form")
		}
		nonce, _ := step2.doc.Find(`input[name=nonce]`).Attr("value")
		typed := url.Values{"on_behalf": {"self"}, "country": {"US"}, "state": {"CA"}, "nonce": {nonce}, "rights": {"access", "delete"},
			"name": {"Robin Change"}, "email": {"change@example.org"}, "phone": {""}, "relationship": {"customer"}, "details": {"Line one\nLine two"}}
		step1 := b.post("/request/change", typed)
		if step1.status != http.StatusOK || step1.doc.Find(`#f-on_behalf[checked]`).Length() != 1 ||
			step1.doc.Find(`#f-country option[value=US][selected]`).Length() != 1 || step1.doc.Find(`#f-state option[value=CA][selected]`).Length() != 1 {
			t.Fatalf("step 1 after Change lost step 1's answers:\n%s", step1.text("main"))
		}
		carried := url.Values{}
		step1.doc.Find(`form[action="/request/where"] input[type=hidden]`).Each(func(_ int, s *goquery.Selection) {
			carried.Add(s.AttrOr("name", ""), s.AttrOr("value", ""))
		})
		carried.Set("country", "US")
		carried.Set("state", "OR")
		carried.Set("on_behalf", "self")
		back := b.post("/request/where", carried)
		if v, _ := back.doc.Find("#f-name").Attr("value"); v != "Robin Change" || back.doc.Find(`input[name=rights][value=delete][checked]`).Length() != 1 ||
			back.text("#f-details") != "Line one\nLine two" || !strings.Contains(back.text("main"), "Oregon") {
			t.Fatalf("step 2 after changing the state lost what was typed:\n%s", back.text("main"))
		}
	})

	t.Run("Quebec: the request goes to the person in charge", func(t *testing.T) {
		b.get("/request")
		qc := b.post("/request/where", url.Values{"on_behalf": {"self"}, "country": {"CA"}, "province": {"QC"}})
		if !strings.Contains(qc.text("main"), "Chief Privacy Officer") {
			t.Errorf("Quebec step 2:\n%s", qc.text("main"))
		}
	})

	t.Run("the code field", func(t *testing.T) {
		page := b.submit(submission())
		in := page.doc.Find("#f-code")
		for attr, want := range map[string]string{"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": "6", "size": "8"} {
			if got := in.AttrOr(attr, ""); got != want {
				t.Errorf("code field %s=%q, want %q", attr, got, want)
			}
		}
		// Nothing says the deadline "already runs", and a status never reads as agreement.
		if strings.Contains(page.body, "already runs") || strings.Contains(page.body, ">Confirmed<") || strings.Contains(page.body, "(s)") {
			t.Error("old wording on the tracking page")
		}
	})

	t.Run("set-up says how the team is added", func(t *testing.T) {
		tok, err := h.app.Staff.NewSetupToken(t.Context())
		if err != nil || tok == "" {
			t.Fatal(tok, err)
		}
		setup := b.get("/setup?token=" + tok)
		if !strings.Contains(setup.text("main"), "From the Team page it can then invite the rest of the team") {
			t.Errorf("set-up page:\n%s", setup.text("main"))
		}
		failedForm(t, "set-up", b.post("/setup", url.Values{"token": {tok}, "name": {""}, "email": {"x"}, "password": {"short"}}),
			http.StatusUnprocessableEntity)
		// Its errors keep the staff frame.
		bad := b.get("/setup?token=wrong")
		if bad.doc.Find(`header a[href="/admin"]`).Length() != 1 {
			t.Errorf("set-up error not in the staff frame:\n%s", bad.body)
		}
	})

	t.Run("lost link: the answer offers no form, and says what is true", func(t *testing.T) {
		b.get("/track")
		sent := b.post("/track", url.Values{"reference": {"RD-2345-6789"}, "email": {"nobody@example.org"}})
		if sent.doc.Find("#f-reference, #f-email, form[action='/track']").Length() != 0 {
			t.Error("the success page offers the form again")
		}
		if text := sent.text("main"); !strings.Contains(text, "same link as before") || strings.Contains(text, "old link no longer works") ||
			!strings.Contains(text, contact) {
			t.Errorf("lookup answer:\n%s", text)
		}
	})

	t.Run("404 links to /track", func(t *testing.T) {
		nf := b.get("/t/" + models.NewNonce())
		if nf.status != http.StatusNotFound || nf.doc.Find(`main a[href="/track"]`).Length() != 1 {
			t.Errorf("404:\n%s", nf.text("main"))
		}
	})

	staff := h.staff()
	deny := func(country, region, email, right, reason string) (string, string) {
		t.Helper()
		form := submission()
		form.Set("country", country)
		form.Set("state", "")
		form.Set("province", "")
		if country == "US" {
			form.Set("state", region)
		}
		if country == "CA" {
			form.Set("province", region)
		}
		form.Set("email", email)
		form["rights"] = []string{right}
		ref := h.browser().submit(form).text(".panel .ref")
		link := trackLink(t, h.mailTo(email, "Confirm").Text(), h.srv.URL)
		href, _ := h.staffOpen(staff, ref, "", "request")
		if res := staff.post(href+"/status", url.Values{"status": {"denied"}, "denial_reason": {reason}, "detail": {"Because."}}); res.status != http.StatusSeeOther {
			t.Fatalf("deny: %d %s", res.status, res.text(".error-summary"))
		}
		return link, href
	}

	t.Run("elsewhere: the recourse is a real address, not a reply form", func(t *testing.T) {
		link, _ := deny("JP", "", "jp@example.org", "access", "no_personal_data")
		text := b.get(link).text(".recourse")
		if !strings.Contains(text, "write to us at "+contact) || strings.Contains(text, "reply") {
			t.Errorf("recourse elsewhere: %q", text)
		}
		m := h.smtp.WaitFor(t, func(r testsmtp.Received) bool {
			return r.To[0] == "jp@example.org" && strings.Contains(r.Subject, "Update")
		}, 15*time.Second)
		if !strings.Contains(m.Text(), contact) || strings.Contains(m.Text(), "through this page") {
			t.Errorf("mail recourse elsewhere:\n%s", m.Text())
		}
	})

	t.Run("appeal: the form is named only while it is there", func(t *testing.T) {
		link, _ := deny("US", "VA", "va-honest@example.org", "delete", "exemption")
		person := h.browser()
		page := person.get(link)
		if text := page.text(".recourse"); !strings.Contains(text, "until 1 April 2026, with the form below") || page.doc.Find(`form[action$="/appeal"]`).Length() != 1 {
			t.Errorf("before the appeal: %q", text)
		}
		action, _ := page.doc.Find(`form[action$="/appeal"]`).Attr("action")
		failedForm(t, "an empty appeal", person.post(action, url.Values{"reason": {""}}), http.StatusUnprocessableEntity)
		page = person.follow(person.post(action, url.Values{"reason": {"I closed the account."}}))
		if text := page.text(".recourse"); strings.Contains(text, "appeal form") || strings.Contains(text, "with the form below") || !strings.Contains(text, "You appealed this decision") {
			t.Errorf("after the appeal: %q", text)
		}
		appeal := page.doc.Find(".card").FilterFunction(func(_ int, s *goquery.Selection) bool { return strings.HasPrefix(s.Find("h2").Text(), "Appeal:") })
		if tl := appeal.Find(".timeline").Text(); !strings.Contains(tl, "Appeal received") || strings.Contains(tl, "web form") || !strings.Contains(tl, "Reasons for the appeal") {
			t.Errorf("appeal timeline: %q", tl)
		}
		ahref, apage := h.staffOpen(staff, page.text("main strong"), "Appeal", "appeal")
		if strings.Contains(apage.text(".timeline"), "web form") || !strings.Contains(apage.text(".timeline"), "Reasons for the appeal") ||
			strings.Contains(apage.text(".timeline"), "Message") {
			t.Errorf("staff appeal timeline: %q", apage.text(".timeline"))
		}
		if opts := apage.doc.Find("#f-denial_reason option[value]").FilterFunction(func(_ int, s *goquery.Selection) bool { return s.AttrOr("value", "") != "" }); opts.Length() != 1 || opts.AttrOr("value", "") != "upheld" {
			t.Errorf("appeal denial reasons: %q", opts.Text())
		}
		_ = ahref
		// A denial whose window passed unused says it ended.
		link2, _ := deny("US", "VA", "va-late@example.org", "delete", "exemption")
		h.freeze(received.Add(70 * 24 * time.Hour))
		if text := person.get(link2).text(".recourse"); !strings.Contains(text, "The time to appeal this decision ended on 1 April 2026") {
			t.Errorf("after the window: %q", text)
		}
		h.freeze(received)
	})

	t.Run("PIPEDA: six months to complain, and it has an extension", func(t *testing.T) {
		link, _ := deny("CA", "ON", "on@example.org", "access", "exemption")
		if text := b.get(link).text(".recourse"); !strings.Contains(text, "within 6 months of the refusal") {
			t.Errorf("PIPEDA recourse: %q", text)
		}
		form := submission()
		form.Set("country", "CA")
		form.Set("state", "")
		form.Set("province", "ON")
		form.Set("email", "on-open@example.org")
		form["rights"] = []string{"access"}
		ref := h.browser().submit(form).text(".panel .ref")
		_, page := h.staffOpen(staff, ref, "See your information", "request")
		if text := page.text("main"); strings.Contains(text, "no extension") || !strings.Contains(text, "extend it once") ||
			page.doc.Find(`form[action$="/extend"]`).Length() != 1 {
			t.Errorf("PIPEDA staff page:\n%s", page.text(".notice"))
		}
	})

	t.Run("staff errors keep the staff frame", func(t *testing.T) {
		for _, path := range []string{"/admin/requests/999999", "/admin/nope"} {
			res := staff.get(path)
			if res.status != http.StatusNotFound || res.doc.Find(`header nav a[href="/admin?kind=appeal"]`).Length() != 1 {
				t.Errorf("%s: %d, staff header %d", path, res.status, res.doc.Find("header nav a").Length())
			}
		}
	})

	t.Run("reference search: lower case, no dashes", func(t *testing.T) {
		ref := b.submit(submission()).text(".panel .ref")
		for _, typed := range []string{strings.ToLower(strings.ReplaceAll(ref, "-", "")), strings.ToLower(ref[3:])} {
			found := staff.get("/admin?ref=" + url.QueryEscape(typed))
			if !strings.Contains(found.text("table.queue"), ref) {
				t.Errorf("search %q did not find %s", typed, ref)
			}
		}
	})
}

// Every form that fails, public or staff, puts the error summary first and
// starts the page title with "Error:".
func TestEveryFailedFormSaysSoFirst(t *testing.T) {
	h := newHarness(t, "sqlite")
	b := h.browser()
	b.get("/request")
	failedForm(t, "step 1", b.post("/request/where", url.Values{}), http.StatusUnprocessableEntity)
	b.get("/request")
	step2 := b.post("/request/where", url.Values{"on_behalf": {"self"}, "country": {"GB"}})
	nonce, _ := step2.doc.Find(`input[name=nonce]`).Attr("value")
	failedForm(t, "step 2", b.post("/request", url.Values{"on_behalf": {"self"}, "country": {"GB"}, "nonce": {nonce}}), http.StatusUnprocessableEntity)
	link, _ := h.submitAs(b, "forms@example.org")
	failedForm(t, "the code", b.post(link+"/verify", url.Values{"code": {"12"}}), http.StatusUnprocessableEntity)
	b.get("/track")
	failedForm(t, "the lost link", b.post("/track", url.Values{"reference": {"x"}}), http.StatusUnprocessableEntity)
	login := h.browser()
	login.get("/admin/login")
	failedForm(t, "sign-in", login.post("/admin/login", url.Values{"email": {"no@example.org"}, "password": {"wrong"}}), http.StatusUnauthorized)

	staff := h.staff()
	ref := b.get(link).text("main strong")
	href, _ := h.staffOpen(staff, ref, "See your information", "request")
	for _, f := range []struct {
		what, action string
		values       url.Values
		status       int
	}{
		{"a decision", "/status", url.Values{"status": {"denied"}}, http.StatusUnprocessableEntity},
		{"a note", "/notes", url.Values{"note": {""}}, http.StatusUnprocessableEntity},
		{"a message", "/messages", url.Values{"message": {""}}, http.StatusUnprocessableEntity},
		{"an extension", "/extend", url.Values{"reason": {""}}, http.StatusUnprocessableEntity},
		{"a pause where none is allowed", "/pause", url.Values{"pause_reason": {"identity"}, "question": {"?"}}, http.StatusConflict},
		{"a restart of a running clock", "/resume", url.Values{"resume_note": {"By phone."}}, http.StatusConflict},
	} {
		staff.get(href)
		failedForm(t, f.what, staff.post(href+f.action, f.values), f.status)
	}
	staff.get("/admin/account")
	failedForm(t, "a password change", staff.post("/admin/account/password", url.Values{"current": {"wrong"}, "password": {"x"}}),
		http.StatusUnprocessableEntity)
	staff.get("/admin/account")
	failedForm(t, "an API token", staff.post("/admin/account/tokens", url.Values{"name": {""}}), http.StatusUnprocessableEntity)
	staff.get("/admin/account")
	failedForm(t, "two-step sign-in", staff.post("/admin/account/two-step", url.Values{"code": {"000000"}}), http.StatusUnprocessableEntity)
	staff.get("/admin/intake")
	failedForm(t, "a request taken by phone", staff.post("/admin/intake", url.Values{}), http.StatusUnprocessableEntity)

	// What an administrator configures.
	admin := h.staffAs(models.RoleAdmin)
	for _, f := range []struct {
		what, page, action string
		values             url.Values
	}{
		{"the settings", "/admin/settings", "/admin/settings", url.Values{"org_name": {""}}},
		{"an invitation", "/admin/team", "/admin/team/invite", url.Values{"name": {""}, "email": {"x"}}},
		{"a DRP agent", "/admin/agents", "/admin/agents/drp", url.Values{}},
		{"an agent directory", "/admin/agents", "/admin/agents/import", url.Values{"directory": {""}}},
		{"the verification settings", "/admin/verification", "/admin/verification", url.Values{"lookup_url": {"not a url"}}},
	} {
		admin.get(f.page)
		failedForm(t, f.what, admin.post(f.action, f.values), http.StatusUnprocessableEntity)
	}
	admin.get("/admin/verification")
	failedForm(t, "a records file without a file", admin.upload("/admin/verification/records", nil, "", nil), http.StatusUnprocessableEntity)
	res := admin.upload("/admin/verification/records", nil, "customers.csv", []byte("E-mail;Full name\njordan@example.org;Jordan Example\n"))
	mapping := admin.follow(res)
	action := mapping.doc.Find(`form[action^="/admin/verification/records/"]`).First().AttrOr("action", "")
	bad := selected(mapping, `form[action="`+action+`"]`)
	bad.Set("map_email", "-1")
	failedForm(t, "the records mapping", admin.post(action, bad), http.StatusUnprocessableEntity)
	admin.get("/admin/team")
	admin.post("/admin/team/invite", url.Values{"name": {"Robin Auditor"}, "email": {"robin-forms@example.org"}, "role": {"auditor"}})
	invite := linkRe.FindString(h.mailTo("robin-forms@example.org", "invited").Text())
	robin := h.browser()
	robin.get(invite)
	failedForm(t, "an invitation accepted", robin.post(invite, url.Values{"password": {"short"}}), http.StatusUnprocessableEntity)
	member := h.staffAs(models.RoleReviewer)
	admin.get("/admin/team").doc.Find("tbody tr").Each(func(_ int, row *goquery.Selection) {
		if strings.Contains(row.Text(), member.email) {
			admin.post(row.Find("form[action$='/reset']").AttrOr("action", ""), url.Values{})
		}
	})
	reset := linkRe.FindString(h.smtp.WaitFor(t, func(r testsmtp.Received) bool {
		return strings.Contains(strings.Join(r.To, ","), member.email) && strings.Contains(r.Text(), "/reset/")
	}, 15*time.Second).Text())
	robin.get(reset)
	failedForm(t, "a password reset", robin.post(reset, url.Values{"password": {"short"}}), http.StatusUnprocessableEntity)
	second := h.browser()
	second.get("/admin/login")
	if res := second.post("/admin/login", url.Values{"email": {admin.email}, "password": {"correct horse battery staple"}}); res.location() != "/admin/login/two-step" {
		t.Fatalf("password step: %d %s", res.status, res.location())
	}
	second.get("/admin/login/two-step")
	failedForm(t, "the sign-in's second step", second.post("/admin/login/two-step", url.Values{"code": {"000000"}}), http.StatusUnprocessableEntity)

	// Agents: registration, sign-in, the filing's three steps, and staff's
	// decision on the authority of what an agent filed.
	reg := h.browser()
	reg.get("/agent/register")
	failedForm(t, "an agent's registration", reg.post("/agent/register", url.Values{}), http.StatusUnprocessableEntity)
	reg.get("/agent/login")
	failedForm(t, "an agent's sign-in", reg.post("/agent/login", url.Values{"email": {"no@example.org"}, "password": {"wrong-wrong-wrong"}}),
		http.StatusUnauthorized)
	ag := h.agent("forms-agent@example.org")
	ag.get("/agent/file")
	failedForm(t, "a filing, step 1", ag.post("/agent/file/where", url.Values{}), http.StatusUnprocessableEntity)
	step2 = ag.post("/agent/file/where", url.Values{"country": {"US"}, "state": {"CA"}})
	failedForm(t, "a filing, step 2", ag.post("/agent/file/details", url.Values{"country": {"US"}, "state": {"CA"},
		"nonce": {step2.doc.Find(`input[name="nonce"]`).AttrOr("value", "")}}), http.StatusUnprocessableEntity)
	_, fields := ag.fileSteps(filing("filed-forms@example.org"))
	failedForm(t, "a filing without its document", ag.upload("/agent/file", fields, "", nil), http.StatusUnprocessableEntity)
	filed := ag.file(filing("filed-forms@example.org"), "permission.pdf", signedPDF(""))
	ahref, _ := h.staffOpen(staff, refRe.FindString(filed.body), "See your information", "request")
	staff.get(ahref)
	failedForm(t, "an agent's authority", staff.post(ahref+"/authority", url.Values{}), http.StatusUnprocessableEntity)

	// The choices form and the link to one's preferences.
	chooser := h.browser()
	chooser.get("/choices")
	failedForm(t, "a choice", chooser.post("/choices", url.Values{}), http.StatusUnprocessableEntity)
	chooser.get("/choices")
	failedForm(t, "the preferences link", chooser.post("/choices/link", url.Values{"link_email": {"not-an-address"}}), http.StatusUnprocessableEntity)
}
