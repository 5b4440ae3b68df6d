package handlers

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/models"
)

// APITask is one task of a request's checklist.
type APITask struct {
	ID         int64      `json:"id"`
	RequestID  int64      `json:"request_id"`
	SystemID   int64      `json:"system_id"`
	System     string     `json:"system"`
	Recipient  string     `json:"recipient"`
	Status     string     `json:"status"`
	AssigneeID *int64     `json:"assignee_id,omitempty"`
	Note       string     `json:"note,omitempty"`
	Records    int        `json:"records,omitempty"`
	OpenedAt   time.Time  `json:"opened_at"`
	ClosedAt   *time.Time `json:"closed_at,omitempty"`
}

// APITaskList is a request's checklist.
type APITaskList struct {
	Tasks []APITask `json:"tasks"`
}

func apiTask(t *models.TaskView) APITask {
	return APITask{ID: t.ID, RequestID: t.RequestID, SystemID: t.SystemID, System: t.System.Name, Recipient: t.System.Recipient,
		Status: t.Status, AssigneeID: t.AssigneeID, Note: t.Note, Records: t.ResultRecords, OpenedAt: t.OpenedAt, ClosedAt: t.ClosedAt}
}

// APITasks lists a request's tasks.
func (h *Handlers) APITasks(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := h.Requests.Get(ctx, id); err != nil {
		return err
	}
	list, err := h.Tasks.ForRequest(ctx, id)
	if err != nil {
		return err
	}
	out := APITaskList{Tasks: []APITask{}}
	for i := range list {
		out.Tasks = append(out.Tasks, apiTask(&list[i]))
	}
	return c.JSON(http.StatusOK, out)
}

// APITaskUpdate records work on a task: {"status", "note", "assignee_id"},
// each optional. A key left out keeps what the task has; "assignee_id" is
// a member's id (a number or a string of digits), "me", or null (or "")
// for nobody.
func (h *Handlers) APITaskUpdate(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := h.Tasks.Get(ctx, id); err != nil {
		return err
	}
	body := map[string]json.RawMessage{}
	if err := c.Bind(&body); err != nil {
		return errAPIBody
	}
	st := CurrentStaff(c)
	u := models.TaskUpdate{KeepNote: true, KeepAssignee: true}
	if raw, ok := body["status"]; ok {
		if err := json.Unmarshal(raw, &u.Status); err != nil {
			return &models.Error{Kind: models.KindInvalid, Key: "error.task_status.required", Field: "task_status"}
		}
	}
	if raw, ok := body["note"]; ok {
		var note *string
		if err := json.Unmarshal(raw, &note); err != nil {
			return errAPIBody
		}
		u.KeepNote = false
		if note != nil {
			u.Note = *note
		}
	}
	if raw, ok := body["assignee_id"]; ok {
		assignee, ok := taskAssignee(raw, st.ID)
		if !ok {
			return &models.Error{Kind: models.KindInvalid, Key: "error.assignee.invalid", Field: "assignee"}
		}
		u.KeepAssignee, u.AssigneeID = false, assignee
	}
	if err := h.Tasks.Update(ctx, id, u, models.StaffActor(st.ID, ip(c))); err != nil {
		return err
	}
	t, err := h.Tasks.Get(ctx, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, apiTask(t))
}

var errAPIBody = &models.Error{Kind: models.KindInvalid, Key: "error.api.body"}

// taskAssignee reads "assignee_id" as JSON: null or "" is nobody (0), a
// positive whole number or a string of one a member's id, "me" the caller;
// false for anything else.
func taskAssignee(raw json.RawMessage, self int64) (int64, bool) {
	var v any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return 0, false
	}
	switch v := v.(type) {
	case nil:
		return 0, true
	case json.Number:
		id, err := strconv.ParseInt(v.String(), 10, 64)
		return id, err == nil && id > 0
	case string:
		id := assigneeOf(v, self)
		return id, id >= 0
	}
	return 0, false
}
