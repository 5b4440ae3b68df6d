package models_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/rightsdesk/rightsdesk/internal/mail"
	"github.com/rightsdesk/rightsdesk/models"
)

// Every invariant below lives in the database: each test fires many
// goroutines at one rule, on SQLite and on PostgreSQL, and checks that
// exactly as many win as the rule allows and that the losers get the
// domain's answer, never a database error.

const racers = 16

// race runs fn in n goroutines released at once and returns their errors.
func race(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range n {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			errs[i] = fn(i)
		}()
	}
	start.Done()
	done.Wait()
	return errs
}

// tally counts nil errors and checks that every other error is one of allowed.
func tally(t *testing.T, errs []error, allowed ...error) int {
	t.Helper()
	wins := 0
	for _, err := range errs {
		if err == nil {
			wins++
			continue
		}
		ok := false
		for _, a := range allowed {
			if errors.Is(err, a) {
				ok = true
			}
		}
		if !ok {
			t.Errorf("unexpected error: %v (kind %d)", err, models.KindOf(err))
		}
	}
	return wins
}

// officer creates a staff member to act as.
func (d *domain) officer(t *testing.T) models.Actor {
	t.Helper()
	return models.StaffActor(d.member(t, "officer@example.org", "Officer", models.RoleReviewer).ID, "test")
}

func (d *domain) submitIn(t *testing.T, country, region, email string, rights ...string) *models.Submitted {
	t.Helper()
	in := input(email, rights...)
	in.Country, in.Region = country, region
	res, err := d.subs.Submit(context.Background(), in, models.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// A request moves out of a status once: of many simultaneous decisions,
// one is applied and the others are refused as a change of state.
func TestOneTransitionWins(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		staffActor := s.officer(t)
		id := s.submitIn(t, "GB", "", "move@example.org", "access").Submission.Requests[0].ID
		if err := s.reqs.Move(ctx, id, models.Transition{To: models.StatusVerified}, staffActor); err != nil {
			t.Fatal(err)
		}
		errs := race(racers, func(i int) error {
			tr := models.Transition{To: models.StatusCompleted, Detail: "Done in every system."}
			if i%2 == 1 {
				tr = models.Transition{To: models.StatusDenied, DenialReason: "exemption"}
			}
			return s.reqs.Move(ctx, id, tr, staffActor)
		})
		if wins := tally(t, errs, models.ErrInvalidState); wins != 1 {
			t.Fatalf("%d decisions applied, want 1", wins)
		}
		var closes int64
		s.db.Model(&models.Event{}).Where("request_id = ? AND kind = ? AND status_from = ?", id, models.EventStatus, models.StatusVerified).Count(&closes)
		if closes != 1 {
			t.Fatalf("%d status events from verified, want 1", closes)
		}
	})
}

// One extension per request, however many are posted at once.
func TestOneExtensionWins(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		staffActor := s.officer(t)
		id := s.submitIn(t, "US", "CA", "extend@example.org", "access").Submission.Requests[0].ID
		errs := race(racers, func(int) error { return s.reqs.Extend(ctx, id, "volume", staffActor) })
		if wins := tally(t, errs, models.ErrAlreadyExtended); wins != 1 {
			t.Fatalf("%d extensions, want 1", wins)
		}
		var mails int64
		s.db.Model(&models.OutboxMessage{}).Where("template = ?", models.MailExtended).Count(&mails)
		if mails != 1 {
			t.Fatalf("%d extension mails, want 1", mails)
		}
	})
}

// An extension racing a denial never extends a closed request: either
// the extension came first (and the denial after it), or it is refused
// and no "extended" mail goes out.
func TestExtensionNeverAfterClose(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		staffActor := s.officer(t)
		for round := range 6 {
			id := s.submitIn(t, "US", "CA", fmt.Sprintf("race%d@example.org", round), "access").Submission.Requests[0].ID
			errs := race(2, func(i int) error {
				if i == 0 {
					return s.reqs.Extend(ctx, id, "volume", staffActor)
				}
				return s.reqs.Move(ctx, id, models.Transition{To: models.StatusDenied, DenialReason: "exemption"}, staffActor)
			})
			if errs[1] != nil {
				t.Fatalf("denial: %v", errs[1])
			}
			var r models.Request
			s.db.First(&r, id)
			var mails int64
			s.db.Model(&models.OutboxMessage{}).Where("template = ? AND data LIKE ?", models.MailExtended, fmt.Sprintf("%%race%d%%", round)).Count(&mails)
			switch {
			case errs[0] == nil:
				if r.ExtendedAt == nil || r.ClosedAt == nil || r.ExtendedAt.After(*r.ClosedAt) {
					t.Fatalf("extended %v after closing %v", r.ExtendedAt, r.ClosedAt)
				}
			case errors.Is(errs[0], models.ErrExtensionClosed):
				if r.ExtendedAt != nil {
					t.Fatal("a refused extension left extended_at set")
				}
			default:
				t.Fatalf("extension: %v", errs[0])
			}
		}
	})
}

