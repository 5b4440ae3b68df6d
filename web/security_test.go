package web_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/pquerna/otp/totp"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/web"
)

var refRe = regexp.MustCompile(`RD-[0-9A-Z]{4}-[0-9A-Z]{4}`)

// staffAs signs in a new staff member with role and returns their
// browser. An administrator is sent to set up two-step sign-in first, and
// does, with the key the page shows.
func (h *harness) staffAs(role string) *browser {
	h.t.Helper()
	email := "member" + strings.ToLower(models.NewNonce()[:8]) + "@example.org"
	if _, err := h.app.Staff.Create(context.Background(), models.StaffInput{Email: email, Name: "Sam " + role,
		Role: role, Password: "correct horse battery staple"}, models.SystemActor); err != nil {
		h.t.Fatal(err)
	}
	b := h.browser()
	b.get("/admin/login")
	if res := b.post("/admin/login", url.Values{"email": {email}, "password": {"correct horse battery staple"}}); res.status != http.StatusSeeOther {
		h.t.Fatalf("login as %s: %d", role, res.status)
	}
	b.email = email
	if models.NeedsTwoStep(role) {
		if res := b.get("/admin"); res.location() != "/admin/account/two-step" {
			h.t.Fatalf("an administrator without two-step sign-in reached %d %s", res.status, res.location())
		}
		b.secret = b.enrolTwoStep()
	}
	return b
}

// enrolTwoStep sets up two-step sign-in from the setup page, as a person
// with an authenticator app would, and returns the key.
func (b *browser) enrolTwoStep() string {
	b.h.t.Helper()
	setup := b.get("/admin/account/two-step")
	secret := strings.ReplaceAll(setup.text("code.secret"), " ", "")
	sealed := setup.doc.Find(`input[name="sealed"]`).AttrOr("value", "")
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil || sealed == "" {
		b.h.t.Fatalf("setup page: %v %q", err, setup.text("main"))
	}
	res := b.post("/admin/account/two-step", url.Values{"sealed": {sealed}, "code": {code}})
	if res.status != http.StatusOK || res.doc.Find("ul.codes li").Length() != 10 {
		b.h.t.Fatalf("confirming two-step sign-in: %d %s", res.status, res.text("main"))
	}
	b.recovery = strings.TrimSpace(res.doc.Find("ul.codes li").First().Text())
	return secret
}

// clone gives a second browser the same cookies, as a thief would.
func (b *browser) clone() *browser {
	c := b.h.browser()
	u, _ := url.Parse(b.h.srv.URL)
	c.client.Jar.SetCookies(u, b.client.Jar.Cookies(u))
	c.csrf = b.csrf
	return c
}

