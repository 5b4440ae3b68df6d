package handlers

import (
	"encoding/base64"
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
	return h.renderAccount(c, http.StatusOK, accountForms{})
}

// accountForms is the state of the account page's forms after a post.
type accountForms struct {
	password, token components.Form
	newToken        string
}

func (h *Handlers) renderAccount(c echo.Context, status int, fs accountForms) error {
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
	left, err := h.Staff.RecoveryCodesLeft(c.Request().Context(), st.ID)
	if err != nil {
		return err
	}
	tokens, err := h.Staff.APITokens(c.Request().Context(), st.ID)
	if err != nil {
		return err
	}
	v := admin.AccountView{Name: st.Name, Email: st.Email, Role: p.T.T("role." + st.Role), PasswordForm: orEmpty(fs.password),
		TwoStepOn: st.TwoStepOn(), RecoveryLeft: left, TokenForm: orEmpty(fs.token), NewToken: fs.newToken}
	if v.TokenForm.Get("scope") == "" {
		v.TokenForm.Values.Set("scope", models.ScopeRead)
	}
	for _, sc := range []string{models.ScopeRead, models.ScopeWrite} {
		v.Scopes = append(v.Scopes, components.Option{Value: sc, Label: p.T.T("scope." + sc), Hint: p.T.T("scope." + sc + ".hint")})
	}
	for _, t := range tokens {
		v.Tokens = append(v.Tokens, admin.TokenRow{ID: t.ID, Name: t.Name, Scope: p.T.T("scope." + t.Scope), Created: t.CreatedAt, LastUsed: t.LastUsedAt})
	}
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
		return h.renderAccount(c, Status(err), accountForms{password: formOf(p, url.Values{}, err, "password", "current", "password")})
	}
	if err != nil {
		return err
	}
	return h.flashTo(c, "flash.password_changed", "/admin/account")
}

// TokenCreate makes a personal API token and shows it, once.
func (h *Handlers) TokenCreate(c echo.Context) error {
	st := CurrentStaff(c)
	values, err := c.FormParams()
	if err != nil {
		return err
	}
	token, err := h.Staff.NewAPIToken(c.Request().Context(), st.ID, values.Get("name"), values.Get("scope"), models.StaffActor(st.ID, ip(c)))
	if formError(err) {
		p := h.page(c, "account.title")
		return h.renderAccount(c, Status(err), accountForms{token: formOf(p, values, err, "name", "name", "scope")})
	}
	if err != nil {
		return err
	}
	return h.renderAccount(c, http.StatusOK, accountForms{newToken: token})
}

