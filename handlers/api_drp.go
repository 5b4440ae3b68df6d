package handlers

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/models"
)

// The Data Rights Protocol's endpoints (models/drp.go; docs/drp.md).
// They answer JSON, and errors as the protocol's error states (§3.06); a
// refused authentication is a bare 403 (§2.05.1).

// maxDRPBody bounds a signed message.
const maxDRPBody = 64 << 10

func drpBody(c echo.Context) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(c.Request().Body, maxDRPBody+1))
	if err != nil {
		return nil, tooLargeOr(err, echo.ErrBadRequest)
	}
	if len(b) > maxDRPBody {
		return nil, echo.ErrStatusRequestEntityTooLarge
	}
	return b, nil
}

// drpError writes err as the protocol's error state.
func drpError(c echo.Context, err error) error {
	var de *models.DRPError
	if !errors.As(err, &de) {
		status := Status(err)
		if status >= 500 && status != http.StatusServiceUnavailable {
			return err // logged by the error handler
		}
		de = &models.DRPError{Status: status, Message: http.StatusText(status)}
	}
	if de.Status == http.StatusForbidden {
		return c.NoContent(http.StatusForbidden)
	}
	body := map[string]any{"code": strconv.Itoa(de.Status), "message": de.Message}
	if de.Fatal {
		body["fatal"] = true
	}
	return c.JSON(de.Status, body)
}

// drpAgent is the approved agent the bearer token names.
func (h *Handlers) drpAgent(c echo.Context) (*models.Agent, error) {
	auth := c.Request().Header.Get(echo.HeaderAuthorization)
	token, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		return nil, models.ErrDRPForbidden
	}
	return h.DRP.AgentByToken(c.Request().Context(), strings.TrimSpace(token))
}

// DRPSetup is the pairwise key setup: POST /v1/agent/{agent-id}.
func (h *Handlers) DRPSetup(c echo.Context) error {
	noStore(c)
	body, err := drpBody(c)
	if err != nil {
		return drpError(c, err)
	}
	id := c.Param("agent_id")
	token, err := h.DRP.Setup(c.Request().Context(), id, body, ip(c))
	if err != nil {
		return drpError(c, err)
	}
	return c.JSON(http.StatusOK, map[string]string{"agent-id": id, "token": token})
}

// DRPAgentInfo tells an agent its token still works: GET /v1/agent/{agent-id}.
func (h *Handlers) DRPAgentInfo(c echo.Context) error {
	noStore(c)
	a, err := h.drpAgent(c)
	if err != nil {
		return drpError(c, err)
	}
	if a.DRPID == nil || *a.DRPID != c.Param("agent_id") {
		return c.NoContent(http.StatusForbidden)
	}
	return c.JSON(http.StatusOK, map[string]any{})
}

// DRPExercise takes a signed data rights request.
func (h *Handlers) DRPExercise(c echo.Context) error {
	noStore(c)
	a, err := h.drpAgent(c)
	if err != nil {
		return drpError(c, err)
	}
	body, err := drpBody(c)
	if err != nil {
		return drpError(c, err)
	}
	s, err := h.DRP.Exercise(c.Request().Context(), a, body, ip(c))
	if err != nil {
		return drpError(c, err)
	}
	return c.JSON(http.StatusOK, s)
}

// DRPStatus answers a request's status.
func (h *Handlers) DRPStatus(c echo.Context) error {
	noStore(c)
	a, err := h.drpAgent(c)
	if err != nil {
		return drpError(c, err)
	}
	s, err := h.DRP.Status(c.Request().Context(), a, c.Param("request_id"))
	if err != nil {
		return drpError(c, err)
	}
	return c.JSON(http.StatusOK, s)
}

// DRPRevoke withdraws a request at the person's wish.
func (h *Handlers) DRPRevoke(c echo.Context) error {
	noStore(c)
	a, err := h.drpAgent(c)
	if err != nil {
		return drpError(c, err)
	}
	body, err := drpBody(c)
	if err != nil {
		return drpError(c, err)
	}
	s, err := h.DRP.Revoke(c.Request().Context(), a, c.Param("request_id"), body, ip(c))
	if err != nil {
		return drpError(c, err)
	}
	return c.JSON(http.StatusOK, s)
}
