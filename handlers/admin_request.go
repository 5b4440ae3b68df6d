package handlers

import (
	"cmp"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/internal/rules"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/templates/components"
	"github.com/rightsdesk/rightsdesk/templates/pages/admin"
	"github.com/rightsdesk/rightsdesk/templates/wording"
)

// forms holds the state of the request page's forms after a failed post.
type forms struct {
	status, note, message, extend, authority, pause, resume components.Form
	assign, ack, appeal                                     components.Form
	identity, raise                                         components.Form // identity verification
	thread, file, pkg                                       components.Form // fulfilment (admin_fulfilment.go)
	failed                                                  components.Form // the one that failed, for the summary at the top
}

// RequestPage shows one request to staff.
func (h *Handlers) RequestPage(c echo.Context) error {
	return h.renderRequest(c, http.StatusOK, forms{})
}

func (h *Handlers) renderRequest(c echo.Context, status int, f forms) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	d, err := h.Requests.Get(c.Request().Context(), id)
	if err != nil {
		return err
	}
	r, sub := &d.Request, &d.Sub
	j := rules.Jurisdiction(r.Jurisdiction)
	p := h.page(c, "req.title", sub.Reference)
	p.Failed = status >= 400
	v := admin.RequestView{
		ID: r.ID, Reference: sub.Reference, Right: wording.Subject(p.T, r.Kind, r.Right), Kind: r.Kind,
		Jurisdiction: p.T.T("jurisdiction." + r.Jurisdiction), Status: r.Status, StatusText: p.T.T(wording.StatusKey(r.Kind, r.Status)),
		ReceivedAt: r.ReceivedAt, DueAt: r.DueAt, OriginalDueAt: r.OriginalDueAt, Extended: r.ExtendedAt != nil,
		ExtensionNote: r.ExtensionReason, AckDueAt: r.AckDueAt, AckedAt: r.AcknowledgedAt, Details: sub.Details,
		StatusForm: orEmpty(f.status), NoteForm: orEmpty(f.note), MessageForm: orEmpty(f.message), ExtendForm: orEmpty(f.extend),
		PauseForm: orEmpty(f.pause), ResumeForm: orEmpty(f.resume), Failed: f.failed, Waiting: r.Waiting(),
		AskStops: d.AskStopsClock, ClockStopped: d.ClockStopped,
		DetailLabel: p.T.T("req.detail"), DetailHint: p.T.T("req.detail_hint"),
	}
	if r.Kind == models.KindComplaint {
		v.DetailLabel, v.DetailHint = p.T.T("req.outcome"), p.T.T("req.outcome_hint")
	}
	for _, reason := range d.PauseReasons {
		v.PauseReasons = append(v.PauseReasons, components.Option{Value: reason, Label: p.T.T("pause." + reason),
			Hint: p.T.T("pause." + reason + ".hint")})
	}
	for _, ps := range d.Pauses {
		row := admin.PauseRow{Stopped: ps.ClockStopped, Reason: p.T.T("pause." + ps.Reason), Started: ps.StartedAt, Ended: ps.EndedAt, Days: ps.Days,
			DueBefore: ps.DueBefore, DueAfter: ps.DueAfter}
		if ps.EndedBy != "" {
			row.EndedBy = p.T.T("pause.ended_by." + ps.EndedBy)
		}
		v.Pauses = append(v.Pauses, row)
	}
	if v.Authority, err = h.authorityView(c, p, sub.ID, f.authority); err != nil {
		return err
	}
	if v.Identity, err = h.identityPanel(c, p, r, f.identity, f.raise); err != nil {
		return err
	}
	if v.Identity != nil && v.Identity.Open && r.Status == models.StatusAwaitingVerification && sub.EmailVerifiedAt != nil {
		v.StatusText = p.T.T("status.awaiting_identity") // the e-mail is confirmed; the identity check is what it waits for
	}
	v.DaysLeft, v.DueText, v.Urgency = dueText(p, d.Urgency)
	if r.Status == models.StatusDenied {
		v.DenialReason, v.DenialDetail = p.T.T("denial."+r.DenialReason), r.DenialDetail
	}
	verified := p.T.T("req.email_unverified")
	if sub.EmailVerifiedAt != nil {
		verified = p.T.T("req.email_verified_on", p.DateTime(*sub.EmailVerifiedAt))
	}
	livesIn := p.T.T("country." + sub.Country)
	switch sub.Country {
	case "US":
		livesIn = p.T.T("form.where_region", p.T.T("state."+sub.Region), livesIn)
	case "CA":
		livesIn = p.T.T("form.where_region", p.T.T("province."+sub.Region), livesIn)
	}
	phone := sub.Phone
	if phone == "" {
		phone = p.T.T("req.none_given")
	}
	email := sub.Email + " (" + verified + ")"
	if sub.Offline() {
		// Entered by staff from a letter or a call: nothing is e-mailed
		// (models: tx.enqueue), so staff answer by post or phone.
		v.Offline = true
		email = p.T.T("req.no_email")
		by := "mail"
		if sub.Channel == "phone" {
			by = "phone"
			v.Flags = append(v.Flags, p.T.T("req.no_email_flag.phone", sub.Phone, sub.Reference))
		} else {
			v.Flags = append(v.Flags, p.T.T("req.no_email_flag.mail", sub.Reference))
		}
		v.AckByStaff, v.AckBy = true, p.T.T("channel."+by)
		v.AckRecord = r.AckDueAt != nil && r.AcknowledgedAt == nil && !r.Closed() && models.CanWork(CurrentStaff(c).Role)
		v.AckForm = orEmpty(f.ack)
		if v.AckForm.Get("acked_on") == "" {
			v.AckForm.Values.Set("acked_on", h.today())
		}
	}
	v.Requester = []admin.Row{
		{Label: p.T.T("form.name"), Value: sub.Name},
		{Label: p.T.T("form.email"), Value: email},
		{Label: p.T.T("req.phone"), Value: phone},
	}
	if sub.Address != "" {
		v.Requester = append(v.Requester, admin.Row{Label: p.T.T("req.address"), Value: sub.Address})
	}
	v.Requester = append(v.Requester, []admin.Row{
		{Label: p.T.T("req.lives_in"), Value: livesIn},
		{Label: p.T.T("form.relationship"), Value: p.T.T("relationship." + sub.Relationship)},
		{Label: p.T.T("req.submitted_by"), Value: p.T.T("form.on_behalf." + sub.OnBehalf)},
		{Label: p.T.T("req.channel"), Value: p.T.T("channel." + sub.Channel)},
	}...)
	// A privacy choice is known by its identifier, not a name and a place.
	if pref, ch, err := h.Choices.ChoiceOf(c.Request().Context(), r.ID); err != nil {
		return err
	} else if pref != nil && sub.Jurisdiction == string(rules.Unstated) {
		v.Requester = h.choiceRequester(p, sub, pref, ch)
	}
	if _, ok := sub.ChoiceSubject(); !ok && models.IsChoice(r.Right) && r.Kind == models.KindRequest && sub.Offline() {
		// A letter with a postal address only: no identifier a system
		// could act on, so the opt-out is not on the opt-out list.
		v.Flags = append(v.Flags, p.T.T("req.choice_no_identifier"))
	}
	for _, s := range d.Siblings {
		v.Siblings = append(v.Siblings, admin.Link{Label: wording.Subject(p.T, s.Kind, s.Right) + " · " + p.T.T(wording.StatusKey(s.Kind, s.Status)),
			URL: "/admin/requests/" + strconv.FormatInt(s.ID, 10)})
	}
	if r.AppealOfID != nil {
		v.AppealOf = &admin.Link{Label: p.T.T("req.original_request"), URL: "/admin/requests/" + strconv.FormatInt(*r.AppealOfID, 10)}
	}
	if _, ok := h.Appeals.Window(sub, r); ok && d.Appeal == nil && models.CanWork(CurrentStaff(c).Role) {
		// An appeal that came by post (from a person with no e-mail, or
		// anyone who wrote): staff enter it.
		v.AppealEnter, v.AppealForm = true, orEmpty(f.appeal)
		if v.AppealForm.Get("appeal_received") == "" {
			v.AppealForm.Values.Set("appeal_received", h.today())
		}
	}
	if d.Appeal != nil {
		v.Appeal = &admin.Link{Label: p.T.T(wording.StatusKey(d.Appeal.Kind, d.Appeal.Status)), URL: "/admin/requests/" + strconv.FormatInt(d.Appeal.ID, 10)}
	}
	if fl := d.Frequency; fl != nil {
		months := p.T.N("req.months", fl.Months)
		v.Frequency = p.T.N("req.frequency_text", d.Earlier, d.Earlier, fl.Max, months)
		if sub.Offline() {
			// Earlier requests are found by address (models: Requests.Get).
			v.Frequency = p.T.T("req.frequency_no_email", fl.Max, months)
		} else if d.FrequencyExceeded {
			v.Flags = append(v.Flags, p.T.N("req.frequency_exceeded", d.Earlier, d.Earlier, months))
		}
	}
	if d.Urgency.Open && d.Urgency.DeemedRefusal {
		if d.LawExtends {
			v.Flags = append(v.Flags, p.T.T("req.deemed_refusal_flag_extension"))
		} else {
			v.Flags = append(v.Flags, p.T.T("req.deemed_refusal_flag"))
		}
	}
	for _, e := range r.Events {
		v.Events = append(v.Events, admin.Event{At: e.CreatedAt, Who: p.T.T("actor." + e.ActorKind), Text: eventText(p, r, e), Body: eventBody(e), Internal: e.Internal})
	}
	for _, st := range r.NextStatuses() {
		v.Next = append(v.Next, components.Option{Value: st, Label: p.T.T(wording.StatusKey(r.Kind, st))})
	}
	for _, reason := range h.Core.Rules.DenialReasons(j, r.RuleRight()) {
		v.DenialReasons = append(v.DenialReasons, components.Option{Value: reason, Label: p.T.T("denial." + reason)})
	}
	v.CanWork = models.CanWork(CurrentStaff(c).Role)
	for _, dup := range d.Duplicates {
		v.Duplicates = append(v.Duplicates, admin.Duplicate{ID: dup.ID, Reference: dup.Reference, ReceivedAt: dup.ReceivedAt, DueAt: dup.DueAt})
	}
	if err := h.fulfilment(c, p, d, &v, f); err != nil {
		return err
	}
	// Assignment: the list of members is the tasks' (fulfilment).
	v.Assignee, v.CanAssign = d.Assignee, !r.Closed()
	v.Mine = r.AssigneeID != nil && *r.AssigneeID == CurrentStaff(c).ID
	v.AssignForm = f.assign
	if v.AssignForm.Values == nil {
		v.AssignForm.Values = url.Values{}
		if r.AssigneeID != nil {
			v.AssignForm.Values.Set("assignee", itoa(*r.AssigneeID))
		}
	}
	// The domain decided whether an extension can be granted now.
	if d.Extension == nil {
		v.CanExtend = true
		v.ExtendNote = p.T.T(v.Told("req.extend_note"))
	} else if !r.Closed() {
		v.ExtendNote = p.T.T(d.Extension.Key)
	}
	return render(c, status, admin.Request(p, v))
}

