package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/rightsdesk/rightsdesk/internal/webhook"
	"github.com/rightsdesk/rightsdesk/models"
)

// uploadAs posts a multipart form as a browser does (the CSRF token
// first, the fields, then the file under field).
func (b *browser) uploadAs(path string, fields url.Values, field, name string, content []byte) page {
	b.h.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("_csrf", b.csrf)
	for k, vs := range fields {
		for _, v := range vs {
			w.WriteField(k, v)
		}
	}
	if name != "" {
		fw, _ := w.CreateFormFile(field, name)
		fw.Write(content)
	}
	w.Close()
	req, err := http.NewRequest(http.MethodPost, b.url(path), &body)
	if err != nil {
		b.h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	return b.do(req)
}

// addSystem adds a data system from the settings page and returns its
// page (with its webhook key, shown once, when it has a webhook).
func (b *browser) addSystem(name, recipient, webhookURL string, rights ...string) page {
	b.h.t.Helper()
	b.get("/admin/systems")
	res := b.post("/admin/systems", url.Values{"system_name": {name}, "kind": {"crm"}, "recipient": {recipient}, "owner": {"Operations"},
		"rights": rights, "instructions": {"Search by e-mail address."}, "webhook_url": {webhookURL}})
	switch res.status {
	case http.StatusOK:
		return res
	case http.StatusSeeOther:
		return b.follow(res)
	}
	b.h.t.Fatalf("add system %s: %d %s", name, res.status, res.text(".error-summary"))
	return res
}

// verifiedPerson submits the standard form (access and delete in
// California) for email, confirms it, has staff record that they verified
// the person's identity by phone (the questions are tested in
// verification_test.go), and returns the person's browser and tracking
// path.
func (h *harness) verifiedPerson(email string) (*browser, string) {
	h.t.Helper()
	person := h.browser()
	link, code := h.submitAs(person, email)
	person.get(link)
	if res := person.post(link+"/verify", url.Values{"code": {code}}); res.status != http.StatusSeeOther {
		h.t.Fatalf("verify: %d %s", res.status, res.text(".error-summary"))
	}
	h.verifiedByPhone(email)
	return person, link
}

// verifiedByPhone records that staff verified the identity of the person
// who submitted from email, for each of their requests.
func (h *harness) verifiedByPhone(email string) {
	h.t.Helper()
	var ids []int64
	h.app.Core.DB().Table("requests").Joins("JOIN submissions ON submissions.id = requests.submission_id").
		Where("submissions.email = ?", email).Order("requests.id").Pluck("requests.id", &ids)
	for _, id := range ids {
		if err := h.app.Requests.Move(context.Background(), id, models.Transition{To: models.StatusVerified,
			Detail: "Called the number on file."}, models.SystemActor); err != nil {
			h.t.Fatalf("verify request %d: %v", id, err)
		}
	}
}

var taskLinkRe = regexp.MustCompile(`/admin/tasks/(\d+)`)

// Data systems through the router: settings with their validation; a
// verified request's checklist, a task opened assigned to its system's
// owner and reassigned from its page; a task recorded with its note; a
// deletion passed on impossibly, with its reason; completion
// refused while a task is open, in part with what was not done, or by an
// administrator's override with a reason; the person sees the outcome.
func TestDataSystemsAndTasks(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		officer := h.staff()
		officer.get("/admin/systems")
		bad := officer.post("/admin/systems", url.Values{"kind": {"crm"}, "recipient": {"internal"}})
		failedForm(t, "a system without name or rights", bad, http.StatusUnprocessableEntity)
		if !strings.Contains(bad.text("#f-system_name-error"), "Enter the system's name") || !strings.Contains(bad.text("#f-rights-error"), "rights") {
			t.Fatalf("system errors: %s", bad.text(".error-summary"))
		}
		// The CRM's owner is the officer: its tasks are theirs when they open.
		officerID := h.staffID(officer)
		crmRes := officer.post("/admin/systems", url.Values{"system_name": {"CRM"}, "kind": {"crm"}, "recipient": {"internal"}, "owner": {"Operations"},
			"owner_staff_id": {strconv.FormatInt(officerID, 10)}, "rights": {"access", "delete"}, "instructions": {"Search by e-mail address."}})
		if crmRes.status != http.StatusSeeOther {
			t.Fatalf("add the CRM: %d %s", crmRes.status, crmRes.text(".error-summary"))
		}
		crm := officer.follow(crmRes)
		if !strings.Contains(crm.text("h1"), "CRM") {
			t.Fatalf("system page: %s", crm.text("main"))
		}
		officer.addSystem("Mail service", "service_provider", "", "delete")
		if dup := officer.post("/admin/systems", url.Values{"system_name": {"crm"}, "kind": {"crm"}, "recipient": {"internal"},
			"rights": {"access"}}); dup.status != http.StatusConflict || !strings.Contains(dup.text("#f-system_name-error"), "already") {
			t.Fatalf("a second system named crm: %d %s", dup.status, dup.text(".error-summary"))
		}
		list := officer.get("/admin/systems")
		if got := list.text("table"); !strings.Contains(got, "CRM") || !strings.Contains(got, "A service provider") {
			t.Fatalf("systems list:\n%s", got)
		}

		person, link := h.verifiedPerson("tasks-person@example.org")
		ref := person.get(link).text("main strong")
		href, pg := h.staffOpen(officer, ref, "See your information", "request")
		if got := pg.text("#tasks"); !strings.Contains(got, "CRM") || strings.Contains(got, "Mail service") || !strings.Contains(got, "1 task is open") {
			t.Fatalf("access checklist:\n%s", got)
		}
		res := officer.post(href+"/status", url.Values{"status": {"completed"}, "detail": {"Sent a copy."}})
		failedForm(t, "completion with a task open", res, http.StatusConflict)
		if !strings.Contains(res.text(".error-summary"), "1 task is still open") {
			t.Fatalf("summary: %s", res.text(".error-summary"))
		}
		if res.doc.Find("#f-override").Length() != 0 {
			t.Fatal("a privacy officer is offered the override")
		}
		task := taskLinkRe.FindString(pg.body)
		taskID, _ := strconv.ParseInt(strings.TrimPrefix(task, "/admin/tasks/"), 10, 64)
		assigneeOf := func() int64 {
			t.Helper()
			var row models.Task
			if err := h.app.Core.DB().Where("id = ?", taskID).Take(&row).Error; err != nil {
				t.Fatal(err)
			}
			if row.AssigneeID == nil {
				return 0
			}
			return *row.AssigneeID
		}
		if got := pg.doc.Find("#tasks tbody tr").First().Find("td").Eq(2).Text(); got != "Pat Officer" || assigneeOf() != officerID {
			t.Fatalf("the CRM's task opened assigned to %q (%d), not its owner %d", got, assigneeOf(), officerID)
		}
		// Reassigned from the task page to a reviewer, who is offered there.
		reviewer := h.staffAs(models.RoleReviewer)
		reviewerID := strconv.FormatInt(h.staffID(reviewer), 10)
		taskPage := officer.get(task)
		if taskPage.doc.Find(`select[name="assignee"] option[value="`+reviewerID+`"]`).Length() != 1 ||
			taskPage.doc.Find(`select[name="assignee"] option[selected]`).AttrOr("value", "") != strconv.FormatInt(officerID, 10) {
			t.Fatalf("task page's assignees:\n%s", taskPage.text(`select[name="assignee"]`))
		}
		if res := officer.post(task, url.Values{"assignee": {reviewerID}}); res.status != http.StatusSeeOther {
			t.Fatalf("reassign: %d %s", res.status, res.text(".error-summary"))
		}
		pg = officer.get(href)
		if got := pg.doc.Find("#tasks tbody tr").First().Find("td").Eq(2).Text(); got != "Sam reviewer" || strconv.FormatInt(assigneeOf(), 10) != reviewerID ||
			!strings.Contains(pg.text("#tasks"), "1 task is open") {
			t.Fatalf("after reassigning, the task is held by %q (%d):\n%s", got, assigneeOf(), pg.text("#tasks"))
		}
		if got := reviewer.get(task).text("table.summary"); !strings.Contains(got, "Sam reviewer") {
			t.Fatalf("the reviewer's task page:\n%s", got)
		}
		failedForm(t, "not applicable without a note", officer.post(task, url.Values{"task_status": {"not_applicable"}, "assignee": {reviewerID}}), http.StatusUnprocessableEntity)
		if res := reviewer.post(task, url.Values{"task_status": {"done"}, "task_note": {"Exported the record."}, "assignee": {reviewerID}}); res.status != http.StatusSeeOther {
			t.Fatalf("task done: %d %s", res.status, res.text(".error-summary"))
		}
		pg = officer.get(href)
		if got := pg.text("#tasks"); !strings.Contains(got, "Done") || !strings.Contains(got, "Exported the record.") || !strings.Contains(got, "0 tasks are open") ||
			!strings.Contains(got, "Sam reviewer") {
			t.Fatalf("checklist after the task:\n%s", got)
		}
		failedForm(t, "in part without what was not done", officer.post(href+"/status", url.Values{"status": {"completed"},
			"detail": {"Sent a copy."}, "outcome": {"partial"}}), http.StatusUnprocessableEntity)
		if res := officer.post(href+"/status", url.Values{"status": {"completed"}, "detail": {"We sent a copy of your customer record."},
			"outcome": {"partial"}, "not_done": {"Call recordings are kept by our phone provider, who deleted them after 30 days."}}); res.status != http.StatusSeeOther {
			t.Fatalf("complete in part: %d %s", res.status, res.text(".error-summary"))
		}
		mail := h.mailTo("tasks-person@example.org", "Update on your privacy request")
		if !strings.Contains(mail.Text(), "We did part of what you asked") || strings.Contains(mail.Text(), "customer record") {
			t.Fatalf("completion mail:\n%s", mail.Text())
		}
		tr := person.get(link)
		if got := tr.text("main"); !strings.Contains(got, "Done in part") || !strings.Contains(got, "Call recordings are kept") ||
			!strings.Contains(got, "We sent a copy of your customer record.") {
			t.Fatalf("tracking page:\n%s", got)
		}

		// The deletion: passed on to the mail service, or the reason it was
		// impossible recorded; an administrator completes it with the CRM's
		// task open, with a reason.
		delHref, del := h.staffOpen(officer, ref, "Delete your information", "request")
		if got := del.text("#tasks"); !strings.Contains(got, "CRM") || !strings.Contains(got, "Mail service") || !strings.Contains(got, "A service provider") {
			t.Fatalf("deletion checklist:\n%s", got)
		}
		// Passing the deletion on to the mail service was impossible: said
		// with a reason, which the checklist shows; it no longer holds up
		// completion, the CRM's task does.
		var mailTask string
		del.doc.Find("#tasks tbody tr").Each(func(_ int, row *goquery.Selection) {
			if strings.Contains(row.Text(), "Mail service") {
				mailTask = row.Find("a").AttrOr("href", "")
			}
		})
		if mailTask == "" || !strings.Contains(del.text("#tasks"), "2 tasks are open") {
			t.Fatalf("no mail service task:\n%s", del.text("#tasks"))
		}
		officer.get(mailTask)
		noReason := officer.post(mailTask, url.Values{"task_status": {"impossible"}})
		failedForm(t, "impossible without a reason", noReason, http.StatusUnprocessableEntity)
		if got := noReason.text("#f-task_note-error"); !strings.Contains(got, "Add a note saying why") {
			t.Fatalf("impossible without a reason: the note's error is %q", got)
		}
		if got := noReason.doc.Find(`input[name="task_status"][value="impossible"]`).AttrOr("checked", "none"); got == "none" {
			t.Fatal("the refused form lost the chosen outcome")
		}
		reason := "The mail service keeps no deletion interface; its contract ended in 2024."
		if res := officer.post(mailTask, url.Values{"task_status": {"impossible"}, "task_note": {reason}}); res.status != http.StatusSeeOther {
			t.Fatalf("impossible with a reason: %d %s", res.status, res.text(".error-summary"))
		}
		mailRow := func(pg page) string {
			var got string
			pg.doc.Find("#tasks tbody tr").Each(func(_ int, row *goquery.Selection) {
				if strings.Contains(row.Text(), "Mail service") {
					got = row.Text()
				}
			})
			return got
		}
		del = officer.get(delHref)
		if got := mailRow(del); !strings.Contains(got, "Impossible") || !strings.Contains(got, reason) || !strings.Contains(del.text("#tasks"), "1 task is open") {
			t.Fatalf("the mail service's task after impossible:\n%s", del.text("#tasks"))
		}
		if got := officer.get(mailTask).text("table.summary"); !strings.Contains(got, reason) {
			t.Fatalf("the task page does not show the reason:\n%s", got)
		}
		if res := officer.post(delHref+"/status", url.Values{"status": {"completed"}, "detail": {"Deleted."}}); res.status != http.StatusConflict ||
			!strings.Contains(res.text(".error-summary"), "1 task is still open") {
			t.Fatalf("completion with the CRM's task open: %d %s", res.status, res.text(".error-summary"))
		}
		admin := h.staffAs(models.RoleAdmin)
		page := admin.get(delHref)
		if page.doc.Find("#f-override").Length() != 1 {
			t.Fatal("an administrator is not offered the override")
		}
		if res := admin.post(delHref+"/status", url.Values{"status": {"completed"}, "detail": {"Deleted."},
			"override": {"The CRM record was deleted by hand and confirmed by phone; its portal is down."}}); res.status != http.StatusSeeOther {
			t.Fatalf("override: %d %s", res.status, res.text(".error-summary"))
		}
		closed := admin.get(delHref)
		if got := closed.text("main"); !strings.Contains(got, "Closed by override") || !strings.Contains(got, "confirmed by phone") {
			t.Fatalf("after the override:\n%s", got)
		}
		if got := mailRow(closed); !strings.Contains(got, "Impossible") || !strings.Contains(got, reason) {
			t.Fatalf("the override changed the mail service's task:\n%s", got)
		}
		var overrides int64
		h.app.Core.DB().Model(&models.AuditEntry{}).Where("action = ?", "request.override").Count(&overrides)
		if overrides != 1 {
			t.Fatalf("%d overrides audited", overrides)
		}
	})
}

