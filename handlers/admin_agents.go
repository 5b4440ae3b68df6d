package handlers

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/templates/components"
	"github.com/rightsdesk/rightsdesk/templates/layout"
	"github.com/rightsdesk/rightsdesk/templates/pages/admin"
)

// agentForms holds the agents page's forms after a failed post.
type agentForms struct {
	drp, imp, decide components.Form
	decideID         int64
}

// AgentsPage lists authorized agents, those awaiting a decision first,
// with the forms to register DRP agents.
func (h *Handlers) AgentsPage(c echo.Context) error {
	return h.renderAgents(c, http.StatusOK, agentForms{})
}

func (h *Handlers) renderAgents(c echo.Context, status int, f agentForms) error {
	list, err := h.Agents.List(c.Request().Context())
	if err != nil {
		return err
	}
	p := h.page(c, "agents.title")
	p.Failed = status >= 400
	st := CurrentStaff(c)
	v := admin.AgentsView{DRPForm: orEmpty(f.drp), ImportForm: orEmpty(f.imp), DecideForm: orEmpty(f.decide), DecideID: f.decideID,
		CanDecide: models.CanConfigure(st.Role), BusinessID: h.DRP.BusinessID}
	for _, a := range list {
		row := admin.AgentRow{ID: a.ID, Label: a.Label(), Status: a.Status, StatusText: p.T.T("agents.status." + a.Status),
			Reason: a.ReviewReason, Pending: a.Status == models.AgentPending}
		if a.Organization != "" && a.Name != a.Organization {
			row.Details = append(row.Details, a.Name)
		}
		if e := a.EmailAddr(); e != "" {
			verified := p.T.T("agents.unverified")
			if a.EmailVerifiedAt != nil {
				verified = p.T.T("agents.verified")
			}
			row.Details = append(row.Details, e+" ("+verified+")")
		}
		if a.RegisteredBusiness {
			row.Details = append(row.Details, p.T.T("agents.sos", a.SOSNumber))
		}
		if a.DRPID != nil {
			row.Details = append(row.Details, p.T.T("agents.drp", *a.DRPID))
			if a.DRPWebURL != "" {
				row.Details = append(row.Details, a.DRPWebURL)
			}
		}
		row.Details = append(row.Details, p.T.T("agents.since", p.Date(a.CreatedAt)))
		v.Agents = append(v.Agents, row)
	}
	noStore(c)
	return render(c, status, admin.Agents(p, v))
}

// AgentApprove lets an agent file for people.
func (h *Handlers) AgentApprove(c echo.Context) error { return h.decideAgent(c, true) }

// AgentReject refuses an agent, with a reason it is told.
func (h *Handlers) AgentReject(c echo.Context) error { return h.decideAgent(c, false) }

func (h *Handlers) decideAgent(c echo.Context, approve bool) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	st := CurrentStaff(c)
	err = h.Agents.Decide(c.Request().Context(), id, approve, c.FormValue("reason"), models.StaffActor(st.ID, ip(c)))
	if formError(err) {
		p := h.page(c, "agents.title")
		values, _ := c.FormParams()
		return h.renderAgents(c, Status(err), agentForms{decideID: id, decide: formOf(p, values, err, "reason")})
	}
	if err != nil {
		return err
	}
	key := "flash.agent_approved"
	if !approve {
		key = "flash.agent_rejected"
	}
	return h.flashTo(c, key, "/admin/agents")
}

// AgentRegisterDRP registers an agent of the DRP service directory.
func (h *Handlers) AgentRegisterDRP(c echo.Context) error {
	values, err := c.FormParams()
	if err != nil {
		return err
	}
	st := CurrentStaff(c)
	_, err = h.Agents.RegisterDRP(c.Request().Context(), models.DRPAgentInput{ID: values.Get("drp_id"), Name: values.Get("name"),
		VerifyKey: values.Get("verify_key"), WebURL: values.Get("web_url"), Technical: values.Get("contact")}, models.StaffActor(st.ID, ip(c)))
	if formError(err) {
		p := h.page(c, "agents.title")
		return h.renderAgents(c, Status(err), agentForms{drp: formOf(p, values, err, "drp_id", "drp_id", "name", "verify_key", "web_url", "contact")})
	}
	if err != nil {
		return err
	}
	return h.flashTo(c, "flash.agent_registered", "/admin/agents")
}

// AgentImport registers every agent of a pasted DRP agents directory.
func (h *Handlers) AgentImport(c echo.Context) error {
	values, err := c.FormParams()
	if err != nil {
		return err
	}
	st := CurrentStaff(c)
	added, updated, skipped, err := h.Agents.ImportDirectory(c.Request().Context(), values.Get("directory"), models.StaffActor(st.ID, ip(c)))
	p := h.page(c, "agents.title")
	if formError(err) {
		return h.renderAgents(c, Status(err), agentForms{imp: formOf(p, values, err, "directory", "directory")})
	}
	if err != nil {
		return err
	}
	if err := h.flashCounts(c, "flash.agents_imported", added, updated, skipped); err != nil {
		return err
	}
	h.Log.Info("agents directory imported", "added", added, "updated", updated, "skipped", skipped)
	return redirect(c, "/admin/agents")
}

// RequestAuthority records staff's decision on an agent's authority.
func (h *Handlers) RequestAuthority(c echo.Context) error {
	return h.staffAction(c, "authority", "flash.authority_decided", func(id int64, v url.Values, a models.Actor) error {
		decision := v.Get("decision")
		if decision != "accept" && decision != "reject" {
			if _, err := h.Requests.Get(c.Request().Context(), id); err != nil {
				return err
			}
			return &models.ValidationError{Fields: map[string]string{"decision": "error.decision.required"}}
		}
		return h.Filings.Review(c.Request().Context(), id, decision == "accept", v.Get("reason"), a)
	})
}

// DocumentView shows a stored document to staff (inline, or as a
// download with ?download=1); every access is audited.
func (h *Handlers) DocumentView(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	st := CurrentStaff(c)
	return h.serveDocument(c, id, models.StaffActor(st.ID, ip(c)), c.QueryParam("download") == "1")
}

// authorityView is the agent part of the staff request page.
func (h *Handlers) authorityView(c echo.Context, p layout.Page, subID int64, form components.Form) (*admin.AuthorityView, error) {
	sv, err := h.Filings.OfSubmission(c.Request().Context(), subID)
	if err != nil || sv == nil {
		return nil, err
	}
	f := &sv.Filing
	v := &admin.AuthorityView{Agent: sv.Agent.Label(), Kind: p.T.T("authority." + f.Authority),
		Review:       p.T.T("authority.review." + f.AuthorityStatus),
		Confirmation: p.T.T("authority.confirmation." + f.Confirmation), Fraud: f.Confirmation == models.ConfirmRefused,
		CanDecide: f.AuthorityStatus == models.ReviewPending && models.CanWork(CurrentStaff(c).Role), Form: orEmpty(form)}
	if e := sv.Agent.EmailAddr(); e != "" {
		v.Agent += " · " + e
	}
	if sv.Agent.DRPID != nil {
		v.Agent += " · " + p.T.T("agents.drp", *sv.Agent.DRPID)
	}
	if f.AuthorityReason != "" {
		v.Review += ": " + f.AuthorityReason
	}
	for _, d := range sv.Documents {
		if d.ErasedAt == nil {
			v.Documents = append(v.Documents, admin.DocView{ID: d.ID, PDF: d.IsPDF(), Label: docLabel(p, &d)})
		}
	}
	return v, nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
