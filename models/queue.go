package models

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Queue sort orders.
const (
	SortUrgent = "urgent" // earliest deadline first
	SortNewest = "newest"
	SortOldest = "oldest"
)

// QueueFilter selects and orders the staff queue.
type QueueFilter struct {
	Kind      string // request (default) or appeal
	Status    string // "" or "open" = open ones, "all", or one status
	Right     string
	Reference string // one submission's requests, whatever their status
	Sort      string
	After     string // opaque cursor from the previous page
	Limit     int
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
}

// QueuePage is one page of the queue; Next is "" on the last page.
type QueuePage struct {
	Items []QueueItem
	Next  string
}

// Queue lists requests with keyset pagination: each page continues after
// the last row of the previous one, so deep pages cost the same as the first.
func (s *Store) Queue(ctx context.Context, f QueueFilter) (QueuePage, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	if f.Kind == "" {
		f.Kind = KindRequest
	}
	q := s.DB.WithContext(ctx).Table("requests").
		Select("requests.id, submissions.reference, requests.right_code, requests.jurisdiction, requests.status, requests.received_at, requests.due_at, requests.extended_at").
		Joins("JOIN submissions ON submissions.id = requests.submission_id").
		Where("requests.kind = ?", f.Kind)
	switch {
	case f.Reference != "":
		q = q.Where("submissions.reference = ?", NormalizeReference(f.Reference))
	case f.Status == "" || f.Status == "open":
		q = q.Where("requests.status IN ?", OpenStatuses)
	case f.Status == "all":
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
	if f.After != "" {
		t, id, err := decodeCursor(f.After)
		if err != nil {
			return QueuePage{}, &ValidationError{Fields: map[string]string{"after": "error.cursor.invalid"}}
		}
		op := ">"
		if desc {
			op = "<"
		}
		q = q.Where(fmt.Sprintf("(%s %s ?) OR (%s = ? AND requests.id %s ?)", col, op, col, op), t, t, id)
	}
	dir := "ASC"
	if desc {
		dir = "DESC"
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
	return t.UTC(), id, err
}

// Counts returns the number of requests per status (for the queue's tabs).
func (s *Store) Counts(ctx context.Context, kind string) (map[string]int, error) {
	var rows []struct {
		Status string
		N      int
	}
	if err := s.DB.WithContext(ctx).Table("requests").Select("status, COUNT(*) AS n").
		Where("kind = ?", kind).Group("status").Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.Status] = r.N
		out["all"] += r.N
		if contains(OpenStatuses, r.Status) {
			out["open"] += r.N
		}
	}
	return out, nil
}
