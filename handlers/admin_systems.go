package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/internal/rules"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/templates/components"
	"github.com/rightsdesk/rightsdesk/templates/layout"
	"github.com/rightsdesk/rightsdesk/templates/pages/admin"
)

// SystemsPage lists the organization's data systems and vendors.
func (h *Handlers) SystemsPage(c echo.Context) error {
	return h.renderSystems(c, http.StatusOK, components.Form{Values: url.Values{}})
}

func (h *Handlers) renderSystems(c echo.Context, status int, form components.Form) error {
	ctx := c.Request().Context()
	list, err := h.Systems.List(ctx, true)
	if err != nil {
		return err
	}
	p := h.page(c, "systems.title")
	p.Failed = status >= 400
	sf, err := h.systemForm(c, p, form, "/admin/systems", p.T.T("systems.add_submit"))
	if err != nil {
		return err
	}
	v := admin.SystemsView{Form: sf, CanConfigure: models.CanConfigure(CurrentStaff(c).Role)}
	for _, s := range list {
		var rights []string
		for _, r := range s.Rights {
			rights = append(rights, p.T.T("right."+r))
		}
		row := admin.SystemRow{ID: s.ID, Name: s.Name, Kind: p.T.T("systems.kind." + s.Kind), Recipient: p.T.T("systems.recipient." + s.Recipient),
			Owner: s.Owner, Rights: strings.Join(rights, ", "), Webhook: s.Hooked()}
		if s.ArchivedAt != nil {
			v.Archived = append(v.Archived, row)
		} else {
			v.Systems = append(v.Systems, row)
		}
	}
	if status >= 400 {
		noStore(c)
	}
	return render(c, status, admin.Systems(p, v))
}

// systemForm is the add-or-change form with its choices.
func (h *Handlers) systemForm(c echo.Context, p layout.Page, form components.Form, action, submit string) (admin.SystemForm, error) {
	f := admin.SystemForm{Form: orEmpty(form), Action: action, Submit: submit}
	f.Form.Order = []string{"system_name", "kind", "recipient", "owner", "owner_staff_id", "rights", "instructions", "webhook_url"}
	for _, k := range models.SystemKinds {
		f.Kinds = append(f.Kinds, components.Option{Value: k, Label: p.T.T("systems.kind." + k)})
	}
	for _, r := range models.SystemRecipients {
		f.Recipients = append(f.Recipients, components.Option{Value: r, Label: p.T.T("systems.recipient." + r),
			Hint: p.T.T("systems.recipient." + r + ".hint")})
	}
	for _, r := range rules.AllRights {
		f.Rights = append(f.Rights, components.Option{Value: string(r), Label: p.T.T("right." + string(r))})
	}
	names, err := h.staffNames(c.Request().Context())
	f.Staff = names.options
	return f, err
}

func systemInput(v url.Values) models.SystemInput {
	owner, _ := strconv.ParseInt(v.Get("owner_staff_id"), 10, 64)
	return models.SystemInput{Name: v.Get("system_name"), Kind: v.Get("kind"), Recipient: v.Get("recipient"), Owner: v.Get("owner"),
		OwnerStaffID: owner, Rights: v["rights"], Instructions: v.Get("instructions"), WebhookURL: v.Get("webhook_url")}
}

// SystemCreate adds a system; a new webhook key is shown once.
func (h *Handlers) SystemCreate(c echo.Context) error {
	values, err := c.FormParams()
	if err != nil {
		return err
	}
	st := CurrentStaff(c)
	s, secret, err := h.Systems.Save(c.Request().Context(), 0, systemInput(values), models.StaffActor(st.ID, ip(c)))
	if formError(err) {
		p := h.page(c, "systems.title")
		return h.renderSystems(c, Status(err), formOf(p, values, err, "system_name"))
	}
	if err != nil {
		return err
	}
	if secret != "" {
		c.SetParamNames("id")
		c.SetParamValues(itoa(s.ID))
		return h.renderSystem(c, http.StatusOK, components.Form{}, secret)
	}
	return h.flashTo(c, "flash.system_saved", "/admin/systems/"+itoa(s.ID))
}

// SystemPage shows one system.
func (h *Handlers) SystemPage(c echo.Context) error {
	return h.renderSystem(c, http.StatusOK, components.Form{}, "")
}

func (h *Handlers) renderSystem(c echo.Context, status int, form components.Form, secret string) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	s, err := h.Systems.Get(ctx, id)
	if err != nil {
		return err
	}
	p := h.page(c, "systems.one", s.Name)
	p.Failed = status >= 400
	if form.Values == nil {
		form.Values = url.Values{"system_name": {s.Name}, "kind": {s.Kind}, "recipient": {s.Recipient}, "owner": {s.Owner},
			"rights": s.Rights, "instructions": {s.Instructions}, "webhook_url": {s.WebhookURL}}
		if s.OwnerStaffID != nil {
			form.Values.Set("owner_staff_id", itoa(*s.OwnerStaffID))
		}
	}
	sf, err := h.systemForm(c, p, form, "/admin/systems/"+itoa(id), p.T.T("systems.save"))
	if err != nil {
		return err
	}
	deliveries, err := h.Systems.Deliveries(ctx, id, 20)
	if err != nil {
		return err
	}
	v := admin.SystemView{ID: s.ID, Name: s.Name, Archived: s.ArchivedAt != nil, Form: sf, Webhook: s.Hooked(), KeyID: s.WebhookKeyID,
		NewSecret: secret, Deliveries: deliveryRows(p, deliveries), CanConfigure: models.CanConfigure(CurrentStaff(c).Role)}
	noStore(c)
	return render(c, status, admin.System(p, v))
}

// SystemUpdate changes a system; a first webhook key is shown once.
func (h *Handlers) SystemUpdate(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	if _, err := h.Systems.Get(c.Request().Context(), id); err != nil {
		return err
	}
	values, err := c.FormParams()
	if err != nil {
		return err
	}
	st := CurrentStaff(c)
	_, secret, err := h.Systems.Save(c.Request().Context(), id, systemInput(values), models.StaffActor(st.ID, ip(c)))
	if formError(err) {
		p := h.page(c, "systems.title")
		return h.renderSystem(c, Status(err), formOf(p, values, err, "system_name"), "")
	}
	if err != nil {
		return err
	}
	if secret != "" {
		return h.renderSystem(c, http.StatusOK, components.Form{}, secret)
	}
	return h.flashTo(c, "flash.system_saved", "/admin/systems/"+itoa(id))
}

// SystemRotate replaces a system's webhook key and shows the new one once.
func (h *Handlers) SystemRotate(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	st := CurrentStaff(c)
	secret, err := h.Systems.RotateKey(c.Request().Context(), id, models.StaffActor(st.ID, ip(c)))
	if err != nil {
		return err
	}
	return h.renderSystem(c, http.StatusOK, components.Form{}, secret)
}

// SystemArchive takes a system out of use.
func (h *Handlers) SystemArchive(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	st := CurrentStaff(c)
	if err := h.Systems.Archive(c.Request().Context(), id, models.StaffActor(st.ID, ip(c))); err != nil {
		return err
	}
	return h.flashTo(c, "flash.system_archived", "/admin/systems")
}
