package models

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/blob"
	"github.com/rightsdesk/rightsdesk/internal/verify"
	"gorm.io/gorm"
)

// The organization's records, imported from a CSV that staff upload:
// the file is kept encrypted (internal/blob) only until it is imported or
// discarded; each row becomes the keyed, salted hashes of its normalized
// fields (verify.Hash), found by the hash of its e-mail address. No value
// is kept, so the portal never becomes a second copy of the customer
// database. A new import replaces the active one in one statement, under
// a lock on the settings row, so of two imports finishing at once one is
// active after the other, and matching never sees a mix of the two.

// RecordImport is one upload of the organization's records.
type RecordImport struct {
	ID           int64
	Status       string
	BlobKey      string
	Salt         string
	Fields       string // the fields imported, comma-separated
	RowsTotal    int
	RowsAccepted int
	RowsRejected int
	Rejections   string // JSON []RowRejection, the first MaxRejectionsKept
	UploadedBy   *int64
	CreatedAt    time.Time
	ImportedAt   *time.Time
	ReplacedAt   *time.Time
}

// Import statuses.
const (
	ImportUploaded  = "uploaded"  // the file is stored, waiting for its column mapping
	ImportStaging   = "staging"   // its rows are being written
	ImportActive    = "active"    // answers are matched against it
	ImportReplaced  = "replaced"  // a later import took its place; its rows are deleted
	ImportDiscarded = "discarded" // never imported (discarded, failed or left too long)
)

// RowRejection says why a line of the file was not imported, without its values.
type RowRejection struct {
	Line  int    `json:"line"`
	Field string `json:"field,omitempty"`
	Key   string `json:"key"`
}

// Import limits.
const (
	MaxRejectionsKept = 100
	PreviewRows       = 5
	importBatch       = 1000
	// ImportUploadTTL: an uploaded file not imported within it is discarded.
	ImportUploadTTL = time.Hour
)

// RejectionList decodes the rejected lines kept.
func (ri *RecordImport) RejectionList() []RowRejection {
	var out []RowRejection
	_ = json.Unmarshal([]byte(ri.Rejections), &out)
	return out
}

// FieldList is the fields imported.
func (ri *RecordImport) FieldList() []verify.Field {
	var out []verify.Field
	for _, f := range strings.Split(ri.Fields, ",") {
		if f != "" {
			out = append(out, verify.Field(f))
		}
	}
	return out
}

// verificationRecord is one row of the organization's records, hashed.
type verificationRecord struct {
	ID        int64
	ImportID  int64
	EmailHash string
	Fields    string // JSON {field: hash}
}

func (verificationRecord) TableName() string { return "verification_records" }

// Import errors.
var (
	ErrImportState   = &Error{Kind: KindConflict, Key: "error.import.state"}
	ErrImportFile    = &Error{Kind: KindInvalid, Key: "error.import.file", Field: "document"}
	ErrImportMapping = &Error{Kind: KindInvalid, Key: "error.import.email_column", Field: "map_email"}
)

// recordsKey is the key of the records' hashes, derived from the app's.
func (c *Core) recordsKey() []byte {
	m := hmac.New(sha256.New, c.tokenKey)
	m.Write([]byte("verification records"))
	return m.Sum(nil)
}

