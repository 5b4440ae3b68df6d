package web

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/handlers"
	"github.com/rightsdesk/rightsdesk/internal/blob"
	"github.com/rightsdesk/rightsdesk/internal/config"
	"github.com/rightsdesk/rightsdesk/internal/i18n"
	"github.com/rightsdesk/rightsdesk/internal/mail"
	"github.com/rightsdesk/rightsdesk/internal/rules"
	"github.com/rightsdesk/rightsdesk/internal/webhook"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/static"
	"github.com/rightsdesk/rightsdesk/templates/email"
)

// App is the whole application wired from a Config: the database, the
// domain, the mail worker and the HTTP handler. The command and the tests
// build it the same way.
type App struct {
	Config      config.Config
	Core        *models.Core
	Submissions *models.Submissions
	Requests    *models.Requests
	Choices     *models.Choices
	Appeals     *models.Appeals
	Complaints  *models.Complaints
	Staff       *models.StaffAccounts
	Outbox      *models.Outbox
	Digest      *models.Digest
	Limits      *models.Limits
	Audit       *models.AuditLog
	Agents      *models.Agents
	Documents   *models.Documents
	Filings     *models.Filings
	DRP         *models.DRP
	HTTPJobs    *models.HTTPJobs
	Settings    *models.Settings
	// Verifications is identity verification by risk.
	Verifications *models.Verifications
	// Fulfilment: data systems, tasks, threads, packages, corrections and
	// the organization's own wording of mail.
	Systems     *models.Systems
	Tasks       *models.Tasks
	Messages    *models.Messages
	Packages    *models.Packages
	Corrections *models.Corrections
	MailEdits   *models.MailTemplates
	Echo        *echo.Echo
	Worker      *mail.Worker
	// Hooks delivers outgoing HTTP calls (DRP status callbacks).
	Hooks    *webhook.Worker
	Log      *slog.Logger
	handlers *handlers.Handlers
	close    func() error
}

// Routes describes the route table.
func (a *App) Routes() []RouteInfo { return Routes(a.handlers) }

