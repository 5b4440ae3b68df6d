package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/testsmtp"
	"github.com/rightsdesk/rightsdesk/models"
)

// A request that came by phone three weeks ago is entered by staff: its
// clock runs from the day it arrived, and the person gets the usual mail.
func TestIntakeWithAPastDate(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		h.freeze(received) // 31 January 2026, Los Angeles
		staff := h.staff()
		staff.get("/admin/intake")
		form := url.Values{"channel": {"phone"}, "received": {"2026-01-10"}, "country": {"US"}, "state": {"CA"},
			"rights": {"access"}, "name": {"Casey Caller"}, "email": {"caller@example.org"}, "relationship": {"customer"},
			"details": {"Called the support line."}}
		future := cloneValues(form)
		future.Set("received", "2026-02-05")
		res := staff.post("/admin/intake", future)
		if res.status != http.StatusUnprocessableEntity || res.text("#f-received-error") == "" || res.doc.Find("#f-name").AttrOr("value", "") != "Casey Caller" {
			t.Fatalf("future date: %d %q", res.status, res.text(".error-summary"))
		}
		res = staff.post("/admin/intake", form)
		if res.status != http.StatusSeeOther {
			t.Fatalf("intake: %d %s", res.status, res.text(".error-summary"))
		}
		page := staff.follow(res)
		// 10 January + 45 days = 24 February 2026.
		if !strings.Contains(page.text("table.summary"), "24 February 2026") || !strings.Contains(page.text("main"), "Request received by phone") {
			t.Fatalf("request page:\n%s", page.text("main"))
		}
		m := h.mailTo("caller@example.org", "Confirm")
		if !strings.Contains(m.Text(), "Casey Caller") {
			t.Fatalf("verification mail:\n%s", m.Text())
		}
		var r models.Request
		h.app.Core.DB().Where("right_code = ?", "access").Order("id DESC").First(&r)
		if got := r.ReceivedAt.In(h.app.Config.TimeZone).Format(time.DateOnly); got != "2026-01-10" || r.AcknowledgedAt == nil || !r.AcknowledgedAt.After(r.ReceivedAt) {
			t.Fatalf("received %s, acknowledged %v", got, r.AcknowledgedAt)
		}
		// A reviewer may enter requests; an auditor may not.
		if res := h.staffAs(models.RoleAuditor).get("/admin/intake"); res.status != http.StatusForbidden {
			t.Fatalf("auditor: %d", res.status)
		}
	})
}

// The same confirmed person asking twice for the same thing: the later
// request is flagged and can be merged into the earlier one.
func TestDuplicateMerge(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		first, code1 := h.submitAs(h.browser(), "twice@example.org")
		b := h.browser()
		b.get(first)
		b.post(first+"/verify", url.Values{"code": {code1}})
		second := h.browser()
		link2, code2 := "", ""
		form := submission()
		form.Set("email", "twice@example.org")
		form["rights"] = []string{"access"}
		second.submit(form)
		for _, m := range h.smtp.Messages() {
			if m.To[0] == "twice@example.org" && strings.Contains(m.Subject, "Confirm") {
				if l := trackLink(t, m.Text(), h.srv.URL); l != first {
					link2, code2 = l, codeRe.FindStringSubmatch(m.Text())[1]
				}
			}
		}
		if link2 == "" {
			m := h.smtp.WaitFor(t, func(r testsmtp.Received) bool {
				return r.To[0] == "twice@example.org" && strings.Contains(r.Subject, "Confirm") && trackLink(t, r.Text(), h.srv.URL) != first
			}, 15*time.Second)
			link2, code2 = trackLink(t, m.Text(), h.srv.URL), codeRe.FindStringSubmatch(m.Text())[1]
		}
		second.get(link2)
		second.post(link2+"/verify", url.Values{"code": {code2}})
		ref2 := refRe.FindString(second.get(link2).body)
		staff := h.staff()
		href, page := h.staffOpen(staff, ref2, "See your information", "request")
		action := page.doc.Find(`form[action$="/merge"]`).First()
		if action.Length() == 0 {
			t.Fatalf("no duplicate flagged:\n%s", page.text("main"))
		}
		res := staff.post(href+"/merge", url.Values{"into": {action.Find(`input[name="into"]`).AttrOr("value", "")}})
		if res.status != http.StatusSeeOther {
			t.Fatalf("merge: %d %s", res.status, res.text("main"))
		}
		kept := staff.follow(res)
		if !strings.Contains(kept.text("main"), "joined to this one") {
			t.Fatalf("kept request:\n%s", kept.text("main"))
		}
		if got := staff.get(href); !strings.Contains(got.text("h1 + p"), "Joined to an earlier request") {
			t.Fatalf("merged request: %q", got.text("h1 + p"))
		}
		m := h.mailTo("twice@example.org", "Update")
		if !strings.Contains(m.Text(), "joined it to your earlier request") {
			t.Fatalf("merge mail:\n%s", m.Text())
		}
		// Merging again, or into a request of someone else, is refused.
		if res := staff.post(href+"/merge", url.Values{"into": {"1"}}); res.status != http.StatusConflict {
			t.Fatalf("second merge: %d", res.status)
		}
	})
}
