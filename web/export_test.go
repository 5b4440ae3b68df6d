package web_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/models"
)

// The queue and the audit log export as CSV, streamed, with formula-like
// cells quoted into text.
func TestExports(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		for i := range 3 {
			h.submitAs(h.browser(), fmt.Sprintf("export%d@example.org", i))
		}
		auditor := h.staffAs(models.RoleAuditor)
		res := auditor.get("/admin/export/requests.csv?status=all")
		if res.status != http.StatusOK || res.header.Get("Content-Type") != "text/csv; charset=utf-8" ||
			!strings.Contains(res.header.Get("Content-Disposition"), "requests.csv") {
			t.Fatalf("requests export: %d %v", res.status, res.header)
		}
		rows, err := csv.NewReader(strings.NewReader(res.body)).ReadAll()
		if err != nil || len(rows) != 1+6 || rows[0][1] != "reference" {
			t.Fatalf("requests CSV: %v\n%s", err, res.body)
		}
		// A detail that looks like a formula stays text.
		h.app.Core.DB().Create(&models.AuditEntry{At: time.Now().UTC(), ActorKind: "system", Action: "test", Detail: "=HYPERLINK(\"x\")"})
		res = auditor.get("/admin/export/audit.csv")
		rows, err = csv.NewReader(strings.NewReader(res.body)).ReadAll()
		if err != nil || res.status != http.StatusOK || len(rows) < 4 {
			t.Fatalf("audit CSV: %d %v", res.status, err)
		}
		found := false
		for _, r := range rows {
			if r[4] == "test" {
				found = true
				if r[8] != `'=HYPERLINK("x")` {
					t.Fatalf("formula cell not neutralised: %q", r[8])
				}
			}
		}
		if !found {
			t.Fatal("the audit entry is not in the export")
		}
		if res := auditor.get("/admin/export/audit.csv?from=yesterday"); res.status != http.StatusUnprocessableEntity {
			t.Fatalf("bad date: %d", res.status)
		}
		var n int64
		h.app.Core.DB().Model(&models.AuditEntry{}).Where("action LIKE ?", "export.%").Count(&n)
		if n != 2 {
			t.Fatalf("%d exports audited, want 2", n)
		}
	})
}

// BenchmarkCSVExport streams the audit log and the whole queue as CSV at
// 10 k rows and at RIGHTSDESK_BENCH_ROWS (default 200 k; BENCHMARKS.md
// has 1 M), side by side, and reports the peak heap while streaming: flat
// memory means the same peak at both sizes.
//
//	RIGHTSDESK_BENCH_ROWS=1000000 go test -run XXX -bench CSVExport -benchtime 1x -timeout 1h ./web/
func BenchmarkCSVExport(b *testing.B) {
	big := 200_000
	if v, err := strconv.Atoi(os.Getenv("RIGHTSDESK_BENCH_ROWS")); err == nil && v > 0 {
		big = v
	}
	exports := []struct {
		name, path string
		seed       func(b *testing.B, h *harness, n int)
	}{
		{"audit", "/admin/export/audit.csv", func(b *testing.B, h *harness, n int) {
			err := h.app.Core.DB().Exec(`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?)
				INSERT INTO audit_log (at, actor_kind, action, object_type, ip, detail)
				SELECT datetime('now', '-' || (x % 80) || ' days'), 'system', 'bench.entry', 'request', '192.0.2.1', 'status=completed reason=exemption'
				FROM c`, n).Error
			if err != nil {
				b.Fatal(err)
			}
		}},
		{"queue", "/admin/export/requests.csv?status=all", func(b *testing.B, h *harness, n int) {
			if _, err := models.Seed(context.Background(), h.app.Core, models.SeedOptions{Requests: n, RandSeed: 1}); err != nil {
				b.Fatal(err)
			}
		}},
	}
	for _, e := range exports {
		for _, n := range []int{10_000, big} {
			b.Run(fmt.Sprintf("%s/rows=%d", e.name, n), func(b *testing.B) {
				h := newBenchHarness(b)
				e.seed(b, h, n)
				staff := h.staffAs(models.RoleAuditor)
				var peak atomic.Uint64
				runtime.GC() // the seed's garbage is not the export's
				stop := make(chan struct{})
				go func() {
					var ms runtime.MemStats
					for {
						select {
						case <-stop:
							return
						case <-time.After(5 * time.Millisecond):
							runtime.ReadMemStats(&ms)
							if ms.HeapInuse > peak.Load() {
								peak.Store(ms.HeapInuse)
							}
						}
					}
				}()
				var bytes int64
				for b.Loop() {
					req, _ := http.NewRequest(http.MethodGet, staff.url(e.path), nil)
					res, err := staff.client.Do(req)
					if err != nil {
						b.Fatal(err)
					}
					bytes, _ = io.Copy(io.Discard, res.Body)
					res.Body.Close()
				}
				close(stop)
				b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
				b.ReportMetric(float64(bytes)/(1<<20), "csv-MiB")
			})
		}
	}
}
