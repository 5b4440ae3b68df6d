package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// TaskCallback is where a data system answers the task its webhook was
// sent: POST /hooks/tasks/{token}, signed with the system's key (see
// internal/webhook), body {"outcome": "done" | "no_data" | "failed",
// "note": "…", "records": [{…}, …]}. Errors answer as JSON, like the API.
func (h *Handlers) TaskCallback(c echo.Context) error {
	res, err := h.Tasks.Callback(c.Request().Context(), c.Param("token"), c.Request().Header, c.Request().Body)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"task_id": res.TaskID, "status": res.Status, "records": res.Records})
}

// IsHook reports whether the request is a data system's callback, whose
// errors are answered as JSON.
func IsHook(c echo.Context) bool { return strings.HasPrefix(c.Request().URL.Path, "/hooks/") }
