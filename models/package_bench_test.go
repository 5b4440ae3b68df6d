package models_test

import (
	"archive/zip"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/webhook"
	"github.com/rightsdesk/rightsdesk/models"
)

// BenchmarkPackageStream builds a package of about
// RIGHTSDESK_BENCH_PACKAGE_MB megabytes (default 16) and downloads it,
// reporting the peak heap while it does: a system's answer of records
// (an eighth of the size) streamed through the callback's signature check
// into storage, a ZIP file staff attached (the rest), both assembled into
// the encrypted package and read back out. Memory stays flat whatever
// the size: run it at 1100 MB to see a package over 1 GB (BENCHMARKS.md).
func BenchmarkPackageStream(b *testing.B) {
	mb := 16
	if v := os.Getenv("RIGHTSDESK_BENCH_PACKAGE_MB"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("RIGHTSDESK_BENCH_PACKAGE_MB=%q", v)
		}
		mb = n
	}
	size := int64(mb) << 20
	db, err := models.Open("", b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	sqlDB, _ := db.DB()
	b.Cleanup(func() { sqlDB.Close() })
	if _, err := models.Migrate(context.Background(), db); err != nil {
		b.Fatal(err)
	}
	f := newFulfil(b, newDomain(b, db))
	f.store.MaxSize = size + 1<<20
	ctx := context.Background()
	_, secret := f.system(b, "CRM", "http://127.0.0.1:1/hook", "access")
	_, id := f.verified(b, "bench@example.org", "access")
	var taskID int64
	db.Model(&models.Task{}).Select("id").Where("request_id = ?", id).Scan(&taskID)

	// The system's answer: records streamed, signed over the whole body.
	recordsSize := size / 8
	mac := hmac.New(sha256.New, []byte(secret))
	ts := time.Now().Unix()
	fmt.Fprintf(mac, "%d.", ts)
	if _, err := io.Copy(mac, answerBody(recordsSize)); err != nil {
		b.Fatal(err)
	}
	h := http.Header{}
	h.Set(webhook.HeaderKeyID, "k1")
	h.Set(webhook.HeaderTimestamp, strconv.FormatInt(ts, 10))
	h.Set(webhook.HeaderSignature, "v1="+hex.EncodeToString(mac.Sum(nil)))
	res, err := f.tasks.Callback(ctx, f.callbackToken(b, taskID), h, answerBody(recordsSize))
	if err != nil {
		b.Fatal(err)
	}
	// A large file staff attached: a ZIP of incompressible data.
	pr, pw := io.Pipe()
	go func() {
		zw := zip.NewWriter(pw)
		w, err := zw.CreateHeader(&zip.FileHeader{Name: "recordings.bin", Method: zip.Store})
		if err == nil {
			_, err = io.CopyN(w, rand.NewChaCha8([32]byte{1}), size-recordsSize)
		}
		if err == nil {
			err = zw.Close()
		}
		pw.CloseWithError(err)
	}()
	if _, err := f.packages.Attach(ctx, id, models.Attachment{Name: "recordings.zip", R: pr}, models.SystemActor); err != nil {
		b.Fatal(err)
	}
	st, err := f.staff.Create(ctx, models.StaffInput{Email: "bench-officer@example.org", Name: "Officer", Role: models.RoleOfficer,
		Password: "a long enough password"}, models.SystemActor)
	if err != nil {
		b.Fatal(err)
	}
	officer := models.StaffActor(st.ID, "bench")

	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	// Two peaks: the heap in use (garbage not yet collected included),
	// and the heap the last collection found live, which is what any
	// buffering of a whole file would show.
	var peak, peakLive atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			metrics.Read(live)
			if v := live[0].Value.Uint64(); v > peakLive.Load() {
				peakLive.Store(v)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	var pkgSize int64
	b.ResetTimer()
	for range b.N {
		pkg, err := f.packages.Publish(ctx, id, officer)
		if err != nil {
			b.Fatal(err)
		}
		_, r, err := f.packages.StaffDownload(ctx, pkg.ID, officer)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, r)
		r.Close()
		if err != nil || n != pkg.Size {
			b.Fatalf("downloaded %d of %d bytes: %v", n, pkg.Size, err)
		}
		pkgSize = n
	}
	b.StopTimer()
	close(stop)
	<-sampled
	b.SetBytes(pkgSize)
	b.ReportMetric(float64(pkgSize)/(1<<20), "package-MB")
	b.ReportMetric(float64(res.Records), "records")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(peakLive.Load())/(1<<20), "peak-live-MB")
	b.ReportMetric(float64(base.HeapInuse)/(1<<20), "base-heap-MB")
}

// answerBody is a system's answer carrying about n bytes of records,
// generated as it is read (the same bytes each time).
func answerBody(n int64) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		rng := rand.New(rand.NewPCG(1, 2))
		var written int64
		c, _ := io.WriteString(pw, `{"outcome": "done", "note": "Exported.", "records": [`)
		written += int64(c)
		for i := 0; written < n; i++ {
			sep := ","
			if i == 0 {
				sep = ""
			}
			c, err := fmt.Fprintf(pw, `%s{"id": %d, "email": "bench@example.org", "page": "/p/%x", "agent": %q, "at": "2026-01-%02dT10:00:00Z", "meta": {"ip": "203.0.113.%d", "ok": true}}`,
				sep, i, rng.Uint64(), strings.Repeat("Mozilla/5.0 ", 1+i%4), 1+i%28, i%250)
			if err != nil {
				return
			}
			written += int64(c)
		}
		io.WriteString(pw, "]}")
		pw.Close()
	}()
	return pr
}