func orEmpty(f components.Form) components.Form {
	if f.Values == nil {
		f.Values = url.Values{}
	}
	return f
}

// RequestStatus applies a staff decision.
func (h *Handlers) RequestStatus(c echo.Context) error {
	return h.staffAction(c, "status", "flash.status_saved", func(id int64, v url.Values, a models.Actor) error {
		return h.Requests.Move(c.Request().Context(), id, models.Transition{To: v.Get("status"), DenialReason: v.Get("denial_reason"), Detail: v.Get("detail"),
			Outcome: v.Get("outcome"), NotDone: v.Get("not_done"), Override: v.Get("override")}, a)
	})
}

// RequestMerge joins the request to an earlier one of the same person.
func (h *Handlers) RequestMerge(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	into, err := strconv.ParseInt(c.FormValue("into"), 10, 64)
	if err != nil || into <= 0 {
		return models.ErrNotFound
	}
	st := CurrentStaff(c)
	if err := h.Requests.Merge(c.Request().Context(), id, into, models.StaffActor(st.ID, ip(c))); err != nil {
		return err
	}
	return h.flashTo(c, "flash.merged", "/admin/requests/"+strconv.FormatInt(into, 10))
}

// RequestAssign gives the request to a member, to the member asking
// ("me"), or to nobody ("").
func (h *Handlers) RequestAssign(c echo.Context) error {
	return h.staffAction(c, "assign", "flash.assigned", func(id int64, v url.Values, a models.Actor) error {
		return h.Requests.Assign(c.Request().Context(), id, assigneeOf(v.Get("assignee"), *a.StaffID), a)
	})
}

