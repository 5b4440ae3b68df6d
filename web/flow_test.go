package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/rightsdesk/rightsdesk/models"
)

// A person submits, verifies with the mailed code, tracks; staff complete;
// the person sees it completed and is told by mail.
func TestSubmitVerifyTrackFulfil(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		person := h.browser()
		track := person.submit(submission())
		ref := track.text(".panel .ref")
		if !strings.HasPrefix(ref, "RD-") || len(ref) != 12 {
			t.Fatalf("reference %q", ref)
		}
		if got := track.doc.Find(".card h2").Length(); got < 3 { // verify box + two requests
			t.Fatalf("want verify box and two requests, got %d cards", got)
		}
		if !strings.Contains(track.body, "Awaiting email confirmation") {
			t.Fatal("requests should await verification")
		}

		// The mail carries the code and the tracking link; its subject carries no personal data.
		m := h.mailTo("jordan@example.org", "Confirm your email")
		if strings.Contains(m.Subject, "Jordan") || strings.Contains(m.Subject, ref) {
			t.Fatalf("subject leaks data: %q", m.Subject)
		}
		body := m.Text()
		code := codeRe.FindStringSubmatch(body)
		if code == nil || !strings.Contains(body, ref) || !strings.Contains(body, h.srv.URL+"/t/") {
			t.Fatalf("verification mail lacks code, reference or link:\n%s", body)
		}
		link := trackLink(t, body, h.srv.URL)

		// A wrong code is refused next to the field, the right one verifies.
		wrong := "000000"
		if code[1] == wrong {
			wrong = "111111"
		}
		res := person.post(link+"/verify", url.Values{"code": {wrong}})
		if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.text("#f-code-error"), "not right") {
			t.Fatalf("wrong code: %d %q", res.status, res.text("#f-code-error"))
		}
		if v, _ := res.doc.Find("#f-code").Attr("value"); v != wrong {
			t.Fatalf("typed code not kept: %q", v)
		}
		res = person.post(link+"/verify", url.Values{"code": {code[1]}})
		page := person.follow(res)
		if !strings.Contains(page.text(".notice"), "confirmed") || strings.Contains(page.body, "Awaiting email confirmation") {
			t.Fatalf("not verified: %s", page.text("main"))
		}
		if page.doc.Find(`#f-code`).Length() != 0 {
			t.Fatal("code form still shown after verification")
		}

		// Staff find it in the queue and complete it.
		staff := h.staff()
		found := staff.get("/admin?ref=" + url.QueryEscape(strings.ToLower(strings.ReplaceAll(ref, "-", " "))))
		if n := found.doc.Find("table.queue tbody tr").Length(); n != 2 || !strings.Contains(found.text("table"), ref) {
			t.Fatalf("search by reference found %d rows", n)
		}
		queue := staff.get("/admin")
		row := queue.doc.Find("table.queue tbody tr").FilterFunction(func(_ int, s *goquery.Selection) bool {
			return strings.Contains(s.Text(), ref) && strings.Contains(s.Text(), "See your information")
		})
		href, ok := row.Find("a").Attr("href")
		if !ok {
			t.Fatalf("request not in queue:\n%s", queue.text("table"))
		}
		// An internal note stays internal; a message reaches the person, and
		// the mail only says one is waiting.
		staff.get(href)
		if res := staff.post(href+"/notes", url.Values{"note": {"Checked CRM: VIP customer."}}); res.status != http.StatusSeeOther {
			t.Fatalf("note: %d", res.status)
		}
		if res := staff.post(href+"/messages", url.Values{"message": {"We found two accounts; working on both."}}); res.status != http.StatusSeeOther {
			t.Fatalf("message: %d", res.status)
		}
		if res := staff.post(href+"/notes", url.Values{"note": {""}}); res.status != http.StatusUnprocessableEntity || res.text("#f-note-error") == "" {
			t.Fatalf("empty note: %d", res.status)
		}
		notice := h.mailTo("jordan@example.org", "new message")
		if strings.Contains(notice.Text(), "two accounts") || trackLink(t, notice.Text(), h.srv.URL) != link {
			t.Fatalf("message notice:\n%s", notice.Text())
		}
		seen := person.get(link)
		if !strings.Contains(seen.body, "We found two accounts") || strings.Contains(seen.body, "VIP customer") {
			t.Fatal("tracking page shows the note or hides the message")
		}

		for _, to := range []string{"in_progress", "completed"} {
			staff.get(href)
			res := staff.post(href+"/status", url.Values{"status": {to}, "detail": {"Done via the loyalty system."}})
			if res.status != http.StatusSeeOther {
				t.Fatalf("move to %s: %d %s", to, res.status, res.text(".error-summary"))
			}
		}
		detail := staff.get(href)
		if !strings.Contains(detail.text(".badge"), "Completed") {
			t.Fatalf("staff page status: %q", detail.text(".badge"))
		}
		// Every mail carries the reference and the private link.
		update := h.mailTo("jordan@example.org", "Update on your privacy request").Text()
		if !strings.Contains(update, ref) || trackLink(t, update, h.srv.URL) != link {
			t.Fatalf("status mail lacks reference or link:\n%s", update)
		}

		// The person sees it completed, with its timeline.
		page = person.get(link)
		if !strings.Contains(page.body, "Completed") || !strings.Contains(page.body, "Status changed to: In progress") {
			t.Fatalf("tracking page does not show completion:\n%s", page.text("main"))
		}
		if strings.Contains(page.body, "loyalty system") == false {
			t.Fatal("the explanation sent with the status is not shown to the requester")
		}
		// The log names routes and ids, never the person, their link or code.
		logs := h.logs.String()
		for _, secret := range []string{"jordan@example.org", "Jordan", strings.TrimPrefix(link, "/t/"), "415 555"} {
			if strings.Contains(logs, secret) {
				t.Fatalf("the log contains %q", secret)
			}
		}
		if regexp.MustCompile(`\b` + code[1] + `\b`).MatchString(logs) {
			t.Fatal("the log contains the verification code")
		}
		if !strings.Contains(logs, "route=/t/:token") {
			t.Fatal("requests are not logged at all")
		}
		// Audit trail: who did what, from where.
		var n int64
		h.app.Core.DB().Model(&models.AuditEntry{}).Where("action = ? AND actor_kind = ?", "request.status", "staff").Count(&n)
		if n != 2 {
			t.Fatalf("audit entries for status changes: %d", n)
		}
	})
}

// trackLink finds the private tracking link in a mail body.
func trackLink(t testing.TB, body, base string) string {
	t.Helper()
	for _, f := range strings.Fields(body) {
		if strings.HasPrefix(f, base+"/t/") && !strings.Contains(f, "/verify/") {
			return strings.TrimPrefix(f, base)
		}
	}
	t.Fatalf("no tracking link in:\n%s", body)
	return ""
}
