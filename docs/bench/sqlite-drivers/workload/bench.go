package workload

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"gorm.io/gorm"
)

// Seed sizes: ~10k requests, as the brief for the queue page asks.
const (
	SeedSubmissions = 5000
	RequestsPerSub  = 2
)

// Writers is how many goroutines write (and read) at once in the parallel
// benchmarks: more than the pool's 4 connections, as under a burst.
const Writers = 8

var (
	seedOnce sync.Once
	seedDir  string
	seedErr  error
	hashes   []string
)

// TrackingHash is the tracking_hash of seeded submission i.
func TrackingHash(i int) string {
	h := sha256.Sum256(fmt.Appendf(nil, "track-%d", i))
	return hex.EncodeToString(h[:])
}

// seeded returns the path of a database seeded once per test binary with
// d (so times are in d's own text format), checkpointed and closed.
func seeded(d Driver) (string, error) {
	seedOnce.Do(func() {
		seedDir, seedErr = os.MkdirTemp("", "rightsdesk-bench-"+d.Name+"-")
		if seedErr != nil {
			return
		}
		seedErr = seed(d, filepath.Join(seedDir, "seed.db"))
	})
	return filepath.Join(seedDir, "seed.db"), seedErr
}

// Cleanup removes the seeded database; call it from TestMain.
func Cleanup() {
	if seedDir != "" {
		os.RemoveAll(seedDir)
	}
}

// Main runs the tests and benchmarks of a driver package, then cleans up.
func Main(m *testing.M) {
	code := m.Run()
	Cleanup()
	os.Exit(code)
}

