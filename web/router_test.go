package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/web"
)

// The first administrator's set-up link: a bad token is a 404 page, a
// good one shows the form; posting it creates the administrator and signs
// them in; after that, set-up is over (410), by link or by post.
func TestSetupRoute(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		token, err := h.app.Staff.NewSetupToken(context.Background())
		if err != nil || token == "" {
			t.Fatalf("setup token: %q %v", token, err)
		}
		b := h.browser()
		for _, bad := range []string{"", "nope", strings.Repeat("A", 43)} {
			res := b.get("/setup?token=" + url.QueryEscape(bad))
			if res.status != http.StatusNotFound || !strings.Contains(res.text("h1"), "not valid") {
				t.Fatalf("token %q: %d %q", bad, res.status, res.text("h1"))
			}
		}
		res := b.get("/setup?token=" + token)
		if res.status != http.StatusOK || res.doc.Find(`form[action="/setup"] input[name="password"]`).Length() != 1 {
			t.Fatalf("good token: %d %q", res.status, res.text("h1"))
		}
		if v, _ := res.doc.Find(`input[name="token"]`).Attr("value"); v != token {
			t.Fatalf("the form does not carry the token: %q", v)
		}
		form := url.Values{"token": {token}, "name": {"Ada Admin"}, "email": {"ada@example.org"},
			"password": {"correct horse battery staple"}}
		res = b.post("/setup", form)
		if res.status != http.StatusSeeOther || res.location() != "/admin" {
			t.Fatalf("setup: %d to %q", res.status, res.location())
		}
		// Signed in, and, as an administrator, sent to set up two-step
		// sign-in before anything else.
		res = b.get("/admin")
		if res.status != http.StatusSeeOther || res.location() != "/admin/account/two-step" {
			t.Fatalf("after setup: %d to %q", res.status, res.location())
		}
		b.enrolTwoStep()
		if res = b.get("/admin"); res.status != http.StatusOK || !strings.Contains(res.body, "Ada Admin") {
			t.Fatalf("signed in after setup? %d", res.status)
		}
		if n := h.count("staff"); n != 1 {
			t.Fatalf("%d staff accounts", n)
		}
		// Set-up is over, for this token and anyone else.
		again := h.browser()
		if res := again.get("/setup?token=" + token); res.status != http.StatusGone {
			t.Fatalf("second setup page: %d", res.status)
		}
		form.Set("email", "eve@example.org")
		form.Del("_csrf")
		again.get("/admin/login") // a page with a form, for its CSRF token
		if res := again.post("/setup", form); res.status != http.StatusGone || !strings.Contains(res.text("h1"), "complete") {
			t.Fatalf("second setup: %d %q", res.status, res.text("h1"))
		}
		if n := h.count("staff"); n != 1 {
			t.Fatalf("%d staff accounts after a second setup", n)
		}
	})
}

// Signing out ends the session in the database: the cookie copied before
// signing out no longer opens the admin.
func TestLogoutEndsSession(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		b := h.staff()
		if res := b.get("/admin"); res.status != http.StatusOK {
			t.Fatalf("signed in: %d", res.status)
		}
		stolen := h.browser()
		copyCookies(b, stolen)
		if res := stolen.get("/admin"); res.status != http.StatusOK {
			t.Fatalf("the copied cookie before sign-out: %d", res.status)
		}
		res := b.post("/admin/logout", url.Values{})
		if res.status != http.StatusSeeOther || res.location() != "/admin/login" {
			t.Fatalf("logout: %d to %q", res.status, res.location())
		}
		for who, br := range map[string]*browser{"signed-out browser": b, "copied cookie": stolen} {
			res := br.get("/admin")
			if res.status != http.StatusSeeOther || !strings.HasPrefix(res.location(), "/admin/login") {
				t.Fatalf("%s after sign-out: %d to %q", who, res.status, res.location())
			}
		}
	})
}

// Every route with a numeric :id answers 404 to an id that is zero,
// negative, not a number, too large for int64, or of nothing that exists,
// whoever asks (walking the route table, so a new route is covered).
func TestBadIDsAre404(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		person := h.browser()
		track, _ := h.submitAs(person, "ids@example.org")
		token := strings.TrimPrefix(track, "/t/")
		admin := h.staffAs(models.RoleAdmin)
		apiToken := admin.makeToken(models.ScopeWrite)
		admin.get("/admin")
		person.get(track)
		agent := h.agent("ids-agent@example.org")

		tried := map[web.Access]int{}
		for _, r := range h.app.Routes() {
			if !strings.Contains(r.Path, ":id") {
				continue
			}
			b := person
			switch r.Access {
			case web.Public:
			case web.AgentOnly:
				b = agent
			default:
				b = admin
			}
			for _, id := range []string{"0", "-1", "abc", "99999999999999999999", "999999999"} {
				path := strings.NewReplacer(":token", token, ":id", id).Replace(r.Path)
				if strings.HasPrefix(r.Path, "/api/") {
					if st := h.apiCall(apiToken, r.Method, path, `{"body":"x","reason":"x"}`, nil); st != http.StatusNotFound {
						t.Errorf("%s %s with id %q: %d, want 404", r.Method, r.Path, id, st)
					}
					continue
				}
				var res page
				switch r.Method {
				case http.MethodGet:
					res = b.get(path)
				case http.MethodPost:
					res = b.post(path, url.Values{"status": {"in_progress"}, "body": {"x"}, "reason": {"x"}, "role": {"reviewer"}})
				default:
					t.Fatalf("%s %s: a method this test does not know", r.Method, r.Path)
				}
				if res.status != http.StatusNotFound || strings.Contains(res.body, "goroutine") {
					t.Errorf("%s %s with id %q: %d, want 404", r.Method, r.Path, id, res.status)
				}
			}
			tried[r.Access]++
		}
		for _, a := range []web.Access{web.Public, web.Read, web.Work, web.Team, web.AgentOnly} {
			if tried[a] == 0 {
				t.Errorf("no %s route with :id found in the table", a)
			}
		}
	})
}
