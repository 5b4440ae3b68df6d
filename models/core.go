package models

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/big"
	"sync/atomic"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/rules"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Core is what every aggregate shares: the database, the rules engine, the
// clock and the keys. Each aggregate (Submissions, Requests, Appeals,
// StaffAccounts, Outbox, …) is a small type over one Core.
type Core struct {
	db      *gorm.DB
	reader  *gorm.DB // db for reads outside a transaction (see NewCore)
	Rules   *rules.Engine
	BaseURL string // for links in mail
	// LimitScale multiplies every attempt limit (RIGHTSDESK_RATE_LIMIT_SCALE); 0 = 1.
	LimitScale float64
	// Log is where outages of the database are logged (see ReportOutage); nil = slog.Default().
	Log *slog.Logger
	// AllowPrivateWebhooks: data systems' webhooks may be plain http
	// (RIGHTSDESK_WEBHOOK_ALLOW_PRIVATE, for tests and closed networks).
	AllowPrivateWebhooks bool
	// PackageTTL is how long a data package may be downloaded (default 14 days).
	PackageTTL time.Duration

	down       atomic.Bool // the database is in an outage (see ReportOutage)
	clock      atomic.Pointer[func() time.Time]
	mailQueued atomic.Pointer[func()]
	httpQueued atomic.Pointer[func()]
	erased     atomic.Pointer[func()] // deletes the files of erased documents (see Documents)
	tokenKey   []byte
	aead       cipher.AEAD
	track      trackStmts    // prepared statements of the tracking page
	hashes     chan struct{} // bounds concurrent password hashing (staff and agents alike)
}

// Keys are the secrets the domain needs, derived from the app secret.
type Keys struct {
	Token []byte // HMAC key under which every token and code is stored
	Seal  []byte // 32 bytes: AES-256-GCM key sealing tracking tokens for later mail
}

