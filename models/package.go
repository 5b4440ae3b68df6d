package models

import (
	"archive/zip"
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/blob"
	"gorm.io/gorm"
)

// Package is one copy of a person's data for an access or portability
// request: a ZIP the app assembled from what the systems returned (a JSON
// and a CSV file per system, rule 13) and the files staff attached, with a
// README in plain words. It is stored encrypted, downloaded from the
// tracking page with a fresh e-mailed code until it expires, then erased.
type Package struct {
	ID        int64
	RequestID int64
	BlobKey   string
	KeyID     string
	Size      int64
	SHA256    string `gorm:"column:sha256"`
	Files     int
	CreatedBy *int64
	CreatedAt time.Time
	ExpiresAt time.Time
	ErasedAt  *time.Time
	Downloads int
}

// Live reports whether the package may still be downloaded at now.
func (p *Package) Live(now time.Time) bool { return p.ErasedAt == nil && now.Before(p.ExpiresAt) }

// PackageCode is an e-mailed download code (stored hashed).
type PackageCode struct {
	ID        int64
	PackageID int64
	CodeHash  string
	Attempts  int
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// PackageDownload is one download of a package.
type PackageDownload struct {
	ID        int64
	PackageID int64
	ActorKind string
	StaffID   *int64
	At        time.Time
}

// DefaultPackageTTL is how long a package may be downloaded unless
// configured otherwise (RIGHTSDESK_PACKAGE_DAYS).
const DefaultPackageTTL = 14 * 24 * time.Hour

// Package errors.
var (
	ErrPackageRight   = &Error{Kind: KindConflict, Key: "error.package.right", Field: "package"}
	ErrPackageEmpty   = &Error{Kind: KindConflict, Key: "error.package.empty", Field: "package"}
	ErrPackageState   = &Error{Kind: KindConflict, Key: "error.package.state", Field: "package"}
	ErrPackageExpired = &Error{Kind: KindGone, Key: "error.package.expired", Field: "code"}
)

// ErrFileMissing: no file was chosen.
var ErrFileMissing = &Error{Kind: KindInvalid, Key: "error.file.missing", Field: "file"}

// packageCodeLimit bounds the codes mailed for one package.
var packageCodeLimit = Limit{Name: "package-code", Max: 5, Window: time.Hour}

// ReadmeInput is what a package's README says: written by the portal's
// templates (templates/email), in the person's language.
type ReadmeInput struct {
	Lang      string
	Reference string
	Right     string
	Created   time.Time
	Expires   time.Time
	Systems   []ReadmeSystem
	Files     []string // files staff attached, as named in the package
}

// ReadmeSystem is one system's part of a package.
type ReadmeSystem struct {
	Name    string
	Status  string // the task's status
	Records int
	Files   []string // its JSON and CSV files, when it returned records
}

// Packages is the aggregate of data packages.
type Packages struct {
	c    *Core
	docs *Documents
	// Readme writes a package's README (set by the web layer, from the
	// message catalog).
	Readme func(in ReadmeInput) string
}

// NewPackages returns the packages aggregate over docs' storage.
func NewPackages(c *Core, docs *Documents) *Packages { return &Packages{c: c, docs: docs} }

func (ps *Packages) ttl() time.Duration {
	if ps.c.PackageTTL > 0 {
		return ps.c.PackageTTL
	}
	return DefaultPackageTTL
}

// packaged reports whether r is a request a package answers.
func packaged(r *Request) bool { return r.Kind == KindRequest && takesRecords(r.Right) }

// packing reports whether a package may be made or changed for r now:
// while it is worked on, and once completed.
func packing(r *Request) bool { return !r.Closed() || r.Status == StatusCompleted }

// Attach stores a file staff attach for the person's package (a system's
// export, a letter), through the upload layer.
func (ps *Packages) Attach(ctx context.Context, requestID int64, file Attachment, actor Actor) (*Document, error) {
	if file.R == nil {
		return nil, ErrFileMissing
	}
	var r Request
	if err := ps.c.read(ctx).Where("id = ?", requestID).Take(&r).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	if !packaged(&r) {
		return nil, ErrPackageRight
	}
	stored, err := ps.docs.putAs(ctx, "request-files", file.R, StaffTypes)
	if err != nil {
		return nil, err
	}
	var doc *Document
	err = ps.c.write(ctx, func(tx *tx) error {
		r, err := tx.lockRequest(requestID)
		if err != nil {
			return err
		}
		if !packing(r) {
			return ErrPackageState
		}
		doc, err = tx.insertDocument(stored, OwnerRequestFile, r.ID, actor, file.Name)
		return err
	})
	if err != nil {
		ps.docs.discard(ctx, stored)
		return nil, err
	}
	return doc, nil
}

// Files lists the files staff attached to a request (not erased).
func (ps *Packages) Files(ctx context.Context, requestID int64) ([]Document, error) {
	var out []Document
	err := ps.c.read(ctx).Where("owner_kind = ? AND owner_id = ? AND erased_at IS NULL", OwnerRequestFile, requestID).
		Order("id").Find(&out).Error
	return out, err
}

// RemoveFile erases a file staff attached to a request.
func (ps *Packages) RemoveFile(ctx context.Context, requestID, docID int64, actor Actor) error {
	var n int64
	if err := ps.c.read(ctx).Model(&Document{}).Where("id = ? AND owner_kind = ? AND owner_id = ?", docID, OwnerRequestFile, requestID).
		Count(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return ps.docs.Erase(ctx, docID, actor)
}

// piece is one thing that goes into a package.
type piece struct {
	task *TaskView // a system's answer, with its records
	doc  Document  // its records, or a file staff attached
	name string    // a file staff attached: its name in the package
}

// Publish assembles the package of a request from what its systems
// returned and the files staff attached, stores it encrypted (streamed:
// no file is ever held whole in memory), and tells the person it is ready
// on their tracking page. A newer package replaces the one before.
func (ps *Packages) Publish(ctx context.Context, requestID int64, actor Actor) (*Package, error) {
	c := ps.c
	db := c.read(ctx)
	var r Request
	if err := db.Where("id = ?", requestID).Take(&r).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	if !packaged(&r) {
		return nil, ErrPackageRight
	}
	if !packing(&r) {
		return nil, ErrPackageState
	}
	var sub Submission
	if err := db.Where("id = ?", r.SubmissionID).Take(&sub).Error; err != nil {
		return nil, err
	}
	tasks, err := NewTasks(c, ps.docs).ForRequest(ctx, requestID)
	if err != nil {
		return nil, err
	}
	files, err := ps.Files(ctx, requestID)
	if err != nil {
		return nil, err
	}
	var pieces []piece
	for i := range tasks {
		if t := &tasks[i]; t.Result != nil && t.Result.ErasedAt == nil && t.Status == TaskDone {
			pieces = append(pieces, piece{task: t, doc: *t.Result})
		}
	}
	taken := map[string]bool{"README.txt": true}
	for _, f := range files {
		name := uniqueName(taken, "files/"+f.Name)
		pieces = append(pieces, piece{doc: f, name: name})
	}
	if len(pieces) == 0 {
		return nil, ErrPackageEmpty
	}
	if ps.Readme == nil {
		return nil, errors.New("packages: no README writer")
	}
	now := c.Now()
	expires := now.Add(ps.ttl())
	w, err := ps.docs.store.NewWriter(ctx, "packages", blob.ZIP, 0)
	if err != nil {
		return nil, &Error{Kind: KindUnavailable, Key: ErrUploadStorage.Key, Err: err}
	}
	count, err := ps.build(ctx, w, &sub, &r, tasks, pieces, taken, now, expires)
	if err != nil {
		w.Abort()
		return nil, err
	}
	stored, err := w.Close()
	if err != nil {
		return nil, &Error{Kind: KindUnavailable, Key: ErrUploadStorage.Key, Err: err}
	}
	var old []Package
	p := &Package{RequestID: requestID, BlobKey: stored.Key, KeyID: stored.KeyID, Size: stored.Size, SHA256: stored.SHA256,
		Files: count, CreatedBy: actor.StaffID, CreatedAt: now, ExpiresAt: expires}
	err = c.write(ctx, func(tx *tx) error {
		r, err := tx.lockRequest(requestID)
		if err != nil {
			return err
		}
		if !packing(r) {
			return ErrPackageState
		}
		if err := tx.Where("request_id = ? AND erased_at IS NULL", requestID).Find(&old).Error; err != nil {
			return err
		}
		if len(old) > 0 {
			if err := tx.Model(&Package{}).Where("request_id = ? AND erased_at IS NULL", requestID).Update("erased_at", now).Error; err != nil {
				return err
			}
		}
		if err := tx.Create(p).Error; err != nil {
			return err
		}
		if err := tx.event(r.ID, EventPackage, actor, "", "", "", false); err != nil {
			return err
		}
		// The person downloads it (with a code mailed to them), so the
		// person is told, even when an agent filed.
		if err := tx.enqueue(sub.Email, MailPackageReady, sub.Lang, MailData{Name: sub.Name, Reference: sub.Reference,
			TrackURL: c.trackURLOf(&sub), Right: r.Right, Until: &expires}); err != nil {
			return err
		}
		return tx.audit(actor, "package.publish", "package", p.ID, fmt.Sprintf("request=%d files=%d size=%d", r.ID, count, stored.Size))
	})
	if err != nil {
		_ = ps.docs.store.Delete(context.WithoutCancel(ctx), stored.Key)
		return nil, err
	}
	for _, o := range old {
		if err := ps.docs.store.Delete(context.WithoutCancel(ctx), o.BlobKey); err != nil {
			c.logger().Error("a replaced package could not be erased", "err", err)
		}
	}
	return p, nil
}

// uniqueName returns name, or name with a number before its extension
// when taken already.
func uniqueName(taken map[string]bool, name string) string {
	out := name
	ext := ""
	if i := strings.LastIndexByte(name, '.'); i > strings.LastIndexByte(name, '/') {
		ext = name[i:]
	}
	for n := 2; taken[out]; n++ {
		out = strings.TrimSuffix(name, ext) + "-" + strconv.Itoa(n) + ext
	}
	taken[out] = true
	return out
}

// build writes the ZIP into w: README.txt, then systems/<system>.json and
// .csv for each system that returned records, then files/… Everything is
// streamed from storage through the ZIP writer into w.
func (ps *Packages) build(ctx context.Context, w io.Writer, sub *Submission, r *Request, tasks []TaskView,
	pieces []piece, taken map[string]bool, now, expires time.Time) (int, error) {
	in := ReadmeInput{Lang: sub.Lang, Reference: sub.Reference, Right: r.Right, Created: now, Expires: expires}
	names := map[int64][2]string{}
	for _, p := range pieces {
		if p.task != nil {
			base := "systems/" + slug(p.task.System.Name)
			j := uniqueName(taken, base+".json")
			names[p.task.ID] = [2]string{j, strings.TrimSuffix(j, ".json") + ".csv"}
			taken[names[p.task.ID][1]] = true
		}
	}
	for i := range tasks {
		t := &tasks[i]
		rs := ReadmeSystem{Name: t.System.Name, Status: t.Status, Records: t.ResultRecords}
		if n, ok := names[t.ID]; ok {
			rs.Files = []string{n[0], n[1]}
		}
		in.Systems = append(in.Systems, rs)
	}
	for _, p := range pieces {
		if p.task == nil {
			in.Files = append(in.Files, p.name)
		}
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	zw := zip.NewWriter(bw)
	count := 0
	add := func(name string, method uint16) (io.Writer, error) {
		count++
		return zw.CreateHeader(&zip.FileHeader{Name: name, Method: method, Modified: now})
	}
	f, err := add("README.txt", zip.Deflate)
	if err != nil {
		return 0, err
	}
	if _, err := io.WriteString(f, ps.Readme(in)); err != nil {
		return 0, err
	}
	for _, p := range pieces {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		if p.task != nil {
			n := names[p.task.ID]
			f, err := add(n[0], zip.Deflate)
			if err != nil {
				return 0, err
			}
			if err := ps.writeJSON(ctx, f, p.task, p.doc); err != nil {
				return 0, err
			}
			f, err = add(n[1], zip.Deflate)
			if err != nil {
				return 0, err
			}
			if err := ps.writeCSV(ctx, f, p.doc); err != nil {
				return 0, err
			}
			continue
		}
		method := zip.Deflate
		switch p.doc.ContentType {
		case blob.PDF, blob.PNG, blob.JPEG, blob.ZIP: // compressed already
			method = zip.Store
		}
		f, err := add(p.name, method)
		if err != nil {
			return 0, err
		}
		src, err := ps.open(ctx, p.doc)
		if err != nil {
			return 0, err
		}
		_, err = io.Copy(f, src)
		src.Close()
		if err != nil {
			return 0, err
		}
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	return count, bw.Flush()
}

func (ps *Packages) open(ctx context.Context, d Document) (io.ReadCloser, error) {
	r, err := ps.docs.store.Open(ctx, d.BlobKey)
	if err != nil {
		return nil, &Error{Kind: KindUnavailable, Key: ErrUploadStorage.Key, Err: err}
	}
	return r, nil
}

// eachRecord streams the records of a system's stored answer to fn, one
// at a time.
func eachRecord(r io.Reader, fn func(json.RawMessage) error) error {
	dec := json.NewDecoder(r)
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return ErrCallbackBody
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if tok != "records" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return err
			}
			continue
		}
		if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
			return ErrCallbackRecords
		}
		for dec.More() {
			var rec json.RawMessage
			if err := dec.Decode(&rec); err != nil {
				return err
			}
			if err := fn(rec); err != nil {
				return err
			}
		}
		return nil
	}
	return nil
}

