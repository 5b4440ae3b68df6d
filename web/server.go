// Package web assembles the HTTP application: the middleware chain, the
// route table and the one place where errors become pages.
package web

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo-contrib/session"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/rightsdesk/rightsdesk/handlers"
	"github.com/rightsdesk/rightsdesk/models"
)

const minute = time.Minute

// Options configure the application.
type Options struct {
	BaseURL    string         // the public origin; https:// makes cookies Secure and turns on HSTS
	CookieHash []byte         // 32 bytes, signs the session cookie
	CookieKey  []byte         // 32 bytes, encrypts it
	TrustProxy bool           // take the client address from X-Forwarded-For
	Limits     *models.Limits // the per-client limits, scaled by the core's LimitScale
	Logger     *slog.Logger
	UploadMax  int64 // the largest uploaded file, in bytes; an upload's body may be this plus MaxBody
	ImportMax  int64 // the largest records file staff upload (routes marked large)
}

// MaxBody bounds every request body.
const MaxBody = "1M"

// ErrCSRF is a form posted without this site's token or from another
// origin.
var ErrCSRF = &models.Error{Kind: models.KindForbidden, Key: "error.csrf"}

// New returns the application.
func New(h *handlers.Handlers, o Options) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.IPExtractor = echo.ExtractIPDirect()
	if o.TrustProxy {
		e.IPExtractor = echo.ExtractIPFromXFFHeader()
	}
	secure := strings.HasPrefix(o.BaseURL, "https://")
	table := routes(h)
	known := map[string]route{} // by "METHOD path", HEAD included
	for _, r := range table {
		known[r.method+" "+r.path] = r
		if r.method == http.MethodGet {
			known[http.MethodHead+" "+r.path] = r
		}
	}
	lookup := func(c echo.Context) (route, bool) {
		r, ok := known[c.Request().Method+" "+c.Path()]
		return r, ok
	}
	routed := func(c echo.Context) bool { _, ok := lookup(c); return ok }
	// Data Rights Protocol routes answer other programs: no cookies, no
	// forms, their own authentication (handlers/api_drp.go).
	drp := func(c echo.Context) bool { r, ok := lookup(c); return ok && (r.access == DRP || r.access == Hook) }
	// Upload routes stream a multipart body: their CSRF token is checked
	// as the body is read (handlers.multipartForm), never by parsing the
	// whole body first.
	upload := func(c echo.Context) bool { r, ok := lookup(c); return ok && r.upload }
	e.HTTPErrorHandler = errorHandler(h, o.Logger)

	store := sessions.NewCookieStore(o.CookieHash, o.CookieKey)
	store.Options = &sessions.Options{Path: "/", MaxAge: int(models.SessionTTL.Seconds()), HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode}

	e.Use(
		middleware.Recover(),
		middleware.RequestID(),
		accessLog(o.Logger),
		securityHeaders(secure),
		noStoreTyped,
		session.Middleware(store), // before anything that can fail: error pages read the session
		middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: MaxBody, Skipper: upload}),
		parseForm(routed),
		sameOrigin(o.BaseURL, func(c echo.Context) bool { return routed(c) && !drp(c) }),
		middleware.CSRFWithConfig(middleware.CSRFConfig{
			// No token cookie for files, health checks, the APIs (bearer
			// tokens, no cookies), what other sites and mail clients post
			// (crossSite), or methods no route has (those answer 404/405,
			// not 403); uploads check the token themselves, as the body
			// streams in.
			Skipper: func(c echo.Context) bool {
				return !routed(c) || c.Path() == "/static/*" || c.Path() == "/healthz" || handlers.IsAPI(c) || drp(c) || upload(c) || crossSite[c.Path()]
			},
			TokenLookup: "form:_csrf", CookieName: "rd_csrf", CookiePath: "/",
			CookieHTTPOnly: true, CookieSecure: secure, CookieSameSite: http.SameSiteLaxMode,
			ErrorHandler: func(error, echo.Context) error { return ErrCSRF },
		}),
		h.LoadAPIToken,
		h.LoadStaff,
		h.LoadAgent,
	)
	uploadLimit := middleware.BodyLimit(strconv.FormatInt((max(o.UploadMax, 1<<20)>>10)+1024, 10) + "K")
	largeLimit := middleware.BodyLimit(strconv.FormatInt((max(o.ImportMax, o.UploadMax, 1<<20)>>10)+1024, 10) + "K")
	for _, r := range table {
		var mw []echo.MiddlewareFunc
		switch {
		case r.upload && largeUploads[r.path]:
			mw = append(mw, largeLimit)
		case r.upload:
			mw = append(mw, uploadLimit)
		}
		switch r.access {
		case Public, DRP, Hook:
		case AgentOnly:
			mw = append(mw, h.RequireAgent)
		default:
			mw = append(mw, h.RequireStaff(r.access.allowed()))
		}
		if r.limit != nil {
			mw = append(mw, rateLimit(o.Limits, *r.limit))
		}
		e.Add(r.method, r.path, r.handler, mw...)
		if r.method == http.MethodGet {
			e.Add(http.MethodHead, r.path, r.handler, mw...)
		}
	}
	return e
}

