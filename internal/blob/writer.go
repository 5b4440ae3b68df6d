package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"

	"gocloud.dev/blob"
)

// Writer streams content the app produces itself (a package it assembles,
// a system's signed answer) into the store, encrypted exactly as Put
// encrypts, but without the checks that guard what people upload: the
// caller vouches for the content and names its type. Nothing is held in
// memory beyond one encryption segment. Close commits the file; Abort (or
// a cancelled context) leaves nothing in the bucket.
type Writer struct {
	s      *Store
	key    string
	ct     string
	cancel context.CancelFunc
	w      *blob.Writer
	enc    *encryptor
	sum    hash.Hash
	n      int64
	limit  int64
	err    error
	done   bool
}

// ErrWriterLimit: more was written than the writer's limit allows.
var ErrWriterLimit = errors.New("blob: over the writer's size limit")

// NewWriter starts a trusted file under prefix, of content type ct; limit
// bounds its size in bytes (0 = none).
func (s *Store) NewWriter(ctx context.Context, prefix, ct string, limit int64) (*Writer, error) {
	key := strings.Trim(prefix, "/") + "/" + randomName()
	wctx, cancel := context.WithCancel(ctx)
	w, err := s.bucket.NewWriter(wctx, key, &blob.WriterOptions{ContentType: "application/octet-stream"})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("%w: %v", ErrStorage, err)
	}
	enc, err := newEncryptor(w, s.keys.Current, s.keys.ByID[s.keys.Current])
	if err != nil {
		cancel()
		w.Close()
		return nil, fmt.Errorf("%w: %v", ErrStorage, err)
	}
	return &Writer{s: s, key: key, ct: ct, cancel: cancel, w: w, enc: enc, sum: sha256.New(), limit: limit}, nil
}

// Write encrypts p into the file.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.limit > 0 && w.n+int64(len(p)) > w.limit {
		w.err = ErrWriterLimit
		return 0, w.err
	}
	n, err := w.enc.Write(p)
	w.sum.Write(p[:n])
	w.n += int64(n)
	if err != nil {
		w.err = fmt.Errorf("%w: %v", ErrStorage, err)
	}
	return n, w.err
}

// Size is how many bytes were written so far.
func (w *Writer) Size() int64 { return w.n }

// Close seals the last segment and commits the file.
func (w *Writer) Close() (*Stored, error) {
	if w.done {
		return nil, errors.New("blob: writer already closed")
	}
	if w.err != nil {
		w.Abort()
		return nil, w.err
	}
	w.done = true
	defer w.cancel()
	if err := w.enc.Close(); err != nil {
		w.cancel()
		w.w.Close()
		_ = w.s.bucket.Delete(context.Background(), w.key)
		return nil, fmt.Errorf("%w: %v", ErrStorage, err)
	}
	if err := w.w.Close(); err != nil {
		_ = w.s.bucket.Delete(context.Background(), w.key)
		return nil, fmt.Errorf("%w: %v", ErrStorage, err)
	}
	return &Stored{Key: w.key, KeyID: w.s.keys.Current, ContentType: w.ct, Size: w.n, SHA256: hex.EncodeToString(w.sum.Sum(nil))}, nil
}

// Abort discards what was written: nothing is left in the bucket.
func (w *Writer) Abort() {
	if w.done {
		return
	}
	w.done = true
	w.cancel() // a cancelled writer discards what it was given
	w.w.Close()
	_ = w.s.bucket.Delete(context.Background(), w.key)
}

// Copy streams r into a new trusted file (see NewWriter).
func (s *Store) Copy(ctx context.Context, prefix, ct string, r io.Reader, limit int64) (*Stored, error) {
	w, err := s.NewWriter(ctx, prefix, ct, limit)
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(w, r); err != nil {
		w.Abort()
		return nil, err
	}
	return w.Close()
}
