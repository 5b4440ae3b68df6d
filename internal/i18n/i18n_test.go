package i18n

import (
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"golang.org/x/text/language"
)

// withFrench is the shipped catalog plus a tiny French one that exists only
// for tests (testdata/fr.json): no French is shipped yet.
func withFrench(t *testing.T) *Catalog {
	t.Helper()
	en, err := files.ReadFile("locales/en.json")
	if err != nil {
		t.Fatal(err)
	}
	fr, err := os.ReadFile("testdata/fr.json")
	if err != nil {
		t.Fatal(err)
	}
	c, err := LoadFS(fstest.MapFS{"en.json": {Data: en}, "fr.json": {Data: fr}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func shipped(t *testing.T) *Catalog {
	t.Helper()
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestMatch(t *testing.T) {
	c := withFrench(t)
	for _, tc := range []struct{ header, want string }{
		{"", "en"},
		{"en", "en"},
		{"fr", "fr"},
		{"FR", "fr"},
		{"fr-FR,fr;q=0.9,en;q=0.8", "fr"},
		{"fr;q=0.1, en;q=0.9", "en"},        // weights, not order, decide
		{"en;q=0.2, fr;q=0.8", "fr"},        // …both ways
		{"de-CH, fr;q=0.5, en;q=0.3", "fr"}, // no German: the next choice
		{"de-CH", "en"},                     // nothing close: English
		{"de-CH, de;q=0.9", "en"},
		{"fr-CH", "fr"}, // a region we lack falls back to its language
		{"fr-CA, en;q=0.5", "fr"},
		{"en-GB, fr;q=0.9", "en"},
		{"es-419, fr;q=0.4", "fr"},
		{"fr;q=0, en", "en"},    // q=0 rules a language out
		{"fr;q=0", "en"},        // …even when it is the only one named
		{"fr;q=0, de", "en"},    // …and is not brought back as a fallback
		{"*", "en"},             // any language: the default
		{"*, fr;q=0.5", "en"},   // any language first: the default
		{"fr, *;q=0.5", "fr"},   //
		{"garbage!!!", "en"},    // does not parse
		{";q=1, ,", "en"},       //
		{"fr;q=abc", "en"},      // a bad weight rules the entry out
		{"x@@, fr;q=0.6", "fr"}, // one bad entry does not spoil the others
		{"fr;q=0.6, en;q=zz", "fr"},
		{strings.Repeat("en-US-x-", 2000), "en"},
	} {
		if got := c.Match(tc.header); got != tc.want {
			t.Errorf("Match(%q) = %q, want %q", tc.header, got, tc.want)
		}
	}
	// The shipped catalog, English alone, answers English to anything.
	en := shipped(t)
	for _, h := range []string{"fr", "fr;q=0.1, en;q=0.9", "de-CH", "*", "nonsense;;", "en;q=0"} {
		if got := en.Match(h); got != "en" {
			t.Errorf("shipped Match(%q) = %q", h, got)
		}
	}
}

func TestN(t *testing.T) {
	c := withFrench(t)
	en, fr := c.Printer("en"), c.Printer("fr")
	for _, tc := range []struct {
		p    Printer
		key  string
		n    int
		args []any
		want string
	}{
		{en, "due.in_days", 1, nil, "Due in 1 day"},
		{en, "due.in_days", 2, nil, "Due in 2 days"},
		{en, "due.in_days", 0, nil, "Due in 0 days"},
		{en, "due.in_days", 21, nil, "Due in 21 days"},
		{en, "due.overdue", -1, []any{1}, "Overdue by 1 day"}, // the sign does not change the form
		{en, "req.months", 1, nil, "1 month"},
		{en, "req.months", 12, nil, "12 months"},
		{fr, "due.in_days", 0, nil, "Échéance dans 0 jour"}, // French: 0 is "one"
		{fr, "due.in_days", 1, nil, "Échéance dans 1 jour"},
		{fr, "due.in_days", 2, nil, "Échéance dans 2 jours"},
		{fr, "due.overdue", 0, nil, "Overdue by 0 days"}, // not translated: English words, English rules
		{fr, "due.overdue", 1, nil, "Overdue by 1 day"},
		{en, "no.such.key", 3, nil, "no.such.key"},
	} {
		if got := tc.p.N(tc.key, tc.n, tc.args...); got != tc.want {
			t.Errorf("%s N(%q, %d, %v) = %q, want %q", tc.p.Lang(), tc.key, tc.n, tc.args, got, tc.want)
		}
	}
}

// The rules of N and T on entries of either kind.
func TestPluralRules(t *testing.T) {
	c, err := LoadFS(fstest.MapFS{"en.json": {Data: []byte(`{
		"plain": "%d things",
		"plural": {"one": "one thing", "other": "%d things"},
		"few": {"few": "%d few", "other": "%d other"}
	}`)}})
	if err != nil {
		t.Fatal(err)
	}
	p := c.Printer("en")
	for _, tc := range []struct{ got, want string }{
		{p.N("plural", 1), "one thing"}, // a form without verbs ignores the count
		{p.N("plural", 5), "5 things"},
		{p.N("plain", 1), "1 things"},  // a plain string serves every count
		{p.N("few", 3), "3 other"},     // English has no "few": "other"
		{p.T("plural"), "%d things"},   // T gives "other", unformatted without args
		{p.T("plural", 4), "4 things"}, //
		{p.N("plural", 7, 8), "8 things"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestLoadRejects(t *testing.T) {
	for name, body := range map[string]string{
		"plural without other": `{"k": {"one": "x"}}`,
		"unknown category":     `{"k": {"one": "x", "other": "y", "several": "z"}}`,
		"number":               `{"k": 3}`,
		"null":                 `{"k": null}`,
		"null form":            `{"k": {"one": null, "other": "y"}}`,
		"nested":               `{"k": {"one": {"a": "b"}, "other": "y"}}`,
		"unknown placeholder":  `{"date.format": "{day} {monthname} {year}"}`,
		"unclosed brace":       `{"datetime.format": "{date}, {hour"}`,
		"date in date":         `{"date.format": "{date}"}`,
		"plural date format":   `{"date.format": {"one": "x", "other": "y"}}`,
	} {
		if _, err := LoadFS(fstest.MapFS{"en.json": {Data: []byte(body)}}); err == nil {
			t.Errorf("%s: loaded %s", name, body)
		}
	}
	if _, err := LoadFS(fstest.MapFS{"fr.json": {Data: []byte(`{}`)}}); err == nil {
		t.Error("loaded without English")
	}
	if _, err := LoadFS(fstest.MapFS{"en.json": {Data: []byte(`{}`)}, "not a tag!.json": {Data: []byte(`{}`)}}); err == nil {
		t.Error("loaded a file whose name is no language")
	}
}

// English dates read exactly as the Go layouts the pages used before, in
// every zone, every month and both sides of a daylight-saving change.
func TestDateEnglish(t *testing.T) {
	p := shipped(t).Printer("en")
	var zones []*time.Location
	for _, name := range []string{"UTC", "America/Los_Angeles", "Europe/Paris", "Asia/Kolkata", "Australia/Lord_Howe", "America/St_Johns"} {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		zones = append(zones, loc)
	}
	start := time.Date(1999, 12, 31, 23, 59, 0, 0, time.UTC)
	for i := range 2000 {
		at := start.Add(time.Duration(i) * 13 * time.Hour).Add(time.Duration(i%60) * time.Minute)
		for _, loc := range zones {
			if got, want := p.Date(at, loc), at.In(loc).Format("2 January 2006"); got != want {
				t.Fatalf("Date(%v, %v) = %q, want %q", at, loc, got, want)
			}
			if got, want := p.DateTime(at, loc), at.In(loc).Format("2 January 2006, 15:04 MST"); got != want {
				t.Fatalf("DateTime(%v, %v) = %q, want %q", at, loc, got, want)
			}
		}
	}
	at := time.Date(2026, 3, 3, 8, 5, 0, 0, time.UTC)
	if got := p.DateTime(at, nil); got != "3 March 2026, 08:05 UTC" {
		t.Errorf("nil location: %q", got)
	}
}

func TestDateFrench(t *testing.T) {
	c := withFrench(t)
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	fr := c.Printer("fr")
	at := time.Date(2026, 3, 3, 8, 5, 0, 0, time.UTC)
	if got := fr.Date(at, paris); got != "3 mars 2026" {
		t.Errorf("Date: %q", got)
	}
	if got := fr.DateTime(at, paris); got != "mardi 3 mars 2026 à 09 h 05" {
		t.Errorf("DateTime: %q", got)
	}
	// A month the French catalog lacks falls back to its English name.
	if got := fr.Date(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC), paris); got != "1 May 2026" {
		t.Errorf("fallback month: %q", got)
	}
	if got := c.Printer("en").Date(at, paris); got != "3 March 2026" {
		t.Errorf("English beside French: %q", got)
	}
}

func TestOnMissing(t *testing.T) {
	c := withFrench(t)
	var missed []string
	c.OnMissing = func(lang, key string) { missed = append(missed, lang+":"+key) }
	fr := c.Printer("fr")
	fr.T("home.title")
	fr.T("layout.portal") // English fallback: not missing
	fr.T("nope")
	fr.N("nope.plural", 2)
	if strings.Join(missed, ",") != "fr:nope,fr:nope.plural" {
		t.Errorf("missed %v", missed)
	}
}

// Every shipped catalog: no "(s)"-style plurals, and every plural message has
// each form its language's CLDR rules can pick for a whole number (for
// English, "one" and "other"); every catalog's keys exist in English.
func TestShippedCatalogs(t *testing.T) {
	c := shipped(t)
	hedges := []string{"(s)", "(es)", "(ies)", "(S)"}
	for _, code := range c.Languages() {
		need := PluralCategories(c.Tag(code))
		if code == "en" && strings.Join(need, ",") != "one,other" {
			t.Fatalf("English plural categories: %v", need)
		}
		for _, key := range c.KeysOf(code) {
			if code != Fallback && !c.Printer(Fallback).Has(key) {
				t.Errorf("%s: %q is not in the English catalog", code, key)
			}
			values := []string{c.Text(code, key)}
			if forms := c.Forms(code, key); forms != nil {
				values = nil
				for _, cat := range need {
					if _, ok := forms[cat]; !ok {
						t.Errorf("%s: %q lacks the %q form", code, key, cat)
					}
				}
				for _, v := range forms {
					values = append(values, v)
				}
			}
			for _, v := range values {
				for _, h := range hedges {
					if strings.Contains(v, h) {
						t.Errorf("%s: %q says %q: use a plural message and N", code, key, h)
					}
				}
			}
		}
	}
}

func TestPluralCategories(t *testing.T) {
	for tag, want := range map[string]string{"en": "one,other", "fr": "one,other", "ja": "other", "pl": "one,few,many", "ar": "zero,one,two,few,many,other"} {
		if got := strings.Join(PluralCategories(language.MustParse(tag)), ","); got != want {
			t.Errorf("%s: %s, want %s", tag, got, want)
		}
	}
}
