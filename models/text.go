package models

import (
	"strings"
	"unicode/utf8"
)

// The one input rule for text from outside: valid UTF-8 without NUL or
// other C0/C1 control characters (PostgreSQL refuses NUL and invalid UTF-8
// where SQLite stores them, and controls hide text from whoever reads it).
// One-line fields (names, e-mail, phone, reasons picked from a list) also
// refuse line breaks, and every field refuses the bidirectional overrides
// that make text read differently from what it holds.

// TextKind says which characters a field may hold besides printable text.
type TextKind uint8

const (
	OneLine   TextKind = iota // names, e-mail addresses, phone numbers, references
	MultiLine                 // details, notes, messages, reasons: tabs and line breaks allowed
)

// CleanText trims s and reports whether it obeys the input rule for kind.
// Line endings are normalised to \n in multi-line text.
func CleanText(s string, kind TextKind) (string, bool) {
	if !utf8.ValidString(s) {
		return s, false
	}
	if kind == MultiLine {
		s = strings.ReplaceAll(s, "\r\n", "\n")
	}
	s = strings.TrimSpace(s)
	for _, r := range s {
		switch {
		case r == '\n' || r == '\t':
			if kind == OneLine {
				return s, false
			}
		case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0: // C0, DEL, C1 (\r alone included)
			return s, false
		case r == '\u2028' || r == '\u2029': // line and paragraph separators
			if kind == OneLine {
				return s, false
			}
		case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069': // bidi embeddings, overrides, isolates
			return s, false
		}
	}
	return s, true
}

// text cleans one field into v: required, at most max characters, and the
// input rule. It returns the cleaned value.
func text(v *ValidationError, field, s string, kind TextKind, required bool, max int) string {
	s, ok := CleanText(s, kind)
	switch {
	case !ok:
		v.Add(field, "error.text.invalid")
	case s == "" && required:
		v.Add(field, "error."+field+".required")
	case utf8.RuneCountInString(s) > max:
		v.Add(field, "error."+field+".too_long")
	}
	return s
}
