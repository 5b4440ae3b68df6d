package web_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/rightsdesk/rightsdesk/internal/testenv"
	"github.com/rightsdesk/rightsdesk/models"
)

// A person, in a real browser, submits a request, confirms their email with
// the mailed code and tracks it; a staff member signs in and completes it;
// the person's tracking page shows it completed.
func TestBrowserJourney(t *testing.T) {
	chromium := testenv.Chromium(t)
	h := newHarness(t, "sqlite")
	opts := append(chromedp.DefaultExecAllocatorOptions[:0:0],
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1100, 1400),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 120*time.Second)
	defer cancelTimeout()

	run := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	get := func(step string, a chromedp.Action[string]) string {
		t.Helper()
		s, err := chromedp.Run(ctx, a)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		return s
	}
	text := func(sel string) string { t.Helper(); return get("read "+sel, chromedp.Text(css(sel))) }
	// RIGHTSDESK_SCREENSHOTS=1 refreshes the README's form screenshot.
	shot := func(name string) {
		if os.Getenv("RIGHTSDESK_SCREENSHOTS") != "1" {
			return
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("../docs/screenshots/"+name, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// The person starts from the home page.
	run("home", chromedp.Navigate(h.srv.URL+"/"), chromedp.Click(css(`a.button.start`)),
		chromedp.WaitVisible(css(`#f-country`)))
	run("step 1", chromedp.Click(css(`#f-on_behalf`)),
		chromedp.SetValue(css(`#f-country`), "US"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("f-country").dispatchEvent(new Event("change"))`),
		chromedp.WaitVisible(css(`#f-state`)),
		chromedp.SetValue(css(`#f-state`), "CA"),
		chromedp.Click(css(`form button[type=submit]`)),
		chromedp.WaitVisible(css(`#f-rights`)))
	if got := text("main"); !strings.Contains(got, "California, United States") || !strings.Contains(got, "Limit use of sensitive information") {
		t.Fatalf("step 2 does not show California's rights:\n%s", got)
	}
	run("step 2", chromedp.Click(css(`#f-rights`)),
		chromedp.SendKeys(css(`#f-name`), "Robin Browser"),
		chromedp.SendKeys(css(`#f-email`), "robin@example.org"),
		chromedp.Click(css(`#f-relationship`)))
	shot("form.png")
	run("submit", chromedp.Click(css(`form button[type=submit]`)), chromedp.WaitVisible(css(`.panel .ref`)))
	ref := text(".panel .ref")
	trackURL := get("location", chromedp.Location())
	if !strings.HasPrefix(ref, "RD-") || !strings.Contains(trackURL, "/t/") {
		t.Fatalf("confirmation: %q at %s", ref, trackURL)
	}

	// The code from the mail confirms the email.
	code := codeRe.FindStringSubmatch(h.mailTo("robin@example.org", "Confirm your email").Text())[1]
	run("verify", chromedp.SendKeys(css(`#f-code`), code),
		chromedp.Click(css(`form[action$="/verify"] button`)),
		chromedp.WaitVisible(css(`.notice`)))
	if got := text(".notice"); !strings.Contains(got, "email address is confirmed") {
		t.Fatalf("after the code: %q", got)
	}

	// Staff sign in, find it in the queue and complete it.
	if _, err := h.app.Store.CreateStaff(ctx, models.StaffInput{Email: "officer@example.org", Name: "Pat Officer",
		Role: models.RoleAdmin, Password: "correct horse battery staple"}, models.SystemActor); err != nil {
		t.Fatal(err)
	}
	run("login", chromedp.Navigate(h.srv.URL+"/admin"), chromedp.WaitVisible(css(`#f-password`)),
		chromedp.SendKeys(css(`#f-email`), "officer@example.org"),
		chromedp.SendKeys(css(`#f-password`), "correct horse battery staple"),
		chromedp.Click(css(`form[action="/admin/login"] button`)),
		chromedp.WaitVisible(css(`table.queue`)))
	if got := text("table.queue"); !strings.Contains(got, ref) {
		t.Fatalf("queue lacks %s:\n%s", ref, got)
	}
	run("open request", chromedp.Click(chromedp.Search(`//a[normalize-space(text())="`+ref+`"]`)),
		chromedp.WaitVisible(css(`input[name=status][value=in_progress]`)))
	for _, to := range []string{"in_progress", "completed"} {
		// Once moved, the page no longer offers the status it is in.
		run("move to "+to, chromedp.Click(css(`input[name=status][value=`+to+`]`)),
			chromedp.Click(css(`form[action$="/status"] button`)),
			chromedp.WaitNotPresent(css(`input[name=status][value=`+to+`]`)))
	}
	if got := text("main p .badge"); !strings.EqualFold(got, "Completed") {
		t.Fatalf("staff page status %q", got)
	}

	// The person's page shows it completed.
	run("track", chromedp.Navigate(trackURL), chromedp.WaitVisible(css(`.card`)))
	if got := text("main"); !strings.Contains(got, "Completed") || !strings.Contains(got, "Status changed to: Completed") {
		t.Fatalf("tracking page:\n%s", got)
	}
}

func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }
