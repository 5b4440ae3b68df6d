package mail_test

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/mail"
	"github.com/rightsdesk/rightsdesk/internal/testenv"
	"github.com/rightsdesk/rightsdesk/internal/testsmtp"
)

// slowSender takes d per message, longer than the test's lease.
type slowSender struct {
	d    time.Duration
	sent atomic.Int32
}

func (s *slowSender) Send(ctx context.Context, _ mail.Message, _ mail.Email) error {
	select {
	case <-time.After(s.d):
		s.sent.Add(1)
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// The heartbeat keeps every message of a slow batch leased: no other
// worker claims them, and each goes once.
func TestHeartbeatKeepsTheBatchLeased(t *testing.T) {
	ob := newOutbox(msg(1, "a"), msg(2, "b"), msg(3, "c"))
	// Each send outlasts the lease; the heartbeat has 225 ms of slack, so
	// that a busy machine's scheduling does not let the lease lapse.
	s := &slowSender{d: 300 * time.Millisecond}
	w := mail.NewWorker(ob, renderer{}, s, quiet(), mail.WorkerOptions{Lease: 250 * time.Millisecond, Heartbeat: 25 * time.Millisecond})
	type result struct {
		n   int
		err error
	}
	ran := make(chan result, 1)
	go func() { n, err := w.RunOnce(context.Background()); ran <- result{n, err} }()
	waitUntil(t, "the batch claimed", func() bool { return ob.get(1).sending })
	// Another worker, polling all the while: past the first lease, it finds
	// nothing due.
	stolen := 0
	for end := time.Now().Add(750 * time.Millisecond); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		got, _ := ob.Claim(context.Background(), time.Now(), 10, time.Hour)
		stolen += len(got)
	}
	if r := <-ran; r.err != nil || r.n != 3 {
		t.Fatalf("RunOnce = %d, %v", r.n, r.err)
	}
	if stolen != 0 || s.sent.Load() != 3 {
		t.Fatalf("another worker claimed %d; %d sent", stolen, s.sent.Load())
	}
	if r := ob.get(3); !r.sent || r.extended == 0 {
		t.Fatalf("last message: %+v", r)
	}
}

// stealingSender lets another worker take the message while it is being
// sent, as happens when a lease runs out.
type stealingSender struct {
	ob    *memOutbox
	block bool // wait for the heartbeat to notice, instead of finishing
}

func (s stealingSender) Send(ctx context.Context, _ mail.Message, _ mail.Email) error {
	s.ob.expireLeases()
	if got, _ := s.ob.Claim(context.Background(), time.Now(), 10, time.Hour); len(got) != 1 {
		return nil
	}
	if s.block {
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

// A worker whose lease was taken over records nothing: the row stays with
// the worker that holds it now.
func TestLostLeaseRecordsNothing(t *testing.T) {
	for _, tc := range []struct {
		name  string
		block bool
		while string
	}{
		{"sent after the lease was lost", false, "recording the send"},
		{"heartbeat cancels the send", true, "sending"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ob := newOutbox(msg(1, "message"))
			var buf testenv.Buffer
			log := slog.New(slog.NewJSONHandler(&buf, nil))
			w := mail.NewWorker(ob, renderer{}, stealingSender{ob: ob, block: tc.block}, log,
				mail.WorkerOptions{Lease: 30 * time.Millisecond, Heartbeat: 5 * time.Millisecond})
			done := make(chan error, 1)
			go func() { _, err := w.RunOnce(context.Background()); done <- err }()
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the send was not cancelled when its lease was lost")
			}
			r := ob.get(1)
			if r.sent || r.dead || !r.sending || r.token != "claim-2" || r.m.Attempts != 0 || r.lastError != "" {
				t.Fatalf("the old holder touched the row: %+v", r)
			}
			if !strings.Contains(buf.String(), `"while":"`+tc.while+`"`) {
				t.Fatalf("log: %s", buf.String())
			}
		})
	}
}

type panickyRenderer struct{}

func (panickyRenderer) Render(m mail.Message) (mail.Email, error) {
	if m.Template == "render-panic" {
		var data map[string]string
		data["person@example.org"] = "Zoë" // nil map: a runtime panic
	}
	return renderer{}.Render(m)
}

type panickySender struct{ mail.Sender }

func (s panickySender) Send(ctx context.Context, m mail.Message, e mail.Email) error {
	if m.Template == "send-panic" {
		panic("sender broke on person@example.org")
	}
	return s.Sender.Send(ctx, m, e)
}

// A panic in one message fails that message, with the panic in its row and
// only the id and template in the log; the worker carries on.
func TestWorkerRecoversFromAPanic(t *testing.T) {
	srv := testsmtp.Start(t)
	ob := newOutbox(msg(1, "render-panic"), msg(2, "send-panic"), msg(3, "message"))
	var buf testenv.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	w := mail.NewWorker(ob, panickyRenderer{}, panickySender{newSender(t, srv)}, log, mail.WorkerOptions{Poll: 10 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	srv.WaitFor(t, func(r testsmtp.Received) bool { return strings.Contains(r.Header.Get("Message-Id"), "outbox-3@") }, 5*time.Second)
	ob.add(msg(4, "message")) // still running
	w.Notify()
	srv.WaitFor(t, func(r testsmtp.Received) bool { return strings.Contains(r.Header.Get("Message-Id"), "outbox-4@") }, 5*time.Second)

	for id, want := range map[int64]string{1: "render: panic: assignment to entry in nil map", 2: "send: panic: sender broke on person@example.org"} {
		r := ob.get(id)
		if !r.dead || r.sent || r.m.Attempts != 1 || !strings.HasPrefix(r.lastError, want) || !strings.Contains(r.lastError, "robust_test.go:") {
			t.Errorf("message %d: %+v", id, r)
		}
	}
	logged := buf.String()
	for _, secret := range []string{"person@example.org", "Zoë", "nil map", "broke"} {
		if strings.Contains(logged, secret) {
			t.Errorf("log contains %q:\n%s", secret, logged)
		}
	}
	for _, want := range []string{`"msg":"mail render failed","id":1,"template":"render-panic"`, `"msg":"mail send panicked","id":2,"template":"send-panic"`} {
		if !strings.Contains(logged, want) {
			t.Errorf("log lacks %s:\n%s", want, logged)
		}
	}
}

// An SMTP server that is down delays mail and loses none: every message
// is retried by the running worker and delivered, once, when it is back.
func TestSMTPOutageDelaysAndLosesNothing(t *testing.T) {
	srv := testsmtp.Start(t)
	const n = 12
	ob := newOutbox()
	for id := range int64(n) {
		ob.add(msg(id+1, "message"))
	}
	srv.SetDown(true)
	w := mail.NewWorker(ob, renderer{}, newSender(t, srv), quiet(), mail.WorkerOptions{Poll: 10 * time.Millisecond,
		Batch: 5, Backoff: func(int) time.Duration { return 20 * time.Millisecond }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	waitUntil(t, "every message tried twice while the server is down", func() bool {
		for id := range int64(n) {
			if r := ob.get(id + 1); r.m.Attempts < 2 || r.sent {
				return false
			}
		}
		return true
	})
	if len(srv.Messages()) != 0 {
		t.Fatal("received while down")
	}
	srv.SetDown(false)
	waitUntil(t, "every message sent once the server is back", func() bool {
		for id := range int64(n) {
			if !ob.get(id + 1).sent {
				return false
			}
		}
		return true
	})
	time.Sleep(50 * time.Millisecond) // a few more polls: nothing goes twice
	perID := map[string]int{}
	for _, m := range srv.Messages() {
		perID[m.Header.Get("Message-Id")]++
	}
	for id := range int64(n) {
		if r := ob.get(id + 1); r.dead || perID[mail.MessageID(id+1, "privacy@acme.example")] != 1 {
			t.Errorf("message %d: %+v, received %d times", id+1, r, perID[mail.MessageID(id+1, "privacy@acme.example")])
		}
	}
	if len(srv.Messages()) != n {
		t.Fatalf("%d messages received, want %d", len(srv.Messages()), n)
	}
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
	}
}
