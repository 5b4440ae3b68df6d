package config

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.DataDir != "./data" || c.DatabaseURL != "" || c.BaseURL != "http://127.0.0.1:8080" ||
		c.TimeZone.String() != "America/Los_Angeles" || c.Secure() || c.RateScale != 1 {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestInvalid(t *testing.T) {
	for name, m := range map[string]map[string]string{
		"base URL":     {"RIGHTSDESK_BASE_URL": "privacy.example.com"},
		"database URL": {"RIGHTSDESK_DATABASE_URL": "mysql://x"},
		"time zone":    {"RIGHTSDESK_TIMEZONE": "Mars/Olympus"},
		"rate scale":   {"RIGHTSDESK_RATE_LIMIT_SCALE": "-1"},
		"policy days":  {"RIGHTSDESK_POLICY_RESPONSE_DAYS": "0"},
		"privacy mail": {"RIGHTSDESK_PRIVACY_EMAIL": "Privacy <privacy@example.com>"},
		"no @":         {"RIGHTSDESK_PRIVACY_EMAIL": "privacy"},
	} {
		if _, err := Load(env(m)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	c, err := Load(env(map[string]string{"RIGHTSDESK_BASE_URL": "https://privacy.example.com/"}))
	if err != nil || !c.Secure() || c.BaseURL != "https://privacy.example.com" || c.MailFrom != "privacy@privacy.example.com" {
		t.Fatalf("https: %+v %v", c, err)
	}
}

// The privacy contact defaults to the sender address; the address and the
// Quebec officer's title are shown only when set.
func TestContact(t *testing.T) {
	c, err := Load(env(map[string]string{"RIGHTSDESK_BASE_URL": "https://privacy.example.com"}))
	if err != nil || c.Contact != (Contact{Email: "privacy@privacy.example.com"}) {
		t.Fatalf("default contact %+v %v", c.Contact, err)
	}
	c, err = Load(env(map[string]string{"RIGHTSDESK_PRIVACY_EMAIL": "dpo@example.com", "RIGHTSDESK_PRIVACY_ADDRESS": "1 Main St, Springfield",
		"RIGHTSDESK_QUEBEC_OFFICER_TITLE": "Chief Privacy Officer"}))
	if err != nil || c.Contact != (Contact{Email: "dpo@example.com", Address: "1 Main St, Springfield", QuebecOfficerTitle: "Chief Privacy Officer"}) {
		t.Fatalf("contact %+v %v", c.Contact, err)
	}
}

func TestSecretGeneratedOnceAndKeysDiffer(t *testing.T) {
	dir := t.TempDir()
	c, _ := Load(env(map[string]string{"RIGHTSDESK_DATA_DIR": dir}))
	if err := c.EnsureSecret(); err != nil || !c.SecretGenerated {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, "secret"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("secret file: %v %v", st, err)
	}
	again, _ := Load(env(map[string]string{"RIGHTSDESK_DATA_DIR": dir}))
	if err := again.EnsureSecret(); err != nil || again.SecretGenerated || again.Secret != c.Secret {
		t.Fatal("secret not reused")
	}
	if string(c.Key("cookie-hash")) == string(c.Key("token")) || len(c.Key("token")) != 32 {
		t.Fatal("derived keys")
	}
}

func TestMailDurations(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil || c.MailLease != 30*time.Second || c.MailPoll != 2*time.Second || c.MailFileRetention != 7*24*time.Hour {
		t.Fatalf("defaults: %v %v %v %v", c.MailLease, c.MailPoll, c.MailFileRetention, err)
	}
	for _, tc := range []struct {
		key, value string
		want       time.Duration // 0 = refused
	}{
		{"RIGHTSDESK_MAIL_FILE_RETENTION", "30", 30 * 24 * time.Hour},
		{"RIGHTSDESK_MAIL_FILE_RETENTION", "2d", 48 * time.Hour},
		{"RIGHTSDESK_MAIL_FILE_RETENTION", "36h", 36 * time.Hour},
		{"RIGHTSDESK_MAIL_FILE_RETENTION", "0", 0},
		{"RIGHTSDESK_MAIL_FILE_RETENTION", "-1d", 0},
		{"RIGHTSDESK_MAIL_FILE_RETENTION", "a week", 0},
		{"RIGHTSDESK_MAIL_LEASE", "2s", 2 * time.Second},
		{"RIGHTSDESK_MAIL_LEASE", "500ms", 0},
		{"RIGHTSDESK_MAIL_LEASE", "30", 0}, // a lease is not counted in days
		{"RIGHTSDESK_MAIL_POLL", "100ms", 100 * time.Millisecond},
		{"RIGHTSDESK_MAIL_POLL", "0s", 0},
	} {
		c, err := Load(env(map[string]string{tc.key: tc.value}))
		got := map[string]time.Duration{"RIGHTSDESK_MAIL_FILE_RETENTION": c.MailFileRetention,
			"RIGHTSDESK_MAIL_LEASE": c.MailLease, "RIGHTSDESK_MAIL_POLL": c.MailPoll}[tc.key]
		switch {
		case tc.want == 0 && err == nil:
			t.Errorf("%s=%s accepted as %v", tc.key, tc.value, got)
		case tc.want != 0 && (err != nil || got != tc.want):
			t.Errorf("%s=%s: %v, %v; want %v", tc.key, tc.value, got, err, tc.want)
		}
	}
}

// How long a person may download their package: 14 days unless
// RIGHTSDESK_PACKAGE_DAYS says otherwise, in whole days from 1 to 365 (a
// duration in hours is read as one); anything else stops the start with a
// message naming the variable.
func TestPackageDays(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil || c.PackageTTL != 14*24*time.Hour {
		t.Fatalf("default: %v %v", c.PackageTTL, err)
	}
	for _, tc := range []struct {
		value string
		want  time.Duration // 0 = refused
	}{
		{"1", 24 * time.Hour},
		{"30", 30 * 24 * time.Hour},
		{" 7 ", 7 * 24 * time.Hour},
		{"7d", 7 * 24 * time.Hour},
		{"365", 365 * 24 * time.Hour},
		{"48h", 48 * time.Hour},
		{"0", 0},
		{"-3", 0},
		{"366", 0},
		{"23h", 0},
		{"1.5", 0},
		{"two weeks", 0},
	} {
		c, err := Load(env(map[string]string{"RIGHTSDESK_PACKAGE_DAYS": tc.value}))
		switch {
		case tc.want == 0 && err == nil:
			t.Errorf("RIGHTSDESK_PACKAGE_DAYS=%q accepted as %v", tc.value, c.PackageTTL)
		case tc.want == 0 && !strings.Contains(err.Error(), "RIGHTSDESK_PACKAGE_DAYS"):
			t.Errorf("RIGHTSDESK_PACKAGE_DAYS=%q: the error does not name the variable: %v", tc.value, err)
		case tc.want != 0 && (err != nil || c.PackageTTL != tc.want):
			t.Errorf("RIGHTSDESK_PACKAGE_DAYS=%q: %v, %v; want %v", tc.value, c.PackageTTL, err, tc.want)
		}
	}
}

// Weak or broken secrets are refused with a clear message, and an
// existing secret file is never replaced.
func TestSecretRules(t *testing.T) {
	t.Run("short environment secret", func(t *testing.T) {
		c := Config{Secret: "x", DataDir: t.TempDir()}
		if err := c.EnsureSecret(); err == nil || !strings.Contains(err.Error(), "at least 32") {
			t.Fatalf("short secret accepted: %v", err)
		}
	})
	t.Run("short secret file kept", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "secret")
		if err := os.WriteFile(path, []byte("short\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		c := Config{DataDir: dir}
		if err := c.EnsureSecret(); err == nil || !strings.Contains(err.Error(), "at least 32") {
			t.Fatalf("short file accepted: %v", err)
		}
		if b, _ := os.ReadFile(path); string(b) != "short\n" {
			t.Fatalf("secret file replaced: %q", b)
		}
	})
	t.Run("unreadable secret file kept", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "secret")
		if err := os.Mkdir(path, 0o700); err != nil { // a directory cannot be read as a file
			t.Fatal(err)
		}
		c := Config{DataDir: dir}
		if err := c.EnsureSecret(); err == nil || !strings.Contains(err.Error(), "not replaced") {
			t.Fatalf("unreadable file: %v", err)
		}
	})
	t.Run("generated 0600, once, by concurrent starts", func(t *testing.T) {
		dir := t.TempDir()
		var wg sync.WaitGroup
		secrets := make([]string, 8)
		for i := range secrets {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := Config{DataDir: dir}
				if err := c.EnsureSecret(); err != nil {
					t.Error(err)
				}
				secrets[i] = c.Secret
			}()
		}
		wg.Wait()
		for _, s := range secrets {
			if s != secrets[0] || len(s) < MinSecret {
				t.Fatalf("starts disagree on the secret: %q", secrets)
			}
		}
		st, err := os.Stat(filepath.Join(dir, "secret"))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("secret file mode: %v %v", st, err)
		}
		left, _ := filepath.Glob(filepath.Join(dir, ".secret-*"))
		if len(left) != 0 {
			t.Fatalf("temporary files left: %v", left)
		}
	})
}

