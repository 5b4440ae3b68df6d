package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/rightsdesk/rightsdesk/models"
)

var linkRe = regexp.MustCompile(`https?://\S+/(invite|reset)/[A-Za-z0-9_-]{43}`)

// An administrator invites someone by mail; the link works once, and the
// new member signs in with the role they were given.
func TestInvitation(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		admin := h.staffAs(models.RoleAdmin)
		admin.get("/admin/team")
		bad := admin.post("/admin/team/invite", url.Values{"name": {"Robin"}, "email": {"not-an-address"}, "role": {"auditor"}})
		if bad.status != http.StatusUnprocessableEntity || bad.text("#f-email-error") == "" || bad.doc.Find(`#f-name`).AttrOr("value", "") != "Robin" {
			t.Fatalf("bad invitation: %d %q", bad.status, bad.text(".error-summary"))
		}
		res := admin.post("/admin/team/invite", url.Values{"name": {"Robin Auditor"}, "email": {"robin@example.org"}, "role": {"auditor"}})
		if res.status != http.StatusSeeOther {
			t.Fatalf("invite: %d %s", res.status, res.text(".error-summary"))
		}
		if page := admin.follow(res); !strings.Contains(page.text("main"), "robin@example.org") {
			t.Fatal("the pending invitation is not listed")
		}
		m := h.mailTo("robin@example.org", "invited")
		link := linkRe.FindString(m.Text())
		if link == "" || strings.Contains(m.Subject, "Robin") {
			t.Fatalf("invitation mail:\n%s\n%s", m.Subject, m.Text())
		}
		robin := h.browser()
		page := robin.get(link)
		if page.status != http.StatusOK || !strings.Contains(page.text("main"), "robin@example.org") {
			t.Fatalf("invitation page: %d", page.status)
		}
		if res := robin.post(link, url.Values{"password": {"short"}}); res.status != http.StatusUnprocessableEntity || res.text("#f-password-error") == "" {
			t.Fatalf("short password: %d", res.status)
		}
		if res := robin.post(link, url.Values{"password": {"a long enough password"}}); res.status != http.StatusSeeOther {
			t.Fatalf("accept: %d %s", res.status, res.text("main"))
		}
		// Signed in, as an auditor: reading yes, working no.
		if res := robin.get("/admin"); res.status != http.StatusOK {
			t.Fatalf("queue: %d", res.status)
		}
		if res := robin.post("/admin/requests/1/notes", url.Values{"note": {"x"}}); res.status != http.StatusForbidden {
			t.Fatalf("an auditor added a note: %d", res.status)
		}
		// The link works once.
		if res := h.browser().get(link); res.status != http.StatusNotFound {
			t.Fatalf("used invitation: %d", res.status)
		}
		// An expired invitation is refused.
		admin.get("/admin/team")
		admin.post("/admin/team/invite", url.Values{"name": {"Late"}, "email": {"late@example.org"}, "role": {"reviewer"}})
		late := linkRe.FindString(h.mailTo("late@example.org", "invited").Text())
		h.app.Core.DB().Model(&models.StaffInvite{}).Where("email = ?", "late@example.org").Update("expires_at", time.Now().Add(-time.Minute))
		if res := h.browser().get(late); res.status != http.StatusNotFound || !strings.Contains(res.body, "expired") {
			t.Fatalf("expired invitation: %d", res.status)
		}
	})
}

// Two-step sign-in: an administrator is made to set it up; then a sign-in
// needs a code, a code works once, and a recovery code stands in once.
func TestTwoStepSignIn(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		admin := h.staffAs(models.RoleAdmin) // enrols on the way in
		signIn := func() *browser {
			b := h.browser()
			b.get("/admin/login")
			res := b.post("/admin/login", url.Values{"email": {admin.email}, "password": {"correct horse battery staple"}})
			if res.status != http.StatusSeeOther || res.location() != "/admin/login/two-step" {
				t.Fatalf("password step: %d %s", res.status, res.location())
			}
			if res := b.get("/admin"); res.location() == "/admin" || res.status == http.StatusOK {
				t.Fatal("the admin opened before the second step")
			}
			b.get("/admin/login/two-step")
			return b
		}
		b := signIn()
		if res := b.post("/admin/login/two-step", url.Values{"code": {"000000"}}); res.status != http.StatusUnprocessableEntity || res.text("#f-code-error") == "" {
			t.Fatalf("wrong code: %d", res.status)
		}
		// The code of the next 30 seconds: the one used to enrol is spent.
		code, _ := totp.GenerateCode(admin.secret, time.Now().Add(30*time.Second))
		if res := b.post("/admin/login/two-step", url.Values{"code": {code}}); res.status != http.StatusSeeOther {
			t.Fatalf("right code: %d %s", res.status, res.text("main"))
		}
		if res := b.get("/admin"); res.status != http.StatusOK {
			t.Fatalf("after two steps: %d", res.status)
		}
		again := signIn()
		if res := again.post("/admin/login/two-step", url.Values{"code": {code}}); res.status != http.StatusUnprocessableEntity {
			t.Fatalf("a reused code: %d", res.status)
		}
		if res := again.post("/admin/login/two-step", url.Values{"code": {strings.ToLower(admin.recovery)}}); res.status != http.StatusSeeOther {
			t.Fatalf("recovery code: %d", res.status)
		}
		third := signIn()
		if res := third.post("/admin/login/two-step", url.Values{"code": {admin.recovery}}); res.status != http.StatusUnprocessableEntity {
			t.Fatalf("a recovery code used twice: %d", res.status)
		}
	})
}

// An administrator resets a member's password: the member is signed out,
// the old password stops working, and the mailed link sets a new one once.
func TestPasswordReset(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		admin := h.staffAs(models.RoleAdmin)
		member := h.staffAs(models.RoleReviewer)
		team := admin.get("/admin/team")
		var action string
		rows := team.doc.Find("tbody tr")
		for i := range rows.Length() {
			if row := rows.Eq(i); strings.Contains(row.Text(), member.email) {
				action = row.Find("form[action$='/reset']").AttrOr("action", "")
			}
		}
		if res := admin.post(action, url.Values{}); res.status != http.StatusSeeOther {
			t.Fatalf("reset: %d", res.status)
		}
		if member.get("/admin").status == http.StatusOK {
			t.Fatal("the member is still signed in")
		}
		login := func(pw string) int {
			b := h.browser()
			b.get("/admin/login")
			return b.post("/admin/login", url.Values{"email": {member.email}, "password": {pw}}).status
		}
		if login("correct horse battery staple") != http.StatusUnauthorized {
			t.Fatal("the old password still works")
		}
		link := linkRe.FindString(h.mailTo(member.email, "new password").Text())
		b := h.browser()
		b.get(link)
		if res := b.post(link, url.Values{"password": {"my brand new password"}}); res.status != http.StatusSeeOther {
			t.Fatalf("set: %d %s", res.status, res.text("main"))
		}
		if login("my brand new password") != http.StatusSeeOther {
			t.Fatal("the new password does not work")
		}
		if res := h.browser().get(link); res.status != http.StatusNotFound {
			t.Fatalf("used reset link: %d", res.status)
		}
	})
}
