package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/rightsdesk/rightsdesk/models"
)

// Seeded requests are ordinary requests to the app: the staff queue lists
// them page after page, finds one by its reference, and opens it.
func TestSeededQueue(t *testing.T) {
	dialects(t, func(t *testing.T, h *harness) {
		if _, err := models.Seed(context.Background(), h.app.Core, models.SeedOptions{Requests: 300, RandSeed: 1}); err != nil {
			t.Fatal(err)
		}
		staff := h.staff()
		first := staff.get("/admin?status=all")
		rows := first.doc.Find("table.queue tbody tr")
		next, _ := first.doc.Find(`a[rel="next"]`).Attr("href")
		if first.status != http.StatusOK || rows.Length() != 50 || next == "" {
			t.Fatalf("all requests: %d, %d rows, next %q", first.status, rows.Length(), next)
		}
		second := staff.get(next)
		if n := second.doc.Find("table.queue tbody tr").Length(); second.status != http.StatusOK || n != 50 {
			t.Fatalf("second page: %d, %d rows", second.status, n)
		}
		if second.doc.Find("table.queue tbody tr").First().Text() == rows.First().Text() {
			t.Fatal("the second page repeats the first")
		}
		var ref string
		if err := h.app.Core.DB().Raw("SELECT reference FROM submissions ORDER BY id DESC LIMIT 1").Scan(&ref).Error; err != nil {
			t.Fatal(err)
		}
		found := staff.get("/admin?ref=" + ref)
		hits := found.doc.Find("table.queue tbody tr")
		if hits.Length() == 0 || !strings.Contains(hits.Text(), ref) {
			t.Fatalf("reference %s not found: %s", ref, found.text("main"))
		}
		href, _ := hits.First().Find("a").Attr("href")
		if detail := staff.get(href); detail.status != http.StatusOK || !strings.Contains(detail.body, ref) {
			t.Fatalf("%s: %d", href, detail.status)
		}
		if open := staff.get("/admin"); open.status != http.StatusOK || open.doc.Find("table.queue tbody tr").Length() == 0 {
			t.Fatalf("open queue: %d, no rows", open.status)
		}
	})
}
