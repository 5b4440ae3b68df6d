package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/internal/rules"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/templates/components"
	"github.com/rightsdesk/rightsdesk/templates/layout"
	"github.com/rightsdesk/rightsdesk/templates/pages/public"
)

// Track shows the private tracking page of a submission.
func (h *Handlers) Track(c echo.Context) error {
	return h.renderTrack(c, http.StatusOK, trackForms{})
}

// trackForms holds the state of the tracking page's forms after a failed post.
type trackForms struct {
	code     components.Form
	appealID int64
	appeal   components.Form
}

func (h *Handlers) renderTrack(c echo.Context, status int, f trackForms) error {
	token := c.Param("token")
	sub, err := h.Store.ByTrackingToken(c.Request().Context(), token)
	if err != nil {
		return err
	}
	// The person just submitted: show the confirmation panel once.
	s := h.session(c)
	justCreated := s.Values["created"] == sub.Reference
	if justCreated {
		delete(s.Values, "created")
		if err := s.Save(c.Request(), c.Response()); err != nil {
			return err
		}
	}
	p := h.page(c, "track.title")
	v := public.TrackView{
		Token: token, Reference: sub.Reference, Name: sub.Name, Email: maskEmail(sub.Email),
		NeedsCode: sub.EmailVerifiedAt == nil && needsCode(sub), CodeForm: f.code, JustCreated: justCreated,
		LawLabel: p.T.T("law." + sub.Jurisdiction),
	}
	for i := range sub.Requests {
		tr := h.trackRequest(p, sub, &sub.Requests[i])
		if tr.ID == f.appealID {
			tr.AppealForm = f.appeal
		}
		v.Requests = append(v.Requests, tr)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return render(c, status, public.Track(p, v))
}

func needsCode(sub *models.Submission) bool {
	for _, r := range sub.Requests {
		if r.Status == models.StatusAwaitingVerification {
			return true
		}
	}
	return false
}

func (h *Handlers) trackRequest(p layout.Page, sub *models.Submission, r *models.Request) public.TrackRequest {
	j := rules.Jurisdiction(r.Jurisdiction)
	tr := public.TrackRequest{
		ID: r.ID, Right: p.T.T("right." + r.Right), Status: r.Status,
		StatusText: p.T.T("status." + r.Status), StatusHelp: p.T.T("status." + r.Status + ".help"),
		DueAt: r.DueAt, Extended: r.ExtendedAt != nil, Closed: r.Closed(),
		CanWithdraw: !r.Closed(), IsAppeal: r.Kind == models.KindAppeal,
	}
	if r.Status == models.StatusDenied {
		tr.DenialReason = p.T.T("denial." + r.DenialReason)
		tr.DenialDetail = r.DenialDetail
		tr.Recourse = h.recourseText(p, j, r.Kind == models.KindAppeal)
		if r.Kind == models.KindRequest {
			if until, ok := h.Store.AppealOpen(sub, r); ok {
				tr.CanAppeal, tr.AppealUntil = true, until
			}
		}
	}
	for _, e := range r.Events {
		tr.Events = append(tr.Events, public.TrackEvent{At: e.CreatedAt, Text: eventText(p, e), Body: publicBody(e)})
	}
	return tr
}

// publicBody is the part of an event the requester may read.
func publicBody(e models.Event) string {
	if e.Internal {
		return ""
	}
	return eventBody(e)
}

// eventBody is the text written with an event (a note, message, reason);
// a receipt's body is its channel, already in the event's text.
func eventBody(e models.Event) string {
	if e.Kind == models.EventReceived {
		return ""
	}
	return e.Body
}

func eventText(p layout.Page, e models.Event) string {
	switch e.Kind {
	case models.EventStatus:
		return p.T.T("event.status", p.T.T("status."+e.StatusTo))
	case models.EventReceived:
		return p.T.T("event.received", p.T.T("channel."+e.Body))
	}
	return p.T.T("event." + e.Kind)
}

// VerifyPost checks the code typed on the tracking page.
func (h *Handlers) VerifyPost(c echo.Context) error {
	return h.verify(c, c.FormValue("code"))
}

// VerifyLink checks the code carried by the link in the mail.
func (h *Handlers) VerifyLink(c echo.Context) error {
	return h.verify(c, c.Param("code"))
}

func (h *Handlers) verify(c echo.Context, code string) error {
	token := c.Param("token")
	code = strings.TrimSpace(code)
	values := url.Values{"code": {code}}
	fail := func(status int, message string) error {
		return h.renderTrack(c, status, trackForms{code: components.Form{Values: values, Errors: map[string]string{"code": message}}})
	}
	p := h.printer(c)
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return fail(http.StatusUnprocessableEntity, p.T("error.code.format"))
	}
	remaining, err := h.Store.VerifyEmail(c.Request().Context(), token, code, models.RequesterActor(ip(c)))
	switch {
	case errors.Is(err, models.ErrCodeWrong):
		return fail(http.StatusUnprocessableEntity, p.N("error.code.wrong", remaining))
	case errors.Is(err, models.ErrCodeLocked):
		return fail(http.StatusTooManyRequests, p.T("error.code.locked"))
	case errors.Is(err, models.ErrCodeExpired):
		return fail(http.StatusGone, p.T("error.code.expired"))
	case err != nil:
		return err
	}
	if err := h.flash(c, "flash.verified"); err != nil {
		return err
	}
	return redirect(c, "/t/"+token)
}