// One appeal per denial, however many are posted at once.
func TestOneAppealWins(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		staffActor := s.officer(t)
		res := s.submitIn(t, "US", "VA", "appeal@example.org", "delete")
		id := res.Submission.Requests[0].ID
		if err := s.reqs.Move(ctx, id, models.Transition{To: models.StatusDenied, DenialReason: "exemption"}, staffActor); err != nil {
			t.Fatal(err)
		}
		errs := race(racers, func(int) error {
			return s.appeals.Appeal(ctx, res.TrackingToken, id, "I disagree.", models.RequesterActor("test"))
		})
		if wins := tally(t, errs, models.ErrAppealExists, models.ErrInvalidState); wins != 1 {
			t.Fatalf("%d appeals accepted, want 1", wins)
		}
		var n int64
		s.db.Model(&models.Request{}).Where("appeal_of_id = ?", id).Count(&n)
		if n != 1 {
			t.Fatalf("%d appeal rows, want 1", n)
		}
	})
}

// The same form posted many times at once is one submission; the others
// are told it is a duplicate (409), never a database error.
func TestDuplicateSubmissionRace(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		in := input("twice@example.org", "access")
		in.IdempotencyKey = models.NewNonce()
		errs := race(racers, func(int) error {
			_, err := s.subs.Submit(ctx, in, models.SystemActor)
			return err
		})
		if wins := tally(t, errs, models.ErrDuplicate); wins != 1 {
			t.Fatalf("%d submissions recorded, want 1", wins)
		}
		for _, table := range []string{"submissions", "requests", "email_verifications"} {
			var n int64
			s.db.Table(table).Count(&n)
			if n != 1 {
				t.Fatalf("%s: %d rows, want 1", table, n)
			}
		}
	})
}

// codeOf reads the code of the latest verification mail to addr.
func codeOf(t *testing.T, s *domain, addr string) string {
	t.Helper()
	var m models.OutboxMessage
	if err := s.db.Where("to_addr = ? AND template = ?", addr, models.MailVerifyEmail).Order("id DESC").First(&m).Error; err != nil {
		t.Fatal(err)
	}
	var d mail.Data
	if err := json.Unmarshal([]byte(m.Data), &d); err != nil || d.Code == "" {
		t.Fatalf("no code in %q: %v", m.Data, err)
	}
	return d.Code
}

// However many guesses arrive at once, at most CodeMaxAttempts are
// compared: the attempt is counted by a guarded UPDATE first.
func TestGuessesAreCountedBeforeComparing(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		res := s.submitIn(t, "GB", "", "guess@example.org", "access")
		code := codeOf(t, s, "guess@example.org")
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		errs := race(100, func(int) error {
			return s.subs.VerifyEmail(ctx, res.TrackingToken, wrong, models.RequesterActor("test"))
		})
		compared := 0
		for _, err := range errs {
			switch {
			case errors.Is(err, models.ErrCodeWrong):
				compared++
			case errors.Is(err, models.ErrCodeLocked):
			default:
				t.Fatalf("guess: %v", err)
			}
		}
		if compared > models.CodeMaxAttempts {
			t.Fatalf("%d guesses compared, limit %d", compared, models.CodeMaxAttempts)
		}
		var v models.EmailVerification
		s.db.Where("submission_id = ?", res.Submission.ID).First(&v)
		if v.Attempts != models.CodeMaxAttempts {
			t.Fatalf("attempts %d, want %d", v.Attempts, models.CodeMaxAttempts)
		}
		// The right code is refused once the attempts are spent.
		if err := s.subs.VerifyEmail(ctx, res.TrackingToken, code, models.RequesterActor("test")); !errors.Is(err, models.ErrCodeLocked) {
			t.Fatalf("right code after the lock: %v", err)
		}
	})
}

