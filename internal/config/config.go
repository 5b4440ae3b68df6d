// Package config reads the environment into one Config value.
package config

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is every setting the application reads from its environment.
type Config struct {
	Addr        string // RIGHTSDESK_ADDR
	DataDir     string // RIGHTSDESK_DATA_DIR
	DatabaseURL string // RIGHTSDESK_DATABASE_URL; "" = SQLite under DataDir
	BaseURL     string // RIGHTSDESK_BASE_URL, no trailing slash
	Secret      string // RIGHTSDESK_SECRET (or generated into DataDir/secret)
	SMTPURL     string // RIGHTSDESK_SMTP_URL; "" = .eml files under DataDir/mail
	MailFrom    string // RIGHTSDESK_MAIL_FROM
	StorageURL  string // RIGHTSDESK_STORAGE_URL
	UploadMax   int64  // RIGHTSDESK_UPLOAD_MAX_MB, in bytes: the largest file accepted (default 10 MB)
	// ImportMax is the largest CSV of the organization's records staff may
	// upload for identity verification (RIGHTSDESK_IMPORT_MAX_MB, default 100 MB).
	ImportMax int64
	// DRPBusinessID is the organization's id in the Data Rights Protocol's
	// service directory (RIGHTSDESK_DRP_BUSINESS_ID); "" = the DRP API is off.
	DRPBusinessID string
	// WebhookAllowPrivate lets outgoing calls (DRP status callbacks, the
	// records lookup of identity verification) reach loopback and private
	// addresses (RIGHTSDESK_WEBHOOK_ALLOW_PRIVATE=true).
	WebhookAllowPrivate bool
	// WebhookTimeout bounds each outgoing call (RIGHTSDESK_WEBHOOK_TIMEOUT, default 10s).
	WebhookTimeout time.Duration
	// PackageTTL is how long a person may download a copy of their data
	// (RIGHTSDESK_PACKAGE_DAYS, default 14); it is erased after.
	PackageTTL time.Duration
	// MailRepliesRead: a person reads replies to the mail, which go to the
	// privacy contact (RIGHTSDESK_MAIL_REPLIES=read|unread; default read
	// when RIGHTSDESK_PRIVACY_EMAIL is set, else unread). Mail says which.
	MailRepliesRead bool
	OrgName         string // RIGHTSDESK_ORG_NAME
	// Contact is how people reach the privacy team where the portal cannot
	// help; shown on the home page, in the footer and beside every dead end.
	// The admin's organization settings start from these values.
	Contact    Contact
	TimeZone   *time.Location
	TrustProxy bool    // RIGHTSDESK_TRUST_PROXY: client address from X-Forwarded-For
	RateScale  float64 // RIGHTSDESK_RATE_LIMIT_SCALE: multiplies every per-client rate limit
	// Clocks where no listed law applies, and the holidays business days skip.
	HolidayCalendar     string // RIGHTSDESK_HOLIDAY_CALENDAR: us-ca (default), us, none
	PolicyResponseDays  int    // RIGHTSDESK_POLICY_RESPONSE_DAYS, default 45
	PolicyExtensionDays int    // RIGHTSDESK_POLICY_EXTENSION_DAYS, default 45; 0 = none
	// The mail worker: how long it holds a message between renewals (a
	// crashed worker's mail waits about this long), how often it polls,
	// and how long .eml files are kept when there is no SMTP server.
	MailLease         time.Duration // RIGHTSDESK_MAIL_LEASE, default 30s
	MailPoll          time.Duration // RIGHTSDESK_MAIL_POLL, default 2s
	MailFileRetention time.Duration // RIGHTSDESK_MAIL_FILE_RETENTION, default 7 days
	// Privacy choices: the identifier the choices page asks for, the
	// organization's websites that may pass on a Global Privacy Control
	// signal (CORS), and the keys one-click unsubscribe tokens are signed
	// with (the first signs in examples; any verifies, for rotation).
	ChoicesIdentifier string   // RIGHTSDESK_CHOICES_IDENTIFIER: email (default), phone, customer
	ChoicesOrigins    []string // RIGHTSDESK_CHOICES_ORIGINS: comma-separated origins, e.g. https://www.example.com
	OneClickKeys      [][]byte // RIGHTSDESK_ONE_CLICK_KEY: comma-separated; none = one-click unsubscribe is off
	// SecretGenerated is true when the secret was created on this start.
	SecretGenerated bool
}

