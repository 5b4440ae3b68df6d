package models_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/models"
)

// la is the default organization time zone of the tests' engine.
var la = func() *time.Location {
	l, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		panic(err)
	}
	return l
}()

// endOf is the last microsecond of a local date in Los Angeles, in UTC.
func endOf(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d+1, 0, 0, 0, 0, la).Add(-time.Microsecond).UTC()
}

func (d *domain) request(t *testing.T, id int64) models.Request {
	t.Helper()
	var r models.Request
	if err := d.db.Where("id = ?", id).Take(&r).Error; err != nil {
		t.Fatal(err)
	}
	return r
}

// A UK request's clock stops while staff wait for the person and restarts
// when they answer: the pause, its reason and both dates are recorded, the
// deadline moves by exactly the days it stood, the extension waits for the
// restart and then keeps those days.
func TestUKClockStopsAndRestarts(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		staff := s.officer(t)
		s.at(time.Date(2026, 3, 15, 17, 0, 0, 0, time.UTC)) // 15 March, 10:00 in Los Angeles
		res := s.submitIn(t, "GB", "", "pause@example.org", "access", "delete")
		access, del := res.Submission.Requests[0].ID, res.Submission.Requests[1].ID
		for _, id := range []int64{access, del} {
			if err := s.reqs.Move(ctx, id, models.Transition{To: models.StatusVerified}, staff); err != nil {
				t.Fatal(err)
			}
		}
		if got := s.request(t, access).DueAt; !got.Equal(endOf(2026, 4, 15)) {
			t.Fatalf("due %s", got.In(la))
		}
		// Clarification is for access only; identity for both.
		if err := s.reqs.AskForInformation(ctx, del, "clarify", "Which account?", staff); models.KindOf(err) != models.KindInvalid {
			t.Fatalf("clarify a deletion: %v", err)
		}
		if err := s.reqs.AskForInformation(ctx, access, "identity", "  ", staff); models.KindOf(err) != models.KindInvalid {
			t.Fatalf("empty question: %v", err)
		}
		s.at(time.Date(2026, 3, 20, 17, 0, 0, 0, time.UTC))
		if err := s.reqs.AskForInformation(ctx, access, "clarify", "Which of your two accounts do you mean?", staff); err != nil {
			t.Fatal(err)
		}
		r := s.request(t, access)
		if r.Status != models.StatusAwaitingInformation || !r.DueAt.Equal(endOf(2026, 4, 15)) {
			t.Fatalf("paused: %s due %s", r.Status, r.DueAt.In(la))
		}
		if err := s.reqs.AskForInformation(ctx, access, "clarify", "Again?", staff); !errors.Is(err, models.ErrPauseState) {
			t.Fatalf("second pause: %v", err)
		}
		if err := s.reqs.Extend(ctx, access, "volume", staff); !errors.Is(err, models.ErrExtensionPaused) {
			t.Fatalf("extension while paused: %v", err)
		}
		// A stopped clock is not pressing, and not in the digest.
		d, err := s.reqs.Get(ctx, access)
		if err != nil || !d.Urgency.Paused || d.Urgency.Level != "" || len(d.PauseReasons) != 0 {
			t.Fatalf("detail while paused: %+v %v", d.Urgency, err)
		}
		var mails int64
		s.db.Model(&models.OutboxMessage{}).Where("template = ? AND to_addr = ?", models.MailInformationRequested, "pause@example.org").Count(&mails)
		if mails != 1 {
			t.Fatalf("%d information-requested mails", mails)
		}
		// The digest, a day before the old deadline, leaves the paused request out.
		s.at(time.Date(2026, 4, 14, 17, 0, 0, 0, time.UTC))
		if _, err := models.NewDigest(s.core).Queue(ctx, true); err != nil {
			t.Fatal(err)
		}
		var digests []models.OutboxMessage
		s.db.Where("template = ?", models.MailStaffDigest).Find(&digests)
		for _, m := range digests {
			if strings.Contains(m.Data, res.Submission.Reference) && strings.Contains(m.Data, fmt.Sprintf("/admin/requests/%d\"", access)) {
				t.Fatal("the digest lists a request whose clock is stopped")
			}
		}
		if len(digests) == 0 {
			t.Fatal("no digest: the deletion request, due the next day, should be in it")
		}

		// The person answers on 29 March: 20 to 29 March do not count (10 days).
		s.at(time.Date(2026, 3, 30, 0, 30, 0, 0, time.UTC)) // 29 March, 17:30 in Los Angeles
		if err := s.subs.Answer(ctx, res.TrackingToken, access, "The one ending 4411.", models.RequesterActor("test")); err != nil {
			t.Fatal(err)
		}
		r = s.request(t, access)
		if r.Status != models.StatusVerified || !r.DueAt.Equal(endOf(2026, 4, 25)) || r.PausedDays != 10 {
			t.Fatalf("resumed: %s due %s paused %d", r.Status, r.DueAt.In(la), r.PausedDays)
		}
		if err := s.subs.Answer(ctx, res.TrackingToken, access, "again", models.RequesterActor("test")); !errors.Is(err, models.ErrNotPaused) {
			t.Fatalf("second answer: %v", err)
		}
		d, _ = s.reqs.Get(ctx, access)
		if len(d.Pauses) != 1 {
			t.Fatalf("%d pauses", len(d.Pauses))
		}
		p := d.Pauses[0]
		if p.Reason != "clarify" || p.EndedAt == nil || p.Days != 10 || p.EndedBy != models.PauseEndedByAnswer ||
			!p.DueBefore.Equal(endOf(2026, 4, 15)) || p.DueAfter == nil || !p.DueAfter.Equal(endOf(2026, 4, 25)) {
			t.Fatalf("pause record %+v", p)
		}
		var kinds []string
		for _, e := range d.Request.Events {
			kinds = append(kinds, e.Kind)
		}
		if fmt.Sprint(kinds) != "[received status paused resumed]" {
			t.Fatalf("timeline %v", kinds)
		}
		// Extended afterwards: two months from the moved deadline.
		if err := s.reqs.Extend(ctx, access, "Two archives to search.", staff); err != nil {
			t.Fatal(err)
		}
		if r = s.request(t, access); !r.DueAt.Equal(endOf(2026, 6, 25)) {
			t.Fatalf("extended to %s", r.DueAt.In(la))
		}

		// Staff may restart the clock when the answer came another way; a
		// withdrawal while waiting closes the pause.
		if err := s.reqs.AskForInformation(ctx, del, "identity", "Please confirm your date of birth.", staff); err != nil {
			t.Fatal(err)
		}
		if err := s.reqs.Resume(ctx, del, "", staff); models.KindOf(err) != models.KindInvalid {
			t.Fatalf("resume without a note: %v", err)
		}
		if err := s.reqs.Resume(ctx, del, "Confirmed by phone.", staff); err != nil {
			t.Fatal(err)
		}
		if err := s.reqs.AskForInformation(ctx, del, "identity", "And your postcode?", staff); err != nil {
			t.Fatal(err)
		}
		if err := s.subs.Withdraw(ctx, res.TrackingToken, del, models.RequesterActor("test")); err != nil {
			t.Fatal(err)
		}
		var open int64
		s.db.Model(&models.RequestPause{}).Where("request_id = ? AND ended_at IS NULL", del).Count(&open)
		if open != 0 {
			t.Fatal("a pause stayed open on a withdrawn request")
		}
	})
}