// TokenRevoke ends one of the member's tokens.
func (h *Handlers) TokenRevoke(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	st := CurrentStaff(c)
	if err := h.Staff.RevokeAPIToken(c.Request().Context(), st.ID, id, models.StaffActor(st.ID, ip(c))); err != nil {
		return err
	}
	return h.flashTo(c, "flash.token_revoked", "/admin/account#tokens")
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

// TwoStepSetup shows a new authenticator key to enrol.
func (h *Handlers) TwoStepSetup(c echo.Context) error {
	return h.renderTwoStepSetup(c, http.StatusOK, components.Form{Values: url.Values{}})
}

func (h *Handlers) renderTwoStepSetup(c echo.Context, status int, f components.Form) error {
	st := CurrentStaff(c)
	setup, err := h.Staff.NewTwoStep(st, h.org().Name+" privacy")
	if err != nil {
		return err
	}
	p := h.page(c, "two_step.setup_title")
	p.Failed = status >= 400
	noStore(c)
	return render(c, status, admin.TwoStepSetup(p, admin.TwoStepSetupView{
		Required: models.NeedsTwoStep(st.Role) && !st.TwoStepOn(),
		QR:       "data:image/png;base64," + base64.StdEncoding.EncodeToString(setup.QRPNG),
		Secret:   groupsOf4(setup.Secret), Sealed: setup.Sealed, Form: f}))
}

// TwoStepConfirm turns two-step sign-in on with a code from the new key,
// and shows the recovery codes once.
func (h *Handlers) TwoStepConfirm(c echo.Context) error {
	st := CurrentStaff(c)
	codes, err := h.Staff.ConfirmTwoStep(c.Request().Context(), st.ID, c.FormValue("sealed"), c.FormValue("code"), models.StaffActor(st.ID, ip(c)))
	if formError(err) {
		p := h.page(c, "two_step.setup_title")
		return h.renderTwoStepSetup(c, Status(err), formOf(p, url.Values{}, err, "code", "code"))
	}
	if err != nil {
		return err
	}
	p := h.page(c, "two_step.codes_title")
	return render(c, http.StatusOK, admin.RecoveryCodes(p, admin.RecoveryCodesView{Codes: codes}))
}

// groupsOf4 spaces a key for typing: ABCD EFGH …
func groupsOf4(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Team lists the staff accounts and invitations (administrators only).
func (h *Handlers) Team(c echo.Context) error {
	return h.renderTeam(c, http.StatusOK, components.Form{Values: url.Values{"role": {models.RoleReviewer}}})
}

func (h *Handlers) renderTeam(c echo.Context, status int, f components.Form) error {
	ctx := c.Request().Context()
	list, err := h.Staff.List(ctx)
	if err != nil {
		return err
	}
	invites, err := h.Staff.Invitations(ctx)
	if err != nil {
		return err
	}
	p := h.page(c, "team.title")
	p.Failed = status >= 400
	me := CurrentStaff(c)
	v := admin.TeamView{InviteForm: f}
	for _, r := range models.Roles {
		v.Roles = append(v.Roles, components.Option{Value: r, Label: p.T.T("role." + r), Hint: p.T.T("role." + r + ".hint")})
	}
	for _, m := range list {
		v.Members = append(v.Members, admin.Member{ID: m.ID, Name: m.Name, Email: m.Email, Role: p.T.T("role." + m.Role),
			RoleCode: m.Role, LastLogin: m.LastLoginAt, Disabled: m.DisabledAt != nil, Self: m.ID == me.ID, TwoStepOn: m.TwoStepOn()})
	}
	for _, inv := range invites {
		v.Invitations = append(v.Invitations, admin.Invitation{Name: inv.Name, Email: inv.Email, Role: p.T.T("role." + inv.Role), Expires: inv.ExpiresAt})
	}
	return render(c, status, admin.Team(p, v))
}

// TeamInvite mails an invitation.
func (h *Handlers) TeamInvite(c echo.Context) error {
	values, err := c.FormParams()
	if err != nil {
		return err
	}
	me := CurrentStaff(c)
	err = h.Staff.Invite(c.Request().Context(), models.InviteInput{Email: values.Get("email"), Name: values.Get("name"),
		Role: values.Get("role")}, models.StaffActor(me.ID, ip(c)))
	if formError(err) {
		p := h.page(c, "team.title")
		return h.renderTeam(c, Status(err), formOf(p, values, err, "email", "name", "email", "role"))
	}
	if err != nil {
		return err
	}
	return h.flashTo(c, "flash.invited", "/admin/team")
}

// teamAction runs one administrator action on a member of the team.
func (h *Handlers) teamAction(c echo.Context, flashKey string, act func(id int64, actor models.Actor) error) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	me := CurrentStaff(c)
	if id == me.ID {
		return models.ErrInvalidState // an administrator cannot lock themselves out
	}
	if err := act(id, models.StaffActor(me.ID, ip(c))); err != nil {
		return err
	}
	return h.flashTo(c, flashKey, "/admin/team")
}

// TeamDeactivate disables an account and signs it out everywhere.
func (h *Handlers) TeamDeactivate(c echo.Context) error {
	return h.teamAction(c, "flash.deactivated", func(id int64, a models.Actor) error {
		return h.Staff.Deactivate(c.Request().Context(), id, a)
	})
}

// TeamRole changes a member's role.
func (h *Handlers) TeamRole(c echo.Context) error {
	return h.teamAction(c, "flash.role_changed", func(id int64, a models.Actor) error {
		return h.Staff.SetRole(c.Request().Context(), id, c.FormValue("role"), a)
	})
}

// TeamReset resets a member's password: signed out, emailed a link.
func (h *Handlers) TeamReset(c echo.Context) error {
	return h.teamAction(c, "flash.password_reset", func(id int64, a models.Actor) error {
		return h.Staff.ResetPassword(c.Request().Context(), id, a)
	})
}

// TeamResetTwoStep turns a member's two-step sign-in off (a lost phone).
func (h *Handlers) TeamResetTwoStep(c echo.Context) error {
	return h.teamAction(c, "flash.two_step_reset", func(id int64, a models.Actor) error {
		return h.Staff.ResetTwoStep(c.Request().Context(), id, a)
	})
}

// Invite is where an invited person chooses their password.
func (h *Handlers) Invite(c echo.Context) error {
	inv, err := h.Staff.Invitation(c.Request().Context(), c.Param("token"))
	if err != nil {
		return err
	}
	return h.renderInvite(c, http.StatusOK, inv, components.Form{Values: url.Values{}})
}

func (h *Handlers) renderInvite(c echo.Context, status int, inv *models.StaffInvite, f components.Form) error {
	p := h.page(c, "password.title")
	p.Failed = status >= 400
	noStore(c)
	return render(c, status, admin.Password(p, admin.PasswordView{Action: "/invite/" + c.Param("token"),
		Intro: p.T.T("password.invite_intro", h.org().Name, inv.Email), Email: inv.Email, Form: f}))
}

// InvitePost creates the account and signs the person in.
func (h *Handlers) InvitePost(c echo.Context) error {
	token := c.Param("token")
	_, session, err := h.Staff.AcceptInvite(c.Request().Context(), token, c.FormValue("password"), client(c))
	if models.KindOf(err) == models.KindInvalid {
		inv, ierr := h.Staff.Invitation(c.Request().Context(), token)
		if ierr != nil {
			return ierr
		}
		p := h.page(c, "password.title")
		return h.renderInvite(c, Status(err), inv, formOf(p, url.Values{}, err, "password", "password"))
	}
	if err != nil {
		return err
	}
	if err := h.startStaffSession(c, session); err != nil {
		return err
	}
	return redirect(c, "/admin")
}

// Reset is where a member whose password was reset chooses a new one.
func (h *Handlers) Reset(c echo.Context) error {
	if err := h.Staff.CheckReset(c.Request().Context(), c.Param("token")); err != nil {
		return err
	}
	return h.renderReset(c, http.StatusOK, components.Form{Values: url.Values{}})
}

func (h *Handlers) renderReset(c echo.Context, status int, f components.Form) error {
	p := h.page(c, "password.title")
	p.Failed = status >= 400
	noStore(c)
	return render(c, status, admin.Password(p, admin.PasswordView{Action: "/reset/" + c.Param("token"),
		Intro: p.T.T("password.reset_intro", h.org().Name), Form: f}))
}

// ResetPost sets the new password; the member then signs in.
func (h *Handlers) ResetPost(c echo.Context) error {
	err := h.Staff.CompleteReset(c.Request().Context(), c.Param("token"), c.FormValue("password"), client(c))
	if models.KindOf(err) == models.KindInvalid {
		p := h.page(c, "password.title")
		return h.renderReset(c, Status(err), formOf(p, url.Values{}, err, "password", "password"))
	}
	if err != nil {
		return err
	}
	return h.flashTo(c, "flash.password_set", "/admin/login")
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
