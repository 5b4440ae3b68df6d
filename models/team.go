package models

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"gorm.io/gorm"
)

// Invitations, password resets and two-step sign-in: how the team gets in
// and stays secure without anyone handling another person's password.

// StaffInvite is a single-use, expiring invitation to join the team.
type StaffInvite struct {
	ID         int64
	TokenHash  string
	Email      string
	Name       string
	Role       string
	InvitedBy  int64
	CreatedAt  time.Time
	ExpiresAt  time.Time
	AcceptedAt *time.Time
}

// PasswordReset is a single-use, expiring link to set a new password.
type PasswordReset struct {
	ID        int64
	TokenHash string
	StaffID   int64
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// RecoveryCode is a one-time code that stands in for the authenticator.
type RecoveryCode struct {
	ID       int64
	StaffID  int64
	CodeHash string
	UsedAt   *time.Time
}

// Lifetimes of the links.
const (
	InviteTTL = 7 * 24 * time.Hour
	ResetTTL  = 24 * time.Hour
)

// Team errors.
var (
	ErrInviteInvalid = &Error{Kind: KindNotFound, Key: "invite.invalid"}
	ErrResetInvalid  = &Error{Kind: KindNotFound, Key: "reset.invalid"}
	ErrCodeInvalid   = &Error{Kind: KindInvalid, Key: "error.two_step.wrong", Field: "code"}
	ErrTwoStepRate   = &Error{Kind: KindThrottled, Key: "error.two_step.throttled", Field: "code"}
)

// InviteInput is what an administrator fills in to invite someone.
type InviteInput struct{ Email, Name, Role string }

// Invite records an invitation and mails its link; inviting an address
// again replaces the earlier link.
func (sa *StaffAccounts) Invite(ctx context.Context, in InviteInput, actor Actor) error {
	v := &ValidationError{}
	in.Email = strings.ToLower(text(v, "email", in.Email, OneLine, true, MaxEmail))
	if _, bad := v.Fields["email"]; !bad && !ValidEmail(in.Email) {
		v.Add("email", "error.email.invalid")
	}
	in.Name = text(v, "name", in.Name, OneLine, true, MaxName)
	if !contains(Roles, in.Role) {
		v.Add("role", "error.role.invalid")
	}
	if err := v.Err(); err != nil {
		return err
	}
	c := sa.c
	token := newToken()
	return c.write(ctx, func(tx *tx) error {
		var n int64
		if err := tx.Model(&Staff{}).Where("email = ?", in.Email).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return invalid("email", "error.email.taken")
		}
		now := now()
		if err := tx.Where("email = ? AND accepted_at IS NULL", in.Email).Delete(&StaffInvite{}).Error; err != nil {
			return err
		}
		inv := &StaffInvite{TokenHash: c.hash("invite", token), Email: in.Email, Name: in.Name, Role: in.Role,
			InvitedBy: *actor.StaffID, CreatedAt: now, ExpiresAt: now.Add(InviteTTL)}
		if err := tx.Create(inv).Error; err != nil {
			return err
		}
		if err := tx.enqueue(in.Email, MailStaffInvite, "en", MailData{Name: in.Name, URL: c.BaseURL + "/invite/" + token,
			Role: in.Role}); err != nil {
			return err
		}
		return tx.audit(actor, "staff.invite", "staff_invite", inv.ID, "role="+in.Role)
	})
}

// Invitation returns the live invitation a token names.
func (sa *StaffAccounts) Invitation(ctx context.Context, token string) (*StaffInvite, error) {
	if !validToken(token) {
		return nil, ErrInviteInvalid
	}
	var inv StaffInvite
	err := sa.c.read(ctx).Where("token_hash = ? AND accepted_at IS NULL AND expires_at > ?", sa.c.hash("invite", token), now()).Take(&inv).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrInviteInvalid
	}
	return &inv, err
}

