// Package webhook delivers outgoing HTTP calls from a durable queue: Data
// Rights Protocol status callbacks, fulfilment tasks and privacy-choice
// changes, each signed. A call is queued in the transaction that causes
// it (models/httpjob.go), so a crash loses nothing; a worker on each
// instance claims due calls (one claim at a time across instances, under
// a lease, so each call is worked by one instance), sends each one and records
// the outcome while its lease still holds, and retries failures with
// exponential backoff until they succeed or it gives up.
//
// Delivery is at least once: a crash between the receiver's answer and
// the record of it sends the call again. Receivers recognise a repeat by
// the Idempotency-Key header, which is the same on every attempt.
package webhook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Job is one queued call.
type Job struct {
	ID       int64
	Kind     string // e.g. "drp_status"
	Method   string
	URL      string
	Header   http.Header
	Body     []byte
	Attempts int    // attempts made before this one
	Token    string // the claim's lease token
}

// Queue is the durable table of calls (implemented by models).
type Queue interface {
	// Claim leases up to limit due calls until now+lease under a fresh token.
	Claim(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]Job, error)
	// MarkSent records a call the receiver accepted (2xx).
	MarkSent(ctx context.Context, id int64, token string, now time.Time, status int) error
	// MarkFailed records a failed attempt; dead=true gives up for good.
	MarkFailed(ctx context.Context, id int64, token string, now, next time.Time, status int, errMsg string, dead bool) error
}

// ErrLeaseLost: the call is no longer this worker's to record (another
// claimed it after the lease ran out).
var ErrLeaseLost = errors.New("webhook: lease lost")

// Options tune the worker; zero values take the defaults.
type Options struct {
	Poll        time.Duration                   // default 2s
	Batch       int                             // default 10
	Timeout     time.Duration                   // default 10s per call
	MaxAttempts int                             // default 15 (about two days with Backoff)
	Backoff     func(attempt int) time.Duration // default Backoff; attempt counts from 1
	// AllowPrivate lets calls reach loopback and private addresses (tests,
	// receivers on the same network). Off by default: an agent's callback
	// URL must not become a way into the organization's own network.
	AllowPrivate bool
	UserAgent    string
	// Outage reports whether an error of the queue means the database is
	// down (logged once by its owner, not on every poll).
	Outage func(error) bool
}

// Worker sends what the queue holds.
type Worker struct {
	q      Queue
	log    *slog.Logger
	opt    Options
	client *http.Client
	wake   chan struct{}
}