// receiver is a data system's webhook run inside the test: it checks each
// call's signature with the system's key and records it; its mode says
// how it answers.
type receiver struct {
	mu     sync.Mutex
	key    string
	mode   atomic.Value // "ok", "slow", "error"
	jobs   []models.TaskJob
	badSig int
	idem   map[string]int
	srv    *http.Server
	addr   string
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	switch r.mode.Load() {
	case "slow":
		time.Sleep(1500 * time.Millisecond)
	case "error":
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := checkSignature(req.Header, body, r.key); err != nil {
		r.badSig++
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	r.idem[req.Header.Get("Idempotency-Key")]++
	var job models.TaskJob
	json.Unmarshal(body, &job)
	r.jobs = append(r.jobs, job)
	w.WriteHeader(http.StatusAccepted)
}

func (r *receiver) start(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", r.addr)
	if err != nil {
		t.Fatal(err)
	}
	r.srv = &http.Server{Handler: r}
	go r.srv.Serve(ln)
	t.Cleanup(func() { r.srv.Close() })
}

func (r *receiver) received() []models.TaskJob {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]models.TaskJob(nil), r.jobs...)
}

// answer calls back as the system: signed with key, body as given.
func answer(t *testing.T, callback, key, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, callback, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	webhook.Sign(req.Header, "k1", []byte(key), time.Now(), []byte(body))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// retryNow makes every pending call due and wakes the worker.
func (h *harness) retryNow() {
	h.app.Core.DB().Model(&models.HTTPJob{}).Where("status = ?", "pending").Update("next_attempt_at", time.Now().Add(-time.Second))
	h.app.Hooks.Notify()
}

// waitFor polls cond until it holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Signed webhooks with a receiver inside the test: it is down, then slow,
// then refusing, then up; each attempt is recorded and shown on the
// system's page; the job is signed with the system's key; answers with a
// bad signature are refused, a second answer too; the records of a good
// answer go into the person's package.
func TestTaskWebhooks(t *testing.T) {
	hookDialects(t, func(t *testing.T, h *harness) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		rcv := &receiver{addr: ln.Addr().String(), idem: map[string]int{}}
		ln.Close() // down: nothing listens there yet
		rcv.mode.Store("ok")

		officer := h.staff()
		sys := officer.addSystem("Helpdesk", "service_provider", "http://"+rcv.addr+"/rightsdesk", "access")
		rcv.key = sys.text("#webhook-secret")
		if !strings.HasPrefix(rcv.key, "whsec_") {
			t.Fatalf("no key shown once:\n%s", sys.text("main"))
		}
		sysURL := "/admin/systems/" + regexp.MustCompile(`/admin/systems/(\d+)/rotate`).FindStringSubmatch(sys.body)[1]
		if again := officer.get(sysURL); strings.Contains(again.body, rcv.key) {
			t.Fatal("the key is shown again")
		}

		person, link := h.verifiedPerson("hooks@example.org")
		ref := person.get(link).text("main strong")
		href, _ := h.staffOpen(officer, ref, "See your information", "request")
		db := h.app.Core.DB()
		attempts := func() []models.HTTPJobAttempt {
			var out []models.HTTPJobAttempt
			db.Order("id").Find(&out)
			return out
		}
		// Down: the attempt fails and is recorded; the call waits to be retried.
		waitFor(t, "a failed attempt", func() bool { return len(attempts()) >= 1 })
		if a := attempts()[0]; a.OK || a.Error == "" {
			t.Fatalf("first attempt: %+v", a)
		}
		if got := officer.get(sysURL).text("main"); !strings.Contains(got, "Waiting to be sent") || !strings.Contains(got, "no answer") {
			t.Fatalf("system page while down:\n%s", got)
		}
		// Slow: past the timeout, the attempt fails.
		rcv.mode.Store("slow")
		rcv.start(t)
		h.retryNow()
		waitFor(t, "a timed-out attempt", func() bool { return len(attempts()) >= 2 })
		if a := attempts()[1]; a.OK || !strings.Contains(strings.ToLower(a.Error), "timeout") && !strings.Contains(a.Error, "deadline") {
			t.Fatalf("slow attempt: %+v", a)
		}
		// Refusing: the status is recorded.
		rcv.mode.Store("error")
		h.retryNow()
		waitFor(t, "a refused attempt", func() bool { return len(attempts()) >= 3 })
		if a := attempts()[2]; a.OK || a.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("refused attempt: %+v", a)
		}
		// Up: delivered, signed with the system's key.
		rcv.mode.Store("ok")
		h.retryNow()
		waitFor(t, "a delivery", func() bool { return len(rcv.received()) >= 1 })
		waitFor(t, "the delivery recorded", func() bool { a := attempts(); return len(a) >= 4 && a[3].OK })
		job := rcv.received()[0]
		if rcv.badSig != 0 || job.Person.Email != "hooks@example.org" || job.Request.Reference != ref || job.Request.Right != "access" ||
			!job.Callback.Records || !strings.HasPrefix(job.Callback.URL, h.srv.URL+"/hooks/tasks/") {
			t.Fatalf("job: %+v (bad signatures %d)", job, rcv.badSig)
		}
		if got := officer.get(sysURL).text("main"); !strings.Contains(got, "Delivered") || !strings.Contains(got, "delivered (status 202)") ||
			!strings.Contains(got, "refused with status 503") {
			t.Fatalf("system page after delivery:\n%s", got)
		}

		// The system answers: a bad signature is refused; the task stays open.
		body := `{"outcome": "done", "note": "Two tickets found.", "records": [{"ticket": 101, "subject": "Refund"}, {"ticket": 102, "subject": "Address change"}]}`
		if st, msg := answer(t, job.Callback.URL, "whsec_not-the-key", body); st != http.StatusUnauthorized || !strings.Contains(msg, "signed") {
			t.Fatalf("bad signature: %d %s", st, msg)
		}
		if got := officer.get(href).text("#tasks"); !strings.Contains(got, "To do") {
			t.Fatalf("task after a forged answer:\n%s", got)
		}
		if st, msg := answer(t, job.Callback.URL, rcv.key, body); st != http.StatusOK || !strings.Contains(msg, `"records":2`) {
			t.Fatalf("answer: %d %s", st, msg)
		}
		if st, msg := answer(t, job.Callback.URL, rcv.key, `{"outcome": "failed"}`); st != http.StatusConflict || !strings.Contains(msg, "already") {
			t.Fatalf("answering twice: %d %s", st, msg)
		}
		if got := officer.get(href).text("#tasks"); !strings.Contains(got, "Done") || !strings.Contains(got, "2 records returned") ||
			!strings.Contains(got, "Two tickets found.") {
			t.Fatalf("task after the answer:\n%s", got)
		}

		// The records go into the person's package.
		officer.get(href)
		if res := officer.post(href+"/package", url.Values{}); res.status != http.StatusSeeOther {
			t.Fatalf("package: %d %s", res.status, res.text(".error-summary"))
		}
		files := downloadPackage(t, h, person, link, "hooks@example.org")
		if !strings.Contains(files["systems/helpdesk.json"], `"subject": "Address change"`) ||
			!strings.Contains(files["systems/helpdesk.csv"], "subject,ticket\nRefund,101\n") {
			t.Fatalf("package: %v", files)
		}
		var decoded map[string]any
		if err := json.Unmarshal([]byte(files["systems/helpdesk.json"]), &decoded); err != nil {
			t.Fatalf("the JSON file is not JSON: %v", err)
		}
	})
}