// assigneeOf reads an assignee field: a member's id, "me" (self) or ""
// (nobody); anything else is -1, which Assign refuses.
func assigneeOf(v string, self int64) int64 {
	switch v {
	case "":
		return 0
	case models.AssigneeMe:
		return self
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return -1
	}
	return id
}

// RequestNote adds an internal note.
func (h *Handlers) RequestNote(c echo.Context) error {
	return h.staffAction(c, "note", "flash.note_added", func(id int64, v url.Values, a models.Actor) error {
		return h.Requests.AddNote(c.Request().Context(), id, v.Get("note"), a)
	})
}

// toldFlashes are the confirmations that say the person was told by
// e-mail; for a person with none, each has a "_no_email" variant saying
// nothing was sent and they are to be told by post or phone.
var toldFlashes = map[string]bool{"flash.status_saved": true, "flash.message_sent": true, "flash.extended": true, "flash.package_ready": true,
	"flash.identity_decided": true, "flash.intake": true}

// toldKey is key, or its variant for a person with no e-mail.
func (h *Handlers) toldKey(c echo.Context, id int64, key string) (string, error) {
	if !toldFlashes[key] {
		return key, nil
	}
	no, err := h.Requests.Offline(c.Request().Context(), id)
	if no {
		key += "_no_email"
	}
	return key, err
}

