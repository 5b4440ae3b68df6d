package models

import (
	"strings"
	"unicode/utf8"
)

// Searching the queue for a person: by e-mail (exact, in any case), by
// name (each word typed is the start of a word of the name, in any case)
// or by phone (the digits, with or without the country code). These terms
// are personal data: they reach the server in a POST body and the
// database as bound values, never a URL or a log (handlers/admin_queue.go).
// A reference is not personal data and has its own filter
// (QueueFilter.Reference), which may stay in a link.

// Search kinds.
const (
	SearchReference = "reference"
	SearchEmail     = "email"
	SearchName      = "name"
	SearchPhone     = "phone"
)

// Search is a search term, read as one kind and normalized as the
// submissions store it.
type Search struct {
	Kind  string // "" (no search), SearchEmail, SearchName or SearchPhone (and SearchReference from ParseSearch)
	Value string // the reference, the address in lower case, the name, or the phone's digits
}

// MaxSearch bounds a search term (the longest address).
const MaxSearch = MaxEmail

// maxNameTerms is how many words of a name a search matches.
const maxNameTerms = 4

// Search errors, shown by the search box.
var (
	ErrSearchEmpty   = &Error{Kind: KindInvalid, Key: "error.search.required", Field: "q"}
	ErrSearchTooLong = &Error{Kind: KindInvalid, Key: "error.search.too_long", Field: "q"}
)

// ParseSearch reads what was typed in the queue's search box: an address
// (it has an @), a reference (see typedReference), a phone number (digits
// and the signs a number is written with, five digits or more), or else a
// name.
func ParseSearch(raw string) (Search, error) {
	s, ok := CleanText(raw, OneLine)
	switch {
	case !ok:
		return Search{}, &Error{Kind: KindInvalid, Key: "error.text.invalid", Field: "q"}
	case s == "":
		return Search{}, ErrSearchEmpty
	case utf8.RuneCountInString(s) > MaxSearch:
		return Search{}, ErrSearchTooLong
	case strings.Contains(s, "@"):
		return Search{Kind: SearchEmail, Value: NormalizeEmail(s)}, nil
	}
	if ref := NormalizeReference(s); ref != "" && typedReference(s) {
		return Search{Kind: SearchReference, Value: ref}, nil
	}
	if validPhone(s) {
		return Search{Kind: SearchPhone, Value: digitsOnly(s)}, nil
	}
	if len(nameTokens(s)) == 0 {
		return Search{}, ErrSearchEmpty
	}
	return Search{Kind: SearchName, Value: s}, nil
}

// typedReference tells a reference from a word or a number that
// NormalizeReference would also read as one: it starts with RD, or its
// eight characters are of the references' alphabet, letters and digits
// both ("Schwartz" is a name, "23456789" a phone number).
func typedReference(s string) bool {
	var code []byte
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'a' && c <= 'z':
			code = append(code, c-'a'+'A')
		case c != '-' && c != ' ' && c != '.' && c != '_': // NormalizeReference let letters and digits only through
			code = append(code, c)
		}
	}
	if len(code) == 10 {
		return true // RD and the code
	}
	letters, digits := 0, 0
	for _, c := range code {
		switch {
		case !strings.ContainsRune(referenceAlphabet, rune(c)):
			return false
		case c >= '0' && c <= '9':
			digits++
		default:
			letters++
		}
	}
	return letters > 0 && digits > 0
}

// NormalizeEmail is an address as submissions store it: trimmed, in lower case.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// nameTokens are the words a name is found by: in lower case, split at
// spaces and hyphens, each once. 00013_assignment.sql makes the same from
// existing rows in SQL: change both together.
func nameTokens(name string) []string {
	var out []string
	for _, w := range strings.Split(strings.ToLower(strings.ReplaceAll(name, "-", " ")), " ") {
		if w != "" && !contains(out, w) {
			out = append(out, w)
		}
	}
	return out
}

// digitsOnly keeps the digits of s.
func digitsOnly(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// phoneTailLen is how many of a number's last digits it is searched by:
// enough to tell numbers apart, few enough to leave out a country code or
// a trunk prefix (+44 20 7946 0018 is 020 7946 0018 at home).
const phoneTailLen = 7

// phoneTail is what a phone number is searched by: its last phoneTailLen
// digits (all of them when fewer). 00013_assignment.sql makes the same
// from existing rows in SQL: change both together.
func phoneTail(phone string) string {
	digits := digitsOnly(phone)
	return digits[max(0, len(digits)-phoneTailLen):]
}

// nameRange is the range of words that start with term, for an index
// range scan: term itself up to term followed by the last code point
// (byte order: the C collation on PostgreSQL, BINARY on SQLite).
func nameRange(term string) (lo, hi string) { return term, term + string(utf8.MaxRune) }

// searchTerms are the words of a name search, at most maxNameTerms.
func searchTerms(name string) []string {
	t := nameTokens(name)
	return t[:min(len(t), maxNameTerms)]
}

// searchSQL is the condition on requests.submission_id of a search, with
// its bound values: the people found by one index (submissions by e-mail
// or by the last digits of the phone number, or the words of names), then
// their requests by submission. On PostgreSQL the people are an array,
// worked out first (an init plan): as a plain IN, a search it expects to
// match many people (a common surname) was planned as a hash of them
// against a scan of every request.
func searchSQL(s Search, postgres bool) (string, []any) {
	var sub string
	var args []any
	switch s.Kind {
	case SearchEmail:
		sub, args = "SELECT submissions.id FROM submissions WHERE submissions.email = ?", []any{s.Value}
	case SearchPhone:
		// The last seven digits, or the whole number when shorter: a
		// number typed with or without its country code is found.
		sub, args = "SELECT submissions.id FROM submissions WHERE submissions.phone_tail = ? AND submissions.phone_tail <> ''", []any{phoneTail(s.Value)}
	case SearchName:
		var parts []string
		for _, term := range searchTerms(s.Value) {
			lo, hi := nameRange(term)
			parts = append(parts, "SELECT submission_names.submission_id FROM submission_names WHERE submission_names.token >= ? AND submission_names.token < ?")
			args = append(args, lo, hi)
		}
		sub = strings.Join(parts, " INTERSECT ")
	default:
		return "", nil
	}
	if postgres {
		return "requests.submission_id = ANY(ARRAY(" + sub + "))", args
	}
	return "requests.submission_id IN (" + sub + ")", args
}

// indexName records the words of a submission's name, in the transaction
// that inserts it (insertSubmission).
func (t *tx) indexName(sub *Submission) error {
	for _, w := range nameTokens(sub.Name) {
		if err := t.Exec("INSERT INTO submission_names (token, submission_id) VALUES (?, ?)", w, sub.ID).Error; err != nil {
			return err
		}
	}
	return nil
}