// Resend sends a new verification code.
func (h *Handlers) Resend(c echo.Context) error {
	token := c.Param("token")
	err := h.Store.ResendCode(c.Request().Context(), token, models.RequesterActor(ip(c)))
	switch {
	case errors.Is(err, models.ErrThrottled):
		p := h.printer(c)
		return h.renderTrack(c, http.StatusTooManyRequests, trackForms{code: components.Form{Values: url.Values{}, Errors: map[string]string{"code": p.T("error.code.throttled")}}})
	case errors.Is(err, models.ErrInvalidState):
		return redirect(c, "/t/"+token)
	case err != nil:
		return err
	}
	if err := h.flash(c, "flash.code_sent"); err != nil {
		return err
	}
	return redirect(c, "/t/"+token)
}

// WithdrawConfirm asks before withdrawing: it cannot be undone.
func (h *Handlers) WithdrawConfirm(c echo.Context) error {
	token := c.Param("token")
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return models.ErrNotFound
	}
	sub, err := h.Store.ByTrackingToken(c.Request().Context(), token)
	if err != nil {
		return err
	}
	for _, r := range sub.Requests {
		if r.ID == id && !r.Closed() {
			p := h.page(c, "withdraw.title")
			c.Response().Header().Set("Cache-Control", "no-store")
			return render(c, http.StatusOK, public.WithdrawConfirm(p, public.WithdrawView{Token: token, ID: id,
				Reference: sub.Reference, Right: p.T.T("right." + r.Right)}))
		}
	}
	return models.ErrNotFound
}

// Withdraw withdraws one request of the submission.
func (h *Handlers) Withdraw(c echo.Context) error {
	token := c.Param("token")
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return models.ErrNotFound
	}
	if err := h.Store.Withdraw(c.Request().Context(), token, id, models.RequesterActor(ip(c))); err != nil {
		return err
	}
	if err := h.flash(c, "flash.withdrawn"); err != nil {
		return err
	}
	return redirect(c, "/t/"+token)
}

// Lookup is the lost-link form.
func (h *Handlers) Lookup(c echo.Context) error {
	p := h.page(c, "lookup.title")
	return render(c, http.StatusOK, public.Lookup(p, public.LookupView{Form: components.Form{Values: url.Values{}}}))
}

// LookupPost emails a fresh link when reference and email match, and
// answers the same either way.
func (h *Handlers) LookupPost(c echo.Context) error {
	values, err := c.FormParams()
	if err != nil {
		return err
	}
	ve := &models.ValidationError{}
	ref := models.NormalizeReference(values.Get("reference"))
	if ref == "" || len(ref) > 20 {
		ve.Add("reference", "error.reference.required")
	}
	email := strings.TrimSpace(values.Get("email"))
	if email == "" || len(email) > models.MaxEmail || !strings.Contains(email, "@") {
		ve.Add("email", "error.email.invalid")
	}
	p := h.page(c, "lookup.title")
	if ve.Err() != nil {
		return render(c, http.StatusUnprocessableEntity, public.Lookup(p, public.LookupView{Form: formOf(p, values, ve, "reference", "email")}))
	}
	if err := h.Store.SendTrackingLink(c.Request().Context(), ref, email, models.RequesterActor(ip(c))); err != nil {
		return err
	}
	return render(c, http.StatusOK, public.Lookup(p, public.LookupView{Form: components.Form{Values: url.Values{}}, Sent: true}))
}

// maskEmail shows enough of an address to recognise it: j•••@example.com.
func maskEmail(e string) string {
	at := strings.LastIndexByte(e, '@')
	if at < 1 {
		return e
	}
	return e[:1] + "•••" + e[at:]
}

// recourseText is what a denied person can do next under their law.
func (h *Handlers) recourseText(p layout.Page, j rules.Jurisdiction, appealDecided bool) string {
	key, args := h.Store.Rules.Recourse(j).Message(appealDecided)
	return p.T.T(key, args...)
}

// Appeal opens an appeal of a denied request.
func (h *Handlers) Appeal(c echo.Context) error {
	token := c.Param("token")
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return models.ErrNotFound
	}
	reason := c.FormValue("reason")
	err = h.Store.Appeal(c.Request().Context(), token, id, reason, models.RequesterActor(ip(c)))
	if validation(err) {
		p := h.page(c, "track.title")
		return h.renderTrack(c, http.StatusUnprocessableEntity, trackForms{appealID: id,
			appeal: formOf(p, url.Values{"reason": {reason}}, err, "reason")})
	}
	if err != nil {
		return err
	}
	if err := h.flash(c, "flash.appealed"); err != nil {
		return err
	}
	return redirect(c, "/t/"+token)
}
