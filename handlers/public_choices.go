package handlers

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/internal/rules"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/templates/layout"
	"github.com/rightsdesk/rightsdesk/templates/pages/admin"
	"github.com/rightsdesk/rightsdesk/templates/pages/public"
)

// Privacy choices: the page the organization links to as "Do Not Sell or
// Share My Personal Information" / "Your Privacy Choices", the mailed
// preference centre, one-click unsubscribe (RFC 8058), and Global Privacy
// Control: the Sec-GPC header on the portal, the signal passed on by the
// organization's own website, and /.well-known/gpc.json.

// GPC reports whether the request carries the Global Privacy Control
// signal: a Sec-GPC header whose value is exactly "1" (any of several).
func GPC(c echo.Context) bool {
	return slices.Contains(c.Request().Header.Values("Sec-GPC"), "1")
}

// choiceKind is the identifier kind the choices page asks for.
func (h *Handlers) choiceKind() string {
	if slices.Contains(models.PageIDKinds, h.ChoicesIdentifier) {
		return h.ChoicesIdentifier
	}
	return models.IDEmail
}

// ChoicesPage shows the privacy choices page.
func (h *Handlers) ChoicesPage(c echo.Context) error {
	return h.renderChoices(c, http.StatusOK, url.Values{}, nil, url.Values{}, nil)
}

// ChoicesPost records the choice pressed for the identifier given; with
// the GPC signal, the opt-out of sale and sharing too.
func (h *Handlers) ChoicesPost(c echo.Context) error {
	values, err := c.FormParams()
	if err != nil {
		return err
	}
	kind := h.choiceKind()
	field := models.SubjectField(kind)
	s, verr := models.ParseSubject(kind, values.Get(field))
	choice := rules.Right(values.Get("choice"))
	v := &models.ValidationError{}
	var ve *models.ValidationError
	if errors.As(verr, &ve) {
		for f, k := range ve.Fields {
			v.Add(f, k)
		}
	}
	if !models.IsChoice(string(choice)) {
		v.Add("choice", "error.choice.required")
	}
	if err := v.Err(); err != nil {
		return h.renderChoices(c, http.StatusUnprocessableEntity, values, err, url.Values{}, nil)
	}
	gpc := GPC(c)
	in := models.ChoiceInput{Subject: s, Changes: []models.Change{{Choice: choice, OptOut: true, Source: models.SourcePage}},
		GPC: gpc, Lang: h.printer(c).Lang(), Mail: true}
	if gpc && choice != rules.RightOptOutSale {
		in.Changes = append(in.Changes, models.Change{Choice: rules.RightOptOutSale, OptOut: true, Source: models.SourceGPC})
	}
	if _, err := h.Choices.Set(c.Request().Context(), in, models.RequesterActor(ip(c))); err != nil {
		if formError(err) {
			return h.renderChoices(c, Status(err), values, err, url.Values{}, nil)
		}
		return err
	}
	// The same answer whether the choice is new or was already made:
	// the page tells nobody what someone else chose.
	return h.flashTo(c, "choices.done."+string(choice), "/choices#main")
}

// ChoicesLink mails a link to the preference centre.
func (h *Handlers) ChoicesLink(c echo.Context) error {
	values, err := c.FormParams()
	if err != nil {
		return err
	}
	err = h.Choices.SendLink(c.Request().Context(), values.Get("link_email"), h.printer(c).Lang(), models.RequesterActor(ip(c)))
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		return h.renderChoices(c, http.StatusUnprocessableEntity, url.Values{}, nil, values,
			&models.ValidationError{Fields: map[string]string{"link_email": ve.Fields["email"]}})
	}
	if err != nil {
		return err
	}
	// The same answer for every address.
	return h.flashTo(c, "choices.manage.sent", "/choices#manage")
}

