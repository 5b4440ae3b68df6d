// Package mail sends the outbox: a worker leases queued messages, renders
// them and hands them to a sender (SMTP, or .eml files when no SMTP server
// is configured), retrying with backoff until they go or give up.
//
// Delivery is at least once: a crash between sending and recording the send
// sends the message again, with the same Message-ID, so receivers can tell.
package mail

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Message is one queued mail as the outbox stores it.
type Message struct {
	ID       int64
	To       string
	Template string          // e.g. "verify_email", "status_changed"
	Data     json.RawMessage // template parameters
	Lang     string
	Attempts int // attempts made before this one
}

// Email is a rendered message.
type Email struct{ Subject, Text, HTML string } // HTML optional

// Outbox is the durable queue (implemented by models).
type Outbox interface {
	// Claim leases up to limit due messages until now+lease, so no other
	// worker takes them.
	Claim(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]Message, error)
	MarkSent(ctx context.Context, id int64, now time.Time) error
	// MarkFailed records a failed attempt; dead=true gives up for good.
	MarkFailed(ctx context.Context, id int64, now, next time.Time, errMsg string, dead bool) error
}

// Renderer turns a message into its subject and body.
type Renderer interface {
	Render(m Message) (Email, error)
}

// Sender delivers one rendered message.
type Sender interface {
	Send(ctx context.Context, m Message, e Email) error
}

