package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// BenchmarkTrackingPage serves the private tracking page through the whole
// application (middleware, database, template) beside a bare net/http
// handler that writes a page of the same size, in the same run, both over
// HTTP on loopback with keep-alive connections (as a load tester would),
// and reports the app's throughput as a share of the bare handler's
// (target: 40 % or more).
func BenchmarkTrackingPage(b *testing.B) {
	h := newBenchHarness(b)
	person := h.browser()
	link, _ := h.submitAs(person, "bench@example.org")
	page := person.get(link)
	if page.status != http.StatusOK {
		b.Fatalf("tracking page: %d", page.status)
	}
	size := len(page.body)
	body := []byte(strings.Repeat("x", size))
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(body)
	})
	bareSrv := httptest.NewServer(bare)
	defer bareSrv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	run := func(b *testing.B, url string) float64 {
		b.SetParallelism(4) // 8 clients on 2 CPUs
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				res, err := client.Get(url)
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					b.Errorf("status %d", res.StatusCode)
				}
			}
		})
		return float64(b.N) / time.Since(start).Seconds()
	}
	var bareRate, appRate float64
	b.Run("bare", func(b *testing.B) { bareRate = run(b, bareSrv.URL+link) })
	b.Run("app", func(b *testing.B) {
		appRate = run(b, h.srv.URL+link)
		b.ReportMetric(float64(size), "page-bytes")
		if bareRate > 0 {
			b.ReportMetric(100*appRate/bareRate, "%-of-bare")
		}
	})
}