// hookDialects runs fn on both databases with an application whose
// outgoing calls may reach the test's loopback receiver, and time out
// after a second.
func hookDialects(t *testing.T, fn func(t *testing.T, h *harness)) {
	for _, d := range []string{"sqlite", "postgres"} {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			fn(t, newHarnessWith(t, harnessOptions{dialect: d, env: map[string]string{
				"RIGHTSDESK_WEBHOOK_ALLOW_PRIVATE": "true", "RIGHTSDESK_WEBHOOK_TIMEOUT": "1s"}}))
		})
	}
}

// downloadPackage asks for a code on the tracking page, reads it from the
// mail, downloads the package and returns its files.
func downloadPackage(t *testing.T, h *harness, person *browser, link, email string) map[string]string {
	t.Helper()
	tr := person.get(link)
	action := tr.doc.Find(`form[action$="/code"]`).AttrOr("action", "")
	if action == "" {
		t.Fatalf("no download section:\n%s", tr.text("main"))
	}
	if res := person.post(action, url.Values{}); res.status != http.StatusSeeOther {
		t.Fatalf("ask for a code: %d %s", res.status, res.text(".error-summary"))
	}
	m := h.mailTo(email, "Your download code")
	code := regexp.MustCompile(`Your download code: (\d{6})`).FindStringSubmatch(m.Text())
	if code == nil {
		t.Fatalf("code mail:\n%s", m.Text())
	}
	tr = person.get(link)
	pkg := tr.doc.Find(`input[name="package"]`).AttrOr("value", "")
	res := person.post(link+"/download", url.Values{"package": {pkg}, "download_code": {code[1]}})
	if res.status != http.StatusOK || res.header.Get("Content-Type") != "application/zip" {
		t.Fatalf("download: %d %s %s", res.status, res.header.Get("Content-Type"), res.text(".error-summary"))
	}
	zr, err := zip.NewReader(strings.NewReader(res.body), int64(len(res.body)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range zr.File {
		r, _ := f.Open()
		b, _ := io.ReadAll(r)
		r.Close()
		out[f.Name] = string(b)
	}
	return out
}

// Messages both ways, with attachments under the upload rules; mail that
// says only that a message is waiting, with an HTML part, the
// organization's name, a Reply-To and whether replies are read; the
// queue marks unread replies; the package with an e-mailed code, a wrong
// code, a code used twice and an expired link.
func TestMessagesAndPackage(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		officer := h.staff()
		person, link := h.verifiedPerson("thread@example.org")
		ref := person.get(link).text("main strong")
		href, pg := h.staffOpen(officer, ref, "See your information", "request")
		if pg.doc.Find(`form[action$="/thread"][enctype="multipart/form-data"]`).Length() != 1 {
			t.Fatal("no message form with a file field")
		}
		res := officer.uploadAs(href+"/thread", url.Values{"message": {"We found two accounts. Which e-mail did you use in 2019?"}},
			"attachment", "accounts.txt", []byte("Account A: opened 2019\nAccount B: opened 2023\n"))
		if res.status != http.StatusSeeOther {
			t.Fatalf("staff message: %d %s", res.status, res.text(".error-summary"))
		}
		notice := h.mailTo("thread@example.org", "new message")
		if strings.Contains(notice.Text(), "two accounts") || trackLink(t, notice.Text(), h.srv.URL) != link {
			t.Fatalf("message mail:\n%s", notice.Text())
		}
		if html := notice.HTML(); !strings.Contains(html, `<a href="`+h.srv.URL+link) || !strings.Contains(html, "Acme Test Co") {
			t.Fatalf("HTML part:\n%s", html)
		}
		if from := notice.Header.Get("From"); !strings.Contains(from, "Acme Test Co") {
			t.Fatalf("From: %q", from)
		}
		if rt := notice.Header.Get("Reply-To"); !strings.Contains(rt, h.app.Config.Contact.Email) {
			t.Fatalf("Reply-To: %q", rt)
		}
		if !strings.Contains(notice.Text(), "Replies to this e-mail are not read") {
			t.Fatalf("the mail does not say whether replies are read:\n%s", notice.Text())
		}
		tr := person.get(link)
		if got := tr.text("#messages"); !strings.Contains(got, "Which e-mail did you use in 2019?") || !strings.Contains(got, "accounts.txt") {
			t.Fatalf("thread on the tracking page:\n%s", got)
		}
		file := person.get(tr.doc.Find(`#messages a[download]`).AttrOr("href", ""))
		if file.status != http.StatusOK || !strings.Contains(file.body, "Account B") || !strings.Contains(file.header.Get("Content-Disposition"), "accounts.txt") {
			t.Fatalf("attachment: %d %q %s", file.status, file.header.Get("Content-Disposition"), file.body)
		}
		// The person answers with a file; a file the upload rules refuse is refused.
		elf := append([]byte("\x7fELF\x02\x01\x01\x00"), bytes.Repeat([]byte{0}, 300)...)
		bad := person.uploadAs(link+"/messages", url.Values{"reply": {"See attached."}}, "attachment", "proof.pdf", elf)
		failedForm(t, "a renamed executable", bad, http.StatusUnprocessableEntity)
		if !strings.Contains(bad.text("#f-attachment-error"), "must be a PDF, PNG or JPEG") || !strings.Contains(bad.body, "See attached.") {
			t.Fatalf("refused attachment: %s", bad.text(".error-summary"))
		}
		person.get(link)
		if res := person.uploadAs(link+"/messages", url.Values{"reply": {"The 2019 one. My utility bill is attached."}}, "attachment",
			"bill.pdf", signedPDF("")); res.status != http.StatusSeeOther {
			t.Fatalf("reply: %d %s", res.status, res.text(".error-summary"))
		}
		queue := officer.get("/admin?status=all")
		row := queue.doc.Find("table.queue tbody tr").FilterFunction(func(_ int, s *goquery.Selection) bool {
			return strings.Contains(s.Text(), ref) && strings.Contains(s.Text(), "See your information")
		})
		if !strings.Contains(row.Text(), "New message") {
			t.Fatalf("queue does not mark the reply:\n%s", queue.text("table"))
		}
		pg = officer.get(href)
		if got := pg.text("#msg-h + ol"); !strings.Contains(got, "The 2019 one.") || !strings.Contains(got, "bill.pdf") {
			t.Fatalf("staff thread:\n%s", pg.text("main"))
		}
		if strings.Contains(officer.get("/admin?status=all").text("table"), "New message") {
			t.Fatal("the reply is still unread after staff opened the request")
		}

		// The package: staff attach a file and make it; the person gets a code.
		officer.get(href)
		if res := officer.uploadAs(href+"/files", nil, "file", "orders.csv", []byte("order,total\n1001,25.00\n")); res.status != http.StatusSeeOther {
			t.Fatalf("attach: %d %s", res.status, res.text(".error-summary"))
		}
		officer.get(href)
		if res := officer.post(href+"/package", url.Values{}); res.status != http.StatusSeeOther {
			t.Fatalf("package: %d %s", res.status, res.text(".error-summary"))
		}
		ready := h.mailTo("thread@example.org", "A copy of your information is ready")
		if !strings.Contains(ready.Text(), "ask for a download code") {
			t.Fatalf("package mail:\n%s", ready.Text())
		}
		tr = person.get(link)
		codeForm := tr.doc.Find(`form[action$="/code"]`).AttrOr("action", "")
		pkgID := tr.doc.Find(`input[name="package"]`).AttrOr("value", "")
		person.post(codeForm, url.Values{})
		code := regexp.MustCompile(`Your download code: (\d{6})`).FindStringSubmatch(h.mailTo("thread@example.org", "Your download code").Text())[1]
		wrong := fmt.Sprintf("%06d", (atoiOr(code)+1)%1000000)
		person.get(link)
		res = person.post(link+"/download", url.Values{"package": {pkgID}, "download_code": {wrong}})
		failedForm(t, "a wrong download code", res, http.StatusUnprocessableEntity)
		if !strings.Contains(res.text("#f-download_code-error"), "not right") {
			t.Fatalf("wrong code: %s", res.text(".error-summary"))
		}
		res = person.post(link+"/download", url.Values{"package": {pkgID}, "download_code": {code}})
		if res.status != http.StatusOK || !strings.HasPrefix(res.body, "PK") {
			t.Fatalf("download: %d %s", res.status, res.text(".error-summary"))
		}
		zr, err := zip.NewReader(strings.NewReader(res.body), int64(len(res.body)))
		if err != nil || len(zr.File) != 2 || zr.File[0].Name != "README.txt" || zr.File[1].Name != "files/orders.csv" {
			t.Fatalf("package files: %v", err)
		}
		person.get(link)
		if res := person.post(link+"/download", url.Values{"package": {pkgID}, "download_code": {code}}); res.status == http.StatusOK {
			t.Fatal("a download code worked twice")
		}
		if got := officer.get(href).text("#pkg-h + p + table"); !strings.Contains(got, "Downloads") || strings.Contains(got, "Not downloaded yet") {
			t.Fatalf("staff page does not show the download:\n%s", got)
		}
		// Past its expiry the link is gone.
		h.freeze(time.Now().Add(15 * 24 * time.Hour))
		tr = person.get(link)
		if got := tr.text("#your-data"); !strings.Contains(got, "expired") {
			t.Fatalf("expired package on the page:\n%s", got)
		}
		person.get(link)
		if res := person.post(codeForm, url.Values{}); res.status != http.StatusGone {
			t.Fatalf("a code for an expired package: %d", res.status)
		}
		if res := person.post(link+"/download", url.Values{"package": {pkgID}, "download_code": {code}}); res.status != http.StatusGone {
			t.Fatalf("an expired package link: %d", res.status)
		}
		if n, err := h.app.Packages.Expire(context.Background()); err != nil || n != 1 {
			t.Fatalf("expire: %d %v", n, err)
		}
	})
}

