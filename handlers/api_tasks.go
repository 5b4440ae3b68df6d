package handlers

import (
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

// APITaskUpdate records work on a task: {"status", "note", "assignee_id"}.
func (h *Handlers) APITaskUpdate(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := h.Tasks.Get(ctx, id); err != nil {
		return err
	}
	body := map[string]string{}
	if err := c.Bind(&body); err != nil {
		return &models.Error{Kind: models.KindInvalid, Key: "error.api.body"}
	}
	assignee, _ := strconv.ParseInt(body["assignee_id"], 10, 64)
	st := CurrentStaff(c)
	if err := h.Tasks.Update(ctx, id, models.TaskUpdate{Status: body["status"], Note: body["note"], AssigneeID: assignee},
		models.StaffActor(st.ID, ip(c))); err != nil {
		return err
	}
	t, err := h.Tasks.Get(ctx, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, apiTask(t))
}
