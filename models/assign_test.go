package models_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/mail"
	"github.com/rightsdesk/rightsdesk/models"
)

// member adds an active member of staff.
func (d *domain) member(t *testing.T, email, name, role string) *models.Staff {
	t.Helper()
	st, err := d.staff.Create(context.Background(), models.StaffInput{Email: email, Name: name, Role: role,
		Password: "a long enough password"}, models.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// assigneeOf is who holds request id now.
func (d *domain) assigneeOf(t *testing.T, id int64) *int64 {
	t.Helper()
	var r models.Request
	if err := d.db.Where("id = ?", id).Take(&r).Error; err != nil {
		t.Fatal(err)
	}
	return r.AssigneeID
}

// lastEvent is a request's latest timeline step.
func (d *domain) lastEvent(t *testing.T, id int64) models.Event {
	t.Helper()
	var e models.Event
	if err := d.db.Where("request_id = ?", id).Order("id DESC").Take(&e).Error; err != nil {
		t.Fatal(err)
	}
	return e
}

// mailsTo are the messages queued for addr with template.
func (d *domain) mailsTo(t *testing.T, addr, template string) []mail.Data {
	t.Helper()
	var msgs []models.OutboxMessage
	if err := d.db.Where("to_addr = ? AND template = ?", addr, template).Order("id").Find(&msgs).Error; err != nil {
		t.Fatal(err)
	}
	var out []mail.Data
	for _, m := range msgs {
		var data mail.Data
		if err := json.Unmarshal([]byte(m.Data), &data); err != nil {
			t.Fatal(err)
		}
		out = append(out, data)
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// ids are the ids of a queue page's rows.
func ids(page models.QueuePage) []int64 {
	var out []int64
	for _, it := range page.Items {
		out = append(out, it.ID)
	}
	slices.Sort(out)
	return out
}

// A request is assigned to a member who works requests, on its timeline,
// in the audit log and with a mail to them that names nothing but the
// reference; reassigned, unassigned; never to an auditor, an inactive
// member or once closed. Any kind of request may be assigned.
func TestAssignment(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		me := s.officer(t)
		pat := s.member(t, "pat@example.org", "Pat Holder", models.RoleReviewer)
		lee := s.member(t, "lee@example.org", "Lee Admin", models.RoleAdmin)
		aud := s.member(t, "aud@example.org", "Audie Tor", models.RoleAuditor)
		gone := s.member(t, "gone@example.org", "Former Member", models.RoleOfficer)
		if err := s.staff.Deactivate(ctx, gone.ID, me); err != nil {
			t.Fatal(err)
		}
		sub := s.submitIn(t, "US", "CA", "held@example.org", "access", "delete").Submission
		id := sub.Requests[0].ID

		if err := s.reqs.Assign(ctx, id, pat.ID, me); err != nil {
			t.Fatal(err)
		}
		d, err := s.reqs.Get(ctx, id)
		if err != nil || d.Request.AssigneeID == nil || *d.Request.AssigneeID != pat.ID || d.Assignee != "Pat Holder" {
			t.Fatalf("after assigning: %v %q %v", d.Request.AssigneeID, d.Assignee, err)
		}
		if e := s.lastEvent(t, id); e.Kind != models.EventAssigned || e.Body != "Pat Holder" || !e.Internal || e.StaffID == nil || *e.StaffID != *me.StaffID {
			t.Fatalf("event %+v", e)
		}
		var audit models.AuditEntry
		s.db.Where("action = ? AND object_id = ?", "request.assign", id).Take(&audit)
		if audit.Detail != "staff="+itoa(pat.ID) {
			t.Fatalf("audit %+v", audit)
		}
		mails := s.mailsTo(t, "pat@example.org", models.MailStaffAssigned)
		if len(mails) != 1 || mails[0].Reference != sub.Reference || mails[0].URL != "http://rd.test/admin/requests/"+itoa(id) {
			t.Fatalf("assignment mail: %+v", mails)
		}
		if b, _ := json.Marshal(mails[0]); strings.Contains(string(b), "held@example.org") || strings.Contains(string(b), "Sam Doe") {
			t.Fatalf("the mail carries the person's data: %s", b)
		}

		// Assigned again to the same member: nothing happens.
		if err := s.reqs.Assign(ctx, id, pat.ID, me); err != nil || len(s.mailsTo(t, "pat@example.org", models.MailStaffAssigned)) != 1 {
			t.Fatalf("assigning again: %v", err)
		}
		// Never to someone who cannot work it.
		for _, bad := range []int64{aud.ID, gone.ID, 99999, -1} {
			if err := s.reqs.Assign(ctx, id, bad, me); !errors.Is(err, models.ErrAssigneeInvalid) {
				t.Errorf("assigned to %d: %v", bad, err)
			}
		}
		if got := s.assigneeOf(t, id); got == nil || *got != pat.ID {
			t.Fatalf("a refused assignment changed the assignee to %v", got)
		}
		// Reassigned to an administrator; taken by oneself, unmailed.
		if err := s.reqs.Assign(ctx, id, lee.ID, me); err != nil || len(s.mailsTo(t, "lee@example.org", models.MailStaffAssigned)) != 1 {
			t.Fatalf("reassigning: %v", err)
		}
		if err := s.reqs.Assign(ctx, id, *me.StaffID, me); err != nil || len(s.mailsTo(t, "officer@example.org", models.MailStaffAssigned)) != 0 {
			t.Fatalf("taking it: %v", err)
		}
		// Unassigned: the timeline names who held it.
		if err := s.reqs.Assign(ctx, id, 0, me); err != nil || s.assigneeOf(t, id) != nil {
			t.Fatalf("unassigning: %v", err)
		}
		if e := s.lastEvent(t, id); e.Kind != models.EventUnassigned || e.Body != "Officer" {
			t.Fatalf("event %+v", e)
		}
		// Not once closed.
		other := sub.Requests[1].ID
		if err := s.reqs.Move(ctx, other, models.Transition{To: models.StatusDenied, DenialReason: "exemption"}, me); err != nil {
			t.Fatal(err)
		}
		if err := s.reqs.Assign(ctx, other, pat.ID, me); !errors.Is(err, models.ErrAssignClosed) {
			t.Fatalf("closed request assigned: %v", err)
		}
		// A complaint too.
		s.at(time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)) // complaints exist from 19 June 2026
		uk := s.submitIn(t, "GB", "", "complains@example.org", "access")
		if err := s.compl.Complain(ctx, uk.TrackingToken, "The answer was late.", models.RequesterActor("t")); err != nil {
			t.Fatal(err)
		}
		var complaint models.Request
		s.db.Where("kind = ?", models.KindComplaint).Take(&complaint)
		if err := s.reqs.Assign(ctx, complaint.ID, pat.ID, me); err != nil {
			t.Fatal(err)
		}
		mails = s.mailsTo(t, "pat@example.org", models.MailStaffAssigned)
		if len(mails) != 2 || mails[1].Extra["kind"] != models.KindComplaint {
			t.Fatalf("complaint mail: %+v", mails)
		}
	})
}

// Deactivating a member, or making them an auditor, unassigns their open
// requests in the same change, each on its timeline; closed requests keep
// who handled them.
func TestLeavingUnassigns(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		me := s.officer(t)
		for _, leave := range []string{"deactivate", "auditor"} {
			m := s.member(t, leave+"@example.org", "Member "+leave, models.RoleReviewer)
			sub := s.submitIn(t, "US", "CA", leave+"-person@example.org", "access", "delete", "correct").Submission
			open1, open2, closed := sub.Requests[0].ID, sub.Requests[1].ID, sub.Requests[2].ID
			for _, id := range []int64{open1, open2, closed} {
				if err := s.reqs.Assign(ctx, id, m.ID, me); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.reqs.Move(ctx, closed, models.Transition{To: models.StatusWithdrawn}, me); err != nil {
				t.Fatal(err)
			}
			var err error
			if leave == "deactivate" {
				err = s.staff.Deactivate(ctx, m.ID, me)
			} else {
				err = s.staff.SetRole(ctx, m.ID, models.RoleAuditor, me)
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range []int64{open1, open2} {
				if got := s.assigneeOf(t, id); got != nil {
					t.Errorf("%s: request %d still assigned to %d", leave, id, *got)
				}
				if e := s.lastEvent(t, id); e.Kind != models.EventUnassigned || e.ActorKind != "system" || e.Body != m.Name || !e.Internal {
					t.Errorf("%s: event %+v", leave, e)
				}
			}
			if got := s.assigneeOf(t, closed); got == nil || *got != m.ID {
				t.Errorf("%s: the closed request lost its assignee", leave)
			}
		}
	})
}

// The queue's filters: law, assignee (nobody, me, a member), due window
// (a stopped clock is not due), and the search for a person by e-mail,
// name or phone, whatever the status and whoever entered the request (the
// form, staff intake, an agent).
func TestQueueFiltersAndSearch(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		t0 := time.Date(2026, 3, 2, 17, 0, 0, 0, time.UTC)
		me := s.officer(t)
		pat := s.member(t, "pat@example.org", "Pat Holder", models.RoleReviewer)
		submit := func(at time.Time, in models.SubmissionInput) []int64 {
			t.Helper()
			s.at(at)
			res, err := s.subs.Submit(ctx, in, models.SystemActor)
			if err != nil {
				t.Fatal(err)
			}
			var out []int64
			for _, r := range res.Submission.Requests {
				out = append(out, r.ID)
			}
			return out
		}
		person := func(name, email, phone, country, region string) models.SubmissionInput {
			in := input(email, "access")
			in.Name, in.Phone, in.Country, in.Region = name, phone, country, region
			return in
		}
		// Californian requests, due 45 days after receipt.
		ana := submit(t0, person("Ana-Maria de la Cruz", "Ana.Cruz@Example.org", "+1 (415) 555-0100", "US", "CA"))[0] // due t0+45d
		early := submit(t0.AddDate(0, 0, 8), person("Jordana Smith", "js@example.org", "", "US", "CA"))[0]            // due t0+53d
		mid := submit(t0.AddDate(0, 0, 20), person("Lee Park", "lee.park@example.org", "", "US", "CA"))[0]            // due t0+65d
		late := submit(t0.AddDate(0, 0, 40), person("Kim Lo", "kim@example.org", "", "US", "CA"))[0]                  // due t0+85d
		// Entered by staff: received by phone a week before it was entered.
		intakeIn := person("Jordan Example", "jordan@example.org", "415-555-0199", "US", "CA")
		intakeIn.Channel, intakeIn.ReceivedAt = "phone", t0.AddDate(0, 0, 33)
		intake := submit(t0.AddDate(0, 0, 40), intakeIn)[0] // due t0+78d
		// Filed by an agent, for Jordan (agent_test.go).
		ag := withAgents(t, s)
		s.at(t0.AddDate(0, 0, 41))
		filed := ag.file(t, ag.approvedAgent(t, "agent@example.org"), "filed@example.org").Submission.Requests[0].ID
		// A UK request whose clock stopped while waiting for the person.
		uk := submit(t0, person("Robin Hood", "robin@example.org", "020 7946 0018", "GB", ""))[0]
		if err := s.reqs.Move(ctx, uk, models.Transition{To: models.StatusVerified}, me); err != nil {
			t.Fatal(err)
		}
		d, err := s.reqs.Get(ctx, uk)
		if err != nil || len(d.PauseReasons) == 0 {
			t.Fatalf("no reason to ask: %v", err)
		}
		if err := s.reqs.Ask(ctx, uk, models.AskInput{Reason: d.PauseReasons[0], Question: "Which account?"}, me); err != nil {
			t.Fatal(err)
		}
		for id, who := range map[int64]int64{ana: pat.ID, early: *me.StaffID, mid: *me.StaffID} {
			if err := s.reqs.Assign(ctx, id, who, me); err != nil {
				t.Fatal(err)
			}
		}
		now := t0.AddDate(0, 0, 50)
		s.at(now)

		queue := func(f models.QueueFilter) []int64 {
			t.Helper()
			f.Me = *me.StaffID
			page, err := s.reqs.Queue(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			return ids(page)
		}
		sorted := func(v ...int64) []int64 { slices.Sort(v); return v }
		for _, tc := range []struct {
			name string
			f    models.QueueFilter
			want []int64
		}{
			{"law", models.QueueFilter{Jurisdiction: "GB"}, sorted(uk)},
			{"unknown law: every request", models.QueueFilter{Jurisdiction: "XX"}, sorted(ana, early, mid, late, intake, filed, uk)},
			{"mine", models.QueueFilter{Assignee: models.AssigneeMe}, sorted(early, mid)},
			{"a member's", models.QueueFilter{Assignee: itoa(pat.ID)}, sorted(ana)},
			{"unassigned", models.QueueFilter{Assignee: models.AssigneeNone}, sorted(late, intake, filed, uk)},
			{"overdue (not the stopped clock)", models.QueueFilter{Due: models.DueOverdue}, sorted(ana)},
			{"due within 7 days", models.QueueFilter{Due: models.DueWeek}, sorted(early)},
			{"due within 30 days", models.QueueFilter{Due: models.DueMonth}, sorted(early, mid, intake)},
			{"due within 30 days, all tabs: open ones", models.QueueFilter{Due: models.DueMonth, Status: models.FilterAll}, sorted(early, mid, intake)},
			{"due, a closed tab: none", models.QueueFilter{Due: models.DueOverdue, Status: models.StatusCompleted}, nil},
			{"mine, within 30 days, in California", models.QueueFilter{Assignee: models.AssigneeMe, Due: models.DueMonth, Jurisdiction: "US-CA"}, sorted(early, mid)},
		} {
			if got := queue(tc.f); !slices.Equal(got, tc.want) {
				t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
			}
		}

		// The search, whatever the status.
		if err := s.reqs.Move(ctx, ana, models.Transition{To: models.StatusDenied, DenialReason: "exemption"}, me); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			typed string
			want  []int64
		}{
			{"ANA.CRUZ@example.org ", sorted(ana)},
			{"ana.cruz@example.com", nil},
			{"cruz", sorted(ana)},
			{"maria", sorted(ana)}, // a hyphen parts words
			{"Ana Cruz", sorted(ana)},
			{"jordan", sorted(early, intake, filed)}, // a word's start: Jordana too
			{"jord exam", sorted(intake)},
			{"smith jordan", sorted(early)},
			{"Zed", nil},
			{"4155550100", sorted(ana)},           // without the country code
			{"+1 415 555 0100", sorted(ana)},      // with it
			{"555-0100", sorted(ana)},             // the last seven digits
			{"+1 (415) 555-0199", sorted(intake)}, // stored without the country code
			{"55501", nil},                        // five digits: the whole number only
			{"+44 20 7946 0018", sorted(uk)},      // stored with the trunk prefix
		} {
			sch, err := models.ParseSearch(tc.typed)
			if err != nil {
				t.Fatal(err)
			}
			if got := queue(models.QueueFilter{Search: sch}); !slices.Equal(got, tc.want) {
				t.Errorf("search %q (%s): %v, want %v", tc.typed, sch.Kind, got, tc.want)
			}
		}
	})
}