// UploadRecords stores an uploaded CSV, encrypted, for its column mapping.
func (v *Verifications) UploadRecords(ctx context.Context, r io.Reader, actor Actor) (*RecordImport, error) {
	if r == nil {
		return nil, ErrUploadMissing
	}
	st, err := v.putImport(ctx, r)
	if err != nil {
		return nil, err
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	imp := &RecordImport{Status: ImportUploaded, BlobKey: st.Key, Salt: hex.EncodeToString(salt), Rejections: "[]",
		UploadedBy: actor.StaffID, CreatedAt: v.c.Now()}
	err = v.c.write(ctx, func(tx *tx) error {
		if err := tx.Create(imp).Error; err != nil {
			return err
		}
		return tx.audit(actor, "records.upload", "record_import", imp.ID, "")
	})
	if err != nil {
		v.deleteFile(ctx, st.Key)
		return nil, err
	}
	return imp, nil
}

// putImport stores a CSV through the upload layer (text only, up to the
// import's size limit).
func (v *Verifications) putImport(ctx context.Context, r io.Reader) (*blob.Stored, error) {
	st, err := v.imports.Put(ctx, "record-imports", r)
	var rej *blob.Rejection
	switch {
	case err == nil:
		return st, nil
	case errors.Is(err, blob.ErrType):
		return nil, &Error{Kind: KindInvalid, Key: "error.import.type", Field: "document", Err: err}
	case errors.As(err, &rej):
		e := &Error{Kind: KindInvalid, Key: rej.Key, Field: "document", Err: err}
		if errors.Is(err, blob.ErrTooLarge) {
			e.Args = []any{v.imports.MaxSize >> 20}
		}
		return nil, e
	case errors.Is(err, blob.ErrStorage):
		return nil, &Error{Kind: KindUnavailable, Key: ErrUploadStorage.Key, Field: "document", Err: err}
	}
	return nil, err
}

func (v *Verifications) deleteFile(ctx context.Context, key string) {
	if key == "" {
		return
	}
	if err := v.imports.Delete(context.WithoutCancel(ctx), key); err != nil {
		v.c.logger().Error("an uploaded records file could not be deleted", "err", err)
	}
}

// Import returns one import.
func (v *Verifications) Import(ctx context.Context, id int64) (*RecordImport, error) {
	var imp RecordImport
	err := v.c.read(ctx).Where("id = ?", id).Take(&imp).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	return &imp, err
}

// Imports lists the latest imports, newest first.
func (v *Verifications) Imports(ctx context.Context) ([]RecordImport, error) {
	var out []RecordImport
	err := v.c.read(ctx).Where("status IN ?", []string{ImportActive, ImportReplaced}).Order("id DESC").Limit(10).Find(&out).Error
	return out, err
}

// ActiveImport is the import answers are matched against, nil when none.
func (v *Verifications) ActiveImport(ctx context.Context) (*RecordImport, error) {
	var out []RecordImport
	if err := v.c.read(ctx).Where("status = ?", ImportActive).Limit(1).Find(&out).Error; err != nil || len(out) == 0 {
		return nil, err
	}
	return &out[0], nil
}

// Preview is the head of an uploaded file, to map its columns.
type Preview struct {
	Import *RecordImport
	Header []string
	Rows   [][]string
	// Guess is the column each field is likely in (-1: none), from the
	// header's names; Email the e-mail's.
	Guess map[verify.Field]int
	Email int
}

// Preview reads the header and first rows of an uploaded file.
func (v *Verifications) Preview(ctx context.Context, id int64) (*Preview, error) {
	imp, err := v.Import(ctx, id)
	if err != nil {
		return nil, err
	}
	if imp.Status != ImportUploaded {
		return nil, ErrImportState
	}
	f, err := v.imports.Open(ctx, imp.BlobKey)
	if err != nil {
		return nil, &Error{Kind: KindUnavailable, Key: ErrUploadStorage.Key, Err: err}
	}
	defer f.Close()
	r, header, err := csvReader(f)
	if err != nil {
		return nil, err
	}
	p := &Preview{Import: imp, Header: header, Guess: map[verify.Field]int{}, Email: guessColumn(header, verify.FieldEmail)}
	for _, fl := range verify.Fields() {
		p.Guess[fl] = guessColumn(header, fl)
	}
	for len(p.Rows) < PreviewRows {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			continue // shown as rejected at import
		}
		p.Rows = append(p.Rows, slices.Clone(rec)) // the reader reuses its record
	}
	return p, nil
}

// csvReader reads the header of a CSV: comma-separated, or semicolons
// where the header has no comma (as some spreadsheets write it), with or
// without a byte-order mark.
func csvReader(f io.Reader) (*csv.Reader, []string, error) {
	br := bufio.NewReaderSize(f, 64<<10)
	if b, err := br.Peek(3); err == nil && string(b) == "\ufeff" {
		br.Discard(3)
	}
	line, err := br.Peek(4096)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, nil, ErrImportFile
	}
	first := string(line)
	if i := strings.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	}
	r := csv.NewReader(br)
	if !strings.Contains(first, ",") && strings.Contains(first, ";") {
		r.Comma = ';'
	}
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil || len(header) < 2 {
		return nil, nil, ErrImportFile
	}
	return r, slices.Clone(header), nil
}

