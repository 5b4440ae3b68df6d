package verify

import (
	"errors"
	"testing"
	"time"
)

var today = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Values that mean the same normalize the same, whatever their case,
// spacing, Unicode form or punctuation; values that cannot be read are
// refused with the field's message.
func TestNormalize(t *testing.T) {
	same := []struct {
		f      Field
		region string
		in     []string
		want   string
	}{
		{FieldName, "", []string{"Jordan Example", "  jordan   EXAMPLE ", "ＪＯＲＤＡＮ Ｅｘａｍｐｌｅ", "Jordan\u00a0Example"}, "jordan example"},
		{FieldName, "", []string{"O'Brien-Smith, Jo.", "obrien smith jo", "O’Brien Smith Jo"}, "obrien smith jo"},
		{FieldName, "", []string{"STRASSE", "straße"}, "strasse"},
		{FieldName, "", []string{"José", "JOSÉ", "Jose\u0301"}, "josé"},
		{FieldPhone, "US", []string{"+1 415 555 0100", "(415) 555-0100", "415.555.0100", "+1-415-555-0100", "４１５ ５５５ ０１００"}, "+14155550100"},
		{FieldPhone, "GB", []string{"020 7946 0018", "+44 20 7946 0018"}, "+442079460018"},
		{FieldPhone, "", []string{"415 555 0100"}, "+14155550100"},
		{FieldPostalCode, "", []string{"94103", "94103-1234", " 94103 ", "941031234"}, "94103"},
		{FieldPostalCode, "", []string{"sw1a 1aa", "SW1A1AA", "ｓｗ１ａ １ａａ"}, "SW1A1AA"},
		{FieldPostalCode, "", []string{"h2x-1y4", "H2X 1Y4"}, "H2X1Y4"},
		{FieldAccountNumber, "", []string{"ac-1234 56", "AC123456", "ac.123.456"}, "AC123456"},
		{FieldCardLast4, "", []string{"4242", " 4242", "•••• 4242", "42 42"}, "4242"},
		{FieldLastOrderDate, "", []string{"2025-12-24", "2025/12/24", "2025-12-24T18:00:00-08:00"}, "2025-12-24"},
		{FieldEmail, "", []string{"Jordan@Example.org", " jordan@example.org"}, "jordan@example.org"},
	}
	for _, c := range same {
		for _, in := range c.in {
			got, err := Normalize(c.f, in, c.region, today)
			if err != nil || got != c.want {
				t.Errorf("Normalize(%s, %q) = %q, %v; want %q", c.f, in, got, err, c.want)
			}
		}
	}
	bad := []struct {
		f  Field
		in string
	}{
		{FieldName, "!!!"},
		{FieldPhone, "12"},
		{FieldPhone, "not a number"},
		{FieldPostalCode, "9"},
		{FieldPostalCode, "941@3"},
		{FieldCardLast4, "424"},
		{FieldCardLast4, "4242424242424242"},
		{FieldCardLast4, "42a2"},
		{FieldLastOrderDate, "24/12/2025"},
		{FieldLastOrderDate, "2026-06-01"}, // after today
		{FieldDateOfBirth, "1850-01-01"},
		{FieldName, string(make([]byte, MaxValue+1))},
		{"shoe_size", "42"},
	}
	for _, c := range bad {
		_, err := Normalize(c.f, c.in, "US", today)
		var inv *Invalid
		if !errors.As(err, &inv) || inv.Field != c.f || inv.Key != "error.verify."+string(c.f) {
			t.Errorf("Normalize(%s, %q): %v", c.f, c.in, err)
		}
	}
	if got, err := Normalize(FieldPhone, "   ", "US", today); got != "" || err != nil {
		t.Errorf("an unanswered question: %q %v", got, err)
	}
}

// Hashes are keyed and salted: the same value under another salt or key
// hashes differently.
func TestHash(t *testing.T) {
	key, salt := []byte("k"), []byte("s")
	h := Hash(key, salt, FieldName, "jordan example")
	if len(h) != 32 || !Equal(h, Hash(key, salt, FieldName, "jordan example")) {
		t.Fatalf("hash %q", h)
	}
	for _, other := range []string{Hash(key, []byte("t"), FieldName, "jordan example"), Hash([]byte("l"), salt, FieldName, "jordan example"),
		Hash(key, salt, FieldAccountNumber, "jordan example"), Hash(key, salt, FieldName, "jordan examplf")} {
		if Equal(h, other) {
			t.Error("a different salt, key, field or value hashed the same")
		}
	}
}

func TestFields(t *testing.T) {
	for _, f := range Fields() {
		if !f.Valid() || f.Input().MaxLen == 0 {
			t.Errorf("%s", f)
		}
	}
	if FieldEmail.Valid() {
		t.Error("the e-mail is never a question")
	}
	for _, f := range DefaultFields() {
		if !f.Valid() {
			t.Errorf("default %s", f)
		}
	}
}
