package handlers

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/internal/mail"
	"github.com/rightsdesk/rightsdesk/internal/rules"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/templates/components"
	"github.com/rightsdesk/rightsdesk/templates/pages/admin"
)

// TemplatesPage lists the mail the organization may reword, with its edits.
func (h *Handlers) TemplatesPage(c echo.Context) error {
	list, err := h.MailEdits.List(c.Request().Context())
	if err != nil {
		return err
	}
	p := h.page(c, "templates.title")
	var v admin.TemplatesView
	for _, stage := range mail.Stages {
		row := admin.TemplateRow{Stage: stage, Name: p.T.T("templates.stage." + stage),
			New: "/admin/templates/edit?" + url.Values{"stage": {stage}}.Encode()}
		for _, t := range list {
			if t.Stage != stage {
				continue
			}
			right := p.T.T("templates.every_right")
			if t.Right != "" {
				right = p.T.T("right." + t.Right)
			}
			row.Edits = append(row.Edits, admin.TemplateEdit{Right: right, Lang: p.T.T("lang." + t.Lang), Updated: t.UpdatedAt,
				URL: "/admin/templates/edit?" + url.Values{"stage": {stage}, "right": {t.Right}, "lang": {t.Lang}}.Encode()})
		}
		v.Rows = append(v.Rows, row)
	}
	return render(c, http.StatusOK, admin.Templates(p, v))
}

// TemplateEdit shows the wording of a stage for a right and language: the
// saved edit, or the catalog's default to start from.
func (h *Handlers) TemplateEdit(c echo.Context) error {
	q := c.QueryParams()
	stage, right, lang := q.Get("stage"), q.Get("right"), q.Get("lang")
	if lang == "" {
		lang = h.printer(c).Lang()
	}
	if !contains(mail.Stages, stage) || !h.knownLang(lang) || right != "" && !contains(rightCodes(), right) {
		return models.ErrNotFound
	}
	form := components.Form{Values: url.Values{"right": {right}, "lang": {lang}}}
	saved, err := h.MailEdits.Get(c.Request().Context(), stage, right, lang)
	if err != nil {
		return err
	}
	if saved != nil {
		form.Values.Set("subject", saved.Subject)
		form.Values.Set("body", saved.Body)
	} else {
		subject, body := h.Mail.Default(stage, right, lang)
		form.Values.Set("subject", subject)
		form.Values.Set("body", body)
	}
	return h.renderTemplate(c, http.StatusOK, stage, form, nil, saved != nil)
}

func (h *Handlers) renderTemplate(c echo.Context, status int, stage string, form components.Form, preview *admin.MailPreview, edited bool) error {
	p := h.page(c, "templates.edit_title", h.printer(c).T("templates.stage."+stage))
	p.Failed = status >= 400
	form.Order = []string{"right", "lang", "subject", "body"}
	v := admin.TemplateView{Stage: stage, Form: form, Placeholders: mail.Placeholders, Preview: preview, Edited: edited}
	for _, r := range rules.AllRights {
		v.Rights = append(v.Rights, components.Option{Value: string(r), Label: p.T.T("right." + string(r))})
	}
	for _, l := range h.Catalog.Languages() {
		v.Langs = append(v.Langs, components.Option{Value: l, Label: p.T.T("lang." + l)})
	}
	noStore(c)
	return render(c, status, admin.Template(p, v))
}

func (h *Handlers) knownLang(lang string) bool { return contains(h.Catalog.Languages(), lang) }

func rightCodes() []string {
	out := make([]string, len(rules.AllRights))
	for i, r := range rules.AllRights {
		out[i] = string(r)
	}
	return out
}

// templateInput reads the edit form.
func (h *Handlers) templateInput(c echo.Context) (url.Values, models.MailTemplate, error) {
	values, err := c.FormParams()
	if err != nil {
		return nil, models.MailTemplate{}, err
	}
	t := models.MailTemplate{Stage: values.Get("stage"), Right: values.Get("right"), Lang: values.Get("lang"),
		Subject: values.Get("subject"), Body: values.Get("body")}
	if !contains(mail.Stages, t.Stage) {
		return nil, t, models.ErrNotFound
	}
	if !h.knownLang(t.Lang) {
		return values, t, &models.ValidationError{Fields: map[string]string{"lang": "error.lang.required"}}
	}
	return values, t, h.MailEdits.Validate(&t)
}

// TemplatePreview renders an edit as the person would receive it; only
// the preview offers to save it.
func (h *Handlers) TemplatePreview(c echo.Context) error {
	values, t, err := h.templateInput(c)
	if values == nil {
		return err
	}
	saved, gerr := h.MailEdits.Get(c.Request().Context(), t.Stage, t.Right, t.Lang)
	if gerr != nil {
		return gerr
	}
	if err != nil {
		p := h.page(c, "templates.title")
		return h.renderTemplate(c, Status(err), t.Stage, formOf(p, values, err, "body"), nil, saved != nil)
	}
	e, err := h.Mail.Preview(t.Stage, t.Right, t.Lang, t.Subject, t.Body)
	if err != nil {
		return err
	}
	form := components.Form{Values: url.Values{"right": {t.Right}, "lang": {t.Lang}, "subject": {t.Subject}, "body": {t.Body}}}
	return h.renderTemplate(c, http.StatusOK, t.Stage, form, &admin.MailPreview{Subject: e.Subject, Text: e.Text, HTML: e.HTML}, saved != nil)
}

// TemplateSave stores an edit (from its preview).
func (h *Handlers) TemplateSave(c echo.Context) error {
	values, t, err := h.templateInput(c)
	if values == nil {
		return err
	}
	if err == nil {
		st := CurrentStaff(c)
		err = h.MailEdits.Save(c.Request().Context(), t, models.StaffActor(st.ID, ip(c)))
	}
	if formError(err) {
		p := h.page(c, "templates.title")
		return h.renderTemplate(c, Status(err), t.Stage, formOf(p, values, err, "body"), nil, false)
	}
	if err != nil {
		return err
	}
	return h.flashTo(c, "flash.template_saved", "/admin/templates")
}

// TemplateReset goes back to the catalog's wording.
func (h *Handlers) TemplateReset(c echo.Context) error {
	values, err := c.FormParams()
	if err != nil {
		return err
	}
	st := CurrentStaff(c)
	if err := h.MailEdits.Reset(c.Request().Context(), values.Get("stage"), values.Get("right"), values.Get("lang"),
		models.StaffActor(st.ID, ip(c))); err != nil {
		return err
	}
	return h.flashTo(c, "flash.template_reset", "/admin/templates")
}