func atoiOr(s string) int {
	n := 0
	fmt.Sscanf(s, "%d", &n)
	return n
}

// The organization's own wording: edited per stage, right and language,
// previewed before it is saved, refused with a placeholder it does not
// know or with personal details in the subject; the mail uses it, with
// what the law requires still added; going back restores the default.
func TestMailWording(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		officer := h.staff()
		list := officer.get("/admin/templates")
		if got := list.text("table"); !strings.Contains(got, "Completed") || !strings.Contains(got, "Default wording") {
			t.Fatalf("templates page:\n%s", got)
		}
		edit := officer.get("/admin/templates/edit?stage=completion&right=access&lang=en")
		if got := edit.doc.Find("#f-body").Text(); !strings.Contains(got, "{right}") || !strings.Contains(got, "{status}") {
			t.Fatalf("the editor does not start from the default with placeholders: %q", got)
		}
		if edit.doc.Find(`form[action="/admin/templates/save"]`).Length() != 0 {
			t.Fatal("saving is offered before a preview")
		}
		form := url.Values{"stage": {"completion"}, "right": {"access"}, "lang": {"en"}, "subject": {"{org}: your request {reference}"},
			"body": {"Good news, {name}: we have finished your request to {right}."}}
		res := officer.post("/admin/templates/preview", form)
		failedForm(t, "a subject with the reference", res, http.StatusUnprocessableEntity)
		if !strings.Contains(res.text("#f-subject-error"), "{reference}") {
			t.Fatalf("subject error: %s", res.text(".error-summary"))
		}
		form.Set("subject", "{org}: your request is done")
		form.Set("body", "Good news, {nmae}.")
		failedForm(t, "an unknown placeholder", officer.post("/admin/templates/preview", form), http.StatusUnprocessableEntity)
		form.Set("body", "Good news, {name}: we have finished your request to {right}.")
		res = officer.post("/admin/templates/preview", form)
		if res.status != http.StatusOK || !strings.Contains(res.text("#preview-subject"), "Acme Test Co: your request is done") ||
			!strings.Contains(res.text("#preview-text"), "Good news, Alex Sample: we have finished your request to See your information.") {
			t.Fatalf("preview: %d\n%s", res.status, res.text("main"))
		}
		if res := officer.post("/admin/templates/save", form); res.status != http.StatusSeeOther {
			t.Fatalf("save: %d %s", res.status, res.text(".error-summary"))
		}
		if got := officer.get("/admin/templates").text("table"); !strings.Contains(got, "See your information · English") {
			t.Fatalf("the edit is not listed:\n%s", got)
		}
		// A request to see one's information completed: the mail uses it.
		person, link := h.verifiedPerson("wording@example.org")
		ref := person.get(link).text("main strong")
		href, _ := h.staffOpen(officer, ref, "See your information", "request")
		if res := officer.post(href+"/status", url.Values{"status": {"completed"}, "detail": {"Sent."}}); res.status != http.StatusSeeOther {
			t.Fatalf("complete: %d %s", res.status, res.text(".error-summary"))
		}
		m := h.mailTo("wording@example.org", "Acme Test Co: your request is done")
		if !strings.Contains(m.Text(), "Good news, Jordan Example: we have finished your request to See your information.") ||
			!strings.Contains(m.Text(), ref) || trackLink(t, m.Text(), h.srv.URL) != link || !strings.Contains(m.HTML(), "Good news, Jordan Example") {
			t.Fatalf("edited mail:\n%s", m.Text())
		}
		// The deletion's completion keeps the default wording.
		delHref, _ := h.staffOpen(officer, ref, "Delete your information", "request")
		officer.post(delHref+"/status", url.Values{"status": {"completed"}, "detail": {"Deleted."}})
		if m := h.mailTo("wording@example.org", "Update on your privacy request"); !strings.Contains(m.Text(), "has a new status") {
			t.Fatalf("default mail:\n%s", m.Text())
		}
		officer.get("/admin/templates/edit?stage=completion&right=access&lang=en")
		if res := officer.post("/admin/templates/reset", url.Values{"stage": {"completion"}, "right": {"access"}, "lang": {"en"}}); res.status != http.StatusSeeOther {
			t.Fatalf("reset: %d", res.status)
		}
		if got := officer.get("/admin/templates").text("table"); strings.Contains(got, "See your information · English") {
			t.Fatalf("the edit is still listed after a reset:\n%s", got)
		}
	})
}

