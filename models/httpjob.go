package models

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/webhook"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// HTTPJob is an outgoing HTTP call queued in the transaction that causes
// it (a DRP status callback; later, fulfilment webhooks), delivered and
// retried by internal/webhook's worker.
type HTTPJob struct {
	ID            int64
	Kind          string
	DedupeKey     string // calls with the same key carry successive states of one thing: only the latest is sent
	Method        string
	URL           string
	Headers       string // JSON object of header → value
	Body          string
	Status        string // pending, sending, sent, dead, superseded
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	LastStatus    int
	LeaseToken    string
	// Signer names who signs the call as it leaves ("system:ID": a data
	// system's webhook key), so each attempt carries a fresh timestamp
	// and the current key; "" = sent as queued.
	Signer    string
	CreatedAt time.Time
	SentAt    *time.Time
}

func (HTTPJob) TableName() string { return "http_jobs" }

// HTTP job kinds.
const (
	JobDRPStatus     = "drp_status"
	JobTaskWebhook   = "task_webhook"   // a data system is sent a task (models/task.go)
	JobChoiceWebhook = "choice_webhook" // a data system is sent a change of a privacy choice (models/choices.go)
)

// HTTPJobAttempt is one attempt at a call, as the admin shows it.
type HTTPJobAttempt struct {
	ID         int64
	JobID      int64
	Attempt    int
	At         time.Time
	OK         bool
	StatusCode int
	Error      string
}

func (HTTPJobAttempt) TableName() string { return "http_job_attempts" }

// Delivery is one queued call with its attempts, newest last.
type Delivery struct {
	HTTPJob
	Tries []HTTPJobAttempt
}

// withAttempts loads the attempts of jobs.
func withAttempts(db *gorm.DB, jobs []HTTPJob) ([]Delivery, error) {
	out := make([]Delivery, len(jobs))
	if len(jobs) == 0 {
		return out, nil
	}
	ids := make([]int64, len(jobs))
	at := map[int64]int{}
	for i, j := range jobs {
		ids[i], at[j.ID] = j.ID, i
		out[i].HTTPJob = j
	}
	var rows []HTTPJobAttempt
	if err := db.Where("job_id IN ?", ids).Order("id").Find(&rows).Error; err != nil {
		return nil, err
	}
	for _, r := range rows {
		d := &out[at[r.JobID]]
		d.Tries = append(d.Tries, r)
	}
	return out, nil
}

// enqueueHTTP queues a call in this transaction. A pending call with the
// same dedupe key is superseded: a receiver is told the latest state, not
// every state in between, and never an older one after a newer one.
func (t *tx) enqueueHTTP(kind, dedupeKey, method, url string, headers map[string]string, body []byte) error {
	return t.enqueueSigned(kind, dedupeKey, method, url, headers, body, "")
}

// enqueueSigned is enqueueHTTP for a call signed as it leaves, by signer.
func (t *tx) enqueueSigned(kind, dedupeKey, method, url string, headers map[string]string, body []byte, signer string) error {
	h, err := json.Marshal(headers)
	if err != nil {
		return err
	}
	now := now()
	if dedupeKey != "" {
		if err := t.Model(&HTTPJob{}).Where("dedupe_key = ? AND status = ?", dedupeKey, "pending").
			Update("status", "superseded").Error; err != nil {
			return err
		}
	}
	t.called = true
	return t.Create(&HTTPJob{Kind: kind, DedupeKey: dedupeKey, Method: method, URL: url, Headers: string(h),
		Body: string(body), Status: "pending", NextAttemptAt: now, CreatedAt: now, Signer: signer}).Error
}

// HTTPJobs is the queue of outgoing HTTP calls, as the worker sees it.
type HTTPJobs struct{ c *Core }

// NewHTTPJobs returns the queue.
func NewHTTPJobs(c *Core) *HTTPJobs { return &HTTPJobs{c: c} }

var _ webhook.Queue = (*HTTPJobs)(nil)

// claimLock is the PostgreSQL advisory lock that makes claims one at a
// time across instances (see Claim).
const claimLock = 0x7264_6874_7470 // "rdhttp"

