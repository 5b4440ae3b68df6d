package mail_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/mail"
	"github.com/rightsdesk/rightsdesk/internal/testsmtp"
)

// memOutbox is an in-memory Outbox with the database's guards; the
// database one is tested in models.
type memOutbox struct {
	mu           sync.Mutex
	rows         map[int64]*row
	claims       int
	failMarkSent int // MarkSent fails this many times, like a crash after sending
}

type row struct {
	m         mail.Message
	next      time.Time
	sending   bool
	token     string
	sent      bool
	dead      bool
	lastError string
	extended  int // successful renewals
}

func newOutbox(msgs ...mail.Message) *memOutbox {
	o := &memOutbox{rows: map[int64]*row{}}
	for _, m := range msgs {
		o.add(m)
	}
	return o
}

func (o *memOutbox) add(m mail.Message) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.rows[m.ID] = &row{m: m}
}

func (o *memOutbox) Claim(_ context.Context, now time.Time, limit int, lease time.Duration) ([]mail.Message, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.claims++
	token := fmt.Sprintf("claim-%d", o.claims)
	var out []mail.Message
	for _, r := range o.rows {
		if !r.sent && !r.dead && !r.next.After(now) && len(out) < limit {
			r.next, r.sending, r.token = now.Add(lease), true, token
			m := r.m
			m.Token = token
			out = append(out, m)
		}
	}
	return out, nil
}

// held returns the row while token holds it; o.mu is held.
func (o *memOutbox) held(id int64, token string) (*row, error) {
	r := o.rows[id]
	if r == nil || !r.sending || r.token != token {
		return nil, mail.ErrLeaseLost
	}
	return r, nil
}

func (o *memOutbox) Extend(_ context.Context, id int64, token string, until time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	r, err := o.held(id, token)
	if err != nil {
		return err
	}
	r.next = until
	r.extended++
	return nil
}

func (o *memOutbox) MarkSent(_ context.Context, id int64, token string, _ time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.failMarkSent > 0 {
		o.failMarkSent--
		return errors.New("database went away")
	}
	r, err := o.held(id, token)
	if err != nil {
		return err
	}
	r.m.Attempts++
	r.sent, r.sending, r.token = true, false, ""
	return nil
}

func (o *memOutbox) MarkFailed(_ context.Context, id int64, token string, _, next time.Time, errMsg string, dead bool) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	r, err := o.held(id, token)
	if err != nil {
		return err
	}
	r.m.Attempts++
	r.next, r.dead, r.lastError, r.sending, r.token = next, dead, errMsg, false, ""
	return nil
}

// expireLeases makes every unsent message due now, as time passing would.
func (o *memOutbox) expireLeases() {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, r := range o.rows {
		r.next = time.Time{}
	}
}

func (o *memOutbox) get(id int64) row {
	o.mu.Lock()
	defer o.mu.Unlock()
	return *o.rows[id]
}

type renderer struct{}

