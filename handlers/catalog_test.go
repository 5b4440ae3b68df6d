package handlers

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rightsdesk/rightsdesk/internal/i18n"
	"github.com/rightsdesk/rightsdesk/internal/lookup"
	"github.com/rightsdesk/rightsdesk/internal/rules"
	"github.com/rightsdesk/rightsdesk/internal/verify"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/templates/wording"
)

// Every message key the code names, literally or by a prefix and a code,
// exists in the English catalog; a key counted with N is a plural message
// (with "one" and "other"), a key given to T is not, and every plural
// message is counted with N somewhere.
func TestCatalogHasEveryKey(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	p := cat.Printer("en")
	want := map[string]bool{}
	literal := regexp.MustCompile(`(?:T|page|RenderError|Add)\([^"]*"([a-z_]+\.[a-zA-Z0-9_.-]*[a-zA-Z0-9_])"`)
	quoted := regexp.MustCompile(`"((?:error|flash|mail|status|req|track|queue)\.[a-z_.]+[a-z_])"`)
	// How a key is used: N counts, T does not.
	counted := regexp.MustCompile(`\bN\("([a-z_]+\.[a-zA-Z0-9_.-]*[a-zA-Z0-9_])"`)
	plain := regexp.MustCompile(`\bT\("([a-z_]+\.[a-zA-Z0-9_.-]*[a-zA-Z0-9_])"`)
	// Domain errors' keys are formatted by message(), which counts by the
	// first argument when the message is plural.
	domain := regexp.MustCompile(`Key: "([a-z_]+\.[a-zA-Z0-9_.-]*[a-zA-Z0-9_])"`)
	usedWithN, usedWithT := map[string]bool{}, map[string]bool{}
	for _, dir := range []string{".", "../templates", "../web", "../models", "../cmd"} {
		err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.HasSuffix(path, "_templ.go") || strings.HasSuffix(path, "_test.go") ||
				!(strings.HasSuffix(path, ".go") || strings.HasSuffix(path, ".templ")) {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, re := range []*regexp.Regexp{literal, quoted, counted} {
				for _, m := range re.FindAllStringSubmatch(string(b), -1) {
					want[m[1]] = true
				}
			}
			for _, m := range counted.FindAllStringSubmatch(string(b), -1) {
				usedWithN[m[1]] = true
			}
			for _, m := range domain.FindAllStringSubmatch(string(b), -1) {
				want[m[1]] = true
				if p.IsPlural(m[1]) {
					usedWithN[m[1]] = true
				}
			}
			for _, m := range plain.FindAllStringSubmatch(string(b), -1) {
				usedWithT[m[1]] = true
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	engine, err := rules.New(rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules.AllRights {
		want["right."+string(r)], want["right."+string(r)+".hint"] = true, true
	}
	for _, kind := range models.Kinds {
		for _, s := range models.Statuses {
			key := wording.StatusKey(kind, s)
			want[key], want[key+".help"] = true, true
		}
	}
	for _, j := range rules.Jurisdictions() {
		want["jurisdiction."+string(j)], want["law."+string(j)] = true, true
		rc := engine.Recourse(j)
		want[rc.Key], want[rc.AfterAppealKey] = true, true
		if c := engine.Law(j).Complaints; c != nil {
			want[c.RecourseKey] = true
		}
		for _, r := range append(engine.Rights(j), rules.RightAppeal, rules.RightComplaint) {
			for _, reason := range engine.DenialReasons(j, r) {
				want["denial."+reason] = true
			}
			for _, reason := range engine.PauseReasons(j, r) {
				want["pause."+reason], want["pause."+reason+".hint"] = true, true
			}
		}
	}
	for _, c := range append(rules.Countries(), "OTHER") {
		want["country."+c] = true
	}
	for _, s := range rules.USStates() {
		want["state."+s] = true
	}
	for _, s := range rules.CanadianProvinces() {
		want["province."+s] = true
	}
	for _, r := range models.Relationships {
		want["relationship."+r] = true
	}
	for _, k := range []string{"web", "email", "phone", "mail", "api"} {
		want["channel."+k] = true
	}
	for _, k := range []string{"staff", "requester", "system"} {
		want["actor."+k] = true
	}
	for _, k := range []string{models.EventAcknowledged, models.EventNote, models.EventMessage, models.EventExtended, models.EventAppealed,
		models.EventAppealReason, models.EventPaused, models.EventResumed, models.EventComplaint} {
		want["event."+k] = true
	}
	for _, k := range []string{models.PauseEndedByAnswer, models.PauseEndedByStaff, models.PauseEndedByClose} {
		want["pause.ended_by."+k] = true
	}
	want["right."+string(rules.RightComplaint)] = true
	for _, k := range []string{"open", "all"} {
		want["queue.tab."+k] = true
	}
	// Dates (internal/i18n's Printer.Date and DateTime).
	want["date.format"], want["datetime.format"] = true, true
	for m := 1; m <= 12; m++ {
		want["date.month."+strconv.Itoa(m)] = true
	}
	for d := 1; d <= 7; d++ {
		want["date.weekday."+strconv.Itoa(d)] = true
	}
	for _, k := range []string{models.SortUrgent, models.SortNewest, models.SortOldest} {
		want["queue.sort."+k] = true
	}
	// Assignment and the queue's due windows.
	for _, k := range models.DueWindows {
		want["queue.due."+k] = true
	}
	for _, k := range models.Kinds {
		want["mail.assigned.intro."+k] = true
	}
	want["event."+models.EventAssigned], want["event."+models.EventUnassigned] = true, true
	for _, code := range []string{"400", "403", "404", "409", "410", "413", "429", "500"} {
		want["error.title."+code] = true
	}
	for _, k := range []string{"form.on_behalf.self", "form.on_behalf.agent"} {
		want[k] = true
	}
	// Identity verification: questions, tiers, outcomes, methods, reasons.
	for _, f := range verify.Fields() {
		want["identity.q."+string(f)], want["identity.q."+string(f)+".hint"], want["error.verify."+string(f)] = true, true, true
	}
	for _, tier := range rules.Tiers() {
		want["tier."+string(tier)] = true
	}
	for _, j := range rules.Jurisdictions() {
		want[engine.VerifyRule(j).Declaration] = true
	}
	for _, k := range []string{models.CheckPending, models.CheckReview, models.CheckPassed, models.CheckFailed, models.CheckCancelled} {
		want["identity.check."+k] = true
	}
	for _, k := range []string{models.MethodRecords, models.MethodLookup, models.MethodAccount, models.MethodStaff} {
		want["identity.method."+k] = true
	}
	for _, k := range []string{models.ReviewAttempts, models.ReviewNoSource, models.ReviewLookupDown, models.ReviewDocument, models.ReviewUnmatched} {
		want["identity.review."+k] = true
	}
	for _, k := range []string{lookup.Down, lookup.Refused, lookup.Malformed, lookup.Forged} {
		want["lookup.error."+k] = true
	}
	for _, k := range []string{"none", "import", "lookup"} {
		want["verification.source."+k], want["verification.source."+k+".hint"] = true, true
	}
	for _, k := range []string{models.ImportActive, models.ImportReplaced} {
		want["verification.import."+k] = true
	}
	for _, k := range []string{models.EventAsked, models.EventAnswered, models.EventIdentityVerified, models.EventIdentityNarrowed,
		models.EventIdentityReview, models.EventIdentityRaised} {
		want["event."+k] = true
	}
	want["identity.scope."+rules.ScopeCategories] = true
	for key := range want {
		if key == "" || strings.Contains(key, "%") {
			continue
		}
		if !p.Has(key) {
			t.Errorf("catalog lacks %q", key)
		}
	}
	for key := range usedWithN {
		if p.Has(key) && !p.IsPlural(key) {
			t.Errorf("%q is counted with N but is not a plural message", key)
		}
	}
	for key := range usedWithT {
		if p.IsPlural(key) {
			t.Errorf("%q is a plural message given to T: use N with the count", key)
		}
	}
	for _, key := range cat.Keys() {
		forms := cat.Forms("en", key)
		if forms == nil {
			continue
		}
		if forms["one"] == "" || forms["other"] == "" {
			t.Errorf("plural message %q needs \"one\" and \"other\" in English: %v", key, forms)
		}
		if !usedWithN[key] {
			t.Errorf("plural message %q is never counted with N", key)
		}
	}
}

// The catalog promises nothing the product does not do today, and counts
// with plural messages rather than "(s)".
func TestCatalogSaysOnlyWhatIsTrue(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	p := cat.Printer("en")
	for _, key := range cat.Keys() {
		texts := []string{p.T(key)}
		for _, f := range cat.Forms("en", key) {
			texts = append(texts, f)
		}
		for _, text := range texts {
			for _, bad := range []string{
				"(s)",                           // plurals go through N
				"JSON and CSV",                  // no export exists yet
				"reply to us through this page", // there is no reply form
				"use the appeal form on this page",
				"The deadline already runs",  // unclear
				"no extension and no answer", // PIPEDA has an extension
			} {
				if strings.Contains(text, bad) {
					t.Errorf("%s: %q says %q", key, text, bad)
				}
			}
		}
	}
}
