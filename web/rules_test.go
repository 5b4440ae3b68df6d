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

// received is a fixed receipt time: 31 January 2026, 10:00 in Los Angeles.
var received = time.Date(2026, 1, 31, 18, 0, 0, 0, time.UTC)

func (h *harness) freeze(at time.Time) {
	h.app.Core.SetClock(func() time.Time { return at })
}

// The tracking page shows the deadline of the law where the person lives.
func TestDueDatePerJurisdiction(t *testing.T) {
	cases := []struct {
		name, country, region, right, due string
	}{
		{"California", "US", "CA", "access", "17 March 2026"},
		{"California opt-out: 15 business days, Lincoln Day and Presidents' Day skipped", "US", "CA", "opt_out_sale", "24 February 2026"},
		{"Virginia", "US", "VA", "delete", "17 March 2026"},
		{"Colorado", "US", "CO", "access", "17 March 2026"},
		{"Connecticut", "US", "CT", "correct", "17 March 2026"},
		{"Texas", "US", "TX", "portability", "17 March 2026"},
		{"Oregon", "US", "OR", "access", "17 March 2026"},
		{"EU: one month, end of February", "DE", "", "access", "28 February 2026"},
		{"UK", "GB", "", "delete", "28 February 2026"},
		{"Quebec", "CA", "QC", "cessation", "2 March 2026"},
		{"PIPEDA", "CA", "ON", "access", "2 March 2026"},
		{"elsewhere", "JP", "", "access", "17 March 2026"},
	}
	h := newHarness(t, "sqlite")
	h.freeze(received)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := h.browser()
			form := submission()
			form.Set("country", c.country)
			form.Set("state", "")
			form.Set("province", "")
			if c.country == "US" {
				form.Set("state", c.region)
			}
			if c.country == "CA" {
				form.Set("province", c.region)
			}
			form["rights"] = []string{c.right}
			page := b.submit(form)
			due := page.text(".card table.summary time")
			if due != c.due {
				t.Fatalf("tracking page due %q, want %q", due, c.due)
			}
		})
	}
}

func TestPostgresDueDate(t *testing.T) {
	h := newHarness(t, "postgres")
	h.freeze(received)
	form := submission()
	form["rights"] = []string{"opt_out_sale"}
	if due := h.browser().submit(form).text(".card table.summary time"); due != "24 February 2026" {
		t.Fatalf("due %q", due)
	}
}

// California requests are acknowledged at once, with the date recorded.
func TestAcknowledgement(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		b := h.browser()
		b.submit(submission())
		m := h.mailTo("jordan@example.org", "Acknowledgement")
		if !strings.Contains(m.Text(), "How we verify") || !strings.Contains(m.Text(), "We will answer by") {
			t.Fatalf("acknowledgement lacks verification or date:\n%s", m.Text())
		}
		var reqs []models.Request
		h.app.Core.DB().Find(&reqs)
		for _, r := range reqs {
			if r.AcknowledgedAt == nil || r.AckDueAt == nil {
				t.Fatalf("request %d: acknowledgement not recorded", r.ID)
			}
		}
		// Elsewhere no acknowledgement is sent.
		form := submission()
		form.Set("country", "GB")
		form.Set("email", "uk@example.org")
		h.browser().submit(form)
		h.mailTo("uk@example.org", "Confirm")
		for _, m := range h.smtp.Messages() {
			if m.To[0] == "uk@example.org" && strings.Contains(m.Subject, "Acknowledgement") {
				t.Fatal("acknowledgement sent where the law asks none")
			}
		}
	})
}

// staffOpen signs staff in and opens the request of reference ref for right.
func (h *harness) staffOpen(staff *browser, ref, right, kind string) (string, page) {
	h.t.Helper()
	q := staff.get("/admin?status=all&kind=" + kind)
	var href string
	q.doc.Find("table.queue tbody tr").Each(func(_ int, s *goquery.Selection) {
		if strings.Contains(s.Text(), ref) && strings.Contains(s.Text(), right) {
			href, _ = s.Find("a").Attr("href")
		}
	})
	if href == "" {
		h.t.Fatalf("%s / %s not in the %s queue:\n%s", ref, right, kind, q.text("table"))
	}
	return href, staff.get(href)
}

