package models

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/rules"
	"gorm.io/gorm"
)

// Queue sort orders.
const (
	SortUrgent = "urgent" // earliest deadline first
	SortNewest = "newest"
	SortOldest = "oldest"
)

// Sorts lists the queue's sort orders, the default first.
var Sorts = []string{SortUrgent, SortNewest, SortOldest}

// Queue status filters besides the statuses themselves.
const (
	FilterOpen = "open"
	FilterAll  = "all"
)

// Assignee filters besides a member's id.
const (
	AssigneeNone = "none" // unassigned
	AssigneeMe   = "me"   // assigned to QueueFilter.Me: "My requests"
)

// Due windows: open requests whose running deadline is past, or within
// the next 7 or 30 days.
const (
	DueOverdue = "overdue"
	DueWeek    = "7d"
	DueMonth   = "30d"
)

// DueWindows lists the due windows.
var DueWindows = []string{DueOverdue, DueWeek, DueMonth}

// QueueFilter selects and orders the staff queue.
type QueueFilter struct {
	Kind         string // request (default), appeal or complaint
	Status       string // "open" (default), "all", or one status
	Right        string
	Jurisdiction string
	Assignee     string // "" (anyone), AssigneeNone, AssigneeMe, or a member's id
	Me           int64  // who "me" is
	Due          string // "" or one of DueWindows
	Reference    string // one submission's requests, whatever their status
	// Search finds a person's requests, whatever their status: by e-mail,
	// name or phone (see search.go). Personal data: never in a URL.
	Search Search
	Sort   string
	After  string // opaque cursor from the previous page
	Limit  int

	now    time.Time // when "overdue" is: set by Queue
	people []int64   // the submissions a search found: set by Queue
}

// Normalize replaces anything unknown with the defaults: the open
// requests, most urgent first, 50 a page, anyone's, any law, any deadline.
func (f *QueueFilter) Normalize() {
	if !contains(Kinds, f.Kind) {
		f.Kind = KindRequest
	}
	if f.Status != FilterAll && !contains(Statuses, f.Status) {
		f.Status = FilterOpen
	}
	if !contains(Sorts, f.Sort) {
		f.Sort = SortUrgent
	}
	if f.Right != "" && !contains(rules.AllRights, rules.Right(f.Right)) {
		f.Right = ""
	}
	if f.Jurisdiction != "" && !contains(rules.Jurisdictions(), rules.Jurisdiction(f.Jurisdiction)) {
		f.Jurisdiction = ""
	}
	switch f.Assignee {
	case "", AssigneeNone:
	case AssigneeMe:
		if f.Me <= 0 {
			f.Assignee = ""
		}
	default:
		if id, err := strconv.ParseInt(f.Assignee, 10, 64); err != nil || id <= 0 || strconv.FormatInt(id, 10) != f.Assignee {
			f.Assignee = ""
		}
	}
	if !contains(DueWindows, f.Due) {
		f.Due = ""
	}
	if f.Due != "" && f.Status == FilterAll {
		f.Status = FilterOpen // only open requests have a deadline to meet
	}
	if !contains([]string{SearchEmail, SearchName, SearchPhone}, f.Search.Kind) || f.Search.Value == "" {
		f.Search = Search{}
	}
	f.Reference = strings.TrimSpace(f.Reference)
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
}

// QueueItem is one row of the queue.
type QueueItem struct {
	ID           int64
	Reference    string
	Right        string `gorm:"column:right_code"`
	Jurisdiction string
	Status       string
	ReceivedAt   time.Time
	DueAt        time.Time
	ExtendedAt   *time.Time
	AssigneeID   *int64
	Assignee     string  `gorm:"-"` // the assignee's name
	Urgency      Urgency `gorm:"-"`
}

// QueuePage is one page of the queue; Next is "" on the last page.
type QueuePage struct {
	Items []QueueItem
	Next  string
}