// Open connects to the database and applies migrations: enough for the
// command-line tools.
func Open(ctx context.Context, cfg config.Config, log *slog.Logger) (*App, error) {
	if err := cfg.EnsureSecret(); err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	if cfg.SecretGenerated {
		log.Warn("RIGHTSDESK_SECRET is not set: generated one and stored it", "file", filepath.Join(cfg.DataDir, "secret"))
	}
	db, err := models.Open(cfg.DatabaseURL, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	if applied, err := models.Migrate(ctx, db); err != nil {
		sqlDB.Close()
		return nil, err
	} else if len(applied) > 0 {
		log.Info("migrations applied", "count", len(applied))
	}
	engine, err := rules.New(rules.Options{Location: cfg.TimeZone, Calendar: cfg.HolidayCalendar,
		Policy:          &rules.Period{N: cfg.PolicyResponseDays, Kind: rules.CalendarDays, Source: "organization policy"},
		PolicyExtension: &rules.Period{N: cfg.PolicyExtensionDays, Kind: rules.CalendarDays, Source: "organization policy"}})
	if err != nil {
		sqlDB.Close()
		return nil, err
	}
	core, err := models.NewCore(db, engine, models.Keys{Token: cfg.Key("token"), Seal: cfg.Key("tracking-seal")}, cfg.BaseURL)
	if err != nil {
		sqlDB.Close()
		return nil, err
	}
	core.LimitScale = cfg.RateScale
	core.Log = log
	core.AllowPrivateWebhooks = cfg.WebhookAllowPrivate
	core.PackageTTL = cfg.PackageTTL
	// Files are encrypted under a key derived from the secret; its id is
	// stored with each file, so a later rotation can add "v2" and keep
	// "v1" for the files already stored.
	store, err := blob.Open(ctx, cfg.StorageURL, blob.Keys{Current: "v1", ByID: map[string][]byte{"v1": cfg.Key("blob-v1")}})
	if err != nil {
		sqlDB.Close()
		return nil, err
	}
	store.MaxSize = cfg.UploadMax
	// The organization's settings: the environment gives the first
	// version; a version saved in the admin wins, on every instance.
	var otherRights []string
	for _, r := range engine.Rights(rules.Other) {
		otherRights = append(otherRights, string(r))
	}
	settings := models.NewSettings(core, models.OrgSettings{Name: cfg.OrgName, ContactEmail: cfg.Contact.Email,
		ContactAddress: cfg.Contact.Address, QuebecTitle: cfg.Contact.QuebecOfficerTitle, TimeZone: cfg.TimeZone.String(),
		Calendar: cfg.HolidayCalendar, ResponseDays: cfg.PolicyResponseDays, ExtensionDays: cfg.PolicyExtensionDays,
		OtherRights: otherRights, BrandColor: "#1d4e89"})
	if err := settings.Load(ctx); err != nil {
		store.Close()
		sqlDB.Close()
		return nil, fmt.Errorf("organization settings: %w", err)
	}
	docs := models.NewDocuments(core, store)
	filings := models.NewFilings(core, docs)
	return &App{Config: cfg, Core: core, Submissions: models.NewSubmissions(core), Requests: models.NewRequests(core),
		Appeals: models.NewAppeals(core), Complaints: models.NewComplaints(core), Staff: models.NewStaffAccounts(core),
		Outbox: models.NewOutbox(core), Digest: models.NewDigest(core), Limits: models.NewLimits(core), Audit: models.NewAuditLog(core),
		Agents: models.NewAgents(core), Documents: docs, Filings: filings, DRP: models.NewDRP(core, filings, cfg.DRPBusinessID),
		HTTPJobs: models.NewHTTPJobs(core), Choices: models.NewChoices(core, cfg.OneClickKeys), Settings: settings,
		Verifications: models.NewVerifications(core, docs, models.VerificationOptions{AllowPrivate: cfg.WebhookAllowPrivate,
			UserAgent: "Rightsdesk (" + cfg.BaseURL + ")", ImportMax: cfg.ImportMax}),
		Systems: models.NewSystems(core), Tasks: models.NewTasks(core, docs), Messages: models.NewMessages(core, docs),
		Packages: models.NewPackages(core, docs), Corrections: models.NewCorrections(core), MailEdits: models.NewMailTemplates(core),
		Log: log, close: func() error { store.Close(); return sqlDB.Close() }}, nil
}

// NewApp opens everything serving needs.
func NewApp(ctx context.Context, cfg config.Config, log *slog.Logger) (*App, error) {
	a, err := Open(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	catalog, err := i18n.Load()
	if err != nil {
		a.Close()
		return nil, err
	}
	assets, err := static.Load()
	if err != nil {
		a.Close()
		return nil, err
	}
	var sender mail.Sender
	if cfg.SMTPURL != "" {
		sender, err = mail.NewSenderFromURL(cfg.SMTPURL, cfg.MailFrom)
	} else {
		sender, err = mail.NewFileSender(filepath.Join(cfg.DataDir, "mail"), cfg.MailFrom, cfg.MailFileRetention, log)
	}
	if err != nil {
		a.Close()
		return nil, err
	}
	renderer := &email.Renderer{Catalog: catalog, Rules: a.Core.Rules, OrgName: cfg.OrgName, Contact: cfg.Contact.Email,
		Org: func() (string, string, *time.Location) {
			o := a.Settings.Current()
			return o.Name, o.ContactEmail, o.Location
		},
		BaseURL: cfg.BaseURL, Loc: cfg.TimeZone, RepliesRead: cfg.MailRepliesRead, Overrides: a.MailEdits}
	a.Packages.Readme = func(in models.ReadmeInput) string { return renderer.Readme(readmeView(in)) }
	a.Worker = mail.NewWorker(a.Outbox, renderer, sender, log, mail.WorkerOptions{Lease: cfg.MailLease, Poll: cfg.MailPoll,
		Outage: a.Core.ReportOutage})
	a.Core.OnMailQueued(a.Worker.Notify)
	a.Hooks = webhook.NewWorker(a.HTTPJobs, log, webhook.Options{Poll: cfg.MailPoll, AllowPrivate: cfg.WebhookAllowPrivate,
		UserAgent: "Rightsdesk (" + cfg.BaseURL + ")", Outage: a.Core.ReportOutage, Timeout: cfg.WebhookTimeout})
	a.Core.OnHTTPQueued(a.Hooks.Notify)
	h := &handlers.Handlers{Core: a.Core, Submissions: a.Submissions, Requests: a.Requests, Appeals: a.Appeals,
		Complaints: a.Complaints, Staff: a.Staff, Audit: a.Audit, Agents: a.Agents, Documents: a.Documents, Filings: a.Filings, DRP: a.DRP,
		Catalog: catalog, Assets: assets, Settings: a.Settings, Log: log,
		Choices: a.Choices, ChoicesIdentifier: cfg.ChoicesIdentifier, ChoicesOrigins: cfg.ChoicesOrigins,
		Verifications: a.Verifications, Accounts: &handlers.Accounts{},
		Systems: a.Systems, Tasks: a.Tasks, Messages: a.Messages, Packages: a.Packages, Corrections: a.Corrections,
		MailEdits: a.MailEdits, Mail: renderer}
	a.Echo = New(h, Options{BaseURL: cfg.BaseURL, CookieHash: cfg.Key("cookie-hash"), CookieKey: cfg.Key("cookie-block"),
		TrustProxy: cfg.TrustProxy, Limits: a.Limits, Logger: log, UploadMax: cfg.UploadMax, ImportMax: cfg.ImportMax})
	a.handlers = h
	return a, nil
}

// Run runs the background work of an instance until ctx ends: mail, the
// outgoing HTTP calls, the staff digest and the agents' reminders.
func (a *App) Run(ctx context.Context) {
	done := make(chan struct{}, 2)
	go func() { a.Hooks.Run(ctx); done <- struct{}{} }()
	go func() { a.Filings.Run(ctx, a.Log); done <- struct{}{} }()
	go a.Digest.Run(ctx, a.Log)
	go a.Packages.Run(ctx, time.Hour, a.Log)
	go models.NewHousekeeping(a.Core).Run(ctx, 15*time.Minute, a.Log)
	go a.Settings.Run(ctx, 30*time.Second, a.Log)
	go a.housekeepVerification(ctx, 15*time.Minute)
	a.Worker.Run(ctx)
	<-done
	<-done
}

// housekeepVerification discards records files left unmapped, and
// finishes deleting the rows of replaced imports and the files of erased
// documents, every interval until ctx ends.
func (a *App) housekeepVerification(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := a.Verifications.Housekeep(ctx); err != nil && ctx.Err() == nil && !models.Unavailable(err) {
			a.Log.Error("verification housekeeping", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// readmeView is a package's README as the mail templates write it.
func readmeView(in models.ReadmeInput) email.ReadmeView {
	v := email.ReadmeView{Lang: in.Lang, Reference: in.Reference, Right: in.Right, Created: in.Created, Expires: in.Expires, Files: in.Files}
	for _, s := range in.Systems {
		v.Systems = append(v.Systems, email.ReadmeSystem{Name: s.Name, Status: s.Status, Records: s.Records, Files: s.Files})
	}
	return v
}

// Close releases the database.
func (a *App) Close() error { return a.close() }
