package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"runtime"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// WorkerOptions tune the worker; zero values take the defaults.
type WorkerOptions struct {
	Poll        time.Duration                   // default 2s
	Batch       int                             // default 20
	Lease       time.Duration                   // default 30s: how long a crashed worker's messages wait
	Heartbeat   time.Duration                   // default Lease/3: how often held leases are renewed
	SendTimeout time.Duration                   // default 1m, per message
	MaxAttempts int                             // default 12 (about 20 hours of retries with Backoff)
	Backoff     func(attempt int) time.Duration // default Backoff; attempt counts from 1
	ExpireEvery time.Duration                   // default 1h: how often an Expirer sender drops old copies
	// Outage reports an error of the outbox and says whether it means the
	// database is down, which the outbox's owner logs once per outage;
	// the worker then does not log it on every poll. Default: never.
	Outage func(error) bool
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
		opt.Lease = 30 * time.Second
	}
	if opt.Heartbeat <= 0 || opt.Heartbeat >= opt.Lease {
		opt.Heartbeat = opt.Lease / 3
	}
	if opt.SendTimeout <= 0 {
		opt.SendTimeout = time.Minute
	}
	if opt.MaxAttempts <= 0 {
		opt.MaxAttempts = 12
	}
	if opt.Backoff == nil {
		opt.Backoff = Backoff
	}
	if opt.ExpireEvery <= 0 {
		opt.ExpireEvery = time.Hour
	}
	if opt.Outage == nil {
		opt.Outage = func(error) bool { return false }
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
// once while batches come back full. A sender that is an Expirer drops its
// old copies at start and every ExpireEvery.
func (w *Worker) Run(ctx context.Context) {
	t := time.NewTicker(w.opt.Poll)
	defer t.Stop()
	var expire <-chan time.Time
	e, isExpirer := w.sender.(Expirer)
	if isExpirer {
		w.expire(e)
		et := time.NewTicker(w.opt.ExpireEvery)
		defer et.Stop()
		expire = et.C
	}
	for {
		for ctx.Err() == nil {
			claimed, err := w.safeBatch(ctx)
			if err != nil && ctx.Err() == nil && !w.opt.Outage(err) {
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
		case <-expire:
			w.expire(e)
		}
	}
}

// safeBatch keeps Run alive through a panic outside any one message (those
// are caught in deliver); what the batch held comes back when its leases end.
func (w *Worker) safeBatch(ctx context.Context) (claimed int, err error) {
	defer func() {
		if r := recover(); r != nil {
			// The value may quote a recipient: log where, not what.
			w.log.Error("mail worker recovered from a panic", "at", panicSite())
			err = errors.New("mail worker: panic")
		}
	}()
	claimed, _, err = w.batch(ctx)
	return claimed, err
}

func (w *Worker) expire(e Expirer) {
	n, err := e.Expire(time.Now())
	if err != nil {
		w.log.Error("mail expiry", "err", err)
	} else if n > 0 {
		w.log.Info("old mail files deleted", "count", n)
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
	if err != nil || len(msgs) == 0 {
		return 0, 0, err
	}
	l := w.hold(ctx, msgs, start.Add(w.opt.Lease))
	defer l.stop()
	var errs []error
	for _, m := range msgs {
		if ctx.Err() != nil {
			break
		}
		mctx, ok := l.start(ctx, m.ID)
		if !ok {
			continue // lease lost or ended: whoever claims it next sends it
		}
		ok, err := w.deliver(ctx, mctx, m)
		l.finish(m.ID)
		if ok {
			sent++
		}
		errs = append(errs, err)
	}
	if sc, ok := w.outbox.(Scrubber); ok && sent > 0 {
		errs = append(errs, sc.Scrub(ctx))
	}
	return len(msgs), sent, errors.Join(errs...)
}

// Scrubber is an outbox that can wipe what sent messages left behind on
// disk (codes and links in old copies of database pages); the worker calls
// it after a batch that sent something.
type Scrubber interface {
	Scrub(ctx context.Context) error
}

// leases keeps a batch's messages claimed while it is worked through: a
// heartbeat renews every lease still held, and cancels the send under way
// when its lease is lost, since another worker may be sending it now.
type leases struct {
	w      *Worker
	mu     sync.Mutex
	held   map[int64]lease // messages not yet done
	cur    int64
	cancel context.CancelCauseFunc
	quit   chan struct{}
	done   chan struct{}
}

type lease struct {
	token string
	until time.Time
}

func (w *Worker) hold(ctx context.Context, msgs []Message, until time.Time) *leases {
	l := &leases{w: w, held: map[int64]lease{}, quit: make(chan struct{}), done: make(chan struct{})}
	for _, m := range msgs {
		l.held[m.ID] = lease{token: m.Token, until: until}
	}
	go l.heartbeat(ctx)
	return l
}

func (l *leases) heartbeat(ctx context.Context) {
	defer close(l.done)
	t := time.NewTicker(l.w.opt.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-l.quit:
			return
		case <-ctx.Done():
			return
		case <-t.C:
			l.renew(ctx)
		}
	}
}

func (l *leases) renew(ctx context.Context) {
	defer func() {
		if r := recover(); r != nil {
			l.w.log.Error("mail lease renewal recovered from a panic", "at", panicSite())
		}
	}()
	l.mu.Lock()
	held := make(map[int64]lease, len(l.held))
	for id, h := range l.held {
		held[id] = h
	}
	l.mu.Unlock()
	for id, h := range held {
		until := time.Now().Add(l.w.opt.Lease)
		rctx, cancel := context.WithTimeout(ctx, l.w.opt.Heartbeat)
		err := l.w.outbox.Extend(rctx, id, h.token, until.UTC())
		cancel()
		switch {
		case err == nil:
			l.mu.Lock()
			if _, ok := l.held[id]; ok {
				l.held[id] = lease{token: h.token, until: until}
			}
			l.mu.Unlock()
		case errors.Is(err, ErrLeaseLost):
			l.lose(id)
		case ctx.Err() != nil:
			return
		default:
			if !l.w.opt.Outage(err) {
				l.w.log.Warn("mail lease renewal failed", "id", id, "err", err)
			}
			if !time.Now().Before(h.until) {
				l.lose(id) // ran out: another worker may claim it now
			}
		}
	}
}

// start makes id the message being sent and returns its context, or false
// when its lease is lost or over.
func (l *leases) start(ctx context.Context, id int64) (context.Context, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	h, ok := l.held[id]
	if !ok || !time.Now().Before(h.until) {
		delete(l.held, id)
		return nil, false
	}
	mctx, cancel := context.WithCancelCause(ctx)
	l.cur, l.cancel = id, cancel
	return mctx, true
}

func (l *leases) finish(id int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.held, id)
	if l.cur == id {
		l.cancel(nil)
		l.cur, l.cancel = 0, nil
	}
}

func (l *leases) lose(id int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.held, id)
	if l.cur == id {
		l.cancel(ErrLeaseLost)
	}
}