// Among many simultaneous guesses, the right code counts as one of the
// limited attempts: it is accepted only when it is among the first
// CodeMaxAttempts counted.
func TestRightCodeAmongParallelGuesses(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		for round := range 4 {
			addr := fmt.Sprintf("mixed%d@example.org", round)
			res := s.submitIn(t, "GB", "", addr, "access")
			code := codeOf(t, s, addr)
			errs := race(20, func(i int) error {
				guess := fmt.Sprintf("%06d", (i*7919+1)%1000000)
				if i == 7 {
					guess = code
				} else if guess == code {
					guess = "999999"
				}
				return s.subs.VerifyEmail(ctx, res.TrackingToken, guess, models.RequesterActor("test"))
			})
			var v models.EmailVerification
			s.db.Where("submission_id = ?", res.Submission.ID).First(&v)
			if v.Attempts > models.CodeMaxAttempts {
				t.Fatalf("attempts %d over the limit", v.Attempts)
			}
			accepted := errs[7] == nil
			var sub models.Submission
			s.db.First(&sub, res.Submission.ID)
			if accepted != (sub.EmailVerifiedAt != nil) {
				t.Fatalf("right code answered %v but verified=%v", errs[7], sub.EmailVerifiedAt != nil)
			}
		}
	})
}

// A guess is compared with exactly the code its attempt was counted on:
// after a resend, the old code is counted and refused on the new one, and
// the code accepted is the row that counted it. Raced with a resend, no
// code is ever accepted without an attempt counted on it.
func TestGuessComparedWithTheCodeCounted(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		res := s.submitIn(t, "GB", "", "counted@example.org", "access")
		old := codeOf(t, s, "counted@example.org")
		s.at(time.Now().Add(2 * time.Minute))
		if err := s.subs.ResendCode(ctx, res.TrackingToken, models.RequesterActor("test")); err != nil {
			t.Fatal(err)
		}
		var codes []models.EmailVerification
		s.db.Where("submission_id = ?", res.Submission.ID).Order("id").Find(&codes)
		if len(codes) != 2 {
			t.Fatalf("%d codes", len(codes))
		}
		if err := s.subs.VerifyEmail(ctx, res.TrackingToken, old, models.RequesterActor("test")); !errors.Is(err, models.ErrCodeWrong) {
			t.Fatalf("the old code after a resend: %v", err)
		}
		var fresh []models.EmailVerification
		s.db.Where("submission_id = ?", res.Submission.ID).Order("id").Find(&fresh)
		if fresh[0].Attempts != codes[0].Attempts || fresh[1].Attempts != 1 {
			t.Fatalf("attempts %d then %d, want the new code's counted", fresh[0].Attempts, fresh[1].Attempts)
		}

		// Guesses of the first code raced with a resend.
		res = s.submitIn(t, "GB", "", "counted2@example.org", "access")
		first := codeOf(t, s, "counted2@example.org")
		s.at(time.Now().Add(4 * time.Minute))
		race(12, func(i int) error {
			if i == 0 {
				return s.subs.ResendCode(ctx, res.TrackingToken, models.RequesterActor("test"))
			}
			return s.subs.VerifyEmail(ctx, res.TrackingToken, first, models.RequesterActor("test"))
		})
		var rows []models.EmailVerification
		s.db.Where("submission_id = ?", res.Submission.ID).Find(&rows)
		for _, r := range rows {
			if r.UsedAt != nil && r.Attempts == 0 || r.Attempts > models.CodeMaxAttempts {
				t.Fatalf("code %d: used %v with %d attempts", r.ID, r.UsedAt != nil, r.Attempts)
			}
		}
	})
}

// Simultaneous resends send one new code.
func TestOneResendWins(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		res := s.submitIn(t, "GB", "", "resend@example.org", "access")
		s.at(time.Now().Add(2 * time.Minute))
		errs := race(racers, func(int) error {
			return s.subs.ResendCode(ctx, res.TrackingToken, models.RequesterActor("test"))
		})
		if wins := tally(t, errs, models.ErrResendLimit); wins != 1 {
			t.Fatalf("%d resends, want 1", wins)
		}
		var n int64
		s.db.Model(&models.EmailVerification{}).Where("submission_id = ?", res.Submission.ID).Count(&n)
		if n != 2 {
			t.Fatalf("%d codes, want 2", n)
		}
	})
}