// Correction item by item through the router: the person lists what is
// wrong and what is right; staff decide each; the request is completed
// once every item has a decision, and the person sees each decision.
func TestCorrections(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		officer := h.staff()
		person := h.browser()
		form := submission()
		form["rights"] = []string{"correct"}
		form.Set("email", "fix@example.org")
		person.submit(form)
		m := h.mailTo("fix@example.org", "Confirm").Text()
		link, code := trackLink(t, m, h.srv.URL), codeRe.FindStringSubmatch(m)[1]
		person.get(link)
		person.post(link+"/verify", url.Values{"code": {code}})
		h.verifiedByPhone("fix@example.org")
		tr := person.get(link)
		action := tr.doc.Find(`form[action$="/corrections"]`).AttrOr("action", "")
		if action == "" {
			t.Fatalf("no correction form:\n%s", tr.text("main"))
		}
		failedForm(t, "an item without what is right", person.post(action, url.Values{"item": {"Postal address"}, "wrong": {"1 Old Road"}}),
			http.StatusUnprocessableEntity)
		for _, it := range [][3]string{{"Postal address", "1 Old Road", "2 New Street"}, {"Name", "Jordan Exampel", "Jordan Example"}} {
			person.get(link)
			if res := person.post(action, url.Values{"item": {it[0]}, "wrong": {it[1]}, "correct": {it[2]}}); res.status != http.StatusSeeOther {
				t.Fatalf("add %s: %d %s", it[0], res.status, res.text(".error-summary"))
			}
		}
		ref := person.get(link).text("main strong")
		href, pg := h.staffOpen(officer, ref, "Correct your information", "request")
		if got := pg.text("#corrections"); !strings.Contains(got, "2 New Street") || !strings.Contains(got, "Not decided yet") {
			t.Fatalf("staff corrections:\n%s", got)
		}
		failedForm(t, "completion with items undecided", officer.post(href+"/status", url.Values{"status": {"completed"}, "detail": {"Done."}}),
			http.StatusConflict)
		links := regexp.MustCompile(`/admin/corrections/\d+`).FindAllString(pg.body, -1)
		if len(links) != 2 {
			t.Fatalf("decision links: %v", links)
		}
		officer.get(links[0])
		officer.post(links[0], url.Values{"decision": {"corrected"}})
		officer.get(links[1])
		failedForm(t, "not corrected without a reason", officer.post(links[1], url.Values{"decision": {"not_corrected"}}), http.StatusUnprocessableEntity)
		officer.post(links[1], url.Values{"decision": {"not_corrected"}, "decision_reason": {"Your passport says Exampel."}})
		officer.get(href)
		if res := officer.post(href+"/status", url.Values{"status": {"completed"}, "detail": {"We corrected your address."},
			"outcome": {"partial"}, "not_done": {"Your name: see the reason."}}); res.status != http.StatusSeeOther {
			t.Fatalf("complete: %d %s", res.status, res.text(".error-summary"))
		}
		got := person.get(link).text("main")
		for _, want := range []string{"Corrected", "Not corrected", "Your passport says Exampel.", "Done in part"} {
			if !strings.Contains(got, want) {
				t.Fatalf("tracking page lacks %q:\n%s", want, got)
			}
		}
	})
}