// Claim leases due calls under a fresh token. Claims are one at a time
// across instances (see below); the sending, which takes the time, is not.
//
// Calls with the same dedupe key are successive states of one thing, and
// a receiver must never be sent an older one after a newer one (docs/drp.md).
// enqueueSigned supersedes an older call only while it is pending and
// MarkFailed only when the newer one is already committed, so an older
// call in flight while a newer one is queued would miss both. Claim closes
// the gap in the database: first, any older call with a newer one of the
// same key that is pending (or whose lease ran out) is superseded, never
// sent; then a call is not claimed while an older one of its key is still
// being sent under a live lease (it waits for that attempt's outcome, on
// whichever instance). On PostgreSQL claims take a transaction advisory
// lock, so each claim's statements see every earlier claim committed: two
// instances cannot each take one of two calls of a key. (SQLite's write
// transactions are one at a time already.)
func (q *HTTPJobs) Claim(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]webhook.Job, error) {
	var out []webhook.Job
	token := rand.Text()
	err := q.c.read(ctx).Transaction(func(tx *gorm.DB) error {
		if IsPostgres(tx) {
			if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", claimLock).Error; err != nil {
				return err
			}
		}
		// Rows another transaction holds (an enqueue superseding them) are
		// skipped, never waited for: a claim must not deadlock with the
		// domain's writes; the next claim sees them settled.
		older := `SELECT j.id FROM http_jobs j WHERE j.dedupe_key <> ''
			AND (j.status = 'pending' OR (j.status = 'sending' AND j.next_attempt_at <= ?))
			AND EXISTS (SELECT 1 FROM http_jobs n WHERE n.dedupe_key = j.dedupe_key AND n.id > j.id)`
		if IsPostgres(tx) {
			older += " FOR UPDATE SKIP LOCKED"
		}
		if err := tx.Exec(`UPDATE http_jobs SET status = 'superseded', lease_token = '' WHERE id IN (`+older+`)`,
			now.UTC()).Error; err != nil {
			return err
		}
		sel := tx.Where("status IN ? AND next_attempt_at <= ?", []string{"pending", "sending"}, now.UTC()).
			Where(`(dedupe_key = '' OR NOT EXISTS (SELECT 1 FROM http_jobs o WHERE o.dedupe_key = http_jobs.dedupe_key
				AND o.id < http_jobs.id AND o.status = 'sending' AND o.next_attempt_at > ?))`, now.UTC()).
			Order("next_attempt_at, id").Limit(limit)
		if IsPostgres(tx) {
			sel = sel.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"})
		}
		var rows []HTTPJob
		if err := sel.Find(&rows).Error; err != nil || len(rows) == 0 {
			return err
		}
		var ids, gone []int64
		for _, r := range rows {
			hdr := http.Header{}
			var m map[string]string
			if err := json.Unmarshal([]byte(r.Headers), &m); err == nil {
				for k, v := range m {
					hdr.Set(k, v)
				}
			}
			j := webhook.Job{ID: r.ID, Kind: r.Kind, Method: r.Method, URL: r.URL, Header: hdr,
				Body: []byte(r.Body), Attempts: r.Attempts, Token: token}
			if r.Signer != "" {
				ok, err := q.c.sign(tx, r.Signer, &j, now)
				if err != nil {
					return err
				}
				if !ok {
					gone = append(gone, r.ID) // the system or its webhook is gone: nothing to send
					continue
				}
			}
			ids = append(ids, r.ID)
			out = append(out, j)
		}
		if len(gone) > 0 {
			if err := tx.Model(&HTTPJob{}).Where("id IN ?", gone).
				Updates(map[string]any{"status": "dead", "last_error": "the system no longer has this webhook", "lease_token": ""}).Error; err != nil {
				return err
			}
		}
		if len(ids) == 0 {
			return nil
		}
		return tx.Model(&HTTPJob{}).Where("id IN ?", ids).
			Updates(map[string]any{"status": "sending", "next_attempt_at": now.Add(lease).UTC(), "lease_token": token}).Error
	})
	if err != nil || len(out) > 0 {
		q.c.wrote(err)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// update records an attempt's outcome while the lease still holds, and
// the attempt itself, in one transaction.
func (q *HTTPJobs) update(ctx context.Context, id int64, token string, set map[string]any, try HTTPJobAttempt) error {
	err := q.c.read(ctx).Transaction(func(tx *gorm.DB) error {
		var attempts int
		if err := tx.Model(&HTTPJob{}).Select("attempts").Where("id = ?", id).Scan(&attempts).Error; err != nil {
			return err
		}
		res := tx.Model(&HTTPJob{}).Where("id = ? AND status = ? AND lease_token = ?", id, "sending", token).Updates(set)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return webhook.ErrLeaseLost
		}
		try.JobID, try.Attempt = id, attempts+1
		return tx.Create(&try).Error
	})
	if !errors.Is(err, webhook.ErrLeaseLost) {
		q.c.wrote(err)
	}
	return err
}

// MarkSent records a delivery.
func (q *HTTPJobs) MarkSent(ctx context.Context, id int64, token string, now time.Time, status int) error {
	return q.update(ctx, id, token, map[string]any{"status": "sent", "sent_at": now.UTC(), "last_status": status,
		"lease_token": "", "attempts": gorm.Expr("attempts + 1")}, HTTPJobAttempt{At: now.UTC(), OK: true, StatusCode: status})
}

// MarkFailed records a failed attempt. A call that a newer one with the
// same dedupe key has replaced meanwhile is not retried: the newer one
// says more.
func (q *HTTPJobs) MarkFailed(ctx context.Context, id int64, token string, now, next time.Time, status int, errMsg string, dead bool) error {
	st := "pending"
	if dead {
		st = "dead"
	}
	if len(errMsg) > 500 {
		errMsg = strings.ToValidUTF8(errMsg[:500], "")
	}
	newer := q.c.read(ctx).Model(&HTTPJob{}).Select("1").
		Where("dedupe_key <> '' AND dedupe_key = (SELECT j.dedupe_key FROM http_jobs j WHERE j.id = ?) AND id > ?", id, id)
	return q.update(ctx, id, token, map[string]any{
		"status":          gorm.Expr("CASE WHEN EXISTS (?) THEN 'superseded' ELSE ? END", newer, st),
		"next_attempt_at": next.UTC(), "last_error": errMsg, "last_status": status,
		"lease_token": "", "attempts": gorm.Expr("attempts + 1")}, HTTPJobAttempt{At: now.UTC(), StatusCode: status, Error: errMsg})
}
