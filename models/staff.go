package models

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"gorm.io/gorm"
)

// Staff roles.
const (
	RoleAdmin    = "admin"    // everything, the team included; two-step sign-in required
	RoleOfficer  = "officer"  // the privacy officer: requests and settings
	RoleReviewer = "reviewer" // works requests, no settings
	RoleAuditor  = "auditor"  // reads everything, changes nothing
)

// Roles lists the staff roles, most powerful first.
var Roles = []string{RoleAdmin, RoleOfficer, RoleReviewer, RoleAuditor}

// What each role may do: decided here, enforced on every route.

// CanWork reports whether role may act on requests (decide, note, message, extend).
func CanWork(role string) bool {
	return role == RoleAdmin || role == RoleOfficer || role == RoleReviewer
}

// CanConfigure reports whether role may change the organization's settings.
func CanConfigure(role string) bool { return role == RoleAdmin || role == RoleOfficer }

// CanManageTeam reports whether role may invite, deactivate and reset staff.
func CanManageTeam(role string) bool { return role == RoleAdmin }

// NeedsTwoStep reports whether role must sign in with a second factor.
func NeedsTwoStep(role string) bool { return role == RoleAdmin }

// MinPassword is the shortest staff password accepted (NIST SP 800-63B).
const MinPassword = 12

// Staff is a member of the privacy team.
type Staff struct {
	ID           int64
	Email        string
	Name         string
	Role         string
	PasswordHash string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	LastLoginAt  *time.Time
	DisabledAt   *time.Time
	// Two-step sign-in (TOTP): the secret sealed with the app's key, when
	// it was turned on, and the last time step used (a code works once).
	TOTPSealed    string     `gorm:"column:totp_sealed"`
	TOTPEnabledAt *time.Time `gorm:"column:totp_enabled_at"`
	TOTPLastStep  int64      `gorm:"column:totp_last_step"`
}

func (Staff) TableName() string { return "staff" }

// TwoStepOn reports whether the member signs in with a second factor.
func (st *Staff) TwoStepOn() bool { return st.TOTPEnabledAt != nil }

// StaffAccounts is the aggregate of staff members, their sign-in and
// their sessions.
type StaffAccounts struct {
	c *Core
}

// ConcurrentHashes bounds how many argon2id computations (64 MiB each) run
// at once: one per CPU, two to four. The others wait, up to HashWait.
var ConcurrentHashes = min(4, max(2, runtime.GOMAXPROCS(0)))

// HashWait is how long a sign-in waits for a hashing slot before the
// server answers that it is busy.
const HashWait = 10 * time.Second

// NewStaffAccounts returns the staff aggregate.
func NewStaffAccounts(c *Core) *StaffAccounts {
	return &StaffAccounts{c: c}
}

// StaffInput creates a staff account.
type StaffInput struct {
	Email, Name, Role, Password string
}

func (in *StaffInput) validate() error {
	v := &ValidationError{}
	in.Email = strings.ToLower(text(v, "email", in.Email, OneLine, true, MaxEmail))
	if _, bad := v.Fields["email"]; !bad && !ValidEmail(in.Email) {
		v.Add("email", "error.email.invalid")
	}
	in.Name = text(v, "name", in.Name, OneLine, true, MaxName)
	if !contains(Roles, in.Role) {
		v.Add("role", "error.role.invalid")
	}
	validPassword(v, in.Password)
	return v.Err()
}

func validPassword(v *ValidationError, pw string) {
	switch {
	case !utf8.ValidString(pw) || strings.ContainsRune(pw, 0):
		v.Add("password", "error.text.invalid")
	case utf8.RuneCountInString(pw) < MinPassword:
		v.Add("password", "error.password.too_short")
	case len(pw) > 1024:
		v.Add("password", "error.password.too_long")
	}
}

// Create adds a staff member.
func (sa *StaffAccounts) Create(ctx context.Context, in StaffInput, actor Actor) (*Staff, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	hash, err := sa.hashPassword(ctx, in.Password)
	if err != nil {
		return nil, err
	}
	var st *Staff
	err = sa.c.write(ctx, func(tx *tx) error {
		st, err = createStaff(tx, in, hash, actor)
		return err
	})
	return st, err
}

