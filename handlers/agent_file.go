package handlers

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/internal/i18n"
	"github.com/rightsdesk/rightsdesk/internal/rules"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/templates/components"
	"github.com/rightsdesk/rightsdesk/templates/layout"
	"github.com/rightsdesk/rightsdesk/templates/pages/agent"
	"github.com/rightsdesk/rightsdesk/templates/pdf"
)

var filingFields = []string{"authority", "rights", "name", "email", "phone", "relationship", "details"}

// filingInput reads an agent's filing from a form.
func filingInput(v url.Values) models.FilingInput {
	return models.FilingInput{Person: submissionInput(v), Authority: v.Get("authority")}
}

// AgentDashboard lists every request the agent filed, searchable by
// reference and by the person's name.
func (h *Handlers) AgentDashboard(c echo.Context) error {
	return h.agentDashboard(c, "")
}

// AgentSearch is the dashboard searched by reference or by part of the
// person's name: a POST (CSRF), whose results are this response, so that
// the name is in no address, history or log line.
func (h *Handlers) AgentSearch(c echo.Context) error {
	noStore(c)
	return h.agentDashboard(c, c.FormValue("q"))
}

func (h *Handlers) agentDashboard(c echo.Context, q string) error {
	a := CurrentAgent(c)
	rows, err := h.Filings.ForAgent(c.Request().Context(), a.ID, q)
	if err != nil {
		return err
	}
	p := h.page(c, "agent.dashboard.title")
	v := agent.DashboardView{Status: a.Status, Reason: a.ReviewReason, Query: q, Searched: strings.TrimSpace(q) != ""}
	if a.Approved() {
		v.Status = models.AgentApproved
	}
	for _, r := range rows {
		row := agent.Row{FilingID: r.FilingID, Reference: r.Reference, Person: r.PersonName, Right: p.T.T("right." + r.Right),
			Status: r.Status, StatusText: p.T.T("status." + r.Status), DueAt: r.DueAt, Open: r.Waiting() != "" || isOpen(r.Status)}
		if w := r.Waiting(); w != "" {
			row.Waiting = p.T.T("agent.waiting." + w)
		}
		v.Rows = append(v.Rows, row)
	}
	return render(c, http.StatusOK, agent.Dashboard(p, v))
}

// approvedAgent is the signed-in agent, when staff approved it.
func approvedAgent(c echo.Context) (*models.Agent, error) {
	a := CurrentAgent(c)
	if !a.Approved() {
		return nil, models.ErrAgentNotApproved
	}
	return a, nil
}

// AgentFileWhere is step 1 of filing for a person: where they live.
func (h *Handlers) AgentFileWhere(c echo.Context) error {
	if _, err := approvedAgent(c); err != nil {
		return err
	}
	return h.renderAgentWhere(c, http.StatusOK, url.Values{}, nil)
}

func (h *Handlers) renderAgentWhere(c echo.Context, status int, values url.Values, err error) error {
	p := h.page(c, "agent.file.where_title")
	p.Failed = err != nil
	noStore(c)
	f := placeForm(p, values, err, "country", "country", "state", "province")
	return render(c, status, agent.Where(p, agent.WhereView{Form: f, Countries: countryOptions(p.T),
		States: codeOptions(p.T, "state.", rules.USStates()), Provinces: codeOptions(p.T, "province.", rules.CanadianProvinces())}))
}

// AgentFileWherePost checks step 1 and shows step 2.
func (h *Handlers) AgentFileWherePost(c echo.Context) error {
	if _, err := approvedAgent(c); err != nil {
		return err
	}
	values, err := c.FormParams()
	if err != nil {
		return err
	}
	in := filingInput(values)
	if err := h.Filings.ValidateWhere(&in); err != nil {
		return h.renderAgentWhere(c, http.StatusUnprocessableEntity, values, err)
	}
	values.Set("nonce", models.NewNonce())
	return h.renderAgentDetails(c, http.StatusOK, values, in, nil)
}

func whereLabel(t i18n.Printer, country, region string) string {
	where := t.T("country." + country)
	switch country {
	case "US":
		where = t.T("form.where_region", t.T("state."+region), where)
	case "CA":
		where = t.T("form.where_region", t.T("province."+region), where)
	}
	return where
}

