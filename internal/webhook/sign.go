package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Signed calls, both ways between the portal and a data system's webhook:
//
//	Rightsdesk-Key-Id:    k1
//	Rightsdesk-Timestamp: 1767225600             (Unix seconds)
//	Rightsdesk-Signature: v1=<hex HMAC-SHA256(key, timestamp + "." + body)>
//
// The key id names the shared key (it changes when staff rotate it); the
// timestamp is part of what is signed, so a captured call cannot be
// replayed later than Tolerance.
const (
	HeaderKeyID     = "Rightsdesk-Key-Id"
	HeaderTimestamp = "Rightsdesk-Timestamp"
	HeaderSignature = "Rightsdesk-Signature"
	// Tolerance is how far a signed timestamp may be from now.
	Tolerance = 5 * time.Minute
)

// Signature errors.
var (
	ErrUnsigned     = errors.New("webhook: the call is not signed")
	ErrBadSignature = errors.New("webhook: the signature does not match")
	ErrStale        = errors.New("webhook: the signed timestamp is too old or in the future")
	ErrUnknownKey   = errors.New("webhook: the key id is not the current one")
)

// Signature is v1=hex(HMAC-SHA256(key, timestamp "." body)).
func Signature(key []byte, ts int64, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}

// Sign sets the signature headers of a call with body, signed at now.
func Sign(h http.Header, keyID string, key []byte, now time.Time, body []byte) {
	ts := now.Unix()
	h.Set(HeaderKeyID, keyID)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	h.Set(HeaderSignature, Signature(key, ts, body))
}

// Timestamp checks the signed timestamp of h against now, before the body
// is read, and returns it.
func Timestamp(h http.Header, now time.Time) (int64, error) {
	raw := h.Get(HeaderTimestamp)
	if raw == "" || h.Get(HeaderSignature) == "" {
		return 0, ErrUnsigned
	}
	ts, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return 0, ErrUnsigned
	}
	if d := now.Sub(time.Unix(ts, 0)); d > Tolerance || d < -Tolerance {
		return 0, ErrStale
	}
	return ts, nil
}

// Verifier checks a signature over a body that streams through it: write
// the body to it (an io.Writer), then call Check.
type Verifier struct {
	want string
	mac  interface {
		Write([]byte) (int, error)
		Sum([]byte) []byte
	}
}

// NewVerifier starts checking a call signed with key under keyID at ts.
func NewVerifier(h http.Header, keyID string, key []byte, ts int64) (*Verifier, error) {
	if h.Get(HeaderKeyID) != keyID {
		return nil, ErrUnknownKey
	}
	sig := strings.TrimSpace(h.Get(HeaderSignature))
	if !strings.HasPrefix(sig, "v1=") {
		return nil, ErrUnsigned
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte{'.'})
	return &Verifier{want: sig, mac: m}, nil
}

// Write adds body bytes to the signature being checked.
func (v *Verifier) Write(p []byte) (int, error) { return v.mac.Write(p) }

// Check compares the signature, in constant time.
func (v *Verifier) Check() error {
	got := "v1=" + hex.EncodeToString(v.mac.Sum(nil))
	if !hmac.Equal([]byte(got), []byte(v.want)) {
		return ErrBadSignature
	}
	return nil
}
