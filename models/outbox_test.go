package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/mail"
	"github.com/rightsdesk/rightsdesk/models"
)

// Only the claim that holds a row renews it or records its outcome: a
// worker whose lease ran out and was taken over changes nothing.
func TestOutboxGuardsOnTheClaim(t *testing.T) {
	eachDB(t, func(t *testing.T, s *domain) {
		ctx := context.Background()
		if _, err := s.subs.Submit(ctx, input("guard@example.org", "access"), models.SystemActor); err != nil {
			t.Fatal(err)
		}
		ob := s.outbox
		row := func() (m models.OutboxMessage) {
			t.Helper()
			if err := s.db.First(&m).Error; err != nil {
				t.Fatal(err)
			}
			return m
		}
		now := time.Now().UTC()
		first, err := ob.Claim(ctx, now, 10, 30*time.Second)
		if err != nil || len(first) != 1 || first[0].Token == "" || first[0].Created.IsZero() {
			t.Fatalf("claim: %+v %v", first, err)
		}
		a := first[0]
		// A renewed lease keeps the row past its first end.
		if err := ob.Extend(ctx, a.ID, a.Token, now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if got, _ := ob.Claim(ctx, now.Add(45*time.Second), 10, 30*time.Second); len(got) != 0 {
			t.Fatal("claimed within a renewed lease")
		}
		// Past it, another worker takes the row under a new token.
		second, _ := ob.Claim(ctx, now.Add(2*time.Minute), 10, 30*time.Second)
		if len(second) != 1 || second[0].Token == a.Token {
			t.Fatalf("reclaim: %+v", second)
		}
		b := second[0]
		for name, err := range map[string]error{
			"Extend":     ob.Extend(ctx, a.ID, a.Token, now.Add(time.Hour)),
			"MarkSent":   ob.MarkSent(ctx, a.ID, a.Token, now),
			"MarkFailed": ob.MarkFailed(ctx, a.ID, a.Token, now, now, "late", true),
		} {
			if !errors.Is(err, mail.ErrLeaseLost) {
				t.Errorf("%s by the old holder: %v", name, err)
			}
		}
		if m := row(); m.Status != "sending" || m.Attempts != 0 || m.LastError != "" || m.LeaseToken != b.Token {
			t.Fatalf("the old holder changed the row: %+v", m)
		}

		// A failure gives the row back; its holder no longer holds it.
		long := strings.Repeat("é", 300) // 600 bytes: cut at a rune, PostgreSQL refuses half of one
		if err := ob.MarkFailed(ctx, b.ID, b.Token, now, now, long, false); err != nil {
			t.Fatal(err)
		}
		if m := row(); m.Status != "pending" || m.Attempts != 1 || m.LeaseToken != "" || len(m.LastError) != 500 {
			t.Fatalf("after failure: %+v", m)
		}
		if err := ob.Extend(ctx, b.ID, b.Token, now.Add(time.Hour)); !errors.Is(err, mail.ErrLeaseLost) {
			t.Fatalf("Extend of a pending row: %v", err)
		}

		third, _ := ob.Claim(ctx, now.Add(3*time.Minute), 10, 30*time.Second)
		if len(third) != 1 || third[0].Attempts != 1 {
			t.Fatalf("claim after failure: %+v", third)
		}
		c := third[0]
		if err := ob.MarkSent(ctx, c.ID, c.Token, now); err != nil {
			t.Fatal(err)
		}
		if err := ob.MarkSent(ctx, c.ID, c.Token, now); !errors.Is(err, mail.ErrLeaseLost) {
			t.Fatalf("sent twice: %v", err)
		}
		if m := row(); m.Status != "sent" || m.Attempts != 2 || m.LeaseToken != "" || m.Data != "{}" {
			t.Fatalf("after send: %+v", m)
		}
		if got, _ := ob.Claim(ctx, now.Add(time.Hour), 10, 30*time.Second); len(got) != 0 {
			t.Fatal("a sent message was claimed")
		}
	})
}