// A session ends for real: a cookie copied before signing out, before
// "sign out everywhere", before a password change or before deactivation
// opens nothing afterwards; nor does one idle for over 30 minutes. The
// account page lists each live session, this browser's marked.
func TestSessionsEnd(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		admin := h.staffAs(models.RoleAdmin)
		opens := func(b *browser) bool {
			t.Helper()
			return b.get("/admin").status == http.StatusOK
		}
		t.Run("logout", func(t *testing.T) {
			b := h.staffAs(models.RoleReviewer)
			stolen := b.clone()
			if !opens(stolen) {
				t.Fatal("copied cookie does not work before logout")
			}
			b.get("/admin")
			if res := b.post("/admin/logout", url.Values{}); res.status != http.StatusSeeOther {
				t.Fatalf("logout: %d", res.status)
			}
			if opens(stolen) {
				t.Fatal("a cookie copied before logout still opens the admin")
			}
			stolen.get("/admin/login")
			if res := stolen.post("/admin/requests/1/notes", url.Values{"note": {"x"}}); res.status != http.StatusForbidden {
				t.Fatalf("note after logout: %d", res.status)
			}
		})
		t.Run("sign out everywhere", func(t *testing.T) {
			b := h.staffAs(models.RoleReviewer)
			other := b.clone()
			b.get("/admin/account")
			if res := b.post("/admin/account/sign-out-everywhere", url.Values{}); res.status != http.StatusSeeOther {
				t.Fatalf("%d", res.status)
			}
			if opens(other) || opens(b) {
				t.Fatal("a session survived sign-out-everywhere")
			}
		})
		t.Run("password change", func(t *testing.T) {
			b := h.staffAs(models.RoleReviewer)
			other := b.clone()
			// Both cookies name one session; a second sign-in is another session.
			b.get("/admin/account")
			wrong := b.post("/admin/account/password", url.Values{"current": {"nope"}, "password": {"a new long password"}})
			if wrong.status != http.StatusUnprocessableEntity || !strings.Contains(wrong.text("#f-current-error"), "not right") {
				t.Fatalf("wrong current password: %d", wrong.status)
			}
			second := h.browser()
			second.get("/admin/login")
			email := strings.TrimSpace(b.get("/admin/account").doc.Find("dl.summary dd").Eq(1).Text())
			if res := second.post("/admin/login", url.Values{"email": {email}, "password": {"correct horse battery staple"}}); res.status != http.StatusSeeOther {
				t.Fatalf("second sign-in: %d", res.status)
			}
			b.get("/admin/account")
			res := b.post("/admin/account/password", url.Values{"current": {"correct horse battery staple"}, "password": {"a new long password"}})
			if res.status != http.StatusSeeOther {
				t.Fatalf("change: %d %s", res.status, res.text(".error-summary"))
			}
			if !opens(b) || !opens(other) {
				t.Fatal("the session that changed the password was ended")
			}
			if opens(second) {
				t.Fatal("another session survived the password change")
			}
		})
		// idle moves the last use of each of a member's sessions back by ago.
		idle := func(b *browser, ago time.Duration) {
			t.Helper()
			if err := h.app.Core.DB().Model(&models.StaffSession{}).Where("staff_id = ?", h.staffID(b)).
				Update("last_seen_at", time.Now().Add(-ago)).Error; err != nil {
				t.Fatal(err)
			}
		}
		t.Run("idle timeout", func(t *testing.T) {
			b := h.staffAs(models.RoleReviewer)
			idle(b, 29*time.Minute)
			if !opens(b) {
				t.Fatal("a session used 29 minutes ago was ended")
			}
			idle(b, 31*time.Minute)
			res := b.get("/admin")
			if res.status != http.StatusSeeOther || !strings.HasPrefix(res.location(), "/admin/login") {
				t.Fatalf("a session idle for 31 minutes: %d %s", res.status, res.location())
			}
			if opens(b) {
				t.Fatal("an idle session opens the admin")
			}
			// Signing in again works.
			b.get("/admin/login")
			if res := b.post("/admin/login", url.Values{"email": {b.email}, "password": {"correct horse battery staple"}}); res.status != http.StatusSeeOther || !opens(b) {
				t.Fatalf("signing in after the timeout: %d", res.status)
			}
		})
		t.Run("session list", func(t *testing.T) {
			b := h.staffAs(models.RoleReviewer)
			second := h.browser()
			second.get("/admin/login")
			if res := second.post("/admin/login", url.Values{"email": {b.email}, "password": {"correct horse battery staple"}}); res.status != http.StatusSeeOther {
				t.Fatalf("second sign-in: %d", res.status)
			}
			// rows lists the sessions the account page shows, and which one
			// it says is this browser's.
			rows := func(b *browser) (n int, current []int) {
				t.Helper()
				table := b.get("/admin/account").doc.Find("table").First()
				if !strings.Contains(table.Find("thead").Text(), "Last used") {
					t.Fatalf("the first table is not the sessions':\n%s", table.Text())
				}
				table.Find("tbody tr").Each(func(i int, row *goquery.Selection) {
					if strings.Contains(row.Text(), "(this browser)") {
						current = append(current, i)
					}
				})
				return table.Find("tbody tr").Length(), current
			}
			n, mine := rows(b)
			n2, theirs := rows(second)
			if n != 2 || n2 != 2 || len(mine) != 1 || len(theirs) != 1 || mine[0] == theirs[0] {
				t.Fatalf("sessions: %d rows with this browser at %v; from the other browser %d rows at %v", n, mine, n2, theirs)
			}
			// The second browser's session (the newer) idles: it is no
			// longer listed, and no longer opens the admin.
			var newer int64
			h.app.Core.DB().Model(&models.StaffSession{}).Where("staff_id = ?", h.staffID(b)).Select("MAX(id)").Scan(&newer)
			if err := h.app.Core.DB().Model(&models.StaffSession{}).Where("id = ?", newer).
				Update("last_seen_at", time.Now().Add(-31*time.Minute)).Error; err != nil {
				t.Fatal(err)
			}
			if n, mine := rows(b); n != 1 || len(mine) != 1 {
				t.Fatalf("after the other session idled: %d rows, this browser at %v", n, mine)
			}
			if opens(second) {
				t.Fatal("the idle session still opens the admin")
			}
		})
		t.Run("deactivation", func(t *testing.T) {
			b := h.staffAs(models.RoleReviewer)
			email := strings.TrimSpace(b.get("/admin/account").doc.Find("dl.summary dd").Eq(1).Text())
			team := admin.get("/admin/team")
			var action string
			rows := team.doc.Find("tbody tr")
			for i := range rows.Length() {
				row := rows.Eq(i)
				if strings.Contains(row.Text(), email) {
					if a, ok := row.Find("form[action$='/deactivate']").Attr("action"); ok {
						action = a
					}
				}
			}
			if action == "" {
				t.Fatalf("no deactivate form on the team page:\n%s", team.text("main"))
			}
			if res := admin.post(action, url.Values{}); res.status != http.StatusSeeOther {
				t.Fatalf("deactivate: %d", res.status)
			}
			if opens(b) {
				t.Fatal("a deactivated account is still signed in")
			}
		})
	})
}

