package models_test

import (
	"os"
	"regexp"
	"testing"

	"github.com/rightsdesk/rightsdesk/models"
)

// The token examples in docs/privacy-choices.md are what the portal
// computes: an organization checking its implementation against them
// gets tokens the portal accepts.
func TestOneClickDocExamples(t *testing.T) {
	b, err := os.ReadFile("../docs/privacy-choices.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := regexp.MustCompile("(?m)^\\| `([^`]+)` \\| `([a-z]+):([^`]+)` \\| `([^`]+)` \\|$").FindAllStringSubmatch(string(b), -1)
	if len(rows) < 2 {
		t.Fatalf("%d examples found", len(rows))
	}
	d := newDomain(t, nil)
	for _, r := range rows {
		key, s, token := []byte(r[1]), models.Subject{Kind: r[2], Value: r[3]}, r[4]
		if got := models.OneClickToken(key, s); got != token {
			t.Errorf("%s: the document says %s, the portal computes %s", r[2]+":"+r[3], token, got)
		}
		if got, err := models.NewChoices(d.core, [][]byte{key}).OneClickSubject(token); err != nil || got != s {
			t.Errorf("%s: %+v %v", token, got, err)
		}
	}
}
