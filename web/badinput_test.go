package web_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/config"
	"github.com/rightsdesk/rightsdesk/internal/testsmtp"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/web"
)

// Invalid forms re-render with every value kept, an error summary linked to
// each field and the message next to it; nothing is written.
func TestSubmitValidation(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		cases := []struct {
			name   string
			change func(url.Values)
			field  string
			msg    string
		}{
			{"malformed email", func(v url.Values) { v.Set("email", "jordan@") }, "email", "correct format"},
			{"missing email", func(v url.Values) { v.Del("email") }, "email", "Enter your email"},
			{"too-long name", func(v url.Values) { v.Set("name", strings.Repeat("n", 201)) }, "name", "200 characters"},
			{"no rights", func(v url.Values) { v.Del("rights") }, "rights", "at least one"},
			{"right not offered here", func(v url.Values) { v.Set("rights", "cessation") }, "rights", "only rights"},
			{"bad phone", func(v url.Values) { v.Set("phone", "call me") }, "phone", "phone number"},
			{"no relationship", func(v url.Values) { v.Del("relationship") }, "relationship", "how you know us"},
			{"too-long details", func(v url.Values) { v.Set("details", strings.Repeat("d", 5001)) }, "details", "5,000"},
		}
		b := h.browser()
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				b.get("/request")
				step2 := b.post("/request/where", url.Values{"on_behalf": {"self"}, "country": {"US"}, "state": {"CA"}})
				nonce, _ := step2.doc.Find(`input[name="nonce"]`).Attr("value")
				form := submission()
				form.Set("nonce", nonce)
				c.change(form)
				res := b.post("/request", form)
				if res.status != http.StatusUnprocessableEntity {
					t.Fatalf("status %d", res.status)
				}
				link := res.doc.Find(`.error-summary a[href="#f-` + c.field + `"]`)
				if link.Length() != 1 {
					t.Fatalf("error summary has no link to #f-%s: %q", c.field, res.text(".error-summary"))
				}
				if msg := res.text("#f-" + c.field + "-error"); !strings.Contains(msg, c.msg) {
					t.Fatalf("message next to field: %q, want %q", msg, c.msg)
				}
				// Every other value is kept.
				for _, f := range []string{"name", "email", "phone"} {
					if f == c.field {
						continue
					}
					if v, _ := res.doc.Find("#f-" + f).Attr("value"); v != form.Get(f) {
						t.Fatalf("%s not kept: %q", f, v)
					}
				}
				if c.field != "details" && res.text("#f-details") != form.Get("details") {
					t.Fatalf("details not kept")
				}
			})
		}
		if n := h.count("submissions"); n != 0 {
			t.Fatalf("%d submissions written by invalid forms", n)
		}
	})
}

func TestStepOneValidation(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		b := h.browser()
		b.get("/request")
		res := b.post("/request/where", url.Values{"country": {"US"}})
		if res.status != http.StatusUnprocessableEntity {
			t.Fatalf("status %d", res.status)
		}
		for _, f := range []string{"on_behalf", "state"} {
			if res.doc.Find(`.error-summary a[href="#f-`+f+`"]`).Length() != 1 {
				t.Fatalf("no summary link for %s: %s", f, res.text(".error-summary"))
			}
		}
		if v, _ := res.doc.Find(`#f-country option[selected]`).Attr("value"); v != "US" {
			t.Fatalf("country not kept: %q", v)
		}
		// A tampered region on the final step goes back to step 1.
		form := submission()
		form.Set("state", "ZZ")
		res = b.post("/request", form)
		if res.status != http.StatusUnprocessableEntity || res.doc.Find(`.error-summary a[href="#f-state"]`).Length() != 1 {
			t.Fatalf("tampered region: %d %s", res.status, res.text(".error-summary"))
		}
		// A Quebec resident is offered Quebec's rights, and not California's.
		res = b.post("/request/where", url.Values{"on_behalf": {"self"}, "country": {"CA"}, "province": {"QC"}})
		if res.status != http.StatusOK || res.doc.Find(`input[value="cessation"]`).Length() != 1 ||
			res.doc.Find(`input[value="limit_sensitive"]`).Length() != 0 {
			t.Fatalf("Quebec rights wrong: %d %s", res.status, res.text("fieldset"))
		}
	})
}

