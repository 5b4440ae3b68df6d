package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
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

// wrongCode is six digits that no authenticator showing secret's codes
// would show now (nor 30 seconds either side).
func wrongCode(t *testing.T, secret string) string {
	t.Helper()
	taken := map[string]bool{}
	for _, d := range []time.Duration{-30 * time.Second, 0, 30 * time.Second} {
		code, err := totp.GenerateCode(secret, time.Now().Add(d))
		if err != nil {
			t.Fatal(err)
		}
		taken[code] = true
	}
	for _, c := range []string{"000000", "123456", "999999", "424242"} {
		if !taken[c] {
			return c
		}
	}
	t.Fatal("no wrong code")
	return ""
}

// teamRow finds the team page's row of the member with email.
func teamRow(t *testing.T, team page, email string) *goquery.Selection {
	t.Helper()
	rows := team.doc.Find("tbody tr")
	for i := range rows.Length() {
		if row := rows.Eq(i); strings.Contains(row.Text(), email) {
			return row
		}
	}
	t.Fatalf("no row for %s on the team page:\n%s", email, team.text("main"))
	return nil
}

// Two-step sign-in is optional for a reviewer: one who turns it on (a
// wrong code refused on the field first) is asked for a code at the next
// sign-in. From the team page an administrator changes a member's role
// and resets a member's two-step sign-in, each audited.
func TestTeamRolesAndTwoStep(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		admin := h.staffAs(models.RoleAdmin)
		reviewer := h.staffAs(models.RoleReviewer) // not made to enrol
		reviewerID := h.staffID(reviewer)
		password := func(b *browser) page {
			t.Helper()
			b.get("/admin/login")
			return b.post("/admin/login", url.Values{"email": {reviewer.email}, "password": {"correct horse battery staple"}})
		}
		if res := password(h.browser()); res.status != http.StatusSeeOther || res.location() == "/admin/login/two-step" {
			t.Fatalf("a reviewer without two-step sign-in: %d %s", res.status, res.location())
		}

		// Enrolment: a wrong code is refused next to the field, and leaves
		// two-step sign-in off.
		setup := reviewer.get("/admin/account/two-step")
		secret := strings.ReplaceAll(setup.text("code.secret"), " ", "")
		sealed := setup.doc.Find(`input[name="sealed"]`).AttrOr("value", "")
		wrong := reviewer.post("/admin/account/two-step", url.Values{"sealed": {sealed}, "code": {wrongCode(t, secret)}})
		if wrong.status != http.StatusUnprocessableEntity || !strings.Contains(wrong.text("#f-code-error"), "That code is not right") ||
			!strings.Contains(wrong.text(".error-summary"), "That code is not right") {
			t.Fatalf("a wrong enrolment code: %d %q", wrong.status, wrong.text("#f-code-error"))
		}
		var st models.Staff
		h.app.Core.DB().Where("id = ?", reviewerID).Take(&st)
		if st.TwoStepOn() {
			t.Fatal("a wrong code turned two-step sign-in on")
		}
		if res := password(h.browser()); res.location() == "/admin/login/two-step" {
			t.Fatal("asked for a code after a refused enrolment")
		}
		secret = reviewer.enrolTwoStep()

		// The next sign-in asks for a code, and the admin opens only after it.
		b := h.browser()
		if res := password(b); res.status != http.StatusSeeOther || res.location() != "/admin/login/two-step" {
			t.Fatalf("a reviewer with two-step sign-in: %d %s", res.status, res.location())
		}
		if res := b.get("/admin"); res.status == http.StatusOK {
			t.Fatal("the admin opened before the code")
		}
		b.get("/admin/login/two-step")
		if res := b.post("/admin/login/two-step", url.Values{"code": {wrongCode(t, secret)}}); res.status != http.StatusUnprocessableEntity ||
			!strings.Contains(res.text("#f-code-error"), "That code is not right") {
			t.Fatalf("a wrong sign-in code: %d", res.status)
		}
		code, _ := totp.GenerateCode(secret, time.Now().Add(30*time.Second)) // the enrolment spent this step's
		if res := b.post("/admin/login/two-step", url.Values{"code": {code}}); res.status != http.StatusSeeOther {
			t.Fatalf("the right code: %d %s", res.status, res.text("main"))
		}
		if res := b.get("/admin"); res.status != http.StatusOK {
			t.Fatalf("after the code: %d", res.status)
		}

		audited := func(action string) string {
			t.Helper()
			var e models.AuditEntry
			err := h.app.Core.DB().Where("action = ? AND object_type = ? AND object_id = ?", action, "staff", reviewerID).Order("id DESC").Take(&e).Error
			if err != nil || e.StaffID == nil || *e.StaffID != h.staffID(admin) {
				t.Fatalf("%s not audited as the administrator's: %v %+v", action, err, e)
			}
			return e.Detail
		}

		// The administrator makes the reviewer a privacy officer, who may
		// then change settings.
		if res := reviewer.get("/admin/settings"); res.status != http.StatusForbidden {
			t.Fatalf("a reviewer opened the settings: %d", res.status)
		}
		team := admin.get("/admin/team")
		row := teamRow(t, team, reviewer.email)
		if row.Find(".badge").Text() != "Two-step" {
			t.Fatalf("the team page does not say two-step sign-in is on:\n%s", row.Text())
		}
		roleAction := row.Find("form[action$='/role']").AttrOr("action", "")
		if res := admin.post(roleAction, url.Values{"role": {"owner"}}); res.status != http.StatusUnprocessableEntity {
			t.Fatalf("an unknown role: %d", res.status)
		}
		if res := admin.post(roleAction, url.Values{"role": {models.RoleOfficer}}); res.status != http.StatusSeeOther {
			t.Fatalf("role change: %d %s", res.status, res.text("main"))
		}
		st = models.Staff{}
		h.app.Core.DB().Where("id = ?", reviewerID).Take(&st)
		if st.Role != models.RoleOfficer {
			t.Fatalf("role after the change: %s", st.Role)
		}
		if got := teamRow(t, admin.get("/admin/team"), reviewer.email).Find(`select[name="role"] option[selected]`).AttrOr("value", ""); got != models.RoleOfficer {
			t.Fatalf("the team page shows the role as %q", got)
		}
		if d := audited("staff.role"); d != "reviewer->officer" {
			t.Fatalf("role change audited as %q", d)
		}
		if res := b.get("/admin/settings"); res.status != http.StatusOK {
			t.Fatalf("the new privacy officer cannot open the settings: %d", res.status)
		}

		// The administrator resets the member's two-step sign-in (a lost
		// phone): signed out, and the next sign-in asks for no code.
		resetAction := teamRow(t, admin.get("/admin/team"), reviewer.email).Find("form[action$='/reset-two-step']").AttrOr("action", "")
		if resetAction == "" {
			t.Fatal("no reset two-step form")
		}
		if res := admin.post(resetAction, url.Values{}); res.status != http.StatusSeeOther {
			t.Fatalf("reset two-step: %d", res.status)
		}
		audited("staff.two_step_reset")
		st = models.Staff{}
		h.app.Core.DB().Where("id = ?", reviewerID).Take(&st)
		var codes int64
		h.app.Core.DB().Model(&models.RecoveryCode{}).Where("staff_id = ?", reviewerID).Count(&codes)
		if st.TwoStepOn() || codes != 0 {
			t.Fatalf("after the reset: two-step on %v, %d recovery codes", st.TwoStepOn(), codes)
		}
		if b.get("/admin").status == http.StatusOK || reviewer.get("/admin").status == http.StatusOK {
			t.Fatal("the member's sessions survived the reset")
		}
		if teamRow(t, admin.get("/admin/team"), reviewer.email).Find("form[action$='/reset-two-step']").Length() != 0 {
			t.Fatal("the team page still offers to reset two-step sign-in")
		}
		again := h.browser()
		if res := password(again); res.status != http.StatusSeeOther || res.location() == "/admin/login/two-step" {
			t.Fatalf("sign-in after the reset: %d %s", res.status, res.location())
		}
		if res := again.get("/admin"); res.status != http.StatusOK {
			t.Fatalf("after the reset: %d", res.status)
		}
	})
}
