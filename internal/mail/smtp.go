package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// SMTPSender sends over SMTP, one connection per message.
type SMTPSender struct {
	from string
	host string
	opts []gomail.Option
}

// NewSenderFromURL builds an SMTP sender from RIGHTSDESK_SMTP_URL:
//
//	smtp://user:pass@host:port   STARTTLS when the server offers it; port 587 by default
//	smtps://user:pass@host:port  implicit TLS; port 465 by default
//
// Query parameters: tls=required refuses a server without STARTTLS;
// tls=none turns TLS off (local relays and tests); insecure_skip_verify=true
// accepts any certificate (self-signed test servers). With a user name the
// sender authenticates with the strongest mechanism the server offers over
// TLS — never PLAIN or LOGIN in the clear, unless tls=none says so.
// Errors never repeat the password.
func NewSenderFromURL(rawURL, from string) (Sender, error) {
	const name = "RIGHTSDESK_SMTP_URL"
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Error quotes the whole URL, password included: keep only the reason.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("%s is not a valid URL: %w", name, err)
	}
	var port int
	switch u.Scheme {
	case "smtp":
		port = 587
	case "smtps":
		port = 465
	default:
		return nil, fmt.Errorf("%s must start with smtp:// or smtps://, like smtp://user:pass@mail.example.com:587", name)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("%s needs a host, like %s://user:pass@mail.example.com", name, u.Scheme)
	}
	if p := u.Port(); p != "" {
		port, err = strconv.Atoi(p)
		if err != nil || port < 1 || port > 65535 {
			return nil, fmt.Errorf("%s: port %q is not between 1 and 65535", name, p)
		}
	}
	q := u.Query()
	for k := range q {
		if k != "tls" && k != "insecure_skip_verify" {
			return nil, fmt.Errorf("%s: unknown parameter %q (known: tls, insecure_skip_verify)", name, k)
		}
	}
	skipVerify := false
	if v := q.Get("insecure_skip_verify"); v != "" {
		if skipVerify, err = strconv.ParseBool(v); err != nil {
			return nil, fmt.Errorf("%s: insecure_skip_verify must be true or false, not %q", name, v)
		}
	}
	tlsConf := &tls.Config{ServerName: u.Hostname(), MinVersion: tls.VersionTLS12,
		InsecureSkipVerify: skipVerify} //nolint:gosec // opt-in, for test relays
	opts := []gomail.Option{gomail.WithPort(port), gomail.WithTimeout(30 * time.Second), gomail.WithTLSConfig(tlsConf)}

	tlsMode := q.Get("tls")
	switch {
	case u.Scheme == "smtps" && tlsMode == "":
		opts = append(opts, gomail.WithSSL())
	case u.Scheme == "smtps":
		return nil, fmt.Errorf("%s: smtps:// always uses TLS; drop tls=%s or use smtp://", name, tlsMode)
	case tlsMode == "":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case tlsMode == "required":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case tlsMode == "none":
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		return nil, fmt.Errorf("%s: tls must be required or none, not %q", name, tlsMode)
	}

	if user := u.User.Username(); user != "" {
		pass, _ := u.User.Password()
		// Auto-discovery picks the strongest mechanism offered and leaves
		// PLAIN and LOGIN out on an unencrypted connection. With tls=none
		// the operator chose a plain connection, so PLAIN it is.
		auth := gomail.SMTPAuthAutoDiscover
		if tlsMode == "none" {
			auth = gomail.SMTPAuthPlainNoEnc
		}
		opts = append(opts, gomail.WithSMTPAuth(auth), gomail.WithUsername(user), gomail.WithPassword(pass))
	}
	if err := checkFrom(from); err != nil {
		return nil, err
	}
	s := &SMTPSender{from: from, host: u.Hostname(), opts: opts}
	if _, err := s.client(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return s, nil
}

func (s *SMTPSender) client() (*gomail.Client, error) {
	return gomail.NewClient(s.host, s.opts...)
}

// Send delivers one message over a fresh connection, so a broken
// connection never outlives one attempt.
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