// headerNames are what a column of each field is commonly called.
var headerNames = map[verify.Field][]string{
	verify.FieldEmail:         {"email", "e-mail", "email address", "e-mail address", "mail"},
	verify.FieldName:          {"name", "full name", "customer name", "fullname"},
	verify.FieldPhone:         {"phone", "phone number", "telephone", "mobile", "tel"},
	verify.FieldPostalCode:    {"postal code", "postcode", "zip", "zip code", "zipcode", "postal_code"},
	verify.FieldAccountNumber: {"account", "account number", "account no", "customer id", "customer number", "account_number"},
	verify.FieldLastOrderDate: {"last order", "last order date", "last_order_date", "last purchase"},
	verify.FieldCardLast4:     {"card last4", "card last 4", "last4", "last 4", "card_last4", "card last four"},
	verify.FieldDateOfBirth:   {"date of birth", "dob", "birth date", "birthdate", "date_of_birth"},
}

func guessColumn(header []string, f verify.Field) int {
	for i, h := range header {
		h = strings.ToLower(strings.Join(strings.Fields(strings.ReplaceAll(h, "_", " ")), " "))
		if slices.Contains(headerNames[f], h) || h == strings.ReplaceAll(string(f), "_", " ") {
			return i
		}
	}
	return -1
}

// Mapping says which column holds what.
type Mapping struct {
	Email   int                  // the e-mail's column, required
	Columns map[verify.Field]int // -1 or absent: not in the file
	// Region is the country phone numbers without a country code are read in.
	Region string
}

// ImportRecords imports an uploaded file with mapping m: each row is
// normalized and hashed, rows that cannot be read are counted and kept
// (line and reason, no value), and the import then replaces the active
// one at once. The file is deleted whatever happens.
func (v *Verifications) ImportRecords(ctx context.Context, id int64, m Mapping, actor Actor) (*RecordImport, error) {
	c := v.c
	imp, err := v.Import(ctx, id)
	if err != nil {
		return nil, err
	}
	var fields []string
	for _, f := range verify.Fields() {
		if col, ok := m.Columns[f]; ok && col >= 0 {
			if col == m.Email || slices.ContainsFunc(fields, func(o string) bool { return m.Columns[verify.Field(o)] == col }) {
				return nil, invalid("map_"+string(f), "error.import.column_twice")
			}
			fields = append(fields, string(f))
		}
	}
	switch {
	case m.Email < 0:
		return nil, ErrImportMapping
	case len(fields) == 0:
		return nil, invalid("map_"+string(verify.FieldName), "error.import.no_fields")
	}
	if m.Region == "" {
		m.Region = "US"
	}
	// One import of the file: the first to move it out of "uploaded".
	res := c.read(ctx).Model(&RecordImport{}).Where("id = ? AND status = ?", id, ImportUploaded).
		Updates(map[string]any{"status": ImportStaging, "fields": strings.Join(fields, ",")})
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected != 1 {
		return nil, ErrImportState
	}
	defer v.deleteFile(ctx, imp.BlobKey)
	counts, err := v.stage(ctx, imp, m, fields)
	if err == nil {
		err = v.activate(ctx, imp.ID, counts, actor)
	}
	if err != nil {
		if derr := v.discard(context.WithoutCancel(ctx), imp.ID); derr != nil {
			c.logger().Error("a failed import could not be discarded", "err", derr)
		}
		return nil, err
	}
	if err := v.purgeRecords(ctx); err != nil {
		c.logger().Error("the records of a replaced import could not all be deleted yet", "err", err)
	}
	return v.Import(ctx, imp.ID)
}

// importCounts are what staging found.
type importCounts struct {
	total, accepted, rejected int
	rejections                []RowRejection
}

