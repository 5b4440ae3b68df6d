// Package blob is the one upload layer: what people and staff upload
// (agent designations, identity documents, message attachments, data
// packages) goes through it. A file is accepted by its content, never its
// name or declared type (PDF, PNG or JPEG by default), within a size
// limit; PDFs that run or carry anything are refused; images are decoded
// and encoded again, which drops their metadata (GPS positions, camera,
// names); everything is encrypted with AES-256-GCM before it reaches the
// storage (gocloud.dev/blob: a directory by default, S3 in production),
// and streamed both ways, never held whole in memory.
package blob

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/gabriel-vasile/mimetype"
	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	_ "gocloud.dev/blob/s3blob" // s3:// URLs
	"gocloud.dev/gcerrors"
)

// Content types the store accepts.
const (
	PDF  = "application/pdf"
	PNG  = "image/png"
	JPEG = "image/jpeg"
	// Types accepted only where a caller lists them (WithTypes, PutAs):
	// the organization's records as CSV, a system's export staff attach;
	// JSON and ZIP are also what the app assembles itself.
	CSV  = "text/csv"
	Text = "text/plain"
	JSON = "application/json"
	ZIP  = "application/zip"
)

// Limits on images, which are decoded in memory to strip their metadata.
const (
	MaxPixels    = 40_000_000
	MaxDimension = 20_000
)

// Rejection is an upload refused for its content; Key is the message for
// the person who uploaded it.
type Rejection struct {
	Key    string
	Detail string // for the log: what was found
}

func (r *Rejection) Error() string { return "upload refused: " + r.Key + " " + r.Detail }

// Rejections.
var (
	ErrTooLarge  = &Rejection{Key: "error.upload.too_large"}
	ErrType      = &Rejection{Key: "error.upload.type"}
	ErrPDFActive = &Rejection{Key: "error.upload.pdf_active"}
	// ErrPDFEncrypted: an encrypted PDF cannot be checked (nor read by staff).
	ErrPDFEncrypted = &Rejection{Key: "error.upload.pdf_encrypted"}
	// ErrPDFUnchecked: a PDF hides objects in a way the scanner does not read.
	ErrPDFUnchecked = &Rejection{Key: "error.upload.pdf_unchecked"}
	ErrTruncated    = &Rejection{Key: "error.upload.truncated"}
	ErrImage        = &Rejection{Key: "error.upload.image"}
	ErrEmpty        = &Rejection{Key: "error.upload.empty"}
)

// Is matches rejections by their key.
func (r *Rejection) Is(target error) bool {
	t, ok := target.(*Rejection)
	return ok && t.Key == r.Key
}

// ErrStorage wraps a failure of the storage itself (disk full, bucket
// unreachable): nothing was kept, and the person may try again.
var ErrStorage = errors.New("blob: storage failed")

// Keys are the master keys files are encrypted under, by id. New files use
// Current; older ids stay so that files stored before a rotation still open.
type Keys struct {
	Current string
	ByID    map[string][]byte
}

// Store keeps encrypted files in a bucket.
type Store struct {
	bucket  *blob.Bucket
	keys    Keys
	MaxSize int64    // bytes; default 10 MiB
	Types   []string // accepted types; default PDF, PNG and JPEG
}

// Open opens the bucket at rawURL: file:///abs/dir (created if missing) or
// s3://bucket?region=… (credentials from the usual AWS environment).
func Open(ctx context.Context, rawURL string, keys Keys) (*Store, error) {
	if k := keys.ByID[keys.Current]; len(k) != 32 {
		return nil, fmt.Errorf("blob: the current key %q must be 32 bytes", keys.Current)
	}
	var b *blob.Bucket
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("RIGHTSDESK_STORAGE_URL: %w", err)
	}
	if u.Scheme == "file" {
		// Directories 0700 and no metadata side files: what is stored is
		// the encrypted file and nothing else.
		dir := filepath.FromSlash(u.Path)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("RIGHTSDESK_STORAGE_URL: %w", err)
		}
		b, err = fileblob.OpenBucket(dir, &fileblob.Options{Metadata: fileblob.MetadataDontWrite, DirFileMode: 0o700, NoTempDir: true})
	} else {
		b, err = blob.OpenBucket(ctx, rawURL)
	}
	if err != nil {
		return nil, fmt.Errorf("RIGHTSDESK_STORAGE_URL: %w", err)
	}
	return &Store{bucket: b, keys: keys, MaxSize: 10 << 20, Types: []string{PDF, PNG, JPEG}}, nil
}

// NewStore wraps a bucket the caller opened (tests, other drivers).
func NewStore(b *blob.Bucket, keys Keys) *Store {
	return &Store{bucket: b, keys: keys, MaxSize: 10 << 20, Types: []string{PDF, PNG, JPEG}}
}

// WithTypes returns a store over the same bucket and keys that accepts
// types, up to max bytes: for a use with other needs than the default's
// (the organization's records, uploaded by staff as CSV). Close only the
// store it came from.
func (s *Store) WithTypes(max int64, types ...string) *Store {
	c := *s
	c.MaxSize, c.Types = max, types
	return &c
}

// Close releases the bucket.
func (s *Store) Close() error { return s.bucket.Close() }

// Stored describes a file the store accepted.
type Stored struct {
	Key         string // where it is, in the bucket
	KeyID       string // the master key it is encrypted under
	ContentType string
	Size        int64  // of the stored content (after an image was encoded again)
	SHA256      string // of the stored content, hex
}

// Put checks r's content and stores it encrypted under prefix. On any
// failure nothing is left in the bucket: a Rejection says what was wrong
// with the file, ErrStorage that the storage failed.
func (s *Store) Put(ctx context.Context, prefix string, r io.Reader) (*Stored, error) {
	return s.PutAs(ctx, prefix, r, s.Types)
}

