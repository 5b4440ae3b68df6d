package models_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/testenv"
	"github.com/rightsdesk/rightsdesk/models"
	"gorm.io/gorm"
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

// peakRSS is the process's peak resident memory in MiB (Linux VmHWM).
func peakRSS(b *testing.B) float64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Skip("no /proc/self/status")
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	b.Skip("no VmHWM")
	return 0
}

// BenchmarkConcurrentSignIn fires 64 sign-in attempts at once (unknown
// addresses, so each one hashes) and reports the process's peak memory:
// argon2id takes 64 MiB a hash, and at most ConcurrentHashes run at once,
// so the peak stays far below 64 × 64 MiB. Target: peak RSS under 512 MiB.
func BenchmarkConcurrentSignIn(b *testing.B) {
	s := benchStore(b, 0)
	ctx := context.Background()
	for b.Loop() {
		var wg sync.WaitGroup
		for i := range 64 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.staff.Authenticate(ctx, fmt.Sprintf("nobody%d-%d@example.org", i, b.N), "wrong password!", models.Client{IP: "192.0.2.1"})
				// Past HashWait in the queue an attempt is told the server is
				// busy (503) rather than wait without end.
				if !errors.Is(err, models.ErrBadLogin) && !errors.Is(err, models.ErrBusy) {
					b.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	peak := peakRSS(b)
	b.ReportMetric(peak, "peak-RSS-MiB")
	if peak > 512 {
		b.Errorf("peak RSS %.0f MiB, over the 512 MiB target", peak)
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
			base := newDomain(b, db)
			ctx := context.Background()
			var tokens []string
			start := time.Now().AddDate(-1, 0, 0)
			for i := range 1000 {
				base.at(start.Add(time.Duration(i) * 8 * time.Hour))
				sub, err := base.subs.Submit(ctx, input(fmt.Sprintf("p%d@example.org", i), "access", "delete"), models.SystemActor)
				if err != nil {
					b.Fatal(err)
				}
				tokens = append(tokens, sub.TrackingToken)
			}
			base.core.SetClock(time.Now)
			if models.IsPostgres(db) {
				// Fresh statistics, so that autovacuum analysing the table
				// midway does not change the plans between off and on.
				if err := db.Exec("ANALYZE").Error; err != nil {
					b.Fatal(err)
				}
			}
			ops := []struct {
				name string
				run  func(s *domain, i int) error
			}{
				{"track", func(s *domain, i int) error {
					_, err := s.subs.ByTrackingToken(ctx, tokens[(i*7)%len(tokens)])
					return err
				}},
				{"queue", func(s *domain, i int) error {
					_, err := s.reqs.Queue(ctx, models.QueueFilter{Limit: 50})
					return err
				}},
				// Last, so the rows it adds do not weigh on the reads.
				{"submit", func(s *domain, i int) error {
					_, err := s.subs.Submit(ctx, input(fmt.Sprintf("b%d-%d@example.org", i, time.Now().UnixNano()), "access", "delete"), models.SystemActor)
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
							s := newDomain(b, db.Session(&gorm.Session{PrepareStmt: prepare}))
							i := 0
							for b.Loop() {
								i++
								if err := op.run(s, i); err != nil {
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
