package models_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/blob"
	"github.com/rightsdesk/rightsdesk/models"
)

// agentDomain adds the agents' aggregates to a domain.
type agentDomain struct {
	*domain
	agents  *models.Agents
	filings *models.Filings
	drp     *models.DRP
}

func withAgents(t *testing.T, d *domain) *agentDomain {
	t.Helper()
	store, err := blob.Open(context.Background(), "file://"+t.TempDir(), blob.Keys{Current: "v1", ByID: map[string][]byte{"v1": bytes.Repeat([]byte{7}, 32)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	f := models.NewFilings(d.core, models.NewDocuments(d.core, store))
	return &agentDomain{domain: d, agents: models.NewAgents(d.core), filings: f, drp: models.NewDRP(d.core, f, "ACME_CB")}
}

func (d *agentDomain) approvedAgent(t *testing.T, email string) *models.Agent {
	t.Helper()
	ctx := context.Background()
	a, err := d.agents.Register(ctx, models.AgentInput{Name: "Avery", Email: email, Password: "a long enough password"}, models.Client{})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.agents.Decide(ctx, a.ID, true, "", models.SystemActor); err != nil {
		t.Fatal(err)
	}
	a, err = d.agents.Get(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

var plainPDF = []byte("%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")

func (d *agentDomain) file(t *testing.T, a *models.Agent, email string) *models.Filed {
	t.Helper()
	in := models.FilingInput{Authority: models.AuthorityPermission, Person: models.SubmissionInput{Country: "US", Region: "CA",
		Rights: []string{"access"}, Name: "Jordan", Email: email, Relationship: "customer"}}
	f, err := d.filings.File(context.Background(), a, in, bytes.NewReader(plainPDF), models.AgentActor(a.ID, "test"))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// An agent is approved or rejected once, however many decide at once.
func TestAgentDecidedOnce(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		d := withAgents(t, s)
		ctx := context.Background()
		a, err := d.agents.Register(ctx, models.AgentInput{Name: "Avery", Email: "race@example.org", Password: "a long enough password"}, models.Client{})
		if err != nil {
			t.Fatal(err)
		}
		staff := s.officer(t)
		errs := race(racers, func(i int) error { return d.agents.Decide(ctx, a.ID, i%2 == 0, "no", staff) })
		if wins := tally(t, errs, models.ErrAgentDecided); wins != 1 {
			t.Fatalf("%d decisions applied", wins)
		}
		var n int64
		s.db.Model(&models.AuditEntry{}).Where("object_type = ? AND object_id = ? AND action IN ?", "agent", a.ID,
			[]string{"agent.approved", "agent.rejected"}).Count(&n)
		if n != 1 {
			t.Fatalf("%d decisions audited", n)
		}
	})
}

// The person answers once, whatever they post at the same time; and
// staff decide on the authority once.
func TestConfirmationAndReviewOnce(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		d := withAgents(t, s)
		ctx := context.Background()
		a := d.approvedAgent(t, "agent@example.org")
		filed := d.file(t, a, "person@example.org")
		var token string
		s.db.Model(&models.OutboxMessage{}).Where("to_addr = ? AND template = ?", "person@example.org", models.MailAgentConfirm).Pluck("data", &token)
		var data models.MailData
		json.Unmarshal([]byte(token), &data)
		tok := data.TrackURL[strings.LastIndex(data.TrackURL, "/")+1:]
		errs := race(racers, func(i int) error { return d.filings.Confirm(ctx, tok, i%2 == 0, models.RequesterActor("x")) })
		if wins := tally(t, errs, models.ErrAnswered); wins != 1 {
			t.Fatalf("%d answers recorded", wins)
		}
		var events int64
		s.db.Model(&models.Event{}).Where("kind IN ?", []string{models.EventPersonConfirmed, models.EventPersonRefused}).Count(&events)
		if events != 1 {
			t.Fatalf("%d answer events", events)
		}
		staff := s.officer(t)
		id := filed.Submission.Requests[0].ID
		errs = race(racers, func(i int) error { return d.filings.Review(ctx, id, i%2 == 0, "checked", staff) })
		if wins := tally(t, errs, models.ErrAuthorityDecided); wins != 1 {
			t.Fatalf("%d reviews recorded", wins)
		}
	})
}

// Reminders go out every three days, twice at most, each once across
// racing instances, while the clock runs.
func TestConfirmationReminders(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		d := withAgents(t, s)
		ctx := context.Background()
		a := d.approvedAgent(t, "agent@example.org")
		start := time.Now()
		s.at(start)
		filed := d.file(t, a, "slow@example.org")
		due := filed.Submission.Requests[0].DueAt
		count := func() int64 {
			var n int64
			s.db.Model(&models.OutboxMessage{}).Where("to_addr = ? AND template = ?", "slow@example.org", models.MailAgentConfirm).Count(&n)
			return n
		}
		if n, _ := d.filings.SendReminders(ctx); n != 0 || count() != 1 {
			t.Fatalf("a reminder before three days: %d, %d mails", n, count())
		}
		for _, step := range []struct {
			days int
			want int64
		}{{4, 2}, {5, 2}, {8, 3}, {20, 3}} {
			s.at(start.Add(time.Duration(step.days) * 24 * time.Hour))
			errs := race(4, func(int) error { _, err := d.filings.SendReminders(ctx); return err })
			tally(t, errs)
			if got := count(); got != step.want {
				t.Fatalf("day %d: %d mails, want %d", step.days, got, step.want)
			}
		}
		var r models.Request
		s.db.Where("id = ?", filed.Submission.Requests[0].ID).Take(&r)
		if !r.DueAt.Equal(due) || r.Status != models.StatusAwaitingVerification {
			t.Fatalf("the clock moved or the status changed: %v %s", r.DueAt, r.Status)
		}
	})
}

