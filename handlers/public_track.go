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
	"github.com/rightsdesk/rightsdesk/templates/wording"
)

// Track shows the private tracking page of a submission.
func (h *Handlers) Track(c echo.Context) error {
	return h.renderTrack(c, http.StatusOK, trackForms{})
}

// trackForms holds the state of the tracking page's forms after a failed post.
type trackForms struct {
	code      components.Form
	appealID  int64
	appeal    components.Form
	answerID  int64
	answer    components.Form
	complaint components.Form
	identity  components.Form // the identity questions
	// documentID is the request whose document upload failed, with its form.
	documentID int64
	document   components.Form
	// Fulfilment (public_fulfilment.go).
	reply        components.Form
	download     components.Form
	correctionID int64
	correction   components.Form
	failed       components.Form // the one that failed, for the summary at the top
}

func (h *Handlers) renderTrack(c echo.Context, status int, f trackForms) error {
	token := c.Param("token")
	sub, err := h.Submissions.ByTrackingToken(c.Request().Context(), token)
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
	p.Failed = status >= 400
	v := public.TrackView{
		Token: token, Reference: sub.Reference, Name: sub.Name, Email: maskEmail(sub.Email),
		NeedsCode: sub.NeedsCode(), CodeForm: orEmpty(f.code), JustCreated: justCreated,
		LawLabel: p.T.T("law." + sub.Jurisdiction), Failed: f.failed,
		CanComplain: h.Complaints.CanComplain(sub), ComplaintForm: orEmpty(f.complaint),
	}
	if f, a, err := h.Filings.OfTrackingToken(c.Request().Context(), sub); err != nil {
		return err
	} else if f != nil {
		v.Agent = &public.TrackAgent{Name: a.Label(), Ask: f.Confirmation == models.ConfirmWaiting && anyOpen(sub.Requests)}
		switch f.Confirmation {
		case models.ConfirmConfirmed, models.ConfirmRefused:
			v.Agent.Answer = p.T.T("confirm.answered."+f.Confirmation, p.DateTime(*f.ConfirmedAt))
		}
	}
	iv, err := h.Verifications.ForSubmission(c.Request().Context(), sub)
	if err != nil {
		return err
	}
	v.Identity = h.identitySection(p, token, sub, iv, f.identity)
	for i := range sub.Requests {
		r := &sub.Requests[i]
		tr := h.trackRequest(p, sub, r)
		if tr.ID == f.appealID {
			tr.AppealForm = f.appeal
		}
		if tr.ID == f.answerID {
			tr.AnswerForm = f.answer
		}
		ch := iv.Latest[r.ID]
		tr.Identity = identityStatus(p, ch)
		if ch != nil && ch.Open() && r.Status == models.StatusAwaitingVerification && sub.EmailVerifiedAt != nil {
			// The e-mail is confirmed; the identity check is what it waits for.
			tr.StatusText, tr.StatusHelp = p.T.T("status.awaiting_identity"), p.T.T("status.awaiting_identity.help")
			if ch.Status == models.CheckReview {
				tr.StatusHelp = p.T.T("status.awaiting_identity.review")
			}
		}
		if r.Waiting() {
			q, err := h.Core.OpenQuestion(c.Request().Context(), r.ID)
			if err != nil {
				return err
			}
			if tr.ClockRuns = !h.Core.ClockStopped(r); tr.ClockRuns {
				tr.StatusHelp = p.T.T("status.awaiting_you.help_running")
			}
			if q != nil && q.Document {
				tr.DocumentAsked, tr.MaxMB = true, h.Documents.MaxSize()>>20
				tr.DocumentForm = components.Form{Values: url.Values{}}
				if tr.ID == f.documentID {
					tr.DocumentForm = f.document
				}
			}
			if ch != nil && ch.Status == models.CheckPending && tr.Question == "" {
				// A raised check: the questions above are the question.
				tr.IdentityAsked = true
			}
		}
		v.Requests = append(v.Requests, tr)
	}
	if err := h.trackFulfilment(c, p, sub, &v, f); err != nil {
		return err
	}
	noStore(c)
	return render(c, status, public.Track(p, v))
}

