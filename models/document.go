package models

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"github.com/rightsdesk/rightsdesk/internal/blob"
	"gorm.io/gorm"
)

// Document is a stored file (internal/blob keeps its content, encrypted):
// what it belongs to (an owner kind and id), where it is, how it was
// checked, and who uploaded it. The product's one model of uploads: agent
// designations today, identity documents and message attachments later.
type Document struct {
	ID             int64
	OwnerKind      string
	OwnerID        int64
	BlobKey        string
	KeyID          string
	ContentType    string
	Size           int64
	SHA256         string `gorm:"column:sha256"`
	UploadedByKind string
	UploadedByID   *int64
	Name           string // as the uploader gave it, cleaned; "" = none
	CreatedAt      time.Time
	ErasedAt       *time.Time
}

// Owner kinds of documents.
const (
	OwnerAgentFiling   = "agent_filing"   // an agent's signed designation or power of attorney
	OwnerIdentityCheck = "identity_check" // a document a person gave to be verified (erased when the request closes)
	OwnerMessage       = "message"        // an attachment to a message of the thread
	OwnerTaskResult    = "task_result"    // what a data system returned for an access request
	OwnerRequestFile   = "request_file"   // a file staff attached for the person's package
)

// IsPDF reports whether the document is a PDF (else an image).
func (d *Document) IsPDF() bool { return d.ContentType == blob.PDF }

// Upload errors, each shown next to the file field.
var (
	ErrUploadMissing = &Error{Kind: KindInvalid, Key: "error.upload.missing", Field: "document"}
	// ErrUploadStorage: the storage failed (full, unreachable); nothing
	// was kept and the person may try again.
	ErrUploadStorage = &Error{Kind: KindUnavailable, Key: "error.upload.storage", Field: "document"}
)

// Documents is the aggregate of stored files: every view and download is
// audited, and the content is only given to whoever may see it.
type Documents struct {
	c     *Core
	store *blob.Store
}

// NewDocuments returns the documents aggregate over store.
func NewDocuments(c *Core, store *blob.Store) *Documents {
	d := &Documents{c: c, store: store}
	f := d.sweepNow
	c.erased.Store(&f)
	return d
}

// MaxSize is the largest file accepted, in bytes.
func (d *Documents) MaxSize() int64 { return d.store.MaxSize }

// put checks and stores r's content under prefix, or says in the domain's
// words why not. Nothing is left in storage on failure.
func (d *Documents) put(ctx context.Context, prefix string, r io.Reader) (*blob.Stored, error) {
	return d.putAs(ctx, prefix, r, d.store.Types)
}

// putAs is put accepting the content types given.
func (d *Documents) putAs(ctx context.Context, prefix string, r io.Reader, types []string) (*blob.Stored, error) {
	st, err := d.store.PutAs(ctx, prefix, r, types)
	var rej *blob.Rejection
	switch {
	case err == nil:
		return st, nil
	case errors.As(err, &rej):
		e := &Error{Kind: KindInvalid, Key: rej.Key, Field: "document", Err: err}
		if errors.Is(err, blob.ErrType) && len(types) != len(d.store.Types) {
			e.Key = "error.upload.type_staff" // staff may attach more kinds of file
		}
		if errors.Is(err, blob.ErrTooLarge) {
			e.Args = []any{d.store.MaxSize >> 20}
		}
		return nil, e
	case errors.Is(err, blob.ErrStorage):
		return nil, &Error{Kind: ErrUploadStorage.Kind, Key: ErrUploadStorage.Key, Field: "document", Err: err}
	}
	return nil, err
}

// discard deletes a stored file whose row was never written (the
// transaction that was to record it failed).
func (d *Documents) discard(ctx context.Context, st *blob.Stored) {
	if err := d.store.Delete(context.WithoutCancel(ctx), st.Key); err != nil {
		d.c.logger().Error("an uploaded file could not be removed after its record failed", "err", err)
	}
}

// insertDocument records a stored file in tx, under name (cleaned).
func (t *tx) insertDocument(st *blob.Stored, ownerKind string, ownerID int64, by Actor, name string) (*Document, error) {
	doc := &Document{OwnerKind: ownerKind, OwnerID: ownerID, BlobKey: st.Key, KeyID: st.KeyID, ContentType: st.ContentType,
		Size: st.Size, SHA256: st.SHA256, UploadedByKind: by.Kind, Name: FileName(name, st.ContentType), CreatedAt: t.c.Now()}
	switch {
	case by.AgentID != nil:
		doc.UploadedByID = by.AgentID
	case by.StaffID != nil:
		doc.UploadedByID = by.StaffID
	}
	if err := t.Create(doc).Error; err != nil {
		return nil, err
	}
	return doc, t.audit(by, "document.upload", "document", doc.ID, ownerKind+" "+st.ContentType)
}

// ErrDocumentErased: the file was erased (retention) and is gone.
var ErrDocumentErased = &Error{Kind: KindGone, Key: "error.document.erased"}