// RequestAcknowledge records that staff acknowledged, by post or phone,
// the request of a person with no e-mail.
func (h *Handlers) RequestAcknowledge(c echo.Context) error {
	return h.staffAction(c, "acknowledge", "flash.acknowledged", func(id int64, v url.Values, a models.Actor) error {
		// The day it was sent, today by default.
		day, err := h.staffDay(cmp.Or(strings.TrimSpace(v.Get("acked_on")), h.today()), "acked_on")
		if err != nil {
			return err
		}
		return h.Requests.Acknowledge(c.Request().Context(), id, day, a)
	})
}

// RequestAppeal records an appeal of a denied request received by post.
func (h *Handlers) RequestAppeal(c echo.Context) error {
	return h.staffAction(c, "appeal", "flash.appeal_entered", func(id int64, v url.Values, a models.Actor) error {
		day, err := h.staffDay(cmp.Or(strings.TrimSpace(v.Get("appeal_received")), h.today()), "appeal_received")
		if err != nil {
			return err
		}
		return h.Appeals.Enter(c.Request().Context(), id, v.Get("appeal_reason"), day, a)
	})
}

// today is the organization's date today, as a date field shows it.
func (h *Handlers) today() string { return h.Core.Now().In(h.org().Location).Format(time.DateOnly) }