// An agent's filing has its thread: staff write, the agent is mailed a
// link to their own page, and answers from it with a file.
func TestAgentThread(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		ag := h.agent("thread-agent@example.org")
		filed := ag.file(filing("thread-represented@example.org"), "designation.pdf", signedPDF(""))
		officer := h.staff()
		ref := refRe.FindString(filed.body)
		href, _ := h.staffOpen(officer, ref, "See your information", "request")
		officer.uploadAs(href+"/thread", url.Values{"message": {"Please send the signed form again, page 2 is missing."}}, "attachment", "", nil)
		m := h.mailTo("thread-agent@example.org", "new message")
		if strings.Contains(m.Text(), "page 2") {
			t.Fatalf("the mail carries the message:\n%s", m.Text())
		}
		filingURL := strings.TrimSuffix(filed.doc.Find(`#messages form`).AttrOr("action", ""), "/messages")
		page := ag.get(filingURL)
		if got := page.text("#messages"); !strings.Contains(got, "page 2 is missing") {
			t.Fatalf("agent thread:\n%s", page.text("main"))
		}
		action := page.doc.Find(`#messages form`).AttrOr("action", "")
		rid := page.doc.Find(`#messages select[name="request"] option`).First().AttrOr("value", "")
		if res := ag.uploadAs(action, url.Values{"request": {rid}, "reply": {"Here it is."}}, "attachment", "form.pdf", signedPDF("")); res.status != http.StatusSeeOther {
			t.Fatalf("agent reply: %d %s", res.status, res.text(".error-summary"))
		}
		if got := officer.get(href).text("#msg-h + ol"); !strings.Contains(got, "Here it is.") || !strings.Contains(got, "The agent") {
			t.Fatalf("staff thread:\n%s", got)
		}
	})
}