func (l *leases) stop() {
	close(l.quit)
	<-l.done
}

// deliver renders and sends one message and records the outcome. ctx is
// the worker's, mctx the message's (cancelled too when its lease is lost).
// Log lines carry the id, template, attempt and error class only: the
// recipient, the content and SMTP error texts (which can quote the
// recipient) stay out of the log.
func (w *Worker) deliver(ctx, mctx context.Context, m Message) (sent bool, err error) {
	attempt := m.Attempts + 1
	// Record outcomes even when shutdown has begun, so that a message
	// already sent is not sent again.
	record, cancelRecord := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancelRecord()
	lost := func(while string) {
		w.log.Warn("mail lease lost: another worker has the message", "id", m.ID, "template", m.Template,
			"attempt", attempt, "while", while)
	}

	var e Email
	err = recovered(func() (err error) { e, err = w.renderer.Render(m); return err })
	if err != nil {
		// A message that cannot be rendered never will be.
		detail := []any{"err", err}
		if isPanic(err) {
			detail = []any{"panic", true} // its text may quote the message's data
		}
		w.log.Error("mail render failed", append([]any{"id", m.ID, "template", m.Template, "attempt", attempt}, detail...)...)
		now := time.Now().UTC()
		err = w.outbox.MarkFailed(record, m.ID, m.Token, now, now, "render: "+err.Error(), true)
		if errors.Is(err, ErrLeaseLost) {
			lost("recording the failure")
			return false, nil
		}
		return false, err
	}

	sendCtx, cancel := context.WithTimeout(mctx, w.opt.SendTimeout)
	err = recovered(func() error { return w.sender.Send(sendCtx, m, e) })
	cancel()
	now := time.Now().UTC()
	if err == nil {
		w.log.Info("mail sent", "id", m.ID, "template", m.Template, "attempt", attempt)
		err = w.outbox.MarkSent(record, m.ID, m.Token, now)
		if errors.Is(err, ErrLeaseLost) {
			lost("recording the send") // sent all the same; the new holder sends it again
			return true, nil
		}
		return err == nil, err
	}
	var pe *panicError
	switch {
	case errors.As(err, &pe):
		// A bug, not an outage: retrying may panic again, or resend what
		// went out before the panic.
		w.log.Error("mail send panicked", "id", m.ID, "template", m.Template, "attempt", attempt)
		err = w.outbox.MarkFailed(record, m.ID, m.Token, now, now, "send: "+err.Error(), true)
		if errors.Is(err, ErrLeaseLost) {
			lost("recording the failure")
			return false, nil
		}
		return false, err
	case ctx.Err() != nil:
		// Stopped by our own shutdown, not the server's fault: no attempt is
		// counted, and the message is claimed again when its lease ends.
		return false, ctx.Err()
	case errors.Is(context.Cause(mctx), ErrLeaseLost):
		lost("sending")
		return false, nil
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
	err = w.outbox.MarkFailed(record, m.ID, m.Token, now, next, err.Error(), dead)
	if errors.Is(err, ErrLeaseLost) {
		lost("recording the failure")
		return false, nil
	}
	return false, err
}

// panicError is a panic turned into an error, for the outbox row.
type panicError struct{ msg string }

func (p *panicError) Error() string { return p.msg }

// recovered runs f, turning a panic into an error that says what and where.
func recovered(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &panicError{fmt.Sprintf("panic: %v (at %s)", r, panicSite())}
		}
	}()
	return f()
}

func isPanic(err error) bool {
	var pe *panicError
	return errors.As(err, &pe)
}

// panicSite is the file:line that panicked, from inside a deferred recover.
func panicSite() string {
	pcs := make([]uintptr, 32)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(3, pcs)])
	for {
		f, more := frames.Next()
		if !strings.HasPrefix(f.Function, "runtime.") {
			return fmt.Sprintf("%s:%d", f.File, f.Line)
		}
		if !more {
			return "unknown"
		}
	}
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