// Routes describes the route table, for tests that walk it.
func Routes(h *handlers.Handlers) []RouteInfo {
	var out []RouteInfo
	for _, r := range routes(h) {
		out = append(out, RouteInfo{Method: r.method, Path: r.path, Access: r.access, Limited: r.limit != nil, Upload: r.upload})
	}
	return out
}

// rateLimit counts each request against l for the client's address, in
// the database (shared by every instance).
func rateLimit(limits *models.Limits, l models.Limit) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			ok, until, err := limits.Allow(c.Request().Context(), l, c.RealIP())
			if err != nil {
				return err
			}
			if !ok {
				wait := max(1, int(time.Until(until).Seconds()+0.5))
				c.Response().Header().Set("Retry-After", strconv.Itoa(wait))
				return echo.NewHTTPError(http.StatusTooManyRequests)
			}
			return next(c)
		}
	}
}

// parseForm reads an urlencoded body once, up front, so that a body over
// the limit answers 413 and a malformed or oversized query (too many
// parameters) 400, rather than failing later inside the CSRF check.
func parseForm(routed func(echo.Context) bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if r.Method != http.MethodPost || !routed(c) {
				return next(c)
			}
			if err := r.ParseForm(); err != nil {
				var he *echo.HTTPError
				if errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge {
					return echo.ErrStatusRequestEntityTooLarge
				}
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) {
					return echo.ErrStatusRequestEntityTooLarge
				}
				return echo.ErrBadRequest
			}
			return next(c)
		}
	}
}

// sameOrigin refuses a state-changing request that a browser says comes
// from another site: a second line of defence beside the CSRF token.
// Sec-Fetch-Site is sent by current browsers on every request; Origin by
// most on a POST ("null" under our no-referrer policy, which says nothing).
func sameOrigin(baseURL string, routed func(echo.Context) bool) echo.MiddlewareFunc {
	base, _ := url.Parse(baseURL)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if r.Method == http.MethodGet || r.Method == http.MethodHead || !routed(c) || handlers.IsAPI(c) || crossSite[c.Path()] {
				return next(c)
			}
			switch r.Header.Get("Sec-Fetch-Site") {
			case "", "same-origin", "none":
			default:
				return ErrCSRF
			}
			if origin := r.Header.Get("Origin"); origin != "" && origin != "null" {
				u, err := url.Parse(origin)
				if err != nil || !(sameHost(u, base) || u.Host == r.Host && u.Scheme == c.Scheme()) {
					return ErrCSRF
				}
			}
			return next(c)
		}
	}
}

func sameHost(a, b *url.URL) bool { return b != nil && a.Scheme == b.Scheme && a.Host == b.Host }

// securityHeaders sets a strict policy on every response.
func securityHeaders(secure bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			hd := c.Response().Header()
			hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
				"form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
			hd.Set("X-Content-Type-Options", "nosniff")
			hd.Set("X-Frame-Options", "DENY")
			// Tracking links carry a secret: never send the URL elsewhere.
			hd.Set("Referrer-Policy", "no-referrer")
			hd.Set("Cross-Origin-Opener-Policy", "same-origin")
			hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
			if secure || c.IsTLS() {
				hd.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
			}
			return next(c)
		}
	}
}

