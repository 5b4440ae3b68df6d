package config

import (
	"os"
	"path/filepath"
	"testing"
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