func (h *Handlers) renderAgentDetails(c echo.Context, status int, values url.Values, in models.FilingInput, err error) error {
	p := h.page(c, "agent.file.details_title")
	p.Failed = err != nil
	noStore(c)
	j := rules.Resolve(in.Person.Country, in.Person.Region)
	allowed, missing := h.Filings.Offer(j)
	v := agent.DetailsView{Form: formOf(p, values, err, "rights", filingFields...), WhereLabel: whereLabel(p.T, in.Person.Country, in.Person.Region),
		LawLabel: p.T.T("law." + string(j)), Nonce: values.Get("nonce")}
	for _, r := range allowed {
		v.Rights = append(v.Rights, components.Option{Value: string(r), Label: p.T.T("right." + string(r)), Hint: p.T.T("right." + string(r) + ".hint")})
	}
	for _, r := range missing {
		v.Missing = append(v.Missing, p.T.T("right."+string(r)))
		if h.Core.Rules.GuardianAllowed(j, r) {
			// A parent or guardian of a child may still ask for it.
			v.Rights = append(v.Rights, components.Option{Value: string(r), Label: p.T.T("right." + string(r)), Hint: p.T.T("agent.file.guardian_only")})
		}
	}
	if len(missing) > 0 {
		key := "agent.missing.some"
		if len(allowed) == 0 {
			key = "agent.missing.none"
		}
		v.MissingWhy = p.T.T(key, p.T.T("law."+string(j)))
	}
	for _, r := range models.Relationships {
		v.Relations = append(v.Relations, components.Option{Value: r, Label: p.T.T("relationship." + r)})
	}
	for _, a := range models.Authorities {
		v.Authorities = append(v.Authorities, components.Option{Value: a, Label: p.T.T("authority." + a), Hint: p.T.T("authority." + a + ".hint")})
	}
	return render(c, status, agent.Details(p, v))
}

// AgentFileDetailsPost checks step 2 and shows step 3: the designation to
// download and sign, and the upload.
func (h *Handlers) AgentFileDetailsPost(c echo.Context) error {
	if _, err := approvedAgent(c); err != nil {
		return err
	}
	values, err := c.FormParams()
	if err != nil {
		return err
	}
	in := filingInput(values)
	if err := h.Filings.Validate(&in); err != nil {
		return h.filingError(c, values, in, err)
	}
	return h.renderUpload(c, http.StatusOK, values, in, nil)
}

// filingError shows a filing's errors on the step they belong to.
func (h *Handlers) filingError(c echo.Context, values url.Values, in models.FilingInput, err error) error {
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		if hasAny(ve, []string{"country", "state", "province", "region"}) {
			return h.renderAgentWhere(c, http.StatusUnprocessableEntity, values, err)
		}
		return h.renderAgentDetails(c, http.StatusUnprocessableEntity, values, in, err)
	}
	if errors.Is(err, models.ErrDuplicate) {
		return &pageError{err: err, heading: "duplicate.title"}
	}
	return err
}

func (h *Handlers) renderUpload(c echo.Context, status int, values url.Values, in models.FilingInput, err error) error {
	p := h.page(c, "agent.upload.title")
	p.Failed = err != nil
	noStore(c)
	v := agent.UploadView{Form: formOf(p, url.Values{}, err, "document", "document"), MaxMB: h.Documents.MaxSize() >> 20, Authority: in.Authority}
	for _, name := range []string{"nonce", "country", "state", "province", "authority", "name", "email", "phone", "relationship", "details"} {
		v.Hidden = append(v.Hidden, agent.Field{Name: name, Value: values.Get(name)})
	}
	var rights []string
	for _, r := range values["rights"] {
		v.Hidden = append(v.Hidden, agent.Field{Name: "rights", Value: r})
		rights = append(rights, p.T.T("right."+r))
	}
	v.Summary = []agent.Row2{
		{Label: p.T.T("agent.file.name"), Value: in.Person.Name},
		{Label: p.T.T("agent.file.email"), Value: in.Person.Email},
		{Label: p.T.T("req.lives_in"), Value: whereLabel(p.T, in.Person.Country, in.Person.Region)},
		{Label: p.T.T("agent.file.rights"), Value: strings.Join(rights, ", ")},
		{Label: p.T.T("agent.file.authority"), Value: p.T.T("authority." + in.Authority)},
	}
	return render(c, status, agent.Upload(p, v))
}

