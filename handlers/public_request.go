package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"sort"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/internal/i18n"
	"github.com/rightsdesk/rightsdesk/internal/rules"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/templates/components"
	"github.com/rightsdesk/rightsdesk/templates/layout"
	"github.com/rightsdesk/rightsdesk/templates/pages/public"
)

var whereFields = []string{"on_behalf", "country", "state", "province"}
var detailFields = []string{"rights", "name", "email", "phone", "relationship", "details"}

// Home explains the rights and the process.
func (h *Handlers) Home(c echo.Context) error {
	p := h.page(c, "home.title")
	var rights []components.Option
	for _, r := range rules.AllRights {
		rights = append(rights, components.Option{Value: string(r), Label: p.T.T("right." + string(r)), Hint: p.T.T("right." + string(r) + ".hint")})
	}
	return render(c, http.StatusOK, public.Home(p, public.HomeView{Rights: rights}))
}

// RequestWhere is step 1 of the form.
func (h *Handlers) RequestWhere(c echo.Context) error {
	return h.renderWhere(c, http.StatusOK, url.Values{}, nil)
}

// RequestChange goes back from step 2 to step 1 with everything entered on
// both kept: step 1's answers in its fields, step 2's carried along.
func (h *Handlers) RequestChange(c echo.Context) error {
	values, err := c.FormParams()
	if err != nil {
		return err
	}
	return h.renderWhere(c, http.StatusOK, values, nil)
}

// RequestWherePost checks step 1 and shows step 2 for that jurisdiction.
func (h *Handlers) RequestWherePost(c echo.Context) error {
	values, err := c.FormParams()
	if err != nil {
		return err
	}
	in := submissionInput(values)
	if err := h.Submissions.ValidateWhere(&in); err != nil {
		return h.renderWhere(c, http.StatusUnprocessableEntity, values, err)
	}
	values.Set("nonce", models.NewNonce())
	return h.renderDetails(c, http.StatusOK, values, in, nil)
}

// RequestSubmit records the submission and sends the person to their
// tracking page.
func (h *Handlers) RequestSubmit(c echo.Context) error {
	values, err := c.FormParams()
	if err != nil {
		return err
	}
	in := submissionInput(values)
	in.Lang = h.printer(c).Lang()
	in.GPC = GPC(c)
	res, err := h.Submissions.Submit(c.Request().Context(), in, models.RequesterActor(ip(c)))
	var ve *models.ValidationError
	switch {
	case errors.As(err, &ve):
		if hasAny(ve, append(whereFields, "region")) {
			return h.renderWhere(c, http.StatusUnprocessableEntity, values, err)
		}
		return h.renderDetails(c, http.StatusUnprocessableEntity, values, in, err)
	case errors.Is(err, models.ErrDuplicate):
		return &pageError{err: err, heading: "duplicate.title"}
	case errors.Is(err, models.ErrThrottled):
		return h.renderDetails(c, http.StatusTooManyRequests, values, in, &models.Error{Kind: models.KindThrottled, Key: "error.email.throttled", Field: "email"})
	case err != nil:
		return err
	}
	s := h.session(c)
	s.Values["created"] = res.Submission.Reference
	if err := s.Save(c.Request(), c.Response()); err != nil {
		return err
	}
	return redirect(c, "/t/"+res.TrackingToken)
}

func hasAny(ve *models.ValidationError, fields []string) bool {
	for _, f := range fields {
		if _, ok := ve.Fields[f]; ok {
			return true
		}
	}
	return false
}

func submissionInput(v url.Values) models.SubmissionInput {
	in := models.SubmissionInput{
		OnBehalf: v.Get("on_behalf"), Country: v.Get("country"), Rights: v["rights"],
		Name: v.Get("name"), Email: v.Get("email"), Phone: v.Get("phone"),
		Relationship: v.Get("relationship"), Details: v.Get("details"), IdempotencyKey: v.Get("nonce"),
	}
	switch in.Country {
	case "US":
		in.Region = v.Get("state")
	case "CA":
		in.Region = v.Get("province")
	}
	return in
}

// placeForm is formOf for a form that asks where the person lives: the
// summary links an error about the region to the select that held it,
// the state's or the province's.
func placeForm(p layout.Page, values url.Values, err error, first string, fields ...string) components.Form {
	f := formOf(p, values, err, first, fields...)
	if msg, ok := f.Errors["region"]; ok {
		delete(f.Errors, "region")
		if values.Get("country") == "CA" {
			f.Errors["province"] = msg
		} else {
			f.Errors["state"] = msg
		}
	}
	return f
}

func (h *Handlers) renderWhere(c echo.Context, status int, values url.Values, err error) error {
	p := h.page(c, "where.title")
	p.Failed = err != nil
	noStore(c)
	f := placeForm(p, values, err, "on_behalf", whereFields...)
	v := public.WhereView{
		Form: f,
		OnBehalf: []components.Option{
			{Value: "self", Label: p.T.T("form.on_behalf.self")},
			{Value: "agent", Label: p.T.T("form.on_behalf.agent"), Hint: p.T.T("form.on_behalf.agent_hint")},
		},
		Countries: countryOptions(p.T),
		States:    codeOptions(p.T, "state.", rules.USStates()),
		Provinces: codeOptions(p.T, "province.", rules.CanadianProvinces()),
	}
	for _, name := range append(detailFields, "nonce") {
		for _, val := range values[name] {
			v.Carry = append(v.Carry, public.Hidden{Name: name, Value: val})
		}
	}
	return render(c, status, public.Where(p, v))
}

func (h *Handlers) renderDetails(c echo.Context, status int, values url.Values, in models.SubmissionInput, err error) error {
	p := h.page(c, "details.title")
	p.Failed = err != nil
	noStore(c)
	j := rules.Resolve(in.Country, in.Region)
	var rights []components.Option
	for _, r := range h.Core.Rules.Rights(j) {
		if r == rules.RightAppeal {
			continue
		}
		rights = append(rights, components.Option{Value: string(r), Label: p.T.T("right." + string(r)), Hint: p.T.T("right." + string(r) + ".hint")})
	}
	var rels []components.Option
	for _, r := range models.Relationships {
		rels = append(rels, components.Option{Value: r, Label: p.T.T("relationship." + r)})
	}
	where := p.T.T("country." + in.Country)
	switch in.Country {
	case "US":
		where = p.T.T("form.where_region", p.T.T("state."+in.Region), where)
	case "CA":
		where = p.T.T("form.where_region", p.T.T("province."+in.Region), where)
	}
	v := public.DetailsView{Form: formOf(p, values, err, "rights", detailFields...), WhereLabel: where,
		LawLabel: p.T.T("law." + string(j)), Rights: rights, Relationships: rels, Nonce: values.Get("nonce"),
		QuebecOfficer: j == rules.Quebec}
	return render(c, status, public.Details(p, v))
}

// countryOptions lists the countries the form offers, sorted by name, with
// "elsewhere" last.
func countryOptions(t i18n.Printer) []components.Option {
	opts := codeOptions(t, "country.", rules.Countries())
	sort.SliceStable(opts, func(i, j int) bool { return opts[i].Label < opts[j].Label })
	return append(opts, components.Option{Value: "OTHER", Label: t.T("country.OTHER")})
}

func codeOptions(t i18n.Printer, prefix string, codes []string) []components.Option {
	out := make([]components.Option, 0, len(codes))
	for _, code := range codes {
		out = append(out, components.Option{Value: code, Label: t.T(prefix + code)})
	}
	return out
}
