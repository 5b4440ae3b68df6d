package models

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rightsdesk/rightsdesk/internal/rules"
)

// Fuzz tests for every parser of outside input. Their seeds run with
// go test; `go test -fuzz FuzzX ./models/` searches further.

var referenceShape = regexp.MustCompile(`^RD-[0-9A-Z]{4}-[0-9A-Z]{4}$`)

func FuzzNormalizeReference(f *testing.F) {
	for _, s := range []string{"RD-7K3M-Q9XD", "rd 7k3m q9xd", "7K3MQ9XD", "", "RD--", "ЯD-7K3M-Q9XD", "rd-7k3m-q9xd\x00", strings.Repeat("A", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := NormalizeReference(s)
		if got == "" {
			return
		}
		if !referenceShape.MatchString(got) {
			t.Fatalf("%q → %q, not a reference", s, got)
		}
		if again := NormalizeReference(got); again != got {
			t.Fatalf("not idempotent: %q → %q → %q", s, got, again)
		}
	})
}

func FuzzToken(f *testing.F) {
	f.Add(newToken())
	f.Add("")
	f.Add(strings.Repeat("a", 43))
	f.Add(strings.Repeat("é", 22))
	f.Fuzz(func(t *testing.T, s string) {
		if validToken(s) && (len(s) != 43 || strings.ContainsAny(s, "/+=%?#&\x00 ")) {
			t.Fatalf("%q accepted as a token", s)
		}
	})
}

func FuzzEmail(f *testing.F) {
	for _, s := range []string{"a@example.org", "A <a@example.org>", "a@b", "\"a b\"@example.org", "a@example.org\r\nBcc: x@y.z", "a@exa\u202emple.org", "@example.org", "a@@example.org"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !ValidEmail(s) {
			return
		}
		if clean, ok := CleanText(s, OneLine); !ok || clean != s {
			t.Fatalf("%q accepted but breaks the input rule", s)
		}
		if strings.Count(s, "@") < 1 || strings.ContainsAny(s, " <>,;\r\n") || len(s) > MaxEmail {
			t.Fatalf("%q accepted", s)
		}
	})
}

func FuzzPhone(f *testing.F) {
	for _, s := range []string{"+1 415 555 0100", "(020) 7946 0958", "12", "+1\n415", "555-0100 ext. 4", "٠١٢٣٤٥٦"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !validPhone(s) {
			return
		}
		if strings.Trim(s, "0123456789+-(). /") != "" {
			t.Fatalf("%q accepted with other characters", s)
		}
	})
}

func FuzzCleanText(f *testing.F) {
	for _, s := range []string{"plain", "two\r\nlines", "nul\x00", "\xff\xfe", "bidi\u202e", "tab\there", "\u2028", " trimmed "} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, multi bool) {
		kind := OneLine
		if multi {
			kind = MultiLine
		}
		got, ok := CleanText(s, kind)
		if !ok {
			return
		}
		if !utf8.ValidString(got) || strings.ContainsAny(got, "\x00\r\u202e\u2066") || got != strings.TrimSpace(got) {
			t.Fatalf("%q → %q accepted", s, got)
		}
		if kind == OneLine && strings.ContainsAny(got, "\n\t") {
			t.Fatalf("%q → %q: a line break in a one-line field", s, got)
		}
		if again, ok := CleanText(got, kind); !ok || again != got {
			t.Fatalf("not stable: %q → %q → %q", s, got, again)
		}
	})
}

func FuzzCursor(f *testing.F) {
	f.Add(encodeCursor(now(), 42))
	f.Add("")
	f.Add("MjAyNi0wMS0wMVQwMDowMDowMFp8LTE") // a negative id
	f.Fuzz(func(t *testing.T, s string) {
		at, id, err := decodeCursor(s)
		if err == nil && id <= 0 {
			t.Fatalf("%q → id %d accepted", s, id)
		}
		if err != nil {
			return
		}
		if at2, id2, err := decodeCursor(encodeCursor(at, id)); err != nil || !at2.Equal(at) || id2 != id {
			t.Fatalf("%q does not round-trip: %v %d %v", s, at2, id2, err)
		}
	})
}

