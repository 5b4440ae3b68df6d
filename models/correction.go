package models

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
)

// CorrectionItem is one thing a person asks to correct: which information,
// what it says now and what it should say; and staff's decision on it,
// corrected or not, with the reason.
type CorrectionItem struct {
	ID          int64
	RequestID   int64
	Item        string
	Wrong       string
	Correct     string
	AddedByKind string
	CreatedAt   time.Time
	Decision    string // "", CorrectionDone or CorrectionRefused
	Reason      string
	DecidedBy   *int64
	DecidedAt   *time.Time
}

func (CorrectionItem) TableName() string { return "correction_items" }

// Decisions on an item.
const (
	CorrectionDone    = "corrected"
	CorrectionRefused = "not_corrected"
)

// MaxCorrectionItems bounds the items of one request.
const MaxCorrectionItems = 50

// Correction errors.
var (
	ErrNotCorrection   = &Error{Kind: KindConflict, Key: "error.correction.not_correction", Field: "item"}
	ErrCorrectionFull  = &Error{Kind: KindConflict, Key: "error.correction.full", Field: "item"}
	ErrCorrectionState = &Error{Kind: KindConflict, Key: "error.correction.closed", Field: "item"}
)

// Corrections is the aggregate of items to correct.
type Corrections struct{ c *Core }

// NewCorrections returns the corrections aggregate.
func NewCorrections(c *Core) *Corrections { return &Corrections{c: c} }

// Add records an item the person (from their tracking page) wants
// corrected, while their correction request is open.
func (cs *Corrections) Add(ctx context.Context, token string, requestID int64, item, wrong, correct string, actor Actor) error {
	sub, err := cs.c.byTrackingToken(ctx, token)
	if err != nil {
		return err
	}
	if sub.request(requestID) == nil {
		return ErrNotFound
	}
	v := &ValidationError{}
	item = text(v, "item", item, OneLine, true, 200)
	wrong = text(v, "wrong", wrong, MultiLine, true, 1000)
	correct = text(v, "correct", correct, MultiLine, true, 1000)
	if err := v.Err(); err != nil {
		return err
	}
	c := cs.c
	return c.write(ctx, func(tx *tx) error {
		r, err := tx.lockRequest(requestID)
		if err != nil {
			return err
		}
		if r.Kind != KindRequest || r.Right != "correct" {
			return ErrNotCorrection
		}
		if r.Closed() {
			return ErrCorrectionState
		}
		var n int64
		if err := tx.Model(&CorrectionItem{}).Where("request_id = ?", r.ID).Count(&n).Error; err != nil {
			return err
		}
		if n >= MaxCorrectionItems {
			return ErrCorrectionFull
		}
		ci := &CorrectionItem{RequestID: r.ID, Item: item, Wrong: wrong, Correct: correct, AddedByKind: actor.Kind, CreatedAt: c.Now()}
		if err := tx.Create(ci).Error; err != nil {
			return err
		}
		if err := tx.event(r.ID, EventCorrection, actor, "", "", item, false); err != nil {
			return err
		}
		return tx.audit(actor, "correction.add", "correction_item", ci.ID, "")
	})
}

// Decide records staff's decision on one item: corrected, or not (with
// the reason, which the person sees). It may change until the request
// closes.
func (cs *Corrections) Decide(ctx context.Context, id int64, decision, reason string, actor Actor) error {
	if _, err := cs.Get(ctx, id); err != nil {
		return err
	}
	v := &ValidationError{}
	reason = text(v, "decision_reason", reason, MultiLine, false, MaxNote)
	switch {
	case decision != CorrectionDone && decision != CorrectionRefused:
		v.Add("decision", "error.correction_decision.required")
	case decision == CorrectionRefused && reason == "":
		v.Add("decision_reason", "error.decision_reason.required")
	}
	if err := v.Err(); err != nil {
		return err
	}
	c := cs.c
	return c.write(ctx, func(tx *tx) error {
		var ci CorrectionItem
		err := tx.Where("id = ?", id).Take(&ci).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		r, err := tx.lockRequest(ci.RequestID)
		if err != nil {
			return err
		}
		if r.Closed() {
			return ErrCorrectionState
		}
		now := c.Now()
		if err := tx.Model(&CorrectionItem{}).Where("id = ?", id).Updates(map[string]any{"decision": decision, "reason": reason,
			"decided_by": actor.StaffID, "decided_at": now}).Error; err != nil {
			return err
		}
		return tx.audit(actor, "correction."+decision, "correction_item", id, "")
	})
}

// ForRequest lists a request's items, oldest first.
func (cs *Corrections) ForRequest(ctx context.Context, requestID int64) ([]CorrectionItem, error) {
	var out []CorrectionItem
	err := cs.c.read(ctx).Where("request_id = ?", requestID).Order("id").Find(&out).Error
	return out, err
}

// ForRequests lists the items of several requests, by request.
func (cs *Corrections) ForRequests(ctx context.Context, ids []int64) (map[int64][]CorrectionItem, error) {
	out := map[int64][]CorrectionItem{}
	if len(ids) == 0 {
		return out, nil
	}
	var list []CorrectionItem
	if err := cs.c.read(ctx).Where("request_id IN ?", ids).Order("id").Find(&list).Error; err != nil {
		return nil, err
	}
	for _, ci := range list {
		out[ci.RequestID] = append(out[ci.RequestID], ci)
	}
	return out, nil
}

// Get returns one item.
func (cs *Corrections) Get(ctx context.Context, id int64) (*CorrectionItem, error) {
	if id <= 0 {
		return nil, ErrNotFound
	}
	var ci CorrectionItem
	err := cs.c.read(ctx).Where("id = ?", id).Take(&ci).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	return &ci, err
}

// Request returns one of the submission's requests, or nil.
func (sub *Submission) Request(id int64) *Request { return sub.request(id) }
