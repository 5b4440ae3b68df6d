package rules

import (
	"os"
	"strings"
	"testing"
)

// The README's clock table is generated from the engine's own table:
// RIGHTSDESK_UPDATE_README=1 go test ./internal/rules rewrites it.
func TestReadmeClockTable(t *testing.T) {
	const start, end = "<!-- clocks:start -->\n", "<!-- clocks:end -->"
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatalf("README.md: %v", err)
	}
	readme := string(b)
	i, k := strings.Index(readme, start), strings.Index(readme, end)
	if i < 0 || k < i {
		t.Fatal("README.md lacks the clocks markers")
	}
	want := engine(t, Options{}).MarkdownTable()
	if got := readme[i+len(start) : k]; got != want {
		if os.Getenv("RIGHTSDESK_UPDATE_README") == "1" {
			if err := os.WriteFile("../../README.md", []byte(readme[:i+len(start)]+want+readme[k:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Fatalf("README clock table is out of date; run RIGHTSDESK_UPDATE_README=1 go test ./internal/rules\ngot:\n%s\nwant:\n%s", got, want)
	}
}