// The CSRF token seen before signing in is worthless after it.
func TestCSRFTokenRotatesAtSignIn(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		b := h.browser()
		b.get("/admin/login")
		before := b.csrf
		if _, err := h.app.Staff.Create(context.Background(), models.StaffInput{Email: "rot@example.org", Name: "Rot",
			Role: models.RoleReviewer, Password: "correct horse battery staple"}, models.SystemActor); err != nil {
			t.Fatal(err)
		}
		res := b.post("/admin/login", url.Values{"email": {"rot@example.org"}, "password": {"correct horse battery staple"}})
		if res.status != http.StatusSeeOther {
			t.Fatalf("login: %d", res.status)
		}
		b.get("/admin")
		if b.csrf == "" || b.csrf == before {
			t.Fatal("the CSRF token did not change at sign-in")
		}
		if res := b.post("/admin/account/sign-out-everywhere", url.Values{"_csrf": {before}}); res.status != http.StatusForbidden {
			t.Fatalf("the old token still works: %d", res.status)
		}
	})
}

// One input rule for every text field: bytes PostgreSQL refuses (NUL,
// invalid UTF-8), control characters, and line breaks or bidi overrides in
// one-line fields get a 422 with the field's message on both databases,
// never a 500.
func TestBadBytesEverywhere(t *testing.T) {
	bad := map[string]string{"nul": "a\x00b", "invalid utf-8": "a\xffb", "control": "a\x1bb", "bidi override": "a\u202eb"}
	dialects(t, func(t *testing.T, h *harness) {
		staff := h.staff()
		b := h.browser()
		link, _ := h.submitAs(b, "bytes@example.org")
		_, reqPage := h.staffOpen(staff, refRe.FindString(b.get(link).body), "See your information", "request")
		reqURL := reqPage.doc.Find("form[action$='/notes']").AttrOr("action", "")
		reqURL = strings.TrimSuffix(reqURL, "/notes")
		// A Virginian's deletion, denied: the person may appeal.
		va := submission()
		va.Set("state", "VA")
		va.Set("email", "bytes-appeal@example.org")
		va["rights"] = []string{"delete"}
		appellant := h.browser()
		denied := appellant.submit(va)
		vaHref, _ := h.staffOpen(staff, denied.text(".panel .ref"), "", "request")
		if res := staff.post(vaHref+"/status", url.Values{"status": {"denied"}, "denial_reason": {"exemption"}, "detail": {"Because."}}); res.status != http.StatusSeeOther {
			t.Fatalf("deny: %d %s", res.status, res.text(".error-summary"))
		}
		vaLink := trackLink(t, h.mailTo("bytes-appeal@example.org", "Confirm").Text(), h.srv.URL)
		appealAction := appellant.get(vaLink).doc.Find(`form[action$="/appeal"]`).AttrOr("action", "")
		if appealAction == "" {
			t.Fatal("no appeal form on the denied request's page")
		}
		for name, value := range bad {
			t.Run(name, func(t *testing.T) {
				check := func(what string, res page, field string) {
					t.Helper()
					if res.status != http.StatusUnprocessableEntity {
						t.Fatalf("%s: %d", what, res.status)
					}
					if field != "" && !strings.Contains(res.text("#f-"+field+"-error"), "invisible or control") {
						t.Fatalf("%s: no message next to %s: %q", what, field, res.text(".error-summary"))
					}
				}
				for _, field := range []string{"name", "details", "phone", "email"} {
					form := submission()
					form.Set(field, value)
					b.get("/request")
					step2 := b.post("/request/where", url.Values{"on_behalf": {"self"}, "country": {"US"}, "state": {"CA"}})
					form.Set("nonce", step2.doc.Find(`input[name="nonce"]`).AttrOr("value", ""))
					check("form "+field, b.post("/request", form), field)
				}
				if strings.Contains(name, "bidi") || name == "control" {
					// Also refused inside multi-line text.
					form := submission()
					form.Set("details", "line one\n"+value)
					b.get("/request")
					step2 := b.post("/request/where", url.Values{"on_behalf": {"self"}, "country": {"US"}, "state": {"CA"}})
					form.Set("nonce", step2.doc.Find(`input[name="nonce"]`).AttrOr("value", ""))
					check("details, second line", b.post("/request", form), "details")
				}
				login := h.browser()
				login.get("/admin/login")
				check("login e-mail", login.post("/admin/login", url.Values{"email": {"x" + value + "@example.org"}, "password": {"whatever-whatever"}}), "email")
				agentLogin := h.browser()
				agentLogin.get("/agent/login")
				check("agent login e-mail", agentLogin.post("/agent/login", url.Values{"email": {"x" + value + "@example.org"}, "password": {"whatever-whatever"}}), "email")
				appellant.get(vaLink)
				check("appeal reason", appellant.post(appealAction, url.Values{"reason": {value}}), "reason")
				lookup := h.browser()
				lookup.get("/track")
				check("lookup", lookup.post("/track", url.Values{"reference": {"RD-2222-2222"}, "email": {"a" + value + "@example.org"}}), "email")
				staff.get(reqURL)
				check("note", staff.post(reqURL+"/notes", url.Values{"note": {value}}), "note")
				staff.get(reqURL)
				check("message", staff.post(reqURL+"/messages", url.Values{"message": {value}}), "message")
				staff.get(reqURL)
				check("extension reason", staff.post(reqURL+"/extend", url.Values{"reason": {value}}), "reason")
				staff.get(reqURL)
				check("denial detail", staff.post(reqURL+"/status", url.Values{"status": {"denied"}, "denial_reason": {"other"}, "detail": {value}}), "detail")
			})
		}
	})
}

