package web_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/rightsdesk/rightsdesk/internal/testenv"
)

// TestBrowserAgentFiling drives headless Chromium through an agent's
// filing: sign in, the three steps, the portal's own designation form
// (signed) uploaded from disk; then the person opens the mailed link and
// confirms that they asked the agent; the agent sees the request go on to
// staff's review.
func TestBrowserAgentFiling(t *testing.T) {
	chromium := testenv.Chromium(t)
	h := newHarness(t, "sqlite")
	helper := h.agent("e2e-agent@example.org") // an approved agent, and an HTTP client of its own

	// The designation the portal hands out, as the person signed it.
	form := filing("e2e-person@example.org")
	form.Set("rights", "access")
	_, fields := helper.fileSteps(form)
	fields.Set("_csrf", helper.csrf)
	res := helper.post("/agent/file/designation", fields)
	if res.status != http.StatusOK || res.header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(res.body, "%PDF") {
		t.Fatalf("designation: %d %s", res.status, res.header.Get("Content-Type"))
	}
	signed := filepath.Join(t.TempDir(), "signed-designation.pdf")
	if err := os.WriteFile(signed, []byte(res.body), 0o600); err != nil {
		t.Fatal(err)
	}

	chr := newChrome(t, chromium, 1100, 1400, 90*time.Second)
	ctx := chr.ctx
	run, text := chr.run, chr.text

	// 1. The agent signs in.
	run("sign in", chromedp.Navigate(h.srv.URL+"/agent/login"), chromedp.WaitVisible(chromedp.CSS(`#f-password`)),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), "e2e-agent@example.org"),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), "correct horse battery staple"),
		chromedp.Click(named("button", "Sign in")), chromedp.WaitVisible(chromedp.CSS(`#f-q`)))

	// 2. Where the person lives, then who they are, the right and the authority.
	run("step 1", chromedp.Navigate(h.srv.URL+"/agent/file"), chromedp.WaitVisible(chromedp.CSS(`#f-country`)),
		choose(`#f-country`, "US"), chromedp.WaitVisible(chromedp.CSS(`#f-state`)), choose(`#f-state`, "CA"),
		chromedp.Click(named("button", "Continue")), chromedp.WaitVisible(chromedp.CSS(`#f-authority`)))
	if got := text("main"); !has(got, "Step 2 of 3", "California") {
		t.Fatalf("step 2:\n%s", got)
	}
	run("step 2", chromedp.Click(named("label", "A permission signed by the person")),
		chromedp.Click(named("label", "See your information")),
		chromedp.SendKeys(chromedp.CSS(`#f-name`), "Jordan Person"),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), "e2e-person@example.org"),
		chromedp.Click(chromedp.CSS(`#f-relationship`)),
		chromedp.Click(named("button", "Continue")), chromedp.WaitVisible(chromedp.CSS(`#f-document`)))
	if got := text("main"); !has(got, "Step 3 of 3", "Download the designation", "Jordan Person", "See your information") {
		t.Fatalf("step 3:\n%s", got)
	}

	// 3. The signed designation, uploaded from disk.
	run("upload", chromedp.SetUploadFiles(chromedp.CSS(`#f-document`), []string{signed}),
		chromedp.Click(named("button", "File the requests")), chromedp.WaitVisible(chromedp.CSS(`.timeline`)))
	if got := text("main"); !strings.Contains(got, "Request RD-") {
		t.Fatalf("after the upload:\n%s", got)
	}
	if got := text("main"); !has(got, "Waiting for the person to confirm", "A permission signed by the person", "PDF uploaded") {
		t.Fatalf("filing page:\n%s", got)
	}
	ref := refRe.FindString(text("h1"))

	// 4. The person opens the mailed link and confirms.
	mail := h.mailTo("e2e-person@example.org", "Did you ask someone").Text()
	link := trackRe.FindStringSubmatch(mail)
	if link == nil || !strings.Contains(mail, "Helpful Agents Inc.") {
		t.Fatalf("confirmation mail:\n%s", mail)
	}
	run("person", chromedp.Navigate(h.srv.URL+link[1]), chromedp.WaitVisible(chromedp.CSS(`#agent-h`)))
	if got := text("#agent-h + p + p"); !has(got, "Did you ask Helpful Agents Inc.") {
		t.Fatalf("the question: %q", got)
	}
	run("confirm", chromedp.Click(named("button", "Yes, I asked them")), chromedp.WaitVisible(chromedp.CSS(`.notice.ok`)))
	if got := text(".notice.ok"); !has(got, "you confirmed that you asked the agent") {
		t.Fatalf("after confirming: %q", got)
	}

	// 5. The agent's dashboard: no longer waiting for the person.
	run("dashboard", chromedp.Navigate(h.srv.URL+"/agent"), chromedp.WaitVisible(chromedp.CSS(`#f-q`)),
		chromedp.SendKeys(chromedp.CSS(`#f-q`), strings.ToLower(ref)), chromedp.Click(named("button", "Search")))
	// The list is on the page before the search too: wait for the search's
	// own page before reading its table.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err == nil && strings.HasSuffix(loc, "/agent/search") { // a posted search: the term is in no address
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("search results: %q %v", loc, err)
		}
	}
	run("results", chromedp.WaitVisible(chromedp.CSS(`table.queue`)))
	if got := text("table.queue tbody"); !has(got, ref, "Jordan Person", "reviewing your authority") || has(got, "Waiting for the person") {
		t.Fatalf("dashboard:\n%s", got)
	}
}