// NewCore returns the shared core.
func NewCore(db *gorm.DB, engine *rules.Engine, keys Keys, baseURL string) (*Core, error) {
	block, err := aes.NewCipher(keys.Seal)
	if err != nil {
		return nil, fmt.Errorf("models: seal key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	if len(keys.Token) < 32 {
		return nil, fmt.Errorf("models: token key must be 32 bytes or more")
	}
	c := &Core{db: db, reader: db, Rules: engine, BaseURL: baseURL, tokenKey: keys.Token, aead: aead,
		hashes: make(chan struct{}, ConcurrentHashes)}
	if db != nil && !IsPostgres(db) {
		// SQLite parses every statement it is given anew: a page that reads
		// ten things spent a third of its time in the parser. Reads keep
		// theirs prepared, in a bounded cache (gormConfig); pgx already
		// caches statements per connection on PostgreSQL.
		c.reader = db.Session(&gorm.Session{PrepareStmt: true})
	}
	c.SetClock(time.Now)
	return c, nil
}

// DB is the database handle, for health checks, tools and tests.
func (c *Core) DB() *gorm.DB { return c.db }

// SetClock replaces the clock (tests move time).
func (c *Core) SetClock(now func() time.Time) { c.clock.Store(&now) }

// Now is the domain's current time, in UTC at the precision both databases keep.
func (c *Core) Now() time.Time { return (*c.clock.Load())().UTC().Truncate(time.Microsecond) }

// OnMailQueued sets what runs after a transaction that queued mail commits
// (the mail worker's wake-up), so mail goes out without waiting for a poll.
func (c *Core) OnMailQueued(f func()) { c.mailQueued.Store(&f) }

// OnHTTPQueued sets what runs after a transaction that queued an outgoing
// HTTP call commits (the HTTP job worker's wake-up).
func (c *Core) OnHTTPQueued(f func()) { c.httpQueued.Store(&f) }

// tx is one write transaction: the gorm handle plus what the transaction
// queued, acted on after commit.
type tx struct {
	*gorm.DB
	c      *Core
	mailed bool
	called bool // queued an outgoing HTTP call
	erased bool // erased documents whose files are to be deleted (blob_erasures)
}

// write runs fn in a transaction. After commit, a transaction that queued
// mail wakes the mail worker. On SQLite every transaction takes the write
// lock at BEGIN (_txlock=immediate), so rows read inside are current; on
// PostgreSQL, rows that decide a change are read with lockRow.
func (c *Core) write(ctx context.Context, fn func(tx *tx) error) error {
	t := &tx{c: c}
	err := c.db.WithContext(ctx).Transaction(func(g *gorm.DB) error {
		t.DB = g
		return fn(t)
	})
	c.wrote(err)
	if err == nil && t.mailed {
		if f := c.mailQueued.Load(); f != nil {
			(*f)()
		}
	}
	if err == nil && t.called {
		if f := c.httpQueued.Load(); f != nil {
			(*f)()
		}
	}
	if err == nil && t.erased {
		c.sweepErased()
	}
	return err
}

// read is the handle for reads outside a transaction.
func (c *Core) read(ctx context.Context) *gorm.DB { return c.reader.WithContext(ctx) }

// forUpdate locks the rows a query reads until the transaction ends
// (PostgreSQL; SQLite's write lock already covers the whole database).
func (t *tx) forUpdate() *gorm.DB {
	if IsPostgres(t.DB) {
		return t.DB.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	return t.DB
}

// enqueue queues a mail in this transaction: it goes out only if the
// transaction commits, and a crash after commit loses nothing.
// A person known only by a phone number or an id (a privacy choice), or
// entered by staff from a letter or a call without one (Submission.NoEmail),
// has no address: nothing is queued. This is the one rule every mail to a
// person goes through (received, code, acknowledgement, status, identity,
// messages, package, link); the request page tells staff to answer by post
// or phone instead.
func (t *tx) enqueue(to, template, lang string, data MailData) error {
	if to == "" {
		return nil
	}
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	// The outbox runs on the wall clock, as its worker does, whatever clock
	// the domain is given.
	now := now()
	t.mailed = true
	return t.Create(&OutboxMessage{ToAddr: to, Template: template, Data: string(b), Lang: lang,
		Status: "pending", NextAttemptAt: now, CreatedAt: now}).Error
}

// audit writes one line of the audit trail.
func (t *tx) audit(a Actor, action, objectType string, objectID int64, detail string) error {
	e := AuditEntry{At: t.c.Now(), ActorKind: a.Kind, StaffID: a.StaffID, AgentID: a.AgentID, Action: action,
		ObjectType: objectType, IP: a.IP, Detail: detail}
	if objectID != 0 {
		e.ObjectID = &objectID
	}
	return t.Create(&e).Error
}

// event adds a step to a request's timeline.
func (t *tx) event(requestID int64, kind string, a Actor, from, to, body string, internal bool) error {
	return t.Create(&Event{RequestID: requestID, Kind: kind, ActorKind: a.Kind, StaffID: a.StaffID,
		StatusFrom: from, StatusTo: to, Body: body, Internal: internal, CreatedAt: t.c.Now()}).Error
}

// hash is how tokens and codes are stored: an HMAC, so even a 6-digit code
// cannot be reversed from a database copy without the secret.
func (c *Core) hash(purpose, token string) string {
	m := hmac.New(sha256.New, c.tokenKey)
	m.Write([]byte(purpose + "\x00" + token))
	return hex.EncodeToString(m.Sum(nil))
}

// hashEqual compares a candidate against a stored hash in constant time.
func (c *Core) hashEqual(purpose, candidate, stored string) bool {
	return hmac.Equal([]byte(c.hash(purpose, candidate)), []byte(stored))
}

// seal encrypts a secret the app must read back later (AES-256-GCM; the
// purpose is the associated data, so a value sealed for one use cannot be
// passed off as another).
func (c *Core) seal(purpose, plain string) string {
	nonce := make([]byte, c.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(err)
	}
	return base64.RawStdEncoding.EncodeToString(c.aead.Seal(nonce, nonce, []byte(plain), []byte(purpose)))
}

// unseal opens what seal made; false when it cannot (another key, tampering).
func (c *Core) unseal(purpose, sealed string) (string, bool) {
	b, err := base64.RawStdEncoding.DecodeString(sealed)
	if err != nil || len(b) < c.aead.NonceSize() {
		return "", false
	}
	plain, err := c.aead.Open(nil, b[:c.aead.NonceSize()], b[c.aead.NonceSize():], []byte(purpose))
	return string(plain), err == nil
}

// sealToken encrypts a tracking token for storage, so later mail can carry
// the private link.
func (c *Core) sealToken(token string) string { return c.seal("track", token) }

// trackURLOf is the private tracking link of sub, for mail; "" when the
// sealed token cannot be opened (e.g. after the secret changed).
func (c *Core) trackURLOf(sub *Submission) string {
	token, ok := c.unseal("track", sub.TrackingSealed)
	if !ok {
		return ""
	}
	return c.TrackURL(token)
}

// TrackURL is the private tracking link for token.
func (c *Core) TrackURL(token string) string { return c.BaseURL + "/t/" + token }

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

// validToken reports whether s has the shape of a token newToken makes, so
// that garbage never reaches a query.
func validToken(s string) bool {
	if len(s) != 43 {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_') {
			return false
		}
	}
	return true
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
// so "rd 7k3m q9xd" and "7K3MQ9XD" find RD-7K3M-Q9XD. Anything that cannot
// be a reference gives "".
func NormalizeReference(s string) string {
	if len(s) > 40 {
		return ""
	}
	var b []byte
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
			b = append(b, byte(r-'a'+'A'))
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b = append(b, byte(r))
		case r == '-' || r == ' ' || r == '.' || r == '_':
		default:
			return ""
		}
	}
	if len(b) == 8 {
		b = append([]byte("RD"), b...)
	}
	if len(b) != 10 || string(b[:2]) != "RD" {
		return ""
	}
	return "RD-" + string(b[2:6]) + "-" + string(b[6:])
}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
