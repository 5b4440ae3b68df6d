package handlers

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// Health answers 200 while the database answers and can write, and 503
// (with Retry-After) when it cannot.
func (h *Handlers) Health(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	c.Response().Header().Set("Cache-Control", "no-store")
	if err := h.Core.Check(ctx); err != nil {
		c.Response().Header().Set("Retry-After", RetryAfter)
		return c.String(http.StatusServiceUnavailable, "database unavailable\n")
	}
	return c.String(http.StatusOK, "ok\n")
}

// RetryAfter is what a 503 asks clients to wait, in seconds.
const RetryAfter = "5"