// AcceptInvite creates the invited account with the password the person
// chose, once, and signs them in (the returned token is the session's).
func (sa *StaffAccounts) AcceptInvite(ctx context.Context, token, password string, client Client) (*Staff, string, error) {
	inv, err := sa.Invitation(ctx, token)
	if err != nil {
		return nil, "", err
	}
	in := StaffInput{Email: inv.Email, Name: inv.Name, Role: inv.Role, Password: password}
	if err := in.validate(); err != nil {
		return nil, "", err
	}
	hash, err := sa.hashPassword(ctx, password)
	if err != nil {
		return nil, "", err
	}
	var st *Staff
	var session string
	err = sa.c.write(ctx, func(tx *tx) error {
		res := tx.Model(&StaffInvite{}).Where("id = ? AND accepted_at IS NULL AND expires_at > ?", inv.ID, now()).
			Update("accepted_at", now())
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrInviteInvalid
		}
		if st, err = createStaff(tx, in, hash, client.actor(inv.InvitedBy)); err != nil {
			return err
		}
		session, err = openSession(tx, st.ID, client)
		return err
	})
	return st, session, err
}

// Invitations lists the invitations not yet accepted, newest first.
func (sa *StaffAccounts) Invitations(ctx context.Context) ([]StaffInvite, error) {
	var out []StaffInvite
	err := sa.c.read(ctx).Where("accepted_at IS NULL AND expires_at > ?", now()).Order("id DESC").Find(&out).Error
	return out, err
}

// SetRole changes a member's role; an administrator cannot demote the
// last administrator.
func (sa *StaffAccounts) SetRole(ctx context.Context, staffID int64, role string, actor Actor) error {
	if !contains(Roles, role) {
		return invalid("role", "error.role.invalid")
	}
	return sa.c.write(ctx, func(tx *tx) error {
		others, err := lockAdmins(tx, staffID)
		if err != nil {
			return err
		}
		var st Staff
		if err := tx.forUpdate().Where("id = ? AND disabled_at IS NULL", staffID).Take(&st).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNotFound
			}
			return err
		}
		if st.Role == RoleAdmin && role != RoleAdmin && others == 0 {
			return ErrLastAdmin
		}
		if err := tx.Model(&Staff{}).Where("id = ?", st.ID).Updates(map[string]any{"role": role, "updated_at": now()}).Error; err != nil {
			return err
		}
		return tx.audit(actor, "staff.role", "staff", st.ID, st.Role+"->"+role)
	})
}

// ErrLastAdmin: the team would be left without an administrator.
var ErrLastAdmin = &Error{Kind: KindConflict, Key: "error.last_admin"}

// lockAdmins locks the enabled administrators, in id order (so two
// changes cannot deadlock), and counts those other than staffID: a change
// that would leave none is refused, and two demotions cannot each see the
// other as the one left.
func lockAdmins(tx *tx, staffID int64) (int, error) {
	var ids []int64
	if err := tx.forUpdate().Model(&Staff{}).Where("role = ? AND disabled_at IS NULL", RoleAdmin).Order("id").Pluck("id", &ids).Error; err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		if id != staffID {
			n++
		}
	}
	return n, nil
}

// ResetPassword ends a member's sessions and mails them a link to choose a
// new password; their old password stops working at once.
func (sa *StaffAccounts) ResetPassword(ctx context.Context, staffID int64, actor Actor) error {
	c := sa.c
	token := newToken()
	return c.write(ctx, func(tx *tx) error {
		var st Staff
		if err := tx.forUpdate().Where("id = ? AND disabled_at IS NULL", staffID).Take(&st).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNotFound
			}
			return err
		}
		now := now()
		if err := tx.Model(&Staff{}).Where("id = ?", st.ID).Updates(map[string]any{"password_hash": "reset", "updated_at": now}).Error; err != nil {
			return err
		}
		if err := endSessions(tx, st.ID); err != nil {
			return err
		}
		if err := tx.Where("staff_id = ? AND used_at IS NULL", st.ID).Delete(&PasswordReset{}).Error; err != nil {
			return err
		}
		if err := tx.Create(&PasswordReset{TokenHash: c.hash("reset", token), StaffID: st.ID, CreatedAt: now, ExpiresAt: now.Add(ResetTTL)}).Error; err != nil {
			return err
		}
		if err := tx.enqueue(st.Email, MailPasswordReset, "en", MailData{Name: st.Name, URL: c.BaseURL + "/reset/" + token}); err != nil {
			return err
		}
		return tx.audit(actor, "staff.password_reset", "staff", st.ID, "")
	})
}

// CheckReset reports whether a reset link is live.
func (sa *StaffAccounts) CheckReset(ctx context.Context, token string) error {
	if !validToken(token) {
		return ErrResetInvalid
	}
	var r PasswordReset
	err := sa.c.read(ctx).Where("token_hash = ? AND used_at IS NULL AND expires_at > ?", sa.c.hash("reset", token), now()).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ErrResetInvalid
	}
	return err
}

