package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/internal/rules"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/templates/components"
	"github.com/rightsdesk/rightsdesk/templates/layout"
	"github.com/rightsdesk/rightsdesk/templates/pages/admin"
	"github.com/rightsdesk/rightsdesk/templates/wording"
)

// Queue lists requests (or appeals) for staff.
func (h *Handlers) Queue(c echo.Context) error {
	q := c.QueryParams()
	f := models.QueueFilter{Kind: q.Get("kind"), Status: q.Get("status"), Right: q.Get("right"), Sort: q.Get("sort"),
		After: q.Get("after"), Reference: q.Get("ref")}
	f.Normalize()
	ctx := c.Request().Context()
	page, err := h.Requests.Queue(ctx, f)
	if err != nil {
		return err
	}
	counts, err := h.Requests.Counts(ctx, f.Kind)
	if err != nil {
		return err
	}
	titleKey := map[string]string{models.KindRequest: "queue.title", models.KindAppeal: "queue.appeals_title",
		models.KindComplaint: "queue.complaints_title"}[f.Kind]
	p := h.page(c, titleKey)
	link := func(status, after string) string {
		v := url.Values{}
		if f.Kind != models.KindRequest {
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
	v.ExportURL = strings.Replace(link(f.Status, ""), "/admin?", "/admin/export/requests.csv?", 1)
	for _, st := range append([]string{models.FilterOpen}, append(models.Statuses, models.FilterAll)...) {
		n := countText(p, counts[st])
		label := p.T.T("queue.tab."+st, n)
		if st != models.FilterOpen && st != models.FilterAll {
			label = p.T.T("queue.tab.status", p.T.T(wording.StatusKey(f.Kind, st)), n)
		}
		v.Tabs = append(v.Tabs, admin.Tab{Label: label, URL: link(st, ""), Current: st == f.Status && f.Reference == ""})
	}
	if f.Kind != models.KindComplaint { // a complaint is about no one right
		for _, r := range rules.AllRights {
			v.Rights = append(v.Rights, components.Option{Value: string(r), Label: p.T.T("right." + string(r))})
		}
	}
	for _, s := range models.Sorts {
		v.Sorts = append(v.Sorts, components.Option{Value: s, Label: p.T.T("queue.sort." + s)})
	}
	ids := make([]int64, len(page.Items))
	for i, it := range page.Items {
		ids[i] = it.ID
	}
	unread, err := h.Messages.Unread(ctx, ids)
	if err != nil {
		return err
	}
	for _, it := range page.Items {
		row := admin.QueueRow{Unread: unread[it.ID], ID: it.ID, Reference: it.Reference, Right: wording.Subject(p.T, f.Kind, it.Right),
			Jurisdiction: p.T.T("jurisdiction." + it.Jurisdiction), Status: it.Status,
			StatusText: p.T.T(wording.StatusKey(f.Kind, it.Status)), ReceivedAt: it.ReceivedAt, DueAt: it.DueAt}
		row.DaysLeft, row.DueText, row.Urgency = dueText(p, it.Urgency)
		switch {
		case it.Urgency.Paused:
			row.Flag = p.T.T("queue.waiting")
		case it.Urgency.Open && it.Urgency.DeemedRefusal:
			row.Flag = p.T.T("queue.deemed_refusal")
		}
		v.Rows = append(v.Rows, row)
	}
	if page.Next != "" {
		v.NextURL = link(f.Status, page.Next)
	}
	return render(c, http.StatusOK, admin.Queue(p, v))
}

// countText shows a tab's count: exact, or "1,000+" past the cap.
func countText(p layout.Page, n models.TabCount) string {
	if n.AtLeast {
		return p.T.T("queue.count_at_least", n.N)
	}
	return strconv.Itoa(n.N)
}

// dueText says how long is left; the domain decided how urgent that is.
func dueText(p layout.Page, u models.Urgency) (int, string, string) {
	if !u.Open {
		return 0, p.T.T("due.closed"), ""
	}
	if u.Paused {
		return 0, p.T.T("due.paused"), ""
	}
	switch {
	case u.DaysLeft < 0:
		return u.DaysLeft, p.T.N("due.overdue", -u.DaysLeft), u.Level
	case u.DaysLeft == 0:
		return 0, p.T.T("due.today"), u.Level
	case u.DaysLeft == 1:
		return 1, p.T.T("due.tomorrow"), u.Level
	}
	return u.DaysLeft, p.T.N("due.in_days", u.DaysLeft), u.Level
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
