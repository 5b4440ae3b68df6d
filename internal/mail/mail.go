// Package mail sends the outbox: a worker leases queued messages, renders
// them and hands them to a sender (SMTP, or .eml files when no SMTP server
// is configured), retrying with backoff until they go or it gives up.
//
// Leases are short (30s by default) and renewed by a heartbeat while the
// worker holds them, so the messages of a worker that crashed are claimed
// again within about a lease, not minutes later. Each claim carries a
// token, and the outcome of a message is recorded only while its row still
// carries the token of the claim that sent it.
//
// Delivery is at least once, never at most once: a crash (or a lease lost
// while the database was unreachable) between handing a message to the
// server and recording it sends it again. A worker whose lease was lost and
// taken over finishes or abandons its send but records nothing; the new
// holder sends the message too. Every outbox row keeps one Message-ID
// (<rightsdesk-outbox-{id}@{host of From}>) across attempts, so receivers
// and mail clients can recognise the duplicate, and the file sender writes
// one file per Message-ID, so there a resend changes nothing.
package mail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	netmail "net/mail"
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
	Attempts int       // attempts made before this one
	Created  time.Time // when it was queued
	Token    string    // the claim's lease token
}

// Email is a rendered message. HTML is optional ("" = text only);
// FromName is the sender's display name (the organization's name) and
// ReplyTo where replies go (the privacy contact), both optional.
type Email struct{ Subject, Text, HTML, FromName, ReplyTo string }

// Outbox is the durable queue (implemented by models).
type Outbox interface {
	// Claim leases up to limit due messages (pending, or sending with a
	// lease that ran out; next_attempt_at <= now) until now+lease under a
	// fresh token, so no other worker takes them.
	Claim(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]Message, error)
	// Extend renews the lease of a message still sending under token.
	// It, MarkSent and MarkFailed return ErrLeaseLost when the row no
	// longer carries token: another worker claimed it, or it is done.
	Extend(ctx context.Context, id int64, token string, until time.Time) error
	MarkSent(ctx context.Context, id int64, token string, now time.Time) error
	// MarkFailed records a failed attempt; dead=true gives up for good.
	MarkFailed(ctx context.Context, id int64, token string, now, next time.Time, errMsg string, dead bool) error
}

// ErrLeaseLost: the message is no longer this worker's to record.
var ErrLeaseLost = errors.New("mail: outbox lease lost")

// Renderer turns a message into its subject and body.
type Renderer interface {
	Render(m Message) (Email, error)
}

// Sender delivers one rendered message.
type Sender interface {
	Send(ctx context.Context, m Message, e Email) error
}

// MessageID is the Message-ID header value (with angle brackets) of an
// outbox message: the same on every attempt.
func MessageID(id int64, from string) string {
	host := "rightsdesk.local"
	if a, err := netmail.ParseAddress(from); err == nil {
		if at := strings.LastIndexByte(a.Address, '@'); at >= 0 && at+1 < len(a.Address) {
			host = a.Address[at+1:]
		}
	}
	return fmt.Sprintf("<rightsdesk-outbox-%d@%s>", id, host)
}

// checkFrom validates the configured sender address once, at start-up,
// rather than on every message.
func checkFrom(from string) error {
	if _, err := netmail.ParseAddress(from); err != nil {
		return fmt.Errorf("mail from address %q: %w", from, err)
	}
	return nil
}

// build makes the RFC 5322 message both senders deliver.
func build(from string, m Message, e Email) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if e.FromName != "" {
		if err := msg.FromFormat(e.FromName, from); err != nil {
			return nil, fmt.Errorf("from address: %w", err)
		}
	} else if err := msg.From(from); err != nil {
		return nil, fmt.Errorf("from address: %w", err)
	}
	if e.ReplyTo != "" {
		if err := msg.ReplyTo(e.ReplyTo); err != nil {
			return nil, fmt.Errorf("reply-to address: %w", err)
		}
	}
	if err := msg.To(m.To); err != nil {
		// The error quotes the address; the worker does not log it.
		return nil, fmt.Errorf("recipient address: %w", err)
	}
	msg.Subject(e.Subject)
	msg.SetMessageIDWithValue(strings.Trim(MessageID(m.ID, from), "<>")) // go-mail adds the brackets
	msg.SetDate()
	msg.SetBodyString(gomail.TypeTextPlain, e.Text)
	if e.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, e.HTML)
	}
	return msg, nil
}

// Expirer is a sender that keeps copies of what it sent (the file sender)
// and deletes those older than its retention; the worker calls Expire at
// start and then periodically.
type Expirer interface {
	Expire(now time.Time) (deleted int, err error)
}
