package models_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/blob"
	"github.com/rightsdesk/rightsdesk/internal/lookup"
	"github.com/rightsdesk/rightsdesk/internal/rules"
	"github.com/rightsdesk/rightsdesk/models"
)

// verifier builds identity verification over a blob store of its own;
// it returns the directory the files are stored in.
func (d *domain) verifier(t testing.TB) (*models.Verifications, string) {
	t.Helper()
	dir := t.TempDir()
	store, err := blob.Open(context.Background(), "file://"+dir, blob.Keys{Current: "v1", ByID: map[string][]byte{"v1": bytes.Repeat([]byte{7}, 32)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return models.NewVerifications(d.core, models.NewDocuments(d.core, store), models.VerificationOptions{AllowPrivate: true,
		LookupTimeout: 300 * time.Millisecond, LookupAttempts: 2}), dir
}

// records imports a CSV with the standard columns.
func importRecords(t testing.TB, v *models.Verifications, actor models.Actor, csv string) *models.RecordImport {
	t.Helper()
	ctx := context.Background()
	imp, err := v.UploadRecords(ctx, strings.NewReader(csv), actor)
	if err != nil {
		t.Fatal(err)
	}
	p, err := v.Preview(ctx, imp.ID)
	if err != nil {
		t.Fatal(err)
	}
	m := models.Mapping{Email: p.Email, Columns: p.Guess, Region: "US"}
	done, err := v.ImportRecords(ctx, imp.ID, m, actor)
	if err != nil {
		t.Fatal(err)
	}
	return done
}

const recordsCSV = "Email,Full name,Phone,ZIP,Account number\n" +
	"jordan@example.org,Jordan Example,(415) 555-0100,94103,AC-1001\n" +
	"sam@example.org,Sam Doe,+1 212 555 0199,10001-1234,AC-1002\n" +
	"not an address,Bad Row,415 555 0101,94103,AC-1003\n" +
	"lee@example.org,Lee Person,12,94103,AC-1004\n"

// submitCA submits a Californian's requests and confirms the e-mail.
func (d *domain) submitCA(t *testing.T, email string, rights ...string) *models.Submitted {
	t.Helper()
	res := d.submitIn(t, "US", "CA", email, rights...)
	d.confirm(t, res)
	return res
}

// confirm confirms a submission's e-mail with the code in its mail.
func (d *domain) confirm(t *testing.T, res *models.Submitted) {
	t.Helper()
	var m models.OutboxMessage
	if err := d.db.Where("template = ? AND to_addr = ?", models.MailVerifyEmail, res.Submission.Email).Order("id DESC").Take(&m).Error; err != nil {
		t.Fatal(err)
	}
	i := strings.Index(m.Data, `"code":"`)
	if err := d.subs.VerifyEmail(context.Background(), res.TrackingToken, m.Data[i+8:i+14], models.SystemActor); err != nil {
		t.Fatal(err)
	}
}

func (d *domain) checksOf(t *testing.T, requestID int64) []models.IdentityCheck {
	t.Helper()
	var out []models.IdentityCheck
	if err := d.db.Where("request_id = ?", requestID).Order("id").Find(&out).Error; err != nil {
		t.Fatal(err)
	}
	return out
}

var right = models.IdentityAnswers{Values: map[string]string{"name": "jordan  EXAMPLE", "phone": "415.555.0100", "postal_code": "94103-9999"},
	DeclaredName: "Jordan Example", Declared: true}

// Every tier on receipt: an opt-out needs nothing; the e-mail verifies a
// GDPR request; two points or three and a declaration keep a request
// waiting for its identity after the e-mail, with the source of its tier.
func TestTiersOnReceipt(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		v, _ := s.verifier(t)
		ca := s.submitCA(t, "tiers@example.org", "access", "delete", "opt_out_sale", "shine_the_light")
		eu := s.submitIn(t, "DE", "", "tiers-eu@example.org", "access")
		s.confirm(t, eu)
		va := s.submitIn(t, "US", "VA", "tiers-va@example.org", "access")
		s.confirm(t, va)
		want := []struct {
			id     int64
			status string
			tier   rules.Tier
			source string
		}{
			{ca.Submission.Requests[0].ID, models.StatusAwaitingVerification, rules.TierThreePoints, "§7062(c)"},
			{ca.Submission.Requests[1].ID, models.StatusAwaitingVerification, rules.TierTwoPoints, "§7062(d)"},
			{ca.Submission.Requests[2].ID, models.StatusVerified, "", ""},
			{ca.Submission.Requests[3].ID, models.StatusVerified, "", ""},
			{eu.Submission.Requests[0].ID, models.StatusVerified, "", ""},
			{va.Submission.Requests[0].ID, models.StatusAwaitingVerification, rules.TierTwoPoints, "VCDPA"},
		}
		for _, w := range want {
			r := s.request(t, w.id)
			checks := s.checksOf(t, w.id)
			if r.Status != w.status {
				t.Errorf("request %d (%s %s): %s, want %s", w.id, r.Jurisdiction, r.Right, r.Status, w.status)
			}
			if w.tier == "" {
				if len(checks) != 0 {
					t.Errorf("%s %s: checks %+v", r.Jurisdiction, r.Right, checks)
				}
				continue
			}
			if len(checks) != 1 || checks[0].Tier != w.tier || !strings.Contains(checks[0].TierSource, w.source) || checks[0].Status != models.CheckPending {
				t.Errorf("%s %s: checks %+v", r.Jurisdiction, r.Right, checks)
			}
		}
		// The tracking page asks the default questions, three, with the
		// California declaration.
		sub, _ := s.subs.ByTrackingToken(ctx, ca.TrackingToken)
		view, err := v.ForSubmission(ctx, sub)
		if err != nil || !view.Ask || view.Points != 3 || view.Declaration != "declaration.california" || len(view.Fields) != 3 ||
			view.Remaining != models.MaxIdentityAttempts {
			t.Fatalf("identity view %+v %v", view, err)
		}
		// Nothing to answer before the e-mail is confirmed.
		fresh := s.submitIn(t, "US", "CA", "unconfirmed@example.org", "delete")
		if _, err := v.Answer(ctx, fresh.TrackingToken, right, models.Client{}); !errors.Is(err, models.ErrIdentityEmail) {
			t.Fatalf("before the e-mail: %v", err)
		}
	})
}

// Answers matched against the imported records: each check passes at its
// tier, the evidence is the fields' names and the method, never values.
func TestAnswersMatchTheImportedRecords(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		v, _ := s.verifier(t)
		staff := s.officer(t)
		imp := importRecords(t, v, staff, recordsCSV)
		if imp.Status != models.ImportActive || imp.RowsTotal != 4 || imp.RowsAccepted != 2 || imp.RowsRejected != 2 {
			t.Fatalf("import %+v", imp)
		}
		rej := imp.RejectionList()
		if len(rej) != 2 || rej[0].Line != 4 || rej[0].Key != "error.import.email" || rej[1].Line != 5 || rej[1].Key != "error.verify.phone" {
			t.Fatalf("rejections %+v", rej)
		}
		set, _ := v.Settings(ctx)
		if set.RecordsSource != models.RecordsImport {
			t.Fatalf("source %q after the first import", set.RecordsSource)
		}
		// No value of the file is stored.
		var rows []string
		s.db.Table("verification_records").Pluck("fields", &rows)
		if len(rows) != 2 || strings.Contains(strings.Join(rows, ""), "94103") || strings.Contains(strings.Join(rows, ""), "jordan") {
			t.Fatalf("records %v", rows)
		}

		res := s.submitCA(t, "jordan@example.org", "access", "delete")
		// Too few answers, or no declaration, is a form error and no try.
		few := models.IdentityAnswers{Values: map[string]string{"name": "Jordan Example", "phone": "4155550100"}, DeclaredName: "J", Declared: true}
		var ve *models.ValidationError
		if _, err := v.Answer(ctx, res.TrackingToken, few, models.Client{}); !errors.As(err, &ve) || ve.Fields["answers"] != "error.identity.too_few.3" {
			t.Fatalf("two answers for three points: %v", err)
		}
		undeclared := right
		undeclared.Declared = false
		if _, err := v.Answer(ctx, res.TrackingToken, undeclared, models.Client{}); !errors.As(err, &ve) || ve.Fields["declared"] == "" {
			t.Fatalf("no declaration: %v", err)
		}
		if _, err := v.Answer(ctx, res.TrackingToken, models.IdentityAnswers{Values: map[string]string{"phone": "12"}}, models.Client{}); !errors.As(err, &ve) ||
			ve.Fields["q_phone"] != "error.verify.phone" {
			t.Fatalf("a bad phone: %v", err)
		}
		out, err := v.Answer(ctx, res.TrackingToken, right, models.Client{IP: "203.0.113.9", UserAgent: "TestBrowser"})
		if err != nil || !out.Verified {
			t.Fatalf("answer: %+v %v", out, err)
		}
		for _, r := range res.Submission.Requests {
			if got := s.request(t, r.ID); got.Status != models.StatusVerified {
				t.Errorf("%s: %s", r.Right, got.Status)
			}
			ch := s.checksOf(t, r.ID)[0]
			if ch.Status != models.CheckPassed || ch.Method != models.MethodRecords || ch.Matched != "name,phone,postal_code" ||
				ch.Attempts != 1 || ch.AnswersSealed != "" || ch.DecidedAt == nil {
				t.Errorf("%s: check %+v", r.Right, ch)
			}
			if r.Right == "access" && (ch.DeclaredName != "Jordan Example" || ch.DeclaredIP != "203.0.113.9" || ch.DeclaredUA != "TestBrowser" || ch.DeclaredAt == nil) {
				t.Errorf("declaration not recorded: %+v", ch)
			}
		}
		var mails int64
		s.db.Model(&models.OutboxMessage{}).Where("template = ? AND to_addr = ?", models.MailIdentityOutcome, "jordan@example.org").Count(&mails)
		if mails != 2 {
			t.Fatalf("%d outcome mails", mails)
		}
		if _, err := v.Answer(ctx, res.TrackingToken, right, models.Client{}); !errors.Is(err, models.ErrIdentityNothing) {
			t.Fatalf("answered again: %v", err)
		}
	})
}

