package web_test

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/rightsdesk/rightsdesk/models"
)

// A letter to the Privacy Officer from someone with no e-mail address is
// entered by staff with the postal address only: the request is held under
// the same rules, its clock runs from the day the letter arrived, nothing
// is ever e-mailed (no outbox row at any step), the request page tells
// staff to answer by post, and staff verify and complete it themselves.
func TestIntakeByPostWithoutEmail(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		h.freeze(received) // 31 January 2026, Los Angeles
		staff := h.staff()
		staff.get("/admin/intake")
		const address = "12 Letter Lane\nOakland, CA 94607"
		form := url.Values{"channel": {"mail"}, "received": {"2026-01-10"}, "country": {"US"}, "state": {"CA"},
			"rights": {"access"}, "name": {"Penelope Postbridge"}, "email": {""}, "relationship": {"customer"},
			"details": {"A letter to the Privacy Officer."}}

		// By post with neither an e-mail nor an address: the address is
		// asked for, next to its field, and what was typed is kept.
		res := staff.post("/admin/intake", form)
		failedForm(t, "post without e-mail or address", res, http.StatusUnprocessableEntity)
		if res.text("#f-address-error") == "" || res.text("#f-email-error") != "" ||
			res.doc.Find("#f-name").AttrOr("value", "") != "Penelope Postbridge" || res.text("#f-details") != "A letter to the Privacy Officer." {
			t.Fatalf("errors: address %q, email %q\n%s", res.text("#f-address-error"), res.text("#f-email-error"), res.text("main"))
		}
		// By phone with neither an e-mail nor a number: the number is asked for.
		byPhone := cloneValues(form)
		byPhone.Set("channel", "phone")
		res = staff.post("/admin/intake", byPhone)
		failedForm(t, "phone without e-mail or number", res, http.StatusUnprocessableEntity)
		if res.text("#f-phone-error") == "" || res.text("#f-email-error") != "" {
			t.Fatalf("phone errors:\n%s", res.text("main"))
		}
		// The web form and e-mail intake still need the address.
		byEmail := cloneValues(form)
		byEmail.Set("channel", "email")
		byEmail.Set("address", address)
		if res = staff.post("/admin/intake", byEmail); res.status != http.StatusUnprocessableEntity || res.text("#f-email-error") == "" {
			t.Fatalf("e-mail intake without an address: %d\n%s", res.status, res.text("main"))
		}

		outbox := h.count("outbox")
		form.Set("address", address)
		res = staff.post("/admin/intake", form)
		if res.status != http.StatusSeeOther {
			t.Fatalf("intake: %d %s", res.status, res.text(".error-summary"))
		}
		href := res.location()
		page := staff.follow(res)
		ref := strings.TrimSpace(strings.SplitN(page.text("h1"), "·", 2)[0])
		// 10 January + 45 days = 24 February 2026.
		main := page.text("main")
		for _, want := range []string{"24 February 2026", "Request received by post", "to be answered by post",
			"has no email address", "answer by post", ref, "12 Letter Lane", "None: answer by post or phone"} {
			if !strings.Contains(main, want) {
				t.Fatalf("request page lacks %q:\n%s", want, main)
			}
		}
		if page.doc.Find(".notice.warn").Length() == 0 || !strings.Contains(page.text(".notice.warn"), ref) {
			t.Fatalf("no flag quoting the reference %s: %q", ref, page.text(".notice.warn"))
		}
		var r models.Request
		h.app.Core.DB().Where("right_code = ?", "access").Order("id DESC").First(&r)
		if got := r.ReceivedAt.In(h.app.Config.TimeZone).Format(time.DateOnly); got != "2026-01-10" || r.Status != models.StatusAwaitingVerification {
			t.Fatalf("received %s, status %s", got, r.Status)
		}
		// No acknowledgement went by itself: staff send one by post and record it.
		if r.AcknowledgedAt != nil || strings.Contains(page.text(".timeline"), "acknowledged by email") ||
			!strings.Contains(main, "send the acknowledgement by post") {
			t.Fatalf("acknowledged %v:\n%s", r.AcknowledgedAt, main)
		}
		if form := page.doc.Find(`form[action$="/acknowledge"]`); form.Length() != 1 || !strings.Contains(form.Text(), "acknowledged by post") {
			t.Fatalf("no form to record the acknowledgement:\n%s", main)
		}
		// The day it was posted, today by default: a letter posted on time
		// but recorded late is not shown late; not before the day received,
		// nor in the future.
		if got := page.doc.Find(`#f-acked_on`).AttrOr("value", ""); got != "2026-01-31" {
			t.Fatalf("date sent defaults to %q, want today", got)
		}
		for day, want := range map[string]string{"2026-01-09": "before the day", "2026-02-01": "future", "12/01/2026": "day, month and year"} {
			res := staff.post(href+"/acknowledge", url.Values{"acked_on": {day}})
			failedForm(t, "acknowledged on "+day, res, http.StatusUnprocessableEntity)
			if !strings.Contains(res.text("#f-acked_on-error"), want) || res.doc.Find(`#f-acked_on`).AttrOr("value", "") != day {
				t.Fatalf("acknowledged on %s: %q", day, res.text("#f-acked_on-error"))
			}
		}
		if res := staff.post(href+"/acknowledge", url.Values{"acked_on": {"2026-01-12"}}); res.status != http.StatusSeeOther {
			t.Fatalf("acknowledge: %d %s", res.status, res.text("main"))
		}
		h.app.Core.DB().Where("id = ?", r.ID).First(&r)
		if r.AcknowledgedAt == nil || r.AcknowledgedAt.In(h.app.Config.TimeZone).Format(time.DateOnly) != "2026-01-12" {
			t.Fatalf("acknowledged at %v, want 12 January 2026", r.AcknowledgedAt)
		}
		acked := staff.get(href)
		if !strings.Contains(acked.text("table.summary"), "Sent by post on 12 January 2026") ||
			!strings.Contains(acked.text(".timeline"), "Receipt acknowledged by post") || acked.doc.Find(`form[action$="/acknowledge"]`).Length() != 0 {
			t.Fatalf("after acknowledging:\n%s", acked.text("main"))
		}
		if res := staff.post(href+"/acknowledge", url.Values{}); res.status != http.StatusConflict {
			t.Fatalf("second acknowledgement: %d", res.status)
		}
		if n := h.count("email_verifications"); n != 0 {
			t.Fatalf("%d e-mail codes made for a person with no e-mail", n)
		}

		// The queue lists it; a search finds it by name; the export has it.
		if got := queueRefs(staff.get("/admin?status=all")); !slices.Contains(got, ref) {
			t.Fatalf("queue %v lacks %s", got, ref)
		}
		if got := queueRefs(staff.post("/admin/search", url.Values{"q": {"postbridge"}})); !slices.Equal(got, []string{ref}) {
			t.Fatalf("search by name found %v, want %s", got, ref)
		}
		exp := staff.get("/admin/export/requests.csv?status=all")
		rows, err := csv.NewReader(strings.NewReader(exp.body)).ReadAll()
		if err != nil || exp.status != http.StatusOK {
			t.Fatalf("export: %d %v", exp.status, err)
		}
		found := false
		for _, row := range rows {
			found = found || slices.Contains(row, ref)
		}
		if !found {
			t.Fatalf("export lacks %s:\n%s", ref, exp.body)
		}

		// Staff verify the person (a call, the letter's signature).
		staff.get(href)
		res = staff.post(href+"/status", url.Values{"status": {"verified"}, "detail": {"Checked against the customer file."}})
		if res.status != http.StatusSeeOther {
			t.Fatalf("verify: %d %s", res.status, res.text(".error-summary"))
		}
		// The confirmation does not claim the person was told.
		if got := staff.follow(res).text("main"); !strings.Contains(got, "Nothing was emailed") || strings.Contains(got, "requester told") {
			t.Fatalf("after verifying:\n%s", got)
		}

		// A second letter-writer with no e-mail, verified too, asking for
		// the same right while the first is open, is not taken for the same
		// person: nothing to merge into, and a merge is refused.
		other := cloneValues(form)
		other.Set("name", "Quentin Quill")
		other.Set("address", "1 Other Road, Fresno")
		other.Set("received", "2026-01-20")
		res = staff.post("/admin/intake", other)
		if res.status != http.StatusSeeOther {
			t.Fatalf("second intake: %d %s", res.status, res.text(".error-summary"))
		}
		second := res.location()
		staff.get(second)
		if res := staff.post(second+"/status", url.Values{"status": {"verified"}, "detail": {"Checked."}}); res.status != http.StatusSeeOther {
			t.Fatalf("verify second: %d", res.status)
		}
		if pg := staff.get(second); pg.doc.Find(`form[action$="/merge"]`).Length() != 0 ||
			!strings.Contains(pg.text("main"), "Not counted") || strings.Contains(pg.text("main"), "request of this kind") {
			t.Fatalf("two people without e-mail taken for one:\n%s", pg.text("main"))
		}
		if res := staff.post(second+"/merge", url.Values{"into": {strings.TrimPrefix(href, "/admin/requests/")}}); res.status != http.StatusConflict {
			t.Fatalf("merge of two people without e-mail: %d", res.status)
		}

		// The work is done and the letter sent is recorded as a note.
		for _, to := range []string{"in_progress", "completed"} {
			staff.get(href)
			if res := staff.post(href+"/status", url.Values{"status": {to}, "detail": {"Copy posted."}}); res.status != http.StatusSeeOther {
				t.Fatalf("move to %s: %d %s", to, res.status, res.text(".error-summary"))
			}
		}
		staff.get(href)
		if res := staff.post(href+"/notes", url.Values{"note": {"Letter with the copy posted to 12 Letter Lane."}}); res.status != http.StatusSeeOther {
			t.Fatalf("note: %d %s", res.status, res.text(".error-summary"))
		}
		done := staff.get(href)
		timeline := done.text(".timeline")
		for _, want := range []string{"Request received by post", "to be answered by post", "Letter with the copy posted"} {
			if !strings.Contains(timeline, want) {
				t.Fatalf("timeline lacks %q:\n%s", want, timeline)
			}
		}
		if !strings.Contains(done.text(".badge"), "Completed") {
			t.Fatalf("completed page:\n%s", done.text("main"))
		}
		// A call from someone with no e-mail: the number is what staff answer
		// on, shown in the flag, and a search by it finds the request.
		call := cloneValues(form)
		call.Set("channel", "phone")
		call.Set("name", "Carmen Callwood")
		call.Set("phone", "(415) 555-0123")
		call.Del("address")
		res = staff.post("/admin/intake", call)
		if res.status != http.StatusSeeOther {
			t.Fatalf("phone intake: %d %s", res.status, res.text(".error-summary"))
		}
		called := staff.follow(res)
		callRef := strings.TrimSpace(strings.SplitN(called.text("h1"), "·", 2)[0])
		if flag := called.text(".notice.warn"); !strings.Contains(flag, "answer by phone on (415) 555-0123") || !strings.Contains(flag, callRef) ||
			!strings.Contains(called.text(".timeline"), "to be answered by phone") {
			t.Fatalf("phone request page:\n%s", called.text("main"))
		}
		// Acknowledged by phone today, as the form says by default: now.
		callHref := called.doc.Find(`form[action$="/acknowledge"]`).AttrOr("action", "")
		if res := staff.post(callHref, url.Values{"acked_on": {called.doc.Find(`#f-acked_on`).AttrOr("value", "")}}); res.status != http.StatusSeeOther {
			t.Fatalf("acknowledge the call: %d %s", res.status, res.text(".error-summary"))
		}
		var callReq models.Request
		h.app.Core.DB().Where("id = ?", strings.TrimSuffix(strings.TrimPrefix(callHref, "/admin/requests/"), "/acknowledge")).First(&callReq)
		if callReq.AcknowledgedAt == nil || !callReq.AcknowledgedAt.Equal(received) {
			t.Fatalf("the call acknowledged at %v, want now (%v)", callReq.AcknowledgedAt, received)
		}
		if got := queueRefs(staff.post("/admin/search", url.Values{"q": {"415 555 0123"}})); !slices.Equal(got, []string{callRef}) {
			t.Fatalf("search by phone found %v, want %s", got, callRef)
		}

		// Nothing was queued for anyone at any step.
		if got := h.count("outbox"); got > outbox {
			t.Fatalf("outbox grew from %d to %d for people with no e-mail", outbox, got)
		}
		var blank int64
		h.app.Core.DB().Table("outbox").Where("to_addr = ''").Count(&blank)
		if blank != 0 {
			t.Fatalf("%d mails queued to an empty address", blank)
		}
	})
}

