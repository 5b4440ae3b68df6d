package models_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/blob"
	"github.com/rightsdesk/rightsdesk/internal/webhook"
	"github.com/rightsdesk/rightsdesk/models"
)

// fulfil is the fulfilment aggregates over one domain, with a real
// encrypted store in a temporary directory.
type fulfil struct {
	*domain
	systems  *models.Systems
	tasks    *models.Tasks
	messages *models.Messages
	packages *models.Packages
	corr     *models.Corrections
	docs     *models.Documents
	store    *blob.Store
}

func newFulfil(t testing.TB, d *domain) *fulfil {
	t.Helper()
	store, err := blob.Open(context.Background(), "file://"+filepath.ToSlash(t.TempDir()),
		blob.Keys{Current: "v1", ByID: map[string][]byte{"v1": bytes.Repeat([]byte{7}, 32)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	d.core.AllowPrivateWebhooks = true
	docs := models.NewDocuments(d.core, store)
	f := &fulfil{domain: d, systems: models.NewSystems(d.core), tasks: models.NewTasks(d.core, docs), messages: models.NewMessages(d.core, docs),
		packages: models.NewPackages(d.core, docs), corr: models.NewCorrections(d.core), docs: docs, store: store}
	f.packages.Readme = func(in models.ReadmeInput) string { return "README for " + in.Reference + "\n" }
	return f
}

// system adds a data system in scope for rights.
func (f *fulfil) system(t testing.TB, name, webhookURL string, rights ...string) (*models.DataSystem, string) {
	t.Helper()
	s, secret, err := f.systems.Save(context.Background(), 0, models.SystemInput{Name: name, Kind: "crm", Recipient: models.SystemInternal,
		Rights: rights, WebhookURL: webhookURL}, models.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	return s, secret
}

// verified submits a Californian's request for right and verifies it.
func (f *fulfil) verified(t testing.TB, email, right string) (*models.Submitted, int64) {
	t.Helper()
	in := input(email, right)
	in.Country, in.Region = "US", "CA"
	res, err := f.subs.Submit(context.Background(), in, models.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	id := res.Submission.Requests[0].ID
	if err := f.reqs.Move(context.Background(), id, models.Transition{To: models.StatusVerified, Detail: "Checked by phone"},
		models.SystemActor); err != nil {
		t.Fatal(err)
	}
	return res, id
}

func (f *fulfil) admin(t testing.TB) models.Actor {
	t.Helper()
	st, err := f.staff.Create(context.Background(), models.StaffInput{Email: "admin@example.org", Name: "Admin",
		Role: models.RoleAdmin, Password: "a long enough password"}, models.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	return models.StaffActor(st.ID, "test")
}

// callbackToken is the token of the latest job sent for task.
func (f *fulfil) callbackToken(t testing.TB, taskID int64) string {
	t.Helper()
	var job models.HTTPJob
	if err := f.db.Where("kind = ? AND dedupe_key = ?", models.JobTaskWebhook, fmt.Sprintf("task:%d", taskID)).Order("id DESC").
		Take(&job).Error; err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`/hooks/tasks/([A-Za-z0-9_-]{43})`).FindStringSubmatch(job.Body)
	if m == nil {
		t.Fatalf("no callback URL in %s", job.Body)
	}
	return m[1]
}

func signed(secret string, body string, at time.Time) http.Header {
	h := http.Header{}
	webhook.Sign(h, "k1", []byte(secret), at, []byte(body))
	return h
}

// A verified request gets a task per live system in scope for its right;
// it is not completed while one is open unless an administrator overrides
// with a reason, which closes the open tasks with that reason.
func TestTasksGateCompletion(t *testing.T) {
	eachDB(t, func(t *testing.T, d *domain) {
		f := newFulfil(t, d)
		ctx := context.Background()
		crm, _ := f.system(t, "CRM", "", "access", "delete")
		f.system(t, "Billing", "", "delete")
		old, _ := f.system(t, "Old system", "", "access")
		if err := f.systems.Archive(ctx, old.ID, models.SystemActor); err != nil {
			t.Fatal(err)
		}
		_, id := f.verified(t, "tasks@example.org", "access")
		list, err := f.tasks.ForRequest(ctx, id)
		if err != nil || len(list) != 1 || list[0].SystemID != crm.ID || list[0].Status != models.TaskOpen {
			t.Fatalf("tasks: %+v %v", list, err)
		}
		officer := d.officer(t)
		done := models.Transition{To: models.StatusCompleted, Detail: "Sent the copy."}
		if err := f.reqs.Move(ctx, id, done, officer); !errors.Is(err, models.ErrTasksOpen) {
			t.Fatalf("completed with a task open: %v", err)
		}
		withReason := done
		withReason.Override = "The CRM is being replaced; its export came by post."
		if err := f.reqs.Move(ctx, id, withReason, officer); !errors.Is(err, models.ErrOverrideForbidden) {
			t.Fatalf("a reviewer overrode: %v", err)
		}
		if err := f.reqs.Move(ctx, id, withReason, f.admin(t)); err != nil {
			t.Fatal(err)
		}
		list, _ = f.tasks.ForRequest(ctx, id)
		if list[0].Status != models.TaskOverridden || list[0].Note != withReason.Override {
			t.Fatalf("task after override: %+v", list[0].Task)
		}
		r := d.request(t, id)
		if r.Outcome != models.OutcomeFull || r.OutcomeNote != "Sent the copy." || r.OverrideReason != withReason.Override {
			t.Fatalf("outcome: %+v", r)
		}
		// A completion needs a note, and "in part" says what was not done.
		_, id2 := f.verified(t, "part@example.org", "delete")
		for _, tk := range mustTasks(t, f, id2) {
			if err := f.tasks.Update(ctx, tk.ID, models.TaskUpdate{Status: models.TaskDone}, officer); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.reqs.Move(ctx, id2, models.Transition{To: models.StatusCompleted}, officer); models.KindOf(err) != models.KindInvalid {
			t.Fatalf("completed without a note: %v", err)
		}
		if err := f.reqs.Move(ctx, id2, models.Transition{To: models.StatusCompleted, Detail: "Deleted.", Outcome: models.OutcomePartial},
			officer); models.KindOf(err) != models.KindInvalid {
			t.Fatalf("in part without what was not done: %v", err)
		}
		if err := f.reqs.Move(ctx, id2, models.Transition{To: models.StatusCompleted, Detail: "Deleted.", Outcome: models.OutcomePartial,
			NotDone: "Invoices are kept 7 years for tax law."}, officer); err != nil {
			t.Fatal(err)
		}
		// Not applicable needs a note; a closed request's tasks cannot change.
		_, id3 := f.verified(t, "na@example.org", "delete")
		tk := mustTasks(t, f, id3)[0]
		if err := f.tasks.Update(ctx, tk.ID, models.TaskUpdate{Status: models.TaskNotApplicable}, officer); !errors.Is(err, models.ErrTaskNote) {
			t.Fatalf("not applicable without a note: %v", err)
		}
		if err := f.tasks.Update(ctx, tk.ID, models.TaskUpdate{Status: models.TaskImpossible, Note: "x"}, officer); !errors.Is(err, models.ErrTaskImpossible) {
			t.Fatalf("impossible for our own system: %v", err)
		}
		if err := f.reqs.Move(ctx, id3, models.Transition{To: models.StatusDenied, DenialReason: "exemption"}, officer); err != nil {
			t.Fatal(err)
		}
		if got := mustTasks(t, f, id3); got[0].Open() {
			t.Fatalf("a denied request left its task open: %+v", got[0].Task)
		}
		if err := f.tasks.Update(ctx, tk.ID, models.TaskUpdate{Status: models.TaskOpen}, officer); !errors.Is(err, models.ErrTaskRequestClosed) {
			t.Fatalf("reopened a task of a closed request: %v", err)
		}
	})
}

func mustTasks(t *testing.T, f *fulfil, id int64) []models.TaskView {
	t.Helper()
	list, err := f.tasks.ForRequest(context.Background(), id)
	if err != nil || len(list) == 0 {
		t.Fatalf("tasks of %d: %v %v", id, list, err)
	}
	return list
}

// Completing a request and reopening its last task race: whichever
// commits first, the other sees it, so a completed request never has an
// open task (checked inside the transaction that completes it).
func TestNeverCompletedWithTaskOpen(t *testing.T) {
	eachDB(t, func(t *testing.T, d *domain) {
		f := newFulfil(t, d)
		ctx := context.Background()
		f.system(t, "CRM", "", "delete")
		officer := d.officer(t)
		completed := 0
		for round := range 6 {
			_, id := f.verified(t, fmt.Sprintf("race%d@example.org", round), "delete")
			tk := mustTasks(t, f, id)[0]
			if err := f.tasks.Update(ctx, tk.ID, models.TaskUpdate{Status: models.TaskDone}, officer); err != nil {
				t.Fatal(err)
			}
			errs := race(racers, func(i int) error {
				if i%2 == 0 {
					return f.reqs.Move(ctx, id, models.Transition{To: models.StatusCompleted, Detail: "Deleted."}, officer)
				}
				return f.tasks.Update(ctx, tk.ID, models.TaskUpdate{Status: models.TaskOpen}, officer)
			})
			tally(t, errs, models.ErrTasksOpen, models.ErrInvalidState, models.ErrTaskRequestClosed)
			r := d.request(t, id)
			open := 0
			for _, x := range mustTasks(t, f, id) {
				if x.Open() {
					open++
				}
			}
			if r.Status == models.StatusCompleted {
				completed++
				if open != 0 {
					t.Fatalf("round %d: completed with %d open tasks", round, open)
				}
			}
		}
		t.Logf("%d of 6 rounds completed first", completed)
	})
}

// A callback token answers once: of many signed answers at once, one is
// recorded; the others are refused, and so is an answer with a bad
// signature, a stale timestamp or the wrong key.
func TestCallbackAnswersOnce(t *testing.T) {
	eachDB(t, func(t *testing.T, d *domain) {
		f := newFulfil(t, d)
		ctx := context.Background()
		_, secret := f.system(t, "CRM", "http://127.0.0.1:1/hook", "access")
		_, id := f.verified(t, "cb@example.org", "access")
		tk := mustTasks(t, f, id)[0]
		token := f.callbackToken(t, tk.ID)
		body := `{"outcome": "done", "note": "Exported.", "records": [{"email": "cb@example.org", "plan": {"name": "Gold"}, "tags": ["a", "b"]}, {"email": "cb@example.org", "orders": 3}]}`
		for name, h := range map[string]http.Header{
			"wrong key":   signed("whsec_wrong", body, time.Now()),
			"stale":       signed(secret, body, time.Now().Add(-10*time.Minute)),
			"unsigned":    {},
			"other keyid": func() http.Header { h := signed(secret, body, time.Now()); h.Set(webhook.HeaderKeyID, "k9"); return h }(),
		} {
			if _, err := f.tasks.Callback(ctx, token, h, strings.NewReader(body)); models.KindOf(err) != models.KindUnauthorized {
				t.Errorf("%s: %v", name, err)
			}
		}
		// A body changed after signing is refused, and leaves nothing stored.
		if _, err := f.tasks.Callback(ctx, token, signed(secret, body, time.Now()), strings.NewReader(strings.Replace(body, "Gold", "Lead", 1))); models.KindOf(err) != models.KindUnauthorized {
			t.Errorf("tampered body: %v", err)
		}
		errs := race(racers, func(int) error {
			_, err := f.tasks.Callback(ctx, token, signed(secret, body, time.Now()), strings.NewReader(body))
			return err
		})
		if wins := tally(t, errs, models.ErrCallbackUsed); wins != 1 {
			t.Fatalf("%d answers recorded, want 1", wins)
		}
		tk = mustTasks(t, f, id)[0]
		if tk.Status != models.TaskDone || tk.ResultRecords != 2 || tk.Result == nil {
			t.Fatalf("task after the answer: %+v", tk.Task)
		}
		var docs int64
		d.db.Model(&models.Document{}).Where("owner_kind = ?", models.OwnerTaskResult).Count(&docs)
		if docs != 1 {
			t.Fatalf("%d stored results, want 1", docs)
		}
		// Sent again, the task has a new token; the old one is gone.
		if err := f.tasks.Resend(ctx, tk.ID, models.SystemActor); err != nil {
			t.Fatal(err)
		}
		if _, err := f.tasks.Callback(ctx, token, signed(secret, body, time.Now()), strings.NewReader(body)); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("the old token still works: %v", err)
		}
		fresh := f.callbackToken(t, tk.ID)
		if _, err := f.tasks.Callback(ctx, fresh, signed(secret, `{"outcome": "maybe"}`, time.Now()), strings.NewReader(`{"outcome": "maybe"}`)); models.KindOf(err) != models.KindInvalid {
			t.Fatalf("an unknown outcome: %v", err)
		}
		res, err := f.tasks.Callback(ctx, fresh, signed(secret, `{"outcome": "no_data"}`, time.Now()), strings.NewReader(`{"outcome": "no_data"}`))
		if err != nil || res.Status != models.TaskNoData {
			t.Fatalf("second round: %+v %v", res, err)
		}
	})
}

// The package: a README, a JSON and a CSV file per system that returned
// records, and the files staff attached; a download code is counted before
// it is compared and works once; the package expires and is erased with
// what the systems returned.
func TestPackageLifecycle(t *testing.T) {
	eachDB(t, func(t *testing.T, d *domain) {
		f := newFulfil(t, d)
		ctx := context.Background()
		_, secret := f.system(t, "CRM", "http://127.0.0.1:1/hook", "access")
		sub, id := f.verified(t, "pkg@example.org", "access")
		token := sub.TrackingToken
		officer := d.officer(t)
		if _, err := f.packages.Publish(ctx, id, officer); !errors.Is(err, models.ErrPackageEmpty) {
			t.Fatalf("an empty package: %v", err)
		}
		tk := mustTasks(t, f, id)[0]
		body := `{"outcome": "done", "records": [{"email": "pkg@example.org", "address": {"city": "Oakland"}}, {"email": "pkg@example.org", "vip": true}]}`
		if _, err := f.tasks.Callback(ctx, f.callbackToken(t, tk.ID), signed(secret, body, time.Now()), strings.NewReader(body)); err != nil {
			t.Fatal(err)
		}
		if _, err := f.packages.Attach(ctx, id, models.Attachment{Name: "../letter.txt", R: strings.NewReader("Dear Sam,\nhere is your data.\n")},
			officer); err != nil {
			t.Fatal(err)
		}
		pkg, err := f.packages.Publish(ctx, id, officer)
		if err != nil {
			t.Fatal(err)
		}
		// Wrong codes: counted first; at most CodeMaxAttempts compared.
		if err := f.packages.SendCode(ctx, token, pkg.ID, models.RequesterActor("t")); err != nil {
			t.Fatal(err)
		}
		errs := race(racers, func(int) error {
			_, _, err := f.packages.Download(ctx, token, pkg.ID, "000000", models.RequesterActor("t"))
			return err
		})
		tally(t, errs, models.ErrCodeWrong, models.ErrCodeLocked)
		var attempts int
		d.db.Model(&models.PackageCode{}).Select("MAX(attempts)").Where("package_id = ?", pkg.ID).Scan(&attempts)
		if attempts != models.CodeMaxAttempts {
			t.Fatalf("%d attempts counted, want %d", attempts, models.CodeMaxAttempts)
		}
		// A fresh code works once, however many posts carry it.
		if err := f.packages.SendCode(ctx, token, pkg.ID, models.RequesterActor("t")); err != nil {
			t.Fatal(err)
		}
		code := latestCode(t, d, models.MailPackageCode)
		var got []byte
		errs = race(racers, func(int) error {
			_, r, err := f.packages.Download(ctx, token, pkg.ID, code, models.RequesterActor("t"))
			if err != nil {
				return err
			}
			defer r.Close()
			got, err = io.ReadAll(r)
			return err
		})
		if wins := tally(t, errs, models.ErrCodeExpired, models.ErrCodeWrong, models.ErrCodeLocked); wins != 1 {
			t.Fatalf("%d downloads with one code, want 1", wins)
		}
		files := unzip(t, got)
		want := map[string]string{"README.txt": "README for ", "systems/crm.json": `"address": {"city": "Oakland"}`,
			"systems/crm.csv": "address.city,email,vip\nOakland,pkg@example.org,\n,pkg@example.org,true\n", "files/letter.txt": "here is your data"}
		for name, part := range want {
			if !strings.Contains(files[name], part) {
				t.Errorf("%s: want %q in\n%s", name, part, files[name])
			}
		}
		if len(files) != len(want) {
			t.Errorf("the package holds %d files, want %d", len(files), len(want))
		}
		var logged int64
		d.db.Model(&models.PackageDownload{}).Where("package_id = ?", pkg.ID).Count(&logged)
		if logged != 1 {
			t.Fatalf("%d downloads logged", logged)
		}
		// After expiry: no code, no download; the package and the records
		// the systems returned are erased.
		d.at(time.Now().Add(models.DefaultPackageTTL + time.Hour))
		if err := f.packages.SendCode(ctx, token, pkg.ID, models.RequesterActor("t")); !errors.Is(err, models.ErrPackageExpired) {
			t.Fatalf("a code for an expired package: %v", err)
		}
		if n, err := f.packages.Expire(ctx); err != nil || n != 1 {
			t.Fatalf("expire: %d %v", n, err)
		}
		if _, err := f.store.Open(ctx, pkg.BlobKey); err == nil {
			t.Fatal("the package is still stored after expiry")
		}
		var left int64
		d.db.Model(&models.Document{}).Where("owner_kind = ? AND erased_at IS NULL", models.OwnerTaskResult).Count(&left)
		if left != 0 {
			t.Fatalf("%d returned records kept after expiry", left)
		}
	})
}

// latestCode is the code in the latest queued mail of template.
func latestCode(t *testing.T, d *domain, template string) string {
	t.Helper()
	var m models.OutboxMessage
	if err := d.db.Where("template = ?", template).Order("id DESC").Take(&m).Error; err != nil {
		t.Fatal(err)
	}
	c := regexp.MustCompile(`"code":"(\d{6})"`).FindStringSubmatch(m.Data)
	if c == nil {
		t.Fatalf("no code in %s", m.Data)
	}
	return c[1]
}

func unzip(t *testing.T, b []byte) map[string]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("not a ZIP (%d bytes): %v", len(b), err)
	}
	out := map[string]string{}
	for _, f := range zr.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		c, _ := io.ReadAll(r)
		r.Close()
		out[f.Name] = string(c)
	}
	return out
}

// Correction item by item: the person lists what is wrong and what is
// right; the request is not completed until each has a decision, and a
// refusal says why.
func TestCorrectionItems(t *testing.T) {
	eachDB(t, func(t *testing.T, d *domain) {
		f := newFulfil(t, d)
		ctx := context.Background()
		sub, id := f.verified(t, "fix@example.org", "correct")
		person := models.RequesterActor("t")
		if err := f.corr.Add(ctx, sub.TrackingToken, id, "Postal address", "1 Old Road", "2 New Street", person); err != nil {
			t.Fatal(err)
		}
		if err := f.corr.Add(ctx, sub.TrackingToken, id, "Date of birth", "1 Jan 1990", "", person); models.KindOf(err) != models.KindInvalid {
			t.Fatalf("an item without what is right: %v", err)
		}
		if err := f.corr.Add(ctx, sub.TrackingToken, id, "Name", "Sam Doh", "Sam Doe", person); err != nil {
			t.Fatal(err)
		}
		officer := d.officer(t)
		done := models.Transition{To: models.StatusCompleted, Detail: "Corrected what we could."}
		if err := f.reqs.Move(ctx, id, done, officer); !errors.Is(err, models.ErrCorrectionsPending) {
			t.Fatalf("completed with items undecided: %v", err)
		}
		items, _ := f.corr.ForRequest(ctx, id)
		if err := f.corr.Decide(ctx, items[0].ID, models.CorrectionDone, "", officer); err != nil {
			t.Fatal(err)
		}
		if err := f.corr.Decide(ctx, items[1].ID, models.CorrectionRefused, "", officer); models.KindOf(err) != models.KindInvalid {
			t.Fatalf("refused without a reason: %v", err)
		}
		if err := f.corr.Decide(ctx, items[1].ID, models.CorrectionRefused, "The passport you sent says Doh.", officer); err != nil {
			t.Fatal(err)
		}
		done.Outcome, done.NotDone = models.OutcomePartial, "Your name: our records match your passport."
		if err := f.reqs.Move(ctx, id, done, officer); err != nil {
			t.Fatal(err)
		}
		if err := f.corr.Add(ctx, sub.TrackingToken, id, "Phone", "1", "2", person); !errors.Is(err, models.ErrCorrectionState) {
			t.Fatalf("an item added after completion: %v", err)
		}
	})
}

// A request withdrawn while its tasks are open: a system already sent its
// task is sent a signed cancellation after it (same key, so never ahead of
// it); a system whose task was not sent yet is sent nothing at all.
func TestWithdrawalCancelsSentTasks(t *testing.T) {
	eachDB(t, func(t *testing.T, d *domain) {
		ctx := context.Background()
		f := newFulfil(t, d)
		f.system(t, "CRM", "https://crm.example.com/hook", "delete")
		f.system(t, "Billing", "https://billing.example.com/hook", "delete")
		_, id := f.verified(t, "cancel@example.org", "delete")
		var jobs []models.HTTPJob
		d.db.Where("kind = ?", models.JobTaskWebhook).Order("id").Find(&jobs)
		if len(jobs) != 2 {
			t.Fatalf("%d task calls, want 2", len(jobs))
		}
		// The CRM's call went out; Billing's is still queued.
		d.db.Model(&models.HTTPJob{}).Where("id = ?", jobs[0].ID).Update("status", "sent")
		if err := d.reqs.Move(ctx, id, models.Transition{To: models.StatusWithdrawn}, d.officer(t)); err != nil {
			t.Fatal(err)
		}
		var after []models.HTTPJob
		d.db.Where("kind = ?", models.JobTaskWebhook).Order("id").Find(&after)
		if len(after) != 3 || after[1].Status != "superseded" || after[2].Status != "pending" || after[2].DedupeKey != jobs[0].DedupeKey {
			t.Fatalf("calls after the withdrawal: %+v", after)
		}
		var c models.TaskCancel
		if err := json.Unmarshal([]byte(after[2].Body), &c); err != nil || c.Type != "task.cancelled" || c.System != "CRM" ||
			c.Reason != models.StatusWithdrawn || c.Reference == "" || c.Round != 1 {
			t.Fatalf("cancellation %+v %v (%s)", c, err, after[2].Body)
		}
	})
}
