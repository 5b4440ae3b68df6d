package web_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"
	"github.com/rightsdesk/rightsdesk/internal/testenv"
	"github.com/rightsdesk/rightsdesk/internal/testsmtp"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/web"
)

// widths are the viewport widths every page must fit: 320 CSS pixels is
// WCAG 1.4.10's reflow width, 390 a common phone, 1280 a laptop.
var widths = []int64{320, 390, 1280}

// readmeShots are the screenshots the README shows, written to
// docs/screenshots with RIGHTSDESK_SCREENSHOTS=1: "page@width" → file.
var readmeShots = map[string]string{
	"home@390":            "home-phone.png",
	"details@1280":        "request-form.png",
	"track-paused@390":    "tracking-phone.png",
	"queue@1280":          "queue.png",
	"request-paused@1280": "request.png",
}

// TestLayoutAtEveryWidth opens every public and staff page, on the demo's
// data, at 320, 390 and 1280 pixels, and fails where the page is wider
// than the window (horizontal scrolling; WCAG 1.4.10 asks for none at 320)
// or where a table hides columns behind a scroll bar. Every page is
// screenshotted; with RIGHTSDESK_SCREENSHOTS=1 the README's pictures are
// written to docs/screenshots, and with RIGHTSDESK_SCREENSHOT_DIR=dir
// every screenshot is kept in dir.
func TestLayoutAtEveryWidth(t *testing.T) {
	chromium := testenv.Chromium(t)
	env := map[string]string{"RIGHTSDESK_ONE_CLICK_KEY": "layout-one-click-key-layout-one-click-key"}
	for k, v := range demoContact {
		env[k] = v
	}
	h := newHarnessWith(t, harnessOptions{env: env})
	ctx := context.Background()

	// The set-up page exists only while there is no staff account: it is
	// visited first, before the demo adds its administrator.
	setupToken, err := h.app.Staff.NewSetupToken(ctx)
	if err != nil || setupToken == "" {
		t.Fatalf("setup token %q %v", setupToken, err)
	}
	var demo web.Demo
	var prefLink, fixLink, inviteLink, resetLink, agentFiling, mappingPath, correctionPath string
	link := func(email string) string {
		l, ok := demo.Links[email]
		if !ok {
			t.Fatalf("no demo link for %s", email)
		}
		return h.srv.URL + l
	}

	chr := newChrome(t, chromium, 1280, 900, 2*time.Minute)
	bctx := chr.ctx
	do := chr.run
	eval := func(what, js string) string {
		t.Helper()
		sctx, cancel := context.WithTimeout(bctx, 20*time.Second)
		defer cancel()
		s, err := chromedp.Run(sctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return s
	}
	// submit fills a form by script (each value a CSS selector → value;
	// radios and checkboxes are checked) and submits it, as the browser does.
	submit := func(form string, values map[string]string, waitFor string) chromedp.Action[chromedp.Void] {
		var js strings.Builder
		for sel, v := range values {
			fmt.Fprintf(&js, `{const el = document.querySelector(%q); if (el.type === "radio" || el.type === "checkbox") el.checked = true;
				else { el.disabled = false; el.value = %q; } el.dispatchEvent(new Event("change", {bubbles: true}));}`, sel, v)
		}
		fmt.Fprintf(&js, `document.querySelector(%q).requestSubmit();`, form)
		return chromedp.Steps(chromedp.Evaluate[chromedp.Void](js.String()), chromedp.WaitVisible(chromedp.CSS(waitFor)))
	}
	// Staff pages are seen by an administrator (the team page is theirs),
	// who signs in once, with a password and an authenticator code.
	var admin *browser
	signedIn := false
	signIn := func() {
		if signedIn {
			return
		}
		code, err := totp.GenerateCode(admin.secret, time.Now().Add(30*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		do("sign in", chromedp.Navigate(h.srv.URL+"/admin/login"),
			submit("main form", map[string]string{"#f-email": admin.email, "#f-password": "correct horse battery staple"}, "#f-code"),
			submit("main form", map[string]string{"#f-code": code}, "table.queue"))
		signedIn = true
	}

	// Each page: how to reach it (staff or not), and what must show.
	type page struct {
		name, show string
		staff      bool
		open       func() chromedp.Action[chromedp.Void]
	}
	nav := func(path, show string) func() chromedp.Action[chromedp.Void] {
		return func() chromedp.Action[chromedp.Void] {
			u := path
			if !strings.HasPrefix(u, "http") {
				u = h.srv.URL + path
			}
			return chromedp.Steps(chromedp.Navigate(u), chromedp.WaitVisible(chromedp.CSS(show)))
		}
	}
	// agentOut signs the agent out (at the previous width the browser
	// signed in) and opens path.
	agentOut := func(path, show string) func() chromedp.Action[chromedp.Void] {
		return func() chromedp.Action[chromedp.Void] {
			return chromedp.Steps(chromedp.Navigate(h.srv.URL+"/agent"),
				chromedp.Evaluate[chromedp.Void](`(async () => { const f = document.querySelector('form[action="/agent/logout"]');
					if (f) await fetch(f.action, {method: "POST", body: new URLSearchParams(new FormData(f))}); })()`, chromedp.EvalAwaitPromise),
				chromedp.Navigate(h.srv.URL+path), chromedp.WaitVisible(chromedp.CSS(show)))
		}
	}
	withdrawURL := func() string {
		href := eval("withdraw link", `(async () => {
			const r = await fetch(`+fmt.Sprintf("%q", link("ava@demo.example"))+`); const html = await r.text();
			return new DOMParser().parseFromString(html, "text/html").querySelector('a[href$="/withdraw"]').getAttribute("href"); })()`)
		return href
	}
	pages := []page{
		{name: "home", show: "form.start button"},
		{name: "where", show: "#f-country"},
		{name: "where-errors", show: ".error-summary"},
		{name: "details", show: "#f-rights"},
		{name: "lookup", show: "#f-reference"},
		{name: "lookup-sent", show: ".notice.ok"},
		{name: "track-code", show: "#f-code", open: func() chromedp.Action[chromedp.Void] { return nav(link("ava@demo.example"), "#f-code")() }},
		{name: "track-appealed", show: ".card", open: func() chromedp.Action[chromedp.Void] { return nav(link("lucas@demo.example"), ".card")() }},
		{name: "track-identity", show: "#f-q_name", open: func() chromedp.Action[chromedp.Void] { return nav(link("zoe@demo.example"), "#f-q_name")() }},
		{name: "track-paused", show: "#f-answer", open: func() chromedp.Action[chromedp.Void] { return nav(link("harry@demo.example"), "#f-answer")() }},
		{name: "track-complaint", show: ".card", open: func() chromedp.Action[chromedp.Void] { return nav(link("olivia@demo.example"), ".card")() }},
		{name: "track-elsewhere", show: ".recourse", open: func() chromedp.Action[chromedp.Void] { return nav(link("kenji@demo.example"), ".recourse")() }},
		{name: "track-quebec", show: ".card", open: func() chromedp.Action[chromedp.Void] { return nav(link("noah@demo.example"), ".card")() }},
		{name: "verify-link", show: "main form button", open: func() chromedp.Action[chromedp.Void] {
			return nav(link("ava@demo.example")+"/verify/123456", "main form button")()
		}},
		{name: "withdraw", show: "button.warning"},
		{name: "choices", show: "#f-choice", open: nav("/choices", "#f-choice")},
		{name: "choices-errors", show: ".error-summary"},
		{name: "preferences", show: "section.preference", open: func() chromedp.Action[chromedp.Void] { return nav(prefLink, "section.preference")() }},
		{name: "unsubscribe", show: "main form button", open: func() chromedp.Action[chromedp.Void] {
			return nav("/choices/unsubscribe/"+models.OneClickToken([]byte(env["RIGHTSDESK_ONE_CLICK_KEY"]),
				models.Subject{Kind: models.IDEmail, Value: "ava@demo.example"}), "main form button")()
		}},
		{name: "track-corrections", show: "#f-correct", open: func() chromedp.Action[chromedp.Void] { return nav(fixLink, "#f-correct")() }},
		{name: "invite", show: "#f-password", open: func() chromedp.Action[chromedp.Void] { return nav(inviteLink, "#f-password")() }},
		{name: "reset", show: "#f-password", open: func() chromedp.Action[chromedp.Void] { return nav(resetLink, "#f-password")() }},
		{name: "login-two-step", show: "#f-code"},
		{name: "agent-register", show: "#f-password", open: agentOut("/agent/register", "#f-password")},
		{name: "agent-login", show: "#f-password", open: agentOut("/agent/login", "#f-password")},
		{name: "agent-home", show: "main h1"},
		{name: "agent-file", show: "#f-country", open: nav("/agent/file", "#f-country")},
		{name: "agent-filing", show: "main h1", open: func() chromedp.Action[chromedp.Void] { return nav(agentFiling, "main h1")() }},
		{name: "not-found", show: "main h1", open: nav("/t/"+strings.Repeat("x", 43), "main h1")},
		{name: "setup", show: "#f-password"},
		{name: "login", show: "#f-password", open: nav("/admin/login", "#f-password")},
		{name: "intake", show: "#f-channel", staff: true, open: nav("/admin/intake", "#f-channel")},
		{name: "queue", show: "table.queue", staff: true, open: nav("/admin?status=all", "table.queue")},
		{name: "appeals", show: "table.queue", staff: true, open: nav("/admin?kind=appeal&status=all", "table.queue")},
		{name: "complaints", show: "table.queue", staff: true, open: nav("/admin?kind=complaint&status=all", "table.queue")},
		{name: "request-paused", show: "#f-resume_note", staff: true},
		{name: "request-complaint", show: "#f-detail", staff: true},
		{name: "request-identity", show: "#identity", staff: true},
		{name: "verification", show: "#f-lookup_url", staff: true, open: nav("/admin/verification", "#f-lookup_url")},
		{name: "account", show: "#f-current", staff: true, open: nav("/admin/account", "#f-current")},
		{name: "team", show: "main table", staff: true, open: nav("/admin/team", "main table")},
		{name: "staff-not-found", show: "main h1", staff: true, open: nav("/admin/requests/999999", "main h1")},
		{name: "systems", show: "main table", staff: true, open: nav("/admin/systems", "main table")},
		{name: "system", show: "#f-system_name", staff: true, open: nav("/admin/systems/1", "#f-system_name")},
		{name: "request-tasks", show: "#tasks", staff: true},
		{name: "task", show: "#f-task_note", staff: true},
		{name: "templates", show: "main table", staff: true, open: nav("/admin/templates", "main table")},
		{name: "template-edit", show: "#f-body", staff: true, open: nav("/admin/templates/edit?stage=completion&lang=en", "#f-body")},
		{name: "settings", show: "main form", staff: true, open: nav("/admin/settings", "main form")},
		{name: "agents", show: "main table", staff: true, open: nav("/admin/agents", "main table")},
		{name: "two-step-setup", show: "main h1", staff: true, open: nav("/admin/account/two-step", "main h1")},
		{name: "records-mapping", show: "main table", staff: true, open: func() chromedp.Action[chromedp.Void] { return nav(mappingPath, "main table")() }},
		{name: "correction", show: "main form", staff: true, open: func() chromedp.Action[chromedp.Void] { return nav(correctionPath, "main form")() }},
	}
	// openRow opens the first queue row whose text contains text.
	openRow := func(query, text, show string) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(chromedp.Navigate(h.srv.URL+query), chromedp.WaitVisible(chromedp.CSS("table.queue")),
			chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`[...document.querySelectorAll("table.queue tbody tr")]
				.find(tr => tr.textContent.includes(%q)).querySelector("a").click()`, text)),
			chromedp.WaitVisible(chromedp.CSS(show)))
	}
	for i := range pages {
		p := &pages[i]
		switch p.name {
		case "home":
			p.open = nav("/", p.show)
		case "where":
			p.open = nav("/request", p.show)
		case "where-errors":
			p.open = func() chromedp.Action[chromedp.Void] {
				return chromedp.Steps(chromedp.Navigate(h.srv.URL+"/request"), submit("main form", nil, p.show))
			}
		case "details":
			p.open = func() chromedp.Action[chromedp.Void] {
				return chromedp.Steps(chromedp.Navigate(h.srv.URL+"/request"), submit("main form",
					map[string]string{"#f-on_behalf": "self", "#f-country": "US", "#f-state": "CA"}, p.show))
			}
		case "lookup":
			p.open = nav("/track", p.show)
		case "lookup-sent":
			p.open = func() chromedp.Action[chromedp.Void] {
				return chromedp.Steps(chromedp.Navigate(h.srv.URL+"/track"), submit("main form",
					map[string]string{"#f-reference": "RD-2345-6789", "#f-email": "nobody@example.org"}, p.show))
			}
		case "choices-errors":
			p.open = func() chromedp.Action[chromedp.Void] {
				return chromedp.Steps(chromedp.Navigate(h.srv.URL+"/choices"), submit("main form", nil, p.show))
			}
		case "login-two-step":
			p.open = func() chromedp.Action[chromedp.Void] {
				return chromedp.Steps(chromedp.Navigate(h.srv.URL+"/admin/login"),
					submit("main form", map[string]string{"#f-email": admin.email, "#f-password": "correct horse battery staple"}, p.show))
			}
		case "agent-home":
			p.open = func() chromedp.Action[chromedp.Void] {
				return chromedp.Steps(chromedp.Navigate(h.srv.URL+"/agent/login"),
					submit("main form", map[string]string{"#f-email": "layout-agent@example.org", "#f-password": "correct horse battery staple"}, p.show))
			}
		case "withdraw":
			p.open = func() chromedp.Action[chromedp.Void] { return nav(h.srv.URL+withdrawURL(), p.show)() }
		case "setup":
			p.open = func() chromedp.Action[chromedp.Void] {
				return nav("/setup?token="+url.QueryEscape(setupToken), p.show)()
			}
		case "request-paused":
			p.open = func() chromedp.Action[chromedp.Void] {
				return openRow("/admin?status=awaiting_information", "Waiting for the requester", p.show)
			}
		case "request-identity":
			p.open = func() chromedp.Action[chromedp.Void] {
				return openRow("/admin?status=all", "Awaiting verification", p.show)
			}
		case "request-tasks":
			p.open = func() chromedp.Action[chromedp.Void] {
				return openRow("/admin?status=all", "Get a copy to take elsewhere", p.show)
			}
		case "task":
			p.open = func() chromedp.Action[chromedp.Void] {
				return chromedp.Steps(openRow("/admin?status=all", "Get a copy to take elsewhere", "#tasks"),
					chromedp.Click(chromedp.CSS("#tasks tbody a")), chromedp.WaitVisible(chromedp.CSS(p.show)))
			}
		case "request-complaint":
			p.open = func() chromedp.Action[chromedp.Void] {
				return openRow("/admin?kind=complaint&status=all", "Complaint", p.show)
			}
		}
	}

	write := os.Getenv("RIGHTSDESK_SCREENSHOTS") == "1"
	// RIGHTSDESK_SCREENSHOT_DIR=dir keeps every page's screenshot there, to look at.
	all := os.Getenv("RIGHTSDESK_SCREENSHOT_DIR")
	var problems []string
	check := func(w int64, p page) {
		t.Helper()
		name := fmt.Sprintf("%s@%d", p.name, w)
		{
			if p.staff {
				signIn()
			} else if signedIn {
				t.Fatalf("%s: a public page after signing in", name)
			}
			do(name, p.open())
			// Nothing wider than the window; no table scrolling sideways
			// inside its box (a cut-off column) at the laptop width.
			got := eval(name+" overflow", `(() => {
				const d = document.documentElement, out = [];
				if (d.scrollWidth > d.clientWidth) {
					const wide = [...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > d.clientWidth + 1)
						.slice(-3).map(e => e.tagName.toLowerCase() + (e.className ? "." + e.className : "")).join(", ");
					out.push("page " + d.scrollWidth + " > " + d.clientWidth + " (" + wide + ")");
				}
				for (const t of document.querySelectorAll(".table-wrap")) {
					if (t.scrollWidth > t.clientWidth + 1) out.push("table " + t.scrollWidth + " > " + t.clientWidth);
				}
				return out.join("; ");
			})()`)
			if got != "" {
				problems = append(problems, name+": "+got)
			}
			// The queue's search box is wide enough for a name or an
			// address: at the laptop width about 30em, on a phone the
			// width of the window (less the padding).
			if p.name == "queue" {
				var want float64 = 300
				if w < 1280 {
					want = float64(w) - 80
				}
				if got := eval(name+" search", `String(document.querySelector("input[name=q]").getBoundingClientRect().width)`); parseFloat(got) < want {
					problems = append(problems, fmt.Sprintf("%s: the search box is %s px wide, want at least %.0f", name, got, want))
				}
			}
			// A failed form's error summary has the focus as the page loads.
			if strings.HasSuffix(p.name, "-errors") && eval(name+" focus", `String(document.activeElement.classList.contains("error-summary"))`) != "true" {
				problems = append(problems, name+": the error summary does not have the focus")
			}
			quality, magic := 40, []byte("\xff\xd8\xff") // JPEG: fast, and enough to look at
			file, readme := readmeShots[name]
			if write && readme || all != "" {
				quality, magic = 100, []byte("\x89PNG\r\n\x1a\n")
			}
			sctx, cancel := context.WithTimeout(bctx, 20*time.Second)
			img, err := chromedp.Run(sctx, chromedp.FullScreenshot(quality))
			cancel()
			if err != nil || len(img) < 2_000 || !bytes.HasPrefix(img, magic) {
				t.Fatalf("screenshot %s: %d bytes, %v", name, len(img), err)
			}
			if write && readme {
				if err := os.MkdirAll("../docs/screenshots", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile("../docs/screenshots/"+file, img, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if all != "" {
				if err := os.WriteFile(filepath.Join(all, strings.ReplaceAll(name, "@", "-")+".png"), img, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	for _, w := range widths {
		do(fmt.Sprintf("viewport %d", w), chromedp.EmulateViewport(w, 800))
		check(w, pages[slices.IndexFunc(pages, func(p page) bool { return p.name == "setup" })])
	}
	// A UK person whose clock stands still, a Virginian who appealed, …:
	// the demo's people, with their private links.
	if demo, err = seed(h); err != nil {
		t.Fatal(err)
	}
	admin = h.staffAs(models.RoleAdmin)
	// Pages reached through a link that mail carries or a file uploaded:
	// made over HTTP before the browser opens them.
	prefLink, fixLink, inviteLink, resetLink, agentFiling, mappingPath, correctionPath = layoutLinks(t, h, admin)
	// Public pages first, then staff pages, signed in once.
	for _, staff := range []bool{false, true} {
		for _, w := range widths {
			do(fmt.Sprintf("viewport %d", w), chromedp.EmulateViewport(w, 800))
			for _, p := range pages {
				if p.name != "setup" && p.staff == staff {
					check(w, p)
				}
			}
		}
	}
	if len(problems) > 0 {
		t.Errorf("pages wider than the window:\n%s", strings.Join(problems, "\n"))
	}
}

// layoutLinks makes, over HTTP, what the layout test's pages need beyond
// the demo: a preferences link, a correction request with an item, an
// invitation and a password reset (their links from the mail), an agent
// with a filing, and a records file waiting for its columns.
func layoutLinks(t *testing.T, h *harness, admin *browser) (pref, fix, invite, reset, filingPath, mapping, correction string) {
	t.Helper()
	b := h.browser()
	b.get("/choices")
	b.post("/choices/link", url.Values{"link_email": {"layout-prefs@example.org"}})
	pref = prefLinkRe.FindString(h.mailTo("layout-prefs@example.org", "Your privacy choices link").Text())

	form := submission()
	form["rights"] = []string{"correct"}
	form.Set("email", "layout-fix@example.org")
	person := h.browser()
	person.submit(form)
	m := h.mailTo("layout-fix@example.org", "Confirm").Text()
	fix = trackLink(t, m, h.srv.URL)
	person.get(fix)
	person.post(fix+"/verify", url.Values{"code": {codeRe.FindStringSubmatch(m)[1]}})
	h.verifiedByPhone("layout-fix@example.org")
	action := person.get(fix).doc.Find(`form[action$="/corrections"]`).AttrOr("action", "")
	if res := person.post(action, url.Values{"item": {"Postal address"}, "wrong": {"1 Old Road, a rather long line of an address"},
		"correct": {"2 New Street, Flat 14, Springfield, CA 90000, United States"}}); res.status != http.StatusSeeOther {
		t.Fatalf("correction item: %d %s", res.status, res.text(".error-summary"))
	}
	var id int64
	h.app.Core.DB().Table("correction_items").Select("MAX(id)").Row().Scan(&id)
	correction = fmt.Sprintf("/admin/corrections/%d", id)

	admin.get("/admin/team")
	admin.post("/admin/team/invite", url.Values{"name": {"Robin Layout"}, "email": {"robin-layout@example.org"}, "role": {"auditor"}})
	invite = linkRe.FindString(h.mailTo("robin-layout@example.org", "invited").Text())
	member := h.staffAs(models.RoleReviewer)
	team := admin.get("/admin/team")
	team.doc.Find("tbody tr").Each(func(_ int, row *goquery.Selection) {
		if strings.Contains(row.Text(), member.email) {
			admin.post(row.Find("form[action$='/reset']").AttrOr("action", ""), url.Values{})
		}
	})
	reset = linkRe.FindString(h.smtp.WaitFor(t, func(r testsmtp.Received) bool {
		return strings.Contains(strings.Join(r.To, ","), member.email) && strings.Contains(r.Text(), "/reset/")
	}, 15*time.Second).Text())

	ag := h.agent("layout-agent@example.org")
	filed := ag.file(filing("layout-filed@example.org"), "permission.pdf", signedPDF(""))
	filingPath = filed.doc.Find(`a[href^="/agent/requests/"]`).First().AttrOr("href", "")
	if filingPath == "" {
		filingPath = ag.get("/agent").doc.Find(`a[href^="/agent/requests/"]`).First().AttrOr("href", "")
	}

	admin.get("/admin/verification")
	res := admin.upload("/admin/verification/records", nil, "customers.csv",
		[]byte("E-mail;Full name;Phone;Postcode;Account number\njordan@example.org;Jordan Example;(415) 555-0100;94103;AC-1\n"))
	mapping = res.location()
	for what, v := range map[string]string{"preferences": pref, "correction": fix, "invitation": invite, "reset": reset,
		"filing": filingPath, "mapping": mapping} {
		if v == "" {
			t.Fatalf("no %s link for the layout test", what)
		}
	}
	return
}

func parseFloat(s string) float64 {
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

// demoContact is a fictional organization's privacy contact.
var demoContact = map[string]string{"RIGHTSDESK_PRIVACY_EMAIL": "privacy@acme.example",
	"RIGHTSDESK_PRIVACY_ADDRESS":      "Acme Test Co, Privacy Office, 100 Example Street, Springfield, CA 90000, United States",
	"RIGHTSDESK_QUEBEC_OFFICER_TITLE": "Chief Privacy Officer"}

// seed fills the harness with the demo, as `rightsdesk --demo` does.
func seed(h *harness) (web.Demo, error) {
	return web.SeedDemo(context.Background(), h.app, h.app.Log)
}
