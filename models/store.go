package models

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/rules"
	"gorm.io/gorm"
)

// Store is the domain: every operation on requests, requesters, staff and
// the outbox goes through it, inside transactions that keep the invariants.
type Store struct {
	DB      *gorm.DB
	Rules   *rules.Engine
	BaseURL string           // for links in mail
	Now     func() time.Time // UTC; tests move it
	// MailQueued, when set, is called after a transaction that queued mail
	// commits, so the outbox worker sends without waiting for its next poll.
	MailQueued func()

	tokenKey []byte
	seal     cipher.AEAD
}

// NewStore returns a Store. tokenKey keys the HMAC under which every token
// and code is stored; sealKey (32 bytes) encrypts the tracking token so later
// mail can carry the private link.
func NewStore(db *gorm.DB, engine *rules.Engine, tokenKey, sealKey []byte, baseURL string) *Store {
	block, err := aes.NewCipher(sealKey)
	if err != nil {
		panic(fmt.Sprintf("models: seal key: %v", err)) // a programming error: keys are derived, 32 bytes
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return &Store{DB: db, Rules: engine, BaseURL: baseURL, Now: now, tokenKey: tokenKey, seal: aead}
}

// sealToken encrypts a tracking token (AES-256-GCM) for storage.
func (s *Store) sealToken(token string) string {
	nonce := make([]byte, s.seal.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(err)
	}
	return base64.RawStdEncoding.EncodeToString(s.seal.Seal(nonce, nonce, []byte(token), []byte("track")))
}

// trackURLOf is the private tracking link of sub, for mail; "" when the
// sealed token cannot be opened (e.g. after the secret changed).
func (s *Store) trackURLOf(sub *Submission) string {
	b, err := base64.RawStdEncoding.DecodeString(sub.TrackingSealed)
	if err != nil || len(b) < s.seal.NonceSize() {
		return ""
	}
	token, err := s.seal.Open(nil, b[:s.seal.NonceSize()], b[s.seal.NonceSize():], []byte("track"))
	if err != nil {
		return ""
	}
	return s.TrackURL(string(token))
}

func (s *Store) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

// hash is how tokens and codes are stored: an HMAC, so even a 6-digit code
// cannot be reversed from a database copy without the secret.
func (s *Store) hash(purpose, token string) string {
	m := hmac.New(sha256.New, s.tokenKey)
	m.Write([]byte(purpose + "\x00" + token))
	return hex.EncodeToString(m.Sum(nil))
}

// hashEqual compares a candidate against a stored hash in constant time.
func (s *Store) hashEqual(purpose, candidate, stored string) bool {
	return hmac.Equal([]byte(s.hash(purpose, candidate)), []byte(stored))
}

func (s *Store) notifyMail() {
	if s.MailQueued != nil {
		s.MailQueued()
	}
}

// NewNonce returns a random one-time form token (see SubmissionInput.IdempotencyKey).
func NewNonce() string { return newToken() }

// newToken returns 32 random bytes, URL-safe.
func newToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// referenceAlphabet leaves out 0/O, 1/I/L and U so a code reads aloud cleanly.
const referenceAlphabet = "23456789ABCDEFGHJKMNPQRSTVWXYZ"

// newReference returns a random code like RD-7K3M-Q9XD (30^8 ≈ 6.5e11 values).
func newReference() string {
	out := []byte("RD-XXXX-XXXX")
	for i := range out {
		if out[i] != 'X' {
			continue
		}
		out[i] = referenceAlphabet[randInt(len(referenceAlphabet))]
	}
	return string(out)
}

// newCode returns a 6-digit one-time code.
func newCode() string {
	n := randInt(1000000)
	b := []byte("000000")
	for i := 5; i >= 0; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b)
}

func randInt(n int) int {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		panic(err)
	}
	return int(v.Int64())
}

// NormalizeReference upper-cases a typed reference and restores its dashes,
// so "rd 7k3m q9xd" finds RD-7K3M-Q9XD.
func NormalizeReference(s string) string {
	var b []byte
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
			b = append(b, byte(r-'a'+'A'))
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b = append(b, byte(r))
		}
	}
	if len(b) == 10 && string(b[:2]) == "RD" {
		return "RD-" + string(b[2:6]) + "-" + string(b[6:])
	}
	return string(b)
}
