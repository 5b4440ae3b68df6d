package handlers

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/templates/components"
	"github.com/rightsdesk/rightsdesk/templates/pages/admin"
)

// Account shows a staff member their sessions and lets them change their
// password or sign out everywhere.
func (h *Handlers) Account(c echo.Context) error {
	return h.renderAccount(c, http.StatusOK, components.Form{Values: url.Values{}})
}

func (h *Handlers) renderAccount(c echo.Context, status int, f components.Form) error {
	st := CurrentStaff(c)
	sessions, err := h.Staff.Sessions(c.Request().Context(), st.ID)
	if err != nil {
		return err
	}
	p := h.page(c, "account.title")
	p.Failed = status >= 400
	current, _ := c.Get(sessionKey).(string)
	currentID := int64(0)
	if _, ss, err := h.Staff.BySession(c.Request().Context(), current); err == nil {
		currentID = ss.ID
	}
	v := admin.AccountView{Name: st.Name, Email: st.Email, Role: p.T.T("role." + st.Role), PasswordForm: f}
	for _, s := range sessions {
		v.Sessions = append(v.Sessions, admin.SessionRow{Started: s.CreatedAt, LastSeen: s.LastSeenAt, IP: s.IP,
			Browser: browserName(s.UserAgent), Current: s.ID == currentID})
	}
	return render(c, status, admin.Account(p, v))
}

// AccountPassword changes the signed-in member's password; their other
// sessions end.
func (h *Handlers) AccountPassword(c echo.Context) error {
	st := CurrentStaff(c)
	current, _ := c.Get(sessionKey).(string)
	err := h.Staff.ChangePassword(c.Request().Context(), st.ID, c.FormValue("current"), c.FormValue("password"), current,
		models.StaffActor(st.ID, ip(c)))
	if formError(err) {
		p := h.page(c, "account.title")
		return h.renderAccount(c, Status(err), formOf(p, url.Values{}, err, "password", "current", "password"))
	}
	if err != nil {
		return err
	}
	if err := h.flash(c, "flash.password_changed"); err != nil {
		return err
	}
	return redirect(c, "/admin/account")
}

// SignOutEverywhere ends every session of the signed-in member, this one too.
func (h *Handlers) SignOutEverywhere(c echo.Context) error {
	st := CurrentStaff(c)
	if err := h.Staff.EndAllSessions(c.Request().Context(), st.ID, models.StaffActor(st.ID, ip(c))); err != nil {
		return err
	}
	s := h.session(c)
	s.Values = map[any]any{}
	s.AddFlash("flash.signed_out_everywhere")
	if err := s.Save(c.Request(), c.Response()); err != nil {
		return err
	}
	return redirect(c, "/admin/login")
}

// Team lists the staff accounts (administrators only).
func (h *Handlers) Team(c echo.Context) error {
	list, err := h.Staff.List(c.Request().Context())
	if err != nil {
		return err
	}
	p := h.page(c, "team.title")
	me := CurrentStaff(c)
	var v admin.TeamView
	for _, m := range list {
		v.Members = append(v.Members, admin.Member{ID: m.ID, Name: m.Name, Email: m.Email, Role: p.T.T("role." + m.Role),
			LastLogin: m.LastLoginAt, Disabled: m.DisabledAt != nil, Self: m.ID == me.ID})
	}
	return render(c, http.StatusOK, admin.Team(p, v))
}

// TeamDeactivate disables an account and signs it out everywhere.
func (h *Handlers) TeamDeactivate(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	me := CurrentStaff(c)
	if id == me.ID {
		return models.ErrInvalidState // an administrator cannot lock themselves out
	}
	if err := h.Staff.Deactivate(c.Request().Context(), id, models.StaffActor(me.ID, ip(c))); err != nil {
		return err
	}
	if err := h.flash(c, "flash.deactivated"); err != nil {
		return err
	}
	return redirect(c, "/admin/team")
}

// browserName is a short, readable name for a User-Agent string.
func browserName(ua string) string {
	for _, b := range []struct{ token, name string }{
		{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"Chrome/", "Chrome"}, {"Safari/", "Safari"},
	} {
		if strings.Contains(ua, b.token) {
			return b.name
		}
	}
	if ua == "" {
		return "?"
	}
	return "other"
}