func createStaff(tx *tx, in StaffInput, hash string, actor Actor) (*Staff, error) {
	now := tx.c.Now()
	st := &Staff{Email: in.Email, Name: in.Name, Role: in.Role, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	if err := tx.Create(st).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return nil, invalid("email", "error.email.taken")
		}
		return nil, err
	}
	return st, tx.audit(actor, "staff.create", "staff", st.ID, "role="+in.Role)
}

// Count counts staff accounts.
func (sa *StaffAccounts) Count(ctx context.Context) (int64, error) {
	var n int64
	err := sa.c.read(ctx).Model(&Staff{}).Count(&n).Error
	return n, err
}

// dummyHash is checked when the email is unknown, so a login takes as long
// whether or not the account exists.
var dummyHash = sync.OnceValue(func() string { return HashPassword("rightsdesk-dummy-password") })

// Sign-in errors.
var (
	ErrBadLogin  = &Error{Kind: KindInvalid, Key: "error.login", Field: "email"}
	ErrLoginRate = &Error{Kind: KindThrottled, Key: "error.login_throttled", Field: "email"}
	ErrBusy      = &Error{Kind: KindUnavailable, Key: "error.busy"}
)

// loginsPerAccount bounds password guesses per account, from anywhere:
// attempts past it are refused before any hashing. Unknown addresses are
// counted the same, so the answer tells nothing about which exist.
var loginsPerAccount = Limit{Name: "login-account", Max: 10, Window: 15 * time.Minute}

// SignIn is a password that was right: either a session (its token for
// the cookie), or, for a member with two-step sign-in, the second step
// still to do (SecondStep).
type SignIn struct {
	Staff      *Staff
	Session    string
	SecondStep bool
}

// Authenticate checks a staff login. It opens a session at once unless the
// member signs in with a second step.
func (sa *StaffAccounts) Authenticate(ctx context.Context, email, password string, client Client) (*SignIn, error) {
	v := &ValidationError{}
	email = strings.ToLower(text(v, "email", email, OneLine, true, MaxEmail))
	if v.Fields["email"] == "error.text.invalid" {
		// Bytes no address has (NUL, invalid UTF-8, controls): the same
		// field message as every form gives, whoever's address it is.
		return nil, v.Err()
	}
	if v.Err() != nil || len(password) > 1024 || !utf8.ValidString(password) {
		return nil, ErrBadLogin
	}
	c := sa.c
	if ok, _, err := c.allow(c.read(ctx), loginsPerAccount, email); err != nil {
		return nil, err
	} else if !ok {
		return nil, ErrLoginRate
	}
	var st Staff
	err := c.read(ctx).Where("email = ? AND disabled_at IS NULL", email).Take(&st).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		if _, err := sa.checkPassword(ctx, dummyHash(), password); err != nil {
			return nil, err
		}
		return nil, ErrBadLogin
	}
	if err != nil {
		return nil, err
	}
	ok, err := sa.checkPassword(ctx, st.PasswordHash, password)
	if err != nil {
		return nil, err
	}
	if !ok {
		err := c.write(ctx, func(tx *tx) error {
			return tx.audit(client.actor(st.ID), "staff.login_failed", "staff", st.ID, "")
		})
		if err != nil {
			return nil, err
		}
		return nil, ErrBadLogin
	}
	if st.TwoStepOn() {
		return &SignIn{Staff: &st, SecondStep: true}, nil
	}
	var token string
	err = c.write(ctx, func(tx *tx) error {
		if err := tx.Model(&Staff{}).Where("id = ?", st.ID).Update("last_login_at", now()).Error; err != nil {
			return err
		}
		if token, err = openSession(tx, st.ID, client); err != nil {
			return err
		}
		return tx.audit(client.actor(st.ID), "staff.login", "staff", st.ID, "")
	})
	return &SignIn{Staff: &st, Session: token}, err
}

// argon2id parameters: RFC 9106's second recommended option (64 MiB, 3 passes).
const (
	argonTime    = 3
	argonMemory  = 64 * 1024
	argonThreads = 2
	argonKeyLen  = 32
)

// hashPassword and checkPassword hash within the core's bound on
// concurrent hashes, which staff and agent sign-ins share.
func (sa *StaffAccounts) hashPassword(ctx context.Context, pw string) (string, error) {
	return sa.c.hashPassword(ctx, pw)
}