// Nobody can use the portal to flood someone's mailbox: the lost-link
// form mails a submission's link a few times an hour at most, always the
// same working link.
func TestLookupCannotFlood(t *testing.T) {
	dialectsScale(t, "1", func(t *testing.T, h *harness) {
		b := h.browser()
		link, _ := h.submitAs(b, "victim@example.org")
		ref := refRe.FindString(b.get(link).body)
		attacker := h.browser()
		attacker.get("/track")
		for range 12 {
			res := attacker.post("/track", url.Values{"reference": {ref}, "email": {"victim@example.org"}})
			if res.status != http.StatusOK && res.status != http.StatusTooManyRequests {
				t.Fatalf("lookup: %d", res.status)
			}
		}
		if m := h.mailTo("victim@example.org", "tracking link"); !strings.Contains(m.Text(), link) {
			t.Fatal("the lookup mailed another link than the working one")
		}
		var links int64
		h.app.Core.DB().Model(&models.OutboxMessage{}).Where("template = ?", models.MailTrackingLink).Count(&links)
		if links != 3 {
			t.Fatalf("%d link mails for 12 lookups; the limit is 3 an hour", links)
		}
		if res := b.get(link); res.status != http.StatusOK {
			t.Fatalf("the person's link stopped working: %d", res.status)
		}
	})
}

