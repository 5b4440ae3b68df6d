package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/handlers"
)

// route is one line of the route table.
type route struct {
	method, path string
	handler      echo.HandlerFunc
	mw           []echo.MiddlewareFunc
}

// routes is every route of the application, in one table.
func routes(h *handlers.Handlers, l limits, staff echo.MiddlewareFunc) []route {
	return []route{
		{http.MethodGet, "/healthz", h.Health, nil},
		{http.MethodGet, "/static/*", echo.WrapHandler(h.Assets), nil},

		// Requesters.
		{http.MethodGet, "/", h.Home, nil},
		{http.MethodGet, "/request", h.RequestWhere, nil},
		{http.MethodPost, "/request/where", h.RequestWherePost, nil},
		{http.MethodPost, "/request", h.RequestSubmit, mw(l.submit)},
		{http.MethodGet, "/track", h.Lookup, nil},
		{http.MethodPost, "/track", h.LookupPost, mw(l.guess)},
		{http.MethodGet, "/t/:token", h.Track, mw(l.track)},
		{http.MethodPost, "/t/:token/verify", h.VerifyPost, mw(l.guess)},
		{http.MethodGet, "/t/:token/verify/:code", h.VerifyLink, mw(l.guess)},
		{http.MethodPost, "/t/:token/resend", h.Resend, mw(l.guess)},
		{http.MethodGet, "/t/:token/requests/:id/withdraw", h.WithdrawConfirm, mw(l.track)},
		{http.MethodPost, "/t/:token/requests/:id/withdraw", h.Withdraw, mw(l.track)},
		{http.MethodPost, "/t/:token/requests/:id/appeal", h.Appeal, mw(l.track)},

		// Staff.
		{http.MethodGet, "/setup", h.Setup, mw(l.guess)},
		{http.MethodPost, "/setup", h.SetupPost, mw(l.guess)},
		{http.MethodGet, "/admin/login", h.Login, nil},
		{http.MethodPost, "/admin/login", h.LoginPost, mw(l.guess)},
		{http.MethodPost, "/admin/logout", h.Logout, nil},
		{http.MethodGet, "/admin", h.Queue, mw(staff)},
		{http.MethodGet, "/admin/requests/:id", h.RequestPage, mw(staff)},
		{http.MethodPost, "/admin/requests/:id/status", h.RequestStatus, mw(staff)},
		{http.MethodPost, "/admin/requests/:id/notes", h.RequestNote, mw(staff)},
		{http.MethodPost, "/admin/requests/:id/messages", h.RequestMessage, mw(staff)},
		{http.MethodPost, "/admin/requests/:id/extend", h.RequestExtend, mw(staff)},
	}
}

func mw(m ...echo.MiddlewareFunc) []echo.MiddlewareFunc { return m }
