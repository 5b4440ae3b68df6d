// Package layout holds the page frames and the view model every page gets.
package layout

import (
	"time"

	"github.com/rightsdesk/rightsdesk/internal/i18n"
)

// Page is what every page needs besides its own view model.
type Page struct {
	T       i18n.Printer
	Title   string // translated; the page's h1 and <title>
	Failed  bool   // a form on the page failed: the <title> starts with "Error:"
	OrgName string
	Contact Contact // the privacy team, for wherever the portal cannot help
	CSS     string  // fingerprinted URLs
	JS      string
	Logo    string // the built-in mark, or the organization's logo
	// LogoType is the logo's media type ("" = SVG, the built-in mark).
	LogoType string
	// Theme is the organization's colours as a stylesheet; "" = the defaults.
	Theme string
	// PolicyURL is the organization's privacy policy; "" = not given.
	PolicyURL string
	CSRF      string
	Flash     string // translated one-off notice
	Staff     *StaffBadge
	Agent     *AgentBadge // the signed-in authorized agent, on agent pages
	Loc       *time.Location
	Now       time.Time
}

// Contact is how people reach the organization's privacy team.
type Contact struct {
	Email   string
	Address string // postal address; "" = none
	Phone   string // "" = none
	// QuebecTitle is the title of the person in charge of the protection
	// of personal information (Quebec's Law 25 s.3.2); "" = not given.
	QuebecTitle string
	// QuebecContact is where to write to that person, when not the privacy
	// team's address; "" = the team's.
	QuebecContact string
}

// StaffBadge identifies the signed-in staff member in the admin header.
type StaffBadge struct {
	Name string
	Role string
}

// AgentBadge identifies the signed-in agent in the agent pages' header.
type AgentBadge struct {
	Name string
}

// Date writes t as a date in the organization's time zone, in the page's
// language ("2 January 2006" in English).
func (p Page) Date(t time.Time) string { return p.T.Date(t, p.Loc) }

// DateTime writes t with the time of day in the organization's time zone
// ("2 January 2006, 15:04 MST" in English).
func (p Page) DateTime(t time.Time) string { return p.T.DateTime(t, p.Loc) }

// ISO is t as an RFC 3339 string for <time datetime>.
func ISO(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// HeadTitle is the document title: the page title, after "Error:" when a
// form failed, so a screen reader hears it first.
func (p Page) HeadTitle() string {
	if p.Failed {
		return p.T.T("error.title_prefix", p.Title)
	}
	return p.Title
}

// IconType is the media type of the logo, for the page icon.
func (p Page) IconType() string {
	if p.LogoType != "" {
		return p.LogoType
	}
	return "image/svg+xml"
}

// QuebecWrite is where to write to Quebec's person in charge of personal
// information: their own contact, or the privacy team's.
func (c Contact) QuebecWrite() string {
	if c.QuebecContact != "" {
		return c.QuebecContact
	}
	return c.Email
}