// HTTP details: HEAD works wherever GET does, unknown methods are 405,
// oversized and malformed bodies 413/400, typed pages are not cached,
// files set no cookies, and other origins cannot post.
func TestHTTPDetails(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		b := h.browser()
		for _, r := range h.app.Routes() {
			if r.Method != http.MethodGet || strings.Contains(r.Path, ":") || strings.Contains(r.Path, "*") {
				continue
			}
			req, _ := http.NewRequest(http.MethodHead, b.url(r.Path), nil)
			if res := b.do(req); res.status == http.StatusMethodNotAllowed || res.status >= 500 {
				t.Errorf("HEAD %s: %d", r.Path, res.status)
			}
		}
		for _, m := range []string{http.MethodPut, http.MethodDelete, http.MethodPatch} {
			req, _ := http.NewRequest(m, b.url("/request"), strings.NewReader("x=1"))
			if res := b.do(req); res.status != http.StatusMethodNotAllowed {
				t.Errorf("%s /request: %d", m, res.status)
			}
		}
		b.get("/request")
		// A chunked body over the limit (no Content-Length to refuse early).
		big := io.MultiReader(strings.NewReader("_csrf="+b.csrf+"&details="), bytes.NewReader(bytes.Repeat([]byte("x"), 2<<20)))
		req, _ := http.NewRequest(http.MethodPost, b.url("/request/where"), big)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.ContentLength = -1
		if res := b.do(req); res.status != http.StatusRequestEntityTooLarge {
			t.Errorf("oversized chunked body: %d", res.status)
		}
		var many strings.Builder
		many.WriteString("_csrf=" + b.csrf)
		for i := range 50000 {
			fmt.Fprintf(&many, "&p%d=1", i)
		}
		if res := b.postRaw("/request/where", many.String()); res.status != http.StatusBadRequest {
			t.Errorf("50,000 parameters: %d", res.status)
		}
		if res := b.postRaw("/request/where", "_csrf="+b.csrf+"&x=%zz"); res.status != http.StatusBadRequest {
			t.Errorf("bad percent-encoding: %d", res.status)
		}
		// The failed form and the failed sign-in are not cached.
		b.get("/request")
		if res := b.post("/request/where", url.Values{"country": {"GB"}}); res.status != http.StatusUnprocessableEntity || res.header.Get("Cache-Control") != "no-store" {
			t.Errorf("failed form: %d, Cache-Control %q", res.status, res.header.Get("Cache-Control"))
		}
		b.get("/admin/login")
		if res := b.post("/admin/login", url.Values{"email": {"a@example.org"}, "password": {"wrong-wrong-wrong"}}); res.header.Get("Cache-Control") != "no-store" {
			t.Errorf("failed sign-in: Cache-Control %q", res.header.Get("Cache-Control"))
		}
		// One middleware keeps every answer to a post and every error page
		// out of caches, whichever handler wrote it: the second step of
		// the form (typed values, 200), a missing page, a refused post, a
		// staff form that failed, a limit reached.
		noStore := func(what string, res page, status int) {
			t.Helper()
			if res.status != status || res.header.Get("Cache-Control") != "no-store" {
				t.Errorf("%s: %d, Cache-Control %q", what, res.status, res.header.Get("Cache-Control"))
			}
		}
		b.get("/request")
		noStore("step 2", b.post("/request/where", url.Values{"on_behalf": {"self"}, "country": {"GB"}}), http.StatusOK)
		noStore("a missing page", b.get("/no-such-page"), http.StatusNotFound)
		noStore("a post without a token", b.postRaw("/track", "reference=RD-2222-2222"), http.StatusForbidden)
		staff := h.staff()
		staff.get("/admin/account")
		noStore("a failed password change", staff.post("/admin/account/password", url.Values{"current": {"wrong"}, "password": {"x"}}),
			http.StatusUnprocessableEntity)
		noStore("a staff 404", staff.get("/admin/requests/999999"), http.StatusNotFound)
		if res := b.get("/"); res.status != http.StatusOK || res.header.Get("Cache-Control") == "no-store" {
			t.Errorf("the home page: %d, Cache-Control %q", res.status, res.header.Get("Cache-Control"))
		}
		// Static files set no cookies.
		fresh := h.browser()
		css := regexp.MustCompile(`/static/[^"]+\.css`).FindString(fresh.get("/").body)
		if res := fresh.get(css); res.status != http.StatusOK || len(res.header.Values("Set-Cookie")) != 0 {
			t.Errorf("static file %s: %d, cookies %v", css, res.status, res.header.Values("Set-Cookie"))
		}
		// Another origin cannot post, even with a valid token.
		b.get("/request")
		for hdr, val := range map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"} {
			req, _ := http.NewRequest(http.MethodPost, b.url("/request/where"), strings.NewReader(url.Values{"_csrf": {b.csrf}, "country": {"GB"}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set(hdr, val)
			if res := b.do(req); res.status != http.StatusForbidden {
				t.Errorf("%s: %s answered %d", hdr, val, res.status)
			}
		}
	})
}