// The digest says who holds what: each member's open requests, overdue
// and due within 7 days, then those no one holds.
func TestDigestHolders(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		t0 := time.Date(2026, 3, 2, 17, 0, 0, 0, time.UTC)
		me := s.officer(t)
		pat := s.member(t, "pat@example.org", "Pat Holder", models.RoleReviewer)
		var reqs []int64
		for i, at := range []time.Time{t0, t0, t0.AddDate(0, 0, 10), t0.AddDate(0, 0, 30)} {
			s.at(at)
			sub := s.submitIn(t, "US", "CA", "d"+itoa(int64(i))+"@example.org", "access")
			reqs = append(reqs, sub.Submission.Requests[0].ID)
		}
		// Pat: one overdue, one due within 7 days; me: one not yet due; one unassigned, overdue.
		for id, who := range map[int64]int64{reqs[0]: pat.ID, reqs[2]: pat.ID, reqs[3]: *me.StaffID} {
			if err := s.reqs.Assign(ctx, id, who, me); err != nil {
				t.Fatal(err)
			}
		}
		s.at(t0.AddDate(0, 0, 50))
		if _, err := models.NewDigest(s.core).Queue(ctx, true); err != nil {
			t.Fatal(err)
		}
		mails := s.mailsTo(t, "pat@example.org", models.MailStaffDigest)
		if len(mails) != 1 {
			t.Fatalf("%d digests", len(mails))
		}
		want := []mail.DigestHolder{{Name: "Officer", Open: 1}, {Name: "Pat Holder", Open: 2, Overdue: 1, DueSoon: 1}, {Open: 1, Overdue: 1}}
		if got := mails[0].Holders; !slices.Equal(got, want) {
			t.Fatalf("holders %+v, want %+v", got, want)
		}
	})
}
