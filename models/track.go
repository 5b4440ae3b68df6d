package models

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"time"
)

// The tracking page is the hottest read: every person checking on their
// request. It is two prepared statements run through database/sql and
// scanned by hand — no statement parsing, reflection or preload chain per
// request. ($1-style parameters work on both databases: SQLite reads $1 as
// the first parameter.)

const trackSubmissionSQL = `SELECT id, reference, tracking_hash, tracking_sealed, on_behalf, name, email, phone, country, region,
	jurisdiction, relationship, details, lang, channel, email_verified_at, received_at, created_at, updated_at
	FROM submissions WHERE tracking_hash = $1`

const trackRequestsSQL = `SELECT r.id, r.kind, r.appeal_of_id, r.right_code, r.jurisdiction, r.status, r.received_at, r.due_at,
	r.original_due_at, r.ack_due_at, r.acknowledged_at, r.extended_at, r.extension_reason, r.verified_at, r.closed_at,
	r.denial_reason, r.denial_detail, r.merged_into_id, r.created_at, r.updated_at,
	e.id, e.kind, e.actor_kind, e.status_from, e.status_to, e.body, e.created_at
	FROM requests r LEFT JOIN events e ON e.request_id = r.id AND e.internal = $1
	WHERE r.submission_id = $2 ORDER BY r.id, e.id`

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
	sub, err := sqlDB.PrepareContext(ctx, trackSubmissionSQL)
	if err != nil {
		return nil, nil, err
	}
	reqs, err := sqlDB.PrepareContext(ctx, trackRequestsSQL)
	if err != nil {
		sub.Close()
		return nil, nil, err
	}
	t.sub, t.reqs = sub, reqs
	return sub, reqs, nil
}

func utc(t time.Time) time.Time { return t.UTC() }

func nullTime(n sql.NullTime) *time.Time {
	if !n.Valid {
		return nil
	}
	t := n.Time.UTC()
	return &t
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
	var verified sql.NullTime
	err = subStmt.QueryRowContext(ctx, c.hash("track", token)).Scan(&sub.ID, &sub.Reference, &sub.TrackingHash, &sub.TrackingSealed,
		&sub.OnBehalf, &sub.Name, &sub.Email, &sub.Phone, &sub.Country, &sub.Region, &sub.Jurisdiction, &sub.Relationship,
		&sub.Details, &sub.Lang, &sub.Channel, &verified, &sub.ReceivedAt, &sub.CreatedAt, &sub.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	sub.EmailVerifiedAt = nullTime(verified)
	sub.ReceivedAt, sub.CreatedAt, sub.UpdatedAt = utc(sub.ReceivedAt), utc(sub.CreatedAt), utc(sub.UpdatedAt)
	rows, err := reqStmt.QueryContext(ctx, false, sub.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var r Request
		var appealOf, mergedInto, eID sql.NullInt64
		var ackDue, acked, extended, verifiedAt, closed, eAt sql.NullTime
		var eKind, eActor, eFrom, eTo, eBody sql.NullString
		if err := rows.Scan(&r.ID, &r.Kind, &appealOf, &r.Right, &r.Jurisdiction, &r.Status, &r.ReceivedAt, &r.DueAt,
			&r.OriginalDueAt, &ackDue, &acked, &extended, &r.ExtensionReason, &verifiedAt, &closed,
			&r.DenialReason, &r.DenialDetail, &mergedInto, &r.CreatedAt, &r.UpdatedAt,
			&eID, &eKind, &eActor, &eFrom, &eTo, &eBody, &eAt); err != nil {
			return nil, err
		}
		if n := len(sub.Requests); n == 0 || sub.Requests[n-1].ID != r.ID {
			r.SubmissionID, r.AppealOfID, r.MergedIntoID = sub.ID, nullInt(appealOf), nullInt(mergedInto)
			r.AckDueAt, r.AcknowledgedAt, r.ExtendedAt = nullTime(ackDue), nullTime(acked), nullTime(extended)
			r.VerifiedAt, r.ClosedAt = nullTime(verifiedAt), nullTime(closed)
			r.ReceivedAt, r.DueAt, r.OriginalDueAt = utc(r.ReceivedAt), utc(r.DueAt), utc(r.OriginalDueAt)
			r.CreatedAt, r.UpdatedAt = utc(r.CreatedAt), utc(r.UpdatedAt)
			sub.Requests = append(sub.Requests, r)
		}
		if eID.Valid {
			last := &sub.Requests[len(sub.Requests)-1]
			last.Events = append(last.Events, Event{ID: eID.Int64, RequestID: last.ID, Kind: eKind.String, ActorKind: eActor.String,
				StatusFrom: eFrom.String, StatusTo: eTo.String, Body: eBody.String, CreatedAt: eAt.Time.UTC()})
		}
	}
	return &sub, rows.Err()
}
