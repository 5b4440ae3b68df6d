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
	Public Access = "public" // anyone
	Staff  Access = "staff"  // any signed-in staff member
	Admin  Access = "admin"  // administrators only
)

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
		{http.MethodPost, "/request/change", h.RequestChange, Public, nil},
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
		{http.MethodPost, "/t/:token/requests/:id/answer", h.Answer, Public, &limitWrite},
		{http.MethodPost, "/t/:token/complaint", h.Complain, Public, &limitWrite},

		// Staff.
		{http.MethodGet, "/setup", h.Setup, Public, &limitGuess},
		{http.MethodPost, "/setup", h.SetupPost, Public, &limitGuess},
		{http.MethodGet, "/admin/login", h.Login, Public, nil},
		{http.MethodPost, "/admin/login", h.LoginPost, Public, &limitLogin},
		{http.MethodPost, "/admin/logout", h.Logout, Public, nil},
		{http.MethodGet, "/admin", h.Queue, Staff, nil},
		{http.MethodGet, "/admin/requests/:id", h.RequestPage, Staff, nil},
		{http.MethodPost, "/admin/requests/:id/status", h.RequestStatus, Staff, nil},
		{http.MethodPost, "/admin/requests/:id/notes", h.RequestNote, Staff, nil},
		{http.MethodPost, "/admin/requests/:id/messages", h.RequestMessage, Staff, nil},
		{http.MethodPost, "/admin/requests/:id/extend", h.RequestExtend, Staff, nil},
		{http.MethodPost, "/admin/requests/:id/pause", h.RequestPause, Staff, nil},
		{http.MethodPost, "/admin/requests/:id/resume", h.RequestResume, Staff, nil},
		{http.MethodGet, "/admin/account", h.Account, Staff, nil},
		{http.MethodPost, "/admin/account/password", h.AccountPassword, Staff, &limitLogin},
		{http.MethodPost, "/admin/account/sign-out-everywhere", h.SignOutEverywhere, Staff, nil},
		{http.MethodGet, "/admin/team", h.Team, Admin, nil},
		{http.MethodPost, "/admin/team/:id/deactivate", h.TeamDeactivate, Admin, nil},
	}
}
