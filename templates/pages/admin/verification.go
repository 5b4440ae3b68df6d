package admin

import (
	"strings"

	"github.com/rightsdesk/rightsdesk/templates/components"
)

// VerificationView is the organization's verification settings.
type VerificationView struct {
	Form          components.Form
	Version       int
	Questions     []components.Option
	Sources       []components.Option
	Raises        []RaiseRow
	OnDoubt       []string // jurisdictions where only staff raise one request's tier
	LookupKeySet  bool
	LookupStatus  string
	LookupDown    bool
	OIDCSecretSet bool
	RedirectURL   string // the sign-in's redirect URI, to register with the provider
	Imports       []ImportRow
	UploadForm    components.Form
	MaxMB         int64
}

// RaiseRow is one right of one jurisdiction whose tier may be raised.
type RaiseRow struct {
	Name, Jurisdiction, Right, Law, Source string
	Options                                []components.Option
}

// ImportRow is one import of the organization's records.
type ImportRow struct {
	When, Status, Fields      string
	Total, Accepted, Rejected int
	Active                    bool
	Rejections                []string
}

// MappingView maps an uploaded file's columns.
type MappingView struct {
	ID        int64
	Form      components.Form
	Header    []string
	Rows      [][]string
	Columns   []components.Option
	Countries []components.Option
	Email     MapField
	Fields    []MapField
}

// MapField is one field to find a column for.
type MapField struct{ Name, Label, Hint string }

func joinList(s []string) string { return strings.Join(s, ", ") }
