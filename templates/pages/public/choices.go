package public

import (
	"time"

	"github.com/rightsdesk/rightsdesk/templates/components"
)

// ChoicesView is the privacy choices page: one identifier, then one
// button per choice.
type ChoicesView struct {
	Form         components.Form
	Field        string // the identifier's field: email, phone or customer_id
	FieldLabel   string
	FieldHint    string
	FieldType    string // input type
	Autocomplete string
	MaxLen       int
	Choices      []ChoiceOption
	GPC          bool // the browser sent the Global Privacy Control signal
	// The preference centre is reached by a mailed link: offered when the
	// page asks for an e-mail address.
	OfferLink bool
	LinkForm  components.Form
	LinkSent  bool
}

// ChoiceOption is one choice on the choices page.
type ChoiceOption struct {
	Value  string
	Label  string
	Hint   string
	Button string
	Clock  string // how soon the organization acts on it
}

// PreferencesView is the preference centre a mailed link opens.
type PreferencesView struct {
	Token   string
	Who     string // the address, masked
	GPC     bool
	GPCNote string // what the signal did here
	Items   []PreferenceItem
	History []HistoryLine
}

// PreferenceItem is one choice as it stands, with the button that turns it
// the other way; both directions look and weigh the same.
type PreferenceItem struct {
	Value    string
	Label    string
	State    string
	OptedOut bool
	Since    *time.Time
	Progress string // where passing the opt-out on stands
	Button   string
	Set      string // what the button does: "out" or "in"
	Note     string // shown by the button (GPC: opting back in overrides the signal)
}

// HistoryLine is one past change.
type HistoryLine struct {
	At   time.Time
	Text string
}

// UnsubscribeView is the page of a one-click unsubscribe link.
type UnsubscribeView struct {
	Token string
	Done  bool
	Clock string
}
