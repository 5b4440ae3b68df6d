package models_test

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/testenv"
	"github.com/rightsdesk/rightsdesk/models"
)

// recordsFile is a CSV of the organization's records with n rows.
func recordsFile(n int) []byte {
	var b bytes.Buffer
	b.WriteString("Email,Full name,Phone,ZIP,Account number,Last order\n")
	for i := range n {
		fmt.Fprintf(&b, "customer%d@example.org,Customer Number %d,+1 415 555 %04d,%05d,AC-%07d,2025-%02d-%02d\n",
			i, i, i%10000, 10000+i%90000, i, 1+i%12, 1+i%28)
	}
	return b.Bytes()
}

// BenchmarkRecordImport imports the organization's records, 100,000 rows
// (RECORDS_ROWS changes it), replacing the previous import each time, on
// SQLite and on PostgreSQL: the time per import, rows a second, and the
// peak of the heap while it runs (the file is streamed and written in
// batches, so memory does not grow with the file).
func BenchmarkRecordImport(b *testing.B) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		b.Run(dialect, func(b *testing.B) {
			var url string
			if dialect == "postgres" {
				url = testenv.Postgres(b)
			}
			db, err := models.Open(url, b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			if _, err := models.Migrate(context.Background(), db); err != nil {
				b.Fatal(err)
			}
			s := newDomain(b, db)
			v, _ := s.verifier(b)
			ctx := context.Background()
			const rows = 100_000
			file := recordsFile(rows)
			m := models.Mapping{Email: 0, Region: "US"}
			var peak atomic.Uint64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(1)
			go func() { // sample the heap while imports run
				defer wg.Done()
				var ms runtime.MemStats
				for {
					select {
					case <-stop:
						return
					case <-time.After(20 * time.Millisecond):
					}
					runtime.ReadMemStats(&ms)
					if ms.HeapInuse > peak.Load() {
						peak.Store(ms.HeapInuse)
					}
				}
			}()
			b.ResetTimer()
			for b.Loop() {
				imp, err := v.UploadRecords(ctx, bytes.NewReader(file), models.SystemActor)
				if err != nil {
					b.Fatal(err)
				}
				p, err := v.Preview(ctx, imp.ID)
				if err != nil {
					b.Fatal(err)
				}
				m.Columns = p.Guess
				done, err := v.ImportRecords(ctx, imp.ID, m, models.SystemActor)
				if err != nil {
					b.Fatal(err)
				}
				if done.RowsAccepted != rows {
					b.Fatalf("%d rows accepted, %d rejected: %+v", done.RowsAccepted, done.RowsRejected, done.RejectionList()[:1])
				}
			}
			b.StopTimer()
			close(stop)
			wg.Wait()
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
			b.ReportMetric(float64(len(file))/(1<<20), "file-MB")
		})
	}
}
