package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/internal/rules"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/templates/components"
	"github.com/rightsdesk/rightsdesk/templates/layout"
	"github.com/rightsdesk/rightsdesk/templates/pages/admin"
)

// AtRiskDays is how close to the deadline a request turns amber; where
// silence is a deemed refusal and no extension exists (Quebec), earlier.
const (
	AtRiskDays              = 7
	AtRiskDaysDeemedRefusal = 10
)

// Queue lists requests (or appeals) for staff.
func (h *Handlers) Queue(c echo.Context) error {
	q := c.QueryParams()
	f := models.QueueFilter{Kind: q.Get("kind"), Status: q.Get("status"), Right: q.Get("right"), Sort: q.Get("sort"),
		After: q.Get("after"), Reference: strings.TrimSpace(q.Get("ref"))}
	if f.Kind != models.KindAppeal {
		f.Kind = models.KindRequest
	}
	if f.Sort != models.SortNewest && f.Sort != models.SortOldest {
		f.Sort = models.SortUrgent
	}
	if f.Status != "all" && !contains(models.Statuses, f.Status) {
		f.Status = "open"
	}
	if f.Right != "" && !contains(rulesRights(), f.Right) {
		f.Right = ""
	}
	ctx := c.Request().Context()
	page, err := h.Store.Queue(ctx, f)
	if validation(err) {
		return echo.NewHTTPError(http.StatusBadRequest)
	}
	if err != nil {
		return err
	}
	counts, err := h.Store.Counts(ctx, f.Kind)
	if err != nil {
		return err
	}
	titleKey := "queue.title"
	if f.Kind == models.KindAppeal {
		titleKey = "queue.appeals_title"
	}
	p := h.page(c, titleKey)
	link := func(status, after string) string {
		v := url.Values{}
		if f.Kind == models.KindAppeal {
			v.Set("kind", f.Kind)
		}
		v.Set("status", status)
		if f.Right != "" {
			v.Set("right", f.Right)
		}
		if f.Sort != models.SortUrgent {
			v.Set("sort", f.Sort)
		}
		if after != "" {
			v.Set("after", after)
		}
		if f.Reference != "" {
			v.Set("ref", f.Reference)
		}
		return "/admin?" + v.Encode()
	}
	v := admin.QueueView{Kind: f.Kind, Status: f.Status, Right: f.Right, Sort: f.Sort, Reference: f.Reference,
		IsFirst: f.After == "", FirstURL: link(f.Status, "")}
	for _, st := range append([]string{"open"}, append(models.Statuses, "all")...) {
		label := p.T.N("queue.tab."+st, counts[st])
		if st != "open" && st != "all" {
			label = p.T.N("queue.tab.status", counts[st], p.T.T("status."+st), counts[st])
		}
		v.Tabs = append(v.Tabs, admin.Tab{Label: label, URL: link(st, ""), Current: st == f.Status && f.Reference == ""})
	}
	for _, r := range rulesRights() {
		v.Rights = append(v.Rights, components.Option{Value: r, Label: p.T.T("right." + r)})
	}
	for _, s := range []string{models.SortUrgent, models.SortNewest, models.SortOldest} {
		v.Sorts = append(v.Sorts, components.Option{Value: s, Label: p.T.T("queue.sort." + s)})
	}
	now := h.Store.Now()
	for _, it := range page.Items {
		row := admin.QueueRow{ID: it.ID, Reference: it.Reference, Right: p.T.T("right." + it.Right),
			Jurisdiction: p.T.T("jurisdiction." + it.Jurisdiction), Status: it.Status,
			StatusText: p.T.T("status." + it.Status), ReceivedAt: it.ReceivedAt, DueAt: it.DueAt}
		open := contains(models.OpenStatuses, it.Status)
		deemed := h.Store.Rules.DeemedRefusal(rules.Jurisdiction(it.Jurisdiction))
		row.DaysLeft, row.DueText, row.Urgency = dueText(p, it.DueAt, now, open, deemed)
		if open && deemed {
			row.Flag = p.T.T("queue.deemed_refusal")
		}
		v.Rows = append(v.Rows, row)
	}
	if page.Next != "" {
		v.NextURL = link(f.Status, page.Next)
	}
	return render(c, http.StatusOK, admin.Queue(p, v))
}

// dueText says how long is left, and how urgent that is.
func dueText(p layout.Page, due, now time.Time, open, deemedRefusal bool) (int, string, string) {
	if !open {
		return 0, p.T.T("due.closed"), ""
	}
	days := daysLeft(due, now)
	switch {
	case days < 0:
		return days, p.T.N("due.overdue", -days), "overdue"
	case days == 0:
		return days, p.T.T("due.today"), "risk"
	case days == 1:
		return days, p.T.T("due.tomorrow"), "risk"
	case days <= AtRiskDays, deemedRefusal && days <= AtRiskDaysDeemedRefusal:
		return days, p.T.N("due.in_days", days), "risk"
	}
	return days, p.T.N("due.in_days", days), ""
}

// daysLeft counts whole days from now to the deadline (due in 30 hours = 1
// day); any lateness, even part of a day, counts as a day overdue.
func daysLeft(due, now time.Time) int {
	d := due.Sub(now)
	if d < 0 {
		return -int((-d + 24*time.Hour - 1) / (24 * time.Hour))
	}
	return int(d / (24 * time.Hour))
}

func rulesRights() []string {
	out := make([]string, 0, len(rules.AllRights))
	for _, r := range rules.AllRights {
		out = append(out, string(r))
	}
	return out
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func parseID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, models.ErrNotFound
	}
	return id, nil
}
