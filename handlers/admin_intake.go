package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/internal/rules"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/templates/components"
	"github.com/rightsdesk/rightsdesk/templates/pages/admin"
)

// Intake is where staff enter a request that arrived by e-mail, phone,
// post or in person, with the day it arrived: its clock runs from that day,
// under the same rules and verification as the web form.
func (h *Handlers) Intake(c echo.Context) error {
	return h.renderIntake(c, http.StatusOK, url.Values{"received": {h.today()}, "channel": {"email"}}, nil)
}

var intakeFields = []string{"channel", "received", "country", "state", "province", "rights", "name", "email", "phone", "address", "relationship", "details"}

func (h *Handlers) renderIntake(c echo.Context, status int, values url.Values, err error) error {
	p := h.page(c, "intake.title")
	p.Failed = err != nil
	noStore(c)
	f := placeForm(p, values, err, "received", intakeFields...)
	v := admin.IntakeView{Form: f, Countries: countryOptions(p.T),
		States: codeOptions(p.T, "state.", rules.USStates()), Provinces: codeOptions(p.T, "province.", rules.CanadianProvinces())}
	for _, ch := range models.IntakeChannels {
		v.Channels = append(v.Channels, components.Option{Value: ch, Label: p.T.T("intake.channel." + ch)})
	}
	for _, r := range rules.AllRights {
		v.Rights = append(v.Rights, components.Option{Value: string(r), Label: p.T.T("right." + string(r))})
	}
	for _, r := range models.Relationships {
		v.Relationships = append(v.Relationships, components.Option{Value: r, Label: p.T.T("relationship." + r)})
	}
	return render(c, status, admin.Intake(p, v))
}

// IntakePost records the request and opens it.
func (h *Handlers) IntakePost(c echo.Context) error {
	values, err := c.FormParams()
	if err != nil {
		return err
	}
	in := submissionInput(values)
	in.OnBehalf, in.Channel, in.Lang = "self", values.Get("channel"), "en"
	in.Address = values.Get("address") // a letter's, where it gives no e-mail
	if !slices.Contains(models.IntakeChannels, in.Channel) {
		return h.renderIntake(c, http.StatusUnprocessableEntity, values, &models.ValidationError{Fields: map[string]string{"channel": "error.channel.required"}})
	}
	// Today's request: received now. An earlier day: its first moment,
	// the earliest the clock could have started.
	received, perr := h.staffDay(values.Get("received"), "received")
	if perr != nil {
		return h.renderIntake(c, http.StatusUnprocessableEntity, values, perr)
	}
	if received.IsZero() {
		received = h.Core.Now()
	}
	in.ReceivedAt = received
	st := CurrentStaff(c)
	res, err := h.Submissions.Submit(c.Request().Context(), in, models.StaffActor(st.ID, ip(c)))
	if models.KindOf(err) == models.KindInvalid || models.KindOf(err) == models.KindThrottled {
		return h.renderIntake(c, Status(err), values, err)
	}
	if err != nil {
		return err
	}
	key := "flash.intake"
	if res.Submission.Offline() {
		key += "_no_email" // as toldFlashes: nothing was e-mailed
	}
	return h.flashTo(c, key, "/admin/requests/"+strconv.FormatInt(res.Submission.Requests[0].ID, 10))
}
