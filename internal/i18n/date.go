package i18n

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Dates are written from catalog patterns, not Go layouts, so each language
// chooses its order and its words:
//
//	"date.format":     "{day} {month} {year}"           → 2 January 2006
//	"datetime.format": "{date}, {hour}:{minute} {zone}" → 2 January 2006, 15:04 MST
//
// and a French catalog's "{day} {month} {year}" with "date.month.3": "mars"
// gives "3 mars 2026". date.month.1 … date.month.12 are month names as they
// stand in a date (a language that declines them, such as Polish, gives the
// genitive); date.weekday.1 … date.weekday.7 are Monday … Sunday (ISO 8601
// order).
//
// Placeholders:
//
//	{day}     day of the month, 1–31        {day2}   01–31
//	{month}   month name (date.month.N)     {month2} 01–12
//	{year}    year, 2006                    {weekday} weekday name (date.weekday.N)
//	{hour}    hour, 00–23                   {minute} 00–59
//	{zone}    time zone abbreviation (MST, CET; +0530 where the zone has none)
//	{date}    the date as date.format writes it (datetime.format only)
const (
	keyDateFormat     = "date.format"
	keyDateTimeFormat = "datetime.format"
)

var datePlaceholders = map[string]bool{"day": true, "day2": true, "month": true, "month2": true,
	"year": true, "weekday": true, "hour": true, "minute": true, "zone": true}

// checkDateFormats rejects a pattern with an unknown placeholder or an
// unclosed brace at load time rather than on a page.
func checkDateFormats(l *lang) error {
	for _, key := range []string{keyDateFormat, keyDateTimeFormat} {
		e, ok := l.messages[key]
		if !ok {
			continue
		}
		if e.forms != nil {
			return fmt.Errorf("%s: must be a string", key)
		}
		err := expand(e.text, func(name string) (string, bool) {
			return "", datePlaceholders[name] || (name == "date" && key == keyDateTimeFormat)
		}, nil)
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
	}
	return nil
}

// Date writes t as a date in loc (UTC when loc is nil) in the printer's
// language: "2 January 2006" in English.
func (p Printer) Date(t time.Time, loc *time.Location) string {
	return p.dateFormat(keyDateFormat, t, loc, "")
}

// DateTime writes t as a date and time of day in loc (UTC when loc is nil):
// "2 January 2006, 15:04 MST" in English.
func (p Printer) DateTime(t time.Time, loc *time.Location) string {
	return p.dateFormat(keyDateTimeFormat, t, loc, p.Date(t, loc))
}

func (p Printer) dateFormat(key string, t time.Time, loc *time.Location, date string) string {
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	var b strings.Builder
	err := expand(p.T(key), func(name string) (string, bool) {
		switch name {
		case "day":
			return strconv.Itoa(t.Day()), true
		case "day2":
			return pad2(t.Day()), true
		case "month":
			return p.T("date.month." + strconv.Itoa(int(t.Month()))), true
		case "month2":
			return pad2(int(t.Month())), true
		case "year":
			return strconv.Itoa(t.Year()), true
		case "weekday":
			return p.T("date.weekday." + strconv.Itoa(isoWeekday(t.Weekday()))), true
		case "hour":
			return pad2(t.Hour()), true
		case "minute":
			return pad2(t.Minute()), true
		case "zone":
			return t.Format("MST"), true
		case "date":
			return date, date != ""
		}
		return "", false
	}, &b)
	if err != nil {
		// Load checked every pattern; this is only a missing one.
		return t.Format(time.RFC3339)
	}
	return b.String()
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

func isoWeekday(d time.Weekday) int {
	if d == time.Sunday {
		return 7
	}
	return int(d)
}

// expand writes pattern to out (when not nil) with each {name} replaced by
// value(name); an unknown name or an unclosed brace is an error.
func expand(pattern string, value func(string) (string, bool), out *strings.Builder) error {
	for {
		i := strings.IndexByte(pattern, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(pattern[i:], '}')
		if j < 0 {
			return fmt.Errorf("unclosed { in %q", pattern)
		}
		name := pattern[i+1 : i+j]
		v, ok := value(name)
		if !ok {
			return fmt.Errorf("unknown placeholder {%s}", name)
		}
		if out != nil {
			out.WriteString(pattern[:i])
			out.WriteString(v)
		}
		pattern = pattern[i+j+1:]
	}
	if out != nil {
		out.WriteString(pattern)
	}
	return nil
}
