package handlers

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/internal/rules"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/templates/components"
	"github.com/rightsdesk/rightsdesk/templates/pages/admin"
)

// Settings shows the organization's settings, with their history.
func (h *Handlers) SettingsPage(c echo.Context) error {
	return h.renderSettings(c, http.StatusOK, settingsValues(h.org()), nil, components.Form{Values: url.Values{}})
}

var settingsFields = []string{"name", "policy_url", "contact_email", "contact_phone", "contact_address", "quebec_title",
	"quebec_contact", "time_zone", "calendar", "response_days", "extension_days", "other_rights", "brand_color"}

func settingsValues(o *models.CurrentSettings) url.Values {
	return url.Values{"name": {o.Name}, "policy_url": {o.PolicyURL}, "contact_email": {o.ContactEmail},
		"contact_phone": {o.ContactPhone}, "contact_address": {o.ContactAddress}, "quebec_title": {o.QuebecTitle},
		"quebec_contact": {o.QuebecContact}, "time_zone": {o.TimeZone}, "calendar": {o.Calendar},
		"response_days": {strconv.Itoa(o.ResponseDays)}, "extension_days": {strconv.Itoa(o.ExtensionDays)},
		"other_rights": o.OtherRights, "brand_color": {o.BrandColor}, "version": {strconv.Itoa(o.Version)}}
}

func (h *Handlers) renderSettings(c echo.Context, status int, values url.Values, err error, logo components.Form) error {
	history, herr := h.Settings.History(c.Request().Context(), 20)
	if herr != nil {
		return herr
	}
	p := h.page(c, "settings.title")
	p.Failed = status >= 400
	noStore(c)
	f := formOf(p, values, err, "name", settingsFields...)
	v := admin.SettingsView{Form: f, LogoForm: logo, HasLogo: h.org().LogoID != 0, Logo: p.Logo}
	for _, cal := range rules.Calendars() {
		v.Calendars = append(v.Calendars, components.Option{Value: cal, Label: p.T.T("calendar." + cal)})
	}
	for _, r := range rules.AllRights {
		v.Rights = append(v.Rights, components.Option{Value: string(r), Label: p.T.T("right." + string(r))})
	}
	for _, ch := range history {
		who := ch.StaffName
		if who == "" {
			who = p.T.T("actor.system")
		}
		var fields []string
		for _, name := range ch.Changed {
			fields = append(fields, p.T.T("settings.field."+name))
		}
		v.History = append(v.History, admin.SettingsChange{Version: ch.Version, At: ch.At, Who: who, Changed: strings.Join(fields, ", ")})
	}
	return render(c, status, admin.Settings(p, v))
}

// SettingsPost saves a new version of the settings.
func (h *Handlers) SettingsPost(c echo.Context) error {
	values, err := c.FormParams()
	if err != nil {
		return err
	}
	in := models.OrgSettings{Name: values.Get("name"), PolicyURL: values.Get("policy_url"), ContactEmail: values.Get("contact_email"),
		ContactPhone: values.Get("contact_phone"), ContactAddress: values.Get("contact_address"), QuebecTitle: values.Get("quebec_title"),
		QuebecContact: values.Get("quebec_contact"), TimeZone: strings.TrimSpace(values.Get("time_zone")), Calendar: values.Get("calendar"),
		OtherRights: values["other_rights"], BrandColor: values.Get("brand_color"), LogoID: h.org().LogoID}
	var ve models.ValidationError
	if in.ResponseDays, err = strconv.Atoi(strings.TrimSpace(values.Get("response_days"))); err != nil {
		ve.Add("response_days", "error.days.response")
	}
	if in.ExtensionDays, err = strconv.Atoi(strings.TrimSpace(values.Get("extension_days"))); err != nil {
		ve.Add("extension_days", "error.days.extension")
	}
	if ve.Err() != nil {
		return h.renderSettings(c, http.StatusUnprocessableEntity, values, &ve, components.Form{Values: url.Values{}})
	}
	base, _ := strconv.Atoi(values.Get("version"))
	st := CurrentStaff(c)
	err = h.Settings.Save(c.Request().Context(), in, base, models.StaffActor(st.ID, ip(c)))
	if formError(err) {
		return h.renderSettings(c, Status(err), values, err, components.Form{Values: url.Values{}})
	}
	if err != nil {
		return err
	}
	return h.flashTo(c, "flash.settings_saved", "/admin/settings")
}

// SettingsLogo stores a new logo and saves the settings with it.
func (h *Handlers) SettingsLogo(c echo.Context) error {
	values, part, err := h.multipartForm(c, "logo")
	if err != nil {
		return err
	}
	if part == nil {
		return h.logoFailed(c, models.ErrUploadMissing)
	}
	st := CurrentStaff(c)
	actor := models.StaffActor(st.ID, ip(c))
	id, err := h.Documents.PutLogo(c.Request().Context(), part, actor)
	if err == nil {
		in := h.org().OrgSettings
		in.LogoID = id
		base, _ := strconv.Atoi(values.Get("version"))
		err = h.Settings.Save(c.Request().Context(), in, base, actor)
	}
	if formError(err) || models.KindOf(err) == models.KindUnavailable {
		return h.logoFailed(c, err)
	}
	if err != nil {
		return err
	}
	return h.flashTo(c, "flash.logo_saved", "/admin/settings")
}

func (h *Handlers) logoFailed(c echo.Context, err error) error {
	p := h.page(c, "settings.title")
	return h.renderSettings(c, Status(err), settingsValues(h.org()), nil, formOf(p, url.Values{}, err, "logo", "logo"))
}

// SettingsLogoRemove goes back to the built-in mark.
func (h *Handlers) SettingsLogoRemove(c echo.Context) error {
	in := h.org().OrgSettings
	in.LogoID = 0
	base, _ := strconv.Atoi(c.FormValue("version"))
	st := CurrentStaff(c)
	if err := h.Settings.Save(c.Request().Context(), in, base, models.StaffActor(st.ID, ip(c))); err != nil {
		return err
	}
	return h.flashTo(c, "flash.logo_removed", "/admin/settings")
}

// Theme is the organization's colour as a stylesheet (after site.css).
func (h *Handlers) Theme(c echo.Context) error {
	o := h.org()
	c.Response().Header().Set("Cache-Control", "public, max-age=86400")
	css := ""
	if o.BrandColor != "" {
		css = ":root { --brand: " + o.BrandColor + "; }\n"
	}
	return c.Blob(http.StatusOK, "text/css; charset=utf-8", []byte(css))
}

// Logo serves the organization's logo (public, like the page it is on).
func (h *Handlers) Logo(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	doc, r, err := h.Documents.OpenLogo(c.Request().Context(), id)
	if err != nil {
		return err
	}
	defer r.Close()
	c.Response().Header().Set("Cache-Control", "public, max-age=86400")
	c.Response().Header().Set(echo.HeaderContentType, doc.ContentType)
	c.Response().WriteHeader(http.StatusOK)
	_, err = io.Copy(c.Response(), r)
	return err
}
