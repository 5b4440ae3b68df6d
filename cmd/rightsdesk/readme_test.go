package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The README links nothing outside the repository (every link and image
// is a file in it), states the Go version go.mod needs, and lists every
// command and every setting the code has.
func TestReadme(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	// Code spans and blocks are text, not links.
	prose := regexp.MustCompile("(?s)```.*?```|`[^`]*`").ReplaceAllString(readme, "")
	for _, m := range regexp.MustCompile(`\]\(([^)]*)\)`).FindAllStringSubmatch(prose, -1) {
		target := m[1]
		if strings.Contains(target, "://") || strings.HasPrefix(target, "..") || strings.HasPrefix(target, "/") {
			t.Errorf("the README links outside the repository: %s", target)
			continue
		}
		if _, err := os.Stat(filepath.Join("../..", strings.SplitN(target, "#", 2)[0])); err != nil {
			t.Errorf("the README links to a missing file: %s", target)
		}
	}
	if u := regexp.MustCompile(`(?i)\b(https?://|www\.)\S+`).FindString(prose); u != "" {
		t.Errorf("the README names a web address outside code: %s", u)
	}

	mod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	version := regexp.MustCompile(`(?m)^go (\S+)$`).FindStringSubmatch(string(mod))
	if version == nil || !strings.Contains(readme, "Go "+version[1]) {
		t.Errorf("the README does not state the Go version go.mod needs (%v)", version)
	}

	for _, c := range commands {
		if !strings.Contains(readme, "`rightsdesk "+c.name) {
			t.Errorf("the README does not list the command %q", c.name)
		}
	}

	cfg, err := os.ReadFile("../../internal/config/config.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range regexp.MustCompile(`"(RIGHTSDESK_[A-Z_]+)"`).FindAllStringSubmatch(string(cfg), -1) {
		if !strings.Contains(readme, "`"+v[1]+"`") {
			t.Errorf("the README's configuration table lacks %s", v[1])
		}
	}
}
