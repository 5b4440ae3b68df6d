package handlers

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo-contrib/session"
	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/templates/components"
	"github.com/rightsdesk/rightsdesk/templates/pages/agent"
)

// AgentSessionName is the cookie of an agent's session: a cookie of its
// own, sent only to /agent pages, so a staff cookie never opens an agent
// page and an agent's never opens the admin.
const AgentSessionName = "rd_agent"

const agentKey = "agent"

// CurrentAgent is the signed-in authorized agent, or nil.
func CurrentAgent(c echo.Context) *models.Agent {
	a, _ := c.Get(agentKey).(*models.Agent)
	return a
}

// agentSession is the agent cookie's session, scoped to /agent.
func (h *Handlers) agentSession(c echo.Context) *sessions.Session {
	s, err := session.Get(AgentSessionName, c)
	if s == nil {
		h.Log.Warn("agent session unavailable", "err", err)
		s = sessions.NewSession(nopStore{}, AgentSessionName)
	}
	opts := *s.Options
	opts.Path = "/agent"
	s.Options = &opts
	return s
}

// LoadAgent puts the signed-in agent (if any) on the context of /agent
// pages; the session row decides on every request.
func (h *Handlers) LoadAgent(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if p := c.Request().URL.Path; p != "/agent" && (len(p) < 7 || p[:7] != "/agent/") {
			return next(c)
		}
		if token, _ := h.agentSession(c).Values["aid"].(string); token != "" {
			a, err := h.Agents.BySession(c.Request().Context(), token)
			if err != nil && !errors.Is(err, models.ErrNotFound) {
				return err
			}
			if a != nil {
				c.Set(agentKey, a)
				c.Set("agent_session", token)
			}
		}
		return next(c)
	}
}

// RequireAgent sends anyone not signed in as an agent to the agents'
// sign-in page (a post is refused).
func (h *Handlers) RequireAgent(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if CurrentAgent(c) == nil {
			if c.Request().Method == http.MethodGet {
				return redirect(c, "/agent/login")
			}
			return echo.NewHTTPError(http.StatusForbidden)
		}
		noStore(c)
		return next(c)
	}
}

var agentFields = []string{"name", "organization", "registered_business", "sos_number", "email", "password"}

func (h *Handlers) businessOptions(c echo.Context) []components.Option {
	t := h.printer(c)
	return []components.Option{{Value: "yes", Label: t.T("agent.register.business_yes")}, {Value: "no", Label: t.T("agent.register.business_no")}}
}

// AgentRegister is the registration form.
func (h *Handlers) AgentRegister(c echo.Context) error {
	p := h.page(c, "agent.register.title")
	return render(c, http.StatusOK, agent.Register(p, agent.RegisterView{Form: components.Form{Values: url.Values{}}, Business: h.businessOptions(c)}))
}

// AgentRegisterPost creates a pending agent account and mails the link
// that confirms its address.
func (h *Handlers) AgentRegisterPost(c echo.Context) error {
	values, err := c.FormParams()
	if err != nil {
		return err
	}
	in := models.AgentInput{Name: values.Get("name"), Organization: values.Get("organization"),
		RegisteredBusiness: values.Get("registered_business") == "yes", SOSNumber: values.Get("sos_number"),
		Email: values.Get("email"), Password: values.Get("password"), Lang: h.printer(c).Lang()}
	_, err = h.Agents.Register(c.Request().Context(), in, client(c))
	p := h.page(c, "agent.register.title")
	if formError(err) {
		p.Failed = true
		values.Del("password")
		return render(c, Status(err), agent.Register(p, agent.RegisterView{Form: formOf(p, values, err, "email", agentFields...), Business: h.businessOptions(c)}))
	}
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, agent.Register(p, agent.RegisterView{Form: components.Form{Values: url.Values{}}, Done: true}))
}

// AgentVerify is where the mailed link leads: one button.
func (h *Handlers) AgentVerify(c echo.Context) error {
	token := c.Param("token")
	if err := h.Agents.CheckVerifyLink(c.Request().Context(), token); err != nil {
		return err
	}
	p := h.page(c, "agent.verify.title")
	noStore(c)
	return render(c, http.StatusOK, agent.Verify(p, agent.VerifyView{Token: token}))
}

// AgentVerifyPost confirms the agent's address.
func (h *Handlers) AgentVerifyPost(c echo.Context) error {
	if err := h.Agents.VerifyEmail(c.Request().Context(), c.Param("token"), client(c)); err != nil {
		return err
	}
	return h.flashTo(c, "flash.agent_verified", "/agent/login")
}

// AgentLogin is the agents' sign-in page.
func (h *Handlers) AgentLogin(c echo.Context) error {
	if CurrentAgent(c) != nil {
		return redirect(c, "/agent")
	}
	p := h.page(c, "agent.login.title")
	return render(c, http.StatusOK, agent.Login(p, agent.LoginView{Form: components.Form{Values: url.Values{}}}))
}

// AgentLoginPost checks the password and starts an agent session.
func (h *Handlers) AgentLoginPost(c echo.Context) error {
	email, password := c.FormValue("email"), c.FormValue("password")
	_, token, err := h.Agents.Authenticate(c.Request().Context(), email, password, client(c))
	if formError(err) || errors.Is(err, models.ErrAgentUnverified) {
		p := h.page(c, "agent.login.title")
		p.Failed = true
		status := Status(err)
		if errors.Is(err, models.ErrBadLogin) {
			status = http.StatusUnauthorized // a wrong address or password; bad bytes are a 422 by the field
		}
		return render(c, status, agent.Login(p, agent.LoginView{Form: formOf(p, url.Values{"email": {email}}, err, "email", "email", "password")}))
	}
	if err != nil {
		return err
	}
	s := h.agentSession(c)
	s.Values = map[any]any{"aid": token}
	if err := s.Save(c.Request(), c.Response()); err != nil {
		return err
	}
	// A CSRF token seen before sign-in is worthless after it.
	c.SetCookie(&http.Cookie{Name: csrfCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: c.Scheme() == "https", SameSite: http.SameSiteLaxMode})
	return redirect(c, "/agent")
}

// AgentLogout ends the agent's session, in the database and the cookie.
func (h *Handlers) AgentLogout(c echo.Context) error {
	if token, ok := c.Get("agent_session").(string); ok {
		if err := h.Agents.EndSession(c.Request().Context(), token, client(c)); err != nil {
			return err
		}
	}
	s := h.agentSession(c)
	s.Values = map[any]any{}
	s.Options.MaxAge = -1
	if err := s.Save(c.Request(), c.Response()); err != nil {
		return err
	}
	return h.flashTo(c, "flash.logged_out", "/agent/login")
}