// ErrBadCursor: a page link that was tampered with or is from another sort.
var ErrBadCursor = &Error{Kind: KindInvalid, Key: "error.cursor.invalid"}

// Queue lists requests with keyset pagination: each page continues after
// the last row of the previous one, (sort column, id) compared as a row
// value, so deep pages seek in the index and cost what the first costs.
func (rs *Requests) Queue(ctx context.Context, f QueueFilter) (QueuePage, error) {
	f.Normalize()
	f.now = rs.c.Now()
	if f.Search.Kind != "" {
		var err error
		if f.people, err = rs.c.searchPeople(ctx, f.Search); err != nil || len(f.people) == 0 {
			return QueuePage{}, err
		}
	}
	q, col, err := rs.c.queueQuery(rs.c.read(ctx), f)
	if err != nil || q == nil {
		return QueuePage{}, err
	}
	var items []QueueItem
	if err := q.Scan(&items).Error; err != nil {
		return QueuePage{}, err
	}
	page := QueuePage{Items: items}
	if len(items) > f.Limit {
		page.Items = items[:f.Limit]
		last := page.Items[f.Limit-1]
		t := last.DueAt
		if col == "requests.received_at" {
			t = last.ReceivedAt
		}
		page.Next = encodeCursor(t, last.ID)
	}
	// The assignees' names from the few staff rows, after the page: a
	// subquery per row would weigh in the planner's choice of index.
	var ids []int64
	for _, it := range page.Items {
		if it.AssigneeID != nil && !contains(ids, *it.AssigneeID) {
			ids = append(ids, *it.AssigneeID)
		}
	}
	names := map[int64]string{}
	if len(ids) > 0 {
		var staff []Staff
		if err := rs.c.read(ctx).Select("id, name").Where("id IN ?", ids).Find(&staff).Error; err != nil {
			return QueuePage{}, err
		}
		for _, st := range staff {
			names[st.ID] = st.Name
		}
	}
	now := rs.c.Now()
	for i := range page.Items {
		it := &page.Items[i]
		it.ReceivedAt, it.DueAt = it.ReceivedAt.UTC(), it.DueAt.UTC()
		it.Urgency = rs.c.UrgencyOf(it.Jurisdiction, it.DueAt, it.Status, now)
		if it.AssigneeID != nil {
			it.Assignee = names[*it.AssigneeID]
		}
	}
	return page, nil
}

// viewMarker is always true: the open and "all" views state it so that
// they may read the indexes that carry it, which a view of one status,
// which does not, then cannot (see 00004_queue_indexes.sql).
const viewMarker = "requests.id > 0"