func TestExtension(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		h.freeze(received)
		person := h.browser()
		ref := person.submit(submission()).text(".panel .ref")
		staff := h.staff()
		href, page := h.staffOpen(staff, ref, "See your information", "request")
		if page.doc.Find(`form[action$="/extend"]`).Length() != 1 {
			t.Fatal("no extension form for a California request")
		}
		// A reason is required.
		res := staff.post(href+"/extend", url.Values{"reason": {"  "}})
		if res.status != http.StatusUnprocessableEntity || res.text("#f-reason-error") == "" {
			t.Fatalf("empty reason: %d", res.status)
		}
		res = staff.post(href+"/extend", url.Values{"reason": {"Records are spread over three archived systems."}})
		if res.status != http.StatusSeeOther {
			t.Fatalf("extend: %d %s", res.status, res.text(".error-summary"))
		}
		page = staff.follow(res)
		if !strings.Contains(page.body, "Extended; the original deadline was 17 March 2026") || !strings.Contains(page.body, "1 May 2026") {
			t.Fatalf("extension not shown:\n%s", page.text("table.summary"))
		}
		m := h.mailTo("jordan@example.org", "More time needed")
		if !strings.Contains(m.Text(), "1 May 2026") || !strings.Contains(m.Text(), "three archived systems") {
			t.Fatalf("extension mail:\n%s", m.Text())
		}
		// A second extension is refused with a clear message.
		res = staff.post(href+"/extend", url.Values{"reason": {"again"}})
		if res.status != http.StatusConflict || !strings.Contains(res.body, "already been extended") {
			t.Fatalf("second extension: %d", res.status)
		}

		// After the deadline: refused.
		form := submission()
		form.Set("email", "late@example.org")
		ref2 := h.browser().submit(form).text(".panel .ref")
		h.freeze(received.Add(50 * 24 * time.Hour))
		href2, page2 := h.staffOpen(staff, ref2, "See your information", "request")
		if !strings.Contains(page2.body, "original deadline has passed") || page2.doc.Find(`form[action$="/extend"]`).Length() != 0 {
			t.Fatal("an overdue request still offers the extension")
		}
		if res := staff.post(href2+"/extend", url.Values{"reason": {"late"}}); res.status != http.StatusConflict {
			t.Fatalf("late extension: %d", res.status)
		}
		h.freeze(received)

		// Quebec: never.
		form = submission()
		form.Set("country", "CA")
		form.Set("state", "")
		form.Set("province", "QC")
		form.Set("email", "qc@example.org")
		form["rights"] = []string{"access"}
		ref3 := h.browser().submit(form).text(".panel .ref")
		href3, page3 := h.staffOpen(staff, ref3, "See your information", "request")
		if !strings.Contains(page3.body, "does not allow an extension") || !strings.Contains(page3.body, "counts as a refusal") {
			t.Fatalf("Quebec page:\n%s", page3.text("main"))
		}
		if res := staff.post(href3+"/extend", url.Values{"reason": {"busy"}}); res.status != http.StatusConflict {
			t.Fatalf("Quebec extension: %d", res.status)
		}
	})
}

