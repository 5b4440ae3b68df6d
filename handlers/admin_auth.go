package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/templates/components"
	"github.com/rightsdesk/rightsdesk/templates/pages/admin"
)

const (
	staffKey   = "staff"
	sessionKey = "staff_session" // the raw session token on the context
	// csrfCookie is the cookie Echo's CSRF middleware keeps its token in.
	csrfCookie = "rd_csrf"
)

// CurrentStaff is the signed-in staff member, or nil.
func CurrentStaff(c echo.Context) *models.Staff {
	st, _ := c.Get(staffKey).(*models.Staff)
	return st
}

// LoadStaff puts the signed-in staff member (if any) on the context. The
// cookie only names a session; the session record in the database decides,
// on every request, whether it is still live.
func (h *Handlers) LoadStaff(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if strings.HasPrefix(c.Request().URL.Path, "/static/") || IsAPI(c) {
			return next(c) // no database work for files; no cookie opens the API
		}
		token, _ := h.session(c).Values["sid"].(string)
		if token != "" {
			st, _, err := h.Staff.BySession(c.Request().Context(), token)
			if err != nil && !errors.Is(err, models.ErrNotFound) {
				return err
			}
			if st != nil {
				c.Set(staffKey, st)
				c.Set(sessionKey, token)
			}
		}
		return next(c)
	}
}

// RequireStaff sends anyone not signed in to the login page, and refuses
// a signed-in member whose role may not do what the route does (allowed
// is a rule from models: CanWork, CanConfigure, CanManageTeam; nil lets
// every role read). An administrator without two-step sign-in is sent to
// set it up before anything else.
func (h *Handlers) RequireStaff(allowed func(role string) bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			st := CurrentStaff(c)
			if st == nil {
				if IsAPI(c) {
					return &models.Error{Kind: models.KindUnauthorized, Key: "error.api.token"}
				}
				if c.Request().Method == http.MethodGet {
					return redirect(c, "/admin/login?next="+url.QueryEscape(c.Request().URL.RequestURI()))
				}
				return echo.NewHTTPError(http.StatusForbidden)
			}
			noStore(c)
			if models.NeedsTwoStep(st.Role) && !st.TwoStepOn() && !strings.HasPrefix(c.Path(), "/admin/account") {
				if c.Request().Method == http.MethodGet {
					return redirect(c, "/admin/account/two-step")
				}
				return &models.Error{Kind: models.KindForbidden, Key: "error.two_step.required"}
			}
			if allowed != nil && !allowed(st.Role) {
				return &models.Error{Kind: models.KindForbidden, Key: "error.role"}
			}
			return next(c)
		}
	}
}

// Login is the staff sign-in page.
func (h *Handlers) Login(c echo.Context) error {
	if CurrentStaff(c) != nil {
		return redirect(c, "/admin")
	}
	p := h.page(c, "login.title")
	return render(c, http.StatusOK, admin.Login(p, admin.LoginView{Form: components.Form{Values: url.Values{}}, Next: safeNext(c.QueryParam("next"))}))
}

// LoginPost checks the password and starts a staff session, or, for a
// member with two-step sign-in, asks for the code first.
func (h *Handlers) LoginPost(c echo.Context) error {
	email, password := c.FormValue("email"), c.FormValue("password")
	next := safeNext(c.FormValue("next"))
	in, err := h.Staff.Authenticate(c.Request().Context(), email, password, client(c))
	if formError(err) {
		p := h.page(c, "login.title")
		p.Failed = true
		f := formOf(p, url.Values{"email": {email}}, err, "email", "email", "password")
		status := Status(err)
		if errors.Is(err, models.ErrBadLogin) {
			status = http.StatusUnauthorized // a wrong address or password; bad bytes are a 422 by the field
		}
		return render(c, status, admin.Login(p, admin.LoginView{Form: f, Next: next}))
	}
	if err != nil {
		return err
	}
	if in.SecondStep {
		// The password was right; the cookie (encrypted and signed) holds
		// who it was for five minutes, until the code is given.
		s := h.session(c)
		s.Values = map[any]any{"two_step": in.Staff.ID, "two_step_until": time.Now().Add(5 * time.Minute).Unix(), "next": next}
		if err := s.Save(c.Request(), c.Response()); err != nil {
			return err
		}
		return redirect(c, "/admin/login/two-step")
	}
	if err := h.startStaffSession(c, in.Session); err != nil {
		return err
	}
	return redirect(c, next)
}

// twoStepPending is the staff member whose password was just right, while
// the second step is still to do.
func (h *Handlers) twoStepPending(c echo.Context) (int64, string, bool) {
	s := h.session(c)
	id, _ := s.Values["two_step"].(int64)
	until, _ := s.Values["two_step_until"].(int64)
	next, _ := s.Values["next"].(string)
	return id, next, id != 0 && time.Now().Unix() < until
}

