package models

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"gorm.io/gorm"
)

// Staff roles.
const (
	RoleAdmin = "admin"
	RoleStaff = "staff"
)

// Roles lists the staff roles.
var Roles = []string{RoleAdmin, RoleStaff}

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
}

func (Staff) TableName() string { return "staff" }

// StaffInput creates a staff account.
type StaffInput struct {
	Email, Name, Role, Password string
}

func (in *StaffInput) validate() error {
	v := &ValidationError{}
	in.Email = strings.ToLower(strings.TrimSpace(in.Email))
	in.Name = strings.TrimSpace(in.Name)
	if in.Email == "" || !validEmail(in.Email) || len(in.Email) > MaxEmail {
		v.Add("email", "error.email.invalid")
	}
	if in.Name == "" {
		v.Add("name", "error.name.required")
	} else if utf8.RuneCountInString(in.Name) > MaxName {
		v.Add("name", "error.name.too_long")
	}
	if !contains(Roles, in.Role) {
		v.Add("role", "error.role.invalid")
	}
	if utf8.RuneCountInString(in.Password) < MinPassword {
		v.Add("password", "error.password.too_short")
	} else if len(in.Password) > 1024 {
		v.Add("password", "error.password.too_long")
	}
	return v.Err()
}

// CreateStaff adds a staff member.
func (s *Store) CreateStaff(ctx context.Context, in StaffInput, actor Actor) (*Staff, error) {
	var st *Staff
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		st, err = s.createStaff(tx, in, actor)
		return err
	})
	return st, err
}

func (s *Store) createStaff(tx *gorm.DB, in StaffInput, actor Actor) (*Staff, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	var n int64
	if err := tx.Model(&Staff{}).Where("email = ?", in.Email).Count(&n).Error; err != nil {
		return nil, err
	}
	if n > 0 {
		return nil, &ValidationError{Fields: map[string]string{"email": "error.email.taken"}}
	}
	now := s.now()
	st := &Staff{Email: in.Email, Name: in.Name, Role: in.Role, PasswordHash: HashPassword(in.Password),
		CreatedAt: now, UpdatedAt: now}
	if err := tx.Create(st).Error; err != nil {
		return nil, err
	}
	return st, s.audit(tx, actor, "staff.create", "staff", st.ID, "role="+in.Role)
}

// StaffCount counts staff accounts.
func (s *Store) StaffCount(ctx context.Context) (int64, error) {
	var n int64
	err := s.DB.WithContext(ctx).Model(&Staff{}).Count(&n).Error
	return n, err
}

// StaffByID loads an enabled staff member.
func (s *Store) StaffByID(ctx context.Context, id int64) (*Staff, error) {
	var st Staff
	err := s.DB.WithContext(ctx).Where("id = ? AND disabled_at IS NULL", id).First(&st).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	return &st, err
}

// dummyHash is checked when the email is unknown, so a login takes as long
// whether or not the account exists.
var dummyHash = sync.OnceValue(func() string { return HashPassword("rightsdesk-dummy-password") })

// Authenticate checks a staff login.
func (s *Store) Authenticate(ctx context.Context, email, password string, ip string) (*Staff, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	var st Staff
	err := s.DB.WithContext(ctx).Where("email = ? AND disabled_at IS NULL", email).First(&st).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		CheckPassword(dummyHash(), password)
		return nil, ErrBadLogin
	}
	if err != nil {
		return nil, err
	}
	if !CheckPassword(st.PasswordHash, password) {
		if err := s.audit(s.DB.WithContext(ctx), StaffActor(st.ID, ip), "staff.login_failed", "staff", st.ID, ""); err != nil {
			return nil, err
		}
		return nil, ErrBadLogin
	}
	now := s.now()
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&st).Update("last_login_at", now).Error; err != nil {
			return err
		}
		return s.audit(tx, StaffActor(st.ID, ip), "staff.login", "staff", st.ID, "")
	})
	return &st, err
}

// argon2id parameters: RFC 9106's second recommended option (64 MiB, 3 passes).
const (
	argonTime    = 3
	argonMemory  = 64 * 1024
	argonThreads = 2
	argonKeyLen  = 32
)

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
func CheckPassword(hash, pw string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
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

// NewSetupToken returns a one-time set-up token while no staff exists, and
// "" once someone has set up.
func (s *Store) NewSetupToken(ctx context.Context) (string, error) {
	n, err := s.StaffCount(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	token := newToken()
	now := s.now()
	err = s.DB.WithContext(ctx).Create(&SetupToken{TokenHash: s.hash("setup", token), ExpiresAt: now.Add(SetupTTL), CreatedAt: now}).Error
	return token, err
}

// CheckSetupToken reports whether token is a live set-up token.
func (s *Store) CheckSetupToken(ctx context.Context, token string) error {
	n, err := s.StaffCount(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return ErrSetupDone
	}
	var t SetupToken
	err = s.DB.WithContext(ctx).Where("token_hash = ? AND used_at IS NULL AND expires_at > ?", s.hash("setup", token), s.now()).First(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ErrNotFound
	}
	return err
}

// CompleteSetup creates the first administrator with a set-up token.
func (s *Store) CompleteSetup(ctx context.Context, token string, in StaffInput, ip string) (*Staff, error) {
	in.Role = RoleAdmin
	var st *Staff
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&Staff{}).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return ErrSetupDone
		}
		now := s.now()
		res := tx.Model(&SetupToken{}).Where("token_hash = ? AND used_at IS NULL AND expires_at > ?", s.hash("setup", token), now).
			Update("used_at", now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		var err error
		st, err = s.createStaff(tx, in, Actor{Kind: "system", IP: ip})
		return err
	})
	return st, err
}