// NewWorker returns a worker; call Run to start it.
func NewWorker(q Queue, log *slog.Logger, opt Options) *Worker {
	if opt.Poll <= 0 {
		opt.Poll = 2 * time.Second
	}
	if opt.Batch <= 0 {
		opt.Batch = 10
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 10 * time.Second
	}
	if opt.MaxAttempts <= 0 {
		opt.MaxAttempts = 15
	}
	if opt.Backoff == nil {
		opt.Backoff = Backoff
	}
	if opt.UserAgent == "" {
		opt.UserAgent = "Rightsdesk"
	}
	if opt.Outage == nil {
		opt.Outage = func(error) bool { return false }
	}
	dialer := &net.Dialer{Timeout: opt.Timeout}
	if !opt.AllowPrivate {
		dialer.Control = refusePrivate
	}
	transport := &http.Transport{DialContext: dialer.DialContext, TLSHandshakeTimeout: opt.Timeout,
		ResponseHeaderTimeout: opt.Timeout, MaxIdleConnsPerHost: 2, IdleConnTimeout: time.Minute}
	client := &http.Client{Transport: transport, Timeout: opt.Timeout,
		// A redirect is an answer, not a delivery: the receiver must
		// give the address that works.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &Worker{q: q, log: log, opt: opt, client: client, wake: make(chan struct{}, 1)}
}

// ErrPrivateAddress: the call's host resolves to an address the worker
// may not reach.
var ErrPrivateAddress = errors.New("webhook: the address is loopback, private or otherwise internal")

// RefusePrivate is the dialer control that keeps an outgoing call off
// loopback, private and other internal addresses (see
// Options.AllowPrivate). The records lookup of identity verification
// (internal/lookup) dials through it too.
func RefusePrivate(network, address string, c syscall.RawConn) error {
	return refusePrivate(network, address, c)
}

// refusePrivate refuses connections to loopback, private, link-local,
// multicast and unspecified addresses, after name resolution (so a public
// name pointing inside is refused too).
func refusePrivate(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip := net.ParseIP(host)
	if ip == nil || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsMulticast() || ip.IsUnspecified() || ip.IsInterfaceLocalMulticast() {
		return ErrPrivateAddress
	}
	return nil
}

// Backoff is the wait after a failed attempt (counting from 1): 15s·2^n
// with ±20% jitter, at most six hours.
func Backoff(attempt int) time.Duration {
	d := 15 * time.Second << min(max(attempt, 0), 12)
	d = time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
	return min(d, 6*time.Hour)
}

// Notify wakes the worker at once (after a transaction queued a call).
func (w *Worker) Notify() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run sends until ctx ends: every poll, on Notify, and again at once while
// batches come back full.
func (w *Worker) Run(ctx context.Context) {
	t := time.NewTicker(w.opt.Poll)
	defer t.Stop()
	for {
		for ctx.Err() == nil {
			claimed, _, err := w.safeBatch(ctx)
			if err != nil && ctx.Err() == nil && !w.opt.Outage(err) {
				w.log.Error("http jobs", "err", err)
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

// RunOnce works one batch and returns how many calls were delivered.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	_, sent, err := w.safeBatch(ctx)
	return sent, err
}

func (w *Worker) safeBatch(ctx context.Context) (claimed, sent int, err error) {
	defer func() {
		if r := recover(); r != nil {
			w.log.Error("http job worker recovered from a panic")
			err = errors.New("webhook: panic")
		}
	}()
	return w.batch(ctx)
}

func (w *Worker) batch(ctx context.Context) (claimed, sent int, err error) {
	start := time.Now()
	// Calls are sent one after another, each bounded by the timeout: the
	// lease covers the whole batch.
	lease := time.Duration(w.opt.Batch)*w.opt.Timeout + 30*time.Second
	jobs, err := w.q.Claim(ctx, start.UTC(), w.opt.Batch, lease)
	if err != nil || len(jobs) == 0 {
		return 0, 0, err
	}
	var errs []error
	for _, j := range jobs {
		if ctx.Err() != nil {
			break
		}
		ok, err := w.deliver(ctx, j)
		if ok {
			sent++
		}
		errs = append(errs, err)
	}
	return len(jobs), sent, errors.Join(errs...)
}

// deliver sends one call and records the outcome. Log lines carry the id,
// kind, attempt and status: never the URL (it may hold a secret) nor the
// body (it may hold personal data).
func (w *Worker) deliver(ctx context.Context, j Job) (bool, error) {
	attempt := j.Attempts + 1
	record, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	status, err := w.send(ctx, j)
	now := time.Now().UTC()
	if err == nil {
		w.log.Info("http job delivered", "id", j.ID, "kind", j.Kind, "attempt", attempt, "status", status)
		if err := w.q.MarkSent(record, j.ID, j.Token, now, status); err != nil && !errors.Is(err, ErrLeaseLost) {
			return true, err
		}
		return true, nil
	}
	if ctx.Err() != nil {
		return false, nil // our own shutdown: claimed again when the lease ends
	}
	dead := attempt >= w.opt.MaxAttempts
	next := now.Add(w.opt.Backoff(attempt))
	w.log.Warn("http job failed", "id", j.ID, "kind", j.Kind, "attempt", attempt, "status", status,
		"class", errClass(err), "gave_up", dead)
	msg := err.Error()
	if len(msg) > 500 {
		msg = strings.ToValidUTF8(msg[:500], "")
	}
	if err := w.q.MarkFailed(record, j.ID, j.Token, now, next, status, msg, dead); err != nil && !errors.Is(err, ErrLeaseLost) {
		return false, err
	}
	return false, nil
}

// send makes the call; a 2xx answer is a delivery.
func (w *Worker) send(ctx context.Context, j Job) (int, error) {
	sctx, cancel := context.WithTimeout(ctx, w.opt.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(sctx, j.Method, j.URL, strings.NewReader(string(j.Body)))
	if err != nil {
		return 0, err
	}
	for k, vs := range j.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("User-Agent", w.opt.UserAgent)
	req.Header.Set("Idempotency-Key", "rightsdesk-http-"+strconv.FormatInt(j.ID, 10))
	resp, err := w.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // the answer's body is not read
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("webhook: the receiver answered %d", resp.StatusCode)
	}
	return resp.StatusCode, nil
}

func errClass(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, ErrPrivateAddress):
		return "refused-address"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.As(err, &ne):
		if ne.Timeout() {
			return "timeout"
		}
		return "network"
	case strings.Contains(err.Error(), "answered"):
		return "status"
	}
	return "other"
}