// A denial needs a reason from the jurisdiction's list; the mail states the
// recourse; in a state with appeals the person appeals, the appeal has its
// own queue and clock, and an upheld denial names the Attorney General.
func TestDenialAndAppeal(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		h.freeze(received)
		form := submission()
		form.Set("state", "VA")
		form.Set("email", "va@example.org")
		form["rights"] = []string{"delete"}
		person := h.browser()
		track := person.submit(form)
		ref := track.text(".panel .ref")
		link := trackLink(t, h.mailTo("va@example.org", "Confirm").Text(), h.srv.URL)

		staff := h.staff()
		href, page := h.staffOpen(staff, ref, "Delete your information", "request")
		if page.doc.Find(`#f-denial_reason option[value="not_resident"]`).Length() != 1 {
			t.Fatal("Virginia denial reasons missing")
		}
		res := staff.post(href+"/status", url.Values{"status": {"denied"}})
		if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.text("#f-denial_reason-error"), "reason") {
			t.Fatalf("denial without reason: %d", res.status)
		}
		if v, _ := res.doc.Find(`input[name=status][value=denied]`).Attr("checked"); v != "checked" && res.doc.Find(`input[name=status][value=denied][checked]`).Length() != 1 {
			t.Fatal("chosen status not kept")
		}
		res = staff.post(href+"/status", url.Values{"status": {"denied"}, "denial_reason": {"exemption"}, "detail": {"Kept for tax law."}})
		if res.status != http.StatusSeeOther {
			t.Fatalf("deny: %d %s", res.status, res.text(".error-summary"))
		}
		m := h.mailTo("va@example.org", "Update")
		if !strings.Contains(m.Text(), "A legal exemption applies") || !strings.Contains(m.Text(), "appeal") {
			t.Fatalf("denial mail lacks reason or recourse:\n%s", m.Text())
		}

		// The person appeals from the tracking page.
		page = person.get(link)
		action, ok := page.doc.Find(`form[action$="/appeal"]`).Attr("action")
		if !ok {
			t.Fatalf("no appeal form:\n%s", page.text("main"))
		}
		res = person.post(action, url.Values{"reason": {""}})
		if res.status != http.StatusUnprocessableEntity || res.text("#f-reason-error") == "" {
			t.Fatalf("empty appeal: %d", res.status)
		}
		page = person.follow(person.post(action, url.Values{"reason": {"I closed my account; nothing is owed."}}))
		if !strings.Contains(page.body, "Appeal: Delete your information") || page.doc.Find(`form[action$="/appeal"]`).Length() != 0 {
			t.Fatalf("appeal not shown:\n%s", page.text("main"))
		}
		// Appeals have their own queue and clock: Virginia decides within 60 days.
		ahref, apage := h.staffOpen(staff, ref, "Delete your information", "appeal")
		if !strings.Contains(apage.body, "1 April 2026") {
			t.Fatalf("appeal due date:\n%s", apage.text("table.summary"))
		}
		if h.count("requests") != 2 {
			t.Fatal("the appeal is not its own request")
		}
		// An appeal is denied only by upholding the decision, with reasons.
		var reasons []string
		apage.doc.Find("#f-denial_reason option[value]").Each(func(_ int, s *goquery.Selection) {
			if v, _ := s.Attr("value"); v != "" {
				reasons = append(reasons, v)
			}
		})
		if strings.Join(reasons, ",") != "upheld" {
			t.Fatalf("appeal denial reasons %v", reasons)
		}
		if res := staff.post(ahref+"/status", url.Values{"status": {"denied"}, "denial_reason": {"exemption"}, "detail": {"Upheld."}}); res.status != http.StatusUnprocessableEntity {
			t.Fatalf("an appeal denied for a request's reason: %d", res.status)
		}
		res = staff.post(ahref+"/status", url.Values{"status": {"denied"}, "denial_reason": {"upheld"}, "detail": {"The records are kept for tax law."}})
		if res.status != http.StatusSeeOther {
			t.Fatalf("uphold: %d %s", res.status, res.text(".error-summary"))
		}
		m = h.smtp.WaitFor(t, func(r testsmtp.Received) bool {
			return r.To[0] == "va@example.org" && strings.Contains(r.Text(), "Attorney General")
		}, 15*time.Second)
		if !strings.Contains(m.Text(), "oag.state.va.us") {
			t.Fatalf("upheld appeal mail:\n%s", m.Text())
		}
		// No second appeal.
		if res := person.post(action, url.Values{"reason": {"again"}}); res.status != http.StatusConflict {
			t.Fatalf("second appeal: %d", res.status)
		}
	})
}

// Opt-outs need no verification, and may only be denied for fraud.
func TestOptOutNeedsNoVerification(t *testing.T) {
	h := newHarness(t, "sqlite")
	form := submission()
	form["rights"] = []string{"opt_out_sale"}
	form.Set("email", "optout@example.org")
	page := h.browser().submit(form)
	if page.doc.Find("#f-code").Length() != 0 || !strings.Contains(page.body, "Ready to start") {
		t.Fatalf("opt-out asked for verification:\n%s", page.text("main"))
	}
	h.mailTo("optout@example.org", "We received your privacy request")
	staff := h.staff()
	href, req := h.staffOpen(staff, page.text(".panel .ref"), "Stop selling or sharing", "request")
	var reasons []string
	req.doc.Find("#f-denial_reason option[value]").Each(func(_ int, s *goquery.Selection) {
		if v, _ := s.Attr("value"); v != "" {
			reasons = append(reasons, v)
		}
	})
	if strings.Join(reasons, ",") != "fraud" {
		t.Fatalf("opt-out denial reasons %v", reasons)
	}
	// A fraud denial must say why.
	res := staff.post(href+"/status", url.Values{"status": {"denied"}, "denial_reason": {"fraud"}})
	if res.status != http.StatusUnprocessableEntity || res.text("#f-detail-error") == "" {
		t.Fatalf("fraud denial without explanation: %d", res.status)
	}
}

