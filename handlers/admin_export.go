package handlers

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/models"
)

// CSV exports stream: rows go out as they are read, a page or a database
// row at a time, so a million rows take the memory of a few.

// csvWriter writes CSV to the response, flushing as it goes. Cells that a
// spreadsheet would run as a formula are quoted into text (CSV injection).
type csvWriter struct {
	c    echo.Context
	w    *csv.Writer
	rows int
}

func startCSV(c echo.Context, name string) *csvWriter {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	h.Set("Cache-Control", "no-store")
	c.Response().WriteHeader(http.StatusOK)
	return &csvWriter{c: c, w: csv.NewWriter(c.Response())}
}

func (cw *csvWriter) row(cells ...string) error {
	for i, s := range cells {
		if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
			cells[i] = "'" + s
		}
	}
	if err := cw.w.Write(cells); err != nil {
		return err
	}
	if cw.rows++; cw.rows%500 == 0 {
		cw.w.Flush()
		cw.c.Response().Flush()
	}
	return cw.w.Error()
}

func (cw *csvWriter) end() error {
	cw.w.Flush()
	return cw.w.Error()
}

func csvTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// ExportRequests streams the queue as filtered (the same query string as
// the queue page), every page of it. A search for a person (a POST) is not
// exported: its results are that person's requests, which their pages
// show, and a CSV of them would carry the search out of the portal.
func (h *Handlers) ExportRequests(c echo.Context) error {
	q := c.QueryParams()
	f := queueFilter(c, q)
	f.After, f.Reference, f.Limit = "", q.Get("ref"), 200
	ctx := c.Request().Context()
	// The first page before any byte is sent: an error still gets its page.
	page, err := h.Requests.Queue(ctx, f)
	if err != nil {
		return err
	}
	st := CurrentStaff(c)
	f.Normalize()
	if err := h.Audit.Record(ctx, models.StaffActor(st.ID, ip(c)), "export.requests", filterValues(f, f.Status, "").Encode()); err != nil {
		return err
	}
	cw := startCSV(c, "requests.csv")
	if err := cw.row("id", "reference", "kind", "right", "jurisdiction", "status", "assignee_id", "assignee", "received_at", "due_at",
		"extended_at", "days_left"); err != nil {
		return nil
	}
	kind := f.Kind
	for {
		for _, it := range page.Items {
			days := ""
			if it.Urgency.Open {
				days = strconv.Itoa(it.Urgency.DaysLeft)
			}
			assignee := ""
			if it.AssigneeID != nil {
				assignee = strconv.FormatInt(*it.AssigneeID, 10)
			}
			if err := cw.row(strconv.FormatInt(it.ID, 10), it.Reference, kind, it.Right, it.Jurisdiction, it.Status, assignee, it.Assignee,
				csvTime(&it.ReceivedAt), csvTime(&it.DueAt), csvTime(it.ExtendedAt), days); err != nil {
				return nil // the client went away
			}
		}
		if page.Next == "" {
			break
		}
		f.After = page.Next
		if page, err = h.Requests.Queue(ctx, f); err != nil {
			h.Log.Error("export stopped", "err", err)
			return nil // headers are sent: the truncated file is all we can do
		}
	}
	_ = cw.end()
	return nil
}

// ExportAudit streams the audit log between two dates (default: the last
// 90 days), oldest first.
func (h *Handlers) ExportAudit(c echo.Context) error {
	to := h.Core.Now().Add(24 * time.Hour)
	from := to.AddDate(0, 0, -91)
	if v := c.QueryParam("from"); v != "" {
		t, err := time.ParseInLocation(time.DateOnly, v, h.org().Location)
		if err != nil {
			return &models.Error{Kind: models.KindInvalid, Key: "error.date.invalid"}
		}
		from = t
	}
	if v := c.QueryParam("to"); v != "" {
		t, err := time.ParseInLocation(time.DateOnly, v, h.org().Location)
		if err != nil {
			return &models.Error{Kind: models.KindInvalid, Key: "error.date.invalid"}
		}
		to = t.AddDate(0, 0, 1) // the whole last day
	}
	ctx := c.Request().Context()
	st := CurrentStaff(c)
	if err := h.Audit.Record(ctx, models.StaffActor(st.ID, ip(c)), "export.audit", from.Format(time.DateOnly)+".."+to.Format(time.DateOnly)); err != nil {
		return err
	}
	cw := startCSV(c, "audit.csv")
	if err := cw.row("id", "at", "actor", "staff_id", "action", "object_type", "object_id", "ip", "detail"); err != nil {
		return nil
	}
	err := h.Audit.Each(ctx, from, to, func(e *models.AuditEntry) error {
		staff, object := "", ""
		if e.StaffID != nil {
			staff = strconv.FormatInt(*e.StaffID, 10)
		}
		if e.ObjectID != nil {
			object = strconv.FormatInt(*e.ObjectID, 10)
		}
		return cw.row(strconv.FormatInt(e.ID, 10), csvTime(&e.At), e.ActorKind, staff, e.Action, e.ObjectType, object, e.IP, e.Detail)
	})
	if err != nil {
		h.Log.Error("export stopped", "err", err)
		return nil
	}
	_ = cw.end()
	return nil
}