func (h *Handlers) renderChoices(c echo.Context, status int, values url.Values, err error, linkValues url.Values, linkErr error) error {
	p := h.page(c, "choices.title")
	p.Failed = err != nil || linkErr != nil
	noStore(c)
	kind := h.choiceKind()
	v := public.ChoicesView{
		Form: formOf(p, values, err, "choice", models.SubjectField(kind), "choice"), Field: models.SubjectField(kind),
		FieldLabel: p.T.T("choices.id." + kind), FieldHint: p.T.T("choices.id." + kind + ".hint"),
		GPC: GPC(c), OfferLink: kind == models.IDEmail, LinkForm: formOf(p, linkValues, linkErr, "link_email", "link_email"),
	}
	switch kind {
	case models.IDEmail:
		v.FieldType, v.Autocomplete, v.MaxLen = "email", "email", models.MaxEmail
	case models.IDPhone:
		v.FieldType, v.Autocomplete, v.MaxLen = "tel", "tel", models.MaxPhone
	default:
		v.FieldType, v.Autocomplete, v.MaxLen = "text", "off", models.MaxIdentifier
	}
	for _, r := range models.ChoiceRights {
		v.Choices = append(v.Choices, public.ChoiceOption{Value: string(r), Label: p.T.T("right." + string(r)),
			Hint: p.T.T("right." + string(r) + ".hint"), Button: p.T.T("choices.button." + string(r)), Clock: h.clockText(p, r)})
	}
	return render(c, status, public.Choices(p, v))
}

// clockText says how soon a choice made without saying where one lives is
// acted on: the strictest clock of the law table (rules.Unstated).
func (h *Handlers) clockText(p layout.Page, r rules.Right) string {
	period := h.Core.Rules.Period(rules.Unstated, r)
	switch period.Kind {
	case rules.BusinessDays:
		return p.T.N("choices.clock.business_days", period.N)
	case rules.CalendarMonths:
		return p.T.N("choices.clock.calendar_months", period.N)
	}
	return p.T.N("choices.clock.calendar_days", period.N)
}

// Preferences is the preference centre a mailed link opens. A browser
// sending the GPC signal opts its owner out of sale and sharing here,
// unless they opted back in with the signal on.
func (h *Handlers) Preferences(c echo.Context) error {
	ctx := c.Request().Context()
	s, err := h.Choices.ByLink(ctx, c.Param("token"))
	if err != nil {
		return err
	}
	note := ""
	if GPC(c) {
		recorded, err := h.Choices.HonourGPC(ctx, s, h.printer(c).Lang(), models.RequesterActor(ip(c)))
		if err != nil {
			return err
		}
		if recorded {
			note = "prefs.gpc.recorded"
		}
	}
	return h.renderPreferences(c, s, note)
}

// PreferencesPost turns one choice the other way.
func (h *Handlers) PreferencesPost(c echo.Context) error {
	ctx := c.Request().Context()
	token := c.Param("token")
	s, err := h.Choices.ByLink(ctx, token)
	if err != nil {
		return err
	}
	choice := rules.Right(c.FormValue("choice"))
	set := c.FormValue("set")
	if !models.IsChoice(string(choice)) || set != "out" && set != "in" {
		return models.ErrNoChoice
	}
	in := models.ChoiceInput{Subject: s, Changes: []models.Change{{Choice: choice, OptOut: set == "out", Source: models.SourceCentre}},
		GPC: GPC(c), Lang: h.printer(c).Lang()}
	if _, err := h.Choices.Set(ctx, in, models.RequesterActor(ip(c))); err != nil {
		return err
	}
	return h.flashTo(c, "prefs.saved."+set, "/choices/p/"+token)
}

func (h *Handlers) renderPreferences(c echo.Context, s models.Subject, gpcNote string) error {
	ctx := c.Request().Context()
	states, err := h.Choices.State(ctx, s)
	if err != nil {
		return err
	}
	history, err := h.Choices.History(ctx, s)
	if err != nil {
		return err
	}
	p := h.page(c, "prefs.title")
	noStore(c)
	gpc := GPC(c)
	v := public.PreferencesView{Token: c.Param("token"), Who: maskEmail(s.Value), GPC: gpc}
	for _, st := range states {
		it := public.PreferenceItem{Value: st.Choice, Label: p.T.T("right." + st.Choice), OptedOut: st.OptedOut, Since: st.Since}
		if st.OptedOut {
			it.State, it.Set, it.Button = p.T.T("prefs.state."+st.Choice+".out"), "in", p.T.T("prefs.in."+st.Choice)
			if r := st.Request; r != nil {
				switch {
				case !r.Closed():
					it.Progress = p.T.T("prefs.progress.open", p.Date(r.DueAt))
				case r.Status == models.StatusCompleted && r.ClosedAt != nil:
					it.Progress = p.T.T("prefs.progress.done", p.Date(*r.ClosedAt))
				}
			}
			if gpc && st.Choice == string(rules.RightOptOutSale) {
				it.Note = p.T.T("prefs.gpc.override")
			}
		} else {
			it.State, it.Set, it.Button = p.T.T("prefs.state."+st.Choice+".in"), "out", p.T.T("choices.button."+st.Choice)
			if gpc && st.Choice == string(rules.RightOptOutSale) && st.GPCOverridden {
				gpcNote = "prefs.gpc.overridden"
			}
		}
		v.Items = append(v.Items, it)
	}
	if gpc && gpcNote == "" {
		gpcNote = "prefs.gpc.in_force"
	}
	if gpcNote != "" {
		v.GPCNote = p.T.T(gpcNote)
	}
	for _, hi := range history {
		text := p.T.T("prefs.change."+hi.Choice+"."+map[bool]string{true: "out", false: "in"}[hi.OptedOut]) +
			" (" + p.T.T("source."+hi.Source)
		if hi.GPC && hi.Source != models.SourceGPC && hi.Source != models.SourceSiteGPC {
			text += ", " + p.T.T("source.gpc_on")
		}
		v.History = append(v.History, public.HistoryLine{At: hi.At, Text: text + ")"})
	}
	return render(c, http.StatusOK, public.Preferences(p, v))
}