// writeJSON writes {"system": …, "records": [ … ]} for one system.
func (ps *Packages) writeJSON(ctx context.Context, w io.Writer, t *TaskView, d Document) error {
	src, err := ps.open(ctx, d)
	if err != nil {
		return err
	}
	defer src.Close()
	name, _ := json.Marshal(t.System.Name)
	if _, err := fmt.Fprintf(w, "{\"system\": %s,\n \"records\": [", name); err != nil {
		return err
	}
	first := true
	err = eachRecord(src, func(rec json.RawMessage) error {
		sep := ",\n  "
		if first {
			sep, first = "\n  ", false
		}
		if _, err := io.WriteString(w, sep); err != nil {
			return err
		}
		_, err := w.Write(rec)
		return err
	})
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, "\n ]\n}\n")
	return err
}

// maxColumns bounds the columns of a system's CSV file.
const maxColumns = 1000

// writeCSV writes a system's records as CSV: one column per field (nested
// fields as a.b, lists as JSON), in the order fields first appear. It
// reads the records twice, streaming both times: once for the columns,
// once for the rows.
func (ps *Packages) writeCSV(ctx context.Context, w io.Writer, d Document) error {
	var cols []string
	seen := map[string]bool{}
	src, err := ps.open(ctx, d)
	if err != nil {
		return err
	}
	err = eachRecord(src, func(rec json.RawMessage) error {
		row, err := flatten(rec)
		if err != nil {
			return err
		}
		keys := make([]string, 0, len(row))
		for k := range row {
			if !seen[k] {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			if len(cols) < maxColumns {
				seen[k] = true
				cols = append(cols, k)
			}
		}
		return nil
	})
	src.Close()
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(cols); err != nil {
		return err
	}
	if src, err = ps.open(ctx, d); err != nil {
		return err
	}
	defer src.Close()
	line := make([]string, len(cols))
	err = eachRecord(src, func(rec json.RawMessage) error {
		row, err := flatten(rec)
		if err != nil {
			return err
		}
		for i, k := range cols {
			line[i] = row[k]
		}
		return cw.Write(line)
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// flatten turns one JSON record into column → text.
func flatten(rec json.RawMessage) (map[string]string, error) {
	dec := json.NewDecoder(strings.NewReader(string(rec)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	out := map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, sub := range x {
				key := k
				if prefix != "" {
					key = prefix + "." + k
				}
				walk(key, sub)
			}
		case []any:
			b, _ := json.Marshal(x)
			out[prefix] = string(b)
		case nil:
			out[prefix] = ""
		case string:
			out[prefix] = x
		case json.Number:
			out[prefix] = x.String()
		case bool:
			out[prefix] = strconv.FormatBool(x)
		}
	}
	if m, ok := v.(map[string]any); ok {
		walk("", m)
	} else {
		walk("value", v)
	}
	return out, nil
}

// PackageView is a request's package as staff see it: the latest one,
// its downloads, and what the next one would hold.
type PackageView struct {
	Package   *Package // the latest, live or not; nil = none yet
	Downloads []PackageDownload
	Files     []Document // files staff attached
}

// ForRequest returns what the request page shows of packages.
func (ps *Packages) ForRequest(ctx context.Context, requestID int64) (*PackageView, error) {
	db := ps.c.read(ctx)
	v := &PackageView{}
	var list []Package
	if err := db.Where("request_id = ?", requestID).Order("id DESC").Limit(1).Find(&list).Error; err != nil {
		return nil, err
	}
	if len(list) > 0 {
		v.Package = &list[0]
		if err := db.Where("package_id = ?", v.Package.ID).Order("id").Find(&v.Downloads).Error; err != nil {
			return nil, err
		}
	}
	var err error
	v.Files, err = ps.Files(ctx, requestID)
	return v, err
}

// OfSubmission returns the latest package of each of a submission's
// requests, by request.
func (ps *Packages) OfSubmission(ctx context.Context, submissionID int64) (map[int64]Package, error) {
	var list []Package
	err := ps.c.read(ctx).Where("request_id IN (?)", ps.c.read(ctx).Model(&Request{}).Select("id").Where("submission_id = ?", submissionID)).
		Order("id").Find(&list).Error
	out := map[int64]Package{}
	for _, p := range list {
		out[p.RequestID] = p
	}
	return out, err
}

// personPackage finds a package of the submission token opens.
func (ps *Packages) personPackage(ctx context.Context, token string, id int64) (*Submission, *Package, error) {
	sub, err := ps.c.byTrackingToken(ctx, token)
	if err != nil {
		return nil, nil, err
	}
	var p Package
	err = ps.c.read(ctx).Where("id = ? AND request_id IN (?)", id,
		ps.c.read(ctx).Model(&Request{}).Select("id").Where("submission_id = ?", sub.ID)).Take(&p).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, err
	}
	if !p.Live(ps.c.Now()) {
		return nil, nil, ErrPackageExpired
	}
	return sub, &p, nil
}

// SendCode mails the person a fresh download code for a package (to
// their own address, never an agent's); the code before it stops working.
func (ps *Packages) SendCode(ctx context.Context, token string, id int64, actor Actor) error {
	sub, p, err := ps.personPackage(ctx, token, id)
	if err != nil {
		return err
	}
	c := ps.c
	return c.write(ctx, func(tx *tx) error {
		if ok, _, err := c.allow(tx.DB, packageCodeLimit, strconv.FormatInt(p.ID, 10)); err != nil {
			return err
		} else if !ok {
			return ErrResendLimit
		}
		code := newCode()
		now := c.Now()
		if err := tx.Create(&PackageCode{PackageID: p.ID, CreatedAt: now, ExpiresAt: now.Add(CodeTTL),
			CodeHash: c.hash("package-code", code)}).Error; err != nil {
			return err
		}
		if err := tx.enqueue(sub.Email, MailPackageCode, sub.Lang, MailData{Name: sub.Name, Reference: sub.Reference, Code: code,
			TrackURL: c.trackURLOf(sub)}); err != nil {
			return err
		}
		return tx.audit(actor, "package.code", "package", p.ID, "")
	})
}

// Download checks a download code and opens the package, streamed. The
// attempt is counted first, in its own guarded statement, and the code
// compared only while the count is under the limit; a right code works
// once. The download is logged (and on the timeline) before the content
// is given.
func (ps *Packages) Download(ctx context.Context, token string, id int64, code string, actor Actor) (*Package, io.ReadCloser, error) {
	code = strings.TrimSpace(code)
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return nil, nil, ErrCodeFormat
	}
	_, p, err := ps.personPackage(ctx, token, id)
	if err != nil {
		return nil, nil, err
	}
	c := ps.c
	db := c.read(ctx)
	now := c.Now()
	latest := db.Model(&PackageCode{}).Select("MAX(id)").Where("package_id = ?", p.ID)
	res := db.Model(&PackageCode{}).Where("id = (?) AND attempts < ? AND used_at IS NULL AND expires_at > ?", latest, CodeMaxAttempts, now).
		Update("attempts", gorm.Expr("attempts + 1"))
	c.wrote(res.Error)
	if res.Error != nil {
		return nil, nil, res.Error
	}
	var pc PackageCode
	if err := db.Where("package_id = ?", p.ID).Order("id DESC").Take(&pc).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, nil, ErrCodeExpired
		}
		return nil, nil, err
	}
	if res.RowsAffected == 0 {
		if pc.Attempts >= CodeMaxAttempts {
			return nil, nil, ErrCodeLocked
		}
		return nil, nil, ErrCodeExpired
	}
	if !c.hashEqual("package-code", code, pc.CodeHash) {
		if remaining := CodeMaxAttempts - pc.Attempts; remaining > 0 {
			return nil, nil, ErrCodeWrong.with(remaining)
		}
		return nil, nil, ErrCodeLocked
	}
	return ps.give(ctx, p, actor, func(tx *tx) error {
		used := tx.Model(&PackageCode{}).Where("id = ? AND used_at IS NULL", pc.ID).Update("used_at", now)
		if used.Error != nil {
			return used.Error
		}
		if used.RowsAffected != 1 {
			return ErrCodeExpired // the same code, posted twice at once: it worked once
		}
		return nil
	})
}