// queueQuery builds the query of one page of the queue for a normalized
// filter, and names its sort column; nil when nothing can match. Each
// filter is an equality on the leading columns of one index of 00004 or
// 00013, which then gives the rows in the page's order (see the tables
// there); a due window is a range of the deadline that follows them.
//
// The kind, status, right, jurisdiction and LIMIT are written into the
// statement, not bound (they are our own constants once normalized):
// PostgreSQL plans a cached statement for its bound values each time for
// as long as the plan for "any value" looks dearer, and with a bound LIMIT
// (planned as a tenth of the rows) or an uncommon right it always does. At
// a million requests that is half a millisecond of planning, with this
// many indexes, for a query that runs in a fifth of that. Written in, each
// view is its own statement, planned once per connection. What comes from
// outside stays bound: the reference, the people a search found, the
// cursor, a member's id and the bounds of a due window.
func (c *Core) queueQuery(db *gorm.DB, f QueueFilter) (*gorm.DB, string, error) {
	where := []string{"requests.kind = " + sqlWord(f.Kind)}
	var args []any
	// A reference or a search finds one person's requests, whatever their
	// status: the reference is looked up for the rows of the page only (a
	// subquery in the select list runs once per row the LIMIT lets
	// through, where a join could be planned over every matching request).
	anyStatus := true
	switch {
	case f.Reference != "":
		ref := NormalizeReference(f.Reference)
		if ref == "" {
			return nil, "", nil
		}
		// One submission (references are unique), then its few requests.
		where = append(where, "requests.submission_id = (SELECT submissions.id FROM submissions WHERE submissions.reference = ?)")
		args = append(args, ref)
	case f.Search.Kind != "":
		// The people found (searchPeople), then their requests.
		cond, list := peopleCond(f.people, IsPostgres(db))
		where = append(where, cond)
		args = append(args, list)
	default:
		anyStatus = false
	}
	switch {
	case f.Due != "" && !anyStatus && f.Status != FilterOpen && !contains(OpenStatuses, f.Status):
		return nil, "", nil // a closed request has no deadline left
	case anyStatus && f.Due == "":
	case f.Status == FilterOpen || anyStatus:
		where = append(where, "requests.status IN "+openStatusSQL, viewMarker)
	case f.Status == FilterAll:
		where = append(where, viewMarker)
	default:
		where = append(where, "requests.status = "+sqlWord(f.Status))
	}
	if f.Right != "" {
		where = append(where, "requests.right_code = "+sqlWord(f.Right))
	}
	if f.Jurisdiction != "" {
		where = append(where, "requests.jurisdiction = "+sqlWord(f.Jurisdiction))
	}
	// The assignee as the indexes of 00013 hold it: nobody is 0.
	switch f.Assignee {
	case "":
	case AssigneeNone:
		where = append(where, "COALESCE(requests.assignee_id, 0) = 0")
	case AssigneeMe:
		where = append(where, "COALESCE(requests.assignee_id, 0) = ?")
		args = append(args, f.Me)
	default:
		id, _ := strconv.ParseInt(f.Assignee, 10, 64)
		where = append(where, "COALESCE(requests.assignee_id, 0) = ?")
		args = append(args, id)
	}
	if f.Due != "" {
		// The deadlines that run: a request whose clock stands still
		// (waiting for the person where the law stops it) is not due.
		if stopped := c.stoppedSQL("requests"); stopped != "" {
			where = append(where, "NOT "+stopped)
		}
		switch f.Due {
		case DueOverdue:
			where = append(where, "requests.due_at < ?")
			args = append(args, f.now)
		default:
			days := 7
			if f.Due == DueMonth {
				days = 30
			}
			// SQLite takes a window to hold few rows and may seek each open
			// status's range of it, then sort them all: told that most rows
			// are in it (likelihood, a hint only), it reads the view's index
			// in order and stops after a page, whatever the window holds.
			cond := "requests.due_at >= ? AND requests.due_at < ?"
			if !IsPostgres(db) {
				cond = "likelihood(requests.due_at >= ?, 0.9) AND likelihood(requests.due_at < ?, 0.9)"
			}
			where = append(where, cond)
			args = append(args, f.now, f.now.AddDate(0, 0, days))
		}
	}
	col, desc := "requests.due_at", false
	switch f.Sort {
	case SortNewest:
		col, desc = "requests.received_at", true
	case SortOldest:
		col = "requests.received_at"
	}
	op, dir := ">", "ASC"
	if desc {
		op, dir = "<", "DESC"
	}
	if f.After != "" {
		t, id, err := decodeCursor(f.After)
		if err != nil {
			return nil, "", ErrBadCursor
		}
		where = append(where, fmt.Sprintf("(%s, requests.id) %s (?, ?)", col, op))
		args = append(args, t, id)
	}
	sql := "SELECT requests.id, (SELECT submissions.reference FROM submissions WHERE submissions.id = requests.submission_id) AS reference, " +
		"requests.right_code, requests.jurisdiction, requests.status, requests.received_at, requests.due_at, requests.extended_at, " +
		"requests.assignee_id " +
		"FROM requests WHERE " + strings.Join(where, " AND ") +
		fmt.Sprintf(" ORDER BY %s %s, requests.id %s LIMIT %d", col, dir, dir, f.Limit+1)
	return db.Raw(sql, args...), col, nil
}