// A request to know that cannot be verified for the specific pieces, after
// every try, is answered as one for the categories (11 CCR §7024); one
// that matches nothing goes to staff; failures never say which answer.
func TestNarrowingAndReview(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		v, _ := s.verifier(t)
		staff := s.officer(t)
		importRecords(t, v, staff, recordsCSV)
		res := s.submitCA(t, "jordan@example.org", "access")
		id := res.Submission.Requests[0].ID
		twoRight := right
		twoRight.Values = map[string]string{"name": "Jordan Example", "phone": "4155550100", "postal_code": "90210"}
		for try := 1; try < models.MaxIdentityAttempts; try++ {
			_, err := v.Answer(ctx, res.TrackingToken, twoRight, models.Client{})
			var de *models.Error
			if !errors.As(err, &de) || !errors.Is(err, models.ErrIdentityNoMatch) || de.Args[0] != models.MaxIdentityAttempts-try {
				t.Fatalf("try %d: %v", try, err)
			}
		}
		out, err := v.Answer(ctx, res.TrackingToken, twoRight, models.Client{})
		if err != nil || !out.Narrowed {
			t.Fatalf("last try: %+v %v", out, err)
		}
		ch := s.checksOf(t, id)[0]
		if ch.Status != models.CheckPassed || ch.Scope != rules.ScopeCategories || ch.Matched != "name,phone" || ch.Attempts != models.MaxIdentityAttempts {
			t.Fatalf("narrowed check %+v", ch)
		}
		if r := s.request(t, id); r.Status != models.StatusVerified {
			t.Fatalf("narrowed request %s", r.Status)
		}

		// Nothing right, every try: staff review, told once.
		lee := s.submitCA(t, "nobody@example.org", "delete")
		for try := 1; try <= models.MaxIdentityAttempts; try++ {
			out, err := v.Answer(ctx, lee.TrackingToken, right, models.Client{})
			if try < models.MaxIdentityAttempts && !errors.Is(err, models.ErrIdentityNoMatch) {
				t.Fatalf("try %d: %v", try, err)
			}
			if try == models.MaxIdentityAttempts && (err != nil || !out.Review) {
				t.Fatalf("last try: %+v %v", out, err)
			}
		}
		if _, err := v.Answer(ctx, lee.TrackingToken, right, models.Client{}); !errors.Is(err, models.ErrIdentityNothing) {
			t.Fatalf("after review: %v", err)
		}
		lid := lee.Submission.Requests[0].ID
		ch = s.checksOf(t, lid)[0]
		if ch.Status != models.CheckReview || ch.ReviewReason != models.ReviewAttempts || ch.AnswersSealed != "" {
			t.Fatalf("review %+v", ch)
		}
		var alerts int64
		s.db.Model(&models.OutboxMessage{}).Where("template = ?", models.MailStaffIdentityReview).Count(&alerts)
		if alerts != 1 {
			t.Fatalf("%d staff alerts", alerts)
		}
		// Staff could not verify: denied as unverifiable, with the reason, once.
		if err := v.Decide(ctx, lid, models.IdentityDecision{Outcome: models.DecideFailed}, staff); models.KindOf(err) != models.KindInvalid {
			t.Fatalf("no reason: %v", err)
		}
		if err := v.Decide(ctx, lid, models.IdentityDecision{Outcome: models.DecideFailed, Note: "The phone number on file differs."}, staff); err != nil {
			t.Fatal(err)
		}
		if r := s.request(t, lid); r.Status != models.StatusDenied || r.DenialReason != "cannot_verify" || r.DenialDetail != "The phone number on file differs." {
			t.Fatalf("denied %+v", r)
		}
		if err := v.Decide(ctx, lid, models.IdentityDecision{Outcome: models.DecideVerified, Note: "x"}, staff); !errors.Is(err, models.ErrNoOpenCheck) {
			t.Fatalf("a second outcome: %v", err)
		}
	})
}

