// Package i18n is the message catalog: every piece of UI and mail text is
// looked up here by key, so a translation is a new locales/*.json file.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
)

//go:embed locales/*.json
var files embed.FS

// Catalog holds the messages of every language.
type Catalog struct {
	langs    map[string]map[string]string
	fallback string
}

// Load reads the embedded locales; English is the fallback language.
func Load() (*Catalog, error) {
	entries, err := files.ReadDir("locales")
	if err != nil {
		return nil, err
	}
	c := &Catalog{langs: map[string]map[string]string{}, fallback: "en"}
	for _, e := range entries {
		b, err := files.ReadFile(path.Join("locales", e.Name()))
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", e.Name(), err)
		}
		c.langs[strings.TrimSuffix(e.Name(), ".json")] = m
	}
	if c.langs[c.fallback] == nil {
		return nil, fmt.Errorf("i18n: no %s catalog", c.fallback)
	}
	return c, nil
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
func (c *Catalog) Keys() []string {
	var out []string
	for k := range c.langs[c.fallback] {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Printer returns the messages of lang (falling back to English).
func (c *Catalog) Printer(lang string) Printer {
	if _, ok := c.langs[lang]; !ok {
		lang = c.fallback
	}
	return Printer{c: c, lang: lang}
}

// Match picks the best catalog language for an Accept-Language header.
func (c *Catalog) Match(acceptLanguage string) string {
	for _, part := range strings.Split(acceptLanguage, ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		if base, _, _ := strings.Cut(tag, "-"); c.langs[base] != nil {
			return base
		}
	}
	return c.fallback
}

// Printer formats messages in one language.
type Printer struct {
	c    *Catalog
	lang string
}

// Lang is the printer's language code.
func (p Printer) Lang() string { return p.lang }

// T returns the message for key, formatted with args (fmt verbs) when given.
// An unknown key returns the key itself, so a gap shows instead of crashing;
// a test checks that every key used exists.
func (p Printer) T(key string, args ...any) string {
	msg, ok := p.c.langs[p.lang][key]
	if !ok {
		if msg, ok = p.c.langs[p.c.fallback][key]; !ok {
			return key
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(msg, args...)
	}
	return msg
}

// Has reports whether key exists in the fallback language.
func (p Printer) Has(key string) bool {
	_, ok := p.c.langs[p.c.fallback][key]
	return ok
}
