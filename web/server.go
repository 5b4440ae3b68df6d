// Package web assembles the HTTP application: the middleware chain, the
// route table and the one place where errors become pages.
package web

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo-contrib/session"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/rightsdesk/rightsdesk/handlers"
	"github.com/rightsdesk/rightsdesk/models"
	"golang.org/x/time/rate"
)

// Options configure the application.
type Options struct {
	Secure     bool    // served over https: Secure cookies and HSTS
	CookieHash []byte  // 32 bytes, signs the session cookie
	CookieKey  []byte  // 32 bytes, encrypts it
	TrustProxy bool    // take the client address from X-Forwarded-For
	RateScale  float64 // multiplies every rate limit (1 = defaults)
	Logger     *slog.Logger
}

// MaxBody bounds every request body.
const MaxBody = "1M"

// New returns the application.
func New(h *handlers.Handlers, o Options) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.IPExtractor = echo.ExtractIPDirect()
	if o.TrustProxy {
		e.IPExtractor = echo.ExtractIPFromXFFHeader()
	}
	e.HTTPErrorHandler = errorHandler(h, o.Logger)

	store := sessions.NewCookieStore(o.CookieHash, o.CookieKey)
	store.Options = &sessions.Options{Path: "/", MaxAge: 12 * 3600, HttpOnly: true, Secure: o.Secure, SameSite: http.SameSiteLaxMode}

	e.Use(
		middleware.Recover(),
		middleware.RequestID(),
		accessLog(o.Logger),
		securityHeaders(o.Secure),
		session.Middleware(store), // before anything that can fail: error pages read the session
		middleware.BodyLimit(MaxBody),
		middleware.CSRFWithConfig(middleware.CSRFConfig{
			TokenLookup: "form:_csrf", CookieName: "rd_csrf", CookiePath: "/",
			CookieHTTPOnly: true, CookieSecure: o.Secure, CookieSameSite: http.SameSiteLaxMode,
		}),
		h.LoadStaff,
	)
	l := newLimits(o.RateScale)
	for _, r := range routes(h, l, h.RequireStaff) {
		e.Add(r.method, r.path, r.handler, r.mw...)
	}
	return e
}

// limits are per-client rate limits for anything guessable.
type limits struct {
	submit, guess, track echo.MiddlewareFunc
}

func newLimits(scale float64) limits {
	if scale <= 0 {
		scale = 1
	}
	mk := func(perMinute float64, burst int) echo.MiddlewareFunc {
		perMinute, burst = perMinute*scale, int(float64(burst)*scale)
		return middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
			Store: middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
				Rate: rate.Limit(perMinute / 60), Burst: burst, ExpiresIn: 10 * time.Minute}),
			IdentifierExtractor: func(c echo.Context) (string, error) { return c.RealIP(), nil },
			DenyHandler: func(c echo.Context, _ string, _ error) error {
				return echo.NewHTTPError(http.StatusTooManyRequests)
			},
		})
	}
	return limits{submit: mk(10, 10), guess: mk(20, 20), track: mk(120, 60)}
}

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

// errorHandler turns every error into a page with the right status; domain
// errors map to statuses here and nowhere else.
func errorHandler(h *handlers.Handlers, log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		status, key := http.StatusInternalServerError, "error.server"
		var he *echo.HTTPError
		var ve *models.ValidationError
		var re *models.RuleError
		switch {
		case errors.As(err, &ve):
			status, key = http.StatusUnprocessableEntity, "error.bad_request"
		case errors.As(err, &re):
			status, key = http.StatusConflict, "error.conflict"
		case errors.Is(err, models.ErrNotFound):
			status, key = http.StatusNotFound, "error.not_found"
		case errors.Is(err, models.ErrInvalidState), errors.Is(err, models.ErrDuplicate):
			status, key = http.StatusConflict, "error.conflict"
		case errors.Is(err, models.ErrThrottled):
			status, key = http.StatusTooManyRequests, "error.too_many"
		case errors.As(err, &he):
			status = he.Code
			switch {
			case status == http.StatusNotFound:
				key = "error.not_found"
			case status == http.StatusMethodNotAllowed:
				key = "error.method"
			case status == http.StatusRequestEntityTooLarge:
				key = "error.too_large"
			case status == http.StatusTooManyRequests:
				key = "error.too_many"
			case status == http.StatusForbidden || (status == http.StatusBadRequest && isCSRF(he)):
				status, key = http.StatusForbidden, "error.csrf"
			case status < 500:
				key = "error.bad_request"
			}
		}
		if status >= 500 {
			log.Error("request failed", "route", c.Path(), "err", err,
				"id", c.Response().Header().Get(echo.HeaderXRequestID))
		}
		if c.Request().Method == http.MethodHead {
			_ = c.NoContent(status)
			return
		}
		if rerr := h.RenderError(c, status, titleKey(status), key); rerr != nil {
			log.Error("error page failed", "err", rerr)
			_ = c.String(status, http.StatusText(status))
		}
	}
}

func isCSRF(he *echo.HTTPError) bool {
	msg, _ := he.Message.(string)
	return strings.Contains(strings.ToLower(msg), "csrf")
}

// titleKey names the heading of an error page.
func titleKey(status int) string {
	switch status {
	case http.StatusNotFound, http.StatusForbidden, http.StatusConflict, http.StatusTooManyRequests,
		http.StatusRequestEntityTooLarge, http.StatusGone:
		return "error.title." + strconv.Itoa(status)
	}
	if status >= 500 {
		return "error.title.500"
	}
	return "error.title.400"
}