// With no records yet, the answers go to staff beside the request; staff
// verify with a note; what the person gave goes when the request closes,
// document included, and the outcome stays.
func TestNoSourceReviewAndErasureAtClose(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		v, dir := s.verifier(t)
		staff := s.officer(t)
		res := s.submitCA(t, "erase@example.org", "access", "delete")
		access, del := res.Submission.Requests[0].ID, res.Submission.Requests[1].ID
		out, err := v.Answer(ctx, res.TrackingToken, right, models.Client{})
		if err != nil || !out.Review {
			t.Fatalf("answer: %+v %v", out, err)
		}
		r := s.request(t, access)
		d, err := v.ForRequest(ctx, &r)
		if err != nil || d.Open == nil || d.Open.ReviewReason != models.ReviewNoSource || d.Answers["phone"] != "+14155550100" || !d.Categories {
			t.Fatalf("staff view %+v %v", d, err)
		}
		// Moving to verified needs a note of how, and decides the check.
		if err := s.reqs.Move(ctx, del, models.Transition{To: models.StatusVerified}, staff); models.KindOf(err) != models.KindInvalid {
			t.Fatalf("verified without a note: %v", err)
		}
		if err := s.reqs.Move(ctx, del, models.Transition{To: models.StatusVerified, Detail: "Called the number on file."}, staff); err != nil {
			t.Fatal(err)
		}
		if ch := s.checksOf(t, del)[0]; ch.Status != models.CheckPassed || ch.Method != models.MethodStaff || ch.Note != "Called the number on file." {
			t.Fatalf("staff pass %+v", ch)
		}
		// Staff ask the access request's person for a document, which they upload.
		if err := s.reqs.Ask(ctx, access, models.AskInput{Reason: "clarify", Question: "?", Document: true}, staff); models.KindOf(err) != models.KindInvalid {
			t.Fatalf("a document to clarify: %v", err)
		}
		if err := s.reqs.Ask(ctx, access, models.AskInput{Reason: "identity", Question: "Please upload a utility bill.", Document: true}, staff); err != nil {
			t.Fatal(err)
		}
		if err := v.UploadDocument(ctx, res.TrackingToken, access, bytes.NewReader(plainPDF), models.RequesterActor("test")); err != nil {
			t.Fatal(err)
		}
		if r := s.request(t, access); r.Status != models.StatusAwaitingVerification {
			t.Fatalf("after the upload: %s", r.Status)
		}
		r = s.request(t, access)
		d, _ = v.ForRequest(ctx, &r)
		if len(d.Documents) != 1 || d.Open.ReviewReason != models.ReviewDocument || d.Open.AnswersSealed == "" {
			t.Fatalf("document review %+v", d)
		}
		if files := countFiles(t, dir); files != 1 {
			t.Fatalf("%d files stored", files)
		}
		// Closed (withdrawn): the check is cancelled, answers and document erased.
		if err := s.subs.Withdraw(ctx, res.TrackingToken, access, models.RequesterActor("test")); err != nil {
			t.Fatal(err)
		}
		ch := s.checksOf(t, access)[0]
		if ch.Status != models.CheckCancelled || ch.AnswersSealed != "" || ch.ErasedAt == nil || ch.DeclaredAt == nil {
			t.Fatalf("after close %+v", ch)
		}
		var doc models.Document
		s.db.Where("owner_kind = ?", models.OwnerIdentityCheck).Take(&doc)
		if doc.ErasedAt == nil || countFiles(t, dir) != 0 {
			t.Fatalf("document %+v, %d files", doc, countFiles(t, dir))
		}
		var queued int64
		s.db.Table("blob_erasures").Count(&queued)
		if queued != 0 {
			t.Fatalf("%d erasures left", queued)
		}
		// The deletion closes too: its check's evidence stays, the rest goes.
		if err := s.reqs.Move(ctx, del, models.Transition{To: models.StatusCompleted, Detail: "Deleted"}, staff); err != nil {
			t.Fatal(err)
		}
		if ch := s.checksOf(t, del)[0]; ch.Status != models.CheckPassed || ch.ErasedAt == nil || ch.AnswersSealed != "" || ch.Method != models.MethodStaff {
			t.Fatalf("closed deletion %+v", ch)
		}
	})
}