// A letter from the United Kingdom with no e-mail: the confirmation says
// nothing was e-mailed; staff can neither raise the identity check (its
// questions are answered online) nor put a question on a tracking page
// the person never got, which would stop the clock for an answer that
// cannot come: both are refused next to their field, with what to do
// instead, and the request stays as it was.
func TestNoEmailLetterIsNotAskedOnline(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		h.freeze(received)
		staff := h.staff()
		staff.get("/admin/intake")
		form := url.Values{"channel": {"mail"}, "received": {"2026-01-20"}, "country": {"GB"}, "state": {""},
			"rights": {"access"}, "name": {"Una Underhill"}, "email": {""}, "address": {"3 Post Road, York"},
			"relationship": {"customer"}, "details": {"A letter asking for my data."}}
		res := staff.post("/admin/intake", form)
		if res.status != http.StatusSeeOther {
			t.Fatalf("intake: %d %s", res.status, res.text(".error-summary"))
		}
		href := res.location()
		page := staff.follow(res)
		if got := page.text("main"); !strings.Contains(got, "Nothing was emailed") || strings.Contains(got, "emailed their tracking link") {
			t.Fatalf("intake confirmation:\n%s", got)
		}
		if res := staff.post(href+"/status", url.Values{"status": {"verified"}, "detail": {"Signature matches our file."}}); res.status != http.StatusSeeOther {
			t.Fatalf("verify: %d %s", res.status, res.text(".error-summary"))
		}
		staff.get(href)
		events, pauses := h.count("events"), h.count("request_pauses")

		res = staff.post(href+"/identity/raise", url.Values{"tier": {"two_points"}, "raise_reason": {"Unsure it is them."}})
		failedForm(t, "raise for a person with no e-mail", res, http.StatusUnprocessableEntity)
		if got := res.text(".error-summary"); !strings.Contains(got, "no email address") || !strings.Contains(got, "by post or phone") {
			t.Fatalf("raise refused with %q:\n%s", got, res.text("main"))
		}
		// The page offers no online question nor identity check; one posted
		// anyway is refused, saying why.
		page = staff.get(href)
		if page.doc.Find(`form[action$="/pause"], form[action$="/identity/raise"]`).Length() != 0 {
			t.Fatal("the request page offers to ask a person with no e-mail online")
		}
		// Nor does it promise an e-mail anywhere.
		for _, promise := range []string{"Save and tell the requester", "is emailed the new date", "the email only tells them", "with a code we e-mail them"} {
			if strings.Contains(page.body, promise) {
				t.Errorf("the request page of a person with no e-mail says %q", promise)
			}
		}
		if !strings.Contains(page.body, "Save (then tell them by post or phone)") || !strings.Contains(page.body, "send it to them by post") {
			t.Errorf("the request page does not say how to tell them:\n%s", page.text("main"))
		}
		res = staff.post(href+"/pause", url.Values{"pause_reason": {"clarify"}, "question": {"Which account?"}})
		failedForm(t, "question for a person with no e-mail", res, http.StatusUnprocessableEntity)
		if got := res.text(".error-summary"); !strings.Contains(got, "Ask them by post or phone") || !strings.Contains(got, "note") {
			t.Fatalf("question refused with %q:\n%s", got, res.text("main"))
		}
		var r models.Request
		h.app.Core.DB().Where("right_code = ?", "access").Order("id DESC").First(&r)
		if r.Status != models.StatusVerified || h.count("events") != events || h.count("request_pauses") != pauses || h.count("identity_checks") != 0 {
			t.Fatalf("after the refusals: status %s, events %d→%d, pauses %d→%d, checks %d", r.Status, events, h.count("events"),
				pauses, h.count("request_pauses"), h.count("identity_checks"))
		}
	})
}