// Staff see earlier requests of the same kind; nothing is refused.
func TestFrequencyShownToStaff(t *testing.T) {
	h := newHarness(t, "sqlite")
	form := submission()
	form["rights"] = []string{"access"}
	var ref string
	for range 3 {
		ref = h.browser().submit(form).text(".panel .ref")
	}
	_, page := h.staffOpen(h.staff(), ref, "See your information", "request")
	if !strings.Contains(page.body, "2 earlier requests of this kind") || !strings.Contains(page.body, " in 12 months.") || !strings.Contains(page.body, "nothing has been refused automatically") {
		t.Fatalf("frequency:\n%s", page.text("main"))
	}
}

// The queue says how long is left, marks risk and overdue, and sorts by urgency.
func TestQueueUrgency(t *testing.T) {
	h := newHarness(t, "sqlite")
	for i, email := range []string{"old@example.org", "new@example.org"} {
		h.freeze(received.Add(time.Duration(i*40) * 24 * time.Hour))
		form := submission()
		form.Set("email", email)
		form["rights"] = []string{"access"}
		h.browser().submit(form)
	}
	h.freeze(received.Add(44 * 24 * time.Hour)) // the old one is due tomorrow
	q := h.staff().get("/admin")
	rows := q.doc.Find("table.queue tbody tr")
	if rows.Length() != 2 {
		t.Fatalf("%d rows", rows.Length())
	}
	first := rows.First().Find("td.due")
	if !first.HasClass("risk") || !strings.Contains(first.Text(), "Due tomorrow") {
		t.Fatalf("most urgent first, amber: %q %v", first.Text(), first.AttrOr("class", ""))
	}
	h.freeze(received.Add(60 * 24 * time.Hour))
	q = h.staff().get("/admin")
	first = q.doc.Find("table.queue tbody tr").First().Find("td.due")
	if !first.HasClass("overdue") || !strings.Contains(first.Text(), "Overdue by") {
		t.Fatalf("overdue not marked: %q", first.Text())
	}
	// The daily digest lists both (one overdue, one due within 7 days? no: 24 days left).
	n, err := h.app.Digest.Queue(t.Context(), true)
	if err != nil || n == 0 {
		t.Fatalf("digest %d %v", n, err)
	}
	m := h.smtp.WaitFor(t, func(r testsmtp.Received) bool { return strings.Contains(r.Subject, "due within 7 days") }, 15*time.Second)
	if strings.Count(m.Text(), "RD-") != 1 {
		t.Fatalf("digest should list only the overdue request:\n%s", m.Text())
	}
}

// Quebec requests cannot be extended and silence is a refusal: the queue
// flags them, and turns them amber ten days out rather than seven. Under
// PIPEDA silence is a refusal too, but one extension is allowed: the
// request page says which.
func TestQuebecFlaggedEarly(t *testing.T) {
	h := newHarness(t, "sqlite")
	h.freeze(received)
	refs := map[string]string{}
	for _, province := range []string{"QC", "ON"} {
		form := submission()
		form.Set("email", province+"@example.org")
		form.Set("country", "CA")
		form.Set("state", "")
		form.Set("province", province)
		form["rights"] = []string{"access"}
		refs[province] = h.browser().submit(form).text(".panel .ref")
	}
	h.freeze(received.Add(21 * 24 * time.Hour)) // 9 days left of 30
	due := h.staff().get("/admin").doc.Find("table.queue tbody tr td.due").First()
	if !due.HasClass("risk") || !strings.Contains(due.Text(), "deemed refusal") {
		t.Fatalf("Quebec request not flagged: %q %q", due.AttrOr("class", ""), due.Text())
	}
	for province, want := range map[string]string{"QC": "there is no extension", "ON": "or extend it once"} {
		_, page := h.staffOpen(h.staff(), refs[province], "See your information", "request")
		if !strings.Contains(page.body, want) {
			t.Fatalf("%s request page does not say %q:\n%s", province, want, page.text("main"))
		}
	}
}