// Only where the law lets a clock stop, and only while work is under way.
func TestClockStopsOnlyWhereTheLawSays(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		staff := s.officer(t)
		eu := s.submitIn(t, "DE", "", "eu@example.org", "access").Submission.Requests[0].ID
		_ = s.reqs.Move(ctx, eu, models.Transition{To: models.StatusVerified}, staff)
		if err := s.reqs.AskForInformation(ctx, eu, "identity", "Who are you?", staff); !errors.Is(err, models.ErrPauseNotAllowed) {
			t.Fatalf("EU: %v", err)
		}
		uk := s.submitIn(t, "GB", "", "uk@example.org", "access", "unsubscribe").Submission.Requests
		if err := s.reqs.AskForInformation(ctx, uk[0].ID, "identity", "Who are you?", staff); !errors.Is(err, models.ErrPauseState) {
			t.Fatalf("before the e-mail is confirmed: %v", err)
		}
		if err := s.reqs.AskForInformation(ctx, uk[1].ID, "identity", "Who are you?", staff); !errors.Is(err, models.ErrPauseNotAllowed) {
			t.Fatalf("an unsubscribe: %v", err)
		}
	})
}

// Colorado may extend an appeal by 60 days with notice; Oregon may not.
// An appeal is denied only by upholding the decision, with reasons.
func TestAppealExtensionsAndDenials(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		staff := s.officer(t)
		s.at(time.Date(2026, 5, 1, 16, 0, 0, 0, time.UTC)) // 1 May, 9:00 in Los Angeles
		appeal := func(state string) int64 {
			res := s.submitIn(t, "US", state, state+"@example.org", "delete")
			id := res.Submission.Requests[0].ID
			if err := s.reqs.Move(ctx, id, models.Transition{To: models.StatusDenied, DenialReason: "exemption"}, staff); err != nil {
				t.Fatal(err)
			}
			if err := s.appeals.Appeal(ctx, res.TrackingToken, id, "I disagree.", models.RequesterActor("test")); err != nil {
				t.Fatal(err)
			}
			var a models.Request
			s.db.Where("appeal_of_id = ?", id).Take(&a)
			return a.ID
		}
		co, or := appeal("CO"), appeal("OR")
		if d, _ := s.reqs.Get(ctx, co); d.Extension != nil || !d.Request.DueAt.Equal(endOf(2026, 6, 15)) {
			t.Fatalf("Colorado appeal: %v due %s", d.Extension, d.Request.DueAt.In(la))
		}
		if err := s.reqs.Extend(ctx, co, "Records at a contractor.", staff); err != nil {
			t.Fatal(err)
		}
		if r := s.request(t, co); !r.DueAt.Equal(endOf(2026, 8, 14)) {
			t.Fatalf("Colorado appeal extended to %s, want 14 August (45 + 60 days)", r.DueAt.In(la))
		}
		if err := s.reqs.Extend(ctx, or, "busy", staff); !errors.Is(err, models.ErrExtensionNotAllowed) {
			t.Fatalf("Oregon appeal extension: %v", err)
		}
		if err := s.reqs.Move(ctx, or, models.Transition{To: models.StatusDenied, DenialReason: "exemption"}, staff); models.KindOf(err) != models.KindInvalid {
			t.Fatalf("an appeal denied for a request's reason: %v", err)
		}
		if err := s.reqs.Move(ctx, or, models.Transition{To: models.StatusDenied, DenialReason: "upheld"}, staff); models.KindOf(err) != models.KindInvalid {
			t.Fatalf("upheld without reasons: %v", err)
		}
		if err := s.reqs.Move(ctx, or, models.Transition{To: models.StatusDenied, DenialReason: "upheld", Detail: "The records fall under ORS 646A.572."}, staff); err != nil {
			t.Fatal(err)
		}
	})
}

