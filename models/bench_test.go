package models_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/models"
)

// benchStore is a SQLite store holding n submissions spread over a year.
func benchStore(b *testing.B, n int) *domain {
	b.Helper()
	db, err := models.Open("", b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	if _, err := models.Migrate(context.Background(), db); err != nil {
		b.Fatal(err)
	}
	s := newDomain(b, db)
	start := time.Now().AddDate(-1, 0, 0)
	for i := range n {
		at := start.Add(time.Duration(i) * time.Hour)
		s.at(at)
		if _, err := s.subs.Submit(context.Background(), input(fmt.Sprintf("p%d@example.org", i), "access"), models.SystemActor); err != nil {
			b.Fatal(err)
		}
	}
	return s
}

// BenchmarkQueueDeepPage reads a page far into the queue: with keyset
// pagination it costs what the first page costs.
func BenchmarkQueueDeepPage(b *testing.B) {
	s := benchStore(b, 5000)
	ctx := context.Background()
	page, err := s.reqs.Queue(ctx, models.QueueFilter{Limit: 50})
	if err != nil {
		b.Fatal(err)
	}
	for range 50 {
		page, _ = s.reqs.Queue(ctx, models.QueueFilter{Limit: 50, After: page.Next})
	}
	after := page.Next
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.reqs.Queue(ctx, models.QueueFilter{Limit: 50, After: after}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSubmit(b *testing.B) {
	s := benchStore(b, 0)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		i++
		if _, err := s.subs.Submit(ctx, input(fmt.Sprintf("b%d@example.org", i), "access", "delete"), models.SystemActor); err != nil {
			b.Fatal(err)
		}
	}
}