func seed(d Driver, path string) error {
	db, err := d.Open(path, false)
	if err != nil {
		return err
	}
	defer Close(db)
	if err := Migrate(db); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC)
	statuses := []string{"awaiting_verification", "verified", "in_progress", "in_progress", "verified",
		"in_progress", "awaiting_verification", "completed", "denied", "withdrawn"}
	rights := []string{"access", "delete", "correct", "portability", "opt_out_sale"}
	hashes = make([]string, SeedSubmissions)
	err = db.Transaction(func(tx *gorm.DB) error {
		for i := range SeedSubmissions {
			at := start.Add(time.Duration(i)*105*time.Minute + time.Duration(rng.IntN(1e6))*time.Microsecond)
			hashes[i] = TrackingHash(i)
			sub := &Submission{Reference: fmt.Sprintf("RD-%04d-%04d", i/10000, i%10000), TrackingHash: hashes[i],
				TrackingSealed: hashes[i] + hashes[i][:24], OnBehalf: "self", Name: fmt.Sprintf("Person %d", i),
				Email: fmt.Sprintf("p%d@example.org", i), Phone: "+1 415 555 0100", Country: "US", Region: "CA",
				Jurisdiction: "US-CA", Relationship: "customer",
				Details: "I would like a copy of the personal information you hold about me, and its sources.",
				Lang:    "en", Channel: "web", EmailVerifiedAt: &at, ReceivedAt: at, CreatedAt: at, UpdatedAt: at}
			if err := tx.Omit("Requests").Create(sub).Error; err != nil {
				return err
			}
			for r := range RequestsPerSub {
				due := endOfDay(at.AddDate(0, 0, 45))
				req := &Request{SubmissionID: sub.ID, Kind: "request", Right: rights[(i+r)%len(rights)],
					Jurisdiction: "US-CA", Status: statuses[rng.IntN(len(statuses))], ReceivedAt: at,
					DueAt: due, OriginalDueAt: due, CreatedAt: at, UpdatedAt: at}
				if err := tx.Create(req).Error; err != nil {
					return err
				}
				events := []Event{
					{RequestID: req.ID, Kind: "received", ActorKind: "requester", StatusTo: "awaiting_verification", Body: "web", CreatedAt: at},
					{RequestID: req.ID, Kind: "status", ActorKind: "system", StatusFrom: "awaiting_verification", StatusTo: req.Status, CreatedAt: at},
				}
				if i%3 == 0 {
					events = append(events, Event{RequestID: req.ID, Kind: "note", ActorKind: "staff", Internal: true,
						Body: "Checked the CRM and the order system.", CreatedAt: at})
				}
				if err := tx.Create(&events).Error; err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Fold the WAL into the file, so copying the file alone copies it all.
	return db.Exec("PRAGMA wal_checkpoint(TRUNCATE)").Error
}

// copyOf copies the seeded database into a fresh directory of b's.
func copyOf(tb testing.TB, src string) string {
	tb.Helper()
	dst := filepath.Join(tb.TempDir(), "rightsdesk.db")
	in, err := os.Open(src)
	if err != nil {
		tb.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		tb.Fatal(err)
	}
	if err := out.Close(); err != nil {
		tb.Fatal(err)
	}
	return dst
}

func openCopy(b *testing.B, d Driver, seedPath string, prepare bool) *gorm.DB {
	b.Helper()
	db, err := d.Open(copyOf(b, seedPath), prepare)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { Close(db) })
	return db
}

// parallelism makes RunParallel start Writers goroutines.
func parallelism() int { return (Writers + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0) }

// Bench runs every workload on d, with GORM's PrepareStmt off and on:
//
//	BenchmarkSQLite/driver=NAME/prepare=off|on/op=track|submit|queue|track-parallel|submit-parallel
func Bench(b *testing.B, d Driver) {
	seedPath, err := seeded(d)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.Run("driver="+d.Name, func(b *testing.B) {
		for _, prepare := range []bool{false, true} {
			name := "prepare=off"
			if prepare {
				name = "prepare=on"
			}
			b.Run(name, func(b *testing.B) {
				// Reads share one copy per mode; writes get a fresh copy each run.
				reads := openCopy(b, d, seedPath, prepare)

				b.Run("op=track", func(b *testing.B) {
					i := 0
					cpu := cpuTime()
					for b.Loop() {
						sub, err := Track(ctx, reads, hashes[i%len(hashes)])
						if err != nil {
							b.Fatal(err)
						}
						if len(sub.Requests) != RequestsPerSub || len(sub.Requests[0].Events) != 2 {
							b.Fatalf("track: %d requests, %d events", len(sub.Requests), len(sub.Requests[0].Events))
						}
						i += 7919
					}
					reportCPU(b, cpu)
				})

				b.Run("op=submit", func(b *testing.B) {
					db := openCopy(b, d, seedPath, prepare)
					cpu := cpuTime()
					for b.Loop() {
						if err := Submit(ctx, db, time.Now().UTC().Truncate(time.Microsecond)); err != nil {
							b.Fatal(err)
						}
					}
					reportCPU(b, cpu)
				})

				b.Run("op=queue", func(b *testing.B) {
					cpu := cpuTime()
					for b.Loop() {
						items, err := Queue(ctx, reads)
						if err != nil {
							b.Fatal(err)
						}
						if len(items) != 51 {
							b.Fatalf("queue: %d rows", len(items))
						}
					}
					reportCPU(b, cpu)
				})

				b.Run("op=track-parallel", func(b *testing.B) {
					var errs atomic.Int64
					var next atomic.Int64
					b.SetParallelism(parallelism())
					b.ResetTimer()
					cpu := cpuTime()
					b.RunParallel(func(pb *testing.PB) {
						i := int(next.Add(1)) * 1009
						for pb.Next() {
							if _, err := Track(ctx, reads, hashes[i%len(hashes)]); err != nil {
								errs.Add(1)
							}
							i += 7919
						}
					})
					reportCPU(b, cpu)
					b.ReportMetric(float64(errs.Load()), "errors")
					if errs.Load() > 0 {
						b.Errorf("%d reads failed", errs.Load())
					}
				})

				b.Run("op=submit-parallel", func(b *testing.B) {
					db := openCopy(b, d, seedPath, prepare)
					var errs atomic.Int64
					var first atomic.Value
					b.SetParallelism(parallelism())
					b.ResetTimer()
					cpu := cpuTime()
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							if err := Submit(ctx, db, time.Now().UTC().Truncate(time.Microsecond)); err != nil {
								errs.Add(1)
								first.CompareAndSwap(nil, err.Error())
							}
						}
					})
					reportCPU(b, cpu)
					b.ReportMetric(float64(errs.Load()), "errors")
					if errs.Load() > 0 {
						b.Errorf("%d of the write transactions failed, first: %v", errs.Load(), first.Load())
					}
				})
			})
		}
	})
}

// cpuTime is the CPU time (user + system) this process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU time per operation since start, all goroutines
// (and the garbage collector) included. On a machine shared with other
// work it varies far less than wall-clock ns/op, which counts the time
// this process waited for a core.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}