// Under the GDPR the e-mail is enough unless staff raise one request's
// tier with a reason; the person is then asked, and in the UK the clock
// stops meanwhile. The organization cannot raise GDPR tiers, nor lower
// any below the law, in its settings.
func TestRaisingTiers(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		v, _ := s.verifier(t)
		staff := s.officer(t)
		set, _ := v.Settings(ctx)
		base := models.VerificationConfig{Version: set.Version, Questions: []string{"name", "phone", "postal_code", "account_number"}}
		for key, want := range map[string]string{"EU/access": "error.raise.on_doubt", "US-CA/access": "error.raise.below_law",
			"US-CA/opt_out_sale": "error.raise.none"} {
			cfg := base
			cfg.Raises = map[string]string{key: "two_points"}
			var ve *models.ValidationError
			if err := v.SaveSettings(ctx, cfg, staff); !errors.As(err, &ve) || ve.Fields["raises"] != want {
				t.Errorf("raise %s: %v", key, err)
			}
		}
		few := base
		few.Questions = []string{"name", "phone"}
		if err := v.SaveSettings(ctx, few, staff); models.KindOf(err) != models.KindInvalid {
			t.Fatalf("two questions: %v", err)
		}
		cfg := base
		cfg.Raises = map[string]string{"US-CA/delete": "three_points", "US-VA/access": "two_points"}
		if err := v.SaveSettings(ctx, cfg, staff); err != nil {
			t.Fatal(err)
		}
		if err := v.SaveSettings(ctx, cfg, staff); !errors.Is(err, models.ErrVerificationSettingsChanged) {
			t.Fatalf("a stale form: %v", err)
		}
		del := s.submitIn(t, "US", "CA", "raised@example.org", "delete").Submission.Requests[0].ID
		if ch := s.checksOf(t, del); len(ch) != 1 || ch[0].Tier != rules.TierThreePoints || !strings.Contains(ch[0].TierSource, "organization") {
			t.Fatalf("raised by the settings: %+v", ch)
		}

		for _, c := range []struct {
			country string
			stops   bool
		}{{"DE", false}, {"GB", true}} {
			email := "doubt-" + strings.ToLower(c.country) + "@example.org"
			res := s.submitIn(t, c.country, "", email, "access")
			s.confirm(t, res)
			id := res.Submission.Requests[0].ID
			due := s.request(t, id).DueAt
			if err := v.Raise(ctx, id, rules.TierTwoPoints, "", staff); models.KindOf(err) != models.KindInvalid {
				t.Fatalf("a raise without a reason: %v", err)
			}
			if err := v.Raise(ctx, id, rules.TierTwoPoints, "The address on the request differs from our records.", staff); err != nil {
				t.Fatal(err)
			}
			d, _ := s.reqs.Get(ctx, id)
			if d.Request.Status != models.StatusAwaitingInformation || d.ClockStopped != c.stops || len(d.Pauses) != 1 ||
				d.Pauses[0].StatusBefore != models.StatusAwaitingVerification {
				t.Fatalf("%s raised: %+v stopped %v pauses %+v", c.country, d.Request.Status, d.ClockStopped, d.Pauses)
			}
			ch := s.checksOf(t, id)
			if len(ch) != 1 || ch[0].Tier != rules.TierTwoPoints || ch[0].RaisedReason == "" || ch[0].RaisedBy == nil {
				t.Fatalf("raised check %+v", ch)
			}
			if err := v.Raise(ctx, id, rules.TierTwoPoints, "Again.", staff); !errors.Is(err, models.ErrInvalidState) {
				t.Fatalf("raised while waiting: %v", err)
			}
			s.at(time.Now().Add(3 * 24 * time.Hour))
			// No records yet: the answers go to staff, and the question is answered.
			two := right
			two.Values = map[string]string{"name": "Sam Doe", "postal_code": "SW1A 1AA"}
			out, err := v.Answer(ctx, res.TrackingToken, two, models.Client{})
			if err != nil || !out.Review {
				t.Fatalf("%s answer: %+v %v", c.country, out, err)
			}
			r := s.request(t, id)
			if r.Status != models.StatusAwaitingVerification || (c.stops == r.DueAt.Equal(due)) {
				t.Fatalf("%s after the answer: %s due %s (was %s)", c.country, r.Status, r.DueAt, due)
			}
			if err := v.Decide(ctx, id, models.IdentityDecision{Outcome: models.DecideVerified, Note: "Matched by hand."}, staff); err != nil {
				t.Fatal(err)
			}
			if r := s.request(t, id); r.Status != models.StatusVerified {
				t.Fatalf("%s verified: %s", c.country, r.Status)
			}
			if err := v.Raise(ctx, id, rules.TierTwoPoints, "Once more.", staff); models.KindOf(err) != models.KindInvalid {
				t.Fatalf("not higher: %v", err)
			}
			s.at(time.Now())
		}
	})
}