// Contact is the organization's privacy contact.
type Contact struct {
	Email   string // RIGHTSDESK_PRIVACY_EMAIL, default the sender address (RIGHTSDESK_MAIL_FROM)
	Address string // RIGHTSDESK_PRIVACY_ADDRESS: postal address, one line; "" = none shown
	// QuebecOfficerTitle is the title of the person in charge of the
	// protection of personal information, whose title and contact Quebec's
	// Law 25 requires to be published (s.3.2): RIGHTSDESK_QUEBEC_OFFICER_TITLE.
	QuebecOfficerTitle string
}

// Load builds a Config from getenv (os.Getenv in production).
func Load(getenv func(string) string) (Config, error) {
	get := func(key, def string) string {
		if v := strings.TrimSpace(getenv(key)); v != "" {
			return v
		}
		return def
	}
	c := Config{
		Addr:        get("RIGHTSDESK_ADDR", "127.0.0.1:8080"),
		DataDir:     get("RIGHTSDESK_DATA_DIR", "./data"),
		DatabaseURL: get("RIGHTSDESK_DATABASE_URL", ""),
		SMTPURL:     get("RIGHTSDESK_SMTP_URL", ""),
		OrgName:     get("RIGHTSDESK_ORG_NAME", "Example Organization"),
		Secret:      get("RIGHTSDESK_SECRET", ""),
	}
	c.TrustProxy = get("RIGHTSDESK_TRUST_PROXY", "") == "true"
	scale, err := strconv.ParseFloat(get("RIGHTSDESK_RATE_LIMIT_SCALE", "1"), 64)
	if err != nil || scale <= 0 {
		return c, errors.New("RIGHTSDESK_RATE_LIMIT_SCALE must be a positive number")
	}
	c.RateScale = scale
	c.HolidayCalendar = get("RIGHTSDESK_HOLIDAY_CALENDAR", "us-ca")
	for key, dst := range map[string]*int{"RIGHTSDESK_POLICY_RESPONSE_DAYS": &c.PolicyResponseDays, "RIGHTSDESK_POLICY_EXTENSION_DAYS": &c.PolicyExtensionDays} {
		n, err := strconv.Atoi(get(key, "45"))
		if err != nil || n < 0 || n > 365 || (key == "RIGHTSDESK_POLICY_RESPONSE_DAYS" && n == 0) {
			return c, fmt.Errorf("%s must be a number of days", key)
		}
		*dst = n
	}
	c.BaseURL = strings.TrimRight(get("RIGHTSDESK_BASE_URL", "http://"+c.Addr), "/")
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, fmt.Errorf("RIGHTSDESK_BASE_URL %q must be an absolute http(s) URL", c.BaseURL)
	}
	host := "localhost"
	if u, _ := url.Parse(c.BaseURL); u.Hostname() != "" && !strings.Contains(u.Hostname(), ":") && strings.Contains(u.Hostname(), ".") {
		host = u.Hostname()
	}
	c.MailFrom = get("RIGHTSDESK_MAIL_FROM", "privacy@"+host)
	c.Contact = Contact{Email: get("RIGHTSDESK_PRIVACY_EMAIL", c.MailFrom), Address: get("RIGHTSDESK_PRIVACY_ADDRESS", ""),
		QuebecOfficerTitle: get("RIGHTSDESK_QUEBEC_OFFICER_TITLE", "")}
	if e := c.Contact.Email; len(e) > 254 || strings.ContainsAny(e, " \t<>\"(),;:") || strings.Count(e, "@") != 1 ||
		strings.HasPrefix(e, "@") || strings.HasSuffix(e, "@") {
		return c, fmt.Errorf("RIGHTSDESK_PRIVACY_EMAIL %q must be one e-mail address, like privacy@example.com", e)
	}
	for key, v := range map[string]string{"RIGHTSDESK_PRIVACY_ADDRESS": c.Contact.Address, "RIGHTSDESK_QUEBEC_OFFICER_TITLE": c.Contact.QuebecOfficerTitle} {
		if len(v) > 300 || strings.ContainsAny(v, "\r\n") {
			return c, fmt.Errorf("%s must be one line of at most 300 characters", key)
		}
	}
	if c.MailLease, err = duration(get("RIGHTSDESK_MAIL_LEASE", "30s"), false); err != nil || c.MailLease < time.Second {
		return c, errors.New("RIGHTSDESK_MAIL_LEASE must be a duration of at least 1s, like 30s")
	}
	if c.MailPoll, err = duration(get("RIGHTSDESK_MAIL_POLL", "2s"), false); err != nil || c.MailPoll < 10*time.Millisecond {
		return c, errors.New("RIGHTSDESK_MAIL_POLL must be a duration of at least 10ms, like 2s")
	}
	if c.MailFileRetention, err = duration(get("RIGHTSDESK_MAIL_FILE_RETENTION", "7"), true); err != nil || c.MailFileRetention <= 0 {
		return c, errors.New("RIGHTSDESK_MAIL_FILE_RETENTION must be a number of days (7, 7d) or a duration (36h)")
	}
	mb, err := strconv.Atoi(get("RIGHTSDESK_UPLOAD_MAX_MB", "10"))
	if err != nil || mb < 1 || mb > 1024 {
		return c, errors.New("RIGHTSDESK_UPLOAD_MAX_MB must be a number of megabytes from 1 to 1024")
	}
	c.UploadMax = int64(mb) << 20
	mb, err = strconv.Atoi(get("RIGHTSDESK_IMPORT_MAX_MB", "100"))
	if err != nil || mb < 1 || mb > 4096 {
		return c, errors.New("RIGHTSDESK_IMPORT_MAX_MB must be a number of megabytes from 1 to 4096")
	}
	c.ImportMax = int64(mb) << 20
	c.DRPBusinessID = get("RIGHTSDESK_DRP_BUSINESS_ID", "")
	c.WebhookAllowPrivate = get("RIGHTSDESK_WEBHOOK_ALLOW_PRIVATE", "") == "true"
	if c.WebhookTimeout, err = duration(get("RIGHTSDESK_WEBHOOK_TIMEOUT", "10s"), false); err != nil ||
		c.WebhookTimeout < 100*time.Millisecond || c.WebhookTimeout > 5*time.Minute {
		return c, errors.New("RIGHTSDESK_WEBHOOK_TIMEOUT must be a duration from 100ms to 5m, like 10s")
	}
	if c.PackageTTL, err = duration(get("RIGHTSDESK_PACKAGE_DAYS", "14"), true); err != nil || c.PackageTTL < 24*time.Hour ||
		c.PackageTTL > 365*24*time.Hour {
		return c, errors.New("RIGHTSDESK_PACKAGE_DAYS must be a number of days from 1 to 365")
	}
	replies := "unread"
	if strings.TrimSpace(getenv("RIGHTSDESK_PRIVACY_EMAIL")) != "" {
		replies = "read"
	}
	switch get("RIGHTSDESK_MAIL_REPLIES", replies) {
	case "read":
		c.MailRepliesRead = true
	case "unread":
	default:
		return c, errors.New("RIGHTSDESK_MAIL_REPLIES must be read (a person reads replies to the privacy contact) or unread")
	}
	c.StorageURL = get("RIGHTSDESK_STORAGE_URL", "file://"+filepath.ToSlash(mustAbs(filepath.Join(c.DataDir, "blobs"))))
	tz, err := time.LoadLocation(get("RIGHTSDESK_TIMEZONE", "America/Los_Angeles"))
	if err != nil {
		return c, fmt.Errorf("RIGHTSDESK_TIMEZONE: %w", err)
	}
	c.TimeZone = tz
	c.ChoicesIdentifier = get("RIGHTSDESK_CHOICES_IDENTIFIER", "email")
	switch c.ChoicesIdentifier {
	case "email", "phone", "customer":
	default:
		return c, errors.New("RIGHTSDESK_CHOICES_IDENTIFIER must be email, phone or customer")
	}
	for _, o := range strings.Split(get("RIGHTSDESK_CHOICES_ORIGINS", ""), ",") {
		if o = strings.TrimSpace(o); o == "" {
			continue
		}
		origin, err := Origin(o)
		if err != nil {
			return c, fmt.Errorf("RIGHTSDESK_CHOICES_ORIGINS: %w", err)
		}
		c.ChoicesOrigins = append(c.ChoicesOrigins, origin)
	}
	for _, k := range strings.Split(get("RIGHTSDESK_ONE_CLICK_KEY", ""), ",") {
		if k = strings.TrimSpace(k); k == "" {
			continue
		}
		if len(k) < MinSecret {
			return c, fmt.Errorf("RIGHTSDESK_ONE_CLICK_KEY: each key needs at least %d characters (for example the output of: openssl rand -hex 32)", MinSecret)
		}
		c.OneClickKeys = append(c.OneClickKeys, []byte(k))
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		return c, errors.New("RIGHTSDESK_DATABASE_URL must be a postgres:// URL (leave it unset for embedded SQLite)")
	}
	return c, nil
}