// Every kind of bad request gets a clear page with the right status.
func TestBadRequests(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		b := h.browser()
		b.get("/request")

		t.Run("missing CSRF token", func(t *testing.T) {
			res := b.postRaw("/request/where", "on_behalf=self&country=GB")
			if res.status != http.StatusForbidden || !strings.Contains(res.body, "forms expire") {
				t.Fatalf("%d %s", res.status, res.text("main"))
			}
		})
		t.Run("wrong CSRF token", func(t *testing.T) {
			res := b.post("/request/where", url.Values{"_csrf": {"forged"}, "on_behalf": {"self"}, "country": {"GB"}})
			if res.status != http.StatusForbidden {
				t.Fatalf("%d", res.status)
			}
		})
		t.Run("oversized body", func(t *testing.T) {
			b.get("/request")
			res := b.post("/request/where", url.Values{"details": {strings.Repeat("x", 2<<20)}})
			if res.status != http.StatusRequestEntityTooLarge || !strings.Contains(res.body, "larger than we accept") {
				t.Fatalf("%d", res.status)
			}
		})
		t.Run("wrong tracking token", func(t *testing.T) {
			res := b.get("/t/" + models.NewNonce())
			// The page says the link may have been replaced, and links to /track.
			if res.status != http.StatusNotFound || !strings.Contains(res.body, "replaced by a newer one") ||
				res.doc.Find(`main a[href="/track"]`).Length() != 1 {
				t.Fatalf("%d %s", res.status, res.text("main"))
			}
		})
		t.Run("unknown page", func(t *testing.T) {
			if res := b.get("/nope"); res.status != http.StatusNotFound {
				t.Fatalf("%d", res.status)
			}
		})
		t.Run("no stack traces", func(t *testing.T) {
			res := b.get("/admin/requests/not-a-number")
			if res.status != http.StatusSeeOther { // not signed in: to the login page
				t.Fatalf("%d", res.status)
			}
			staff := h.staff()
			res = staff.get("/admin/requests/not-a-number")
			if res.status != http.StatusNotFound || strings.Contains(res.body, "goroutine") {
				t.Fatalf("%d", res.status)
			}
		})
	})
}

func TestDoubleSubmit(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		b := h.browser()
		b.get("/request")
		step2 := b.post("/request/where", url.Values{"on_behalf": {"self"}, "country": {"GB"}})
		nonce, _ := step2.doc.Find(`input[name="nonce"]`).Attr("value")
		form := submission()
		form.Set("country", "GB")
		form.Set("nonce", nonce)
		if res := b.post("/request", cloneValues(form)); res.status != http.StatusSeeOther {
			t.Fatalf("first: %d %s", res.status, res.text(".error-summary"))
		}
		res := b.post("/request", cloneValues(form))
		if res.status != http.StatusConflict || !strings.Contains(res.body, "already received") {
			t.Fatalf("second: %d", res.status)
		}
		if n := h.count("submissions"); n != 1 {
			t.Fatalf("%d submissions", n)
		}
	})
}

func TestVerificationCodes(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		t.Run("locks after five wrong tries", func(t *testing.T) {
			b := h.browser()
			link, code := h.submitAs(b, "lock@example.org")
			wrong := "000000"
			if code == wrong {
				wrong = "999999"
			}
			var res page
			for range models.CodeMaxAttempts {
				res = b.post(link+"/verify", url.Values{"code": {wrong}})
			}
			if res.status != http.StatusTooManyRequests {
				t.Fatalf("fifth wrong try: %d", res.status)
			}
			res = b.post(link+"/verify", url.Values{"code": {code}})
			if res.status != http.StatusTooManyRequests || !strings.Contains(res.text("#f-code-error"), "new code") {
				t.Fatalf("right code after lock: %d", res.status)
			}
		})
		t.Run("expires after 30 minutes", func(t *testing.T) {
			b := h.browser()
			link, code := h.submitAs(b, "late@example.org")
			h.app.Core.SetClock(func() time.Time { return time.Now().Add(31 * time.Minute) })
			defer h.app.Core.SetClock(time.Now)
			res := b.post(link+"/verify", url.Values{"code": {code}})
			if res.status != http.StatusGone || !strings.Contains(res.text("#f-code-error"), "expired") {
				t.Fatalf("%d %q", res.status, res.text("#f-code-error"))
			}
		})
		t.Run("the mailed link confirms only by its button, once", func(t *testing.T) {
			b := h.browser()
			link, code := h.submitAs(b, "link@example.org")
			// A mail scanner following the link confirms nothing.
			page := b.get(link + "/verify/" + code)
			if page.status != http.StatusOK || page.doc.Find(`form[action$="/verify"] input[name=code]`).AttrOr("value", "") != code {
				t.Fatalf("link page: %d\n%s", page.status, page.text("main"))
			}
			var n int64
			h.app.Core.DB().Model(&models.Event{}).Where("kind = ? AND status_to = ?", "status", "verified").Count(&n)
			if n != 0 {
				t.Fatalf("a GET confirmed the address: %d verified events", n)
			}
			if res := b.post(link+"/verify", url.Values{"code": {code}}); res.status != http.StatusSeeOther {
				t.Fatalf("%d", res.status)
			}
			if res := b.post(link+"/verify", url.Values{"code": {code}}); res.status != http.StatusSeeOther {
				t.Fatalf("reuse: %d", res.status)
			}
			if res := b.get(link + "/verify/" + code); res.status != http.StatusSeeOther {
				t.Fatalf("link after confirming: %d", res.status)
			}
			// The address is confirmed; the requests now wait for the identity check their tier asks.
			h.app.Core.DB().Model(&models.Submission{}).Where("email = ? AND email_verified_at IS NOT NULL", "link@example.org").Count(&n)
			if n != 1 {
				t.Fatalf("confirmed submissions: %d", n)
			}
		})
		t.Run("resend is throttled, and a new code replaces the old", func(t *testing.T) {
			b := h.browser()
			link, old := h.submitAs(b, "resend@example.org")
			res := b.post(link+"/resend", url.Values{})
			if res.status != http.StatusTooManyRequests || !strings.Contains(res.text("#f-code-error"), "Wait a minute") {
				t.Fatalf("%d", res.status)
			}
			h.app.Core.SetClock(func() time.Time { return time.Now().Add(2 * time.Minute) })
			defer h.app.Core.SetClock(time.Now)
			if res := b.post(link+"/resend", url.Values{}); res.status != http.StatusSeeOther {
				t.Fatalf("resend after a minute: %d", res.status)
			}
			m := h.smtp.WaitFor(t, func(r testsmtp.Received) bool {
				c := codeRe.FindStringSubmatch(r.Text())
				return r.To[0] == "resend@example.org" && c != nil && c[1] != old
			}, 15*time.Second)
			fresh := codeRe.FindStringSubmatch(m.Text())[1]
			if res := b.post(link+"/verify", url.Values{"code": {old}}); res.status != http.StatusUnprocessableEntity {
				t.Fatalf("old code still accepted: %d", res.status)
			}
			if res := b.post(link+"/verify", url.Values{"code": {fresh}}); res.status != http.StatusSeeOther {
				t.Fatalf("new code refused: %d", res.status)
			}
		})
	})
}