// The lookup endpoint: matched through it; down, the answers go to staff,
// who are told once, and retry once it is back.
func TestLookupSource(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		v, _ := s.verifier(t)
		staff := s.officer(t)
		key := "the organization's lookup key, long enough"
		up := true
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			raw, _ := io.ReadAll(r.Body)
			if !up {
				http.Error(w, "down", http.StatusServiceUnavailable)
				return
			}
			if lookup.Check([]byte(key), r.Header.Get(lookup.HeaderTimestamp), r.Header.Get(lookup.HeaderSignature), raw, time.Now()) != nil {
				http.Error(w, "signature", http.StatusUnauthorized)
				return
			}
			id := string(raw[strings.Index(string(raw), `"id":"`)+6:])
			id = id[:strings.IndexByte(id, '"')]
			body := []byte(`{"id":"` + id + `","found":true,"matches":{"name":true,"phone":true,"postal_code":` + strconv.FormatBool(strings.Contains(string(raw), "94103")) + `}}`)
			ts := strconv.FormatInt(time.Now().Unix(), 10)
			w.Header().Set(lookup.HeaderTimestamp, ts)
			w.Header().Set(lookup.HeaderSignature, lookup.Sign([]byte(key), []byte(ts), body))
			w.Write(body)
		}))
		defer srv.Close()
		set, _ := v.Settings(ctx)
		cfg := models.VerificationConfig{Version: set.Version, Questions: []string{"name", "phone", "postal_code"}, RecordsSource: models.RecordsLookup,
			LookupURL: srv.URL}
		var ve *models.ValidationError
		if err := v.SaveSettings(ctx, cfg, staff); !errors.As(err, &ve) || ve.Fields["lookup_key"] == "" {
			t.Fatalf("no key: %v", err)
		}
		cfg.LookupKey = "short"
		if err := v.SaveSettings(ctx, cfg, staff); !errors.As(err, &ve) || ve.Fields["lookup_key"] != "error.lookup_key.short" {
			t.Fatalf("short key: %v", err)
		}
		cfg.LookupKey = key
		if err := v.SaveSettings(ctx, cfg, staff); err != nil {
			t.Fatal(err)
		}
		res := s.submitCA(t, "lookup@example.org", "access")
		if out, err := v.Answer(ctx, res.TrackingToken, right, models.Client{}); err != nil || !out.Verified {
			t.Fatalf("through the lookup: %+v %v", out, err)
		}
		if ch := s.checksOf(t, res.Submission.Requests[0].ID)[0]; ch.Method != models.MethodLookup || ch.Matched != "name,phone,postal_code" {
			t.Fatalf("check %+v", ch)
		}
		// Down: the person's answers go to staff, who are told once.
		up = false
		for i, email := range []string{"down1@example.org", "down2@example.org"} {
			res := s.submitCA(t, email, "delete")
			if out, err := v.Answer(ctx, res.TrackingToken, right, models.Client{}); err != nil || !out.Review {
				t.Fatalf("down %d: %+v %v", i, out, err)
			}
		}
		set, _ = v.Settings(ctx)
		var alerts int64
		s.db.Model(&models.OutboxMessage{}).Where("template = ?", models.MailStaffLookupDown).Count(&alerts)
		if set.LookupDownSince == nil || set.LookupError != lookup.Down || alerts != 1 {
			t.Fatalf("down since %v (%s), %d alerts", set.LookupDownSince, set.LookupError, alerts)
		}
		var waiting models.IdentityCheck
		s.db.Where("review_reason = ?", models.ReviewLookupDown).Order("id").Take(&waiting)
		if err := v.RetryLookup(ctx, waiting.RequestID, staff); models.KindOf(err) != models.KindUnavailable {
			t.Fatalf("retry while down: %v", err)
		}
		up = true
		if err := v.RetryLookup(ctx, waiting.RequestID, staff); err != nil {
			t.Fatal(err)
		}
		if r := s.request(t, waiting.RequestID); r.Status != models.StatusVerified {
			t.Fatalf("after the retry: %s", r.Status)
		}
		if set, _ = v.Settings(ctx); set.LookupDownSince != nil {
			t.Fatal("still down after it answered")
		}
	})
}

