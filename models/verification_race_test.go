package models_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/rightsdesk/rightsdesk/internal/verify"
	"github.com/rightsdesk/rightsdesk/models"
)

// Guesses are counted before anything is compared: of many wrong answers
// posted at once, exactly MaxIdentityAttempts are compared, the last sends
// the check to staff, and every other post is refused without a compare.
func TestIdentityGuessesCountedBeforeComparing(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		v, _ := s.verifier(t)
		importRecords(t, v, s.officer(t), recordsCSV)
		res := s.submitCA(t, "jordan@example.org", "delete")
		wrong := right
		wrong.Values = map[string]string{"name": "Someone Else", "phone": "2125550000", "postal_code": "10001"}
		reviews := 0
		errs := race(racers, func(int) error {
			out, err := v.Answer(ctx, res.TrackingToken, wrong, models.Client{})
			if err == nil && out.Review {
				return errReview
			}
			return err
		})
		for _, err := range errs {
			if err == errReview {
				reviews++
			}
		}
		if wins := tally(t, errs, errReview, models.ErrIdentityNoMatch, models.ErrIdentityLocked, models.ErrIdentityThrottled,
			models.ErrIdentityNothing); wins != 0 || reviews != 1 {
			t.Fatalf("%d passed, %d reviews", wins, reviews)
		}
		ch := s.checksOf(t, res.Submission.Requests[0].ID)[0]
		var compared int64
		s.db.Model(&models.AuditEntry{}).Where("action IN ? AND object_id = ?", []string{"identity.no_match", "identity.review"},
			res.Submission.Requests[0].ID).Count(&compared)
		// A try counted on a check another try had just decided finds it
		// decided and records nothing: at most the allowed number compared.
		if ch.Attempts != models.MaxIdentityAttempts || ch.Status != models.CheckReview || compared < 1 || compared > models.MaxIdentityAttempts {
			t.Fatalf("attempts %d, status %s, %d compared", ch.Attempts, ch.Status, compared)
		}
	})
}

var errReview = &models.Error{Kind: models.KindConflict, Key: "test.review"}

// A check has one outcome: of staff deciding it many ways at once, and the
// person answering meanwhile, one decision stands.
func TestIdentityOneOutcome(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		v, _ := s.verifier(t)
		staff := s.officer(t)
		res := s.submitCA(t, "outcome@example.org", "access")
		id := res.Submission.Requests[0].ID
		errs := race(racers, func(i int) error {
			switch i % 4 {
			case 0:
				return v.Decide(ctx, id, models.IdentityDecision{Outcome: models.DecideVerified, Note: "Called."}, staff)
			case 1:
				return v.Decide(ctx, id, models.IdentityDecision{Outcome: models.DecideFailed, Note: "No."}, staff)
			case 2:
				return v.Decide(ctx, id, models.IdentityDecision{Outcome: models.DecideCategories, Note: "Two matched."}, staff)
			}
			_, err := v.Answer(ctx, res.TrackingToken, right, models.Client{})
			if err == nil {
				return errReview // no records: to staff, not an outcome
			}
			return err
		})
		wins := tally(t, errs, errReview, models.ErrNoOpenCheck, models.ErrIdentityNothing, models.ErrInvalidState, models.ErrIdentityLocked)
		var decided int64
		s.db.Model(&models.IdentityCheck{}).Where("request_id = ? AND decided_at IS NOT NULL", id).Count(&decided)
		if wins != 1 || decided != 1 {
			t.Fatalf("%d decisions stood, %d checks decided", wins, decided)
		}
	})
}

// A new import replaces the active one at once: of imports finishing
// together, one is active at the end and only its rows remain; a file is
// imported once however many times it is posted.
func TestImportReplacedAtomically(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		v, _ := s.verifier(t)
		staff := s.officer(t)
		importRecords(t, v, staff, recordsCSV)
		const n = 4
		var ids []int64
		for i := range n {
			var b strings.Builder
			b.WriteString("email,name,phone,zip\n")
			for row := range 50 + i {
				fmt.Fprintf(&b, "p%d-%d@example.org,Person %d,415 555 %04d,94103\n", i, row, row, row)
			}
			imp, err := v.UploadRecords(ctx, strings.NewReader(b.String()), staff)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, imp.ID)
		}
		m := models.Mapping{Email: 0, Columns: map[verify.Field]int{verify.FieldName: 1, verify.FieldPhone: 2, verify.FieldPostalCode: 3}, Region: "US"}
		errs := race(n*3, func(i int) error {
			_, err := v.ImportRecords(ctx, ids[i%n], m, staff)
			return err
		})
		if wins := tally(t, errs, models.ErrImportState); wins != n {
			t.Fatalf("%d imports, want %d", wins, n)
		}
		var active []models.RecordImport
		s.db.Where("status = ?", models.ImportActive).Find(&active)
		var rows int64
		s.db.Table("verification_records").Count(&rows)
		if len(active) != 1 || int64(active[0].RowsAccepted) != rows {
			t.Fatalf("%d active, %d rows", len(active), rows)
		}
		var other int64
		s.db.Table("verification_records").Where("import_id <> ?", active[0].ID).Count(&other)
		if other != 0 {
			t.Fatalf("%d rows of replaced imports", other)
		}
	})
}

// Identity answers are limited per submission (identityAnswers: 10 posts
// an hour): the 11th valid post is refused as throttled before any try is
// counted, while another person's submission still answers.
func TestIdentityAnswersThrottled(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		v, _ := s.verifier(t)
		importRecords(t, v, s.officer(t), recordsCSV)
		res := s.submitCA(t, "jordan@example.org", "delete")
		id := res.Submission.Requests[0].ID
		wrong := right
		wrong.Values = map[string]string{"name": "Someone Else", "phone": "2125550000", "postal_code": "10001"}
		for i := 1; i <= 10; i++ {
			// Each check allows MaxIdentityAttempts tries: put it back, so
			// that only the submission's limit can refuse.
			s.db.Model(&models.IdentityCheck{}).Where("request_id = ?", id).Updates(map[string]any{"attempts": 0, "status": models.CheckPending})
			if _, err := v.Answer(ctx, res.TrackingToken, wrong, models.Client{}); !errors.Is(err, models.ErrIdentityNoMatch) {
				t.Fatalf("post %d: %v, want no match", i, err)
			}
		}
		s.db.Model(&models.IdentityCheck{}).Where("request_id = ?", id).Updates(map[string]any{"attempts": 0, "status": models.CheckPending})
		if _, err := v.Answer(ctx, res.TrackingToken, right, models.Client{}); !errors.Is(err, models.ErrIdentityThrottled) {
			t.Fatalf("11th post: %v, want throttled", err)
		}
		if ch := s.checksOf(t, id)[0]; ch.Attempts != 0 || ch.Status != models.CheckPending {
			t.Fatalf("a throttled post counted a try: attempts %d, status %s", ch.Attempts, ch.Status)
		}
		other := s.submitCA(t, "sam@example.org", "delete")
		if _, err := v.Answer(ctx, other.TrackingToken, wrong, models.Client{}); !errors.Is(err, models.ErrIdentityNoMatch) {
			t.Fatalf("another submission: %v, want no match", err)
		}
	})
}
