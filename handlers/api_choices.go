package handlers

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/models"
)

// The opt-out list, for the organization's systems: every preference
// changed after a cursor, as it stands now (opted out, or opted back in),
// in change order. A system keeps the last cursor it was given and asks
// again with since=<cursor>: it sees every change, compacted to the latest
// per person and choice. since=0 (or none) is the whole list.

// APIOptOut is one preference of the opt-out list.
type APIOptOut struct {
	Cursor         string    `json:"cursor"`
	IdentifierType string    `json:"identifier_type"`
	Identifier     string    `json:"identifier"`
	Choice         string    `json:"choice"`
	OptedOut       bool      `json:"opted_out"`
	Source         string    `json:"source"`
	ChangedAt      time.Time `json:"changed_at"`
	RequestID      *int64    `json:"request_id,omitempty"`
}

// APIOptOutList is a page of the opt-out list.
type APIOptOutList struct {
	OptOuts []APIOptOut `json:"opt_outs"`
	Next    string      `json:"next"` // pass as since= next time, even from the last page
	More    bool        `json:"more"` // another page follows at once
}

// optOutFilter reads since=, choice= and limit=.
func optOutFilter(c echo.Context) (models.OptOutFilter, error) {
	f := models.OptOutFilter{Choice: c.QueryParam("choice")}
	if v := c.QueryParam("since"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return f, &models.ValidationError{Fields: map[string]string{"since": "error.api.cursor"}}
		}
		f.Since = n
	}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > models.MaxOptOutPage {
			return f, &models.ValidationError{Fields: map[string]string{"limit": "error.api.limit"}}
		}
		f.Limit = n
	}
	return f, nil
}

func apiOptOut(p models.Preference) APIOptOut {
	return APIOptOut{Cursor: strconv.FormatInt(p.Seq, 10), IdentifierType: p.IDKind, Identifier: p.Identifier, Choice: p.Choice,
		OptedOut: p.OptedOut, Source: p.Source, ChangedAt: p.UpdatedAt.UTC(), RequestID: p.RequestID}
}

// APIOptOuts returns one page of the opt-out list as JSON.
func (h *Handlers) APIOptOuts(c echo.Context) error {
	f, err := optOutFilter(c)
	if err != nil {
		return err
	}
	page, err := h.Choices.OptOuts(c.Request().Context(), f)
	if err != nil {
		return err
	}
	out := APIOptOutList{OptOuts: []APIOptOut{}, Next: strconv.FormatInt(page.Next, 10), More: page.More}
	for _, p := range page.Items {
		out.OptOuts = append(out.OptOuts, apiOptOut(p))
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, out)
}

// APIOptOutsCSV streams the opt-out list after since= as CSV, up to the
// last change committed when it starts; the X-Next-Cursor header is the
// since= of the next export.
func (h *Handlers) APIOptOutsCSV(c echo.Context) error {
	f, err := optOutFilter(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	last, err := h.Choices.LastChange(ctx)
	if err != nil {
		return err
	}
	f.Until, f.Limit = last, models.MaxOptOutPage
	// The first page before any byte is sent: an error still gets its answer.
	page, err := h.Choices.OptOuts(ctx, f)
	if err != nil {
		return err
	}
	st := CurrentStaff(c)
	if err := h.Audit.Record(ctx, models.StaffActor(st.ID, ip(c)), "export.opt_outs", "since="+strconv.FormatInt(f.Since, 10)); err != nil {
		return err
	}
	c.Response().Header().Set("X-Next-Cursor", strconv.FormatInt(max(last, f.Since), 10))
	cw := startCSV(c, "opt-outs.csv")
	if err := cw.row("cursor", "identifier_type", "identifier", "choice", "opted_out", "source", "changed_at"); err != nil {
		return nil
	}
	for {
		for _, p := range page.Items {
			changed := p.UpdatedAt
			if err := cw.row(strconv.FormatInt(p.Seq, 10), p.IDKind, p.Identifier, p.Choice, strconv.FormatBool(p.OptedOut),
				p.Source, csvTime(&changed)); err != nil {
				return nil // the client went away
			}
		}
		if !page.More {
			break
		}
		f.Since = page.Next
		if page, err = h.Choices.OptOuts(ctx, f); err != nil {
			h.Log.Error("export stopped", "err", err)
			return nil // headers are sent: the truncated file is all we can do
		}
	}
	_ = cw.end()
	return nil
}