// CompleteReset sets the new password through a reset link, once. The
// member then signs in as usual (with their second step, if they have one).
func (sa *StaffAccounts) CompleteReset(ctx context.Context, token, password string, client Client) error {
	v := &ValidationError{}
	validPassword(v, password)
	if err := v.Err(); err != nil {
		return err
	}
	if err := sa.CheckReset(ctx, token); err != nil {
		return err
	}
	hash, err := sa.hashPassword(ctx, password)
	if err != nil {
		return err
	}
	return sa.c.write(ctx, func(tx *tx) error {
		var r PasswordReset
		if err := tx.forUpdate().Where("token_hash = ? AND used_at IS NULL AND expires_at > ?", tx.c.hash("reset", token), now()).Take(&r).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrResetInvalid
			}
			return err
		}
		res := tx.Model(&PasswordReset{}).Where("id = ? AND used_at IS NULL", r.ID).Update("used_at", now())
		if res.Error != nil || res.RowsAffected != 1 {
			return errors.Join(res.Error, ErrResetInvalid)
		}
		if err := tx.Model(&Staff{}).Where("id = ? AND disabled_at IS NULL", r.StaffID).
			Updates(map[string]any{"password_hash": hash, "updated_at": now()}).Error; err != nil {
			return err
		}
		return tx.audit(client.actor(r.StaffID), "staff.password_set", "staff", r.StaffID, "")
	})
}

// TwoStepSetup is a new authenticator secret, shown while the member
// enrols: the key for the authenticator app and its QR code.
type TwoStepSetup struct {
	Secret string // base32, for typing in
	URL    string // otpauth:// URL
	QRPNG  []byte // the URL as a QR code
	Sealed string // the secret sealed, carried by the enrolment form
}

// NewTwoStep makes a new authenticator secret for st (not saved until
// ConfirmTwoStep checks a code from it).
func (sa *StaffAccounts) NewTwoStep(st *Staff, issuer string) (*TwoStepSetup, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: st.Email, SecretSize: 20})
	if err != nil {
		return nil, err
	}
	img, err := key.Image(200, 200)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, err
	}
	return &TwoStepSetup{Secret: key.Secret(), URL: key.URL(), QRPNG: b.Bytes(),
		Sealed: sa.c.seal(twoStepPurpose(st.ID), key.Secret())}, nil
}

func twoStepPurpose(staffID int64) string { return "totp:" + itoa(staffID) }