// A signed DRP request is accepted once, however many copies arrive at
// once: a unique index decides.
func TestDRPRequestAcceptedOnce(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		d := withAgents(t, s)
		ctx := context.Background()
		pub, priv, _ := ed25519.GenerateKey(rand.Reader)
		staff := s.officer(t)
		if _, err := d.agents.RegisterDRP(ctx, models.DRPAgentInput{ID: "RACE_AA", Name: "Race", VerifyKey: base64.StdEncoding.EncodeToString(pub)}, staff); err != nil {
			t.Fatal(err)
		}
		var a models.Agent
		s.db.Where("drp_id = ?", "RACE_AA").Take(&a)
		if err := d.agents.Decide(ctx, a.ID, true, "", staff); err != nil {
			t.Fatal(err)
		}
		a.Status = models.AgentApproved
		msg, _ := json.Marshal(map[string]any{"agent-id": "RACE_AA", "business-id": "ACME_CB", "issued-at": time.Now().UTC().Format(time.RFC3339),
			"expires-at": time.Now().Add(5 * time.Minute).UTC().Format(time.RFC3339), "exercise": "sale:opt_out", "regime": "ccpa",
			"name": "Casey", "email": "casey@example.org"})
		body := []byte(base64.StdEncoding.EncodeToString(append(ed25519.Sign(priv, msg), msg...)))
		errs := race(racers, func(int) error { _, err := d.drp.Exercise(ctx, &a, body, "x"); return err })
		if wins := tally(t, errs, models.ErrDRPReplay); wins != 1 {
			t.Fatalf("%d copies accepted", wins)
		}
		var subs int64
		s.db.Model(&models.Submission{}).Count(&subs)
		if subs != 1 {
			t.Fatalf("%d submissions", subs)
		}
	})
}

// Outgoing HTTP calls are claimed by one worker at a time: of racing
// claims, each call goes to exactly one.
func TestHTTPJobsClaimedOnce(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		now := time.Now()
		for i := range 10 {
			s.db.Create(&models.HTTPJob{Kind: "test", Method: "POST", URL: "http://127.0.0.1:1/x", Headers: "{}", Body: "{}",
				Status: "pending", NextAttemptAt: now.Add(-time.Second), CreatedAt: now, DedupeKey: "k" + string(rune('a'+i))})
		}
		q := models.NewHTTPJobs(s.core)
		claimed := make([]int, racers)
		errs := race(racers, func(i int) error {
			jobs, err := q.Claim(ctx, time.Now(), 3, time.Minute)
			claimed[i] = len(jobs)
			return err
		})
		tally(t, errs)
		total := 0
		for _, n := range claimed {
			total += n
		}
		if total != 10 {
			t.Fatalf("%d claims for 10 calls", total)
		}
	})
}
