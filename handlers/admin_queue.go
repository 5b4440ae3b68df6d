package handlers

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/internal/rules"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/templates/components"
	"github.com/rightsdesk/rightsdesk/templates/layout"
	"github.com/rightsdesk/rightsdesk/templates/pages/admin"
	"github.com/rightsdesk/rightsdesk/templates/wording"
)

// queueFilter reads the queue's filters from a query string (or a
// form): none of them is personal data, so they may stay in links. The
// reference is the caller's (named ref on the page, reference in the API).
func queueFilter(c echo.Context, q url.Values) models.QueueFilter {
	f := models.QueueFilter{Kind: q.Get("kind"), Status: q.Get("status"), Right: q.Get("right"), Jurisdiction: q.Get("jurisdiction"),
		Assignee: q.Get("assignee"), Due: q.Get("due"), Sort: q.Get("sort"), After: q.Get("after")}
	if st := CurrentStaff(c); st != nil {
		f.Me = st.ID
	}
	return f
}

// filterValues are the filters of f as a query string, with status and
// the cursor after: what the queue's links and the search's forms carry.
func filterValues(f models.QueueFilter, status, after string) url.Values {
	v := url.Values{}
	set := func(k, val, none string) {
		if val != none {
			v.Set(k, val)
		}
	}
	set("kind", f.Kind, models.KindRequest)
	v.Set("status", status)
	set("right", f.Right, "")
	set("jurisdiction", f.Jurisdiction, "")
	set("assignee", f.Assignee, "")
	set("due", f.Due, "")
	set("sort", f.Sort, models.SortUrgent)
	set("after", after, "")
	set("ref", f.Reference, "")
	return v
}

// Queue lists requests (or appeals, or complaints) for staff, filtered by
// the query string.
func (h *Handlers) Queue(c echo.Context) error {
	q := c.QueryParams()
	f := queueFilter(c, q)
	f.Reference = q.Get("ref")
	return h.renderQueue(c, http.StatusOK, f, components.Form{})
}

// QueueSearch finds a person's requests by e-mail, name or phone. The term
// is personal data: it comes in a POST body, the results are this
// response, and the next page is another POST carrying the term and the
// cursor in hidden fields. (Keeping the term server-side under an opaque
// id in the session would also keep it out of URLs, but the cookie store
// would then carry it, encrypted, on every request after, and it would
// outlive the search; a form keeps it in the one page that shows it.)
// Nothing here is logged: the access log names the route, never a body
// (web/server.go). A reference is not personal data: it goes to the GET
// queue, as links do.
func (h *Handlers) QueueSearch(c echo.Context) error {
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	f := queueFilter(c, form)
	typed := url.Values{"q": {form.Get("q")}}
	s, err := models.ParseSearch(form.Get("q"))
	if err == nil && s.Kind == models.SearchReference {
		f.Reference = s.Value
		return redirect(c, "/admin?"+filterValues(f, models.FilterAll, "").Encode())
	}
	if err == nil {
		f.Search = s
		err = h.renderQueue(c, http.StatusOK, f, components.Form{Values: typed})
	}
	if formError(err) {
		// Nothing typed, or a name too many people have: said by the box,
		// over the queue.
		f.Search, f.After = models.Search{}, ""
		return h.renderQueue(c, Status(err), f, formOf(h.page(c, "queue.title"), typed, err, "q", "q"))
	}
	return err
}

// renderQueue shows one page of the queue for f; search is the search
// box (the term searched for, or the error to show by it).
func (h *Handlers) renderQueue(c echo.Context, status int, f models.QueueFilter, search components.Form) error {
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
	searching := f.Search.Kind != ""
	switch {
	case searching:
		titleKey = "queue.search_title"
	case f.Assignee == models.AssigneeMe && f.Kind == models.KindRequest:
		titleKey = "queue.mine_title"
	}
	p := h.page(c, titleKey)
	p.Failed = status >= 400
	link := func(status, after string) string { return "/admin?" + filterValues(f, status, after).Encode() }
	v := admin.QueueView{Kind: f.Kind, Status: f.Status, Filters: components.Form{Values: filterValues(f, f.Status, "")},
		IsFirst: f.After == "", FirstURL: link(f.Status, ""), Search: orEmpty(search), Searching: searching}
	if !searching {
		// A search is not exported: its results are one person's requests,
		// which their request pages show; the CSV follows the filters only.
		v.ExportURL = "/admin/export/requests.csv?" + filterValues(f, f.Status, "").Encode()
	}
	// The search's forms carry the page's filters (never its status: a
	// search finds every status), so a search keeps them.
	keep := filterValues(f, models.FilterAll, "")
	keep.Del("ref")
	keep.Del("status")
	for _, k := range []string{"kind", "right", "jurisdiction", "assignee", "due", "sort"} {
		if val := keep.Get(k); val != "" {
			v.Keep = append(v.Keep, admin.Hidden{Name: k, Value: val})
		}
	}
	for _, st := range append([]string{models.FilterOpen}, append(models.Statuses, models.FilterAll)...) {
		n := countText(p, counts[st])
		label := p.T.T("queue.tab."+st, n)
		if st != models.FilterOpen && st != models.FilterAll {
			label = p.T.T("queue.tab.status", p.T.T(wording.StatusKey(f.Kind, st)), n)
		}
		v.Tabs = append(v.Tabs, admin.Tab{Label: label, URL: link(st, ""), Current: st == f.Status && f.Reference == "" && !searching})
	}
	if f.Kind != models.KindComplaint { // a complaint is about no one right
		for _, r := range rules.AllRights {
			v.Rights = append(v.Rights, components.Option{Value: string(r), Label: p.T.T("right." + string(r))})
		}
	}
	for _, j := range rules.Jurisdictions() {
		v.Jurisdictions = append(v.Jurisdictions, components.Option{Value: string(j), Label: p.T.T("jurisdiction." + string(j))})
	}
	staff, err := h.staffNames(ctx)
	if err != nil {
		return err
	}
	v.Assignees = append([]components.Option{{Value: models.AssigneeMe, Label: p.T.T("queue.assignee.me")},
		{Value: models.AssigneeNone, Label: p.T.T("queue.assignee.none")}}, staff.options...)
	for _, d := range models.DueWindows {
		v.Dues = append(v.Dues, components.Option{Value: d, Label: p.T.T("queue.due." + d)})
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
			StatusText: p.T.T(wording.StatusKey(f.Kind, it.Status)), ReceivedAt: it.ReceivedAt, DueAt: it.DueAt, Assignee: it.Assignee}
		if it.AssigneeID == nil {
			row.Assignee = p.T.T("queue.assignee.nobody")
		}
		row.DaysLeft, row.DueText, row.Urgency = dueText(p, it.Urgency)
		switch {
		case it.Urgency.Paused:
			row.Flag = p.T.T("queue.waiting")
		case it.Urgency.Open && it.Urgency.DeemedRefusal:
			row.Flag = p.T.T("queue.deemed_refusal")
		}
		v.Rows = append(v.Rows, row)
	}
	switch {
	case page.Next == "":
	case searching:
		v.NextAfter = page.Next // posted: see QueueSearch
	default:
		v.NextURL = link(f.Status, page.Next)
	}
	return render(c, status, admin.Queue(p, v))
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
