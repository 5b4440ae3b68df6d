package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/web"
)

// DemoPassword signs in the demo administrator; it exists only in demo data.
const (
	demoEmail    = "officer@demo.example"
	demoPassword = "rightsdesk-demo"
)

type demoRequest struct {
	name, email, country, region, relationship string
	rights                                     []string
	daysAgo                                    int
	verify                                     bool
	to                                         []string // statuses to walk through
	deny                                       string
	appeal                                     string // the person appeals the denial with this reason
}

// seedDemo fills an empty database with a fictional organization's requests
// in every status, received over the past weeks, so the queue shows due,
// at-risk and overdue work at once.
func seedDemo(ctx context.Context, app *web.App, log *slog.Logger) error {
	var n int64
	if err := app.Core.DB().WithContext(ctx).Model(&models.Submission{}).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		log.Info("demo: the database already holds requests; nothing seeded")
		return nil
	}
	staffCount, err := app.Staff.Count(ctx)
	if err != nil {
		return err
	}
	var officer *models.Staff
	if staffCount == 0 {
		// A privacy officer, not an administrator: administrators must set up
		// two-step sign-in first, and the demo should open at once.
		officer, err = app.Staff.Create(ctx, models.StaffInput{Email: demoEmail, Name: "Dana Officer (demo)",
			Role: models.RoleOfficer, Password: demoPassword}, models.SystemActor)
		if err != nil {
			return err
		}
		log.Warn("demo: privacy officer created", "email", demoEmail, "password", demoPassword)
	}
	actor := models.SystemActor
	if officer != nil {
		actor = models.StaffActor(officer.ID, "demo")
	}
	demo := []demoRequest{
		{"Ava Martinez", "ava@demo.example", "US", "CA", "customer", []string{"access", "delete"}, 2, false, nil, "", ""},
		{"Liam Chen", "liam@demo.example", "US", "CA", "customer", []string{"opt_out_sale"}, 1, false, []string{"completed"}, "", ""},
		{"Noah Dubois", "noah@demo.example", "CA", "QC", "employee", []string{"access", "cessation"}, 25, true, []string{"in_progress"}, "", ""},
		{"Emma Schmidt", "emma@demo.example", "DE", "", "visitor", []string{"access"}, 27, true, []string{"in_progress"}, "", ""},
		{"Olivia Brown", "olivia@demo.example", "GB", "", "customer", []string{"delete"}, 40, true, []string{"in_progress", "completed"}, "", ""},
		{"Lucas Walker", "lucas@demo.example", "US", "VA", "customer", []string{"delete"}, 20, true, []string{"denied"}, "exemption",
			"My account was closed two years ago; nothing can still be owed."},
		{"Mia Johnson", "mia@demo.example", "US", "CO", "applicant", []string{"correct"}, 50, true, []string{"in_progress"}, "", ""},
		{"Ethan Roy", "ethan@demo.example", "CA", "ON", "customer", []string{"access"}, 33, true, []string{"in_progress"}, "", ""},
		{"Sofia Rossi", "sofia@demo.example", "IT", "", "customer", []string{"portability"}, 5, true, nil, "", ""},
		{"James Miller", "james@demo.example", "US", "TX", "customer", []string{"unsubscribe"}, 3, false, []string{"withdrawn"}, "", ""},
		{"Chloe Taylor", "chloe@demo.example", "US", "OR", "visitor", []string{"access"}, 44, true, []string{"in_progress"}, "", ""},
		{"Aria Patel", "aria@demo.example", "IN", "", "other", []string{"delete"}, 10, false, nil, "", ""},
	}
	// Each request is made in the past: the domain's clock is moved back
	// while seeding (before the server starts) and restored after.
	now := app.Core.Now()
	defer app.Core.SetClock(time.Now)
	for i, d := range demo {
		at := now.Add(-time.Duration(d.daysAgo)*24*time.Hour - time.Duration(i)*time.Hour)
		app.Core.SetClock(func() time.Time { return at })
		res, err := app.Submissions.Submit(ctx, models.SubmissionInput{OnBehalf: "self", Country: d.country, Region: d.region,
			Rights: d.rights, Name: d.name, Email: d.email, Relationship: d.relationship, Lang: "en",
			Details: "Demo request: this person and organization are fictional."}, models.RequesterActor("demo"))
		if err != nil {
			return fmt.Errorf("demo request %d: %w", i, err)
		}
		for _, r := range res.Submission.Requests {
			if d.verify && r.Status == models.StatusAwaitingVerification {
				if err := app.Requests.Move(ctx, r.ID, models.Transition{To: models.StatusVerified}, actor); err != nil {
					return err
				}
			}
			for _, to := range d.to {
				t := models.Transition{To: to}
				if to == models.StatusDenied {
					t.DenialReason, t.Detail = d.deny, "Demo: the records are kept under a legal retention obligation."
				}
				if err := app.Requests.Move(ctx, r.ID, t, actor); err != nil {
					return fmt.Errorf("demo request %d → %s: %w", i, to, err)
				}
			}
			if d.appeal != "" {
				if err := app.Appeals.Appeal(ctx, res.TrackingToken, r.ID, d.appeal, models.RequesterActor("demo")); err != nil {
					return fmt.Errorf("demo appeal %d: %w", i, err)
				}
			}
		}
	}
	// Demo people do not exist: drop the mail their requests queued.
	if err := app.Outbox.DropPending(ctx, "@demo.example"); err != nil {
		return err
	}
	log.Info("demo: sample requests seeded", "submissions", len(demo))
	return nil
}
