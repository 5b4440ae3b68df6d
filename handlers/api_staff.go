package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/models"
)

// The staff JSON API: personal tokens (Authorization: Bearer rdk_…) act
// as the member who made them, within their role and the token's scope.
// No cookie opens it, so no page can be tricked into calling it.

const apiTokenKey = "api_token"

// LoadAPIToken authenticates /api/v1 requests by their bearer token.
func (h *Handlers) LoadAPIToken(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !IsAPI(c) {
			return next(c)
		}
		auth := c.Request().Header.Get("Authorization")
		token, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok {
			return next(c) // RequireStaff answers 401
		}
		st, t, err := h.Staff.ByAPIToken(c.Request().Context(), strings.TrimSpace(token))
		if err != nil {
			return err
		}
		if t.Scope == models.ScopeRead && c.Request().Method != http.MethodGet && c.Request().Method != http.MethodHead {
			return &models.Error{Kind: models.KindForbidden, Key: "error.api.scope"}
		}
		c.Set(staffKey, st)
		c.Set(apiTokenKey, t)
		return next(c)
	}
}

// IsAPI reports whether the request is for the JSON API.
func IsAPI(c echo.Context) bool { return strings.HasPrefix(c.Request().URL.Path, "/api/") }

// apiError is the JSON body of every API error.
type apiError struct {
	Error struct {
		Status  int               `json:"status"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields,omitempty"`
	} `json:"error"`
}

