// Package i18n is the message catalog: every piece of UI and mail text is
// looked up here by key, so a translation is a new locales/*.json file.
//
// A catalog file maps keys to messages. A message is either a string, with
// fmt verbs for its arguments (Printer.T), or an object of plural forms keyed
// by CLDR plural category — "zero", "one", "two", "few", "many", "other" —
// for messages that show a count (Printer.N):
//
//	"due.in_days": {"one": "Due in %d day", "other": "Due in %d days"}
//
// Which categories a language needs for whole numbers comes from CLDR
// (English and French: one and other; Polish: one, few and many; Japanese:
// other alone; see PluralCategories); "other" is always required, as the
// form used when a category is missing. Plural categories come from
// golang.org/x/text/feature/plural, language negotiation from
// golang.org/x/text/language.
//
// Dates are built from the catalog too (see Printer.Date), so a language
// brings its own month names and its own order of day, month and year.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
)

//go:embed locales/*.json
var files embed.FS

// Fallback is the language every other one falls back to, key by key.
const Fallback = "en"

// Plural categories, as CLDR names them.
var categories = map[plural.Form]string{
	plural.Other: "other", plural.Zero: "zero", plural.One: "one",
	plural.Two: "two", plural.Few: "few", plural.Many: "many",
}

// entry is one message: a plain string, or plural forms by category.
type entry struct {
	text  string
	forms map[string]string // nil for a plain string
}

func (e *entry) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return fmt.Errorf("a message is a string or an object of plural forms, not null")
	}
	if err := json.Unmarshal(b, &e.text); err == nil {
		return nil
	}
	var forms map[string]*string // a null form shows as nil
	if err := json.Unmarshal(b, &forms); err != nil {
		return fmt.Errorf("a message is a string or an object of plural forms")
	}
	e.forms = make(map[string]string, len(forms))
	for cat, form := range forms {
		if form == nil {
			return fmt.Errorf("plural form %q is null", cat)
		}
		e.forms[cat] = *form
	}
	for cat := range e.forms {
		if !validCategory(cat) {
			return fmt.Errorf("unknown plural category %q", cat)
		}
	}
	if _, ok := e.forms["other"]; !ok {
		return fmt.Errorf(`plural forms need "other"`)
	}
	return nil
}

func validCategory(cat string) bool {
	for _, c := range categories {
		if c == cat {
			return true
		}
	}
	return false
}

// lang is one catalog file.
type lang struct {
	code     string
	tag      language.Tag
	messages map[string]entry
}

// Catalog holds the messages of every language.
type Catalog struct {
	langs   map[string]*lang
	matcher language.Matcher
	codes   []string // index i is the matcher's supported tag i; the fallback first

	// OnMissing, when set, is called for every key looked up that no
	// language has (tests set it to fail on a gap).
	OnMissing func(lang, key string)
}

// Load reads the embedded locales; English is the fallback language.
func Load() (*Catalog, error) {
	sub, err := fs.Sub(files, "locales")
	if err != nil {
		return nil, err
	}
	return LoadFS(sub)
}

// LoadFS reads every *.json file at the root of fsys; a file's name is its
// language as a BCP 47 tag (en.json, fr.json, pt-BR.json). There must be an
// English one, the fallback.
func LoadFS(fsys fs.FS) (*Catalog, error) {
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, err
	}
	c := &Catalog{langs: map[string]*lang{}}
	for _, name := range names {
		code := strings.TrimSuffix(name, ".json")
		tag, err := language.Parse(code)
		if err != nil {
			return nil, fmt.Errorf("i18n: %s: not a language tag: %w", name, err)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		raw := map[string]json.RawMessage{}
		if err := json.Unmarshal(b, &raw); err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", name, err)
		}
		l := &lang{code: code, tag: tag, messages: make(map[string]entry, len(raw))}
		for key, v := range raw {
			var e entry
			if err := json.Unmarshal(v, &e); err != nil {
				return nil, fmt.Errorf("i18n: %s: %s: %w", name, key, err)
			}
			l.messages[key] = e
		}
		c.langs[code] = l
	}
	if c.langs[Fallback] == nil {
		return nil, fmt.Errorf("i18n: no %s catalog", Fallback)
	}
	for _, l := range c.langs {
		if err := checkDateFormats(l); err != nil {
			return nil, fmt.Errorf("i18n: %s.json: %w", l.code, err)
		}
	}
	// The matcher's first language is its default: the fallback.
	c.codes = append([]string{Fallback}, without(c.Languages(), Fallback)...)
	tags := make([]language.Tag, len(c.codes))
	for i, code := range c.codes {
		tags[i] = c.langs[code].tag
	}
	c.matcher = language.NewMatcher(tags)
	return c, nil
}

