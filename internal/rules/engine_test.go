package rules

import (
	"testing"
	"time"
)

// Reconfiguring replaces the organization's part at once: the time zone
// and the rights offered where no law applies; the statutes stay.
func TestReconfigure(t *testing.T) {
	e, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	paris, _ := time.LoadLocation("Europe/Paris")
	if err := e.Reconfigure(Options{Location: paris, OtherRights: []Right{RightAccess, RightDelete, RightAppeal, "bogus"}}); err != nil {
		t.Fatal(err)
	}
	if e.Location() != paris {
		t.Fatal("time zone not replaced")
	}
	if got := e.Rights(Other); len(got) != 2 || got[0] != RightAccess || got[1] != RightDelete {
		t.Fatalf("rights elsewhere: %v", got)
	}
	if !e.Offers(California, RightOptOutSale) {
		t.Fatal("a statute's rights changed")
	}
	if err := e.Reconfigure(Options{OtherRights: []Right{}}); err == nil {
		t.Fatal("no rights at all accepted")
	}
	if e.Location() != paris {
		t.Fatal("a refused configuration was applied")
	}
}
