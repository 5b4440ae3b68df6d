package models_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/rules"
	"github.com/rightsdesk/rightsdesk/internal/testenv"
	"github.com/rightsdesk/rightsdesk/models"
	"gorm.io/gorm"
)

// benchStore is a SQLite store holding n submissions spread over a year.
func benchStore(b *testing.B, n int) *models.Store {
	b.Helper()
	db, err := models.Open("", b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	if _, err := models.Migrate(context.Background(), db); err != nil {
		b.Fatal(err)
	}
	engine, _ := rules.New(rules.Options{})
	s := models.NewStore(db, engine, []byte("0123456789abcdef0123456789abcdef"), []byte("fedcba9876543210fedcba9876543210"), "http://rd.test")
	start := time.Now().AddDate(-1, 0, 0)
	for i := range n {
		at := start.Add(time.Duration(i) * time.Hour)
		s.Now = func() time.Time { return at }
		if _, err := s.Submit(context.Background(), input(fmt.Sprintf("p%d@example.org", i), "access"), models.SystemActor); err != nil {
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
	page, err := s.Queue(ctx, models.QueueFilter{Limit: 50})
	if err != nil {
		b.Fatal(err)
	}
	for range 50 {
		page, _ = s.Queue(ctx, models.QueueFilter{Limit: 50, After: page.Next})
	}
	after := page.Next
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Queue(ctx, models.QueueFilter{Limit: 50, After: after}); err != nil {
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
		if _, err := s.Submit(ctx, input(fmt.Sprintf("b%d@example.org", i), "access", "delete"), models.SystemActor); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPrepareStmt runs the tracking page's read, a two-right
// submission and the first queue page through the Store, on SQLite and on
// PostgreSQL, with GORM's PrepareStmt off and on (a session over the same
// pool), to decide whether the app should turn it on.
func BenchmarkPrepareStmt(b *testing.B) {
	for _, d := range []string{"sqlite", "postgres"} {
		b.Run("db="+d, func(b *testing.B) {
			var url string
			if d == "postgres" {
				url = testenv.Postgres(b)
			}
			db, err := models.Open(url, b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			sqlDB, _ := db.DB()
			b.Cleanup(func() { sqlDB.Close() })
			if _, err := models.Migrate(context.Background(), db); err != nil {
				b.Fatal(err)
			}
			engine, _ := rules.New(rules.Options{})
			base := models.NewStore(db, engine, []byte("0123456789abcdef0123456789abcdef"), []byte("fedcba9876543210fedcba9876543210"), "http://rd.test")
			ctx := context.Background()
			var tokens []string
			start := time.Now().AddDate(-1, 0, 0)
			for i := range 1000 {
				at := start.Add(time.Duration(i) * 8 * time.Hour)
				base.Now = func() time.Time { return at }
				sub, err := base.Submit(ctx, input(fmt.Sprintf("p%d@example.org", i), "access", "delete"), models.SystemActor)
				if err != nil {
					b.Fatal(err)
				}
				tokens = append(tokens, sub.TrackingToken)
			}
			base.Now = time.Now
			if models.IsPostgres(db) {
				// Fresh statistics, so that autovacuum analysing the table
				// midway does not change the plans between off and on.
				if err := db.Exec("ANALYZE").Error; err != nil {
					b.Fatal(err)
				}
			}
			ops := []struct {
				name string
				run  func(s *models.Store, i int) error
			}{
				{"track", func(s *models.Store, i int) error {
					_, err := s.ByTrackingToken(ctx, tokens[(i*7)%len(tokens)])
					return err
				}},
				{"queue", func(s *models.Store, i int) error {
					_, err := s.Queue(ctx, models.QueueFilter{Limit: 50})
					return err
				}},
				// Last, so the rows it adds do not weigh on the reads.
				{"submit", func(s *models.Store, i int) error {
					_, err := s.Submit(ctx, input(fmt.Sprintf("b%d-%d@example.org", i, time.Now().UnixNano()), "access", "delete"), models.SystemActor)
					return err
				}},
			}
			for _, op := range ops {
				b.Run("op="+op.name, func(b *testing.B) {
					for _, prepare := range []bool{false, true} {
						name := "prepare=off"
						if prepare {
							name = "prepare=on"
						}
						b.Run(name, func(b *testing.B) {
							s := *base
							s.DB = db.Session(&gorm.Session{PrepareStmt: prepare})
							i := 0
							for b.Loop() {
								i++
								if err := op.run(&s, i); err != nil {
									b.Fatal(err)
								}
							}
						})
					}
				})
			}
		})
	}
}