// staffDay reads a date field in which staff say when something happened:
// zero for today (the domain then takes the moment itself), else that
// day's first moment in the organization's time zone, the earliest it
// could have been.
func (h *Handlers) staffDay(s, field string) (time.Time, error) {
	d, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(s), h.org().Location)
	if err != nil {
		return time.Time{}, &models.ValidationError{Fields: map[string]string{field: "error." + field + ".invalid"}}
	}
	if d.Format(time.DateOnly) == h.today() {
		return time.Time{}, nil
	}
	return d, nil
}

// RequestMessage sends the requester a message.
func (h *Handlers) RequestMessage(c echo.Context) error {
	return h.staffAction(c, "message", "flash.message_sent", func(id int64, v url.Values, a models.Actor) error {
		return h.Requests.SendMessage(c.Request().Context(), id, v.Get("message"), a)
	})
}

// RequestPause asks the person for information and stops the clock,
// where the law allows.
func (h *Handlers) RequestPause(c echo.Context) error {
	return h.staffAction(c, "pause", "flash.paused", func(id int64, v url.Values, a models.Actor) error {
		return h.Requests.Ask(c.Request().Context(), id, models.AskInput{Reason: v.Get("pause_reason"), Question: v.Get("question"),
			Document: v.Get("document") == "yes"}, a)
	})
}

// RequestResume restarts a stopped clock when the information arrived
// another way.
func (h *Handlers) RequestResume(c echo.Context) error {
	return h.staffAction(c, "resume", "flash.resumed", func(id int64, v url.Values, a models.Actor) error {
		return h.Requests.Resume(c.Request().Context(), id, v.Get("resume_note"), a)
	})
}

// RequestExtend extends the deadline once, where the law allows.
func (h *Handlers) RequestExtend(c echo.Context) error {
	return h.staffAction(c, "extend", "flash.extended", func(id int64, v url.Values, a models.Actor) error {
		return h.Requests.Extend(c.Request().Context(), id, v.Get("reason"), a)
	})
}

// staffAction runs one form post of the request page: on bad input the page
// re-renders with that form's values and errors; on success it redirects.
func (h *Handlers) staffAction(c echo.Context, form, flashKey string, act func(int64, url.Values, models.Actor) error) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	values, err := c.FormParams()
	if err != nil {
		return err
	}
	st := CurrentStaff(c)
	err = act(id, values, models.StaffActor(st.ID, ip(c)))
	if formError(err) {
		p := h.page(c, "req.title")
		fm := formOf(p, values, err, formField(form))
		var f forms
		switch form {
		case "status":
			f.status = fm
		case "note":
			f.note = fm
		case "message":
			f.message = fm
		case "extend":
			f.extend = fm
		case "authority":
			f.authority = fm
		case "pause":
			f.pause = fm
		case "resume":
			f.resume = fm
		case "identity":
			f.identity = fm
		case "raise":
			f.raise = fm
		case "package":
			f.pkg = fm
		case "assign":
			f.assign = fm
		case "acknowledge":
			f.ack = fm
		case "appeal":
			f.appeal = fm
		}
		f.failed = fm
		return h.renderRequest(c, Status(err), f)
	}
	if err != nil {
		return err
	}
	if flashKey, err = h.toldKey(c, id, flashKey); err != nil {
		return err
	}
	if err := h.flash(c, flashKey); err != nil {
		return err
	}
	return redirect(c, "/admin/requests/"+strconv.FormatInt(id, 10))
}

// formField is the field a form-level error is shown next to.
func formField(form string) string {
	switch form {
	case "status":
		return "status"
	case "extend", "authority":
		return "reason"
	case "pause":
		return "pause_reason"
	case "resume":
		return "resume_note"
	case "identity":
		return "identity_note"
	case "raise":
		return "tier"
	case "assign":
		return "assignee"
	}
	return form
}