func TestChoicesSettings(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil || c.ChoicesIdentifier != "email" || c.ChoicesOrigins != nil || c.OneClickKeys != nil {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	c, err = Load(env(map[string]string{"RIGHTSDESK_CHOICES_IDENTIFIER": "customer",
		"RIGHTSDESK_CHOICES_ORIGINS": " https://www.Example.com/ , http://localhost:3000,https://shop.example.com:443",
		"RIGHTSDESK_ONE_CLICK_KEY":   strings.Repeat("a", 32) + "," + strings.Repeat("b", 40)}))
	if err != nil || c.ChoicesIdentifier != "customer" || len(c.OneClickKeys) != 2 || string(c.OneClickKeys[1]) != strings.Repeat("b", 40) ||
		strings.Join(c.ChoicesOrigins, " ") != "https://www.example.com http://localhost:3000 https://shop.example.com" {
		t.Fatalf("%+v %v", c, err)
	}
	for name, m := range map[string]map[string]string{
		"identifier":    {"RIGHTSDESK_CHOICES_IDENTIFIER": "name"},
		"origin path":   {"RIGHTSDESK_CHOICES_ORIGINS": "https://www.example.com/privacy"},
		"origin scheme": {"RIGHTSDESK_CHOICES_ORIGINS": "www.example.com"},
		"wildcard":      {"RIGHTSDESK_CHOICES_ORIGINS": "*"},
		"short key":     {"RIGHTSDESK_ONE_CLICK_KEY": "secret"},
	} {
		if _, err := Load(env(m)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
