package mail_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	netmail "net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/mail"
	"github.com/rightsdesk/rightsdesk/internal/testsmtp"
)

// memOutbox is an in-memory Outbox; the database one is tested in models.
type memOutbox struct {
	mu   sync.Mutex
	msgs map[int64]*row
}

type row struct {
	m         mail.Message
	next      time.Time
	sent      bool
	dead      bool
	lastError string
}

func newOutbox(msgs ...mail.Message) *memOutbox {
	o := &memOutbox{msgs: map[int64]*row{}}
	for _, m := range msgs {
		o.msgs[m.ID] = &row{m: m}
	}
	return o
}

func (o *memOutbox) Claim(_ context.Context, now time.Time, limit int, lease time.Duration) ([]mail.Message, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []mail.Message
	for _, r := range o.msgs {
		if !r.sent && !r.dead && !r.next.After(now) && len(out) < limit {
			r.next = now.Add(lease)
			out = append(out, r.m)
		}
	}
	return out, nil
}

func (o *memOutbox) MarkSent(_ context.Context, id int64, _ time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.msgs[id].sent = true
	return nil
}

func (o *memOutbox) MarkFailed(_ context.Context, id int64, _, next time.Time, errMsg string, dead bool) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	r := o.msgs[id]
	r.m.Attempts++
	r.next, r.dead, r.lastError = next, dead, errMsg
	return nil
}

func (o *memOutbox) get(id int64) row {
	o.mu.Lock()
	defer o.mu.Unlock()
	return *o.msgs[id]
}

type renderer struct{}

func (renderer) Render(m mail.Message) (mail.Email, error) {
	if m.Template == "broken" {
		return mail.Email{}, errors.New("no such template")
	}
	return mail.Email{Subject: "Update on your request", Text: "Hello,\n\nbody of " + m.Template + "\n"}, nil
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func msg(id int64, template string) mail.Message {
	return mail.Message{ID: id, To: "person@example.org", Template: template, Data: []byte("{}"), Lang: "en"}
}

func TestWorkerDeliversOverSMTP(t *testing.T) {
	srv := testsmtp.Start(t, testsmtp.WithAuth("relay", "s3cret"))
	sender, err := mail.NewSenderFromURL(srv.URL(), "privacy@acme.example")
	if err != nil {
		t.Fatal(err)
	}
	ob := newOutbox(msg(1, "status_changed"), msg(2, "broken"))
	w := mail.NewWorker(ob, renderer{}, sender, quiet, mail.WorkerOptions{Backoff: func(int) time.Duration { return 0 }})
	if _, err := w.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r := ob.get(1); !r.sent {
		t.Fatalf("not sent: %s", r.lastError)
	}
	got := srv.WaitFor(t, func(r testsmtp.Received) bool { return true }, 5*time.Second)
	if got.Subject != "Update on your request" || !strings.Contains(got.Text(), "body of status_changed") ||
		got.To[0] != "person@example.org" || got.From != "privacy@acme.example" {
		t.Fatalf("received %+v / %q", got, got.Text())
	}
	if id := got.Header.Get("Message-Id"); id != "<rightsdesk-outbox-1@acme.example>" {
		t.Fatalf("Message-ID %q is not stable per outbox row", id)
	}
	if !ob.get(1).sent {
		t.Fatal("not marked sent")
	}
	if r := ob.get(2); !r.dead || !strings.Contains(r.lastError, "render") {
		t.Fatalf("a render failure is permanent: %+v", r)
	}
}

func TestWorkerRetriesThroughAnOutage(t *testing.T) {
	srv := testsmtp.Start(t)
	sender, err := mail.NewSenderFromURL(srv.URL(), "privacy@acme.example")
	if err != nil {
		t.Fatal(err)
	}
	ob := newOutbox(msg(7, "message"))
	w := mail.NewWorker(ob, renderer{}, sender, quiet, mail.WorkerOptions{MaxAttempts: 5, Backoff: func(int) time.Duration { return 0 }})
	ctx := context.Background()
	srv.SetFailing(true)
	for range 2 {
		if _, err := w.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if r := ob.get(7); r.sent || r.dead || r.m.Attempts != 2 {
		t.Fatalf("after two failures: %+v", r)
	}
	srv.SetFailing(false)
	if _, err := w.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if !ob.get(7).sent || len(srv.Messages()) != 1 {
		t.Fatalf("not delivered once the server is back: %d messages", len(srv.Messages()))
	}
	// Sent messages are not claimed again.
	if n, _ := w.RunOnce(ctx); n != 0 || len(srv.Messages()) != 1 {
		t.Fatal("sent twice")
	}
}

func TestWorkerGivesUp(t *testing.T) {
	srv := testsmtp.Start(t)
	srv.SetFailing(true)
	sender, _ := mail.NewSenderFromURL(srv.URL(), "privacy@acme.example")
	ob := newOutbox(msg(3, "message"))
	w := mail.NewWorker(ob, renderer{}, sender, quiet, mail.WorkerOptions{MaxAttempts: 3, Backoff: func(int) time.Duration { return 0 }})
	for range 5 {
		if _, err := w.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if r := ob.get(3); !r.dead || r.m.Attempts != 3 {
		t.Fatalf("want dead after 3 attempts: %+v", r)
	}
}

func TestWorkerRunWakesOnNotify(t *testing.T) {
	srv := testsmtp.Start(t)
	sender, _ := mail.NewSenderFromURL(srv.URL(), "privacy@acme.example")
	ob := newOutbox()
	w := mail.NewWorker(ob, renderer{}, sender, quiet, mail.WorkerOptions{Poll: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	time.Sleep(20 * time.Millisecond) // let the first (empty) poll pass
	ob.mu.Lock()
	ob.msgs[9] = &row{m: msg(9, "received")}
	ob.mu.Unlock()
	w.Notify()
	srv.WaitFor(t, func(testsmtp.Received) bool { return true }, 5*time.Second)
	cancel()
	<-done
}

func TestFileSenderWritesEML(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mail")
	s, err := mail.NewFileSender(dir, "privacy@acme.example", quiet)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), msg(5, "received"), mail.Email{Subject: "We received your privacy request", Text: "Hello Zoë,\n"}); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*-5.eml"))
	if len(files) != 1 {
		t.Fatalf("files %v", files)
	}
	f, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if st, _ := f.Stat(); st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", st.Mode().Perm())
	}
	m, err := netmail.ReadMessage(f)
	if err != nil {
		t.Fatal(err)
	}
	if m.Header.Get("To") != "<person@example.org>" || m.Header.Get("Subject") != "We received your privacy request" {
		t.Fatalf("headers %v", m.Header)
	}
}

func TestSenderURL(t *testing.T) {
	for _, bad := range []string{"http://mail.example.com", "smtp://", "smtp://host:99999", "::::"} {
		if _, err := mail.NewSenderFromURL(bad, "a@b.example"); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	for _, good := range []string{"smtp://mail.example.com", "smtps://u:p@mail.example.com", "smtp://u:p@mail.example.com:2525?tls=none"} {
		if _, err := mail.NewSenderFromURL(good, "a@b.example"); err != nil {
			t.Errorf("%q: %v", good, err)
		}
	}
}

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	if mail.Backoff(1) >= mail.Backoff(5) || mail.Backoff(40) > 6*time.Hour*12/10 {
		t.Fatal("backoff")
	}
}
