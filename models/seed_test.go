package models

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/rules"
	"github.com/rightsdesk/rightsdesk/internal/testenv"
	"gorm.io/gorm"
)

// openTestDB opens a fresh, migrated database of the given dialect.
func openTestDB(t testing.TB, dialect string) *gorm.DB {
	t.Helper()
	db := openEmptyDB(t, dialect)
	if _, err := Migrate(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	return db
}

// openEmptyDB opens a fresh database of the given dialect, unmigrated.
func openEmptyDB(t testing.TB, dialect string) *gorm.DB {
	t.Helper()
	var url string
	if dialect == "postgres" {
		url = testenv.Postgres(t)
	}
	db, err := Open(url, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, _ := db.DB()
	t.Cleanup(func() { sqlDB.Close() })
	return db
}

func testCore(t testing.TB, db *gorm.DB) *Core {
	t.Helper()
	engine, err := rules.New(rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCore(db, engine, Keys{Token: []byte("0123456789abcdef0123456789abcdef"),
		Seal: []byte("fedcba9876543210fedcba9876543210")}, "http://rd.test")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Seeded data is what the app itself would have written: valid references
// and tracking links, deadlines from the rules engine, statuses spread
// like a real organization's, a received event per request, no mail. A
// second run into the same database (by multi-row INSERT on PostgreSQL
// this time) continues where the first stopped.
func TestSeed(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			db := openTestDB(t, dialect)
			c := testCore(t, db)
			ctx := context.Background()
			now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
			c.SetClock(func() time.Time { return now })
			first, err := Seed(ctx, c, SeedOptions{Requests: 3000, RandSeed: 1})
			if err != nil {
				t.Fatal(err)
			}
			second, err := Seed(ctx, c, SeedOptions{Requests: 700, RandSeed: 2, NoCopy: true})
			if err != nil {
				t.Fatal(err)
			}
			if first.Requests != 3000 || second.Requests != 700 || first.Events != 3000 {
				t.Fatalf("seeded %+v then %+v", first, second)
			}
			count := func(table, where string, args ...any) int {
				var n int64
				q := db.Table(table)
				if where != "" {
					q = q.Where(where, args...)
				}
				if err := q.Count(&n).Error; err != nil {
					t.Fatal(err)
				}
				return int(n)
			}
			if n := count("requests", ""); n != 3700 {
				t.Fatalf("%d requests", n)
			}
			if n := count("submissions", ""); n != first.Submissions+second.Submissions || n < 3700/3 || n > 3700*9/10 {
				t.Fatalf("%d submissions for 3700 requests", n)
			}
			if n := count("events", "kind = ?", EventReceived); n != 3700 {
				t.Fatalf("%d received events", n)
			}
			if n := count("outbox", ""); n != 0 {
				t.Fatalf("%d mails queued", n)
			}
			// Mostly closed, a few percent open, every status, a few appeals.
			open := count("requests", "status IN "+openStatusSQL)
			if open < 3700/100 || open > 3700/10 {
				t.Errorf("%d of 3700 open", open)
			}
			for _, st := range seedStatuses {
				if count("requests", "kind = ? AND status = ?", KindRequest, st) == 0 {
					t.Errorf("no %s request", st)
				}
			}
			if n := count("requests", "kind = ?", KindAppeal); n == 0 || n > 3700/20 {
				t.Errorf("%d appeals", n)
			}
			if n := count("requests", "received_at < ? OR received_at > ?", now.AddDate(-2, 0, -1), now); n != 0 {
				t.Errorf("%d requests received outside the last two years", n)
			}

			var subs []Submission
			if err := db.Order("id").Find(&subs).Error; err != nil {
				t.Fatal(err)
			}
			email := regexp.MustCompile(`^[a-z]+\.[a-z]+\.\d+@example\.(org|com|net)$`)
			var words []struct {
				Token        string
				SubmissionID int64
			}
			if err := db.Raw("SELECT token, submission_id FROM submission_names ORDER BY submission_id, token").Scan(&words).Error; err != nil {
				t.Fatal(err)
			}
			wordsOf := map[int64][]string{}
			for _, w := range words {
				wordsOf[w.SubmissionID] = append(wordsOf[w.SubmissionID], w.Token)
			}
			phones := 0
			for i, s := range subs {
				if NormalizeReference(s.Reference) != s.Reference || !email.MatchString(s.Email) || !ValidEmail(s.Email) {
					t.Fatalf("submission %d: reference %q, email %q", s.ID, s.Reference, s.Email)
				}
				// Searchable as insertSubmission makes a submission searchable.
				want := nameTokens(s.Name)
				slices.Sort(want)
				if !slices.Equal(wordsOf[s.ID], want) || s.PhoneTail != phoneTail(s.Phone) || s.Phone != "" && !validPhone(s.Phone) {
					t.Fatalf("submission %d (%q, %q): words %q, phone tail %q", s.ID, s.Name, s.Phone, wordsOf[s.ID], s.PhoneTail)
				}
				if s.Phone != "" {
					phones++
				}
				if i%97 != 0 {
					continue
				}
				// The sealed token opens under this core's keys, and the
				// tracking link finds the submission and its requests.
				link := c.trackURLOf(&s)
				token := strings.TrimPrefix(link, c.TrackURL(""))
				if link == "" || c.hash("track", token) != s.TrackingHash {
					t.Fatalf("submission %d: tracking token does not open", s.ID)
				}
				got, err := c.byTrackingToken(ctx, token)
				if err != nil || got.ID != s.ID || len(got.Requests) == 0 {
					t.Fatalf("submission %d by its tracking link: %v", s.ID, err)
				}
				for _, r := range got.Requests {
					if len(r.Events) == 0 || r.Events[0].Kind != EventReceived {
						t.Fatalf("request %d: no received event", r.ID)
					}
				}
			}

			if phones < len(subs)/5 || phones > len(subs)/2 {
				t.Errorf("%d of %d people gave a phone number", phones, len(subs))
			}
			// Most requests are assigned, each open one to an active member
			// who works requests; the fictional members cannot sign in.
			if n := count("requests", "assignee_id IS NULL"); n == 0 || n > 3700/4 {
				t.Errorf("%d of 3700 requests unassigned", n)
			}
			if n := count("requests JOIN staff ON staff.id = requests.assignee_id", "requests.status IN "+openStatusSQL+
				" AND (staff.disabled_at IS NOT NULL OR staff.role NOT IN "+workingRolesSQL+")"); n != 0 {
				t.Errorf("%d open requests held by members who cannot work them", n)
			}
			if n := count("staff", ""); n != seedStaffCount+1 {
				t.Errorf("%d staff after two seeds, want %d", n, seedStaffCount+1)
			}
			var hashes []string
			db.Model(&Staff{}).Pluck("password_hash", &hashes)
			for _, h := range hashes {
				if CheckPassword(h, "") || strings.HasPrefix(h, "$argon2id") {
					t.Errorf("a seeded member has a password: %q", h)
				}
			}

			// Deadlines are the rules engine's.
			var reqs []Request
			if err := db.Order("id").Find(&reqs).Error; err != nil {
				t.Fatal(err)
			}
			byID := map[int64]Request{}
			for _, r := range reqs {
				byID[r.ID] = r
			}
			for _, r := range reqs {
				j := rules.Jurisdiction(r.Jurisdiction)
				var due time.Time
				if r.Kind == KindAppeal {
					orig, ok := byID[*r.AppealOfID]
					if !ok || orig.Status != StatusDenied || orig.SubmissionID != r.SubmissionID || orig.Right != r.Right {
						t.Fatalf("appeal %d of %+v", r.ID, orig)
					}
					due, err = c.Rules.AppealDeadline(j, r.ReceivedAt)
				} else {
					var d rules.Deadlines
					d, err = c.Rules.Deadlines(j, rules.Right(r.Right), r.ReceivedAt)
					due = d.Due
					if (d.AckDue == nil) != (r.AckDueAt == nil) || d.AckDue != nil && !d.AckDue.Equal(*r.AckDueAt) {
						t.Fatalf("request %d: acknowledgement due %v, want %v", r.ID, r.AckDueAt, d.AckDue)
					}
				}
				if err != nil || !r.OriginalDueAt.Equal(due) {
					t.Fatalf("request %d (%s %s %s): due %v, want %v (%v)", r.ID, r.Kind, r.Jurisdiction, r.Right, r.OriginalDueAt, due, err)
				}
				if r.ExtendedAt == nil && !r.DueAt.Equal(due) {
					t.Fatalf("request %d: due %v, want %v", r.ID, r.DueAt, due)
				}
				if r.ExtendedAt != nil {
					want, err := c.Rules.Extend(j, rules.Right(r.Right), r.ReceivedAt, due, false, *r.ExtendedAt)
					if err != nil || !r.DueAt.Equal(want) {
						t.Fatalf("request %d: extended to %v, want %v (%v)", r.ID, r.DueAt, want, err)
					}
				}
				if r.Closed() != (r.ClosedAt != nil) || r.Status == StatusDenied && r.DenialReason == "" ||
					r.Status == StatusCompleted && r.VerifiedAt == nil {
					t.Fatalf("request %d: inconsistent %+v", r.ID, r)
				}
			}

			// The queue shows them, and the detail page loads.
			rs := NewRequests(c)
			page, err := rs.Queue(ctx, QueueFilter{})
			if err != nil || len(page.Items) != 50 || page.Next == "" {
				t.Fatalf("queue: %d rows, next %q, %v", len(page.Items), page.Next, err)
			}
			// Open requests counted exactly, closed ones up to CountCap.
			counts, err := rs.Counts(ctx, KindRequest)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]TabCount{FilterOpen: {N: count("requests", "kind = ? AND status IN "+openStatusSQL, KindRequest)}}
			all := TabCount{}
			for _, st := range Statuses {
				n := count("requests", "kind = ? AND status = ?", KindRequest, st)
				tc := TabCount{N: n}
				if !contains(OpenStatuses, st) && n > CountCap {
					tc = TabCount{N: CountCap, AtLeast: true}
				}
				want[st] = tc
				all.N += tc.N
				all.AtLeast = all.AtLeast || tc.AtLeast
			}
			want[FilterAll] = all
			if !want[StatusCompleted].AtLeast {
				t.Fatalf("too few completed requests to test the cap: %v", want)
			}
			for k, w := range want {
				if counts[k] != w {
					t.Errorf("count of %s: %+v, want %+v", k, counts[k], w)
				}
			}
			if _, err := rs.Get(ctx, page.Items[0].ID); err != nil {
				t.Fatal(err)
			}
			found, err := rs.Queue(ctx, QueueFilter{Reference: subs[len(subs)-1].Reference})
			if err != nil || len(found.Items) == 0 {
				t.Fatalf("reference search: %v %v", found, err)
			}
		})
	}
}
