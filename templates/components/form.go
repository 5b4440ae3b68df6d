// Package components holds the form parts every page shares, after the
// GOV.UK Design System patterns.
package components

import "net/url"

// Form carries what the user typed and the translated error for each field,
// so an invalid form re-renders with every value kept.
type Form struct {
	Values url.Values
	Errors map[string]string // field name → translated message
	Order  []string          // field order, for the error summary
}

// Get is the submitted value of a field.
func (f Form) Get(name string) string { return f.Values.Get(name) }

// Has reports whether value was among a field's submitted values.
func (f Form) Has(name, value string) bool {
	for _, v := range f.Values[name] {
		if v == value {
			return true
		}
	}
	return false
}

// Err is the error message of a field, or "".
func (f Form) Err(name string) string { return f.Errors[name] }

// Summary lists the errors in field order.
func (f Form) Summary() []FieldError {
	var out []FieldError
	seen := map[string]bool{}
	for _, name := range f.Order {
		if msg, ok := f.Errors[name]; ok {
			out = append(out, FieldError{Field: name, Message: msg})
			seen[name] = true
		}
	}
	for name, msg := range f.Errors {
		if !seen[name] {
			out = append(out, FieldError{Field: name, Message: msg})
		}
	}
	return out
}

// FieldError is one entry of the error summary.
type FieldError struct {
	Field, Message string
}

// Option is one choice of a radio group, checkbox group or select.
type Option struct {
	Value, Label, Hint string
}

// FieldID is the id of a field's (first) input, the error summary's link target.
func FieldID(name string) string { return "f-" + name }

// Described joins the ids an input's aria-describedby names.
func Described(name string, hint bool, err string) string {
	s := ""
	if hint {
		s = FieldID(name) + "-hint"
	}
	if err != "" {
		if s != "" {
			s += " "
		}
		s += FieldID(name) + "-error"
	}
	return s
}