// Unsubscribe shows the page of a one-click unsubscribe link: a button,
// never an unsubscribe on GET (mail scanners follow links).
func (h *Handlers) Unsubscribe(c echo.Context) error {
	if _, err := h.Choices.OneClickSubject(c.Param("token")); err != nil {
		return err
	}
	p := h.page(c, "unsubscribe.title")
	noStore(c)
	return render(c, http.StatusOK, public.Unsubscribe(p, public.UnsubscribeView{Token: c.Param("token")}))
}

// UnsubscribePost is the RFC 8058 one-click unsubscribe: a POST of
// List-Unsubscribe=One-Click (urlencoded or multipart) to the link,
// without cookies or any other context, records the unsubscribe at once
// and answers 200 (never a redirect). Posting it again records nothing
// new and answers the same.
func (h *Handlers) UnsubscribePost(c echo.Context) error {
	if oneClickBody(c.Request()) != "One-Click" {
		return &models.Error{Kind: models.KindInvalid, Key: "error.one_click.body"}
	}
	if _, err := h.Choices.OneClick(c.Request().Context(), c.Param("token"), models.RequesterActor(ip(c))); err != nil {
		return err
	}
	p := h.page(c, "unsubscribe.title_done")
	return render(c, http.StatusOK, public.Unsubscribe(p, public.UnsubscribeView{Done: true, Clock: h.clockText(p, rules.RightUnsubscribe)}))
}

// oneClickBody is the List-Unsubscribe field of a one-click POST, sent as
// multipart/form-data (RFC 8058: SHOULD) or urlencoded (MAY). The
// urlencoded body is already parsed (web.parseForm); a multipart one is
// parsed here, within the body limit.
func oneClickBody(r *http.Request) string {
	if strings.HasPrefix(r.Header.Get(echo.HeaderContentType), echo.MIMEMultipartForm) {
		if err := r.ParseMultipartForm(64 << 10); err != nil || r.MultipartForm == nil {
			return ""
		}
		if v := r.MultipartForm.Value["List-Unsubscribe"]; len(v) == 1 {
			return v[0]
		}
		return ""
	}
	return r.PostFormValue("List-Unsubscribe")
}

// The organization's own website passes the GPC signal on with its own
// ids of the visitor (static/js/gpc-signal.js): a cross-origin POST from
// the origins in RIGHTSDESK_CHOICES_ORIGINS only, with no cookie either
// way (no credentials are allowed, and the route is outside the CSRF
// middleware). The request must carry the signal itself: the browser's
// Sec-GPC header (which no page script can set), or the page's reading of
// navigator.globalPrivacyControl.

// allowedOrigin returns the request's Origin when it is one of the
// configured origins.
func (h *Handlers) allowedOrigin(c echo.Context) (string, bool) {
	origin := c.Request().Header.Get("Origin")
	return origin, origin != "" && slices.Contains(h.ChoicesOrigins, origin)
}

// signalAnswer is the JSON body of the signal endpoint.
type signalAnswer struct {
	Recorded bool              `json:"recorded,omitempty"`
	Error    string            `json:"error,omitempty"`
	Fields   map[string]string `json:"fields,omitempty"`
}