// AgentDesignation hands out the "Authorized agent designation" PDF,
// pre-filled with the person's and the agent's names and the rights, for
// the person to sign by hand.
func (h *Handlers) AgentDesignation(c echo.Context) error {
	a, err := approvedAgent(c)
	if err != nil {
		return err
	}
	values, err := c.FormParams()
	if err != nil {
		return err
	}
	in := filingInput(values)
	if err := h.Filings.Validate(&in); err != nil {
		return h.filingError(c, values, in, err)
	}
	t := h.printer(c)
	j := rules.Resolve(in.Person.Country, in.Person.Region)
	d := pdf.Designation{
		Title:       t.T("designation.title"),
		Intro:       t.T("designation.intro", in.Person.Name, a.Label(), h.org().Name, t.T("law."+string(j))),
		Fields:      [][2]string{{t.T("designation.person"), in.Person.Name}, {t.T("form.email"), in.Person.Email}, {t.T("req.lives_in"), whereLabel(t, in.Person.Country, in.Person.Region)}, {t.T("designation.agent"), a.Label()}, {t.T("designation.agent_contact"), a.EmailAddr()}},
		RightsLabel: t.T("designation.rights"),
		Statement:   t.T("designation.statement", a.Label(), h.org().Name),
		SignLines:   []string{t.T("designation.sign", in.Person.Name), t.T("designation.date")},
		Footer:      t.T("designation.footer", h.org().Name),
	}
	if a.SOSNumber != "" {
		d.Fields = append(d.Fields, [2]string{t.T("agent.register.sos_number"), a.SOSNumber})
	}
	for _, r := range in.Person.Rights {
		d.Rights = append(d.Rights, t.T("right."+r))
	}
	var buf bytes.Buffer
	if err := d.Write(&buf); err != nil {
		return err
	}
	noStore(c)
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="authorized-agent-designation.pdf"`)
	return c.Blob(http.StatusOK, "application/pdf", buf.Bytes())
}

// AgentFilePost files the requests with the signed document, streamed
// from the multipart body into the upload layer.
func (h *Handlers) AgentFilePost(c echo.Context) error {
	a, err := approvedAgent(c)
	if err != nil {
		return err
	}
	values, part, err := h.multipartForm(c, "document")
	if err != nil {
		return err
	}
	in := filingInput(values)
	in.Person.Lang = h.printer(c).Lang()
	var doc io.Reader
	if part != nil {
		doc = part
	}
	filed, err := h.Filings.File(c.Request().Context(), a, in, doc, models.AgentActor(a.ID, ip(c)))
	var de *models.Error
	switch {
	case err == nil:
	case errors.As(err, &de) && de.Field == "document":
		// The file was refused or could not be stored: nothing was kept,
		// and the form says why, next to the file field.
		return h.renderUpload(c, Status(err), values, in, err)
	case models.KindOf(err) == models.KindInvalid:
		return h.filingError(c, values, in, err)
	case errors.Is(err, models.ErrDuplicate):
		return &pageError{err: err, heading: "duplicate.title"}
	default:
		return err
	}
	if err := h.flash(c, "flash.filed"); err != nil {
		return err
	}
	return redirect(c, "/agent/requests/"+strconv.FormatInt(filed.Filing.ID, 10))
}

// AgentFiling shows one of the agent's filings.
func (h *Handlers) AgentFiling(c echo.Context) error {
	return h.renderAgentFiling(c, http.StatusOK, components.Form{})
}

func (h *Handlers) renderAgentFiling(c echo.Context, status int, reply components.Form) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	a := CurrentAgent(c)
	d, err := h.Filings.ForAgentDetail(c.Request().Context(), a.ID, id)
	if err != nil {
		return err
	}
	sub, f := &d.Submission, &d.Filing
	p := h.page(c, "agent.filing.title", sub.Reference)
	v := agent.FilingView{Reference: sub.Reference, Authority: p.T.T("authority." + f.Authority),
		Review: p.T.T("authority.review." + f.AuthorityStatus)}
	if f.AuthorityReason != "" {
		v.Review += ": " + f.AuthorityReason
	}
	if w := f.Waiting(); w != "" && anyOpen(sub.Requests) {
		v.Waiting = p.T.T("agent.waiting." + w)
	}
	v.Person = []agent.Row2{{Label: p.T.T("agent.file.name"), Value: sub.Name}, {Label: p.T.T("agent.file.email"), Value: sub.Email},
		{Label: p.T.T("req.lives_in"), Value: whereLabel(p.T, sub.Country, sub.Region)}}
	for i := range sub.Requests {
		r := &sub.Requests[i]
		ar := agent.Request{ID: r.ID, Right: p.T.T("right." + r.Right), Status: r.Status, StatusText: p.T.T("status." + r.Status),
			DueAt: r.DueAt, Closed: r.Closed()}
		if r.Status == models.StatusDenied {
			ar.Denial = p.T.T("denial."+r.DenialReason) + " " + r.DenialDetail
		}
		for _, e := range r.Events {
			ar.Events = append(ar.Events, agent.Event{At: e.CreatedAt, Text: eventText(p, r, e), Body: publicBody(e)})
		}
		v.Requests = append(v.Requests, ar)
	}
	for _, doc := range d.Documents {
		if doc.ErasedAt == nil {
			v.Documents = append(v.Documents, agent.Document{ID: doc.ID, Label: docLabel(p, &doc)})
		}
	}
	p.Failed = status >= 400
	if err := h.agentThread(c, p, sub, &v, reply); err != nil {
		return err
	}
	v.ID = id
	noStore(c)
	return render(c, status, agent.Filing(p, v))
}

func anyOpen(reqs []models.Request) bool {
	for _, r := range reqs {
		if !r.Closed() {
			return true
		}
	}
	return false
}

func docLabel(p layout.Page, d *models.Document) string {
	kind := "image"
	if d.IsPDF() {
		kind = "pdf"
	}
	return p.T.T("document.label."+kind, p.Date(d.CreatedAt), d.Size>>10)
}

// AgentDocument lets an agent download a document of their own filings.
func (h *Handlers) AgentDocument(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	a := CurrentAgent(c)
	return h.serveDocument(c, id, models.AgentActor(a.ID, ip(c)), true)
}

// serveDocument streams a document's decrypted content after its access
// was audited. Inline (for the admin's preview) it may be framed by our
// own pages only.
func (h *Handlers) serveDocument(c echo.Context, id int64, viewer models.Actor, download bool) error {
	doc, r, err := h.Documents.Open(c.Request().Context(), id, viewer, download)
	if err != nil {
		return err
	}
	defer r.Close()
	hd := c.Response().Header()
	noStore(c)
	ext := "jpg"
	switch {
	case doc.IsPDF():
		ext = "pdf"
	case doc.ContentType == "image/png":
		ext = "png"
	}
	name := "document-" + strconv.FormatInt(doc.ID, 10) + "." + ext
	if doc.Name != "" && doc.OwnerKind != models.OwnerAgentFiling {
		name = doc.Name // an attachment or a file staff attached: as it was named
	}
	if !download && !doc.IsPDF() && !strings.HasPrefix(doc.ContentType, "image/") {
		download = true // text, CSV, JSON and ZIP are never shown inline
	}
	if download {
		hd.Set(echo.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	} else {
		hd.Set(echo.HeaderContentDisposition, mime.FormatMediaType("inline", map[string]string{"filename": name}))
		hd.Set("X-Frame-Options", "SAMEORIGIN")
		if doc.IsPDF() {
			hd.Set("Content-Security-Policy", "frame-ancestors 'self'")
		} else {
			hd.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'self'")
		}
	}
	hd.Set(echo.HeaderContentLength, strconv.FormatInt(doc.Size, 10))
	return c.Stream(http.StatusOK, doc.ContentType, r)
}

func isOpen(status string) bool {
	for _, s := range models.OpenStatuses {
		if s == status {
			return true
		}
	}
	return false
}
