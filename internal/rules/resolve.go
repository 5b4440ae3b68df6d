package rules

import (
	"slices"
	"strings"
)

// Jurisdictions lists every jurisdiction in display order.
func Jurisdictions() []Jurisdiction {
	return []Jurisdiction{California, Virginia, Colorado, Connecticut, Texas, Oregon, EU, UK, Quebec, Canada, Other, Unstated}
}

// euEEA are the EU member states plus Iceland, Liechtenstein and Norway
// (ISO 3166-1: Greece is GR).
var euEEA = []string{"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV",
	"LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO"}

// EEACountries lists the EU/EEA member states, whose residents the GDPR covers.
func EEACountries() []string { return slices.Clone(euEEA) }

// Countries lists the countries the form names (anyone else picks "OTHER",
// which the app adds). Names live in the message catalog ("country.XX").
func Countries() []string {
	return append([]string{"US", "CA", "GB", "AU", "BR", "IN", "JP", "MX", "CH"}, euEEA...)
}

// USStates lists the US states and DC by postal code, then the inhabited
// territories (all resolve to Other unless listed in Resolve).
func USStates() []string {
	return []string{"AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS",
		"KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH",
		"OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "PR", "GU", "VI", "AS", "MP"}
}

// CanadianProvinces lists the provinces and territories.
func CanadianProvinces() []string {
	return []string{"AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT"}
}

// usLaws are the states with a law of their own in the table.
var usLaws = map[string]Jurisdiction{"CA": California, "VA": Virginia, "CO": Colorado, "CT": Connecticut, "TX": Texas, "OR": Oregon}

// Resolve maps where a person lives (ISO 3166-1 alpha-2 country, and the
// subdivision code without the country prefix: "CA", "QC") to the
// jurisdiction whose law applies. Case, spaces and an ISO 3166-2 prefix
// ("US-CA") are tolerated; anything unknown is Other.
func Resolve(country, region string) Jurisdiction {
	country = strings.ToUpper(strings.TrimSpace(country))
	region = strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(region)), country+"-")
	switch {
	case country == "US":
		if j, ok := usLaws[region]; ok {
			return j
		}
	case country == "CA" && region == "QC":
		return Quebec
	case country == "CA" && slices.Contains(CanadianProvinces(), region):
		return Canada
	case country == "GB" || country == "UK":
		return UK
	case slices.Contains(euEEA, country):
		return EU
	}
	return Other
}
