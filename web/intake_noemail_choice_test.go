package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rightsdesk/rightsdesk/handlers"
	"github.com/rightsdesk/rightsdesk/models"
)

// An opt-out taken by phone from someone with no e-mail is kept as a
// preference of the phone number: it is on the opt-out list, each system in
// scope is sent the change, and the task says whom it is for. An opt-out
// by letter with a postal address only has no identifier a system could
// act on: the request page says so to staff, and no preference is made.
func TestNoEmailOptOutByPhoneIsAPreference(t *testing.T) {
	for _, d := range []string{"sqlite", "postgres"} {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			h := newHarnessWith(t, harnessOptions{dialect: d, env: map[string]string{"RIGHTSDESK_WEBHOOK_ALLOW_PRIVATE": "true",
				"RIGHTSDESK_WEBHOOK_TIMEOUT": "1s"}})
			ctx := context.Background()
			ads := &choiceReceiver{addr: freeAddr(t)}
			ads.start(t)
			staff := h.staff()
			ads.key = staff.addSystem("Ad platform", "third_party", "http://"+ads.addr+"/hook", "opt_out_sale").text("#webhook-secret")

			form := url.Values{"channel": {"phone"}, "received": {h.app.Core.Now().In(h.app.Config.TimeZone).Format("2006-01-02")},
				"country": {"US"}, "state": {"CA"}, "rights": {"opt_out_sale"}, "name": {"Carmen Callwood"}, "email": {""},
				"phone": {"(415) 555-0123"}, "relationship": {"customer"}, "details": {"Called to opt out."}}
			staff.get("/admin/intake")
			res := staff.post("/admin/intake", form)
			if res.status != http.StatusSeeOther {
				t.Fatalf("phone intake: %d %s", res.status, res.text(".error-summary"))
			}
			page := staff.follow(res)
			phone := models.ChoiceIdentifier{Kind: models.IDPhone, Value: "4155550123"}
			p := h.preference(models.IDPhone, phone.Value, "opt_out_sale")
			if p == nil || !p.OptedOut || p.RequestID == nil || "/admin/requests/"+itoa(*p.RequestID) != res.location() {
				t.Fatalf("preference of the phone number: %+v (request page %s)", p, res.location())
			}
			list, err := h.app.Choices.OptOuts(ctx, models.OptOutFilter{})
			if err != nil || len(list.Items) != 1 || list.Items[0].Seq != p.Seq {
				t.Fatalf("opt-out list: %+v %v", list, err)
			}
			waitFor(t, "the change and the task", func() bool {
				return len(ads.of("preference.changed")) == 1 && len(ads.of("task.opened")) == 1
			})
			if ch := ads.of("preference.changed")[0]; ads.badSig != 0 || ch.Identifier == nil || *ch.Identifier != phone || !ch.OptedOut ||
				ch.Source != models.SourceRequestForm {
				t.Fatalf("change sent: %+v", ch)
			}
			if task := ads.of("task.opened")[0]; task.Identifier == nil || *task.Identifier != phone || task.Task.Person.Phone != "(415) 555-0123" {
				t.Fatalf("task sent: %+v", task)
			}
			if strings.Contains(page.text("main"), "not on the opt-out list") {
				t.Fatalf("the phone's opt-out is flagged as unlisted:\n%s", page.text("main"))
			}

			// By letter, with an address only: flagged, not listed.
			letter := url.Values{"channel": {"mail"}, "received": form["received"], "country": {"US"}, "state": {"CA"},
				"rights": {"opt_out_sale"}, "name": {"Penelope Postbridge"}, "email": {""}, "address": {"12 Letter Lane, Oakland"},
				"relationship": {"customer"}, "details": {"A letter."}}
			staff.get("/admin/intake")
			res = staff.post("/admin/intake", letter)
			if res.status != http.StatusSeeOther {
				t.Fatalf("letter intake: %d %s", res.status, res.text(".error-summary"))
			}
			page = staff.follow(res)
			if flag := page.text(".notice.warn"); !strings.Contains(flag, "not on the opt-out list") || !strings.Contains(flag, "by hand") {
				t.Fatalf("no flag for the unlisted opt-out:\n%s", page.text("main"))
			}
			if n := h.count("preferences"); n != 1 {
				t.Fatalf("%d preferences, want the phone's alone", n)
			}
			// The systems are sent the postal address to find the person by,
			// and so is the staff API.
			waitFor(t, "the letter's task", func() bool { return len(ads.of("task.opened")) == 2 })
			if task := ads.of("task.opened")[1]; task.Identifier != nil || task.Task.Person.Address != "12 Letter Lane, Oakland" ||
				task.Task.Person.Email != "" || task.Task.Person.Name != "Penelope Postbridge" {
				t.Fatalf("the letter's task: %+v", task)
			}
			if task := ads.of("task.opened")[0]; task.Task.Person.Address != "" {
				t.Fatalf("the call's task has an address: %+v", task.Task.Person)
			}
			var api handlers.APIRequest
			if st := h.apiCall(staff.makeToken(models.ScopeRead), http.MethodGet, strings.Replace(res.location(), "/admin/", "/api/v1/", 1), "", &api); st != http.StatusOK ||
				api.Requester.Address != "12 Letter Lane, Oakland" || api.Requester.Email != "" {
				t.Fatalf("staff API: %d %+v", st, api.Requester)
			}
		})
	}
}

// A person known only by a phone number or a customer id on the choices
// page has no e-mail either, but is no letter to answer: their request page
// shows the identifier, with no "answer by post or phone", no form to
// record a posted acknowledgement, and staff's confirmations do not tell
// them to reply by post or phone to a customer id.
func TestChoiceByIdentifierIsNotALetter(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		staff := h.staff()
		for _, s := range []models.Subject{{Kind: models.IDPhone, Value: "+14155550177"}, {Kind: models.IDCustomer, Value: "C-2002"}} {
			res, err := h.app.Choices.Set(context.Background(), models.ChoiceInput{Subject: s,
				Changes: []models.Change{{Choice: "opt_out_sale", OptOut: true, Source: models.SourcePage}}}, models.RequesterActor("ip"))
			if err != nil || len(res.Requests) != 1 {
				t.Fatalf("%s: %+v %v", s.Kind, res, err)
			}
			href := "/admin/requests/" + itoa(res.Requests[0].ID)
			page := staff.get(href)
			main := page.text("main")
			if !strings.Contains(main, s.Value) || strings.Contains(main, "answer by post") || strings.Contains(page.text(".notice.warn"), "no email") ||
				page.doc.Find(`form[action$="/acknowledge"]`).Length() != 0 || strings.Contains(main, "not on the opt-out list") {
				t.Fatalf("%s request page:\n%s", s.Kind, main)
			}
			next := models.StatusInProgress
			done := staff.post(href+"/status", url.Values{"status": {next}, "detail": {"Applied."}})
			if done.status != http.StatusSeeOther {
				t.Fatalf("%s to %s: %d %s", s.Kind, next, done.status, done.text(".error-summary"))
			}
			if got := staff.follow(done).text("main"); strings.Contains(got, "by post or phone") || strings.Contains(got, "Nothing was emailed") {
				t.Fatalf("%s confirmation:\n%s", s.Kind, got)
			}
		}
	})
}