// The first administrator is created once, however many set-ups race.
func TestOneSetupWins(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		tok, err := s.staff.NewSetupToken(ctx)
		if err != nil {
			t.Fatal(err)
		}
		errs := race(4, func(i int) error {
			_, _, err := s.staff.CompleteSetup(ctx, tok, models.StaffInput{Email: fmt.Sprintf("a%d@example.org", i),
				Name: "Admin", Password: "a long enough password"}, models.Client{})
			return err
		})
		if wins := tally(t, errs, models.ErrSetupDone, models.ErrSetupInvalid); wins != 1 {
			t.Fatalf("%d administrators created, want 1", wins)
		}
	})
}

// A limit of 10 lets exactly 10 of 100 simultaneous attempts through.
func TestLimitIsExact(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		l := models.Limit{Name: "test", Max: 10, Window: time.Hour}
		var mu sync.Mutex
		allowed := 0
		errs := race(100, func(int) error {
			ok, _, err := s.limits.Allow(ctx, l, "198.51.100.7")
			if ok {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
			return err
		})
		tally(t, errs)
		if allowed != 10 {
			t.Fatalf("%d allowed, want 10", allowed)
		}
		if ok, _, _ := s.limits.Allow(ctx, l, "198.51.100.8"); !ok {
			t.Fatal("another subject is limited too")
		}
	})
}

// Two administrators demoting each other at once leave one administrator.
func TestLastAdministratorStays(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		var ids []int64
		for i := range 2 {
			st, err := s.staff.Create(ctx, models.StaffInput{Email: fmt.Sprintf("admin%d@example.org", i), Name: "Admin",
				Role: models.RoleAdmin, Password: "a long enough password"}, models.SystemActor)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, st.ID)
		}
		errs := race(2, func(i int) error {
			return s.staff.SetRole(ctx, ids[i], models.RoleReviewer, models.StaffActor(ids[1-i], "test"))
		})
		if wins := tally(t, errs, models.ErrLastAdmin); wins != 1 {
			t.Fatalf("%d demotions, want 1", wins)
		}
		var admins int64
		s.db.Model(&models.Staff{}).Where("role = ?", models.RoleAdmin).Count(&admins)
		if admins != 1 {
			t.Fatalf("%d administrators left", admins)
		}
	})
}

// An authenticator code opens one session, however many posts race with it.
func TestSecondStepCodeWorksOnce(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		st, err := s.staff.Create(ctx, models.StaffInput{Email: "twostep@example.org", Name: "Admin",
			Role: models.RoleAdmin, Password: "a long enough password"}, models.SystemActor)
		if err != nil {
			t.Fatal(err)
		}
		setup, err := s.staff.NewTwoStep(st, "Test")
		if err != nil {
			t.Fatal(err)
		}
		now, _ := totp.GenerateCode(setup.Secret, time.Now())
		if _, err := s.staff.ConfirmTwoStep(ctx, st.ID, setup.Sealed, now, models.SystemActor); err != nil {
			t.Fatal(err)
		}
		next, _ := totp.GenerateCode(setup.Secret, time.Now().Add(30*time.Second))
		errs := race(4, func(int) error {
			_, err := s.staff.SecondStep(ctx, st.ID, next, models.Client{})
			return err
		})
		if wins := tally(t, errs, models.ErrCodeInvalid); wins != 1 {
			t.Fatalf("%d sessions from one code, want 1", wins)
		}
	})
}

// The clock stops once: of many simultaneous questions one pauses the
// request, and there is one open pause.
func TestOnePauseWins(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		staffActor := s.officer(t)
		id := s.submitIn(t, "GB", "", "pause-race@example.org", "access").Submission.Requests[0].ID
		if err := s.reqs.Move(ctx, id, models.Transition{To: models.StatusVerified}, staffActor); err != nil {
			t.Fatal(err)
		}
		errs := race(racers, func(i int) error {
			return s.reqs.AskForInformation(ctx, id, "identity", fmt.Sprintf("Question %d", i), staffActor)
		})
		if wins := tally(t, errs, models.ErrPauseState); wins != 1 {
			t.Fatalf("%d pauses, want 1", wins)
		}
		var pauses, events int64
		s.db.Model(&models.RequestPause{}).Where("request_id = ?", id).Count(&pauses)
		s.db.Model(&models.Event{}).Where("request_id = ? AND kind = ?", id, models.EventPaused).Count(&events)
		if pauses != 1 || events != 1 {
			t.Fatalf("%d pause rows, %d pause events", pauses, events)
		}
	})
}

