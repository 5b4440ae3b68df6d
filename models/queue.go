package models

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/rules"
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

// QueueFilter selects and orders the staff queue.
type QueueFilter struct {
	Kind      string // request (default), appeal or complaint
	Status    string // "open" (default), "all", or one status
	Right     string
	Reference string // one submission's requests, whatever their status
	Sort      string
	After     string // opaque cursor from the previous page
	Limit     int
}

// Normalize replaces anything unknown with the defaults: the open
// requests, most urgent first, 50 a page.
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
	q := rs.c.read(ctx).Table("requests").
		Select("requests.id, submissions.reference, requests.right_code, requests.jurisdiction, requests.status, requests.received_at, requests.due_at, requests.extended_at").
		Joins("JOIN submissions ON submissions.id = requests.submission_id").
		Where("requests.kind = ?", f.Kind)
	switch {
	case f.Reference != "":
		ref := NormalizeReference(f.Reference)
		if ref == "" {
			return QueuePage{}, nil
		}
		q = q.Where("submissions.reference = ?", ref)
	case f.Status == FilterOpen:
		q = q.Where("requests.status IN " + openStatusSQL)
	case f.Status == FilterAll:
	default:
		q = q.Where("requests.status = ?", f.Status)
	}
	if f.Right != "" {
		q = q.Where("requests.right_code = ?", f.Right)
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
			return QueuePage{}, ErrBadCursor
		}
		q = q.Where(fmt.Sprintf("(%s, requests.id) %s (?, ?)", col, op), t, id)
	}
	q = q.Order(col + " " + dir).Order("requests.id " + dir).Limit(f.Limit + 1)
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
	now := rs.c.Now()
	for i := range page.Items {
		it := &page.Items[i]
		it.ReceivedAt, it.DueAt = it.ReceivedAt.UTC(), it.DueAt.UTC()
		it.Urgency = rs.c.UrgencyOf(it.Jurisdiction, it.DueAt, it.Status, now)
	}
	return page, nil
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
	db := rs.c.read(ctx)
	out := map[string]TabCount{}
	var open []struct {
		Status string
		N      int
	}
	if err := db.Table("requests").Select("status, COUNT(*) AS n").
		Where("kind = ? AND status IN "+openStatusSQL, kind).Group("status").Scan(&open).Error; err != nil {
		return nil, err
	}
	total := TabCount{}
	for _, r := range open {
		out[r.Status] = TabCount{N: r.N}
		total.N += r.N
	}
	out[FilterOpen] = total
	for _, st := range Statuses {
		if contains(OpenStatuses, st) {
			continue
		}
		var n int
		if err := db.Raw("SELECT COUNT(*) FROM (SELECT 1 FROM requests WHERE kind = ? AND status = ? LIMIT ?) capped",
			kind, st, CountCap+1).Scan(&n).Error; err != nil {
			return nil, err
		}
		tc := TabCount{N: n}
		if n > CountCap {
			tc = TabCount{N: CountCap, AtLeast: true}
		}
		out[st] = tc
		total.N += tc.N
		total.AtLeast = total.AtLeast || tc.AtLeast
	}
	out[FilterAll] = total
	return out, nil
}
