package models

import (
	"context"
	"time"
)

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

// AuditLog reads the audit trail.
type AuditLog struct{ c *Core }

// NewAuditLog returns the audit trail reader.
func NewAuditLog(c *Core) *AuditLog { return &AuditLog{c: c} }

// Each calls fn for every entry from from (inclusive) to to (exclusive),
// oldest first, streaming rows from the database: a million entries take
// the memory of one.
func (a *AuditLog) Each(ctx context.Context, from, to time.Time, fn func(*AuditEntry) error) error {
	rows, err := a.c.read(ctx).Model(&AuditEntry{}).Where("at >= ? AND at < ?", from.UTC(), to.UTC()).Order("at, id").Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	var e AuditEntry
	for rows.Next() {
		e = AuditEntry{}
		if err := a.c.db.ScanRows(rows, &e); err != nil {
			return err
		}
		if err := fn(&e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Record writes one audit entry on its own (for reads worth recording,
// such as an export).
func (a *AuditLog) Record(ctx context.Context, actor Actor, action, detail string) error {
	return a.c.write(ctx, func(tx *tx) error { return tx.audit(actor, action, "", 0, detail) })
}