// WorkerOptions tune the worker; zero values take the defaults.
type WorkerOptions struct {
	Poll        time.Duration                   // default 2s
	Batch       int                             // default 20
	Lease       time.Duration                   // default 5m
	MaxAttempts int                             // default 12 (about a day and a half of retries)
	Backoff     func(attempt int) time.Duration // default 30s·2^n with jitter, at most 6h
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

// NewWorker returns a worker; call Run to start it.
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

// Backoff is 30s·2^attempt with ±20% jitter, at most six hours.
func Backoff(attempt int) time.Duration {
	d := 30 * time.Second << min(attempt, 10)
	if d > 6*time.Hour {
		d = 6 * time.Hour
	}
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// Notify wakes the worker at once (after a transaction queued mail).
func (w *Worker) Notify() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run sends until ctx ends.
func (w *Worker) Run(ctx context.Context) {
	t := time.NewTicker(w.opt.Poll)
	defer t.Stop()
	for {
		for {
			n, err := w.RunOnce(ctx)
			if err != nil && ctx.Err() == nil {
				w.log.Error("mail outbox", "err", err)
			}
			if n < w.opt.Batch || err != nil {
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

// RunOnce processes one batch and returns how many messages it handled.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	msgs, err := w.outbox.Claim(ctx, time.Now().UTC(), w.opt.Batch, w.opt.Lease)
	if err != nil {
		return 0, err
	}
	for _, m := range msgs {
		if err := w.deliver(ctx, m); err != nil {
			return len(msgs), err
		}
	}
	return len(msgs), nil
}

func (w *Worker) deliver(ctx context.Context, m Message) error {
	now := time.Now().UTC()
	e, err := w.renderer.Render(m)
	if err != nil {
		// A message that cannot be rendered never will be.
		w.log.Error("mail render failed", "id", m.ID, "template", m.Template, "err", err)
		return w.outbox.MarkFailed(ctx, m.ID, now, now, "render: "+err.Error(), true)
	}
	sendCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	err = w.sender.Send(sendCtx, m, e)
	cancel()
	if err == nil {
		w.log.Info("mail sent", "id", m.ID, "template", m.Template, "attempt", m.Attempts+1)
		return w.outbox.MarkSent(ctx, m.ID, time.Now().UTC())
	}
	attempt := m.Attempts + 1
	dead := attempt >= w.opt.MaxAttempts
	// The error text of an SMTP server can quote the recipient: log only
	// the id, the template and the attempt.
	w.log.Warn("mail send failed", "id", m.ID, "template", m.Template, "attempt", attempt, "gave_up", dead)
	return w.outbox.MarkFailed(ctx, m.ID, now, now.Add(w.opt.Backoff(attempt)), err.Error(), dead)
}

// messageID is stable per outbox message, so a resend can be recognised.
func messageID(id int64, from string) string {
	host := "rightsdesk.local"
	if at := strings.LastIndexByte(from, '@'); at >= 0 && at+1 < len(from) {
		host = strings.Trim(from[at+1:], "<> ")
	}
	return fmt.Sprintf("rightsdesk-outbox-%d@%s", id, host)
}

func build(from string, m Message, e Email) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	if err := msg.From(from); err != nil {
		return nil, fmt.Errorf("from address: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("recipient address: %w", err)
	}
	msg.Subject(e.Subject)
	msg.SetMessageIDWithValue(messageID(m.ID, from))
	msg.SetDate()
	msg.SetBodyString(gomail.TypeTextPlain, e.Text)
	if e.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, e.HTML)
	}
	return msg, nil
}

// SMTPSender sends over SMTP.
type SMTPSender struct {
	from   string
	host   string
	opts   []gomail.Option
	client func() (*gomail.Client, error)
}

// NewSenderFromURL builds an SMTP sender from smtp://user:pass@host:port
// (STARTTLS when the server offers it; port 587 by default) or
// smtps://user:pass@host:port (implicit TLS; port 465). ?tls=none turns TLS
// off for a local relay; ?insecure_skip_verify=true accepts any certificate.
func NewSenderFromURL(raw, from string) (*SMTPSender, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("RIGHTSDESK_SMTP_URL: %w", err)
	}
	if u.Hostname() == "" {
		return nil, errors.New("RIGHTSDESK_SMTP_URL needs a host, like smtp://user:pass@mail.example.com:587")
	}
	q := u.Query()
	tlsConf := &tls.Config{ServerName: u.Hostname(), MinVersion: tls.VersionTLS12,
		InsecureSkipVerify: q.Get("insecure_skip_verify") == "true"} //nolint:gosec // opt-in, for test relays
	opts := []gomail.Option{gomail.WithTimeout(30 * time.Second), gomail.WithTLSConfig(tlsConf)}
	port := u.Port()
	switch u.Scheme {
	case "smtp":
		if port == "" {
			port = "587"
		}
		policy := gomail.TLSOpportunistic
		if q.Get("tls") == "none" {
			policy = gomail.NoTLS
		}
		opts = append(opts, gomail.WithTLSPolicy(policy))
	case "smtps":
		if port == "" {
			port = "465"
		}
		opts = append(opts, gomail.WithSSL())
	default:
		return nil, fmt.Errorf("RIGHTSDESK_SMTP_URL must start with smtp:// or smtps://, not %q", u.Scheme+"://")
	}
	p, err := strconv.Atoi(port)
	if err != nil || p <= 0 || p > 65535 {
		return nil, fmt.Errorf("RIGHTSDESK_SMTP_URL: bad port %q", port)
	}
	opts = append(opts, gomail.WithPort(p))
	if user := u.User.Username(); user != "" {
		pass, _ := u.User.Password()
		// The strongest mechanism the server offers; on a plain connection
		// (tls=none, local relays only) discovery offers nothing, so PLAIN.
		auth := gomail.SMTPAuthAutoDiscover
		if q.Get("tls") == "none" {
			auth = gomail.SMTPAuthPlain
		}
		opts = append(opts, gomail.WithSMTPAuth(auth), gomail.WithUsername(user), gomail.WithPassword(pass))
	}
	s := &SMTPSender{from: from, host: u.Hostname(), opts: opts}
	s.client = func() (*gomail.Client, error) { return gomail.NewClient(s.host, s.opts...) }
	if _, err := s.client(); err != nil {
		return nil, fmt.Errorf("RIGHTSDESK_SMTP_URL: %w", err)
	}
	return s, nil
}

// Send delivers one message over a fresh connection.
func (s *SMTPSender) Send(ctx context.Context, m Message, e Email) error {
	msg, err := build(s.from, m, e)
	if err != nil {
		return err
	}
	c, err := s.client()
	if err != nil {
		return err
	}
	return c.DialAndSendWithContext(ctx, msg)
}

// FileSender writes each message as an RFC 5322 .eml file: mail for a
// machine with no SMTP server, readable in any mail program.
type FileSender struct {
	dir  string
	from string
	log  *slog.Logger
}

// NewFileSender writes into dir, creating it.
func NewFileSender(dir, from string, log *slog.Logger) (*FileSender, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return &FileSender{dir: dir, from: from, log: log}, nil
}

// Send writes the message file and logs where.
func (f *FileSender) Send(_ context.Context, m Message, e Email) error {
	msg, err := build(f.from, m, e)
	if err != nil {
		return err
	}
	name := filepath.Join(f.dir, fmt.Sprintf("%s-%d.eml", time.Now().UTC().Format("20060102T150405"), m.ID))
	out, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := msg.WriteTo(out); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	// Subjects carry no personal data by design; the recipient is not logged.
	f.log.Info("mail written", "id", m.ID, "template", m.Template, "subject", e.Subject, "file", name)
	return nil
}
