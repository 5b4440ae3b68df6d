package models_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/rules"
	"github.com/rightsdesk/rightsdesk/internal/testenv"
	"github.com/rightsdesk/rightsdesk/models"
	"gorm.io/gorm"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// eachDB runs fn on a fresh SQLite and a fresh PostgreSQL database.
// domain is every aggregate over one core, for tests.
type domain struct {
	core    *models.Core
	subs    *models.Submissions
	reqs    *models.Requests
	appeals *models.Appeals
	compl   *models.Complaints
	staff   *models.StaffAccounts
	outbox  *models.Outbox
	limits  *models.Limits
	db      *gorm.DB
}

func newDomain(t testing.TB, db *gorm.DB) *domain {
	engine, err := rules.New(rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	core, err := models.NewCore(db, engine, models.Keys{Token: []byte("0123456789abcdef0123456789abcdef"),
		Seal: []byte("fedcba9876543210fedcba9876543210")}, "http://rd.test")
	if err != nil {
		t.Fatal(err)
	}
	return &domain{core: core, subs: models.NewSubmissions(core), reqs: models.NewRequests(core),
		appeals: models.NewAppeals(core), compl: models.NewComplaints(core), staff: models.NewStaffAccounts(core), outbox: models.NewOutbox(core),
		limits: models.NewLimits(core), db: db}
}

func (d *domain) at(t time.Time) { d.core.SetClock(func() time.Time { return t }) }

func eachDB(t *testing.T, fn func(t *testing.T, s *domain)) {
	for _, d := range []string{"sqlite", "postgres"} {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			var url string
			if d == "postgres" {
				url = testenv.Postgres(t)
			}
			db, err := models.Open(url, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			sqlDB, _ := db.DB()
			t.Cleanup(func() { sqlDB.Close() })
			if _, err := models.Migrate(context.Background(), db); err != nil {
				t.Fatal(err)
			}
			// Migrating again is a no-op.
			if applied, err := models.Migrate(context.Background(), db); err != nil || len(applied) != 0 {
				t.Fatalf("second migrate: %v %v", applied, err)
			}
			fn(t, newDomain(t, db))
		})
	}
}

func input(email string, rights ...string) models.SubmissionInput {
	return models.SubmissionInput{OnBehalf: "self", Country: "GB", Rights: rights, Name: "Sam Doe", Email: email,
		Relationship: "customer"}
}

// Keyset pagination walks every open request exactly once, in order, for
// each sort.
func TestQueuePagination(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		for i := range 23 {
			at := base.Add(time.Duration(i%7) * 24 * time.Hour) // ties on purpose
			s.at(at)
			if _, err := s.subs.Submit(ctx, input(fmt.Sprintf("p%d@example.org", i), "access"), models.SystemActor); err != nil {
				t.Fatal(err)
			}
		}
		for _, sort := range []string{models.SortUrgent, models.SortNewest, models.SortOldest} {
			seen := map[int64]bool{}
			var prev *models.QueueItem
			after := ""
			pages := 0
			for {
				page, err := s.reqs.Queue(ctx, models.QueueFilter{Sort: sort, After: after, Limit: 5})
				if err != nil {
					t.Fatal(err)
				}
				pages++
				for i := range page.Items {
					it := page.Items[i]
					if seen[it.ID] {
						t.Fatalf("%s: %d twice", sort, it.ID)
					}
					seen[it.ID] = true
					if prev != nil {
						a, b := prev.DueAt, it.DueAt
						if sort != models.SortUrgent {
							a, b = prev.ReceivedAt, it.ReceivedAt
						}
						if sort == models.SortNewest {
							a, b = b, a
						}
						if b.Before(a) {
							t.Fatalf("%s: out of order", sort)
						}
					}
					prev = &it
				}
				if page.Next == "" {
					break
				}
				after = page.Next
			}
			if len(seen) != 23 || pages != 5 {
				t.Fatalf("%s: %d rows over %d pages", sort, len(seen), pages)
			}
			prev = nil
		}
		if _, err := s.reqs.Queue(ctx, models.QueueFilter{After: "garbage!"}); err == nil {
			t.Fatal("bad cursor accepted")
		}
	})
}

