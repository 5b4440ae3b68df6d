package handlers

import (
	"testing"

	"github.com/rightsdesk/rightsdesk/internal/i18n"
	"github.com/rightsdesk/rightsdesk/models"
)

// The privacy choices build keys from codes: each one exists.
func TestChoicesCatalog(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	p := cat.Printer("en")
	var want []string
	for _, r := range models.ChoiceRights {
		c := string(r)
		want = append(want, "choices.button."+c, "choices.done."+c, "prefs.in."+c)
		for _, dir := range []string{"out", "in"} {
			want = append(want, "prefs.state."+c+"."+dir, "prefs.change."+c+"."+dir)
		}
	}
	for _, s := range models.Sources {
		want = append(want, "source."+s)
	}
	for _, k := range models.IDKinds {
		want = append(want, "choices.id."+k)
	}
	for _, k := range models.PageIDKinds {
		want = append(want, "choices.id."+k+".hint", "error."+models.SubjectField(k)+".required")
	}
	want = append(want, "channel."+models.ChannelWebsite, "channel."+models.ChannelOneClick, "prefs.saved.in", "prefs.saved.out",
		"prefs.gpc.recorded", "prefs.gpc.overridden", "prefs.gpc.in_force")
	for _, key := range want {
		if !p.Has(key) {
			t.Errorf("catalog lacks %q", key)
		}
	}
}
