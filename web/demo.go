package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/rightsdesk/rightsdesk/models"
)

// The demo privacy officer's sign-in; it exists only in demo data.
const (
	DemoEmail    = "officer@demo.example"
	DemoPassword = "rightsdesk-demo"
)

type demoRequest struct {
	name, email, country, region, relationship string
	rights                                     []string
	daysAgo                                    int
	verify                                     bool
	// confirmed: the person confirmed their e-mail and is asked the
	// identity questions of their requests' tier.
	confirmed    bool
	to           []string // statuses to walk through
	deny, detail string   // a denial's reason and explanation
	appeal       string   // the person appeals the denial with this reason
	ask          string   // staff ask this and the clock stops (UK)
	complaint    string   // the person complains (UK, from 19 June 2026)
}

// Demo is what SeedDemo made: the private tracking link of each fictional
// person, by e-mail address (for screenshots and tests).
type Demo struct {
	Links map[string]string
}

// SeedDemo fills an empty database with a fictional organization's requests
// in every status, received over the past weeks, so the queue shows due,
// at-risk and overdue work, appeals, a stopped clock and a complaint at once.
func SeedDemo(ctx context.Context, app *App, log *slog.Logger) (Demo, error) {
	out := Demo{Links: map[string]string{}}
	var n int64
	if err := app.Core.DB().WithContext(ctx).Model(&models.Submission{}).Count(&n).Error; err != nil {
		return out, err
	}
	if n > 0 {
		log.Info("demo: the database already holds requests; nothing seeded")
		return out, nil
	}
	staffCount, err := app.Staff.Count(ctx)
	if err != nil {
		return out, err
	}
	var officer *models.Staff
	if staffCount == 0 {
		// A privacy officer, not an administrator: administrators must set up
		// two-step sign-in first, and the demo should open at once.
		officer, err = app.Staff.Create(ctx, models.StaffInput{Email: DemoEmail, Name: "Dana Officer (demo)",
			Role: models.RoleOfficer, Password: DemoPassword}, models.SystemActor)
		if err != nil {
			return out, err
		}
		log.Warn("demo: privacy officer created", "email", DemoEmail, "password", DemoPassword)
	}
	actor := models.SystemActor
	if officer != nil {
		actor = models.StaffActor(officer.ID, "demo")
	}
	const retention = "Demo: the records are kept under a legal retention obligation."
	demo := []demoRequest{
		{name: "Ava Martinez", email: "ava@demo.example", country: "US", region: "CA", relationship: "customer", rights: []string{"access", "delete"}, daysAgo: 2},
		{name: "Zoe Nakamura", email: "zoe@demo.example", country: "US", region: "CA", relationship: "customer", rights: []string{"access"}, daysAgo: 1,
			confirmed: true},
		{name: "Liam Chen", email: "liam@demo.example", country: "US", region: "CA", relationship: "customer", rights: []string{"opt_out_sale"}, daysAgo: 1,
			to: []string{"completed"}},
		{name: "Noah Dubois", email: "noah@demo.example", country: "CA", region: "QC", relationship: "employee", rights: []string{"access", "cessation"},
			daysAgo: 25, verify: true, to: []string{"in_progress"}},
		{name: "Emma Schmidt", email: "emma@demo.example", country: "DE", relationship: "visitor", rights: []string{"access"}, daysAgo: 27, verify: true,
			to: []string{"in_progress"}},
		{name: "Olivia Brown", email: "olivia@demo.example", country: "GB", relationship: "customer", rights: []string{"delete"}, daysAgo: 40, verify: true,
			to: []string{"in_progress", "completed"}, complaint: "You deleted my account but I still get your newsletter."},
		// Emma asks again for the same thing: staff merge it into her first request.
		{name: "Emma Schmidt", email: "emma@demo.example", country: "DE", relationship: "visitor", rights: []string{"access"}, daysAgo: 4, verify: true,
			to: []string{"merged"}},
		{name: "Harry Evans", email: "harry@demo.example", country: "GB", relationship: "customer", rights: []string{"access"}, daysAgo: 12, verify: true,
			to: []string{"in_progress"}, ask: "We hold two accounts in your name. Which one is your request about: the one opened in 2019, or the one opened in 2023?"},
		{name: "Lucas Walker", email: "lucas@demo.example", country: "US", region: "VA", relationship: "customer", rights: []string{"delete"}, daysAgo: 20,
			verify: true, to: []string{"denied"}, deny: "exemption", detail: retention, appeal: "My account was closed two years ago; nothing can still be owed."},
		{name: "Mia Johnson", email: "mia@demo.example", country: "US", region: "CO", relationship: "applicant", rights: []string{"correct"}, daysAgo: 50,
			verify: true, to: []string{"in_progress"}},
		{name: "Ethan Roy", email: "ethan@demo.example", country: "CA", region: "ON", relationship: "customer", rights: []string{"access"}, daysAgo: 33,
			verify: true, to: []string{"in_progress"}},
		{name: "Sofia Rossi", email: "sofia@demo.example", country: "IT", relationship: "customer", rights: []string{"portability"}, daysAgo: 5, verify: true},
		{name: "James Miller", email: "james@demo.example", country: "US", region: "TX", relationship: "customer", rights: []string{"unsubscribe"}, daysAgo: 3,
			to: []string{"withdrawn"}},
		{name: "Chloe Taylor", email: "chloe@demo.example", country: "US", region: "OR", relationship: "visitor", rights: []string{"access"}, daysAgo: 44,
			verify: true, to: []string{"in_progress"}},
		{name: "Aria Patel", email: "aria@demo.example", country: "IN", relationship: "other", rights: []string{"delete"}, daysAgo: 10},
		{name: "Kenji Sato", email: "kenji@demo.example", country: "JP", relationship: "customer", rights: []string{"access"}, daysAgo: 15, verify: true,
			to: []string{"denied"}, deny: "no_personal_data", detail: "Demo: no account or order uses this e-mail address."},
	}
	// The organization's data systems: each verified request gets a
	// task for each system in scope.
	if systems, err := app.Systems.List(ctx, true); err != nil {
		return out, err
	} else if len(systems) == 0 {
		for _, in := range []models.SystemInput{
			{Name: "Customer database (CRM)", Kind: "crm", Recipient: models.SystemInternal, Owner: "Customer operations",
				Rights:       []string{"access", "delete", "correct", "portability", "restrict", "object"},
				Instructions: "Search by e-mail address and phone number. Export the customer record as CSV."},
			{Name: "Billing (payment processor)", Kind: "billing", Recipient: models.SystemServiceProvider, Owner: "Finance",
				Rights:       []string{"access", "delete", "correct", "portability"},
				Instructions: "Invoices are kept 7 years for tax law: deletion applies to everything else."},
			{Name: "Newsletter (mailing service)", Kind: "marketing", Recipient: models.SystemServiceProvider, Owner: "Marketing",
				Rights: []string{"access", "delete", "opt_out_sale", "unsubscribe", "object"}, Instructions: "Unsubscribe and suppress the address."},
		} {
			if _, _, err := app.Systems.Save(ctx, 0, in, actor); err != nil {
				return out, fmt.Errorf("demo system: %w", err)
			}
		}
	}
	// Each request is made in the past: the domain's clock is moved back
	// while seeding (before the server starts) and restored after.
	now := app.Core.Now()
	defer app.Core.SetClock(time.Now)
	first := map[string]int64{} // email and right → the person's first request
	for i, d := range demo {
		at := now.Add(-time.Duration(d.daysAgo)*24*time.Hour - time.Duration(i)*time.Hour)
		app.Core.SetClock(func() time.Time { return at })
		res, err := app.Submissions.Submit(ctx, models.SubmissionInput{OnBehalf: "self", Country: d.country, Region: d.region,
			Rights: d.rights, Name: d.name, Email: d.email, Relationship: d.relationship, Lang: "en",
			Details: "Demo request: this person and organization are fictional."}, models.RequesterActor("demo"))
		if err != nil {
			return out, fmt.Errorf("demo request %d: %w", i, err)
		}
		if _, ok := out.Links[d.email]; !ok {
			out.Links[d.email] = "/t/" + res.TrackingToken
		}
		if d.confirmed {
			// As if the person had typed the mailed code.
			if err := app.Core.DB().Model(&models.Submission{}).Where("id = ?", res.Submission.ID).
				Update("email_verified_at", at).Error; err != nil {
				return out, err
			}
		}
		for _, r := range res.Submission.Requests {
			key := d.email + " " + r.Right
			if _, ok := first[key]; !ok {
				first[key] = r.ID
			}
			if d.verify && r.Status == models.StatusAwaitingVerification {
				// Staff confirmed the person's identity by a call (the demo's people have no records).
				if err := app.Requests.Move(ctx, r.ID, models.Transition{To: models.StatusVerified,
					Detail: "Demo: confirmed by a call to the number on file."}, actor); err != nil {
					return out, err
				}
			}
			for _, to := range d.to {
				if to == models.StatusMerged {
					if err := app.Requests.Merge(ctx, r.ID, first[key], actor); err != nil {
						return out, fmt.Errorf("demo merge %d: %w", i, err)
					}
					continue
				}
				t := models.Transition{To: to}
				if to == models.StatusDenied {
					t.DenialReason, t.Detail = d.deny, d.detail
				}
				if to == models.StatusCompleted {
					t.Detail = "Demo: done in every system that holds the person's data."
					tasks, err := app.Tasks.ForRequest(ctx, r.ID)
					if err != nil {
						return out, err
					}
					for _, tk := range tasks {
						if err := app.Tasks.Update(ctx, tk.ID, models.TaskUpdate{Status: models.TaskDone, Note: "Demo: done.", KeepAssignee: true}, actor); err != nil {
							return out, fmt.Errorf("demo task %d: %w", i, err)
						}
					}
				}
				if err := app.Requests.Move(ctx, r.ID, t, actor); err != nil {
					return out, fmt.Errorf("demo request %d → %s: %w", i, to, err)
				}
			}
			if officer != nil && len(d.to) > 0 && d.to[len(d.to)-1] == models.StatusInProgress {
				// The officer holds what is being worked on: "My requests".
				if err := app.Requests.Assign(ctx, r.ID, officer.ID, actor); err != nil {
					return out, fmt.Errorf("demo assignment %d: %w", i, err)
				}
			}
			if d.appeal != "" {
				if err := app.Appeals.Appeal(ctx, res.TrackingToken, r.ID, d.appeal, models.RequesterActor("demo")); err != nil {
					return out, fmt.Errorf("demo appeal %d: %w", i, err)
				}
			}
			if d.ask != "" {
				// Asked two days after receipt; the clock still stands.
				asked := at.Add(2 * 24 * time.Hour)
				app.Core.SetClock(func() time.Time { return asked })
				if err := app.Requests.AskForInformation(ctx, r.ID, "clarify", d.ask, actor); err != nil {
					return out, fmt.Errorf("demo question %d: %w", i, err)
				}
			}
		}
		if d.complaint != "" {
			// Complaints exist from 19 June 2026; a demo seeded earlier has none.
			complained := at.Add(30 * 24 * time.Hour)
			app.Core.SetClock(func() time.Time { return complained })
			err := app.Complaints.Complain(ctx, res.TrackingToken, d.complaint, models.RequesterActor("demo"))
			if err != nil && !errors.Is(err, models.ErrNoComplaints) {
				return out, fmt.Errorf("demo complaint %d: %w", i, err)
			}
		}
	}
	// Demo people do not exist: drop the mail their requests queued.
	if err := app.Outbox.DropPending(ctx, "@demo.example"); err != nil {
		return out, err
	}
	log.Info("demo: sample requests seeded", "submissions", len(demo))
	return out, nil
}