// A staff message that asks something stops the clock where the law
// allows (Requests.AskForInformation): the person's page says Waiting for
// you, and their reply in the thread restarts it. Where no clock may stop,
// the form says so.
func TestQuestionInThread(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		officer := h.staff()
		person := h.browser()
		form := submission()
		form.Set("country", "GB")
		form.Del("state")
		form["rights"] = []string{"access"}
		form.Set("email", "ask@example.org")
		person.submit(form)
		m := h.mailTo("ask@example.org", "Confirm").Text()
		link, code := trackLink(t, m, h.srv.URL), codeRe.FindStringSubmatch(m)[1]
		person.get(link)
		person.post(link+"/verify", url.Values{"code": {code}})
		ref := person.get(link).text("main strong")
		href, pg := h.staffOpen(officer, ref, "See your information", "request")
		if pg.doc.Find(`select[name="ask"]`).Length() != 1 {
			t.Fatal("the message form does not offer to ask")
		}
		res := officer.uploadAs(href+"/thread", url.Values{"message": {"Which account: 2019 or 2023?"}, "ask": {"clarify"}}, "attachment", "", nil)
		if res.status != http.StatusSeeOther {
			t.Fatalf("question: %d %s", res.status, res.text(".error-summary"))
		}
		tr := person.get(link)
		if got := tr.text("#messages"); !strings.Contains(got, "Waiting for you") || !strings.Contains(got, "2019 or 2023") {
			t.Fatalf("thread:\n%s", got)
		}
		if res := person.uploadAs(link+"/messages", url.Values{"reply": {"The 2019 one."}}, "attachment", "", nil); res.status != http.StatusSeeOther {
			t.Fatalf("reply: %d %s", res.status, res.text(".error-summary"))
		}
		var r models.Request
		h.app.Core.DB().Where("id = ?", strings.TrimPrefix(href, "/admin/requests/")).Take(&r)
		if r.Status != models.StatusVerified {
			t.Fatalf("after the answer the request is %s", r.Status)
		}
		// California: staff may ask too, but the clock runs on.
		ca, caLink := h.verifiedPerson("ask-ca@example.org")
		caHref, caPage := h.staffOpen(officer, ca.get(caLink).text("main strong"), "See your information", "request")
		if caPage.doc.Find(`select[name="ask"]`).Length() != 1 {
			t.Fatal("a Californian request's thread cannot ask")
		}
		var before models.Request
		h.app.Core.DB().Where("id = ?", strings.TrimPrefix(caHref, "/admin/requests/")).Take(&before)
		if res := officer.uploadAs(caHref+"/thread", url.Values{"message": {"Which store?"}, "ask": {"clarify"}}, "attachment", "", nil); res.status != http.StatusSeeOther {
			t.Fatalf("ask in California: %d %s", res.status, res.text(".error-summary"))
		}
		var after models.Request
		h.app.Core.DB().Where("id = ?", before.ID).Take(&after)
		if after.Status != models.StatusAwaitingInformation || !after.DueAt.Equal(before.DueAt) {
			t.Fatalf("after asking in California: %s, due %s (was %s)", after.Status, after.DueAt, before.DueAt)
		}
	})
}