// A person with no e-mail appeals a denial by letter: staff enter it on the
// denied request, with the letter's reason and the day it arrived (today by
// default, not before the denial nor in the future); it opens an appeal
// with its own clock from that day, once per request, and nothing is
// e-mailed. Staff who do not work on requests cannot enter one.
func TestAppealByPost(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		h.freeze(received) // 31 January 2026
		staff := h.staff()
		staff.get("/admin/intake")
		form := url.Values{"channel": {"mail"}, "received": {"2026-01-20"}, "country": {"US"}, "state": {"VA"},
			"rights": {"delete"}, "name": {"Vera Vellum"}, "email": {""}, "address": {"4 Quill Court, Richmond, VA"},
			"relationship": {"customer"}, "details": {"Please delete my account."}}
		res := staff.post("/admin/intake", form)
		if res.status != http.StatusSeeOther {
			t.Fatalf("intake: %d %s", res.status, res.text(".error-summary"))
		}
		href := res.location()
		if pg := staff.follow(res); pg.doc.Find(`form[action$="/appeal"]`).Length() != 0 {
			t.Fatal("an appeal form on an open request")
		}
		for _, step := range []url.Values{{"status": {"verified"}, "detail": {"Signature checked."}},
			{"status": {"denied"}, "denial_reason": {"exemption"}, "detail": {"Kept for tax law."}}} {
			staff.get(href)
			if res := staff.post(href+"/status", step); res.status != http.StatusSeeOther {
				t.Fatalf("%s: %d %s", step.Get("status"), res.status, res.text(".error-summary"))
			}
		}
		// 6 February: the letter of appeal, which arrived on 3 February, is entered.
		h.freeze(received.Add(6 * 24 * time.Hour))
		outbox, requests := h.count("outbox"), h.count("requests")
		page := staff.get(href)
		if got := page.doc.Find(`form[action$="/appeal"] #f-appeal_received`).AttrOr("value", ""); got != "2026-02-06" {
			t.Fatalf("no appeal form dated today (%q):\n%s", got, page.text("main"))
		}
		if res := h.staffAs(models.RoleAuditor).post(href+"/appeal", url.Values{"appeal_reason": {"x"}}); res.status != http.StatusForbidden {
			t.Fatalf("an auditor entered an appeal: %d", res.status)
		}
		for _, tc := range []struct{ reason, day, field, want string }{
			{"", "2026-02-03", "appeal_reason", ""},
			{"I closed my account.", "2026-01-30", "appeal_received", "before the day of the denial"},
			{"I closed my account.", "2026-02-07", "appeal_received", "future"},
			{"I closed my account.", "3 Feb", "appeal_received", "day, month and year"},
		} {
			res := staff.post(href+"/appeal", url.Values{"appeal_reason": {tc.reason}, "appeal_received": {tc.day}})
			failedForm(t, "appeal received "+tc.day, res, http.StatusUnprocessableEntity)
			if got := res.text("#f-" + tc.field + "-error"); got == "" || !strings.Contains(got, tc.want) ||
				res.doc.Find(`#f-appeal_received`).AttrOr("value", "") != tc.day || res.text("#f-appeal_reason") != tc.reason {
				t.Fatalf("appeal %q on %s: error %q:\n%s", tc.reason, tc.day, got, res.text("main"))
			}
		}
		res = staff.post(href+"/appeal", url.Values{"appeal_reason": {"I closed my account; nothing is owed."}, "appeal_received": {"2026-02-03"}})
		if res.status != http.StatusSeeOther {
			t.Fatalf("appeal: %d %s", res.status, res.text(".error-summary"))
		}
		orig := staff.follow(res)
		link := orig.doc.Find(`a[href^="/admin/requests/"]`).FilterFunction(func(_ int, s *goquery.Selection) bool {
			return strings.Contains(s.Parent().Parent().Text(), "Appeal")
		})
		if !strings.Contains(orig.text("main"), "Appeal recorded") || orig.doc.Find(`form[action$="/appeal"]`).Length() != 0 || link.Length() == 0 {
			t.Fatalf("after the appeal:\n%s", orig.text("main"))
		}
		var appeal models.Request
		h.app.Core.DB().Where("kind = ?", models.KindAppeal).Take(&appeal)
		if appeal.AppealOfID == nil || href != "/admin/requests/"+itoa(*appeal.AppealOfID) ||
			appeal.ReceivedAt.In(h.app.Config.TimeZone).Format(time.DateOnly) != "2026-02-03" ||
			appeal.DueAt.In(h.app.Config.TimeZone).Format(time.DateOnly) != "2026-04-04" {
			t.Fatalf("appeal %+v", appeal)
		}
		ap := staff.get("/admin/requests/" + itoa(appeal.ID))
		if !strings.Contains(ap.text(".timeline"), "I closed my account; nothing is owed.") || !strings.Contains(ap.text("main"), "4 April 2026") {
			t.Fatalf("appeal page:\n%s", ap.text("main"))
		}
		// Once only; nothing was e-mailed.
		if res := staff.post(href+"/appeal", url.Values{"appeal_reason": {"Again."}, "appeal_received": {"2026-02-04"}}); res.status != http.StatusConflict {
			t.Fatalf("second appeal: %d", res.status)
		}
		if h.count("requests") != requests+1 || h.count("outbox") != outbox {
			t.Fatalf("requests %d→%d, outbox %d→%d", requests, h.count("requests"), outbox, h.count("outbox"))
		}
	})
}
