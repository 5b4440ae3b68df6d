package models

import (
	"context"
	"errors"
	"strconv"

	"gorm.io/gorm"
)

// Assignment: each open request (of any kind) is held by at most one
// member of staff, who works requests (CanWork) and whose account is
// active. The rule lives in the database, both ways:
//
//   - Assign sets an assignee by an UPDATE whose WHERE re-checks the
//     member, share-locking their row on PostgreSQL, so that a concurrent
//     deactivation or change of role either waits for the assignment to
//     commit (and then undoes it) or is seen by it (and the assignment is
//     refused);
//   - a trigger on staff (migration 00013) unassigns a member's open
//     requests in the statement that deactivates them or gives them a role
//     that does not work requests, whichever code path does it
//     (StaffAccounts.Deactivate, SetRole), each unassignment on the
//     request's timeline.
//
// Closed requests keep their assignee, as the record of who handled them.

// workingRolesSQL are the roles CanWork allows, as an SQL list; the
// trigger of 00013_assignment.sql spells out the same list.
const workingRolesSQL = "('admin', 'officer', 'reviewer')"

// Assignment errors.
var (
	ErrAssigneeInvalid = &Error{Kind: KindInvalid, Key: "error.assignee.invalid", Field: "assignee"}
	ErrAssignClosed    = &Error{Kind: KindConflict, Key: "error.assign.closed", Field: "assignee"}
)

// Assign gives request id to the member assigneeID, or to nobody (0). The
// change is on the request's timeline (internal) and in the audit log, and
// the member gets a mail, unless they assigned it to themselves. Assigning
// a request to whoever holds it already changes nothing.
func (rs *Requests) Assign(ctx context.Context, id, assigneeID int64, actor Actor) error {
	if assigneeID < 0 {
		return ErrAssigneeInvalid
	}
	c := rs.c
	return c.write(ctx, func(tx *tx) error {
		// The member first, then the request: a deactivation locks the
		// member's row, then their requests (through the trigger), so
		// taking them in the same order cannot deadlock with it.
		var to Staff
		if assigneeID != 0 {
			err := tx.Raw("SELECT id, name, email FROM staff WHERE id = ? AND disabled_at IS NULL AND role IN "+workingRolesSQL+tx.forShare(),
				assigneeID).Take(&to).Error
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrAssigneeInvalid
			}
			if err != nil {
				return err
			}
		}
		r, err := tx.lockRequest(id)
		if err != nil {
			return err
		}
		if r.Closed() {
			return ErrAssignClosed
		}
		if r.AssigneeID == nil && assigneeID == 0 || r.AssigneeID != nil && *r.AssigneeID == assigneeID {
			return nil
		}
		now := c.Now()
		if assigneeID == 0 {
			var from Staff
			if err := tx.Select("name").Where("id = ?", *r.AssigneeID).Take(&from).Error; err != nil {
				return err
			}
			if err := tx.Model(&Request{}).Where("id = ?", r.ID).Updates(map[string]any{"assignee_id": nil, "updated_at": now}).Error; err != nil {
				return err
			}
			if err := tx.event(r.ID, EventUnassigned, actor, "", "", from.Name, true); err != nil {
				return err
			}
			return tx.audit(actor, "request.unassign", "request", r.ID, "")
		}
		res := tx.Exec("UPDATE requests SET assignee_id = ?, updated_at = ? WHERE id = ? AND status IN "+openStatusSQL+
			" AND EXISTS (SELECT 1 FROM staff WHERE staff.id = ? AND staff.disabled_at IS NULL AND staff.role IN "+workingRolesSQL+tx.forShare()+")",
			assigneeID, now, r.ID, assigneeID)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrAssigneeInvalid
		}
		if err := tx.event(r.ID, EventAssigned, actor, "", "", to.Name, true); err != nil {
			return err
		}
		if actor.StaffID == nil || *actor.StaffID != assigneeID {
			var ref string
			if err := tx.Model(&Submission{}).Where("id = ?", r.SubmissionID).Pluck("reference", &ref).Error; err != nil {
				return err
			}
			// The reference and the staff link only: no one's personal data.
			if err := tx.enqueue(to.Email, MailStaffAssigned, "en", MailData{Name: to.Name, Reference: ref,
				URL: c.BaseURL + "/admin/requests/" + strconv.FormatInt(r.ID, 10), Extra: kindExtra(r.Kind)}); err != nil {
				return err
			}
		}
		return tx.audit(actor, "request.assign", "request", r.ID, "staff="+itoa(assigneeID))
	})
}

// forShare share-locks the rows a subquery reads until the transaction
// ends (PostgreSQL; SQLite's write lock already covers the database).
func (t *tx) forShare() string {
	if IsPostgres(t.DB) {
		return " FOR SHARE"
	}
	return ""
}