// It restarts once: of many simultaneous answers one moves the deadline,
// by the paused days and no more.
func TestOneResumeWins(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		staffActor := s.officer(t)
		start := time.Date(2026, 3, 2, 18, 0, 0, 0, time.UTC)
		s.at(start)
		res := s.submitIn(t, "GB", "", "resume-race@example.org", "access")
		id := res.Submission.Requests[0].ID
		if err := s.reqs.Move(ctx, id, models.Transition{To: models.StatusVerified}, staffActor); err != nil {
			t.Fatal(err)
		}
		before := s.request(t, id).DueAt
		if err := s.reqs.AskForInformation(ctx, id, "identity", "Your date of birth?", staffActor); err != nil {
			t.Fatal(err)
		}
		s.at(start.Add(4 * 24 * time.Hour)) // answered four days later: five days do not count
		errs := race(racers, func(i int) error {
			if i%4 == 3 {
				return s.reqs.Resume(ctx, id, "By phone.", staffActor)
			}
			return s.subs.Answer(ctx, res.TrackingToken, id, "1 April 1990", models.RequesterActor("test"))
		})
		if wins := tally(t, errs, models.ErrNotPaused); wins != 1 {
			t.Fatalf("%d restarts, want 1", wins)
		}
		r := s.request(t, id)
		if r.PausedDays != 5 || !r.DueAt.Equal(before.AddDate(0, 0, 5)) || r.Status != models.StatusVerified {
			t.Fatalf("after the race: %s, due %s (was %s), %d days", r.Status, r.DueAt, before, r.PausedDays)
		}
		var resumed int64
		s.db.Model(&models.Event{}).Where("request_id = ? AND kind = ?", id, models.EventResumed).Count(&resumed)
		if resumed != 1 {
			t.Fatalf("%d restart events", resumed)
		}
	})
}

// An answer racing a withdrawal: a withdrawal while the clock stands
// closes the pause and the late answer is refused; an answer first
// restarts the clock once, and the withdrawal then applies to the running
// request or is refused as a change of state. Never a restart after a
// withdrawal, never an open pause on a closed request.
func TestAnswerOrWithdrawal(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		staffActor := s.officer(t)
		for round := range 6 {
			res := s.submitIn(t, "GB", "", fmt.Sprintf("either%d@example.org", round), "access")
			id := res.Submission.Requests[0].ID
			if err := s.reqs.Move(ctx, id, models.Transition{To: models.StatusVerified}, staffActor); err != nil {
				t.Fatal(err)
			}
			if err := s.reqs.AskForInformation(ctx, id, "identity", "Who?", staffActor); err != nil {
				t.Fatal(err)
			}
			errs := race(2, func(i int) error {
				if i == 0 {
					return s.subs.Answer(ctx, res.TrackingToken, id, "Me.", models.RequesterActor("test"))
				}
				return s.subs.Withdraw(ctx, res.TrackingToken, id, models.RequesterActor("test"))
			})
			if wins := tally(t, errs, models.ErrNotPaused, models.ErrInvalidState); wins == 0 {
				t.Fatalf("round %d: neither won (%v)", round, errs)
			}
			var open, resumed int64
			s.db.Model(&models.RequestPause{}).Where("request_id = ? AND ended_at IS NULL", id).Count(&open)
			s.db.Model(&models.Event{}).Where("request_id = ? AND kind = ?", id, models.EventResumed).Count(&resumed)
			r := s.request(t, id)
			answered, withdrew := errs[0] == nil, errs[1] == nil
			switch {
			case open != 0:
				t.Fatalf("round %d: the pause is still open", round)
			case answered != (resumed == 1) || resumed > 1:
				t.Fatalf("round %d: answer %v, %d restarts", round, errs[0], resumed)
			case withdrew != (r.Status == models.StatusWithdrawn):
				t.Fatalf("round %d: withdrawal %v, status %s", round, errs[1], r.Status)
			case !answered && !withdrew:
				t.Fatalf("round %d: both refused", round)
			}
		}
	})
}

