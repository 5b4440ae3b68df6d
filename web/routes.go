package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/handlers"
	"github.com/rightsdesk/rightsdesk/models"
)

// Access says who may use a route.
type Access string

const (
	Public    Access = "public"    // anyone
	Read      Access = "read"      // any signed-in staff member, auditors included
	Work      Access = "work"      // staff who work requests (models.CanWork)
	Configure Access = "configure" // staff who change settings (models.CanConfigure)
	Team      Access = "team"      // administrators (models.CanManageTeam)
	// AgentOnly: a signed-in authorized agent (never staff: an agent's
	// session is its own, in its own cookie).
	AgentOnly Access = "agent"
	// DRP: programs of approved agents, authenticated by the route itself
	// (the Data Rights Protocol's bearer tokens and signatures). The staff
	// JSON API under /api/v1 is not this: its routes have the staff levels,
	// met by a personal token.
	DRP Access = "drp"
	// Hook: data systems answering their tasks, authenticated by the route
	// itself (a per-task token in the path and an HMAC signature).
	Hook Access = "hook"
)

// allowed is the rule behind each access level.
func (a Access) allowed() func(role string) bool {
	switch a {
	case Work:
		return models.CanWork
	case Configure:
		return models.CanConfigure
	case Team:
		return models.CanManageTeam
	}
	return nil
}

// route is one line of the route table.
type route struct {
	method, path string
	handler      echo.HandlerFunc
	access       Access
	limit        *models.Limit // per client address; nil = none
	upload       bool          // a multipart upload: a larger body, streamed; CSRF checked by the handler
}

// largeUploads are the upload routes whose body may be as large as the
// organization's records file (Options.ImportMax) rather than UploadMax.
var largeUploads = map[string]bool{"/admin/verification/records": true}

// RouteInfo describes a route, for tests that walk the table.
type RouteInfo struct {
	Method, Path string
	Access       Access
	Limited      bool
	Upload       bool
}

// Per-client limits on anything guessable or that sends mail. The counts
// live in the database, so every instance shares them; RIGHTSDESK_RATE_LIMIT_SCALE
// multiplies them.
var (
	limitSubmit = models.Limit{Name: "submit-ip", Max: 10, Window: minute}
	limitGuess  = models.Limit{Name: "guess-ip", Max: 20, Window: minute}
	limitLogin  = models.Limit{Name: "login-ip", Max: 20, Window: minute}
	limitWrite  = models.Limit{Name: "write-ip", Max: 60, Window: minute}
	limitAPI    = models.Limit{Name: "api-ip", Max: 600, Window: minute}
	// Choices: a person may press several in a row; a website passes on
	// one GPC signal per visitor, so a burst from one address is abuse.
	limitChoices = models.Limit{Name: "choices-ip", Max: 20, Window: minute}
	limitSignal  = models.Limit{Name: "gpc-signal-ip", Max: 30, Window: minute}
)

// crossSite are the routes other sites and mail clients post to without
// a cookie or a CSRF token: a mail client's one-click unsubscribe (RFC
// 8058: the POST carries no context) and the organization's website
// passing on a GPC signal (CORS, configured origins only). What they do
// is only ever an opt-out, behind an unforgeable token or a listed origin.
var crossSite = map[string]bool{
	"/choices/unsubscribe/:token": true,
	"/choices/signal":             true,
}