// The staff API lists a request's tasks and records work on one, through
// the same rules as the pages.
func TestTaskAPI(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		officer := h.staff()
		officer.addSystem("CRM", "internal", "", "access")
		token := officer.makeToken(models.ScopeWrite)
		person, link := h.verifiedPerson("api-tasks@example.org")
		href, _ := h.staffOpen(officer, person.get(link).text("main strong"), "See your information", "request")
		id := strings.TrimPrefix(href, "/admin/requests/")
		var list struct {
			Tasks []struct {
				ID     int64  `json:"id"`
				System string `json:"system"`
				Status string `json:"status"`
			} `json:"tasks"`
		}
		if st := h.apiCall(token, http.MethodGet, "/api/v1/requests/"+id+"/tasks", "", &list); st != http.StatusOK || len(list.Tasks) != 1 ||
			list.Tasks[0].System != "CRM" || list.Tasks[0].Status != "open" {
			t.Fatalf("tasks: %d %+v", st, list)
		}
		task := fmt.Sprintf("/api/v1/tasks/%d", list.Tasks[0].ID)
		var apiErr struct {
			Error struct{ Fields map[string]string }
		}
		if st := h.apiCall(token, http.MethodPost, task, `{"status": "not_applicable"}`, &apiErr); st != http.StatusUnprocessableEntity {
			t.Fatalf("not applicable without a note: %d", st)
		}
		type taskState struct {
			Status     string `json:"status"`
			Note       string `json:"note"`
			AssigneeID *int64 `json:"assignee_id"`
		}
		me := h.staffID(officer)
		other := h.staffAs(models.RoleReviewer)
		otherID := h.staffID(other)
		// update sends body and checks the task as the API and the
		// database then have it.
		update := func(what, body string, want taskState) {
			t.Helper()
			var got taskState
			if st := h.apiCall(token, http.MethodPost, task, body, &got); st != http.StatusOK {
				t.Fatalf("%s: %d", what, st)
			}
			var row models.Task
			h.app.Core.DB().Where("id = ?", list.Tasks[0].ID).Take(&row)
			for _, have := range []taskState{got, {Status: row.Status, Note: row.Note, AssigneeID: row.AssigneeID}} {
				if have.Status != want.Status || have.Note != want.Note || (have.AssigneeID == nil) != (want.AssigneeID == nil) ||
					have.AssigneeID != nil && *have.AssigneeID != *want.AssigneeID {
					t.Fatalf("%s: got %+v (assignee %v), want %+v (assignee %v)", what, have, deref(have.AssigneeID), want, deref(want.AssigneeID))
				}
			}
		}
		update("assigned by a numeric id, with a note", fmt.Sprintf(`{"assignee_id": %d, "note": "Searching the CRM."}`, otherID),
			taskState{Status: "open", Note: "Searching the CRM.", AssigneeID: &otherID})
		update("assigned by an id as a string", fmt.Sprintf(`{"assignee_id": "%d"}`, me),
			taskState{Status: "open", Note: "Searching the CRM.", AssigneeID: &me})
		update("a status alone keeps the note and the assignee", `{"status": "no_data"}`,
			taskState{Status: "no_data", Note: "Searching the CRM.", AssigneeID: &me})
		update("a note alone keeps the status and the assignee", `{"note": "Nothing under that address."}`,
			taskState{Status: "no_data", Note: "Nothing under that address.", AssigneeID: &me})
		update("null unassigns and keeps the rest", `{"assignee_id": null}`,
			taskState{Status: "no_data", Note: "Nothing under that address."})
		update("me", `{"assignee_id": "me"}`, taskState{Status: "no_data", Note: "Nothing under that address.", AssigneeID: &me})
		for _, bad := range []string{`"someone"`, `1.5`, `-3`, `true`, `{}`} {
			apiErr.Error.Fields = nil
			if st := h.apiCall(token, http.MethodPost, task, `{"status": "open", "assignee_id": `+bad+`}`, &apiErr); st != http.StatusUnprocessableEntity ||
				apiErr.Error.Fields["assignee"] == "" {
				t.Fatalf("assignee_id %s: %d %+v", bad, st, apiErr)
			}
		}
		auditor := h.staffAs(models.RoleAuditor)
		if st := h.apiCall(token, http.MethodPost, task, fmt.Sprintf(`{"assignee_id": %d}`, h.staffID(auditor)), &apiErr); st != http.StatusUnprocessableEntity ||
			apiErr.Error.Fields["assignee"] == "" {
			t.Fatalf("an auditor as assignee: %d %+v", st, apiErr)
		}
		update("refusals changed nothing", `{}`, taskState{Status: "no_data", Note: "Nothing under that address.", AssigneeID: &me})
		if st := h.apiCall(token, http.MethodPost, "/api/v1/requests/"+id+"/status", `{"status": "completed", "detail": "Nothing found."}`, nil); st != http.StatusOK {
			t.Fatalf("complete: %d", st)
		}
	})
}

// deref shows what an id pointer holds, in a failure message.
func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

// checkSignature checks a webhook call's signature (key id k1) as a
// receiving system does, with internal/webhook.
func checkSignature(h http.Header, body []byte, key string) error {
	ts, err := webhook.Timestamp(h, time.Now())
	if err != nil {
		return err
	}
	v, err := webhook.NewVerifier(h, "k1", []byte(key), ts)
	if err != nil {
		return err
	}
	v.Write(body)
	return v.Check()
}
