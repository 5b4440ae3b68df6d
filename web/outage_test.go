package web_test

import (
	"errors"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/testenv"
)

// PostgreSQL is restarted under the running application. While it is
// down, every page that needs the database answers 503 with Retry-After
// and the "briefly unavailable" page (never a 500 or a stack trace),
// /healthz answers 503, and the log says so once, however many requests
// and mail-worker polls fail. When the server is back on the same port the
// application recovers by itself: pages answer again, a new submission
// goes through and its mail is sent, and the log says so once.
func TestPostgresRestart(t *testing.T) {
	for _, how := range []string{"restart", "crash"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			postgresRestart(t, how)
		})
	}
}

func postgresRestart(t *testing.T, how string) {
	cl := testenv.NewCluster(t)
	h := newHarnessWith(t, harnessOptions{databaseURL: cl.Database(t),
		env: map[string]string{"RIGHTSDESK_MAIL_POLL": "50ms"}}) // the worker polls many times during the outage

	person := h.browser()
	track, _ := h.submitAs(person, "before@example.org")
	staff := h.staff()
	if res := staff.get("/admin"); res.status != http.StatusOK {
		t.Fatalf("queue before the outage: %d", res.status)
	}
	form := h.browser()
	form.get("/request")
	step2 := form.post("/request/where", url.Values{"on_behalf": {"self"}, "country": {"US"}, "state": {"CA"}})
	nonce, _ := step2.doc.Find(`input[name="nonce"]`).Attr("value")

	if how == "crash" {
		cl.Crash(t)
	} else {
		cl.Stop(t)
	}

	// Each page that needs the database, several times over.
	checks := []struct {
		name string
		do   func() page
	}{
		{"tracking page", func() page { return person.get(track) }},
		{"staff queue", func() page { return staff.get("/admin") }},
		{"lost-link form", func() page {
			return person.post("/track", url.Values{"reference": {"RD-2345-6789"}, "email": {"x@example.org"}})
		}},
		{"final step of the form", func() page {
			f := submission()
			f.Set("email", "during@example.org")
			f.Set("nonce", nonce)
			return form.post("/request", f)
		}},
	}
	for round := range 3 {
		for _, c := range checks {
			res := c.do()
			if res.status != http.StatusServiceUnavailable || res.header.Get("Retry-After") == "" {
				t.Fatalf("round %d, %s: %d, Retry-After %q\n%s", round, c.name, res.status, res.header.Get("Retry-After"), res.text("main"))
			}
			if !strings.Contains(res.text("h1"), "briefly unavailable") || strings.Contains(res.body, "goroutine") ||
				strings.Contains(res.body, "pgconn") || strings.Contains(res.body, "127.0.0.1:") {
				t.Fatalf("%s: the page says %q\n%s", c.name, res.text("h1"), res.body)
			}
		}
		if res := person.get("/healthz"); res.status != http.StatusServiceUnavailable || res.header.Get("Retry-After") == "" {
			t.Fatalf("healthz while down: %d", res.status)
		}
		// A page that needs no database still answers, and does not make
		// the application think the database is back.
		if res := person.get("/request"); res.status != http.StatusOK {
			t.Fatalf("form while down: %d", res.status)
		}
	}
	time.Sleep(300 * time.Millisecond) // the mail worker keeps polling the dead database
	errorsLogged := logLines(h, "level=ERROR")
	if len(errorsLogged) != 1 || !strings.Contains(errorsLogged[0], "database unavailable") {
		t.Fatalf("%d ERROR lines during the outage, want 1 saying the database is unavailable:\n%s",
			len(errorsLogged), strings.Join(errorsLogged, "\n"))
	}
	if again := logLines(h, "database available again"); len(again) != 0 {
		t.Fatalf("recovery logged while the database is down:\n%s", strings.Join(again, "\n"))
	}

	cl.Start(t)

	// The pool reconnects by itself: no restart of the application.
	deadline := time.Now().Add(15 * time.Second)
	for tries := 1; ; tries++ {
		res := person.get(track)
		if res.status == http.StatusOK {
			t.Logf("tracking page answered on try %d after the restart", tries)
			break
		}
		if res.status != http.StatusServiceUnavailable || time.Now().After(deadline) {
			t.Fatalf("tracking page after the restart: %d", res.status)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if res := staff.get("/admin"); res.status != http.StatusOK {
		t.Fatalf("queue after the restart: %d (the session must survive)", res.status)
	}
	if res := person.get("/healthz"); res.status != http.StatusOK {
		t.Fatalf("healthz after the restart: %d", res.status)
	}
	h.submitAs(h.browser(), "after@example.org") // a submission, and its mail
	if res := person.get("/healthz"); res.status != http.StatusOK {
		t.Fatalf("healthz after the restart: %d", res.status)
	}
	if again := logLines(h, "database available again"); len(again) != 1 {
		t.Fatalf("recovery logged %d times, want once:\n%s", len(again), h.logs.String())
	}
	if errorsLogged := logLines(h, "level=ERROR"); len(errorsLogged) != 1 {
		t.Fatalf("%d ERROR lines in all, want 1:\n%s", len(errorsLogged), strings.Join(errorsLogged, "\n"))
	}
}

// logLines returns the lines of the application's log that contain s.
func logLines(h *harness, s string) []string {
	var out []string
	for _, l := range strings.Split(h.logs.String(), "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return out
}

// The disk under SQLite fills up (a small tmpfs, filled by another file):
// /healthz notices, since it writes a row; a request that needs a write
// answers 503 with Retry-After, not 500; the outage is logged once. When
// space is freed, the application recovers by itself.
func TestSQLiteDiskFull(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=16m,mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		// Not a missing service but a missing privilege (CAP_SYS_ADMIN):
		// models' TestCheckReadOnlySQLite still covers the check.
		t.Skipf("cannot mount a tmpfs to fill (needs root with CAP_SYS_ADMIN): %v %s", err, out)
	}
	t.Cleanup(func() { // after the application is closed (cleanups run last first)
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount: %v %s", err, out)
		}
	})
	h := newHarnessWith(t, harnessOptions{dataDir: dir})
	person := h.browser()
	track, _ := h.submitAs(person, "before@example.org")
	form := h.browser()
	form.get("/request")
	step2 := form.post("/request/where", url.Values{"on_behalf": {"self"}, "country": {"US"}, "state": {"CA"}})
	nonce, _ := step2.doc.Find(`input[name="nonce"]`).Attr("value")

	// Empty the write-ahead log, so that the next write needs new blocks
	// rather than reusing the log's old ones.
	if err := h.app.Core.DB().Exec("PRAGMA wal_checkpoint(TRUNCATE)").Error; err != nil {
		t.Fatal(err)
	}
	filler := filepath.Join(dir, "filler")
	fill(t, filler)

	for round := range 3 {
		if res := person.get("/healthz"); res.status != http.StatusServiceUnavailable || res.header.Get("Retry-After") == "" {
			t.Fatalf("round %d: healthz with the disk full: %d", round, res.status)
		}
		f := submission()
		f.Set("email", "during@example.org")
		f.Set("nonce", nonce)
		res := form.post("/request", f)
		if res.status != http.StatusServiceUnavailable || res.header.Get("Retry-After") == "" ||
			!strings.Contains(res.text("h1"), "briefly unavailable") {
			t.Fatalf("round %d: submitting with the disk full: %d %q", round, res.status, res.text("h1"))
		}
		res = person.post(track+"/resend", url.Values{})
		if res.status != http.StatusServiceUnavailable {
			t.Fatalf("round %d: resending the code with the disk full: %d %q", round, res.status, res.text("main"))
		}
		// Reading still works.
		if res := person.get(track); res.status != http.StatusOK {
			t.Fatalf("round %d: tracking page with the disk full: %d", round, res.status)
		}
	}
	errorsLogged := logLines(h, "level=ERROR")
	if len(errorsLogged) != 1 || !strings.Contains(errorsLogged[0], "database unavailable") {
		t.Fatalf("%d ERROR lines with the disk full, want 1:\n%s", len(errorsLogged), strings.Join(errorsLogged, "\n"))
	}
	t.Log(errorsLogged[0])

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if res := person.get("/healthz"); res.status != http.StatusOK {
		t.Fatalf("healthz with space again: %d", res.status)
	}
	h.submitAs(h.browser(), "after@example.org")
	if again := logLines(h, "database available again"); len(again) != 1 {
		t.Fatalf("recovery logged %d times, want once", len(again))
	}
	if n := h.count("submissions"); n != 2 {
		t.Fatalf("%d submissions, want 2", n)
	}
}

// fill writes zeros to path until the file system is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	// Whatever partial block is left.
	for _, n := range []int{4096, 512, 1} {
		for {
			if _, err := f.Write(buf[:n]); err != nil {
				break
			}
		}
	}
}