// PutAs is Put accepting the content types given rather than the store's
// own list (staff attaching a system's CSV or JSON export, say). PDFs are
// scanned and images re-encoded as by Put; text, JSON and ZIP are kept as
// they are.
func (s *Store) PutAs(ctx context.Context, prefix string, r io.Reader, types []string) (*Stored, error) {
	limited := &limitReader{r: r, left: s.MaxSize}
	head := make([]byte, 3072)
	n, err := io.ReadFull(limited, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, readError(err)
	}
	head = head[:n]
	if n == 0 {
		return nil, ErrEmpty
	}
	ct := mimetype.Detect(head).String()
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	allowed := false
	for _, t := range types {
		allowed = allowed || t == ct
	}
	if !allowed {
		return nil, &Rejection{Key: ErrType.Key, Detail: ct}
	}
	content := io.MultiReader(bytes.NewReader(head), limited)

	key := strings.Trim(prefix, "/") + "/" + randomName()
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := s.bucket.NewWriter(wctx, key, &blob.WriterOptions{ContentType: "application/octet-stream"})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrStorage, err)
	}
	sum := sha256.New()
	counted := &countWriter{}
	enc, err := newEncryptor(w, s.keys.Current, s.keys.ByID[s.keys.Current])
	if err != nil {
		cancel()
		w.Close()
		return nil, fmt.Errorf("%w: %v", ErrStorage, err)
	}
	plain := io.MultiWriter(enc, sum, counted)
	var check error
	switch ct {
	case PDF:
		scan := &pdfScan{}
		if _, err := io.Copy(io.MultiWriter(plain, scan), content); err != nil {
			check = readError(err)
		} else if active, complete, tooBig := scan.close(); active != "" || tooBig {
			check = &Rejection{Key: ErrPDFActive.Key, Detail: "/" + active}
		} else if scan.encrypted {
			check = ErrPDFEncrypted
		} else if scan.unchecked != "" {
			check = &Rejection{Key: ErrPDFUnchecked.Key, Detail: scan.unchecked}
		} else if !complete {
			check = ErrTruncated
		}
	case PNG, JPEG:
		check = reencode(content, ct, plain)
	default: // text, kept as it is
		if _, err := io.Copy(plain, content); err != nil {
			check = readError(err)
		}
	}
	if check == nil {
		check = enc.Close()
	}
	if check != nil {
		cancel() // a cancelled writer discards what it was given
		w.Close()
		_ = s.bucket.Delete(context.WithoutCancel(ctx), key)
		var rej *Rejection
		if errors.As(check, &rej) {
			return nil, check
		}
		return nil, fmt.Errorf("%w: %v", ErrStorage, check)
	}
	if err := w.Close(); err != nil {
		_ = s.bucket.Delete(context.WithoutCancel(ctx), key)
		return nil, fmt.Errorf("%w: %v", ErrStorage, err)
	}
	return &Stored{Key: key, KeyID: s.keys.Current, ContentType: ct, Size: counted.n, SHA256: hex.EncodeToString(sum.Sum(nil))}, nil
}

// readError tells a file over the limit from a reader that failed.
func readError(err error) error {
	if errors.Is(err, errTooLarge) {
		return ErrTooLarge
	}
	return err
}

// reencode decodes an image (after checking its dimensions, so a small
// file cannot claim gigabytes of pixels) and encodes it again without any
// of the original's metadata.
func reencode(r io.Reader, ct string, w io.Writer) error {
	var head bytes.Buffer
	cfg, _, err := image.DecodeConfig(io.TeeReader(r, &head))
	if err != nil {
		return readErrorOr(err, ErrImage)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > MaxDimension || cfg.Height > MaxDimension || cfg.Width*cfg.Height > MaxPixels {
		return &Rejection{Key: ErrImage.Key, Detail: fmt.Sprintf("%dx%d", cfg.Width, cfg.Height)}
	}
	full := io.MultiReader(&head, r)
	var img image.Image
	if ct == PNG {
		img, err = png.Decode(full)
	} else {
		img, err = jpeg.Decode(full)
	}
	if err != nil {
		return readErrorOr(err, ErrImage)
	}
	if ct == PNG {
		return (&png.Encoder{CompressionLevel: png.DefaultCompression}).Encode(w, img)
	}
	return jpeg.Encode(w, img, &jpeg.Options{Quality: 90})
}

func readErrorOr(err error, rej *Rejection) error {
	if errors.Is(err, errTooLarge) {
		return ErrTooLarge
	}
	return &Rejection{Key: rej.Key, Detail: err.Error()}
}

// Open returns the decrypted content of key, streamed.
func (s *Store) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	r, err := s.bucket.NewReader(ctx, key, nil)
	if err != nil {
		if gcerrors.Code(err) == gcerrors.NotFound {
			return nil, os.ErrNotExist
		}
		return nil, fmt.Errorf("%w: %v", ErrStorage, err)
	}
	d, err := newDecryptor(r, s.keys.ByID)
	if err != nil {
		r.Close()
		return nil, err
	}
	return readCloser{Reader: d, Closer: r}, nil
}

// Delete removes key; a key already gone is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	err := s.bucket.Delete(ctx, key)
	if err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return fmt.Errorf("%w: %v", ErrStorage, err)
	}
	return nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

var errTooLarge = errors.New("blob: over the size limit")

// limitReader fails once more than left bytes are read.
type limitReader struct {
	r    io.Reader
	left int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left < 0 {
		return 0, errTooLarge
	}
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return n, errTooLarge
	}
	return n, err
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

func randomName() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