// RenderAPIError answers an API request's error as JSON; the web error
// handler calls it with the status handlers.Status chose.
func (h *Handlers) RenderAPIError(c echo.Context, status int, key string, args []any, err error) error {
	t := h.printer(c)
	var body apiError
	body.Error.Status, body.Error.Message = status, message(t, key, args...)
	var ve *models.ValidationError
	var fe *models.Error
	switch {
	case errors.As(err, &ve):
		body.Error.Fields = map[string]string{}
		for f, k := range ve.Fields {
			body.Error.Fields[f] = t.T(k)
		}
	case errors.As(err, &fe) && fe.Field != "":
		body.Error.Fields = map[string]string{fe.Field: body.Error.Message}
	}
	if status == http.StatusUnauthorized {
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="rightsdesk"`)
	}
	return c.JSON(status, body)
}

// APIRequestSummary is one request in a list.
type APIRequestSummary struct {
	ID           int64      `json:"id"`
	Reference    string     `json:"reference"`
	Kind         string     `json:"kind"`
	Right        string     `json:"right"`
	Jurisdiction string     `json:"jurisdiction"`
	Status       string     `json:"status"`
	ReceivedAt   time.Time  `json:"received_at"`
	DueAt        time.Time  `json:"due_at"`
	ExtendedAt   *time.Time `json:"extended_at,omitempty"`
	DaysLeft     *int       `json:"days_left,omitempty"`
	Urgency      string     `json:"urgency,omitempty"`
	AssigneeID   *int64     `json:"assignee_id,omitempty"`
	Assignee     string     `json:"assignee,omitempty"` // the assignee's name
}

// APIRequestList is a page of the queue.
type APIRequestList struct {
	Requests []APIRequestSummary `json:"requests"`
	Next     string              `json:"next,omitempty"` // pass as ?after= for the next page
}

// APIQueue lists requests, as the queue does (same filters and cursor;
// not the search for a person, whose terms would be in the URL).
func (h *Handlers) APIQueue(c echo.Context) error {
	q := c.QueryParams()
	f := queueFilter(c, q)
	f.Reference = q.Get("reference")
	f.Limit, _ = strconv.Atoi(q.Get("limit"))
	page, err := h.Requests.Queue(c.Request().Context(), f)
	if err != nil {
		return err
	}
	out := APIRequestList{Requests: []APIRequestSummary{}, Next: page.Next}
	for _, it := range page.Items {
		s := APIRequestSummary{ID: it.ID, Reference: it.Reference, Kind: f.Kind, Right: it.Right, Jurisdiction: it.Jurisdiction,
			Status: it.Status, ReceivedAt: it.ReceivedAt, DueAt: it.DueAt, ExtendedAt: it.ExtendedAt, Urgency: it.Urgency.Level,
			AssigneeID: it.AssigneeID, Assignee: it.Assignee}
		if it.Urgency.Open {
			d := it.Urgency.DaysLeft
			s.DaysLeft = &d
		}
		if s.Kind == "" {
			s.Kind = models.KindRequest
		}
		out.Requests = append(out.Requests, s)
	}
	return c.JSON(http.StatusOK, out)
}

// APIRequest is one request in full.
type APIRequest struct {
	APIRequestSummary
	OriginalDueAt time.Time     `json:"original_due_at"`
	ClosedAt      *time.Time    `json:"closed_at,omitempty"`
	DenialReason  string        `json:"denial_reason,omitempty"`
	DenialDetail  string        `json:"denial_detail,omitempty"`
	Requester     APIRequester  `json:"requester"`
	Next          []string      `json:"next_statuses"`
	Events        []APIEvent    `json:"events"`
	Extension     *APIExtension `json:"extension"`
	Siblings      []int64       `json:"other_requests"`
	AppealOf      *int64        `json:"appeal_of,omitempty"`
}

// APIRequester is who asked.
type APIRequester struct {
	Name          string     `json:"name"`
	Email         string     `json:"email"`
	EmailVerified *time.Time `json:"email_verified_at,omitempty"`
	Phone         string     `json:"phone,omitempty"`
	Address       string     `json:"address,omitempty"`
	Country       string     `json:"country"`
	Region        string     `json:"region,omitempty"`
	Relationship  string     `json:"relationship"`
	Details       string     `json:"details,omitempty"`
	Channel       string     `json:"channel"`
}

// APIEvent is one step of the timeline.
type APIEvent struct {
	At       time.Time `json:"at"`
	Kind     string    `json:"kind"`
	Actor    string    `json:"actor"`
	From     string    `json:"status_from,omitempty"`
	To       string    `json:"status_to,omitempty"`
	Body     string    `json:"body,omitempty"`
	Internal bool      `json:"internal"`
}

// APIExtension says whether the request may be extended now.
type APIExtension struct {
	Allowed bool   `json:"allowed"`
	Reason  string `json:"reason,omitempty"`
}

// APIRequestGet returns one request.
func (h *Handlers) APIRequestGet(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	d, err := h.Requests.Get(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, h.apiRequest(c, d))
}

func (h *Handlers) apiRequest(c echo.Context, d *models.RequestDetail) APIRequest {
	r, sub := d.Request, d.Sub
	out := APIRequest{
		APIRequestSummary: APIRequestSummary{ID: r.ID, Reference: sub.Reference, Kind: r.Kind, Right: r.Right, Jurisdiction: r.Jurisdiction,
			Status: r.Status, ReceivedAt: r.ReceivedAt, DueAt: r.DueAt, ExtendedAt: r.ExtendedAt, Urgency: d.Urgency.Level,
			AssigneeID: r.AssigneeID, Assignee: d.Assignee},
		OriginalDueAt: r.OriginalDueAt, ClosedAt: r.ClosedAt, DenialReason: r.DenialReason, DenialDetail: r.DenialDetail,
		Requester: APIRequester{Name: sub.Name, Email: sub.Email, EmailVerified: sub.EmailVerifiedAt, Phone: sub.Phone,
			Address: sub.Address, Country: sub.Country, Region: sub.Region, Relationship: sub.Relationship, Details: sub.Details, Channel: sub.Channel},
		Next: r.NextStatuses(), Events: []APIEvent{}, Siblings: []int64{}, AppealOf: r.AppealOfID,
		Extension: &APIExtension{Allowed: d.Extension == nil},
	}
	if out.Next == nil {
		out.Next = []string{}
	}
	if d.Urgency.Open {
		n := d.Urgency.DaysLeft
		out.DaysLeft = &n
	}
	if d.Extension != nil {
		out.Extension.Reason = h.printer(c).T(d.Extension.Key)
	}
	for _, e := range r.Events {
		out.Events = append(out.Events, APIEvent{At: e.CreatedAt, Kind: e.Kind, Actor: e.ActorKind, From: e.StatusFrom,
			To: e.StatusTo, Body: e.Body, Internal: e.Internal})
	}
	for _, s := range d.Siblings {
		out.Siblings = append(out.Siblings, s.ID)
	}
	return out
}

// apiAction runs a change through the same domain operation as the admin
// page, then answers with the request as it is now.
func (h *Handlers) apiAction(c echo.Context, act func(id int64, body map[string]string, a models.Actor) error) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	body := map[string]string{}
	if err := c.Bind(&body); err != nil {
		return &models.Error{Kind: models.KindInvalid, Key: "error.api.body"}
	}
	st := CurrentStaff(c)
	if err := act(id, body, models.StaffActor(st.ID, ip(c))); err != nil {
		return err
	}
	d, err := h.Requests.Get(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, h.apiRequest(c, d))
}

// APIRequestStatus applies a decision: {"status", "denial_reason", "detail"}.
func (h *Handlers) APIRequestStatus(c echo.Context) error {
	return h.apiAction(c, func(id int64, b map[string]string, a models.Actor) error {
		return h.Requests.Move(c.Request().Context(), id, models.Transition{To: b["status"], DenialReason: b["denial_reason"], Detail: b["detail"],
			Outcome: b["outcome"], NotDone: b["not_done"], Override: b["override"]}, a)
	})
}

// APIRequestAssign gives the request to a member: {"assignee_id"}, a
// member's id, "me", or "" for nobody.
func (h *Handlers) APIRequestAssign(c echo.Context) error {
	return h.apiAction(c, func(id int64, b map[string]string, a models.Actor) error {
		return h.Requests.Assign(c.Request().Context(), id, assigneeOf(b["assignee_id"], *a.StaffID), a)
	})
}

// APIRequestNote adds an internal note: {"body"}.
func (h *Handlers) APIRequestNote(c echo.Context) error {
	return h.apiAction(c, func(id int64, b map[string]string, a models.Actor) error {
		return h.Requests.AddNote(c.Request().Context(), id, b["body"], a)
	})
}

// APIRequestMessage messages the requester: {"body"}.
func (h *Handlers) APIRequestMessage(c echo.Context) error {
	return h.apiAction(c, func(id int64, b map[string]string, a models.Actor) error {
		return h.Requests.SendMessage(c.Request().Context(), id, b["body"], a)
	})
}

// APIRequestExtend extends once, where the law allows: {"reason"}.
func (h *Handlers) APIRequestExtend(c echo.Context) error {
	return h.apiAction(c, func(id int64, b map[string]string, a models.Actor) error {
		return h.Requests.Extend(c.Request().Context(), id, b["reason"], a)
	})
}
