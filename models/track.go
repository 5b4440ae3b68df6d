package models

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// The tracking page is the hottest read: every person checking on their
// request. It is two prepared statements run through database/sql and
// scanned by hand — no statement parsing, reflection or preload chain per
// request. ($1-style parameters work on both databases: SQLite reads $1 as
// the first parameter.)

// trackSQL builds the two statements. timeCol marks a time column: on
// SQLite it is selected as text and parsed by dbTime, which is much cheaper
// than the driver trying its list of layouts on every value. (Not named T:
// the catalog test reads timeCol("…") as a message key.)
func trackSQL(postgres bool) (sub, reqs string) {
	timeCol := func(col string) string {
		if postgres {
			return col
		}
		return "CAST(" + col + " AS TEXT)"
	}
	sub = `SELECT id, reference, tracking_hash, tracking_sealed, on_behalf, name, email, phone, country, region,
	jurisdiction, relationship, details, lang, channel, ` + timeCol("email_verified_at") + `, ` + timeCol("received_at") + `, ` +
		timeCol("created_at") + `, ` + timeCol("updated_at") + `
	FROM submissions WHERE tracking_hash = $1`
	reqs = `SELECT r.id, r.kind, r.appeal_of_id, r.right_code, r.jurisdiction, r.status, ` + timeCol("r.received_at") + `, ` + timeCol("r.due_at") + `,
	` + timeCol("r.original_due_at") + `, ` + timeCol("r.ack_due_at") + `, ` + timeCol("r.acknowledged_at") + `, ` + timeCol("r.extended_at") + `,
	r.extension_reason, ` + timeCol("r.verified_at") + `, ` + timeCol("r.closed_at") + `,
	r.denial_reason, r.denial_detail, r.merged_into_id, r.paused_days, ` + timeCol("r.created_at") + `, ` + timeCol("r.updated_at") + `,
	r.outcome, r.outcome_note, r.not_done,
	e.id, e.kind, e.actor_kind, e.status_from, e.status_to, e.body, ` + timeCol("e.created_at") + `
	FROM requests r LEFT JOIN events e ON e.request_id = r.id AND e.internal = $1
	WHERE r.submission_id = $2 ORDER BY r.id, e.id`
	return sub, reqs
}

// trackStmts are the prepared statements, made at the first use; a
// failed preparation (the database down at that moment) is tried again.
type trackStmts struct {
	mu        sync.Mutex
	sub, reqs *sql.Stmt
}

func (c *Core) trackStatements(ctx context.Context) (*sql.Stmt, *sql.Stmt, error) {
	t := &c.track
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.sub != nil {
		return t.sub, t.reqs, nil
	}
	sqlDB, err := c.db.DB()
	if err != nil {
		return nil, nil, err
	}
	subSQL, reqsSQL := trackSQL(IsPostgres(c.db))
	sub, err := sqlDB.PrepareContext(ctx, subSQL)
	if err != nil {
		return nil, nil, err
	}
	reqs, err := sqlDB.PrepareContext(ctx, reqsSQL)
	if err != nil {
		sub.Close()
		return nil, nil, err
	}
	t.sub, t.reqs = sub, reqs
	return sub, reqs, nil
}

func nullInt(n sql.NullInt64) *int64 {
	if !n.Valid {
		return nil
	}
	return &n.Int64
}

// byTrackingToken loads the submission a tracking link points to, with its
// requests and their public timelines.
func (c *Core) byTrackingToken(ctx context.Context, token string) (*Submission, error) {
	if !validToken(token) {
		return nil, ErrNotFound
	}
	subStmt, reqStmt, err := c.trackStatements(ctx)
	if err != nil {
		return nil, err
	}
	var sub Submission
	var verified, received, created, updated dbTime
	err = subStmt.QueryRowContext(ctx, c.hash("track", token)).Scan(&sub.ID, &sub.Reference, &sub.TrackingHash, &sub.TrackingSealed,
		&sub.OnBehalf, &sub.Name, &sub.Email, &sub.Phone, &sub.Country, &sub.Region, &sub.Jurisdiction, &sub.Relationship,
		&sub.Details, &sub.Lang, &sub.Channel, &verified, &received, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	sub.EmailVerifiedAt = verified.ptr()
	sub.ReceivedAt, sub.CreatedAt, sub.UpdatedAt = received.Time, created.Time, updated.Time
	sub.Requests, err = scanRequests(ctx, reqStmt, sub.ID)
	return &sub, err
}

// publicRequests loads a submission's requests with their public
// timelines (the tracking page's second statement).
func (c *Core) publicRequests(ctx context.Context, submissionID int64) ([]Request, error) {
	_, reqStmt, err := c.trackStatements(ctx)
	if err != nil {
		return nil, err
	}
	return scanRequests(ctx, reqStmt, submissionID)
}

func scanRequests(ctx context.Context, reqStmt *sql.Stmt, submissionID int64) ([]Request, error) {
	var out []Request
	rows, err := reqStmt.QueryContext(ctx, false, submissionID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var r Request
		var appealOf, mergedInto, eID sql.NullInt64
		var rReceived, due, origDue, ackDue, acked, extended, verifiedAt, closed, rCreated, rUpdated, eAt dbTime
		var eKind, eActor, eFrom, eTo, eBody sql.NullString
		if err := rows.Scan(&r.ID, &r.Kind, &appealOf, &r.Right, &r.Jurisdiction, &r.Status, &rReceived, &due,
			&origDue, &ackDue, &acked, &extended, &r.ExtensionReason, &verifiedAt, &closed,
			&r.DenialReason, &r.DenialDetail, &mergedInto, &r.PausedDays, &rCreated, &rUpdated,
			&r.Outcome, &r.OutcomeNote, &r.NotDone, &eID, &eKind, &eActor, &eFrom, &eTo, &eBody, &eAt); err != nil {
			return nil, err
		}
		if n := len(out); n == 0 || out[n-1].ID != r.ID {
			r.SubmissionID, r.AppealOfID, r.MergedIntoID = submissionID, nullInt(appealOf), nullInt(mergedInto)
			r.ReceivedAt, r.DueAt, r.OriginalDueAt = rReceived.Time, due.Time, origDue.Time
			r.AckDueAt, r.AcknowledgedAt, r.ExtendedAt = ackDue.ptr(), acked.ptr(), extended.ptr()
			r.VerifiedAt, r.ClosedAt = verifiedAt.ptr(), closed.ptr()
			r.CreatedAt, r.UpdatedAt = rCreated.Time, rUpdated.Time
			out = append(out, r)
		}
		if eID.Valid {
			last := &out[len(out)-1]
			last.Events = append(last.Events, Event{ID: eID.Int64, RequestID: last.ID, Kind: eKind.String, ActorKind: eActor.String,
				StatusFrom: eFrom.String, StatusTo: eTo.String, Body: eBody.String, CreatedAt: eAt.Time})
		}
	}
	return out, rows.Err()
}