// routes is every route of the application, in one table.
func routes(h *handlers.Handlers) []route {
	return []route{
		{http.MethodGet, "/healthz", h.Health, Public, nil, false},
		{http.MethodGet, "/static/*", echo.WrapHandler(h.Assets), Public, nil, false},

		// Requesters.
		{http.MethodGet, "/", h.Home, Public, nil, false},
		{http.MethodGet, "/request", h.RequestWhere, Public, nil, false},
		{http.MethodPost, "/request/where", h.RequestWherePost, Public, nil, false},
		{http.MethodPost, "/request/change", h.RequestChange, Public, nil, false},
		{http.MethodPost, "/request", h.RequestSubmit, Public, &limitSubmit, false},
		{http.MethodGet, "/track", h.Lookup, Public, nil, false},
		{http.MethodPost, "/track", h.LookupPost, Public, &limitGuess, false},
		// A tracking token is 256 random bits: there is nothing to guess,
		// so reading the page is not limited.
		{http.MethodGet, "/t/:token", h.Track, Public, nil, false},
		{http.MethodPost, "/t/:token/verify", h.VerifyPost, Public, &limitGuess, false},
		{http.MethodGet, "/t/:token/verify/:code", h.VerifyLink, Public, nil, false},
		{http.MethodPost, "/t/:token/resend", h.Resend, Public, &limitGuess, false},
		{http.MethodPost, "/t/:token/new-link", h.NewLink, Public, &limitGuess, false},
		{http.MethodGet, "/t/:token/requests/:id/withdraw", h.WithdrawConfirm, Public, nil, false},
		{http.MethodPost, "/t/:token/requests/:id/withdraw", h.Withdraw, Public, &limitWrite, false},
		{http.MethodPost, "/t/:token/requests/:id/appeal", h.Appeal, Public, &limitWrite, false},
		{http.MethodPost, "/t/:token/requests/:id/answer", h.Answer, Public, &limitWrite, false},
		{http.MethodPost, "/t/:token/complaint", h.Complain, Public, &limitWrite, false},
		// Identity verification: the questions (each try counted in the
		// database too), account sign-in, a document staff asked for.
		{http.MethodPost, "/t/:token/identity", h.IdentityAnswer, Public, &limitGuess, false},
		{http.MethodPost, "/t/:token/account", h.AccountStart, Public, &limitWrite, false},
		{http.MethodGet, handlers.AccountCallbackPath, h.AccountCallback, Public, &limitGuess, false},
		{method: http.MethodPost, path: "/t/:token/requests/:id/document", handler: h.IdentityDocument, access: Public, limit: &limitWrite, upload: true},

		// Privacy choices (handlers/public_choices.go): /choices is the link
		// the organization puts on its own site; nothing here needs an account.
		{http.MethodGet, "/choices", h.ChoicesPage, Public, nil, false},
		{http.MethodPost, "/choices", h.ChoicesPost, Public, &limitChoices, false},
		{http.MethodPost, "/choices/link", h.ChoicesLink, Public, &limitGuess, false},
		// A preference-centre token is 256 random bits, like a tracking token.
		{http.MethodGet, "/choices/p/:token", h.Preferences, Public, nil, false},
		{http.MethodPost, "/choices/p/:token", h.PreferencesPost, Public, &limitWrite, false},
		{http.MethodGet, "/choices/unsubscribe/:token", h.Unsubscribe, Public, nil, false},
		{http.MethodPost, "/choices/unsubscribe/:token", h.UnsubscribePost, Public, &limitAPI, false},
		{http.MethodOptions, "/choices/signal", h.SignalPreflight, Public, &limitSignal, false},
		{http.MethodPost, "/choices/signal", h.Signal, Public, &limitSignal, false},
		{http.MethodGet, "/choices/signal.js", h.SignalScript, Public, nil, false},
		{http.MethodGet, "/.well-known/gpc.json", h.GPCSupport, Public, nil, false},
		// Fulfilment: the thread, attachments, the person's data and corrections.
		{method: http.MethodPost, path: "/t/:token/messages", handler: h.Reply, access: Public, limit: &limitWrite, upload: true},
		{http.MethodGet, "/t/:token/files/:id", h.TrackFile, Public, nil, false},
		{http.MethodPost, "/t/:token/packages/:id/code", h.PackageCode, Public, &limitGuess, false},
		{http.MethodPost, "/t/:token/download", h.PackageDownload, Public, &limitGuess, false},
		{http.MethodPost, "/t/:token/requests/:id/corrections", h.CorrectionAdd, Public, &limitWrite, false},

		// Staff.
		{http.MethodGet, "/setup", h.Setup, Public, &limitGuess, false},
		{http.MethodPost, "/setup", h.SetupPost, Public, &limitGuess, false},
		{http.MethodGet, "/admin/login", h.Login, Public, nil, false},
		{http.MethodPost, "/admin/login", h.LoginPost, Public, &limitLogin, false},
		{http.MethodGet, "/admin/login/two-step", h.TwoStep, Public, nil, false},
		{http.MethodPost, "/admin/login/two-step", h.TwoStepPost, Public, &limitLogin, false},
		{http.MethodPost, "/admin/logout", h.Logout, Public, nil, false},
		{http.MethodGet, "/invite/:token", h.Invite, Public, &limitGuess, false},
		{http.MethodPost, "/invite/:token", h.InvitePost, Public, &limitGuess, false},
		{http.MethodGet, "/reset/:token", h.Reset, Public, &limitGuess, false},
		{http.MethodPost, "/reset/:token", h.ResetPost, Public, &limitGuess, false},
		{http.MethodGet, "/admin", h.Queue, Read, nil, false},
		// A search for a person: the term in the body, never the URL.
		{http.MethodPost, "/admin/search", h.QueueSearch, Read, nil, false},
		{http.MethodGet, "/admin/requests/:id", h.RequestPage, Read, nil, false},
		{http.MethodGet, "/admin/export/requests.csv", h.ExportRequests, Read, nil, false},
		{http.MethodGet, "/admin/export/audit.csv", h.ExportAudit, Read, nil, false},
		{http.MethodPost, "/admin/requests/:id/status", h.RequestStatus, Work, nil, false},
		{http.MethodPost, "/admin/requests/:id/notes", h.RequestNote, Work, nil, false},
		{http.MethodPost, "/admin/requests/:id/acknowledge", h.RequestAcknowledge, Work, nil, false},
		{http.MethodPost, "/admin/requests/:id/appeal", h.RequestAppeal, Work, nil, false},
		{http.MethodPost, "/admin/requests/:id/messages", h.RequestMessage, Work, nil, false},
		{http.MethodPost, "/admin/requests/:id/extend", h.RequestExtend, Work, nil, false},
		{http.MethodPost, "/admin/requests/:id/merge", h.RequestMerge, Work, nil, false},
		{http.MethodPost, "/admin/requests/:id/assign", h.RequestAssign, Work, nil, false},
		{http.MethodPost, "/admin/requests/:id/pause", h.RequestPause, Work, nil, false},
		{http.MethodPost, "/admin/requests/:id/resume", h.RequestResume, Work, nil, false},
		{http.MethodPost, "/admin/requests/:id/identity", h.RequestIdentity, Work, nil, false},
		{http.MethodPost, "/admin/requests/:id/identity/raise", h.RequestIdentityRaise, Work, nil, false},
		{http.MethodPost, "/admin/requests/:id/identity/retry", h.RequestIdentityRetry, Work, nil, false},
		// The organization's identity verification: questions, tiers, records, sign-in.
		{http.MethodGet, "/admin/verification", h.VerificationPage, Configure, nil, false},
		{http.MethodPost, "/admin/verification", h.VerificationSave, Configure, nil, false},
		{method: http.MethodPost, path: "/admin/verification/records", handler: h.RecordsUpload, access: Configure, upload: true},
		{http.MethodGet, "/admin/verification/records/:id", h.RecordsMapping, Configure, nil, false},
		{http.MethodPost, "/admin/verification/records/:id", h.RecordsImport, Configure, nil, false},
		{http.MethodPost, "/admin/verification/records/:id/discard", h.RecordsDiscard, Configure, nil, false},
		{http.MethodGet, "/admin/intake", h.Intake, Work, nil, false},
		{http.MethodPost, "/admin/intake", h.IntakePost, Work, nil, false},
		{http.MethodGet, "/admin/account", h.Account, Read, nil, false},
		{http.MethodPost, "/admin/account/password", h.AccountPassword, Read, &limitLogin, false},
		{http.MethodPost, "/admin/account/sign-out-everywhere", h.SignOutEverywhere, Read, nil, false},
		{http.MethodGet, "/admin/account/two-step", h.TwoStepSetup, Read, nil, false},
		{http.MethodPost, "/admin/account/two-step", h.TwoStepConfirm, Read, &limitLogin, false},
		{http.MethodGet, "/admin/team", h.Team, Team, nil, false},
		{http.MethodPost, "/admin/team/invite", h.TeamInvite, Team, nil, false},
		{http.MethodPost, "/admin/team/:id/role", h.TeamRole, Team, nil, false},
		{http.MethodPost, "/admin/team/:id/reset", h.TeamReset, Team, nil, false},
		{http.MethodPost, "/admin/team/:id/reset-two-step", h.TeamResetTwoStep, Team, nil, false},
		{http.MethodPost, "/admin/team/:id/deactivate", h.TeamDeactivate, Team, nil, false},
		{http.MethodPost, "/admin/account/tokens", h.TokenCreate, Read, nil, false},
		{http.MethodGet, "/admin/settings", h.SettingsPage, Configure, nil, false},
		{http.MethodPost, "/admin/settings", h.SettingsPost, Configure, nil, false},
		{method: http.MethodPost, path: "/admin/settings/logo", handler: h.SettingsLogo, access: Configure, upload: true},
		{http.MethodPost, "/admin/settings/logo/remove", h.SettingsLogoRemove, Configure, nil, false},
		{http.MethodGet, "/theme.css", h.Theme, Public, nil, false},
		{http.MethodGet, "/logo/:id", h.Logo, Public, nil, false},
		{http.MethodPost, "/admin/account/tokens/:id/revoke", h.TokenRevoke, Read, nil, false},
		{http.MethodPost, "/admin/requests/:id/authority", h.RequestAuthority, Work, nil, false},
		{http.MethodGet, "/admin/documents/:id", h.DocumentView, Read, nil, false},
		{http.MethodGet, "/admin/agents", h.AgentsPage, Read, nil, false},
		{http.MethodPost, "/admin/agents/:id/approve", h.AgentApprove, Configure, nil, false},
		{http.MethodPost, "/admin/agents/:id/reject", h.AgentReject, Configure, nil, false},
		{http.MethodPost, "/admin/agents/drp", h.AgentRegisterDRP, Configure, nil, false},
		{http.MethodPost, "/admin/agents/import", h.AgentImport, Configure, nil, false},

		// Fulfilment: data systems, tasks, threads, packages, corrections, mail wording.
		{http.MethodGet, "/admin/systems", h.SystemsPage, Read, nil, false},
		{http.MethodPost, "/admin/systems", h.SystemCreate, Configure, nil, false},
		{http.MethodGet, "/admin/systems/:id", h.SystemPage, Read, nil, false},
		{http.MethodPost, "/admin/systems/:id", h.SystemUpdate, Configure, nil, false},
		{http.MethodPost, "/admin/systems/:id/rotate", h.SystemRotate, Configure, nil, false},
		{http.MethodPost, "/admin/systems/:id/archive", h.SystemArchive, Configure, nil, false},
		{http.MethodGet, "/admin/tasks/:id", h.TaskPage, Read, nil, false},
		{http.MethodPost, "/admin/tasks/:id", h.TaskUpdate, Work, nil, false},
		{http.MethodPost, "/admin/tasks/:id/resend", h.TaskResend, Work, nil, false},
		{method: http.MethodPost, path: "/admin/requests/:id/thread", handler: h.RequestThread, access: Work, upload: true},
		{method: http.MethodPost, path: "/admin/requests/:id/files", handler: h.RequestFile, access: Work, upload: true},
		{http.MethodPost, "/admin/files/:id/remove", h.RequestFileRemove, Work, nil, false},
		{http.MethodPost, "/admin/requests/:id/package", h.PackagePublish, Work, nil, false},
		{http.MethodGet, "/admin/packages/:id", h.PackageStaffDownload, Work, nil, false},
		{http.MethodGet, "/admin/corrections/:id", h.CorrectionPage, Read, nil, false},
		{http.MethodPost, "/admin/corrections/:id", h.CorrectionDecide, Work, nil, false},
		{http.MethodGet, "/admin/templates", h.TemplatesPage, Configure, nil, false},
		{http.MethodGet, "/admin/templates/edit", h.TemplateEdit, Configure, nil, false},
		{http.MethodPost, "/admin/templates/preview", h.TemplatePreview, Configure, nil, false},
		{http.MethodPost, "/admin/templates/save", h.TemplateSave, Configure, nil, false},
		{http.MethodPost, "/admin/templates/reset", h.TemplateReset, Configure, nil, false},

		// The person an agent filed for answers whether they asked it to.
		{http.MethodPost, "/t/:token/authority", h.AuthorityAnswer, Public, &limitWrite, false},

		// Authorized agents.
		{http.MethodGet, "/agent/register", h.AgentRegister, Public, nil, false},
		{http.MethodPost, "/agent/register", h.AgentRegisterPost, Public, &limitSubmit, false},
		{http.MethodGet, "/agent/verify/:token", h.AgentVerify, Public, &limitGuess, false},
		{http.MethodPost, "/agent/verify/:token", h.AgentVerifyPost, Public, &limitGuess, false},
		{http.MethodGet, "/agent/login", h.AgentLogin, Public, nil, false},
		{http.MethodPost, "/agent/login", h.AgentLoginPost, Public, &limitLogin, false},
		{http.MethodPost, "/agent/logout", h.AgentLogout, Public, nil, false},
		{http.MethodGet, "/agent", h.AgentDashboard, AgentOnly, nil, false},
		{http.MethodPost, "/agent/search", h.AgentSearch, AgentOnly, nil, false},
		{http.MethodGet, "/agent/file", h.AgentFileWhere, AgentOnly, nil, false},
		{http.MethodPost, "/agent/file/where", h.AgentFileWherePost, AgentOnly, nil, false},
		{http.MethodPost, "/agent/file/details", h.AgentFileDetailsPost, AgentOnly, nil, false},
		{http.MethodPost, "/agent/file/designation", h.AgentDesignation, AgentOnly, nil, false},
		{method: http.MethodPost, path: "/agent/file", handler: h.AgentFilePost, access: AgentOnly, limit: &limitSubmit, upload: true},
		{http.MethodGet, "/agent/requests/:id", h.AgentFiling, AgentOnly, nil, false},
		{http.MethodGet, "/agent/documents/:id", h.AgentDocument, AgentOnly, nil, false},
		{method: http.MethodPost, path: "/agent/requests/:id/messages", handler: h.AgentReply, access: AgentOnly, limit: &limitWrite, upload: true},

		// The Data Rights Protocol (docs/drp.md).
		{http.MethodPost, "/v1/agent/:agent_id", h.DRPSetup, DRP, &limitLogin, false},
		{http.MethodGet, "/v1/agent/:agent_id", h.DRPAgentInfo, DRP, nil, false},
		{http.MethodPost, "/v1/data-rights-request", h.DRPExercise, DRP, nil, false},
		{http.MethodPost, "/v1/data-rights-request/", h.DRPExercise, DRP, nil, false},
		{http.MethodGet, "/v1/data-rights-request/:request_id", h.DRPStatus, DRP, nil, false},
		{http.MethodDelete, "/v1/data-rights-request/:request_id", h.DRPRevoke, DRP, nil, false},

		// Data systems answer their tasks (signed; a token per task and round).
		{method: http.MethodPost, path: "/hooks/tasks/:token", handler: h.TaskCallback, access: Hook, limit: &limitAPI, upload: true},

		// The staff JSON API (bearer tokens; described by the OpenAPI document).
		{http.MethodGet, "/api/v1/openapi.json", h.APIDocument, Public, nil, false},
		{http.MethodGet, "/api/v1/requests", h.APIQueue, Read, &limitAPI, false},
		{http.MethodGet, "/api/v1/requests/:id", h.APIRequestGet, Read, &limitAPI, false},
		{http.MethodPost, "/api/v1/requests/:id/status", h.APIRequestStatus, Work, &limitAPI, false},
		{http.MethodPost, "/api/v1/requests/:id/notes", h.APIRequestNote, Work, &limitAPI, false},
		{http.MethodPost, "/api/v1/requests/:id/messages", h.APIRequestMessage, Work, &limitAPI, false},
		{http.MethodPost, "/api/v1/requests/:id/extend", h.APIRequestExtend, Work, &limitAPI, false},
		{http.MethodPost, "/api/v1/requests/:id/assign", h.APIRequestAssign, Work, &limitAPI, false},
		{http.MethodGet, "/api/v1/opt-outs", h.APIOptOuts, Read, &limitAPI, false},
		{http.MethodGet, "/api/v1/opt-outs.csv", h.APIOptOutsCSV, Read, &limitAPI, false},
		{http.MethodGet, "/api/v1/requests/:id/tasks", h.APITasks, Read, &limitAPI, false},
		{http.MethodPost, "/api/v1/tasks/:id", h.APITaskUpdate, Work, &limitAPI, false},
	}
}