func (h *Handlers) trackRequest(p layout.Page, sub *models.Submission, r *models.Request) public.TrackRequest {
	j := rules.Jurisdiction(r.Jurisdiction)
	key := wording.StatusKey(r.Kind, r.Status)
	switch {
	case r.Status == models.StatusAwaitingInformation:
		key = "status.awaiting_you" // the person's own words: "Waiting for you"
	case r.Status == models.StatusAwaitingVerification && sub.NeedsCode():
		key = "status.awaiting_email"
	}
	tr := public.TrackRequest{
		ID: r.ID, Title: wording.Subject(p.T, r.Kind, r.Right), Status: r.Status,
		StatusText: p.T.T(key), StatusHelp: p.T.T(key + ".help"), DueLabel: p.T.T("track.due"),
		DueAt: r.DueAt, Extended: r.ExtendedAt != nil, PausedDays: r.PausedDays, Closed: r.Closed(),
		CanWithdraw: !r.Closed(), Waiting: r.Waiting(),
		AppealForm: components.Form{Values: url.Values{}}, AnswerForm: components.Form{Values: url.Values{}},
	}
	if r.Kind == models.KindComplaint {
		tr.DueLabel = p.T.T("track.complaint_due")
		if r.Status == models.StatusCompleted {
			if c := h.Core.Rules.Law(j).Complaints; c != nil {
				tr.Recourse = p.T.T(c.RecourseKey, c.RecourseURL)
			}
		}
	}
	if r.Status == models.StatusDenied {
		tr.DenialReason = p.T.T("denial." + r.DenialReason)
		tr.DenialDetail = r.DenialDetail
		s := wording.Situation{AfterAppeal: r.Kind == models.KindAppeal, Contact: p.Contact.Email, Loc: p.Loc}
		if _, ok := h.Core.Rules.Appeal(j); ok && r.Kind == models.KindRequest && r.ClosedAt != nil {
			s.AppealUntil = h.Core.Rules.AppealWindowEnds(j, *r.ClosedAt)
			for _, other := range sub.Requests {
				if other.AppealOfID != nil && *other.AppealOfID == r.ID && other.Status != models.StatusWithdrawn {
					s.Appealed = true
				}
			}
			if until, ok := h.Appeals.Window(sub, r); ok {
				tr.CanAppeal, tr.AppealUntil, s.AppealOpen = true, until, true
			}
		}
		tr.Recourse = wording.Recourse(p.T, h.Core.Rules.Recourse(j), s)
	}
	for _, e := range r.Events {
		tr.Events = append(tr.Events, public.TrackEvent{At: e.CreatedAt, Text: eventText(p, r, e), Body: publicBody(e)})
		if e.Kind == models.EventPaused || e.Kind == models.EventAsked {
			tr.Question, tr.WaitingFrom = e.Body, e.CreatedAt
		}
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
// a receipt's channel, a checklist's count and an assignee's name are
// already in the event's text.
func eventBody(e models.Event) string {
	switch e.Kind {
	case models.EventReceived, models.EventTasksOpened, models.EventAssigned, models.EventUnassigned, models.EventNoEmail, models.EventAcknowledged:
		return ""
	}
	return e.Body
}

// eventText is what a timeline says happened. Appeals and complaints come
// from the tracking page: their receipt names no channel.
func eventText(p layout.Page, r *models.Request, e models.Event) string {
	switch e.Kind {
	case models.EventStatus:
		return p.T.T("event.status", p.T.T(wording.StatusKey(r.Kind, e.StatusTo)))
	case models.EventReceived:
		switch r.Kind {
		case models.KindAppeal:
			return p.T.T("event.appeal_received")
		case models.KindComplaint:
			return p.T.T("event.complaint_received")
		}
		return p.T.T("event.received", p.T.T("channel."+e.Body))
	case models.EventTasksOpened:
		n, _ := strconv.Atoi(e.Body)
		return p.T.N("event.tasks_opened", n)
	case models.EventAssigned, models.EventUnassigned:
		return p.T.T("event."+e.Kind, e.Body) // the member's name
	case models.EventNoEmail:
		return p.T.T("event.no_email", p.T.T("channel."+e.Body))
	case models.EventAcknowledged:
		if e.Body != "" { // recorded by staff (a person with no e-mail)
			return p.T.T("event.acknowledged_by", p.T.T("channel."+e.Body))
		}
	}
	return p.T.T("event." + e.Kind)
}

// VerifyPost checks the code typed on the tracking page (or carried by
// the mailed link, through VerifyLink's button).
func (h *Handlers) VerifyPost(c echo.Context) error {
	token, code := c.Param("token"), strings.TrimSpace(c.FormValue("code"))
	err := h.Submissions.VerifyEmail(c.Request().Context(), token, code, models.RequesterActor(ip(c)))
	if formError(err) {
		p := h.page(c, "track.title")
		f := formOf(p, url.Values{"code": {code}}, err, "code", "code")
		return h.renderTrack(c, Status(err), trackForms{code: f, failed: f})
	}
	if err != nil {
		return err
	}
	if err := h.flash(c, "flash.verified"); err != nil {
		return err
	}
	return redirect(c, "/t/"+token)
}

// VerifyLink is where the mailed link leads. It confirms nothing by itself
// (mail scanners follow links): it shows one button that posts the code.
func (h *Handlers) VerifyLink(c echo.Context) error {
	token, code := c.Param("token"), c.Param("code")
	sub, err := h.Submissions.ByTrackingToken(c.Request().Context(), token)
	if err != nil {
		return err
	}
	if !sub.NeedsCode() {
		return redirect(c, "/t/"+token)
	}
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		code = ""
	}
	p := h.page(c, "verify_link.title")
	noStore(c)
	return render(c, http.StatusOK, public.VerifyLink(p, public.VerifyLinkView{Token: token, Code: code, Reference: sub.Reference}))
}

// Resend sends a new verification code.
func (h *Handlers) Resend(c echo.Context) error {
	token := c.Param("token")
	err := h.Submissions.ResendCode(c.Request().Context(), token, models.RequesterActor(ip(c)))
	switch {
	case errors.Is(err, models.ErrInvalidState):
		return redirect(c, "/t/"+token)
	case formError(err):
		p := h.page(c, "track.title")
		f := formOf(p, url.Values{}, err, "code", "code")
		return h.renderTrack(c, Status(err), trackForms{code: f, failed: f})
	case err != nil:
		return err
	}
	if err := h.flash(c, "flash.code_sent"); err != nil {
		return err
	}
	return redirect(c, "/t/"+token)
}

// NewLink replaces the tracking link and mails the new one: for a person
// who thinks someone else has seen theirs.
func (h *Handlers) NewLink(c echo.Context) error {
	fresh, err := h.Submissions.NewTrackingLink(c.Request().Context(), c.Param("token"), models.RequesterActor(ip(c)))
	if err != nil {
		return err
	}
	if err := h.flash(c, "flash.new_link"); err != nil {
		return err
	}
	return redirect(c, "/t/"+fresh)
}

// WithdrawConfirm asks before withdrawing: it cannot be undone.
func (h *Handlers) WithdrawConfirm(c echo.Context) error {
	token := c.Param("token")
	id, err := parseID(c)
	if err != nil {
		return err
	}
	sub, err := h.Submissions.ByTrackingToken(c.Request().Context(), token)
	if err != nil {
		return err
	}
	for _, r := range sub.Requests {
		if r.ID == id && !r.Closed() {
			p := h.page(c, "withdraw.title")
			noStore(c)
			return render(c, http.StatusOK, public.WithdrawConfirm(p, public.WithdrawView{Token: token, ID: id,
				Reference: sub.Reference, Right: p.T.T("right." + r.Right)}))
		}
	}
	return models.ErrNotFound
}

// Withdraw withdraws one request of the submission.
func (h *Handlers) Withdraw(c echo.Context) error {
	token := c.Param("token")
	id, err := parseID(c)
	if err != nil {
		return err
	}
	if err := h.Submissions.Withdraw(c.Request().Context(), token, id, models.RequesterActor(ip(c))); err != nil {
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

// LookupPost emails the link when reference and email match, and answers
// the same either way.
func (h *Handlers) LookupPost(c echo.Context) error {
	values, err := c.FormParams()
	if err != nil {
		return err
	}
	err = h.Submissions.SendTrackingLink(c.Request().Context(), values.Get("reference"), values.Get("email"), models.RequesterActor(ip(c)))
	p := h.page(c, "lookup.title")
	if formError(err) {
		p.Failed = true
		return render(c, Status(err), public.Lookup(p, public.LookupView{Form: formOf(p, values, err, "reference", "reference", "email")}))
	}
	if err != nil {
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
	key, args := h.Core.Rules.Recourse(j).Message(appealDecided)
	return p.T.T(key, args...)
}

// Appeal opens an appeal of a denied request.
func (h *Handlers) Appeal(c echo.Context) error {
	token := c.Param("token")
	id, err := parseID(c)
	if err != nil {
		return err
	}
	reason := c.FormValue("reason")
	err = h.Appeals.Appeal(c.Request().Context(), token, id, reason, models.RequesterActor(ip(c)))
	if formError(err) {
		p := h.page(c, "track.title")
		f := formOf(p, url.Values{"reason": {reason}}, err, "reason", "reason")
		return h.renderTrack(c, Status(err), trackForms{appealID: id, appeal: f, failed: f})
	}
	if err != nil {
		return err
	}
	if err := h.flash(c, "flash.appealed"); err != nil {
		return err
	}
	return redirect(c, "/t/"+token)
}

// AuthorityAnswer records the person's answer to whether they asked the
// agent who filed for them to do so.
func (h *Handlers) AuthorityAnswer(c echo.Context) error {
	token := c.Param("token")
	answer := c.FormValue("answer")
	if answer != "yes" && answer != "no" {
		return echo.ErrBadRequest
	}
	err := h.Filings.Confirm(c.Request().Context(), token, answer == "yes", models.RequesterActor(ip(c)))
	if errors.Is(err, models.ErrAnswered) {
		return redirect(c, "/t/"+token)
	}
	if err != nil {
		return err
	}
	key := "flash.confirmed"
	if answer == "no" {
		key = "flash.refused"
	}
	return h.flashTo(c, key, "/t/"+token)
}

// Answer is the person's answer to what staff asked: the clock restarts.
func (h *Handlers) Answer(c echo.Context) error {
	token := c.Param("token")
	id, err := parseID(c)
	if err != nil {
		return err
	}
	answer := c.FormValue("answer")
	err = h.Submissions.Answer(c.Request().Context(), token, id, answer, models.RequesterActor(ip(c)))
	if formError(err) {
		p := h.page(c, "track.title")
		f := formOf(p, url.Values{"answer": {answer}}, err, "answer", "answer")
		return h.renderTrack(c, Status(err), trackForms{answerID: id, answer: f, failed: f})
	}
	if err != nil {
		return err
	}
	return h.flashTo(c, "flash.answered", "/t/"+token)
}

// Complain records a complaint about how the organization handled the
// person's data (where their law gives one).
func (h *Handlers) Complain(c echo.Context) error {
	token := c.Param("token")
	body := c.FormValue("complaint")
	err := h.Complaints.Complain(c.Request().Context(), token, body, models.RequesterActor(ip(c)))
	if formError(err) {
		p := h.page(c, "track.title")
		f := formOf(p, url.Values{"complaint": {body}}, err, "complaint", "complaint")
		return h.renderTrack(c, Status(err), trackForms{complaint: f, failed: f})
	}
	if err != nil {
		return err
	}
	return h.flashTo(c, "flash.complained", "/t/"+token)
}
