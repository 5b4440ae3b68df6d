package mail_test

import (
	"context"
	netmail "net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/mail"
)

const acme = "Acme Privacy <privacy@acme.example>"

func newFileSender(t *testing.T, dir string, retention time.Duration) *mail.FileSender {
	t.Helper()
	s, err := mail.NewFileSender(dir, acme, retention, quiet())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// mode returns a path's permission bits.
func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode().Perm()
}

// names lists a directory, hidden files included.
func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func TestFileSenderWritesEML(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mail")
	s := newFileSender(t, dir, 0)
	e := mail.Email{Subject: "We received your privacy request", Text: "Hello Zoë,\n", HTML: "<p>Hello Zoë,</p>"}
	if err := s.Send(context.Background(), msg(5, "received"), e); err != nil {
		t.Fatal(err)
	}
	if got := mode(t, dir); got != 0o700 {
		t.Fatalf("directory mode %v", got)
	}
	// Named by the Message-ID, the same on every attempt.
	if got := names(t, dir); len(got) != 1 || got[0] != "rightsdesk-outbox-5@acme.example.eml" {
		t.Fatalf("files %v", got)
	}
	name := s.FileName(5)
	if got := mode(t, name); got != 0o600 {
		t.Fatalf("file mode %v", got)
	}
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := netmail.ReadMessage(f)
	if err != nil {
		t.Fatal(err)
	}
	h := m.Header
	if h.Get("To") != "<person@example.org>" || h.Get("Subject") != e.Subject ||
		h.Get("Message-Id") != "<rightsdesk-outbox-5@acme.example>" || !strings.Contains(h.Get("From"), "privacy@acme.example") {
		t.Fatalf("headers %v", h)
	}
	if _, err := h.Date(); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h.Get("Content-Type"), "multipart/alternative") {
		t.Fatalf("Content-Type %q", h.Get("Content-Type"))
	}
}

// A directory that exists with a looser mode is tightened.
func TestFileSenderTightensDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mail")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	newFileSender(t, dir, 0)
	if got := mode(t, dir); got != 0o700 {
		t.Fatalf("directory mode %v", got)
	}
}

// A message sent again after a crash, or by two workers at once, is one
// file: the first one written, never clobbered.
func TestFileSenderWritesEachMessageOnce(t *testing.T) {
	dir := t.TempDir()
	s := newFileSender(t, dir, 0)
	m := msg(8, "verify_email")
	m.Created = time.Now().Add(-time.Second)
	first := mail.Email{Subject: "Confirm", Text: "first\n"}
	if err := s.Send(context.Background(), m, first); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() { errs <- s.Send(context.Background(), m, mail.Email{Subject: "Confirm", Text: "again\n"}) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := names(t, dir); len(got) != 1 {
		t.Fatalf("files %v: want one, and no temporary file left", got)
	}
	b, err := os.ReadFile(s.FileName(8))
	if err != nil || !strings.Contains(string(b), "first") {
		t.Fatalf("the first file was replaced: %s %v", b, err)
	}
}

// A file older than its message was left by an earlier database whose
// outbox ids started again: the new message replaces it.
func TestFileSenderReplacesAFileFromAnEarlierDatabase(t *testing.T) {
	dir := t.TempDir()
	s := newFileSender(t, dir, 0)
	old := s.FileName(3)
	if err := os.WriteFile(old, []byte("Subject: old\r\n\r\nold\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-48 * time.Hour)
	if err := os.Chtimes(old, past, past); err != nil {
		t.Fatal(err)
	}
	m := msg(3, "verify_email")
	m.Created = time.Now()
	if err := s.Send(context.Background(), m, mail.Email{Subject: "Confirm", Text: "new\n"}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(old)
	if !strings.Contains(string(b), "new") || len(names(t, dir)) != 1 {
		t.Fatalf("not replaced: %s", b)
	}
}

// age sets a file's modification time d in the past.
func age(t *testing.T, path string, d time.Duration) {
	t.Helper()
	at := time.Now().Add(-d)
	if err := os.Chtimes(path, at, at); err != nil {
		t.Fatal(err)
	}
}

func TestFileSenderExpiresOldMail(t *testing.T) {
	dir := t.TempDir()
	s := newFileSender(t, dir, 72*time.Hour)
	for id := range int64(3) {
		if err := s.Send(context.Background(), msg(id+1, "message"), mail.Email{Subject: "s", Text: "t"}); err != nil {
			t.Fatal(err)
		}
	}
	age(t, s.FileName(1), 73*time.Hour) // past the retention
	age(t, s.FileName(2), 71*time.Hour)
	other := filepath.Join(dir, "notes.txt") // not ours
	staleTemp := filepath.Join(dir, ".eml-123")
	freshTemp := filepath.Join(dir, ".eml-456") // may be being written
	for _, p := range []string{other, staleTemp, freshTemp} {
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		age(t, p, 100*time.Hour)
	}
	age(t, freshTemp, time.Minute)

	n, err := s.Expire(time.Now())
	if err != nil || n != 1 {
		t.Fatalf("Expire = %d, %v", n, err)
	}
	got := strings.Join(names(t, dir), " ")
	want := ".eml-456 notes.txt rightsdesk-outbox-2@acme.example.eml rightsdesk-outbox-3@acme.example.eml"
	if got != want {
		t.Fatalf("left %q, want %q", got, want)
	}
}

// The worker expires the file sender's mail when it starts.
func TestWorkerExpiresMailFiles(t *testing.T) {
	dir := t.TempDir()
	s := newFileSender(t, dir, time.Hour)
	if err := s.Send(context.Background(), msg(1, "message"), mail.Email{Subject: "s", Text: "t"}); err != nil {
		t.Fatal(err)
	}
	age(t, s.FileName(1), 2*time.Hour)
	w := mail.NewWorker(newOutbox(), renderer{}, s, quiet(), mail.WorkerOptions{Poll: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for len(names(t, dir)) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("old mail not expired at start")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
}