// stage reads the file and writes its rows, hashed, in batches.
func (v *Verifications) stage(ctx context.Context, imp *RecordImport, m Mapping, fields []string) (importCounts, error) {
	c := v.c
	var n importCounts
	f, err := v.imports.Open(ctx, imp.BlobKey)
	if err != nil {
		return n, &Error{Kind: KindUnavailable, Key: ErrUploadStorage.Key, Err: err}
	}
	defer f.Close()
	r, header, err := csvReader(f)
	if err != nil {
		return n, err
	}
	cols := map[verify.Field]int{}
	for _, fl := range fields {
		if col := m.Columns[verify.Field(fl)]; col < len(header) {
			cols[verify.Field(fl)] = col
		}
	}
	if m.Email >= len(header) {
		return n, ErrImportMapping
	}
	key := c.recordsKey()
	salt, err := hex.DecodeString(imp.Salt)
	if err != nil {
		return n, err
	}
	now := c.Now()
	reject := func(line int, field, k string) {
		n.rejected++
		if len(n.rejections) < MaxRejectionsKept {
			n.rejections = append(n.rejections, RowRejection{Line: line, Field: field, Key: k})
		}
	}
	batch := make([]verificationRecord, 0, importBatch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := c.write(ctx, func(tx *tx) error { return tx.Create(&batch).Error })
		batch = batch[:0]
		return err
	}
	hashes := map[string]string{}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		n.total++
		line, _ := r.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return n, ErrImportFile
			}
			reject(pe.Line, "", "error.import.row")
			continue
		}
		if m.Email >= len(rec) {
			reject(line, string(verify.FieldEmail), "error.import.email")
			continue
		}
		email, _ := verify.Normalize(verify.FieldEmail, rec[m.Email], "", now)
		if !ValidEmail(email) {
			reject(line, string(verify.FieldEmail), "error.import.email")
			continue
		}
		clear(hashes)
		bad := false
		for fl, col := range cols {
			if col >= len(rec) {
				continue
			}
			val, err := verify.Normalize(fl, rec[col], m.Region, now)
			var inv *verify.Invalid
			if errors.As(err, &inv) {
				reject(line, string(fl), inv.Key)
				bad = true
				break
			}
			if val != "" {
				hashes[string(fl)] = verify.Hash(key, salt, fl, val)
			}
		}
		if bad {
			continue
		}
		if len(hashes) == 0 {
			reject(line, "", "error.import.empty")
			continue
		}
		js, err := json.Marshal(hashes)
		if err != nil {
			return n, err
		}
		batch = append(batch, verificationRecord{ImportID: imp.ID, EmailHash: verify.Hash(key, salt, verify.FieldEmail, email), Fields: string(js)})
		n.accepted++
		if len(batch) == importBatch {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	return n, flush()
}

// activate makes a staged import the active one, in one transaction that
// holds the settings row: the one active before is replaced.
func (v *Verifications) activate(ctx context.Context, id int64, n importCounts, actor Actor) error {
	c := v.c
	rej, err := json.Marshal(n.rejections)
	if err != nil {
		return err
	}
	if n.rejections == nil {
		rej = []byte("[]")
	}
	return c.write(ctx, func(tx *tx) error {
		var s VerificationSettings
		if err := tx.forUpdate().Where("id = 1").Take(&s).Error; err != nil {
			return err
		}
		now := c.Now()
		if err := tx.Model(&RecordImport{}).Where("status = ?", ImportActive).
			Updates(map[string]any{"status": ImportReplaced, "replaced_at": now}).Error; err != nil {
			return err
		}
		res := tx.Model(&RecordImport{}).Where("id = ? AND status = ?", id, ImportStaging).
			Updates(map[string]any{"status": ImportActive, "imported_at": now, "blob_key": "", "rows_total": n.total,
				"rows_accepted": n.accepted, "rows_rejected": n.rejected, "rejections": string(rej)})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrImportState
		}
		if s.RecordsSource == RecordsNone {
			// The first import is where answers are matched from now on.
			if err := tx.Model(&VerificationSettings{}).Where("id = 1").
				Updates(map[string]any{"records_source": RecordsImport, "version": gorm.Expr("version + 1")}).Error; err != nil {
				return err
			}
		}
		return tx.audit(actor, "records.import", "record_import", id, strings.Join([]string{"accepted=" + itoa(int64(n.accepted)),
			"rejected=" + itoa(int64(n.rejected))}, " "))
	})
}

// discard gives up an import that did not become active: its rows go.
func (v *Verifications) discard(ctx context.Context, id int64) error {
	err := v.c.read(ctx).Model(&RecordImport{}).Where("id = ? AND status IN ?", id, []string{ImportUploaded, ImportStaging}).
		Updates(map[string]any{"status": ImportDiscarded, "blob_key": ""}).Error
	if err != nil {
		return err
	}
	return v.purgeRecords(ctx)
}