func (sa *StaffAccounts) checkPassword(ctx context.Context, hash, pw string) (bool, error) {
	return sa.c.checkPassword(ctx, hash, pw)
}

// hashPassword hashes within the bound on concurrent hashes.
func (c *Core) hashPassword(ctx context.Context, pw string) (string, error) {
	if err := c.acquireHash(ctx); err != nil {
		return "", err
	}
	defer func() { <-c.hashes }()
	return HashPassword(pw), nil
}

// checkPassword compares within the bound on concurrent hashes.
func (c *Core) checkPassword(ctx context.Context, hash, pw string) (bool, error) {
	if err := c.acquireHash(ctx); err != nil {
		return false, err
	}
	defer func() { <-c.hashes }()
	return CheckPassword(hash, pw), nil
}

// acquireHash waits for a hashing slot; past HashWait the server is too
// busy and says so (503) rather than queue without end.
func (c *Core) acquireHash(ctx context.Context) error {
	t := time.NewTimer(HashWait)
	defer t.Stop()
	select {
	case c.hashes <- struct{}{}:
		return nil
	case <-t.C:
		return ErrBusy
	case <-ctx.Done():
		return ctx.Err()
	}
}

// HashPassword returns an argon2id hash in the PHC string format.
func HashPassword(pw string) string {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		panic(err)
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// CheckPassword compares pw with a PHC argon2id hash in constant time.
// Only the parameters this package writes are accepted, so a tampered hash
// cannot ask for gigabytes.
func CheckPassword(hash, pw string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	if m != argonMemory || t != argonTime || p != argonThreads {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) != argonKeyLen {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// SetupToken lets the first administrator create their account.
type SetupToken struct {
	ID        int64
	TokenHash string
	ExpiresAt time.Time
	UsedAt    *time.Time
	CreatedAt time.Time
}

// SetupTTL is how long a set-up link works.
const SetupTTL = 24 * time.Hour

// Set-up errors.
var (
	ErrSetupDone    = &Error{Kind: KindGone, Key: "setup.done"}
	ErrSetupInvalid = &Error{Kind: KindNotFound, Key: "setup.invalid"}
)

// NewSetupToken returns a one-time set-up token while no staff exists, and
// "" once someone has set up.
func (sa *StaffAccounts) NewSetupToken(ctx context.Context) (string, error) {
	n, err := sa.Count(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	token := newToken()
	now := sa.c.Now()
	err = sa.c.read(ctx).Create(&SetupToken{TokenHash: sa.c.hash("setup", token), ExpiresAt: now.Add(SetupTTL), CreatedAt: now}).Error
	return token, err
}

// CheckSetupToken reports whether token is a live set-up token.
func (sa *StaffAccounts) CheckSetupToken(ctx context.Context, token string) error {
	n, err := sa.Count(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return ErrSetupDone
	}
	if !validToken(token) {
		return ErrSetupInvalid
	}
	var t SetupToken
	err = sa.c.read(ctx).Where("token_hash = ? AND used_at IS NULL AND expires_at > ?", sa.c.hash("setup", token), sa.c.Now()).Take(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ErrSetupInvalid
	}
	return err
}

// CompleteSetup creates the first administrator with a set-up token and
// signs them in (the returned session token is for the cookie).
func (sa *StaffAccounts) CompleteSetup(ctx context.Context, token string, in StaffInput, client Client) (*Staff, string, error) {
	in.Role = RoleAdmin
	if err := in.validate(); err != nil {
		return nil, "", err
	}
	if err := sa.CheckSetupToken(ctx, token); err != nil {
		return nil, "", err
	}
	hash, err := sa.hashPassword(ctx, in.Password)
	if err != nil {
		return nil, "", err
	}
	var st *Staff
	var session string
	err = sa.c.write(ctx, func(tx *tx) error {
		var n int64
		if err := tx.Model(&Staff{}).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return ErrSetupDone
		}
		now := tx.c.Now()
		res := tx.Model(&SetupToken{}).Where("token_hash = ? AND used_at IS NULL AND expires_at > ?", tx.c.hash("setup", token), now).
			Update("used_at", now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrSetupInvalid
		}
		var err error
		if st, err = createStaff(tx, in, hash, Actor{Kind: "system", IP: client.IP}); err != nil {
			return err
		}
		session, err = openSession(tx, st.ID, client)
		return err
	})
	return st, session, err
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func constantTimeEq(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