// FuzzSubmissionForm decodes a form body as the handlers do and validates
// it: whatever arrives, validation answers without panicking, and what it
// accepts obeys the input rule.
func FuzzSubmissionForm(f *testing.F) {
	f.Add("on_behalf=self&country=US&state=CA&rights=access&name=Jo&email=jo%40example.org&relationship=customer")
	f.Add("on_behalf=self&country=GB&rights=delete&rights=delete&name=%00&email=x&relationship=other")
	f.Add("country=ZZ&rights=appeal&name=" + strings.Repeat("n", 300))
	f.Add("%zz&&==&rights")
	engine, err := rules.New(rules.Options{})
	if err != nil {
		f.Fatal(err)
	}
	s := &Submissions{c: &Core{Rules: engine}}
	f.Fuzz(func(t *testing.T, body string) {
		v, err := url.ParseQuery(body)
		if err != nil {
			return // the web layer answers 400
		}
		in := SubmissionInput{OnBehalf: v.Get("on_behalf"), Country: v.Get("country"), Region: v.Get("state"),
			Rights: v["rights"], Name: v.Get("name"), Email: v.Get("email"), Phone: v.Get("phone"),
			Relationship: v.Get("relationship"), Details: v.Get("details")}
		if s.Validate(&in) != nil {
			return
		}
		for _, field := range []string{in.Name, in.Email, in.Phone} {
			if _, ok := CleanText(field, OneLine); !ok || strings.ContainsRune(field, '\n') {
				t.Fatalf("accepted %q", field)
			}
		}
		if _, ok := CleanText(in.Details, MultiLine); !ok {
			t.Fatalf("accepted details %q", in.Details)
		}
		if len(in.Rights) == 0 || utf8.RuneCountInString(in.Name) > MaxName {
			t.Fatalf("accepted %+v", in)
		}
	})
}

// The hand-written parser of SQLite's time text agrees with time.Parse.
func FuzzSQLiteTime(f *testing.F) {
	for _, s := range []string{"2026-01-31 18:00:00+00:00", "2026-01-31 18:00:00.123456-08:00", "2026-01-31 18:00:00Z",
		"2026-02-30 25:61:61+00:00", "2026-01-31T18:00:00.5+05:30", "2026-01-31 18:00:00.1234567891+00:00", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseSQLiteTime(s)
		want, err := time.Parse("2006-01-02 15:04:05.999999999Z07:00", s)
		if err != nil {
			want, err = time.Parse(time.RFC3339Nano, s)
		}
		if ok && err == nil && !got.Equal(want) {
			t.Fatalf("%q: %v, time.Parse says %v", s, got, want)
		}
		// What the fast path refuses, dbTime reads with time.Parse.
		var d dbTime
		if derr := d.Scan(s); err == nil && (derr != nil || !d.Equal(want)) {
			t.Fatalf("%q: dbTime %v %v, time.Parse says %v", s, d.Time, derr, want)
		}
	})
}

// An identifier accepted for a privacy choice obeys the input rule and is
// already clean: cleaning it again gives it back.
func FuzzParseSubject(f *testing.F) {
	for _, s := range []string{"Jane@Example.org", "+1 (415) 555-0100", "C-1001", "two words", "v:\u202e1", "", strings.Repeat("x", 200), "a@b.c\x00"} {
		for _, kind := range IDKinds {
			f.Add(kind, s)
		}
	}
	f.Fuzz(func(t *testing.T, kind, raw string) {
		s, err := ParseSubject(kind, raw)
		if err != nil {
			return
		}
		if clean, ok := CleanText(s.Value, OneLine); !ok || clean != s.Value || s.Value == "" || len(s.Value) > MaxEmail {
			t.Fatalf("%s %q → %q breaks the input rule", kind, raw, s.Value)
		}
		if again, err := ParseSubject(kind, s.Value); err != nil || again != s {
			t.Fatalf("not idempotent: %s %q → %q → %+v %v", kind, raw, s.Value, again, err)
		}
	})
}

// A one-click token from outside is accepted only when signed, and then
// names a clean identifier of a one-click kind.
func FuzzOneClickToken(f *testing.F) {
	key := []byte("fuzz-key-fuzz-key-fuzz-key-fuzz-key")
	cs := &Choices{oneClick: [][]byte{key}}
	f.Add(OneClickToken(key, Subject{Kind: IDEmail, Value: "jane@example.org"}))
	f.Add(OneClickToken(key, Subject{Kind: IDVisitor, Value: "v"}))
	f.Add(OneClickToken(key, Subject{Kind: IDCustomer, Value: "a b"}))
	f.Add("x.y")
	f.Add("")
	f.Fuzz(func(t *testing.T, token string) {
		s, err := cs.OneClickSubject(token)
		if err != nil {
			return
		}
		if !contains(OneClickKinds, s.Kind) {
			t.Fatalf("%q accepted for kind %q", token, s.Kind)
		}
		if again, err := ParseSubject(s.Kind, s.Value); err != nil || again != s {
			t.Fatalf("%q names an unclean identifier %+v", token, s)
		}
		payload, _, _ := strings.Cut(token, ".")
		if !strings.HasPrefix(token, payload+".") || oneClickSignature(key, payload) != token[len(payload)+1:] {
			t.Fatalf("%q accepted without its signature", token)
		}
	})
}