// Roles mean something: walking the route table, anonymous visitors are
// sent to sign in (or refused a post), and each role reaches exactly the
// routes its access level allows.
func TestRolesOnEveryRoute(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		anon := h.browser()
		anon.get("/admin/login")
		roles := map[string]*browser{}
		tokens := map[string]string{}
		for _, role := range models.Roles {
			roles[role] = h.staffAs(role)
			tokens[role] = roles[role].makeToken(models.ScopeWrite)
		}
		may := map[web.Access]func(string) bool{web.Read: func(string) bool { return true }, web.Work: models.CanWork,
			web.Configure: models.CanConfigure, web.Team: models.CanManageTeam}
		path := func(p string) string {
			p = strings.ReplaceAll(p, ":id", "999999")
			return strings.ReplaceAll(p, ":token", models.NewNonce())
		}
		for _, r := range h.app.Routes() {
			if r.Access == web.Public || r.Access == web.DRP || r.Access == web.Hook {
				continue // the protocol's own authentication: TestDRP*, TestTaskWebhooks
			}
			name := r.Method + " " + r.Path
			if strings.HasPrefix(r.Path, "/api/") {
				// The API: a token, never a cookie, and 401 without one.
				if st := h.apiCall("", r.Method, path(r.Path), "{}", nil); st != http.StatusUnauthorized {
					t.Errorf("anonymous %s: %d, want 401", name, st)
				}
				for _, role := range models.Roles {
					st := h.apiCall(tokens[role], r.Method, path(r.Path), "{}", nil)
					if may[r.Access](role) == (st == http.StatusForbidden) || st == http.StatusUnauthorized {
						t.Errorf("%s %s with a token: %d", role, name, st)
					}
				}
				continue
			}
			if r.Access == web.AgentOnly {
				// Agent pages are for agents only: no staff cookie opens them
				// (TestAgentAndStaffSessionsApart covers the other way).
				for _, b := range append([]*browser{anon}, roles[models.RoleAdmin], roles[models.RoleAuditor]) {
					var res page
					if r.Method == http.MethodGet {
						res = b.get(path(r.Path))
						if res.status != http.StatusSeeOther || res.location() != "/agent/login" {
							t.Errorf("%s without an agent session: %d %s", name, res.status, res.location())
						}
						continue
					}
					b.get("/admin/account")
					if res = b.post(path(r.Path), url.Values{}); res.status != http.StatusForbidden {
						t.Errorf("%s without an agent session: %d", name, res.status)
					}
				}
				continue
			}
			send := func(b *browser) page {
				if r.Method == http.MethodGet {
					return b.get(path(r.Path))
				}
				return b.post(path(r.Path), url.Values{})
			}
			res := send(anon)
			if r.Method == http.MethodGet && (res.status != http.StatusSeeOther || !strings.HasPrefix(res.location(), "/admin/login")) {
				t.Errorf("anonymous %s: %d %s", name, res.status, res.location())
			}
			if r.Method != http.MethodGet && res.status != http.StatusForbidden {
				t.Errorf("anonymous %s: %d", name, res.status)
			}
			if strings.HasSuffix(r.Path, "/sign-out-everywhere") {
				continue // it would sign the browsers out: TestSessionsEnd covers it
			}
			for _, role := range models.Roles {
				b := roles[role]
				b.get("/admin/account")
				res := send(b)
				signedOut := res.status == http.StatusSeeOther && strings.HasPrefix(res.location(), "/admin/login")
				switch {
				case signedOut:
					t.Errorf("%s %s: sent to sign in", role, name)
				case may[r.Access](role) && res.status == http.StatusForbidden:
					t.Errorf("%s %s: refused, but the role may", role, name)
				case !may[r.Access](role) && res.status != http.StatusForbidden:
					t.Errorf("%s %s: %d, want 403", role, name, res.status)
				}
			}
		}
	})
}

