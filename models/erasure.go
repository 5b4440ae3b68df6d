package models

import (
	"context"
	"time"
)

// Files erased with a change (minimisation: a request closed and what the
// person gave only to be verified goes) are deleted in two steps: the
// change marks each document erased and writes its key to blob_erasures
// in its own transaction; right after commit the files are deleted and
// their keys removed. A crash in between leaves keys that housekeeping
// deletes (Documents.SweepErased). The document rows stay, marked erased,
// as the record that a file was there and when it went.

// blobErasure is a stored file still to delete.
type blobErasure struct {
	BlobKey   string `gorm:"primaryKey"`
	CreatedAt time.Time
}

func (blobErasure) TableName() string { return "blob_erasures" }

// eraseDocuments marks the documents of ownerKind among ownerIDs erased
// and queues their files for deletion after commit.
func (t *tx) eraseDocuments(ownerKind string, ownerIDs []int64, actor Actor) error {
	if len(ownerIDs) == 0 {
		return nil
	}
	var docs []Document
	if err := t.Where("owner_kind = ? AND owner_id IN ? AND erased_at IS NULL", ownerKind, ownerIDs).Find(&docs).Error; err != nil {
		return err
	}
	now := t.c.Now()
	for _, d := range docs {
		if err := t.Model(&Document{}).Where("id = ? AND erased_at IS NULL", d.ID).Update("erased_at", now).Error; err != nil {
			return err
		}
		if err := t.Create(&blobErasure{BlobKey: d.BlobKey, CreatedAt: now}).Error; err != nil {
			return err
		}
		if err := t.audit(actor, "document.erase", "document", d.ID, ownerKind); err != nil {
			return err
		}
		t.erased = true
	}
	return nil
}

// sweepErased deletes the files queued for deletion, through the hook
// Documents sets.
func (c *Core) sweepErased() {
	if f := c.erased.Load(); f != nil {
		(*f)()
	}
}

// SweepErased deletes the files of erased documents still in storage;
// each key is removed once its file is gone (a file already gone counts).
func (d *Documents) SweepErased(ctx context.Context) error {
	var keys []blobErasure
	if err := d.c.read(ctx).Order("created_at").Limit(200).Find(&keys).Error; err != nil {
		return err
	}
	for _, k := range keys {
		if err := d.store.Delete(ctx, k.BlobKey); err != nil {
			return err
		}
		if err := d.c.read(ctx).Where("blob_key = ?", k.BlobKey).Delete(&blobErasure{}).Error; err != nil {
			return err
		}
	}
	return nil
}

// sweepNow runs SweepErased after a commit, logging a failure (housekeeping
// tries again).
func (d *Documents) sweepNow() {
	if err := d.SweepErased(context.Background()); err != nil {
		d.c.logger().Error("erased files could not all be deleted yet; housekeeping will retry", "err", err)
	}
}