// Open returns a document and its decrypted content, streamed, for viewer,
// after recording the access in the audit trail (action "document.view"
// or "document.download"). Staff may open any document; an agent only
// those of their own filings; nobody else any.
func (d *Documents) Open(ctx context.Context, id int64, viewer Actor, download bool) (*Document, io.ReadCloser, error) {
	if id <= 0 {
		return nil, nil, ErrNotFound
	}
	var doc Document
	err := d.c.read(ctx).Where("id = ?", id).Take(&doc).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, err
	}
	switch {
	case viewer.Kind == "staff" && viewer.StaffID != nil:
	case viewer.Kind == "agent" && viewer.AgentID != nil && doc.OwnerKind == OwnerAgentFiling:
		var n int64
		if err := d.c.read(ctx).Model(&AgentFiling{}).Where("id = ? AND agent_id = ?", doc.OwnerID, *viewer.AgentID).
			Count(&n).Error; err != nil {
			return nil, nil, err
		}
		if n == 0 {
			return nil, nil, ErrNotFound // another agent's: not even its existence is told
		}
	case viewer.Kind == "agent" && viewer.AgentID != nil && doc.OwnerKind == OwnerMessage:
		// An attachment in the thread of a request the agent filed.
		var n int64
		if err := d.c.read(ctx).Table("messages").
			Joins("JOIN requests ON requests.id = messages.request_id").
			Joins("JOIN agent_filings ON agent_filings.submission_id = requests.submission_id").
			Where("messages.id = ? AND agent_filings.agent_id = ?", doc.OwnerID, *viewer.AgentID).Count(&n).Error; err != nil {
			return nil, nil, err
		}
		if n == 0 {
			return nil, nil, ErrNotFound
		}
	default:
		return nil, nil, ErrNotFound
	}
	return d.stream(ctx, &doc, viewer, download)
}

// stream records the access to doc in the audit trail and opens its
// content.
func (d *Documents) stream(ctx context.Context, doc *Document, viewer Actor, download bool) (*Document, io.ReadCloser, error) {
	if doc.ErasedAt != nil {
		return nil, nil, ErrDocumentErased
	}
	action := "document.view"
	if download {
		action = "document.download"
	}
	if err := d.c.write(ctx, func(tx *tx) error { return tx.audit(viewer, action, "document", doc.ID, "") }); err != nil {
		return nil, nil, err
	}
	r, err := d.store.Open(ctx, doc.BlobKey)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, ErrDocumentErased
	}
	if err != nil {
		return nil, nil, &Error{Kind: KindUnavailable, Key: ErrUploadStorage.Key, Err: err}
	}
	return doc, r, nil
}

// ForOwner lists the documents of one owner, oldest first.
func (d *Documents) ForOwner(ctx context.Context, ownerKind string, ownerID int64) ([]Document, error) {
	var out []Document
	err := d.c.read(ctx).Where("owner_kind = ? AND owner_id = ?", ownerKind, ownerID).Order("id").Find(&out).Error
	return out, err
}

// Erase deletes a document's content for good (retention, or a file that
// should never have been kept); its record stays, marked erased.
func (d *Documents) Erase(ctx context.Context, id int64, actor Actor) error {
	var doc Document
	if err := d.c.read(ctx).Where("id = ? AND erased_at IS NULL", id).Take(&doc).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrNotFound
		}
		return err
	}
	if err := d.store.Delete(ctx, doc.BlobKey); err != nil {
		return &Error{Kind: KindUnavailable, Key: ErrUploadStorage.Key, Err: err}
	}
	return d.c.write(ctx, func(tx *tx) error {
		if err := tx.Model(&Document{}).Where("id = ? AND erased_at IS NULL", id).Update("erased_at", tx.c.Now()).Error; err != nil {
			return err
		}
		return tx.audit(actor, "document.erase", "document", id, "")
	})
}

// FileName cleans a name an uploader gave a file into one safe in a ZIP,
// a Content-Disposition header and a page: letters, digits, dots, dashes,
// underscores and spaces, at most 100 characters, with the extension its
// content type calls for.
func FileName(name, contentType string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	var b strings.Builder
	for _, r := range name {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '-' || r == '_' || r == ' ':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	name = strings.Trim(b.String(), " ._")
	if ext := extensionOf(contentType); ext != "" {
		if !strings.HasSuffix(strings.ToLower(name), ext) {
			name = strings.TrimSuffix(name, filepath.Ext(name)) + ext
		}
	}
	if r := []rune(name); len(r) > 100 {
		name = string(r[len(r)-100:])
	}
	if strings.Trim(name, " ._") == "" || strings.HasPrefix(name, ".") {
		name = "file" + extensionOf(contentType)
	}
	return name
}

func extensionOf(contentType string) string {
	switch contentType {
	case blob.PDF:
		return ".pdf"
	case blob.PNG:
		return ".png"
	case blob.JPEG:
		return ".jpg"
	case blob.CSV:
		return ".csv"
	case blob.JSON:
		return ".json"
	case blob.Text:
		return ".txt"
	case blob.ZIP:
		return ".zip"
	}
	return ""
}

// Get returns a document's record (not its content).
func (d *Documents) Get(ctx context.Context, id int64) (*Document, error) {
	if id <= 0 {
		return nil, ErrNotFound
	}
	var doc Document
	err := d.c.read(ctx).Where("id = ?", id).Take(&doc).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	return &doc, err
}