func TestLostLinkAndWithdraw(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		b := h.browser()
		form := submission()
		form.Set("email", "lost@example.org")
		track := b.submit(form)
		ref := track.text(".panel .ref")
		old := trackLink(t, h.mailTo("lost@example.org", "Confirm").Text(), h.srv.URL)

		other := h.browser()
		other.get("/track")
		// Wrong email: the same answer, and no mail.
		res := other.post("/track", url.Values{"reference": {ref}, "email": {"someone@example.org"}})
		same := res.text(".notice")
		if res.status != http.StatusOK || same == "" {
			t.Fatalf("%d", res.status)
		}
		unknown := other.post("/track", url.Values{"reference": {"RD-2222-2222"}, "email": {"lost@example.org"}})
		if unknown.status != http.StatusOK || unknown.text(".notice") != same {
			t.Fatalf("unknown reference answers differently: %d %q", unknown.status, unknown.text(".notice"))
		}
		res = other.post("/track", url.Values{"reference": {strings.ToLower(strings.ReplaceAll(ref, "-", " "))}, "email": {"LOST@example.org"}})
		if res.status != http.StatusOK || res.text(".notice") != same {
			t.Fatalf("answers differ: %q vs %q", res.text(".notice"), same)
		}
		fresh := trackLink(t, h.mailTo("lost@example.org", "tracking link").Text(), h.srv.URL)
		links := 0
		for _, m := range h.smtp.Messages() {
			if m.To[0] == "lost@example.org" && strings.Contains(m.Subject, "tracking link") {
				links++
			}
		}
		if links != 1 {
			t.Fatalf("%d link mails; only the matching lookup sends one", links)
		}
		// The mail carries the same link: a stranger who knows the reference
		// and address cannot break the person's link.
		if fresh != old {
			t.Fatal("the lookup replaced the link")
		}
		// The person can replace it themselves; the old one then stops working.
		owner := h.browser()
		owner.get(old)
		res = owner.post(old+"/new-link", url.Values{})
		if res.status != http.StatusSeeOther || res.location() == old {
			t.Fatalf("new link: %d %s", res.status, res.location())
		}
		fresh = res.location()
		if got := owner.follow(res); !strings.Contains(got.text(".notice"), "old link no longer works") {
			t.Fatalf("after a new link: %q", got.text(".notice"))
		}
		h.smtp.WaitFor(t, func(m testsmtp.Received) bool {
			return m.To[0] == "lost@example.org" && strings.Contains(m.Text(), fresh)
		}, 15*time.Second)
		if res := other.get(old); res.status != http.StatusNotFound {
			t.Fatalf("old link still works: %d", res.status)
		}
		page := other.get(fresh)
		if !strings.Contains(page.body, ref) {
			t.Fatal("fresh link does not open the request")
		}
		// Withdraw one of the two requests, after confirming.
		action, ok := page.doc.Find(`a[href$="/withdraw"]`).First().Attr("href")
		if !ok {
			t.Fatal("no withdraw link")
		}
		confirm := other.get(action)
		if confirm.status != http.StatusOK || confirm.doc.Find(`form[action="`+action+`"] button`).Length() != 1 || !strings.Contains(confirm.body, ref) {
			t.Fatalf("confirmation page: %d", confirm.status)
		}
		res = other.follow(other.post(action, url.Values{}))
		if !strings.Contains(res.body, "Withdrawn") || res.doc.Find(`a[href$="/withdraw"]`).Length() != 1 {
			t.Fatalf("not withdrawn: %s", res.text("main"))
		}
		// Withdrawing it again is refused.
		if res := other.get(action); res.status != http.StatusNotFound {
			t.Fatalf("confirmation for a closed request: %d", res.status)
		}
		if res := other.post(action, url.Values{}); res.status != http.StatusConflict {
			t.Fatalf("second withdraw: %d", res.status)
		}
		// Another requester's request id under this token is not found.
		if res := other.post(fresh+"/requests/999999/withdraw", url.Values{}); res.status != http.StatusNotFound {
			t.Fatalf("foreign id: %d", res.status)
		}
	})
}

