package models

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

// What is typed in the search box is read as the kind of term it is.
func TestParseSearch(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want Search
		err  error
	}{
		{"  Jordan@Example.ORG ", Search{SearchEmail, "jordan@example.org"}, nil},
		{"rd 7k3m q9xd", Search{SearchReference, "RD-7K3M-Q9XD"}, nil},
		{"7K3MQ9XD", Search{SearchReference, "RD-7K3M-Q9XD"}, nil},
		{"7k3m-q9xd", Search{SearchReference, "RD-7K3M-Q9XD"}, nil},
		// Eight letters of the references' alphabet, no digit: a name.
		{"Schwartz", Search{SearchName, "Schwartz"}, nil},
		{"jord exam", Search{SearchName, "jord exam"}, nil},
		{"+1 (415) 555-0100", Search{SearchPhone, "14155550100"}, nil},
		{"555 0100", Search{SearchPhone, "5550100"}, nil},
		// Eight digits read as a phone number, not a reference without RD.
		{"55501002", Search{SearchPhone, "55501002"}, nil},
		{"Jordan Example", Search{SearchName, "Jordan Example"}, nil},
		{"O'Brien-Smith", Search{SearchName, "O'Brien-Smith"}, nil},
		{"1234", Search{SearchName, "1234"}, nil}, // too few digits for a number: a word
		{"   ", Search{}, ErrSearchEmpty},
		{"- -", Search{}, ErrSearchEmpty},
		{"tab\there", Search{}, nil}, // not one line: invalid text
	} {
		got, err := ParseSearch(tc.raw)
		if tc.raw == "tab\there" {
			if KindOf(err) != KindInvalid {
				t.Errorf("%q: %v", tc.raw, err)
			}
			continue
		}
		if got != tc.want || err != tc.err {
			t.Errorf("%q: %+v %v, want %+v %v", tc.raw, got, err, tc.want, tc.err)
		}
	}
	if _, err := ParseSearch(string(make([]byte, MaxSearch+1))); err == nil {
		t.Error("a search longer than any address was accepted")
	}
	if got := nameTokens("Ana-Maria  de la CRUZ Cruz"); !slices.Equal(got, []string{"ana", "maria", "de", "la", "cruz"}) {
		t.Errorf("tokens %q", got)
	}
	if tail := phoneTail("+1 (415) 555-0100"); tail != "5550100" {
		t.Errorf("phone tail %q", tail)
	}
	if tail := phoneTail("12-345"); tail != "12345" {
		t.Errorf("short phone tail %q", tail)
	}
}

// Migration 00013 indexes the submissions made before it exactly as
// insertSubmission indexes new ones: the words of the name, the phone's
// last digits.
func TestMigrationIndexesExistingRows(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			db := openEmptyDB(t, dialect)
			ctx := context.Background()
			p, err := migrator(db)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.UpTo(ctx, 12); err != nil {
				t.Fatal(err)
			}
			people := []struct{ name, phone string }{
				{"Ana-Maria  de la CRUZ", "+1 (415) 555-0100"},
				{"Jordan Example", ""},
				{"Sam", "020 7946 0018"},
				{"", "12345"},
			}
			now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			for i, pp := range people {
				err := db.Exec("INSERT INTO submissions (reference, tracking_hash, tracking_sealed, on_behalf, name, email, phone, country, "+
					"jurisdiction, relationship, lang, channel, received_at, created_at, updated_at) "+
					"VALUES (?, ?, '', 'self', ?, ?, ?, 'GB', 'GB', 'customer', 'en', 'web', ?, ?, ?)",
					newReference(), newToken(), pp.name, "p"+itoa(int64(i))+"@example.org", pp.phone, now, now, now).Error
				if err != nil {
					t.Fatal(err)
				}
			}
			if _, err := Migrate(ctx, db); err != nil {
				t.Fatal(err)
			}
			var subs []Submission
			if err := db.Order("id").Find(&subs).Error; err != nil {
				t.Fatal(err)
			}
			for i, s := range subs {
				var words []string
				if err := db.Raw("SELECT token FROM submission_names WHERE submission_id = ? ORDER BY token", s.ID).Scan(&words).Error; err != nil {
					t.Fatal(err)
				}
				want := nameTokens(people[i].name)
				slices.Sort(want)
				if tail := phoneTail(people[i].phone); !slices.Equal(words, want) || s.PhoneTail != tail {
					t.Errorf("%q %q: words %q, phone %q; want %q, %q", people[i].name, people[i].phone, words, s.PhoneTail, want, tail)
				}
			}
		})
	}
}

// The working roles written into SQL (the assignment's guard and the
// trigger of 00013) are CanWork's.
func TestWorkingRolesSQL(t *testing.T) {
	for _, role := range Roles {
		if CanWork(role) != strings.Contains(workingRolesSQL, "'"+role+"'") {
			t.Errorf("role %s: CanWork %v, in %s", role, CanWork(role), workingRolesSQL)
		}
	}
	for _, dialect := range []string{"sqlite", "postgres"} {
		b, err := migrations.ReadFile("migrations/" + dialect + "/00013_assignment.sql")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "NEW.role NOT IN "+workingRolesSQL) {
			t.Errorf("%s: the trigger's roles are not %s", dialect, workingRolesSQL)
		}
	}
}
