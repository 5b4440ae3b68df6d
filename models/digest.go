package models

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"gorm.io/gorm/clause"
)

// DigestHorizon is how far ahead the daily digest looks.
const DigestHorizon = 7 * 24 * time.Hour

// digestHour is the local hour from which the day's digest goes out.
const digestHour = 7

// Digest is the daily staff mail of what is due soon.
type Digest struct{ c *Core }

// NewDigest returns the digest job.
func NewDigest(c *Core) *Digest { return &Digest{c: c} }

// Queue mails every staff member the open requests due within seven
// days or overdue. Unless force is set it runs once a day across all
// instances: the first to record the day in job_runs sends it.
func (d *Digest) Queue(ctx context.Context, force bool) (int, error) {
	c := d.c
	now := c.Now()
	day := now.In(c.Rules.Location()).Format(time.DateOnly)
	sent := 0
	err := c.write(ctx, func(tx *tx) error {
		if !force {
			res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&jobRun{Name: "digest", RunOn: day})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				return nil // another instance, or an earlier run today
			}
		}
		var items []QueueItem
		err := tx.Table("requests").
			Select("requests.id, submissions.reference, requests.right_code, requests.due_at").
			Joins("JOIN submissions ON submissions.id = requests.submission_id").
			// A request whose clock stands still has no running deadline.
			Where(c.runningSQL("requests")+" AND requests.due_at <= ?", now.Add(DigestHorizon)).
			Order("requests.due_at, requests.id").Limit(500).Scan(&items).Error
		if err != nil || len(items) == 0 {
			return err
		}
		data := MailData{}
		for _, it := range items {
			data.Items = append(data.Items, DigestItem{Reference: it.Reference, Right: it.Right, DueAt: it.DueAt,
				URL: c.BaseURL + "/admin/requests/" + strconv.FormatInt(it.ID, 10)})
		}
		if data.Holders, err = c.holders(tx, now); err != nil {
			return err
		}
		var staff []Staff
		if err := tx.Where("disabled_at IS NULL").Order("id").Find(&staff).Error; err != nil {
			return err
		}
		for _, st := range staff {
			d := data
			d.Name = st.Name
			if err := tx.enqueue(st.Email, MailStaffDigest, "en", d); err != nil {
				return err
			}
			sent++
		}
		return nil
	})
	return sent, err
}

// RunDigest queues the digest each morning until ctx ends.
func (d *Digest) Run(ctx context.Context, log *slog.Logger) {
	t := time.NewTicker(15 * time.Minute)
	defer t.Stop()
	for {
		if d.c.Now().In(d.c.Rules.Location()).Hour() >= digestHour {
			if n, err := d.Queue(ctx, false); err != nil {
				if !d.c.ReportOutage(err) { // an outage is logged once, not by every job
					log.Error("digest failed", "err", err)
				}
			} else if n > 0 {
				log.Info("digest queued", "staff", n)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// holders counts, in one statement, the open requests each member holds
// (and those no one holds), with how many of them are overdue and due
// within DigestHorizon: members by name, then the unassigned.
func (c *Core) holders(tx *tx, now time.Time) ([]DigestHolder, error) {
	running := c.runningSQL("requests")
	var rows []struct {
		ID                     *int64
		Name                   string
		Open, Overdue, DueSoon int
	}
	err := tx.Raw("SELECT staff.id, COALESCE(staff.name, '') AS name, COUNT(*) AS open, "+
		"SUM(CASE WHEN "+running+" AND requests.due_at < ? THEN 1 ELSE 0 END) AS overdue, "+
		"SUM(CASE WHEN "+running+" AND requests.due_at >= ? AND requests.due_at <= ? THEN 1 ELSE 0 END) AS due_soon "+
		"FROM requests LEFT JOIN staff ON staff.id = requests.assignee_id "+
		"WHERE requests.status IN "+openStatusSQL+" AND "+viewMarker+
		" GROUP BY staff.id, staff.name ORDER BY staff.id IS NULL, staff.name, staff.id", now, now, now.Add(DigestHorizon)).Scan(&rows).Error
	out := make([]DigestHolder, len(rows))
	for i, r := range rows {
		out[i] = DigestHolder{Name: r.Name, Open: r.Open, Overdue: r.Overdue, DueSoon: r.DueSoon}
	}
	return out, err
}

type jobRun struct {
	Name  string
	RunOn string
}

func (jobRun) TableName() string { return "job_runs" }
