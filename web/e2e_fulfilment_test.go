package web_test

import (
	"archive/zip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/rightsdesk/rightsdesk/internal/testenv"
	"github.com/rightsdesk/rightsdesk/models"
)

// TestBrowserFulfilment drives headless Chromium from a verified request
// to a downloaded package, as staff and the person would: the privacy
// officer signs in, opens the request, records its task for the one data
// system in scope, and writes to the person; the person reads the message
// on their tracking page and answers; the officer attaches a file and
// makes the package; the person asks for a code, types it from the mail,
// and the browser downloads the ZIP.
func TestBrowserFulfilment(t *testing.T) {
	chromium := testenv.Chromium(t)
	h := newHarness(t, "sqlite")
	ctxb := context.Background()
	if _, _, err := h.app.Systems.Save(ctxb, 0, models.SystemInput{Name: "Customer database", Kind: "crm", Recipient: models.SystemInternal,
		Rights: []string{"access", "delete"}, Instructions: "Export the customer record as CSV."}, models.SystemActor); err != nil {
		t.Fatal(err)
	}
	if _, err := h.app.Staff.Create(ctxb, models.StaffInput{Email: "e2e-officer@example.org", Name: "Pat Officer", Role: models.RoleOfficer,
		Password: "correct horse battery staple"}, models.SystemActor); err != nil {
		t.Fatal(err)
	}
	_, link := h.verifiedPerson("e2e-fulfil@example.org")
	trackURL := h.srv.URL + link
	export := filepath.Join(t.TempDir(), "orders.csv")
	if err := os.WriteFile(export, []byte("order,total\n1001,25.00\n1002,12.50\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	downloads := t.TempDir()

	chr := newChrome(t, chromium, 1100, 1400, 120*time.Second)
	ctx := chr.ctx
	run, text := chr.run, chr.text
	// notice finds the one-off notice that says text.
	notice := func(text string) chromedp.Search {
		return chromedp.Search(fmt.Sprintf(`//div[contains(@class, "notice") and contains(., %q)]`, text))
	}

	// 1. The officer signs in and opens the request to see one's information.
	run("sign in", chromedp.Navigate(h.srv.URL+"/admin/login"), chromedp.WaitVisible(chromedp.CSS(`#f-password`)),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), "e2e-officer@example.org"),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), "correct horse battery staple"),
		chromedp.Click(named("button", "Sign in")), chromedp.WaitVisible(chromedp.CSS(`table.queue`)))
	run("open the request", chromedp.Click(chromedp.Search(`//tr[td[contains(., "See your information")]]//a`)),
		chromedp.WaitVisible(chromedp.CSS(`#tasks`)))
	requestURL, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if got := text("#tasks"); !has(got, "Customer database", "To do", "1 task is open") {
		t.Fatalf("checklist:\n%s", got)
	}

	// 2. The task: the officer records it done, with a note.
	run("open the task", chromedp.Click(named("a", "Customer database")), chromedp.WaitVisible(chromedp.CSS(`#f-task_note`)))
	if got := text("main"); !has(got, "Export the customer record as CSV.") {
		t.Fatalf("task page:\n%s", got)
	}
	run("record the task", chromedp.Click(named("label", "Done")),
		chromedp.SendKeys(chromedp.CSS(`#f-task_note`), "Exported the customer record."),
		chromedp.Click(named("button", "Save task")), chromedp.WaitVisible(chromedp.CSS(`#tasks`)))
	if got := text("#tasks"); !has(got, "Done", "Exported the customer record.", "0 tasks are open") {
		t.Fatalf("checklist after the task:\n%s", got)
	}

	// 3. A message to the person.
	run("write", chromedp.SendKeys(chromedp.CSS(`#f-message`), "We found two accounts. Which e-mail did you use in 2019?"),
		chromedp.Click(named("button", "Send message")), chromedp.WaitVisible(notice("Message sent")))
	mail := h.mailTo("e2e-fulfil@example.org", "new message").Text()
	if strings.Contains(mail, "two accounts") {
		t.Fatalf("the mail carries the message:\n%s", mail)
	}

	// 4. The person reads it on their tracking page and answers.
	run("person reads", chromedp.Navigate(trackURL), chromedp.WaitVisible(chromedp.CSS(`#messages`)))
	if got := text("#messages"); !has(got, "We found two accounts") {
		t.Fatalf("tracking page thread:\n%s", got)
	}
	run("person answers", chromedp.SendKeys(chromedp.CSS(`#f-reply`), "The 2019 one, ending in .org."),
		chromedp.Click(named("button", "Send message")), chromedp.WaitVisible(chromedp.CSS(`.notice.ok`)))
	if got := text("#messages"); !has(got, "The 2019 one, ending in .org.") {
		t.Fatalf("after answering:\n%s", got)
	}

	// 5. The officer reads the answer, attaches the export and makes the package.
	run("officer reads", chromedp.Navigate(requestURL), chromedp.WaitVisible(chromedp.CSS(`#pkg-h`)))
	if got := text("#msg-h + ol"); !has(got, "The 2019 one", "The person") {
		t.Fatalf("staff thread:\n%s", got)
	}
	run("attach", chromedp.SetUploadFiles(chromedp.CSS(`#f-file`), []string{export}),
		chromedp.Click(named("button", "Attach file")), chromedp.WaitVisible(chromedp.CSS(`.notice.ok`)))
	run("make the package", chromedp.Click(named("button", "Make the package and tell the person")),
		chromedp.WaitVisible(notice("Package made")))

	// 6. The person asks for a code, types it, and downloads the ZIP.
	run("ask for a code", chromedp.Navigate(trackURL), chromedp.WaitVisible(chromedp.CSS(`#your-data`)),
		chromedp.Click(chromedp.Search(`//button[starts-with(normalize-space(), "E-mail me a download code")]`)),
		chromedp.WaitVisible(chromedp.CSS(`#f-download_code`)))
	code := regexp.MustCompile(`Your download code: (\d{6})`).FindStringSubmatch(h.mailTo("e2e-fulfil@example.org", "Your download code").Text())
	if code == nil {
		t.Fatal("no download code mailed")
	}
	progress := chromedp.Events(ctx, cdpbrowser.DownloadProgress)
	run("download", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
			Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads, EventsEnabled: ptr(true)})
		return err
	}), chromedp.SendKeys(chromedp.CSS(`#f-download_code`), code[1]), chromedp.Click(named("button", "Download")))
	var file string
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("download: %v", err)
		}
		if ev.State == cdpbrowser.DownloadProgressStateCanceled {
			t.Fatal("the download was cancelled")
		}
		if ev.State == cdpbrowser.DownloadProgressStateCompleted {
			file = filepath.Join(downloads, ev.GUID)
			break
		}
	}
	zr, err := zip.OpenReader(file)
	if err != nil {
		t.Fatalf("the download is not a ZIP: %v", err)
	}
	defer zr.Close()
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	if strings.Join(names, " ") != "README.txt files/orders.csv" {
		t.Fatalf("package files: %v", names)
	}
	run("logged", chromedp.Navigate(requestURL), chromedp.WaitVisible(chromedp.CSS(`#pkg-h`)))
	if got := text("#pkg-h + p + table"); has(got, "Not downloaded yet") {
		t.Fatalf("the download is not logged:\n%s", got)
	}
}

func ptr[T any](v T) *T { return &v }