// SignalPreflight answers a CORS preflight for the signal endpoint: only
// configured origins, only POST, no credentials.
func (h *Handlers) SignalPreflight(c echo.Context) error {
	origin, ok := h.allowedOrigin(c)
	hd := c.Response().Header()
	hd.Add("Vary", "Origin")
	if !ok {
		return c.NoContent(http.StatusForbidden)
	}
	hd.Set("Access-Control-Allow-Origin", origin)
	hd.Set("Access-Control-Allow-Methods", http.MethodPost)
	hd.Set("Access-Control-Allow-Headers", "Content-Type")
	hd.Set("Access-Control-Max-Age", "600")
	return c.NoContent(http.StatusNoContent)
}

// Signal records the opt-out the GPC signal stands for, for the ids the
// website gives: visitor_id and/or customer_id, as form fields or JSON.
func (h *Handlers) Signal(c echo.Context) error {
	t := h.printer(c)
	hd := c.Response().Header()
	hd.Add("Vary", "Origin")
	hd.Set("Cache-Control", "no-store")
	origin, ok := h.allowedOrigin(c)
	if !ok {
		return c.JSON(http.StatusForbidden, signalAnswer{Error: t.T("error.gpc.origin")})
	}
	hd.Set("Access-Control-Allow-Origin", origin)
	var body struct {
		GPC      any    `json:"gpc"`
		Visitor  string `json:"visitor_id"`
		Customer string `json:"customer_id"`
	}
	if strings.HasPrefix(c.Request().Header.Get(echo.HeaderContentType), echo.MIMEApplicationJSON) {
		if err := json.NewDecoder(c.Request().Body).Decode(&body); err != nil {
			return c.JSON(http.StatusBadRequest, signalAnswer{Error: t.T("error.api.body")})
		}
	} else {
		body.GPC, body.Visitor, body.Customer = c.FormValue("gpc"), c.FormValue("visitor_id"), c.FormValue("customer_id")
	}
	if !GPC(c) && body.GPC != true && body.GPC != "1" && body.GPC != "true" {
		return c.JSON(http.StatusUnprocessableEntity, signalAnswer{Error: t.T(models.ErrNoSignal.Key)})
	}
	_, err := h.Choices.Signal(c.Request().Context(), models.SignalInput{Visitor: body.Visitor, Customer: body.Customer, Lang: t.Lang()},
		models.RequesterActor(ip(c)))
	var ve *models.ValidationError
	switch {
	case errors.As(err, &ve):
		out := signalAnswer{Error: t.T("error.api.invalid"), Fields: map[string]string{}}
		for f, k := range ve.Fields {
			out.Fields[f] = t.T(k)
		}
		return c.JSON(http.StatusUnprocessableEntity, out)
	case err != nil:
		return err
	}
	return c.JSON(http.StatusOK, signalAnswer{Recorded: true})
}

// SignalScript serves the website's script under a stable URL (the
// organization's pages cannot follow our fingerprints), cached an hour.
func (h *Handlers) SignalScript(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "public, max-age=3600")
	return c.Blob(http.StatusOK, "text/javascript; charset=utf-8", h.Assets.Content("js/gpc-signal.js"))
}

// GPCSupportSince is when the portal began to state its support for GPC:
// the GPC support resource's lastUpdate, so later changes to the
// specification do not change what the statement meant.
const GPCSupportSince = "2026-11-25"

// GPCSupport serves /.well-known/gpc.json as the GPC specification
// describes it: a JSON object whose gpc member is true.
func (h *Handlers) GPCSupport(c echo.Context) error {
	c.Response().Header().Set("Access-Control-Allow-Origin", "*")
	c.Response().Header().Set("Cache-Control", "public, max-age=86400")
	return c.JSON(http.StatusOK, map[string]any{"gpc": true, "lastUpdate": GPCSupportSince})
}

// choiceRequester describes, on the staff request page, whom an opt-out
// made on the choices page (or by a signal or a one-click link) is for.
func (h *Handlers) choiceRequester(p layout.Page, sub *models.Submission, pref *models.Preference, ch *models.PreferenceChange) []admin.Row {
	source := p.T.T("source." + ch.Source)
	if ch.GPC && ch.Source != models.SourceGPC && ch.Source != models.SourceSiteGPC {
		source += ", " + p.T.T("source.gpc_on")
	}
	return []admin.Row{
		{Label: p.T.T("choices.id." + pref.IDKind), Value: pref.Identifier},
		{Label: p.T.T("req.choice_source"), Value: source},
		{Label: p.T.T("req.lives_in"), Value: p.T.T("jurisdiction." + sub.Jurisdiction)},
		{Label: p.T.T("req.channel"), Value: p.T.T("channel." + sub.Channel)},
	}
}