// totpStep finds which 30-second step (now, or one either side for clock
// drift) code belongs to; 0 when none.
func totpStep(secret, code string, at time.Time) int64 {
	code = strings.TrimSpace(strings.ReplaceAll(code, " ", ""))
	if len(code) != 6 {
		return 0
	}
	for _, d := range []int64{0, -1, 1} {
		t := at.Add(time.Duration(d) * 30 * time.Second)
		want, err := totp.GenerateCodeCustom(secret, t, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err == nil && hashEqualPlain(want, code) {
			return t.Unix() / 30
		}
	}
	return 0
}

// ConfirmTwoStep turns two-step sign-in on once the member typed a code
// from their new authenticator, and returns ten one-time recovery codes
// (shown once, stored hashed).
func (sa *StaffAccounts) ConfirmTwoStep(ctx context.Context, staffID int64, sealed, code string, actor Actor) ([]string, error) {
	secret, ok := sa.c.unseal(twoStepPurpose(staffID), sealed)
	if !ok {
		return nil, ErrCodeInvalid
	}
	step := totpStep(secret, code, now())
	if step == 0 {
		return nil, ErrCodeInvalid
	}
	codes := make([]string, 10)
	for i := range codes {
		codes[i] = newRecoveryCode()
	}
	err := sa.c.write(ctx, func(tx *tx) error {
		res := tx.Model(&Staff{}).Where("id = ? AND disabled_at IS NULL", staffID).Updates(map[string]any{
			"totp_sealed": sa.c.seal(twoStepPurpose(staffID), secret), "totp_enabled_at": now(), "totp_last_step": step, "updated_at": now()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrNotFound
		}
		if err := tx.Where("staff_id = ?", staffID).Delete(&RecoveryCode{}).Error; err != nil {
			return err
		}
		for _, rc := range codes {
			if err := tx.Create(&RecoveryCode{StaffID: staffID, CodeHash: tx.c.hash("recovery", normalizeRecovery(rc))}).Error; err != nil {
				return err
			}
		}
		return tx.audit(actor, "staff.two_step_on", "staff", staffID, "")
	})
	return codes, err
}

// ResetTwoStep turns a member's two-step sign-in off (they lost their
// device) and ends their sessions; an administrator enrols again at the
// next sign-in.
func (sa *StaffAccounts) ResetTwoStep(ctx context.Context, staffID int64, actor Actor) error {
	return sa.c.write(ctx, func(tx *tx) error {
		res := tx.Model(&Staff{}).Where("id = ?", staffID).Updates(map[string]any{"totp_sealed": "", "totp_enabled_at": nil, "updated_at": now()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrNotFound
		}
		if err := tx.Where("staff_id = ?", staffID).Delete(&RecoveryCode{}).Error; err != nil {
			return err
		}
		if err := endSessions(tx, staffID); err != nil {
			return err
		}
		return tx.audit(actor, "staff.two_step_reset", "staff", staffID, "")
	})
}

// twoStepPerAccount bounds second-step guesses per account.
var twoStepPerAccount = Limit{Name: "two-step-account", Max: 5, Window: 15 * time.Minute}

// SecondStep finishes a sign-in whose password was right: a code from the
// authenticator (each works once: its time step must be later than the
// last one used, checked by a guarded UPDATE) or an unused recovery code.
// It opens the session and returns its token.
func (sa *StaffAccounts) SecondStep(ctx context.Context, staffID int64, code string, client Client) (string, error) {
	c := sa.c
	if ok, _, err := c.allow(c.read(ctx), twoStepPerAccount, itoa(staffID)); err != nil {
		return "", err
	} else if !ok {
		return "", ErrTwoStepRate
	}
	var st Staff
	if err := c.read(ctx).Where("id = ? AND disabled_at IS NULL AND totp_enabled_at IS NOT NULL", staffID).Take(&st).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return "", ErrNotFound
		}
		return "", err
	}
	secret, ok := c.unseal(twoStepPurpose(st.ID), st.TOTPSealed)
	if !ok {
		return "", ErrCodeInvalid
	}
	var token string
	err := c.write(ctx, func(tx *tx) error {
		if step := totpStep(secret, code, now()); step != 0 {
			res := tx.Model(&Staff{}).Where("id = ? AND totp_last_step < ?", st.ID, step).Update("totp_last_step", step)
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != 1 {
				return ErrCodeInvalid // already used
			}
		} else {
			res := tx.Model(&RecoveryCode{}).Where("staff_id = ? AND code_hash = ? AND used_at IS NULL",
				st.ID, c.hash("recovery", normalizeRecovery(code))).Update("used_at", now())
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != 1 {
				return ErrCodeInvalid
			}
			if err := tx.audit(client.actor(st.ID), "staff.recovery_code_used", "staff", st.ID, ""); err != nil {
				return err
			}
		}
		if err := tx.Model(&Staff{}).Where("id = ?", st.ID).Update("last_login_at", now()).Error; err != nil {
			return err
		}
		var err error
		if token, err = openSession(tx, st.ID, client); err != nil {
			return err
		}
		return tx.audit(client.actor(st.ID), "staff.login", "staff", st.ID, "two_step")
	})
	return token, err
}

// RecoveryCodesLeft counts a member's unused recovery codes.
func (sa *StaffAccounts) RecoveryCodesLeft(ctx context.Context, staffID int64) (int, error) {
	var n int64
	err := sa.c.read(ctx).Model(&RecoveryCode{}).Where("staff_id = ? AND used_at IS NULL", staffID).Count(&n).Error
	return int(n), err
}

// recoveryAlphabet is the reference alphabet: no 0/O, 1/I/L or U.
func newRecoveryCode() string {
	b := make([]byte, 10)
	for i := range b {
		b[i] = referenceAlphabet[randInt(len(referenceAlphabet))]
	}
	return string(b[:5]) + "-" + string(b[5:])
}

func normalizeRecovery(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	return strings.NewReplacer("-", "", " ", "").Replace(s)
}

func hashEqualPlain(a, b string) bool { return len(a) == len(b) && constantTimeEq(a, b) }
