package blob

import (
	"bufio"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Files are stored encrypted with AES-256-GCM in segments, so that a file
// of any size is encrypted and decrypted as a stream:
//
//	header:  "RDBLOB1" | key-id length (1 byte) | key id | salt (16 bytes)
//	segment: GCM-sealed plaintext of up to segmentSize bytes
//
// Each file has its own key, derived from the master key named by the key
// id and the file's random salt (HKDF-SHA256), so counters can be nonces:
// the nonce of segment n is n (8 bytes) and a final flag (4 bytes). The
// flag makes a truncated file fail to decrypt rather than read as shorter,
// and the header is the associated data of every segment.

const (
	magic       = "RDBLOB1"
	segmentSize = 64 << 10
	saltSize    = 16
)

// ErrCorrupt: a stored file that does not decrypt (tampered, truncated, or
// encrypted under a key this installation no longer has).
var ErrCorrupt = errors.New("blob: stored file is corrupt or its key is unknown")

func fileKey(master, salt []byte) (cipher.AEAD, error) {
	k, err := hkdf.Key(sha256.New, master, salt, "rightsdesk blob", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func nonce(n uint64, final bool) []byte {
	b := make([]byte, 12)
	binary.BigEndian.PutUint64(b, n)
	if final {
		b[11] = 1
	}
	return b
}

// encryptor writes the header, then seals what it is given segment by
// segment; Close seals the last (possibly empty) segment.
type encryptor struct {
	w      io.Writer
	aead   cipher.AEAD
	header []byte
	buf    []byte
	out    []byte // the sealed segment, reused: a file of any size makes no garbage per segment
	n      uint64
}

func newEncryptor(w io.Writer, keyID string, master []byte) (*encryptor, error) {
	if len(keyID) == 0 || len(keyID) > 255 {
		return nil, fmt.Errorf("blob: key id %q", keyID)
	}
	salt := make([]byte, saltSize)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	aead, err := fileKey(master, salt)
	if err != nil {
		return nil, err
	}
	header := append([]byte(magic), byte(len(keyID)))
	header = append(header, keyID...)
	header = append(header, salt...)
	if _, err := w.Write(header); err != nil {
		return nil, err
	}
	return &encryptor{w: w, aead: aead, header: header, buf: make([]byte, 0, segmentSize)}, nil
}

func (e *encryptor) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		if len(e.buf) == segmentSize {
			if err := e.seal(false); err != nil {
				return written, err
			}
		}
		k := copy(e.buf[len(e.buf):segmentSize], p)
		e.buf = e.buf[:len(e.buf)+k]
		p = p[k:]
		written += k
	}
	return written, nil
}

func (e *encryptor) seal(final bool) error {
	e.out = e.aead.Seal(e.out[:0], nonce(e.n, final), e.buf, e.header)
	e.n++
	e.buf = e.buf[:0]
	_, err := e.w.Write(e.out)
	return err
}

// Close seals the final segment (the writer underneath stays open).
func (e *encryptor) Close() error { return e.seal(true) }

// decryptor reads what encryptor wrote.
type decryptor struct {
	r      *bufio.Reader
	aead   cipher.AEAD
	header []byte
	seg    []byte // ciphertext buffer
	buf    []byte // decrypted segment, reused
	plain  []byte // decrypted, not yet read (in buf)
	n      uint64
	done   bool
}

// newDecryptor reads the header and finds the master key by its id.
func newDecryptor(r io.Reader, keys map[string][]byte) (*decryptor, error) {
	head := make([]byte, len(magic)+1)
	if _, err := io.ReadFull(r, head); err != nil || string(head[:len(magic)]) != magic {
		return nil, ErrCorrupt
	}
	rest := make([]byte, int(head[len(magic)])+saltSize)
	if _, err := io.ReadFull(r, rest); err != nil {
		return nil, ErrCorrupt
	}
	keyID := string(rest[:len(rest)-saltSize])
	master, ok := keys[keyID]
	if !ok {
		return nil, ErrCorrupt
	}
	aead, err := fileKey(master, rest[len(rest)-saltSize:])
	if err != nil {
		return nil, err
	}
	return &decryptor{r: bufio.NewReaderSize(r, 32<<10), aead: aead, header: append(head, rest...),
		seg: make([]byte, segmentSize+aead.Overhead())}, nil
}

func (d *decryptor) Read(p []byte) (int, error) {
	for len(d.plain) == 0 {
		if d.done {
			return 0, io.EOF
		}
		if err := d.next(); err != nil {
			return 0, err
		}
	}
	n := copy(p, d.plain)
	d.plain = d.plain[n:]
	return n, nil
}

// next decrypts one segment; it is the final one when nothing follows it.
func (d *decryptor) next() error {
	full := segmentSize + d.aead.Overhead()
	n, err := io.ReadFull(d.r, d.seg[:full])
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return err
	}
	final := n < full
	if !final {
		if _, perr := d.r.Peek(1); perr == io.EOF {
			final = true
		} else if perr != nil {
			return perr
		}
	}
	// next runs only once what it decrypted before was read: the buffer
	// can be reused.
	plain, oerr := d.aead.Open(d.buf[:0], nonce(d.n, final), d.seg[:n], d.header)
	if oerr != nil {
		return ErrCorrupt
	}
	d.n++
	d.buf = plain
	d.plain, d.done = plain, final
	return nil
}