// StaffDownload opens a package for a member of staff (to check it
// before the person gets it), logged like any download.
func (ps *Packages) StaffDownload(ctx context.Context, id int64, actor Actor) (*Package, io.ReadCloser, error) {
	var p Package
	err := ps.c.read(ctx).Where("id = ?", id).Take(&p).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, err
	}
	if !p.Live(ps.c.Now()) {
		return nil, nil, ErrPackageExpired
	}
	return ps.give(ctx, &p, actor, nil)
}

// give opens the package's content, then logs the download (with check,
// in the same transaction) while it is still live.
func (ps *Packages) give(ctx context.Context, p *Package, actor Actor, check func(*tx) error) (*Package, io.ReadCloser, error) {
	c := ps.c
	src, err := ps.docs.store.Open(ctx, p.BlobKey)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, ErrPackageExpired
	}
	if err != nil {
		return nil, nil, &Error{Kind: KindUnavailable, Key: ErrUploadStorage.Key, Err: err}
	}
	err = c.write(ctx, func(tx *tx) error {
		if check != nil {
			if err := check(tx); err != nil {
				return err
			}
		}
		now := c.Now()
		res := tx.Model(&Package{}).Where("id = ? AND erased_at IS NULL AND expires_at > ?", p.ID, now).
			Update("downloads", gorm.Expr("downloads + 1"))
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrPackageExpired
		}
		if err := tx.Create(&PackageDownload{PackageID: p.ID, ActorKind: actor.Kind, StaffID: actor.StaffID, At: now}).Error; err != nil {
			return err
		}
		if actor.Kind != "staff" {
			if err := tx.event(p.RequestID, EventDownload, actor, "", "", "", false); err != nil {
				return err
			}
		}
		return tx.audit(actor, "package.download", "package", p.ID, "")
	})
	if err != nil {
		src.Close()
		return nil, nil, err
	}
	return p, src, nil
}