func without(list []string, s string) []string {
	var out []string
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

// Languages lists the languages the catalog has.
func (c *Catalog) Languages() []string {
	var out []string
	for l := range c.langs {
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

// Keys lists the keys of the fallback language.
func (c *Catalog) Keys() []string { return c.KeysOf(Fallback) }

// KeysOf lists the keys of one language (none for a language it lacks).
func (c *Catalog) KeysOf(code string) []string {
	l := c.langs[code]
	if l == nil {
		return nil
	}
	out := make([]string, 0, len(l.messages))
	for k := range l.messages {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Forms returns the plural forms of key in a language, or nil when the
// message is a plain string or missing.
func (c *Catalog) Forms(code, key string) map[string]string {
	if l := c.langs[code]; l != nil {
		return l.messages[key].forms
	}
	return nil
}

// Text returns the plain message of key in a language ("" when the message
// is plural or missing).
func (c *Catalog) Text(code, key string) string {
	if l := c.langs[code]; l != nil {
		return l.messages[key].text
	}
	return ""
}

// PluralCategories lists the CLDR cardinal categories a language uses for
// whole numbers, so every plural message of that language can be checked
// to have them all.
func PluralCategories(tag language.Tag) []string {
	seen := map[string]bool{}
	// Every CLDR integer rule is decided by n mod 100 or mod 1000, by
	// n < 2, or (French "many") by n being a multiple of a million.
	for n := 0; n <= 1000; n++ {
		seen[Category(tag, n)] = true
	}
	seen[Category(tag, 1000000)] = true
	var out []string
	for _, cat := range []string{"zero", "one", "two", "few", "many", "other"} {
		if seen[cat] {
			out = append(out, cat)
		}
	}
	return out
}

// Tag is the BCP 47 tag of a catalog language.
func (c *Catalog) Tag(code string) language.Tag {
	if l := c.langs[code]; l != nil {
		return l.tag
	}
	return language.Und
}

// Printer returns the messages of lang (falling back to English).
func (c *Catalog) Printer(code string) Printer {
	if _, ok := c.langs[code]; !ok {
		code = Fallback
	}
	return Printer{c: c, lang: c.langs[code]}
}

// Match picks the best catalog language for an Accept-Language header,
// weighing each language by its q-value: "fr;q=0.1, en;q=0.9" gives en, a
// region or script the catalog lacks falls back to its language (fr-CH
// gives fr), q=0 rules a language out, and "*", an empty header, a header
// that does not parse or one that names no catalog language give English.
// A header with one malformed entry among good ones keeps the good ones.
func (c *Catalog) Match(acceptLanguage string) string {
	tags := parseAcceptLanguage(acceptLanguage)
	// "*" accepts any language: the default does as well as anything named
	// with a lower weight after it.
	for i, t := range tags {
		if t == wildcard {
			tags = tags[:i]
			break
		}
	}
	if len(tags) == 0 {
		return Fallback
	}
	_, i, conf := c.matcher.Match(tags...)
	if conf == language.No {
		return Fallback
	}
	return c.codes[i]
}

// wildcard is what language.ParseAcceptLanguage makes of "*".
var wildcard = language.Make("mul")

// parseAcceptLanguage returns the header's languages, best first, without
// those of weight 0. language.ParseAcceptLanguage rejects a whole header
// for one bad entry; then each entry is parsed alone and the bad ones
// dropped.
func parseAcceptLanguage(h string) []language.Tag {
	if len(h) > 4096 { // no browser sends this much; do not spend time on it
		return nil
	}
	tags, _, err := language.ParseAcceptLanguage(h)
	if err == nil {
		return tags
	}
	type weighted struct {
		tag language.Tag
		q   float32
	}
	var all []weighted
	for _, part := range strings.Split(h, ",") {
		t, q, err := language.ParseAcceptLanguage(part)
		if err != nil || len(t) != 1 {
			continue
		}
		all = append(all, weighted{t[0], q[0]})
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].q > all[j].q })
	tags = tags[:0]
	for _, w := range all {
		tags = append(tags, w.tag)
	}
	return tags
}

// Printer formats messages in one language.
type Printer struct {
	c    *Catalog
	lang *lang
}

// Lang is the printer's language code.
func (p Printer) Lang() string { return p.lang.code }

// lookup finds key in the printer's language, then in the fallback; it
// returns the language the message was found in, whose plural rules apply.
func (p Printer) lookup(key string) (entry, *lang, bool) {
	if e, ok := p.lang.messages[key]; ok {
		return e, p.lang, true
	}
	fb := p.c.langs[Fallback]
	if e, ok := fb.messages[key]; ok {
		return e, fb, true
	}
	if p.c.OnMissing != nil {
		p.c.OnMissing(p.lang.code, key)
	}
	return entry{}, nil, false
}

// T returns the message for key, formatted with args (fmt verbs) when given.
// An unknown key returns the key itself, so a gap shows instead of crashing;
// a test checks that every key used exists. A plural message used with T
// gives its "other" form (use N to count).
func (p Printer) T(key string, args ...any) string {
	e, _, ok := p.lookup(key)
	if !ok {
		return key
	}
	msg := e.text
	if e.forms != nil {
		msg = e.forms["other"]
	}
	return format(msg, args)
}

// N returns the form of the plural message key that the language's CLDR
// rules choose for the count n ("one" for 1 and "other" otherwise in
// English), formatted with args; with no args the count n alone is the
// argument, so N("due.in_days", 3) gives "Due in 3 days". When args are
// given they are all the arguments, n included where the message shows it:
// N("req.frequency_exceeded", 2, 2, "12 months") gives "… made 2 requests … in the last 12 months". A form without
// any % verb is used as it is ("one": "Due in a day" is fine).
//
// A missing form falls back to "other"; a plain-string message is used for
// every n; a missing key returns the key, as T does.
func (p Printer) N(key string, n int, args ...any) string {
	e, l, ok := p.lookup(key)
	if !ok {
		return key
	}
	msg := e.text
	if e.forms != nil {
		msg, ok = e.forms[Category(l.tag, n)]
		if !ok {
			msg = e.forms["other"]
		}
	}
	if len(args) == 0 {
		args = []any{n}
	}
	return format(msg, args)
}

// Category is the CLDR cardinal plural category of the whole number n in a
// language: "one", "other", …
func Category(tag language.Tag, n int) string {
	if n < 0 {
		n = -n
	}
	return categories[plural.Cardinal.MatchPlural(tag, n, 0, 0, 0, 0)]
}

// format applies fmt verbs; a message without any is returned as it is,
// whatever the args, so a translation may leave a number out.
func format(msg string, args []any) string {
	if len(args) == 0 || !strings.Contains(msg, "%") {
		return msg
	}
	return fmt.Sprintf(msg, args...)
}

// Has reports whether key exists in the fallback language.
func (p Printer) Has(key string) bool {
	_, ok := p.c.langs[Fallback].messages[key]
	return ok
}

// IsPlural reports whether key is a plural message in the fallback language.
func (p Printer) IsPlural(key string) bool {
	return p.c.langs[Fallback].messages[key].forms != nil
}
