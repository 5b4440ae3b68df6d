package mail

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// WorkerOptions tune the worker; zero values take the defaults.
type WorkerOptions struct {
	Poll        time.Duration                   // default 2s
	Batch       int                             // default 20
	Lease       time.Duration                   // default 5m
	MaxAttempts int                             // default 12 (about 20 hours of retries with Backoff)
	Backoff     func(attempt int) time.Duration // default Backoff; attempt counts from 1
}

// Worker sends what the outbox holds.
type Worker struct {
	outbox   Outbox
	renderer Renderer
	sender   Sender
	log      *slog.Logger
	opt      WorkerOptions
	wake     chan struct{}
}

// NewWorker returns a worker; call Run to start it. The sender carries the
// From address.
func NewWorker(o Outbox, r Renderer, s Sender, log *slog.Logger, opt WorkerOptions) *Worker {
	if opt.Poll <= 0 {
		opt.Poll = 2 * time.Second
	}
	if opt.Batch <= 0 {
		opt.Batch = 20
	}
	if opt.Lease <= 0 {
		opt.Lease = 5 * time.Minute
	}
	if opt.MaxAttempts <= 0 {
		opt.MaxAttempts = 12
	}
	if opt.Backoff == nil {
		opt.Backoff = Backoff
	}
	return &Worker{outbox: o, renderer: r, sender: s, log: log, opt: opt, wake: make(chan struct{}, 1)}
}

// Backoff is the wait after a failed attempt (counting from 1):
// 30s·2^attempt with ±20% jitter, so that many messages failing together do
// not retry together, and never more than six hours.
func Backoff(attempt int) time.Duration {
	d := 30 * time.Second << min(max(attempt, 0), 10)
	d = time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
	return min(d, 6*time.Hour)
}

// Notify wakes the worker at once, without blocking (call it after a
// transaction queued mail).
func (w *Worker) Notify() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run sends until ctx ends: every poll interval, on Notify, and again at
// once while batches come back full.
func (w *Worker) Run(ctx context.Context) {
	t := time.NewTicker(w.opt.Poll)
	defer t.Stop()
	for {
		for ctx.Err() == nil {
			claimed, _, err := w.batch(ctx)
			if err != nil && ctx.Err() == nil {
				w.log.Error("mail outbox", "err", err)
			}
			if claimed < w.opt.Batch || err != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-w.wake:
		}
	}
}

// RunOnce processes one batch and returns how many messages it sent.
func (w *Worker) RunOnce(ctx context.Context) (sent int, err error) {
	_, sent, err = w.batch(ctx)
	return sent, err
}

func (w *Worker) batch(ctx context.Context) (claimed, sent int, err error) {
	start := time.Now()
	msgs, err := w.outbox.Claim(ctx, start.UTC(), w.opt.Batch, w.opt.Lease)
	if err != nil {
		return 0, 0, err
	}
	// A message must be done before its lease runs out, or another worker
	// may claim and send it too. Messages left over keep their lease and
	// are claimed again once it ends.
	leaseEnd := start.Add(w.opt.Lease)
	timeout := min(time.Minute, w.opt.Lease/2)
	var errs []error
	for i, m := range msgs {
		if ctx.Err() != nil || (i > 0 && time.Until(leaseEnd) < timeout) {
			break
		}
		ok, err := w.deliver(ctx, m, timeout)
		if ok {
			sent++
		}
		errs = append(errs, err)
	}
	return len(msgs), sent, errors.Join(errs...)
}

// deliver renders and sends one message and records the outcome.
// Log lines carry the id, template, attempt and error class only: the
// recipient, the content and SMTP error texts (which can quote the
// recipient) stay out of the log.
func (w *Worker) deliver(ctx context.Context, m Message, timeout time.Duration) (sent bool, err error) {
	attempt := m.Attempts + 1
	// Record outcomes even when shutdown has begun, so that a message
	// already sent is not sent again.
	record, cancelRecord := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancelRecord()

	e, err := w.renderer.Render(m)
	if err != nil {
		// A message that cannot be rendered never will be.
		w.log.Error("mail render failed", "id", m.ID, "template", m.Template, "attempt", attempt, "err", err)
		now := time.Now().UTC()
		return false, w.outbox.MarkFailed(record, m.ID, now, now, "render: "+err.Error(), true)
	}

	sendCtx, cancel := context.WithTimeout(ctx, timeout)
	err = w.sender.Send(sendCtx, m, e)
	cancel()
	now := time.Now().UTC()
	if err == nil {
		w.log.Info("mail sent", "id", m.ID, "template", m.Template, "attempt", attempt)
		return true, w.outbox.MarkSent(record, m.ID, now)
	}
	if ctx.Err() != nil {
		// Stopped by our own shutdown, not the server's fault: no attempt is
		// counted, and the message is claimed again when its lease ends.
		return false, ctx.Err()
	}
	dead := attempt >= w.opt.MaxAttempts
	next := now.Add(w.opt.Backoff(attempt))
	attrs := []any{"id", m.ID, "template", m.Template, "attempt", attempt, "class", errClass(err), "gave_up", dead}
	var se *gomail.SendError
	if errors.As(err, &se) && se.ErrorCode() > 0 {
		attrs = append(attrs, "smtp_code", se.ErrorCode())
	}
	if !dead {
		attrs = append(attrs, "retry_at", next)
	}
	w.log.Warn("mail send failed", attrs...)
	// The full error goes to the outbox row, for the operator.
	return false, w.outbox.MarkFailed(record, m.ID, now, next, err.Error(), dead)
}

// errClass names the kind of a send failure for the log.
func errClass(err error) string {
	var se *gomail.SendError
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.As(err, &se):
		if se.IsTemp() {
			return "smtp-temporary"
		}
		return "smtp-permanent"
	case errors.As(err, &ne):
		if ne.Timeout() {
			return "timeout"
		}
		return "network"
	}
	return "other"
}