// UK complaints from 19 June 2026: acknowledged at once, with their own
// clock and queue, answered with an outcome, never denied.
func TestComplaints(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		staff := s.officer(t)
		s.at(time.Date(2026, 6, 18, 16, 0, 0, 0, time.UTC))
		res := s.submitIn(t, "GB", "", "complain@example.org", "access")
		if err := s.compl.Complain(ctx, res.TrackingToken, "You lost my letter.", models.RequesterActor("test")); !errors.Is(err, models.ErrNoComplaints) {
			t.Fatalf("before 19 June 2026: %v", err)
		}
		s.at(time.Date(2026, 6, 20, 17, 0, 0, 0, time.UTC)) // 20 June, 10:00 in Los Angeles
		if err := s.compl.Complain(ctx, res.TrackingToken, " ", models.RequesterActor("test")); models.KindOf(err) != models.KindInvalid {
			t.Fatalf("empty complaint: %v", err)
		}
		if err := s.compl.Complain(ctx, res.TrackingToken, "You sent my data to the wrong address.", models.RequesterActor("test")); err != nil {
			t.Fatal(err)
		}
		if err := s.compl.Complain(ctx, res.TrackingToken, "And another thing.", models.RequesterActor("test")); !errors.Is(err, models.ErrComplaintOpen) {
			t.Fatalf("second open complaint: %v", err)
		}
		var c models.Request
		s.db.Where("kind = ? AND submission_id = ?", models.KindComplaint, res.Submission.ID).Take(&c)
		if c.Right != "complaint" || c.Status != models.StatusVerified || c.AcknowledgedAt == nil ||
			c.AckDueAt == nil || !c.AckDueAt.Equal(endOf(2026, 7, 19)) || !c.DueAt.Equal(endOf(2026, 7, 20)) {
			t.Fatalf("complaint %+v", c)
		}
		page, err := s.reqs.Queue(ctx, models.QueueFilter{Kind: models.KindComplaint})
		if err != nil || len(page.Items) != 1 {
			t.Fatalf("complaints queue: %d %v", len(page.Items), err)
		}
		if d, _ := s.reqs.Get(ctx, c.ID); d.Extension == nil || len(d.PauseReasons) != 0 {
			t.Fatal("a complaint offers an extension or a pause")
		}
		if err := s.reqs.Move(ctx, c.ID, models.Transition{To: models.StatusDenied, DenialReason: "other", Detail: "no"}, staff); !errors.Is(err, models.ErrInvalidState) {
			t.Fatalf("a complaint denied: %v", err)
		}
		if err := s.reqs.Move(ctx, c.ID, models.Transition{To: models.StatusCompleted}, staff); models.KindOf(err) != models.KindInvalid {
			t.Fatalf("answered without an outcome: %v", err)
		}
		if err := s.reqs.Move(ctx, c.ID, models.Transition{To: models.StatusCompleted, Detail: "We corrected the address and apologise."}, staff); err != nil {
			t.Fatal(err)
		}
		// Once answered, the person may complain again.
		if err := s.compl.Complain(ctx, res.TrackingToken, "Now a new problem.", models.RequesterActor("test")); err != nil {
			t.Fatal(err)
		}
		// Elsewhere there is no complaint to make.
		eu := s.submitIn(t, "DE", "", "eu-complain@example.org", "access")
		if err := s.compl.Complain(ctx, eu.TrackingToken, "Hello", models.RequesterActor("test")); !errors.Is(err, models.ErrNoComplaints) {
			t.Fatalf("EU complaint: %v", err)
		}
	})
}
