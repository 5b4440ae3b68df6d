package web_test

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/rightsdesk/rightsdesk/internal/testenv"
	"github.com/rightsdesk/rightsdesk/models"
)

// TestBrowserEndToEnd drives headless Chromium through the real UI, as a
// person would: the requester starts from the home page, fills in both steps
// of the form, confirms their email with the mailed code; an administrator
// signs in, opens the request from the queue and completes it; the
// requester's tracking page then shows it completed. It screenshots the
// form and the queue as it goes (the README's pictures come from the
// demo, in TestLayoutAtEveryWidth).
func TestBrowserEndToEnd(t *testing.T) {
	chromium := testenv.Chromium(t)
	h := newHarness(t, "sqlite")

	chr := newChrome(t, chromium, 1100, 1400, 90*time.Second)
	ctx := chr.ctx
	run, read, text := chr.run, chr.read, chr.text

	checked := func(sel string) bool {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		on, err := chromedp.Run(sctx, chromedp.JavascriptAttribute[bool](chromedp.CSS(sel), "checked"))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return on
	}
	// shot takes a full-page screenshot and checks it is one.
	shot := func(name string) {
		t.Helper()
		img, err := chromedp.Run(ctx, chromedp.FullScreenshot(90))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if len(img) < 10_000 || !bytes.HasPrefix(img, []byte("\xff\xd8\xff")) {
			t.Fatalf("screenshot %s: %d bytes, not a picture of the page", name, len(img))
		}
	}

	// The organization's records, imported as staff would: the person's
	// answers are matched against them.
	importTestRecords(t, h, "email,name,phone,zip\ne2e@example.org,Robin Endtoend,+1 415 555 0100,94103\n")

	// 1. From the home page to step 1: who asks and where they live. The
	// state field appears only once the country needs it.
	run("home page", chromedp.Navigate(h.srv.URL+"/"), chromedp.Click(named("button", "Start now")),
		chromedp.WaitVisible(chromedp.CSS(`#f-country`)))
	if got := text("main"); !has(got, "Step 1 of 2", "Who is making this request?") {
		t.Fatalf("step 1:\n%s", got)
	}
	run("state hidden before a country", chromedp.WaitNotVisible(chromedp.CSS(`#f-state`)))
	run("step 1", chromedp.Click(named("label", "I am asking for myself")),
		choose(`#f-country`, "US"), chromedp.WaitVisible(chromedp.CSS(`#f-state`)),
		choose(`#f-state`, "CA"))
	if !checked(`#f-on_behalf`) {
		t.Fatal(`"I am asking for myself" is not selected after clicking its label`)
	}
	run("continue", chromedp.Click(named("button", "Continue")), chromedp.WaitVisible(chromedp.CSS(`#f-rights`)))

	// 2. Step 2 offers California's rights under the CCPA.
	if got := text("main"); !has(got, "Step 2 of 2", "California, United States", "California Consumer Privacy Act",
		"Limit use of sensitive information") {
		t.Fatalf("step 2 does not offer California's rights:\n%s", got)
	}
	const email = "e2e@example.org"
	run("step 2", chromedp.Click(named("label", "See your information")),
		chromedp.SendKeys(chromedp.CSS(`#f-name`), "Robin Endtoend"),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), email),
		chromedp.Click(chromedp.CSS(`#f-relationship`)))
	if !checked(`#f-rights[value=access]`) || !checked(`#f-relationship[value=customer]`) {
		t.Fatal("the right or the relationship is not selected")
	}
	shot("form.png")
	run("send request", chromedp.Click(named("button", "Send request")),
		chromedp.WaitVisible(chromedp.CSS(`.panel .ref`)))

	// 3. The tracking page gives a reference and asks for the mailed code.
	trackURL := read("location", chromedp.Location())
	ref := text(".panel .ref")
	if !regexp.MustCompile(`^RD-[0-9A-Z]{4}-[0-9A-Z]{4}$`).MatchString(ref) {
		t.Fatalf("reference %q", ref)
	}
	if got := text(".panel h1"); got != "Request received" {
		t.Fatalf("confirmation heading %q", got)
	}
	if got := text("main"); !has(got, "See your information", "Awaiting email confirmation") {
		t.Fatalf("tracking page before the code:\n%s", got)
	}
	mail := h.mailTo(email, "Confirm your email").Text()
	code := codeRe.FindStringSubmatch(mail)
	if code == nil || !strings.Contains(mail, ref) || h.srv.URL+trackLink(t, mail, h.srv.URL) != trackURL {
		t.Fatalf("verification mail lacks the code, the reference %s or the link %s:\n%s", ref, trackURL, mail)
	}
	run("confirm email", chromedp.SendKeys(chromedp.CSS(`#f-code`), code[1]),
		chromedp.Click(named("button", "Confirm")),
		chromedp.WaitNotPresent(chromedp.CSS(`#f-code`)))
	if got := text(".notice"); !has(got, "your email address is confirmed") {
		t.Fatalf("after the code: %q", got)
	}
	// 3b. A request to see one's information needs three details matched
	// and a signed declaration (11 CCR §7062(c)): asked on one page, the
	// name the form had already filled in. A wrong answer is refused
	// without saying which, a missing declaration is named at the top and
	// beside its field, with every value kept.
	if got := text(".card .badge"); !strings.EqualFold(got, "Confirming it is you") {
		t.Fatalf("status after the code: %q", got)
	}
	if got := read("name", chromedp.Value(chromedp.CSS(`#f-q_name`))); got != "Robin Endtoend" {
		t.Fatalf("the name is not filled in: %q", got)
	}
	run("answer without the declaration", chromedp.SendKeys(chromedp.CSS(`#f-q_phone`), "(415) 555-0100"),
		chromedp.SendKeys(chromedp.CSS(`#f-q_postal_code`), "90210"),
		chromedp.Click(named("button", "Continue")), chromedp.WaitVisible(chromedp.CSS(`.error-summary`)))
	if got := text(".error-summary"); !has(got, "Tick the box to sign the declaration", "Type your full name") {
		t.Fatalf("error summary %q", got)
	}
	if got := read("phone kept", chromedp.Value(chromedp.CSS(`#f-q_phone`))); got != "(415) 555-0100" {
		t.Fatalf("the phone was not kept: %q", got)
	}
	run("sign and send a wrong postal code", chromedp.Click(chromedp.CSS(`#f-declared`)),
		chromedp.SendKeys(chromedp.CSS(`#f-declared_name`), "Robin Endtoend"),
		stale(), chromedp.Click(named("button", "Continue")), next(`.error-summary`))
	if got := text(".error-summary"); !has(got, "could not confirm your identity", "2 tries left") || has(got, "postal") {
		t.Fatalf("a wrong answer: %q", got)
	}
	run("the right postal code", chromedp.Clear(chromedp.CSS(`#f-q_postal_code`)),
		chromedp.SendKeys(chromedp.CSS(`#f-q_postal_code`), "94103-1234"),
		chromedp.Click(named("button", "Continue")), chromedp.WaitNotPresent(chromedp.CSS(`#f-q_name`)))
	if got := text(".notice"); !has(got, "your identity is confirmed") {
		t.Fatalf("after the answers: %q", got)
	}
	if got := text(".card"); !has(got, "Ready to start", "Confirmed against our records", "Identity confirmed") {
		t.Fatalf("request after the answers: %q", got)
	}

	// 4. An administrator signs in, finds the request in the queue and
	// moves it to in progress, then to completed.
	const staffEmail, password = "officer-e2e@example.org", "correct horse battery staple"
	if _, err := h.app.Staff.Create(context.Background(), models.StaffInput{Email: staffEmail, Name: "Pat Officer",
		Role: models.RoleOfficer, Password: password}, models.SystemActor); err != nil {
		t.Fatal(err)
	}
	run("sign in", chromedp.Navigate(h.srv.URL+"/admin/login"), chromedp.WaitVisible(chromedp.CSS(`#f-password`)),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), staffEmail),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), password),
		chromedp.Click(named("button", "Sign in")),
		chromedp.WaitVisible(chromedp.CSS(`table.queue`)))
	if got := text("table.queue tbody"); !has(got, ref, "See your information", "California", "Ready to start") {
		t.Fatalf("queue lacks the confirmed request %s:\n%s", ref, got)
	}
	shot("queue.png")
	run("open request", chromedp.Click(named("a", ref)),
		chromedp.WaitVisible(chromedp.CSS(`input[name=status][value=in_progress]`)))
	if got := text("h1"); !has(got, ref, "See your information") {
		t.Fatalf("request page heading %q", got)
	}
	if got := text("main"); !has(got, "Robin Endtoend", email) {
		t.Fatalf("request page does not show the requester:\n%s", got)
	}
	for _, to := range []struct{ value, label string }{{"in_progress", "In progress"}, {"completed", "Completed"}} {
		radio := chromedp.CSS(`input[name=status][value=` + to.value + `]`)
		// Once saved, the page no longer offers the status the request is in.
		fill := chromedp.Steps()
		if to.value == "completed" { // completing says how it was done
			fill = chromedp.SendKeys(chromedp.CSS(`#f-detail`), "We sent the copy through your tracking page.")
		}
		run("move to "+to.value, chromedp.Click(radio), fill, chromedp.Click(named("button", "Save and tell the requester")),
			chromedp.WaitNotPresent(radio))
		if got := text("h1 + p .badge"); !strings.EqualFold(got, to.label) {
			t.Fatalf("status after saving %s: %q", to.value, got)
		}
		if got := text(".notice"); !has(got, "Status updated and the requester told") {
			t.Fatalf("after saving %s: %q", to.value, got)
		}
	}

	// 5. The requester's tracking page shows the request completed.
	run("track again", chromedp.Navigate(trackURL), chromedp.WaitVisible(chromedp.CSS(`.card .badge`)))
	if got := text(".card .badge"); !strings.EqualFold(got, "Completed") {
		t.Fatalf("tracking page status %q", got)
	}
	if got := text("main"); !has(got, ref, "Status changed to: In progress", "Status changed to: Completed") {
		t.Fatalf("tracking page:\n%s", got)
	}
}