func encodeCursor(t time.Time, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(t.UTC().Format(time.RFC3339Nano) + "|" + strconv.FormatInt(id, 10)))
}

func decodeCursor(c string) (time.Time, int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, 0, err
	}
	ts, ids, ok := strings.Cut(string(b), "|")
	if !ok {
		return time.Time{}, 0, fmt.Errorf("bad cursor")
	}
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return time.Time{}, 0, err
	}
	id, err := strconv.ParseInt(ids, 10, 64)
	if err != nil || id <= 0 {
		return time.Time{}, 0, fmt.Errorf("bad cursor")
	}
	return t.UTC(), id, nil
}

// CountCap is where the queue stops counting closed requests: their tabs
// say "1,000+" rather than scan every request ever closed.
const CountCap = 1000

// TabCount is the number of requests under one tab of the queue.
type TabCount struct {
	N       int
	AtLeast bool // N is CountCap and there are more
}

// Counts returns the number of requests under each tab of the queue
// (each status, "open" and "all"). Open requests are counted exactly;
// closed ones only up to CountCap, so a view costs the same at a million
// requests as at a thousand.
func (rs *Requests) Counts(ctx context.Context, kind string) (map[string]TabCount, error) {
	if !contains(Kinds, kind) {
		return nil, fmt.Errorf("models: no queue of kind %q", kind)
	}
	var rows []struct {
		Status string
		N      int
	}
	if err := rs.c.read(ctx).Raw(countsQuery(kind)).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := map[string]TabCount{}
	var open, all TabCount
	for _, r := range rows {
		tc := TabCount{N: r.N}
		if !contains(OpenStatuses, r.Status) && r.N > CountCap {
			tc = TabCount{N: CountCap, AtLeast: true}
		}
		out[r.Status] = tc
		if contains(OpenStatuses, r.Status) {
			open.N += tc.N
		}
		all.N += tc.N
		all.AtLeast = all.AtLeast || tc.AtLeast
	}
	out[FilterOpen] = open
	out[FilterAll] = all
	return out, nil
}

// countsQuery is the statement of Counts.
func countsQuery(kind string) string {
	// One statement, one round trip. Each open status is counted from its
	// range of requests_open_status_idx, a small index-only scan; each
	// closed status up to CountCap+1, and ordering those rows as the tab
	// lists them pins the count to the first entries of the tab's own
	// index range (requests_urgent_idx), where a sequential scan, which
	// the planner may price as cheap for a common status, could read much
	// of the table before it finds them. Everything is written in (see
	// queueQuery): the partial index applies, and the plan is kept.
	var parts []string
	k := sqlWord(kind)
	for _, st := range Statuses {
		if contains(OpenStatuses, st) {
			parts = append(parts, "SELECT "+sqlWord(st)+" AS status, COUNT(*) AS n FROM requests WHERE kind = "+k+" AND status = "+sqlWord(st)+
				" AND "+viewMarker)
		} else {
			parts = append(parts, "SELECT "+sqlWord(st)+", COUNT(*) FROM (SELECT 1 FROM requests WHERE kind = "+k+" AND status = "+sqlWord(st)+
				" ORDER BY due_at, id LIMIT "+strconv.Itoa(CountCap+1)+") capped")
		}
	}
	return strings.Join(parts, " UNION ALL ")
}

// sqlWord quotes one of our own codes (a kind, status, right or
// jurisdiction) as an SQL string literal. Anything else than letters,
// underscores and hyphens cannot be one, and would be a bug: it panics
// rather than reach SQL.
func sqlWord(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-') {
			panic(fmt.Sprintf("models: %q is not a code", s))
		}
	}
	return "'" + s + "'"
}