// DiscardUpload gives up an uploaded file without importing it.
func (v *Verifications) DiscardUpload(ctx context.Context, id int64, actor Actor) error {
	imp, err := v.Import(ctx, id)
	if err != nil {
		return err
	}
	if imp.Status != ImportUploaded {
		return ErrImportState
	}
	if err := v.discard(ctx, id); err != nil {
		return err
	}
	v.deleteFile(ctx, imp.BlobKey)
	return v.c.write(ctx, func(tx *tx) error { return tx.audit(actor, "records.discard", "record_import", id, "") })
}

// purgeRecords deletes the rows of imports that are no longer active, a
// few thousand at a time so that no one statement holds the database long.
func (v *Verifications) purgeRecords(ctx context.Context) error {
	for {
		res := v.c.read(ctx).Exec(`DELETE FROM verification_records WHERE id IN (
			SELECT id FROM verification_records WHERE import_id IN (
				SELECT id FROM record_imports WHERE status IN ('replaced', 'discarded')) LIMIT 5000)`)
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
	}
}

// Housekeep discards uploads left unmapped for ImportUploadTTL, and
// finishes deleting the rows of replaced imports and the files of erased
// documents (what a crash may have left).
func (v *Verifications) Housekeep(ctx context.Context) error {
	var stale []RecordImport
	if err := v.c.read(ctx).Where("status = ? AND created_at < ?", ImportUploaded, v.c.Now().Add(-ImportUploadTTL)).
		Find(&stale).Error; err != nil {
		return err
	}
	var errs []error
	for _, imp := range stale {
		errs = append(errs, v.discard(ctx, imp.ID))
		v.deleteFile(ctx, imp.BlobKey)
	}
	// A staging import whose process died.
	errs = append(errs, v.c.read(ctx).Model(&RecordImport{}).
		Where("status = ? AND created_at < ?", ImportStaging, v.c.Now().Add(-24*time.Hour)).
		Update("status", ImportDiscarded).Error)
	errs = append(errs, v.purgeRecords(ctx), v.docs.SweepErased(ctx))
	return errors.Join(errs...)
}

// matchImport compares normalized answers with the active import's record
// of email: the names of the fields that matched (the best of several
// records with that address), and whether any record was found. ok is
// false when no import is active.
func (c *Core) matchImport(ctx context.Context, email string, answers map[verify.Field]string) (matched []verify.Field, ok bool, err error) {
	for range 2 { // once more if an import replaced the one read
		var imps []RecordImport
		if err := c.read(ctx).Select("id, salt").Where("status = ?", ImportActive).Limit(1).Find(&imps).Error; err != nil {
			return nil, false, err
		}
		if len(imps) == 0 {
			return nil, false, nil
		}
		imp := imps[0]
		salt, err := hex.DecodeString(imp.Salt)
		if err != nil {
			return nil, false, err
		}
		key := c.recordsKey()
		e, _ := verify.Normalize(verify.FieldEmail, email, "", time.Time{})
		var recs []verificationRecord
		err = c.read(ctx).Table("verification_records").Select("verification_records.fields").
			Joins("JOIN record_imports ON record_imports.id = verification_records.import_id").
			Where("record_imports.id = ? AND record_imports.status = ? AND verification_records.email_hash = ?",
				imp.ID, ImportActive, verify.Hash(key, salt, verify.FieldEmail, e)).
			Limit(20).Find(&recs).Error
		if err != nil {
			return nil, false, err
		}
		var still int64
		if len(recs) == 0 {
			// Found nothing: make sure the import was still the active one.
			if err := c.read(ctx).Model(&RecordImport{}).Where("id = ? AND status = ?", imp.ID, ImportActive).Count(&still).Error; err != nil {
				return nil, false, err
			}
			if still == 0 {
				continue
			}
			return nil, true, nil
		}
		for _, rec := range recs {
			var hashes map[string]string
			if err := json.Unmarshal([]byte(rec.Fields), &hashes); err != nil {
				return nil, false, err
			}
			var m []verify.Field
			for _, f := range verify.Fields() { // every field compared, in constant time, whatever matched before
				a, asked := answers[f]
				h, held := hashes[string(f)]
				if asked && held && verify.Equal(h, verify.Hash(key, salt, f, a)) {
					m = append(m, f)
				}
			}
			if len(m) > len(matched) {
				matched = m
			}
		}
		return matched, true, nil
	}
	return nil, true, nil
}