// TwoStep asks for the authenticator code after the password.
func (h *Handlers) TwoStep(c echo.Context) error {
	if _, _, ok := h.twoStepPending(c); !ok {
		return redirect(c, "/admin/login")
	}
	p := h.page(c, "two_step.title")
	noStore(c)
	return render(c, http.StatusOK, admin.TwoStep(p, admin.TwoStepView{Form: components.Form{Values: url.Values{}}}))
}

// TwoStepPost checks the code and opens the session.
func (h *Handlers) TwoStepPost(c echo.Context) error {
	id, next, ok := h.twoStepPending(c)
	if !ok {
		return redirect(c, "/admin/login")
	}
	token, err := h.Staff.SecondStep(c.Request().Context(), id, c.FormValue("code"), client(c))
	if formError(err) {
		p := h.page(c, "two_step.title")
		p.Failed = true
		return render(c, Status(err), admin.TwoStep(p, admin.TwoStepView{Form: formOf(p, url.Values{}, err, "code", "code")}))
	}
	if err != nil {
		return err
	}
	if err := h.startStaffSession(c, token); err != nil {
		return err
	}
	return redirect(c, safeNext(next))
}

// startStaffSession puts a new session token in the cookie and drops the
// CSRF token, so that a token seen before sign-in is worthless after it.
func (h *Handlers) startStaffSession(c echo.Context, token string) error {
	s := h.session(c)
	s.Values = map[any]any{"sid": token}
	if err := s.Save(c.Request(), c.Response()); err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{Name: csrfCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: c.Scheme() == "https", SameSite: http.SameSiteLaxMode})
	return nil
}

// Logout ends the staff session, in the database as well as the cookie.
func (h *Handlers) Logout(c echo.Context) error {
	if token, ok := c.Get(sessionKey).(string); ok {
		if err := h.Staff.EndSession(c.Request().Context(), token, client(c)); err != nil {
			return err
		}
	}
	s := h.session(c)
	s.Values = map[any]any{}
	s.AddFlash("flash.logged_out")
	if err := s.Save(c.Request(), c.Response()); err != nil {
		return err
	}
	return redirect(c, "/admin/login")
}

// safeNext keeps post-login redirects inside the admin.
func safeNext(next string) string {
	if strings.HasPrefix(next, "/admin") && !strings.HasPrefix(next, "/admin/login") && !strings.Contains(next, "//") && !strings.Contains(next, "\\") {
		return next
	}
	return "/admin"
}

// Setup lets the first administrator create their account.
func (h *Handlers) Setup(c echo.Context) error {
	token := c.QueryParam("token")
	if err := h.Staff.CheckSetupToken(c.Request().Context(), token); err != nil {
		return setupError(err)
	}
	p := h.page(c, "setup.title")
	noStore(c)
	return render(c, http.StatusOK, admin.Setup(p, admin.SetupView{Form: components.Form{Values: url.Values{}}, Token: token}))
}

// SetupPost creates the first administrator and signs them in.
func (h *Handlers) SetupPost(c echo.Context) error {
	values, err := c.FormParams()
	if err != nil {
		return err
	}
	token := values.Get("token")
	_, session, err := h.Staff.CompleteSetup(c.Request().Context(), token, models.StaffInput{
		Email: values.Get("email"), Name: values.Get("name"), Password: values.Get("password")}, client(c))
	if models.KindOf(err) == models.KindInvalid {
		p := h.page(c, "setup.title")
		p.Failed = true
		values.Del("password")
		return render(c, http.StatusUnprocessableEntity, admin.Setup(p, admin.SetupView{Form: formOf(p, values, err, "name", "name", "email", "password"), Token: token}))
	}
	if err != nil {
		return setupError(err)
	}
	if err := h.startStaffSession(c, session); err != nil {
		return err
	}
	return redirect(c, "/admin")
}

// setupError gives set-up failures their own headings.
func setupError(err error) error {
	switch {
	case errors.Is(err, models.ErrSetupDone):
		return &pageError{err: err, heading: "setup.done_title"}
	case errors.Is(err, models.ErrSetupInvalid):
		return &pageError{err: err, heading: "setup.invalid_title"}
	}
	return err
}

// pageError is a domain error shown under a heading of the handler's
// choosing; the web error handler renders it.
type pageError struct {
	err     error
	heading string
}

func (e *pageError) Error() string { return e.err.Error() }
func (e *pageError) Unwrap() error { return e.err }

// Heading is the catalog key of the error page's heading.
func (e *pageError) Heading() string { return e.heading }