func (renderer) Render(m mail.Message) (mail.Email, error) {
	switch m.Template {
	case "broken":
		return mail.Email{}, errors.New("no such template")
	case "html":
		return mail.Email{Subject: "Your privacy request", Text: "Plain ünïcode body\n", HTML: "<p>HTML body</p>"}, nil
	}
	return mail.Email{Subject: "Update on your request", Text: "Hello Zoë,\n\nbody of " + m.Template + "\n"}, nil
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func noWait(int) time.Duration { return 0 }

func msg(id int64, template string) mail.Message {
	return mail.Message{ID: id, To: "person@example.org", Template: template, Data: []byte("{}"), Lang: "en"}
}

func newSender(t *testing.T, srv *testsmtp.Server) mail.Sender {
	t.Helper()
	s, err := mail.NewSenderFromURL(srv.URL(), "Acme Privacy <privacy@acme.example>")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestWorkerDeliversOverSMTP(t *testing.T) {
	srv := testsmtp.Start(t, testsmtp.WithAuth("relay", "s3cret"))
	ob := newOutbox(msg(1, "status_changed"), msg(2, "html"))
	w := mail.NewWorker(ob, renderer{}, newSender(t, srv), quiet(), mail.WorkerOptions{})
	if n, err := w.RunOnce(context.Background()); err != nil || n != 2 {
		t.Fatalf("RunOnce = %d, %v", n, err)
	}
	for _, id := range []int64{1, 2} {
		if r := ob.get(id); !r.sent {
			t.Fatalf("message %d not sent: %s", id, r.lastError)
		}
	}
	got := srv.WaitFor(t, func(r testsmtp.Received) bool {
		return r.Header.Get("Message-Id") == "<rightsdesk-outbox-1@acme.example>"
	}, 5*time.Second)
	if got.Subject != "Update on your request" || got.Text() != "Hello Zoë,\n\nbody of status_changed\n" ||
		len(got.To) != 1 || got.To[0] != "person@example.org" || got.From != "privacy@acme.example" || got.HTML() != "" {
		t.Fatalf("received %+v, text %q", got, got.Text())
	}
	if _, err := got.Header.Date(); err != nil {
		t.Errorf("Date header: %v", err)
	}
	html := srv.WaitFor(t, func(r testsmtp.Received) bool { return r.Subject == "Your privacy request" }, 5*time.Second)
	if html.Text() != "Plain ünïcode body\n" || html.HTML() != "<p>HTML body</p>" {
		t.Fatalf("alternative parts: text %q, html %q", html.Text(), html.HTML())
	}
}

func TestRenderFailureIsPermanent(t *testing.T) {
	srv := testsmtp.Start(t)
	ob := newOutbox(msg(2, "broken"))
	w := mail.NewWorker(ob, renderer{}, newSender(t, srv), quiet(), mail.WorkerOptions{})
	if _, err := w.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r := ob.get(2); !r.dead || !strings.Contains(r.lastError, "render") {
		t.Fatalf("a render failure gives up at once: %+v", r)
	}
	if len(srv.Messages()) != 0 {
		t.Fatal("sent something")
	}
}

func TestWorkerRetriesThroughAnOutage(t *testing.T) {
	for _, tc := range []struct {
		name   string
		outage func(srv *testsmtp.Server, on bool)
	}{
		{"451 temporary failure", (*testsmtp.Server).SetFailing},
		{"server down", (*testsmtp.Server).SetDown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := testsmtp.Start(t)
			ob := newOutbox(msg(7, "message"))
			var waits []int
			backoff := func(attempt int) time.Duration { waits = append(waits, attempt); return 0 }
			w := mail.NewWorker(ob, renderer{}, newSender(t, srv), quiet(), mail.WorkerOptions{MaxAttempts: 5, Backoff: backoff})
			ctx := context.Background()
			tc.outage(srv, true)
			for range 2 {
				if n, err := w.RunOnce(ctx); err != nil || n != 0 {
					t.Fatalf("RunOnce = %d, %v", n, err)
				}
			}
			if r := ob.get(7); r.sent || r.dead || r.m.Attempts != 2 || r.lastError == "" {
				t.Fatalf("after two failures: %+v", r)
			}
			if len(waits) != 2 || waits[0] != 1 || waits[1] != 2 {
				t.Fatalf("backoff asked for attempts %v", waits)
			}
			tc.outage(srv, false)
			if n, err := w.RunOnce(ctx); err != nil || n != 1 {
				t.Fatalf("RunOnce = %d, %v", n, err)
			}
			if !ob.get(7).sent || len(srv.Messages()) != 1 {
				t.Fatalf("not delivered once the server is back: %d messages", len(srv.Messages()))
			}
			// Sent messages are not claimed again.
			if n, _ := w.RunOnce(ctx); n != 0 || len(srv.Messages()) != 1 {
				t.Fatal("sent twice")
			}
		})
	}
}

func TestFailureWaitsForBackoff(t *testing.T) {
	srv := testsmtp.Start(t)
	srv.SetFailing(true)
	ob := newOutbox(msg(4, "message"))
	w := mail.NewWorker(ob, renderer{}, newSender(t, srv), quiet(), mail.WorkerOptions{Backoff: func(int) time.Duration { return time.Hour }})
	before := time.Now()
	if _, err := w.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r := ob.get(4); r.next.Before(before.Add(time.Hour)) || r.next.After(time.Now().Add(time.Hour)) {
		t.Fatalf("next attempt %v, want an hour from now", r.next)
	}
	srv.SetFailing(false)
	if n, _ := w.RunOnce(context.Background()); n != 0 || len(srv.Messages()) != 0 {
		t.Fatal("retried before the backoff was over")
	}
}

func TestWorkerGivesUp(t *testing.T) {
	srv := testsmtp.Start(t)
	srv.SetFailing(true)
	ob := newOutbox(msg(3, "message"))
	w := mail.NewWorker(ob, renderer{}, newSender(t, srv), quiet(), mail.WorkerOptions{MaxAttempts: 3, Backoff: noWait})
	for range 5 {
		if _, err := w.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if r := ob.get(3); !r.dead || r.m.Attempts != 3 || !strings.Contains(r.lastError, "451") {
		t.Fatalf("want dead after 3 attempts: %+v", r)
	}
}

// A crash between sending and recording the send sends the message again,
// with the same Message-ID.
func TestResendKeepsMessageID(t *testing.T) {
	srv := testsmtp.Start(t)
	ob := newOutbox(msg(11, "message"))
	ob.failMarkSent = 1
	w := mail.NewWorker(ob, renderer{}, newSender(t, srv), quiet(), mail.WorkerOptions{})
	if _, err := w.RunOnce(context.Background()); err == nil {
		t.Fatal("the MarkSent error was not reported")
	}
	ob.expireLeases()
	if _, err := w.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := srv.Messages()
	if len(got) != 2 || !ob.get(11).sent {
		t.Fatalf("%d messages received", len(got))
	}
	first, second := got[0].Header.Get("Message-Id"), got[1].Header.Get("Message-Id")
	if first != "<rightsdesk-outbox-11@acme.example>" || first != second {
		t.Fatalf("Message-IDs %q and %q", first, second)
	}
}

func TestLogsCarryNoPersonalData(t *testing.T) {
	srv := testsmtp.Start(t)
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	ob := newOutbox(msg(1, "message"), msg(2, "broken"))
	w := mail.NewWorker(ob, renderer{}, newSender(t, srv), log, mail.WorkerOptions{Backoff: noWait})
	srv.SetFailing(true)
	if _, err := w.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv.SetFailing(false)
	if _, err := w.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	logged := buf.String()
	for _, secret := range []string{"person@example.org", "Zoë", "Update on your request", "try again later"} {
		if strings.Contains(logged, secret) {
			t.Errorf("log contains %q:\n%s", secret, logged)
		}
	}
	for _, want := range []string{`"class":"smtp-temporary"`, `"smtp_code":451`, `"msg":"mail sent"`, `"msg":"mail render failed"`} {
		if !strings.Contains(logged, want) {
			t.Errorf("log lacks %s:\n%s", want, logged)
		}
	}
}

// blockingSender waits until its context ends, like a hung server.
type blockingSender struct{}

func (blockingSender) Send(ctx context.Context, _ mail.Message, _ mail.Email) error {
	<-ctx.Done()
	return ctx.Err()
}

func TestShutdownDoesNotCountAnAttempt(t *testing.T) {
	ob := newOutbox(msg(5, "message"))
	w := mail.NewWorker(ob, renderer{}, blockingSender{}, quiet(), mail.WorkerOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := w.RunOnce(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if r := ob.get(5); r.m.Attempts != 0 || r.dead || r.sent {
		t.Fatalf("%+v", r)
	}
}

func TestWorkerRunWakesOnNotify(t *testing.T) {
	srv := testsmtp.Start(t)
	ob := newOutbox()
	w := mail.NewWorker(ob, renderer{}, newSender(t, srv), quiet(), mail.WorkerOptions{Poll: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	time.Sleep(20 * time.Millisecond) // let the first (empty) poll pass
	ob.add(msg(9, "received"))
	w.Notify()
	w.Notify() // never blocks
	srv.WaitFor(t, func(testsmtp.Received) bool { return true }, 5*time.Second)
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop")
	}
}

func TestSMTPAuth(t *testing.T) {
	srv := testsmtp.Start(t, testsmtp.WithAuth("relay", "s3cret"))
	wrong := strings.Replace(srv.URL(), "s3cret", "guess", 1)
	s, err := mail.NewSenderFromURL(wrong, "privacy@acme.example")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), msg(1, "x"), mail.Email{Subject: "s", Text: "t"}); err == nil {
		t.Fatal("a wrong password was accepted")
	}
	noAuth := strings.Replace(srv.URL(), "relay:s3cret@", "", 1)
	s, _ = mail.NewSenderFromURL(noAuth, "privacy@acme.example")
	if err := s.Send(context.Background(), msg(1, "x"), mail.Email{Subject: "s", Text: "t"}); err == nil {
		t.Fatal("sent without authenticating")
	}
	if err := newSender(t, srv).Send(context.Background(), msg(1, "x"), mail.Email{Subject: "s", Text: "t"}); err != nil {
		t.Fatal(err)
	}
	if len(srv.Messages()) != 1 {
		t.Fatal("not received")
	}
}

func TestSenderFromAddressIsChecked(t *testing.T) {
	if _, err := mail.NewSenderFromURL("smtp://mail.example.com", "not an address"); err == nil {
		t.Error("SMTP sender took a bad From")
	}
	if _, err := mail.NewFileSender(t.TempDir(), "", 0, quiet()); err == nil {
		t.Error("file sender took an empty From")
	}
}

func TestSenderURL(t *testing.T) {
	for _, tc := range []struct {
		url     string
		wantErr string // "" = valid
	}{
		{"smtp://mail.example.com", ""},
		{"smtp://u:p@mail.example.com:2525?tls=none", ""},
		{"smtp://u:p@mail.example.com?tls=required", ""},
		{"smtps://u:p@mail.example.com", ""},
		{"smtps://mail.example.com:4650?insecure_skip_verify=true", ""},
		{"smtp://[::1]:25?tls=none", ""},
		{"http://mail.example.com", "smtp:// or smtps://"},
		{"mail.example.com:587", "smtp:// or smtps://"},
		{"", "smtp:// or smtps://"},
		{"::::", "not a valid URL"},
		{"smtp://", "needs a host"},
		{"smtp://user:pw@:25", "needs a host"},
		{"smtp://mail.example.com:0", "port"},
		{"smtp://mail.example.com:99999", "port"},
		{"smtp://mail.example.com:smtp", "not a valid URL"},
		{"smtp://mail.example.com?tls=yes", "tls must be"},
		{"smtps://mail.example.com?tls=none", "smtps:// always uses TLS"},
		{"smtp://mail.example.com?insecure_skip_verify=maybe", "insecure_skip_verify"},
		{"smtp://mail.example.com?tsl=none", "unknown parameter"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			_, err := mail.NewSenderFromURL(tc.url, "privacy@acme.example")
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatal(err)
			case tc.wantErr != "" && err == nil:
				t.Fatal("accepted")
			case err != nil && !strings.Contains(err.Error(), tc.wantErr):
				t.Fatalf("error %q lacks %q", err, tc.wantErr)
			}
		})
	}
}

func TestSenderURLErrorsHideThePassword(t *testing.T) {
	for _, u := range []string{"smtp://u:hunter2@mail.example.com:99999", "smtp://u:hunter2@mail.example.com:x", "smtp://u:hunter2@mail.example.com?tls=bad", "smtp://u:hunter2@:25"} {
		_, err := mail.NewSenderFromURL(u, "privacy@acme.example")
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%q: error %v", u, err)
		}
	}
}