// Once the mail is sent, the code and the private link it carried are
// gone from the SQLite database and its write-ahead log: nothing a copy of
// the data directory could give away (secure_delete, then a truncating
// checkpoint after each sending batch).
func TestSentSecretsLeaveNoTrace(t *testing.T) {
	h := newHarness(t, "sqlite")
	link, code := h.submitAs(h.browser(), "trace@example.org")
	token := strings.TrimPrefix(link, "/t/")
	dir := h.app.Config.DataDir
	found := func() []string {
		var where []string
		for _, f := range []string{"rightsdesk.db", "rightsdesk.db-wal"} {
			raw, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			for _, secret := range []string{token, `"code":"` + code + `"`} {
				if bytes.Contains(raw, []byte(secret)) {
					where = append(where, f)
				}
			}
		}
		return where
	}
	deadline := time.Now().Add(15 * time.Second)
	for left := found(); len(left) > 0; left = found() {
		if time.Now().After(deadline) {
			t.Fatalf("the link or code is still readable in %v after the mail went", left)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, f := range []string{"rightsdesk.db", "rightsdesk.db-wal"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err == nil && st.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s is readable by others: %v", f, st.Mode())
		}
	}
}

// Nobody can mail one address through the portal more than the limit per
// recipient allows (10 an hour), whoever submits and from however many
// addresses: the eleventh submission with the same e-mail answers 429
// with the form saying so by the address, and at most 10 mails are queued.
func TestMailPerRecipientLimit(t *testing.T) {
	for _, d := range []string{"sqlite", "postgres"} {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			h := newHarnessWith(t, harnessOptions{dialect: d, rateScale: "1",
				env: map[string]string{"RIGHTSDESK_TRUST_PROXY": "true"}})
			var last page
			for i := range 11 {
				b := h.browser()
				b.ip = fmt.Sprintf("198.51.100.%d", i+1)
				// A UK request: one mail each (the code; a Californian
				// submission also has its statutory acknowledgement, two
				// mails counted as one mailing).
				form := ukForm("target@example.org")
				b.get("/request")
				step2 := b.post("/request/where", url.Values{"on_behalf": {"self"}, "country": {"GB"}})
				if step2.status != http.StatusOK {
					t.Fatalf("submission %d, step 1: %d", i+1, step2.status)
				}
				form.Set("nonce", step2.doc.Find(`input[name="nonce"]`).AttrOr("value", ""))
				last = b.post("/request", form)
				if i < 10 && last.status != http.StatusSeeOther {
					t.Fatalf("submission %d: %d %s", i+1, last.status, last.text("main"))
				}
			}
			// The form again, what was typed kept, saying why next to the
			// address.
			failedForm(t, "the eleventh submission", last, http.StatusTooManyRequests)
			if !strings.Contains(last.text("#f-email-error"), "We have sent a lot of mail to this address") ||
				last.doc.Find(`input[name=email]`).AttrOr("value", "") != "target@example.org" {
				t.Fatalf("the eleventh submission does not say why by the address: %q", last.text("#f-email-error"))
			}
			var mails int64
			h.app.Core.DB().Model(&models.OutboxMessage{}).Count(&mails)
			if mails == 0 || mails > 10 {
				t.Fatalf("%d mails queued for one address; at most 10 an hour", mails)
			}
		})
	}
}