// Origin checks a web origin (scheme, host and port, nothing else) and
// returns it as a browser sends it in an Origin header: lower case, no
// default port, no trailing slash.
func Origin(s string) (string, error) {
	u, err := url.Parse(strings.TrimRight(strings.TrimSpace(s), "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		u.Path != "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%q is not an origin like https://www.example.com", s)
	}
	host := strings.ToLower(u.Host)
	if u.Scheme == "https" {
		host = strings.TrimSuffix(host, ":443")
	} else {
		host = strings.TrimSuffix(host, ":80")
	}
	return u.Scheme + "://" + host, nil
}

// duration parses a Go duration ("90s", "36h") or, when days is true, a
// number of days ("7", "7d").
func duration(v string, days bool) (time.Duration, error) {
	if days {
		if n, err := strconv.Atoi(strings.TrimSuffix(v, "d")); err == nil {
			if n < 0 || n > 100*365 {
				return 0, errors.New("out of range")
			}
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	return time.ParseDuration(v)
}

// Secure reports whether the portal is served over TLS.
func (c Config) Secure() bool { return strings.HasPrefix(c.BaseURL, "https://") }

// MinSecret is the shortest secret accepted: every key is derived from it,
// so a short one would let a session cookie or a token be forged.
const MinSecret = 32

// EnsureSecret fills c.Secret from DataDir/secret, creating that file
// (0600, written whole or not at all) when neither the environment nor the
// file provides one. An existing file is never overwritten: one that cannot
// be read or is too short is an error to fix, because replacing it would
// break every tracking link and sign everyone out.
func (c *Config) EnsureSecret() error {
	if c.Secret != "" {
		if len(c.Secret) < MinSecret {
			return fmt.Errorf("RIGHTSDESK_SECRET is %d characters long; it must be at least %d (for example the output of: openssl rand -hex 32)", len(c.Secret), MinSecret)
		}
		return nil
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return err
	}
	path := filepath.Join(c.DataDir, "secret")
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		secret := strings.TrimSpace(string(b))
		if len(secret) < MinSecret {
			return fmt.Errorf("%s holds %d characters; a secret needs at least %d. Restore the file from a backup, or remove it to generate a new one (existing tracking links and sessions then stop working)", path, len(secret), MinSecret)
		}
		c.Secret = secret
		return nil
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("cannot read the secret file (it is not replaced): %w", err)
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return err
	}
	secret := hex.EncodeToString(buf)
	if err := writeNew(path, []byte(secret+"\n")); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return c.EnsureSecret() // another process created it first: use theirs
		}
		return fmt.Errorf("write the secret file: %w", err)
	}
	c.Secret, c.SecretGenerated = secret, true
	return nil
}

// writeNew creates path with data, mode 0600, atomically: the content is
// written and synced under a temporary name, then linked into place, which
// fails with fs.ErrExist rather than replace a file that appeared meanwhile.
func writeNew(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".secret-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Link(tmp.Name(), path)
}

func mustAbs(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// Key derives a 32-byte key for one purpose ("cookie-hash", "token", …) from
// the secret, so one setting yields independent keys.
func (c Config) Key(purpose string) []byte {
	k, err := hkdf.Key(sha256.New, []byte(c.Secret), nil, "rightsdesk "+purpose, 32)
	if err != nil {
		panic(err) // only for lengths out of range, which 32 is not
	}
	return k
}
