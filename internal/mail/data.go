package mail

import "time"

// Data is what a mail template may say, stored as JSON in the outbox. It
// holds the person's name at most: mail carries no other personal data.
type Data struct {
	Name         string            `json:"name,omitempty"`
	Reference    string            `json:"reference,omitempty"`
	TrackURL     string            `json:"track_url,omitempty"`
	VerifyURL    string            `json:"verify_url,omitempty"`
	URL          string            `json:"url,omitempty"`  // a staff link: invitation, password reset
	Role         string            `json:"role,omitempty"` // the role a staff member is invited to
	Code         string            `json:"code,omitempty"`
	Right        string            `json:"right,omitempty"`
	Status       string            `json:"status,omitempty"`
	Jurisdiction string            `json:"jurisdiction,omitempty"`
	DueAt        *time.Time        `json:"due_at,omitempty"`
	Until        *time.Time        `json:"until,omitempty"` // e.g. the last day to appeal a denial
	Reason       string            `json:"reason,omitempty"`
	ReasonText   string            `json:"reason_text,omitempty"`
	Rights       []string          `json:"rights,omitempty"`
	Items        []DigestItem      `json:"items,omitempty"`
	Holders      []DigestHolder    `json:"holders,omitempty"` // the digest's "who holds what"
	Extra        map[string]string `json:"extra,omitempty"`
	// Agent is the name of the authorized agent a message is about (to
	// the person), or of the person an agent acts for (to the agent).
	Agent string `json:"agent,omitempty"`
}

// DigestItem is one line of the staff digest.
type DigestItem struct {
	Reference string    `json:"reference"`
	Right     string    `json:"right"`
	DueAt     time.Time `json:"due_at"`
	URL       string    `json:"url"`
}

// DigestHolder is how many open requests one member holds, and how many
// of those are overdue or due within the digest's horizon; Name "" is the
// requests no one holds.
type DigestHolder struct {
	Name    string `json:"name,omitempty"`
	Open    int    `json:"open"`
	Overdue int    `json:"overdue"`
	DueSoon int    `json:"due_soon"`
}