// Expire erases the packages whose time is up, with the records the
// systems returned for them (the systems still hold the data; a new
// package asks them again). It returns how many it erased.
func (ps *Packages) Expire(ctx context.Context) (int, error) {
	c := ps.c
	var due []Package
	if err := c.read(ctx).Where("erased_at IS NULL AND expires_at <= ?", c.Now()).Order("id").Limit(100).Find(&due).Error; err != nil {
		return 0, err
	}
	n := 0
	for _, p := range due {
		if err := ps.docs.store.Delete(ctx, p.BlobKey); err != nil {
			return n, err
		}
		var results []int64
		err := c.write(ctx, func(tx *tx) error {
			res := tx.Model(&Package{}).Where("id = ? AND erased_at IS NULL", p.ID).Update("erased_at", c.Now())
			if res.Error != nil || res.RowsAffected == 0 {
				return res.Error
			}
			if err := tx.Model(&Document{}).Where("owner_kind = ? AND erased_at IS NULL AND owner_id IN (?)", OwnerTaskResult,
				tx.Model(&Task{}).Select("id").Where("request_id = ?", p.RequestID)).Pluck("id", &results).Error; err != nil {
				return err
			}
			return tx.audit(SystemActor, "package.expire", "package", p.ID, "")
		})
		if err != nil {
			return n, err
		}
		for _, id := range results {
			if err := ps.docs.Erase(ctx, id, SystemActor); err != nil && !errors.Is(err, ErrNotFound) {
				return n, err
			}
		}
		n++
	}
	return n, nil
}

// Run erases expired packages every interval until ctx ends.
func (ps *Packages) Run(ctx context.Context, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := ps.Expire(ctx); err != nil && ctx.Err() == nil && !Unavailable(err) {
			log.Error("package expiry", "err", err)
		} else if n > 0 {
			log.Info("packages erased after expiry", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