// One open complaint per person, however many are posted at once.
func TestOneOpenComplaint(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		s.at(time.Date(2026, 7, 1, 17, 0, 0, 0, time.UTC))
		res := s.submitIn(t, "GB", "", "complaint-race@example.org", "access")
		errs := race(racers, func(i int) error {
			return s.compl.Complain(ctx, res.TrackingToken, fmt.Sprintf("Complaint %d", i), models.RequesterActor("test"))
		})
		if wins := tally(t, errs, models.ErrComplaintOpen); wins != 1 {
			t.Fatalf("%d complaints, want 1", wins)
		}
		var n, mails int64
		s.db.Model(&models.Request{}).Where("kind = ?", models.KindComplaint).Count(&n)
		s.db.Model(&models.OutboxMessage{}).Where("template = ?", models.MailComplaintReceived).Count(&mails)
		if n != 1 || mails != 1 {
			t.Fatalf("%d complaints, %d acknowledgements", n, mails)
		}
	})
}

// Two saves of the settings made on the same version: one wins, the other
// is told someone else saved; another instance picks the winner up.
func TestOneSettingsSaveWins(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		defaults := models.OrgSettings{Name: "Acme", ContactEmail: "privacy@acme.example", TimeZone: "America/Los_Angeles",
			Calendar: "us-ca", ResponseDays: 45, ExtensionDays: 45, OtherRights: []string{"access"}, BrandColor: "#1d4e89"}
		mine, theirs := models.NewSettings(s.core, defaults), models.NewSettings(s.core, defaults)
		officer := s.officer(t)
		errs := race(racers, func(i int) error {
			in := defaults
			in.Name = fmt.Sprintf("Acme %d", i)
			return mine.Save(ctx, in, 0, officer)
		})
		if wins := tally(t, errs, models.ErrSettingsChanged); wins != 1 {
			t.Fatalf("%d saves on version 0, want 1", wins)
		}
		if err := theirs.Load(ctx); err != nil || theirs.Current().Version != 1 || theirs.Current().Name != mine.Current().Name {
			t.Fatalf("the other instance has %+v %v", theirs.Current(), err)
		}
	})
}

// An open request is only ever held by an active member who works
// requests. Assignments to a member, and reassignments of their requests
// to another, race the member's deactivation or move to auditor; after
// each round no open request is held by anyone who cannot work it. The
// members are reviewers, then administrators (whose changes lock every
// administrator's row: an assignment to another administrator must not
// deadlock with it).
func TestAssigneeAlwaysWorks(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		me := s.officer(t)
		var open []int64
		for i := range 6 {
			sub := s.submitIn(t, "US", "CA", fmt.Sprintf("held%d@example.org", i), "access", "delete", "correct")
			for _, r := range sub.Submission.Requests {
				open = append(open, r.ID)
			}
		}
		for round := range 8 {
			role := models.RoleReviewer
			if round >= 4 {
				role = models.RoleAdmin
			}
			m := s.member(t, fmt.Sprintf("leaving%d@example.org", round), "Leaving", role)
			other := s.member(t, fmt.Sprintf("staying%d@example.org", round), "Staying", role)
			// Some of the member's requests before the race, to reassign.
			for _, id := range open[:4] {
				if err := s.reqs.Assign(ctx, id, m.ID, me); err != nil {
					t.Fatal(err)
				}
			}
			errs := race(racers+1, func(i int) error {
				if i == racers {
					if round%2 == 0 {
						return s.staff.Deactivate(ctx, m.ID, me)
					}
					return s.staff.SetRole(ctx, m.ID, models.RoleAuditor, me)
				}
				target := m.ID
				if i%4 == 3 {
					target = other.ID
				}
				return s.reqs.Assign(ctx, open[(i*5+round)%len(open)], target, me)
			})
			tally(t, errs, models.ErrAssigneeInvalid)
			if errs[racers] != nil {
				t.Fatalf("round %d: the member could not leave: %v", round, errs[racers])
			}
			var held []int64
			if err := s.db.Raw("SELECT requests.id FROM requests JOIN staff ON staff.id = requests.assignee_id " +
				"WHERE requests.status IN ('awaiting_verification', 'verified', 'in_progress', 'awaiting_information') " +
				"AND (staff.disabled_at IS NOT NULL OR staff.role NOT IN ('admin', 'officer', 'reviewer'))").Scan(&held).Error; err != nil {
				t.Fatal(err)
			}
			if len(held) > 0 {
				t.Fatalf("round %d: open requests %v held by a member who cannot work them", round, held)
			}
		}
	})
}
