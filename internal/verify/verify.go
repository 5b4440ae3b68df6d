// Package verify holds the data points a person may be asked to match
// against the organization's records, and how each is normalized before it
// is hashed or compared: case, whitespace and Unicode (NFKC) for all, phone
// numbers to E.164 (github.com/nyaruka/phonenumbers), postal codes without
// spaces, dates as YYYY-MM-DD. The organization's records are kept only as
// salted, keyed hashes of normalized values (Hash), so the portal never
// becomes a second copy of its customer database. Pure Go: no database or
// HTTP.
package verify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
	"unicode"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Field is one data point the organization may ask for.
type Field string

// The data points, in the order a form asks them.
const (
	FieldName          Field = "name"
	FieldPhone         Field = "phone"
	FieldPostalCode    Field = "postal_code"
	FieldAccountNumber Field = "account_number"
	FieldLastOrderDate Field = "last_order_date"
	FieldCardLast4     Field = "card_last4"
	FieldDateOfBirth   Field = "date_of_birth"
	// FieldEmail finds a person's record: it is the address they
	// confirmed, never a question, and not counted as a point.
	FieldEmail Field = "email"
)

// Fields lists the questions an organization may ask, in form order.
func Fields() []Field {
	return []Field{FieldName, FieldPhone, FieldPostalCode, FieldAccountNumber, FieldLastOrderDate, FieldCardLast4, FieldDateOfBirth}
}

// DefaultFields are asked until the organization chooses its own.
func DefaultFields() []Field { return []Field{FieldName, FieldPhone, FieldPostalCode} }

// Valid reports whether f is a question an organization may ask.
func (f Field) Valid() bool {
	for _, x := range Fields() {
		if x == f {
			return true
		}
	}
	return false
}

// Input describes the form field of f: its input type, autocomplete
// token, maximum length and input mode.
type Input struct {
	Type, Autocomplete, InputMode string
	MaxLen                        int
}

// Input is how f is asked on a form.
func (f Field) Input() Input {
	switch f {
	case FieldName:
		return Input{Type: "text", Autocomplete: "name", MaxLen: 200}
	case FieldPhone:
		return Input{Type: "tel", Autocomplete: "tel", MaxLen: 40}
	case FieldPostalCode:
		return Input{Type: "text", Autocomplete: "postal-code", MaxLen: 20}
	case FieldAccountNumber:
		return Input{Type: "text", Autocomplete: "off", MaxLen: 64}
	case FieldLastOrderDate:
		return Input{Type: "date", Autocomplete: "off", MaxLen: 10}
	case FieldCardLast4:
		return Input{Type: "text", Autocomplete: "off", InputMode: "numeric", MaxLen: 4}
	case FieldDateOfBirth:
		return Input{Type: "date", Autocomplete: "bday", MaxLen: 10}
	}
	return Input{Type: "text", Autocomplete: "off", MaxLen: 254}
}

// Invalid is a value that cannot be normalized; Key is the catalog message.
type Invalid struct {
	Field Field
	Key   string
}

func (e *Invalid) Error() string { return "verify: " + string(e.Field) + ": " + e.Key }

func invalid(f Field) error { return &Invalid{Field: f, Key: "error.verify." + string(f)} }

// MaxValue bounds any value before it is normalized.
const MaxValue = 256

var fold = cases.Fold()

// base applies the rules every field shares: NFKC, then every run of
// white space as one space, trimmed.
func base(v string) string {
	return strings.Join(strings.Fields(norm.NFKC.String(v)), " ")
}

// Normalize returns the canonical form of v as field f. region is the
// ISO 3166 country a phone number without a country code is read in
// ("US" where unknown); now bounds dates (none may be in the future). An
// empty v is "" without error: the question was not answered.
func Normalize(f Field, v, region string, now time.Time) (string, error) {
	if len(v) > MaxValue {
		return "", invalid(f)
	}
	v = base(v)
	if v == "" {
		return "", nil
	}
	switch f {
	case FieldEmail:
		return fold.String(v), nil
	case FieldName:
		return name(v)
	case FieldPhone:
		return phone(v, region)
	case FieldPostalCode:
		return postal(v)
	case FieldAccountNumber:
		out := strings.Map(func(r rune) rune {
			if r == ' ' || r == '-' || r == '.' || r == '/' {
				return -1
			}
			return unicode.ToUpper(r)
		}, v)
		if out == "" || len(out) > 64 {
			return "", invalid(f)
		}
		return out, nil
	case FieldCardLast4:
		d := strings.Map(func(r rune) rune {
			if r == ' ' || r == '-' || r == '*' || r == '•' || r == 'x' || r == 'X' {
				return -1
			}
			return r
		}, v)
		if len(d) != 4 || strings.Trim(d, "0123456789") != "" {
			return "", invalid(f)
		}
		return d, nil
	case FieldLastOrderDate, FieldDateOfBirth:
		return date(f, v, now)
	}
	return "", invalid(f)
}

// name folds case and drops punctuation: "O'Brien-Smith, Jo." and
// "obrien smith jo" are the same name.
func name(v string) (string, error) {
	letters := 0
	out := strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == '_' || r == '/':
			return ' '
		case unicode.IsPunct(r) || unicode.IsSymbol(r):
			return -1
		case unicode.IsLetter(r):
			letters++
		}
		return r
	}, fold.String(v))
	if letters == 0 {
		return "", invalid(FieldName)
	}
	return strings.Join(strings.Fields(out), " "), nil
}

func phone(v, region string) (string, error) {
	if region == "" || region == "OTHER" {
		region = "US"
	}
	n, err := phonenumbers.Parse(v, strings.ToUpper(region))
	if err != nil || !phonenumbers.IsPossibleNumber(n) {
		return "", invalid(FieldPhone)
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}

// postal upper-cases and drops spaces and dashes; a nine-digit US ZIP+4
// keeps its five-digit ZIP, so either form matches.
func postal(v string) (string, error) {
	out := strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return unicode.ToUpper(r)
	}, v)
	if len(out) < 3 || len(out) > 10 {
		return "", invalid(FieldPostalCode)
	}
	digits := true
	for _, r := range out {
		if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z') {
			return "", invalid(FieldPostalCode)
		}
		digits = digits && r >= '0' && r <= '9'
	}
	if digits && len(out) == 9 {
		out = out[:5]
	}
	return out, nil
}

// date reads YYYY-MM-DD (what a date input sends), YYYY/MM/DD or an RFC
// 3339 time (its date), never a date after now.
func date(f Field, v string, now time.Time) (string, error) {
	var t time.Time
	var err error
	for _, layout := range []string{time.DateOnly, "2006/01/02", time.RFC3339} {
		if t, err = time.Parse(layout, v); err == nil {
			break
		}
	}
	if err != nil || t.Year() < 1900 || (!now.IsZero() && t.After(now.AddDate(0, 0, 1))) {
		return "", invalid(f)
	}
	return t.Format(time.DateOnly), nil
}

// Hash is how a normalized value is kept: an HMAC under the portal's key
// with a salt of its own (one per import), shortened to 128 bits. A copy
// of the database without the key reveals nothing, and two imports hash
// the same value differently.
func Hash(key, salt []byte, f Field, normalized string) string {
	m := hmac.New(sha256.New, key)
	m.Write(salt)
	m.Write([]byte{0})
	m.Write([]byte(f))
	m.Write([]byte{0})
	m.Write([]byte(normalized))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// Equal compares two hashes in constant time.
func Equal(a, b string) bool { return hmac.Equal([]byte(a), []byte(b)) }