// A failure inside Submit leaves nothing behind.
func TestSubmitIsAtomic(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		in := input("atomic@example.org", "access")
		in.IdempotencyKey = "same"
		if _, err := s.subs.Submit(ctx, in, models.SystemActor); err != nil {
			t.Fatal(err)
		}
		if _, err := s.subs.Submit(ctx, in, models.SystemActor); !errors.Is(err, models.ErrDuplicate) {
			t.Fatalf("want ErrDuplicate, got %v", err)
		}
		for table, want := range map[string]int64{"submissions": 1, "requests": 1, "outbox": 1, "email_verifications": 1} {
			var n int64
			s.db.Table(table).Count(&n)
			if n != want {
				t.Fatalf("%s: %d rows, want %d", table, n, want)
			}
		}
	})
}

// The outbox hands a message to one worker at a time and takes it back
// when the lease runs out.
func TestOutboxLease(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		if _, err := s.subs.Submit(ctx, input("lease@example.org", "access"), models.SystemActor); err != nil {
			t.Fatal(err)
		}
		ob := s.outbox
		now := time.Now().UTC()
		first, err := ob.Claim(ctx, now, 10, time.Minute)
		if err != nil || len(first) != 1 {
			t.Fatalf("claim: %v %v", first, err)
		}
		if again, _ := ob.Claim(ctx, now, 10, time.Minute); len(again) != 0 {
			t.Fatal("claimed twice within the lease")
		}
		late, _ := ob.Claim(ctx, now.Add(2*time.Minute), 10, time.Minute)
		if len(late) != 1 {
			t.Fatal("not reclaimed after the lease")
		}
		if err := ob.MarkSent(ctx, late[0].ID, late[0].Token, now); err != nil {
			t.Fatal(err)
		}
		var m models.OutboxMessage
		s.db.First(&m, first[0].ID)
		if m.Status != "sent" || m.Data != "{}" {
			t.Fatalf("sent message keeps %q / %q", m.Status, m.Data)
		}
	})
}

func TestPasswords(t *testing.T) {
	h := models.HashPassword("correct horse battery staple")
	if !models.CheckPassword(h, "correct horse battery staple") || models.CheckPassword(h, "wrong") || models.CheckPassword("garbage", "x") {
		t.Fatal("argon2id check wrong")
	}
	if h == models.HashPassword("correct horse battery staple") {
		t.Fatal("hash not salted")
	}
}

func TestNormalizeReference(t *testing.T) {
	for in, want := range map[string]string{"rd-7k3m-q9xd": "RD-7K3M-Q9XD", " RD 7K3M Q9XD ": "RD-7K3M-Q9XD", "rd7k3mq9xd": "RD-7K3M-Q9XD"} {
		if got := models.NormalizeReference(in); got != want {
			t.Errorf("%q → %q", in, got)
		}
	}
}

// Staff set-up works once, with a live token.
func TestSetup(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		tok, err := s.staff.NewSetupToken(ctx)
		if err != nil || tok == "" {
			t.Fatal(err)
		}
		in := models.StaffInput{Email: "a@example.org", Name: "A", Password: "long enough password"}
		if _, _, err := s.staff.CompleteSetup(ctx, "wrong", in, models.Client{}); !errors.Is(err, models.ErrSetupInvalid) {
			t.Fatalf("wrong token: %v", err)
		}
		if _, _, err := s.staff.CompleteSetup(ctx, tok, in, models.Client{}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.staff.CompleteSetup(ctx, tok, in, models.Client{}); !errors.Is(err, models.ErrSetupDone) {
			t.Fatalf("reuse: %v", err)
		}
		if tok, _ := s.staff.NewSetupToken(ctx); tok != "" {
			t.Fatal("setup token issued while staff exists")
		}
		if _, err := s.staff.Authenticate(ctx, "A@example.org", "long enough password", models.Client{}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.staff.Authenticate(ctx, "a@example.org", "nope", models.Client{}); !errors.Is(err, models.ErrBadLogin) {
			t.Fatal(err)
		}
	})
}

// Housekeeping deletes what expired and keeps what is live.
func TestHousekeeping(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		if _, _, err := s.limits.Allow(ctx, models.Limit{Name: "old", Max: 1, Window: time.Microsecond}, "x"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.limits.Allow(ctx, models.Limit{Name: "live", Max: 1, Window: time.Hour}, "x"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
		if err := models.NewHousekeeping(s.core).Once(ctx); err != nil {
			t.Fatal(err)
		}
		var n int64
		s.db.Table("rate_limits").Count(&n)
		if n != 1 {
			t.Fatalf("%d counters left, want the live one", n)
		}
	})
}
