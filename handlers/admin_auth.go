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

const staffKey = "staff"

// staffSessionTTL signs staff out after a working day.
const staffSessionTTL = 12 * time.Hour

// CurrentStaff is the signed-in staff member, or nil.
func CurrentStaff(c echo.Context) *models.Staff {
	st, _ := c.Get(staffKey).(*models.Staff)
	return st
}

// LoadStaff puts the signed-in staff member (if any) on the context.
func (h *Handlers) LoadStaff(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		s := h.session(c)
		id, _ := s.Values["staff_id"].(int64)
		at, _ := s.Values["staff_at"].(int64)
		if id != 0 && time.Since(time.Unix(at, 0)) < staffSessionTTL {
			st, err := h.Store.StaffByID(c.Request().Context(), id)
			if err != nil && !errors.Is(err, models.ErrNotFound) {
				return err
			}
			if st != nil {
				c.Set(staffKey, st)
			}
		}
		return next(c)
	}
}

// RequireStaff sends anyone not signed in to the login page.
func (h *Handlers) RequireStaff(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if CurrentStaff(c) == nil {
			if c.Request().Method == http.MethodGet {
				return redirect(c, "/admin/login?next="+url.QueryEscape(c.Request().URL.RequestURI()))
			}
			return echo.NewHTTPError(http.StatusForbidden)
		}
		c.Response().Header().Set("Cache-Control", "no-store")
		return next(c)
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

// LoginPost checks the password and starts a staff session.
func (h *Handlers) LoginPost(c echo.Context) error {
	email, password := c.FormValue("email"), c.FormValue("password")
	st, err := h.Store.Authenticate(c.Request().Context(), email, password, ip(c))
	if errors.Is(err, models.ErrBadLogin) {
		p := h.page(c, "login.title")
		f := components.Form{Values: url.Values{"email": {email}}, Errors: map[string]string{"email": p.T.T("error.login")}}
		return render(c, http.StatusUnauthorized, admin.Login(p, admin.LoginView{Form: f, Next: safeNext(c.FormValue("next"))}))
	}
	if err != nil {
		return err
	}
	if err := h.startStaffSession(c, st); err != nil {
		return err
	}
	return redirect(c, safeNext(c.FormValue("next")))
}

func (h *Handlers) startStaffSession(c echo.Context, st *models.Staff) error {
	s := h.session(c)
	s.Values = map[any]any{"staff_id": st.ID, "staff_at": time.Now().Unix()}
	return s.Save(c.Request(), c.Response())
}

// Logout ends the staff session.
func (h *Handlers) Logout(c echo.Context) error {
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
	if err := h.Store.CheckSetupToken(c.Request().Context(), token); err != nil {
		return h.setupError(c, err)
	}
	p := h.page(c, "setup.title")
	return render(c, http.StatusOK, admin.Setup(p, admin.SetupView{Form: components.Form{Values: url.Values{}}, Token: token}))
}

// SetupPost creates the first administrator and signs them in.
func (h *Handlers) SetupPost(c echo.Context) error {
	values, err := c.FormParams()
	if err != nil {
		return err
	}
	token := values.Get("token")
	st, err := h.Store.CompleteSetup(c.Request().Context(), token, models.StaffInput{
		Email: values.Get("email"), Name: values.Get("name"), Password: values.Get("password")}, ip(c))
	if validation(err) {
		p := h.page(c, "setup.title")
		values.Del("password")
		return render(c, http.StatusUnprocessableEntity, admin.Setup(p, admin.SetupView{Form: formOf(p, values, err, "name", "email", "password"), Token: token}))
	}
	if err != nil {
		return h.setupError(c, err)
	}
	if err := h.startStaffSession(c, st); err != nil {
		return err
	}
	return redirect(c, "/admin")
}

func (h *Handlers) setupError(c echo.Context, err error) error {
	switch {
	case errors.Is(err, models.ErrSetupDone):
		return h.RenderError(c, http.StatusGone, "setup.done_title", "setup.done")
	case errors.Is(err, models.ErrNotFound):
		return h.RenderError(c, http.StatusNotFound, "setup.invalid_title", "setup.invalid")
	}
	return err
}