// noStoreTyped keeps out of every cache each answer that may show what a
// person typed: every answer to a POST (a form re-rendered with its
// values, a failed sign-in) and every error (4xx, 5xx), whichever handler
// or error page writes it. Pages that show a secret on a GET (a tracking
// page, a recovery code) say so themselves (handlers.noStore).
func noStoreTyped(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		res := c.Response()
		post := c.Request().Method != http.MethodGet && c.Request().Method != http.MethodHead
		res.Before(func() {
			if post || res.Status >= 400 {
				res.Header().Set("Cache-Control", "no-store")
			}
		})
		return next(c)
	}
}

// accessLog logs each request by its route pattern, never its URL: paths
// hold tracking tokens and codes.
func accessLog(log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				c.Error(err)
			}
			log.Info("http", "method", c.Request().Method, "route", c.Path(), "status", c.Response().Status,
				"ms", time.Since(start).Milliseconds(), "id", c.Response().Header().Get(echo.HeaderXRequestID))
			return nil
		}
	}
}

// errorHandler turns every error into a page with the right status; the
// status comes from handlers.Status, the one mapping of error kinds.
// A database outage is logged by the core, once per outage, not once a
// request.
func errorHandler(h *handlers.Handlers, log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		status := handlers.Status(err)
		key := messageKey(err, status)
		heading := titleKey(status)
		if status == http.StatusForbidden && key != "error.csrf" {
			heading = "error.title.not_allowed"
		}
		var ph interface{ Heading() string }
		if errors.As(err, &ph) {
			heading = ph.Heading()
		}
		switch {
		case status == http.StatusServiceUnavailable:
			h.Core.ReportOutage(err)
			c.Response().Header().Set("Retry-After", handlers.RetryAfter)
		case status >= 500:
			log.Error("request failed", "route", c.Path(), "err", err,
				"id", c.Response().Header().Get(echo.HeaderXRequestID))
		}
		if c.Request().Method == http.MethodHead {
			_ = c.NoContent(status)
			return
		}
		if handlers.IsAPI(c) || handlers.IsHook(c) {
			if rerr := h.RenderAPIError(c, status, key, messageArgs(err), err); rerr != nil {
				log.Error("error answer failed", "err", rerr)
			}
			return
		}
		if rerr := h.RenderError(c, status, heading, key, messageArgs(err)...); rerr != nil {
			log.Error("error page failed", "err", rerr)
			_ = c.String(status, http.StatusText(status))
		}
	}
}

// messageKey is the catalog key of what an error page says: the domain's
// own message where the error carries one, else one per status.
func messageKey(err error, status int) string {
	var de *models.Error
	if errors.As(err, &de) && de.Key != "" && status != http.StatusInternalServerError {
		return de.Key
	}
	switch status {
	case http.StatusNotFound:
		return "error.not_found"
	case http.StatusMethodNotAllowed:
		return "error.method"
	case http.StatusRequestEntityTooLarge:
		return "error.too_large"
	case http.StatusTooManyRequests:
		return "error.too_many"
	case http.StatusForbidden:
		return "error.csrf"
	case http.StatusConflict:
		return "error.conflict"
	case http.StatusServiceUnavailable:
		return "error.unavailable"
	}
	if status >= 500 {
		return "error.server"
	}
	return "error.bad_request"
}

func messageArgs(err error) []any {
	var de *models.Error
	if errors.As(err, &de) {
		return de.Args
	}
	return nil
}

// titleKey names the heading of an error page.
func titleKey(status int) string {
	switch status {
	case http.StatusUnauthorized, http.StatusNotFound, http.StatusForbidden, http.StatusConflict, http.StatusTooManyRequests,
		http.StatusRequestEntityTooLarge, http.StatusGone, http.StatusServiceUnavailable:
		return "error.title." + strconv.Itoa(status)
	}
	if status >= 500 {
		return "error.title.500"
	}
	return "error.title.400"
}
