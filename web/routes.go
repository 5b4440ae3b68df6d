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
}

// RouteInfo describes a route, for tests that walk the table.
type RouteInfo struct {
	Method, Path string
	Access       Access
	Limited      bool
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
)

// routes is every route of the application, in one table.
func routes(h *handlers.Handlers) []route {
	return []route{
		{http.MethodGet, "/healthz", h.Health, Public, nil},
		{http.MethodGet, "/static/*", echo.WrapHandler(h.Assets), Public, nil},

		// Requesters.
		{http.MethodGet, "/", h.Home, Public, nil},
		{http.MethodGet, "/request", h.RequestWhere, Public, nil},
		{http.MethodPost, "/request/where", h.RequestWherePost, Public, nil},
		{http.MethodPost, "/request", h.RequestSubmit, Public, &limitSubmit},
		{http.MethodGet, "/track", h.Lookup, Public, nil},
		{http.MethodPost, "/track", h.LookupPost, Public, &limitGuess},
		// A tracking token is 256 random bits: there is nothing to guess,
		// so reading the page is not limited.
		{http.MethodGet, "/t/:token", h.Track, Public, nil},
		{http.MethodPost, "/t/:token/verify", h.VerifyPost, Public, &limitGuess},
		{http.MethodGet, "/t/:token/verify/:code", h.VerifyLink, Public, nil},
		{http.MethodPost, "/t/:token/resend", h.Resend, Public, &limitGuess},
		{http.MethodPost, "/t/:token/new-link", h.NewLink, Public, &limitGuess},
		{http.MethodGet, "/t/:token/requests/:id/withdraw", h.WithdrawConfirm, Public, nil},
		{http.MethodPost, "/t/:token/requests/:id/withdraw", h.Withdraw, Public, &limitWrite},
		{http.MethodPost, "/t/:token/requests/:id/appeal", h.Appeal, Public, &limitWrite},

		// Staff.
		{http.MethodGet, "/setup", h.Setup, Public, &limitGuess},
		{http.MethodPost, "/setup", h.SetupPost, Public, &limitGuess},
		{http.MethodGet, "/admin/login", h.Login, Public, nil},
		{http.MethodPost, "/admin/login", h.LoginPost, Public, &limitLogin},
		{http.MethodGet, "/admin/login/two-step", h.TwoStep, Public, nil},
		{http.MethodPost, "/admin/login/two-step", h.TwoStepPost, Public, &limitLogin},
		{http.MethodPost, "/admin/logout", h.Logout, Public, nil},
		{http.MethodGet, "/invite/:token", h.Invite, Public, &limitGuess},
		{http.MethodPost, "/invite/:token", h.InvitePost, Public, &limitGuess},
		{http.MethodGet, "/reset/:token", h.Reset, Public, &limitGuess},
		{http.MethodPost, "/reset/:token", h.ResetPost, Public, &limitGuess},
		{http.MethodGet, "/admin", h.Queue, Read, nil},
		{http.MethodGet, "/admin/requests/:id", h.RequestPage, Read, nil},
		{http.MethodGet, "/admin/export/requests.csv", h.ExportRequests, Read, nil},
		{http.MethodGet, "/admin/export/audit.csv", h.ExportAudit, Read, nil},
		{http.MethodPost, "/admin/requests/:id/status", h.RequestStatus, Work, nil},
		{http.MethodPost, "/admin/requests/:id/notes", h.RequestNote, Work, nil},
		{http.MethodPost, "/admin/requests/:id/messages", h.RequestMessage, Work, nil},
		{http.MethodPost, "/admin/requests/:id/extend", h.RequestExtend, Work, nil},
		{http.MethodGet, "/admin/account", h.Account, Read, nil},
		{http.MethodPost, "/admin/account/password", h.AccountPassword, Read, &limitLogin},
		{http.MethodPost, "/admin/account/sign-out-everywhere", h.SignOutEverywhere, Read, nil},
		{http.MethodGet, "/admin/account/two-step", h.TwoStepSetup, Read, nil},
		{http.MethodPost, "/admin/account/two-step", h.TwoStepConfirm, Read, &limitLogin},
		{http.MethodGet, "/admin/team", h.Team, Team, nil},
		{http.MethodPost, "/admin/team/invite", h.TeamInvite, Team, nil},
		{http.MethodPost, "/admin/team/:id/role", h.TeamRole, Team, nil},
		{http.MethodPost, "/admin/team/:id/reset", h.TeamReset, Team, nil},
		{http.MethodPost, "/admin/team/:id/reset-two-step", h.TeamResetTwoStep, Team, nil},
		{http.MethodPost, "/admin/team/:id/deactivate", h.TeamDeactivate, Team, nil},
		{http.MethodPost, "/admin/account/tokens", h.TokenCreate, Read, nil},
		{http.MethodPost, "/admin/account/tokens/:id/revoke", h.TokenRevoke, Read, nil},

		// The staff JSON API (bearer tokens; described by the OpenAPI document).
		{http.MethodGet, "/api/v1/openapi.json", h.APIDocument, Public, nil},
		{http.MethodGet, "/api/v1/requests", h.APIQueue, Read, &limitAPI},
		{http.MethodGet, "/api/v1/requests/:id", h.APIRequestGet, Read, &limitAPI},
		{http.MethodPost, "/api/v1/requests/:id/status", h.APIRequestStatus, Work, &limitAPI},
		{http.MethodPost, "/api/v1/requests/:id/notes", h.APIRequestNote, Work, &limitAPI},
		{http.MethodPost, "/api/v1/requests/:id/messages", h.APIRequestMessage, Work, &limitAPI},
		{http.MethodPost, "/api/v1/requests/:id/extend", h.APIRequestExtend, Work, &limitAPI},
	}
}
