package models

import "time"

// Actor is who did something: a staff member, the requester, an
// authorized agent, or the system.
type Actor struct {
	Kind    string // "staff", "requester", "agent", "system"
	StaffID *int64
	AgentID *int64
	IP      string
}

// Actors used by the system itself.
var (
	SystemActor = Actor{Kind: "system"}
)

// RequesterActor is the person who submitted, acting from ip.
func RequesterActor(ip string) Actor { return Actor{Kind: "requester", IP: ip} }

// AgentActor is authorized agent id acting from ip (in the browser or
// through the Data Rights Protocol).
func AgentActor(id int64, ip string) Actor { return Actor{Kind: "agent", AgentID: &id, IP: ip} }

// StaffActor is staff member id acting from ip.
func StaffActor(id int64, ip string) Actor { return Actor{Kind: "staff", StaffID: &id, IP: ip} }

// AuditEntry is one line of the audit trail: who did what, when, from where.
// Detail never holds personal data, only codes and ids.
type AuditEntry struct {
	ID         int64
	At         time.Time
	ActorKind  string
	StaffID    *int64
	AgentID    *int64
	Action     string
	ObjectType string
	ObjectID   *int64
	IP         string
	Detail     string
}

func (AuditEntry) TableName() string { return "audit_log" }