// Agents: the person an agent filed for with a signed permission proves
// their own identity at the right's tier; under a power of attorney
// nothing is asked of them.
func TestAgentFilingsAndTiers(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		v, _ := s.verifier(t)
		staff := s.officer(t)
		ad := withAgents(t, s)
		f, agent := ad.filings, ad.approvedAgent(t, "agent@example.org")
		filed := func(email, authority string) *models.Filed {
			in := models.FilingInput{Person: input(email, "delete"), Authority: authority}
			in.Person.Country, in.Person.Region = "US", "CA"
			out, err := f.File(ctx, agent, in, bytes.NewReader(plainPDF), models.AgentActor(agent.ID, "test"))
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		perm := filed("perm@example.org", models.AuthorityPermission)
		poa := filed("poa@example.org", models.AuthorityPOA)
		if len(s.checksOf(t, perm.Submission.Requests[0].ID)) != 1 || len(s.checksOf(t, poa.Submission.Requests[0].ID)) != 0 {
			t.Fatal("a check for the permission's person and none under a power of attorney")
		}
		for _, fl := range []*models.Filed{perm, poa} {
			if err := f.Review(ctx, fl.Submission.Requests[0].ID, true, "", staff); err != nil {
				t.Fatal(err)
			}
		}
		if r := s.request(t, poa.Submission.Requests[0].ID); r.Status != models.StatusVerified {
			t.Fatalf("power of attorney: %s", r.Status)
		}
		var m models.OutboxMessage
		if err := s.db.Where("template = ? AND to_addr = ?", models.MailAgentConfirm, "perm@example.org").Take(&m).Error; err != nil {
			t.Fatal(err)
		}
		token := m.Data[strings.Index(m.Data, "/t/")+3:]
		token = token[:43]
		if err := f.Confirm(ctx, token, true, models.RequesterActor("test")); err != nil {
			t.Fatal(err)
		}
		id := perm.Submission.Requests[0].ID
		if r := s.request(t, id); r.Status != models.StatusAwaitingVerification {
			t.Fatalf("confirmed but not yet verified: %s", r.Status)
		}
		if out, err := v.Answer(ctx, token, right, models.Client{}); err != nil || !out.Review {
			t.Fatalf("the person's answers: %+v %v", out, err)
		}
		if err := v.Decide(ctx, id, models.IdentityDecision{Outcome: models.DecideVerified, Note: "Matched."}, staff); err != nil {
			t.Fatal(err)
		}
		if r := s.request(t, id); r.Status != models.StatusVerified {
			t.Fatalf("after the check: %s", r.Status)
		}
	})
}

func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