func TestBackoff(t *testing.T) {
	for attempt, base := range map[int]time.Duration{1: time.Minute, 3: 4 * time.Minute, 8: 128 * time.Minute} {
		for range 50 {
			if d := mail.Backoff(attempt); d < base*8/10 || d > base*12/10 {
				t.Fatalf("Backoff(%d) = %v, want %v ± 20%%", attempt, d, base)
			}
		}
	}
	for _, attempt := range []int{10, 11, 40, 1000} {
		if d := mail.Backoff(attempt); d > 6*time.Hour || d < 4*time.Hour {
			t.Fatalf("Backoff(%d) = %v, want at most 6h", attempt, d)
		}
	}
	if d := mail.Backoff(-1); d <= 0 {
		t.Fatalf("Backoff(-1) = %v", d)
	}
}

func TestMessageID(t *testing.T) {
	for from, want := range map[string]string{
		"privacy@acme.example":                "<rightsdesk-outbox-42@acme.example>",
		"Acme Privacy <privacy@acme.example>": "<rightsdesk-outbox-42@acme.example>",
		"not an address":                      "<rightsdesk-outbox-42@rightsdesk.local>",
	} {
		if got := mail.MessageID(42, from); got != want {
			t.Errorf("MessageID(42, %q) = %q, want %q", from, got, want)
		}
	}
}
