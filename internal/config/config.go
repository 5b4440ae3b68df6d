// Package config reads the environment into one Config value.
package config

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
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
	OrgName     string // RIGHTSDESK_ORG_NAME
	TimeZone    *time.Location
	TrustProxy  bool    // RIGHTSDESK_TRUST_PROXY: client address from X-Forwarded-For
	RateScale   float64 // RIGHTSDESK_RATE_LIMIT_SCALE: multiplies every per-client rate limit
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
	// SecretGenerated is true when the secret was created on this start.
	SecretGenerated bool
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
	if c.MailLease, err = duration(get("RIGHTSDESK_MAIL_LEASE", "30s"), false); err != nil || c.MailLease < time.Second {
		return c, errors.New("RIGHTSDESK_MAIL_LEASE must be a duration of at least 1s, like 30s")
	}
	if c.MailPoll, err = duration(get("RIGHTSDESK_MAIL_POLL", "2s"), false); err != nil || c.MailPoll < 10*time.Millisecond {
		return c, errors.New("RIGHTSDESK_MAIL_POLL must be a duration of at least 10ms, like 2s")
	}
	if c.MailFileRetention, err = duration(get("RIGHTSDESK_MAIL_FILE_RETENTION", "7"), true); err != nil || c.MailFileRetention <= 0 {
		return c, errors.New("RIGHTSDESK_MAIL_FILE_RETENTION must be a number of days (7, 7d) or a duration (36h)")
	}
	c.StorageURL = get("RIGHTSDESK_STORAGE_URL", "file://"+filepath.ToSlash(mustAbs(filepath.Join(c.DataDir, "blobs"))))
	tz, err := time.LoadLocation(get("RIGHTSDESK_TIMEZONE", "America/Los_Angeles"))
	if err != nil {
		return c, fmt.Errorf("RIGHTSDESK_TIMEZONE: %w", err)
	}
	c.TimeZone = tz
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		return c, errors.New("RIGHTSDESK_DATABASE_URL must be a postgres:// URL (leave it unset for embedded SQLite)")
	}
	return c, nil
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

// EnsureSecret fills c.Secret from DataDir/secret, creating it (0600) when
// neither the environment nor the file provides one.
func (c *Config) EnsureSecret() error {
	if c.Secret != "" {
		return nil
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return err
	}
	path := filepath.Join(c.DataDir, "secret")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 32 {
		c.Secret = strings.TrimSpace(string(b))
		return nil
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return err
	}
	c.Secret = hex.EncodeToString(buf)
	c.SecretGenerated = true
	return os.WriteFile(path, []byte(c.Secret+"\n"), 0o600)
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