func TestSecurityHeadersAndCookies(t *testing.T) {
	h := newHarness(t, "sqlite")
	b := h.browser()
	res := b.get("/request")
	csp := res.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") {
		t.Fatalf("CSP %q", csp)
	}
	for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"} {
		if got := res.header.Get(k); got != want {
			t.Fatalf("%s = %q", k, got)
		}
	}
	if res.header.Get("Strict-Transport-Security") != "" {
		t.Fatal("HSTS over plain http")
	}
	for _, c := range res.header.Values("Set-Cookie") {
		if !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Lax") {
			t.Fatalf("cookie flags: %s", c)
		}
	}
	// Health answers while the database does.
	if res := b.get("/healthz"); res.status != http.StatusOK {
		t.Fatalf("healthz %d", res.status)
	}
	sqlDB, _ := h.app.Core.DB().DB()
	sqlDB.Close()
	if res := b.get("/healthz"); res.status != http.StatusServiceUnavailable {
		t.Fatalf("healthz with the database closed: %d", res.status)
	}
}

// Guessable endpoints are rate limited per client.
func TestLoginRateLimit(t *testing.T) {
	dialectsScale(t, "1", func(t *testing.T, h *harness) {
		b := h.browser()
		b.get("/admin/login")
		var res page
		for range 25 {
			res = b.post("/admin/login", url.Values{"email": {"x@example.org"}, "password": {"guess-guess-guess"}})
			if res.status == http.StatusTooManyRequests {
				break
			}
			if res.status != http.StatusUnauthorized {
				t.Fatalf("wrong password: %d", res.status)
			}
		}
		if res.status != http.StatusTooManyRequests || !strings.Contains(res.body, "Too many sign-in attempts for this account") {
			t.Fatalf("no limit per account after 25 tries: %d", res.status)
		}
		// From one address, guesses at many accounts run into the limit per
		// address (20 a minute). The count restarts with each one-minute window:
		// 41 tries reach 21 in one window even when the run straddles two, as a
		// slow run on a busy machine may.
		other := h.browser()
		other.get("/admin/login")
		for i := range 41 {
			res = other.post("/admin/login", url.Values{"email": {fmt.Sprintf("u%d@example.org", i)}, "password": {"guess-guess-guess"}})
			if res.status == http.StatusTooManyRequests {
				break
			}
		}
		if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") == "" {
			t.Fatalf("no limit per address after 41 tries: %d", res.status)
		}
	})
}

// Behind https, cookies are Secure and HSTS is on.
func TestHTTPSCookiesAndHSTS(t *testing.T) {
	dir := t.TempDir()
	cfg, err := config.Load(func(k string) string {
		switch k {
		case "RIGHTSDESK_DATA_DIR":
			return dir
		case "RIGHTSDESK_BASE_URL":
			return "https://privacy.example.com"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	app, err := web.NewApp(t.Context(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	rec := httptest.NewRecorder()
	app.Echo.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/request", nil))
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Strict-Transport-Security"), "max-age=") {
		t.Fatalf("%d, HSTS %q", rec.Code, rec.Header().Get("Strict-Transport-Security"))
	}
	cookies := rec.Result().Cookies()
	if len(cookies) == 0 {
		t.Fatal("no cookies set")
	}
	for _, c := range cookies {
		if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
			t.Fatalf("cookie %s: secure=%v httponly=%v samesite=%v", c.Name, c.Secure, c.HttpOnly, c.SameSite)
		}
	}
}
