package models

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Searching the queue for a person: by e-mail (exact, in any case), by
// name (each word typed is the start of a word of the name, in any case)
// or by phone (its last seven digits: with or without the country code).
// The people found (at most MaxSearchPeople) are looked up first, then
// the queue lists their requests. These terms are personal data: they
// reach the server in a POST body and the database as bound values, never
// a URL or a log (handlers/admin_queue.go). A reference is not personal
// data and has its own filter (QueueFilter.Reference), which may stay in
// a link.

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

// MaxSearchPeople is how many people a name search may find: a search
// that matches more (a common surname alone, a word's first letter at a
// million requests) asks for more of the name rather than sort every
// request of thousands of people.
const MaxSearchPeople = 1000

// Search errors, shown by the search box.
var (
	ErrSearchEmpty    = &Error{Kind: KindInvalid, Key: "error.search.required", Field: "q"}
	ErrSearchTooLong  = &Error{Kind: KindInvalid, Key: "error.search.too_long", Field: "q"}
	ErrSearchTooBroad = &Error{Kind: KindInvalid, Key: "error.search.too_broad", Field: "q", Args: []any{MaxSearchPeople}}
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

// nameOrderCount is how far each word of a name search is counted to
// choose the rarest: past it, two words are as common as each other.
const nameOrderCount = 20 * MaxSearchPeople

// nameTerms are the words of a name search, the one that matches the
// fewest people first: the search reads that one's range of words and
// checks each person found for the others. Each word is counted up to
// nameOrderCount (an index-only range, stopped there).
func (c *Core) nameTerms(ctx context.Context, name string) ([]string, error) {
	terms := searchTerms(name)
	if len(terms) < 2 {
		return terms, nil
	}
	count := map[string]int{}
	for _, t := range terms {
		lo, hi := nameRange(t)
		var n int
		if err := c.read(ctx).Raw("SELECT COUNT(*) FROM (SELECT 1 FROM submission_names WHERE token >= ? AND token < ? LIMIT "+
			strconv.Itoa(nameOrderCount)+") capped", lo, hi).Scan(&n).Error; err != nil {
			return nil, err
		}
		count[t] = n
	}
	slices.SortStableFunc(terms, func(a, b string) int { return count[a] - count[b] })
	return terms, nil
}

// peopleRows bounds the rows of a search's people: a person appears once
// for each word of their name its first word starts (one or two, rarely
// more), so this many rows is more people than MaxSearchPeople, unless
// every one of them has four such words.
const peopleRows = 4 * (MaxSearchPeople + 1)

// peopleSQL is the query of the people (submissions) a search finds, at
// most peopleRows rows, with its bound values: by e-mail, by the last
// digits of the phone number, or by the first word's range of names, each
// person then checked for the other words in the index of their own
// words. terms are a name search's words in the order to read them
// (nameTerms).
func peopleSQL(s Search, terms []string, postgres bool) (string, []any) {
	limit := " LIMIT " + strconv.Itoa(peopleRows)
	switch s.Kind {
	case SearchEmail:
		return "SELECT submissions.id FROM submissions WHERE submissions.email = ?" + limit, []any{s.Value}
	case SearchPhone:
		// The last seven digits, or the whole number when shorter: a
		// number typed with or without its country code is found.
		return "SELECT submissions.id FROM submissions WHERE submissions.phone_tail = ? AND submissions.phone_tail <> ''" + limit,
			[]any{phoneTail(s.Value)}
	case SearchName:
		lo, hi := nameRange(terms[0])
		sql, args := "SELECT found.submission_id FROM submission_names found WHERE found.token >= ? AND found.token < ?", []any{lo, hi}
		// OFFSET 0 keeps PostgreSQL from turning the check into a join,
		// which its plan for any values made a hash of both words' ranges.
		fence := ""
		if postgres {
			fence = " OFFSET 0"
		}
		for _, term := range terms[1:] {
			lo, hi := nameRange(term)
			sql += " AND EXISTS (SELECT 1 FROM submission_names other WHERE other.submission_id = found.submission_id " +
				"AND other.token >= ? AND other.token < ?" + fence + ")"
			args = append(args, lo, hi)
		}
		return sql + limit, args
	}
	return "", nil
}

// searchPeople finds the people a search is for: the submissions, at most
// MaxSearchPeople (ErrSearchTooBroad past that), whose requests the queue
// then lists. Found first, on their own, they are a short list of ids to
// the queue's query, which reads the requests by submission whatever the
// planner would have guessed of a search it could not see into.
func (c *Core) searchPeople(ctx context.Context, s Search) ([]int64, error) {
	var terms []string
	if s.Kind == SearchName {
		var err error
		if terms, err = c.nameTerms(ctx, s.Value); err != nil {
			return nil, err
		}
	}
	sql, args := peopleSQL(s, terms, IsPostgres(c.db))
	var ids []int64
	if err := c.read(ctx).Raw(sql, args...).Scan(&ids).Error; err != nil {
		return nil, err
	}
	full := len(ids) == peopleRows // there may be more
	slices.Sort(ids)
	ids = slices.Compact(ids) // a person two of whose words start alike
	if full || len(ids) > MaxSearchPeople {
		return nil, ErrSearchTooBroad
	}
	return ids, nil
}

// peopleCond is the condition on requests of a search's people, with its
// one bound value: the ids as an array (PostgreSQL) or a JSON list
// (SQLite), so that every search is one statement, whatever its length.
func peopleCond(ids []int64, postgres bool) (string, any) {
	list := make([]string, len(ids))
	for i, id := range ids {
		list[i] = strconv.FormatInt(id, 10)
	}
	if postgres {
		return "requests.submission_id = ANY(CAST(? AS bigint[]))", "{" + strings.Join(list, ",") + "}"
	}
	return "requests.submission_id IN (SELECT value FROM json_each(?))", "[" + strings.Join(list, ",") + "]"
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
